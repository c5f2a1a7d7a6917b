"""Templates: the Jinja environment, theme lookup, URL helpers and the per-page context."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import tomllib
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from generator import __version__
from generator.config import Config
from generator.errors import BuildError, Problem
from generator.fediverse import urls as fediverse_urls
from generator.feeds import FEED_FILES
from generator.incremental.fragments import FragmentStore
from generator.model import Image, Site
from generator.reading import label_tables, table_of_contents
from generator.sanitize import clean_html
from generator.sitedata.labels import copy_label
from generator.text import truncate

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def bundled_themes_dir() -> Path:
    """Where the themes shipped with Homepost live: inside the wheel, or beside a source checkout."""
    inside = PACKAGE_DIR / "themes"
    return inside if inside.is_dir() else PACKAGE_DIR.parent / "themes"


def theme_dir(config: Config) -> Path:
    """The folder of the configured theme: the site's own themes/ first, then the bundled ones."""
    name = config.build.theme
    candidates = [config.root / name] if "/" in name else [config.root / "themes" / name, bundled_themes_dir() / name]
    for candidate in candidates:
        if (candidate / "templates").is_dir():
            return candidate
    raise BuildError(
        Problem(
            "site.toml", f"theme {name!r} not found (looked in {', '.join(map(str, candidates))})", key="build.theme"
        )
    )


def template_dirs(config: Config, theme: Path | None = None) -> tuple[Path, Path]:
    """Where templates are looked up: the site's templates/, then the theme's (`theme`, or the configured one)."""
    return (config.root / "templates", (theme or theme_dir(config)) / "templates")


@dataclass
class PageInfo:
    """What the <head> of a page needs to know about it (not frozen: a build makes one per page,
    and a frozen dataclass takes three times as long to make)."""

    kind: str
    path: str
    url: str
    title: str | None = None
    description: str = ""
    type: str = "website"
    image: Image | None = None
    lang: str | None = None
    feeds: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteView:
    """The `site` variable of every template."""

    title: str
    url: str
    path: str
    description: str
    language: str
    author: Any
    menu: list
    taxonomies: list
    feeds: dict[str, str]
    webmention: str = ""  # the Webmention endpoint pages advertise, if any
    comments: str = ""  # where the comment form posts, when comments are on
    comment_max_length: int = 5000
    newsletter: str = ""  # where the subscribe form posts, when the newsletter is on
    fediverse_handle: str = ""  # `@username@host`, when the site is a fediverse actor
    fediverse_actor: str = ""  # the actor's URL, likewise
    generator: str = f"Homepost {__version__}"


class Renderer:
    """Renders the theme's templates (overridden by the site's templates/) into HTML strings."""

    def __init__(
        self, config: Config, site: Site, bytecode_dir: Path | None = None, fragments: FragmentStore | None = None
    ):
        self.config = config
        self.fragments = fragments  # fragments kept between builds (the build's cache), if any
        self._bytecode = jinja2.FileSystemBytecodeCache(str(bytecode_dir)) if bytecode_dir else None
        if bytecode_dir is not None:
            bytecode_dir.mkdir(parents=True, exist_ok=True)
        self.theme = theme_dir(config)
        self.template_dirs = template_dirs(config, self.theme)
        self._loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in self.template_dirs])
        self.strings = load_strings(self.theme / "strings.toml")
        author = config.site.author
        local_avatar = author.avatar and "://" not in author.avatar
        avatar = config.path_url(author.avatar) if local_avatar else author.avatar
        avatar_url = config.abs_url(author.avatar) if local_avatar else author.avatar
        self._globals = {
            "site": SiteView(
                title=config.site.title,
                url=config.site.url,
                path=config.site.base_path,
                description=config.site.description,
                language=config.site.language,
                author=_AuthorView(
                    author.name, author.url or config.site.url, author.email, avatar, avatar_url, author.me
                ),
                menu=site.menu,
                taxonomies=site.taxonomies,
                feeds={k: config.abs_url(v) for k, v in FEED_FILES.items()},
                webmention=config.webmention.endpoint,
                comments=config.comments.form_url(config.webmention.endpoint) if config.comments.enabled else "",
                comment_max_length=config.comments.max_length,
                newsletter=config.newsletter.form_url(config.webmention.endpoint) if config.newsletter.enabled else "",
                fediverse_handle=fediverse_urls.handle(config) if config.fediverse.enabled else "",
                fediverse_actor=fediverse_urls.actor_url(config) if config.fediverse.enabled else "",
            ),
            "url": config.path_url,
            "absurl": config.abs_url,
            "shows": {show.key: show for show in site.shows},
            "activity_url": functools.partial(fediverse_urls.object_url, config),
            "toc": functools.partial(table_of_contents, min_headings=config.theme.toc_min_headings),
        }
        self._envs: dict[str, jinja2.Environment] = {}

    def preload(self) -> None:
        """Compile every template of the site's language now, before rendering is spread over
        processes, so that the workers inherit them instead of each compiling its own."""
        env = self.environment(self.config.site.language)
        for name in self._loader.list_templates():
            try:
                env.get_template(name)
            except Exception:  # noqa: BLE001 - a broken template is reported where a page uses it
                log.debug("not preloading template %s", name, exc_info=True)

    def environment(self, lang: str) -> jinja2.Environment:
        """The Jinja environment of one page language: `t`, `lang` and `date_format` speak it.

        Being globals rather than per-render variables, they let templates import macros without
        context, so each macro module is compiled and run once instead of once per include.
        """
        env = self._envs.get(lang)
        if env is None:
            env = _Environment(
                loader=self._loader,
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                keep_trailing_newline=True,
                auto_reload=False,  # a Renderer lives for one build
                bytecode_cache=self._bytecode,  # compiled templates, checked against their source
            )
            fragment = _Fragments(env, lang, self)
            env.globals.update(
                self._globals,
                lang=lang,
                t=translator(self.strings, lang),
                fragment=fragment,
                fragments=fragment.join,
                shared=_Shared(env),
            )
            env.filters["date_format"] = functools.partial(date_format, lang)
            env.filters["truncate"] = _truncate
            env.filters["duration"] = duration
            env.filters["sanitize"] = _sanitize
            env.filters["host"] = _host
            env.filters["copy_label"] = functools.partial(copy_label, self.config.syndication.targets)
            env.filters["label_tables"] = label_tables
            self._envs[lang] = env
        return env

    def render(self, template: str, page: PageInfo, **context: Any) -> str:
        """Render one template for one page; template problems become BuildErrors with file and line."""
        lang = page.lang or self.config.site.language
        try:
            return self.environment(lang).get_template(template).render(page=page, **context)
        except jinja2.TemplateSyntaxError as exc:
            problem = Problem(
                self._display(exc.filename or exc.name or template),
                f"template syntax error: {exc.message}",
                line=exc.lineno,
            )
        except jinja2.TemplateNotFound as exc:
            file, line = _template_frame(exc)
            problem = Problem(self._display(file or template), f"template not found: {exc.name}", line=line)
        except Exception as exc:  # noqa: BLE001 - any error inside a template is the template's problem
            file, line = _template_frame(exc)
            problem = Problem(self._display(file or template), f"{type(exc).__name__}: {exc}", line=line)
        raise BuildError(problem)

    def _display(self, file: str) -> str:
        """A template's path as the user knows it: under the site, or under the theme's folder."""
        path = Path(file)
        for base in (self.config.root, self.theme.parent.parent):
            if path.is_relative_to(base):
                return path.relative_to(base).as_posix()
        return file


_PLAIN = (types.FunctionType, types.MethodType, types.BuiltinFunctionType)


class _Context(jinja2.runtime.Context):
    """Jinja's context, with a shorter way to call what templates call most: macros and plain functions.

    A page calls them dozens of times (`t`, `url`, the theme's macros), and Jinja's general path
    first looks for `pass_context` and its kin on each; these have none of them.
    """

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's own signature
        kind = type(__obj)
        if kind is not jinja2.runtime.Macro and (kind not in _PLAIN or hasattr(__obj, "jinja_pass_arg")):
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class _Environment(jinja2.Environment):
    """Jinja's environment with each template's globals as one plain dict.

    Jinja chains them (ChainMap) so that globals set after loading still show; ours are all set
    before the first template loads, and every `{% import %}` inside an `{% include %}` compares
    the globals' keys, which a ChainMap makes slow.
    """

    context_class = _Context

    def make_globals(self, d: dict[str, Any] | None) -> dict[str, Any]:  # type: ignore[override]
        return {**self.globals, **(d or {})}


@dataclass(frozen=True)
class _AuthorView:
    name: str
    url: str
    email: str
    avatar: str  # for pages: root-relative when the file is the site's own
    avatar_url: str  # absolute
    me: tuple[str, ...]


class _Fragments:
    """`fragment(template, post)`: a partial that depends only on one post, rendered once.

    Within a build each is rendered once per page language (each has its own environment);
    with a FragmentStore, once for as long as the post and the templates stay as they are.
    """

    def __init__(self, env: jinja2.Environment, lang: str, renderer: Renderer):
        self.env, self.lang, self.renderer = env, lang, renderer
        self.done: dict[tuple[str, int], str] = {}

    def __call__(self, template: str, post: Any) -> Markup:
        return Markup(self._html(template, post))

    def _html(self, template: str, post: Any) -> str:
        html = self.done.get((template, id(post)))
        if html is None:
            store = self.renderer.fragments
            html = store.get(self.lang, template, post) if store is not None else None
            if html is None:
                html = self.env.get_template(template).render(post=post)
                if store is not None:
                    store.put(self.lang, template, post, html)
            self.done[(template, id(post))] = html
        return html

    def join(self, template: str, posts: Any) -> Markup:
        """`fragments(template, posts)`: the fragments of many posts, one after the other (the
        archive's ten thousand: those this build already has are looked up here, without a call)."""
        done = self.done
        return Markup("".join([done.get((template, id(post))) or self._html(template, post) for post in posts]))


class _Shared:
    """`shared(template)`: a partial that sees only the globals (`site`, `t`, `lang`, `url`...),
    rendered once per page language and build instead of once per page (the footer)."""

    def __init__(self, env: jinja2.Environment):
        self.env = env
        self.done: dict[str, Markup] = {}

    def __call__(self, template: str) -> Markup:
        html = self.done.get(template)
        if html is None:
            html = self.done[template] = Markup(self.env.get_template(template).render())
        return html


def translator(strings: dict[str, dict[str, str]], lang: str) -> Callable[..., str]:
    """The theme's `t(key, **fields)` for one language: its strings, its base language's, then English."""
    chain = [strings.get(lang, {}), strings.get(lang.split("-")[0], {}), strings.get("en", {})]

    def t(key: str, **kwargs: Any) -> str:
        for table in chain:
            if key in table:
                return str(table[key]).format(**kwargs)
        return key

    return t


def load_strings(path: Path) -> dict[str, dict[str, str]]:
    """A theme's UI strings (strings.toml): language -> key -> text; none when the file is absent."""
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(Problem(str(path), f"invalid TOML: {exc}")) from None


def date_format(lang: str, value: dt.datetime | dt.date | None) -> str:
    """A human date in the page's language: "5 March 2024", "2024年3月5日"."""
    if value is None:
        return ""
    lang = lang.lower()
    if lang.startswith(("zh", "ja")):
        return f"{value.year}年{value.month}月{value.day}日"
    if lang.startswith("ko"):
        return f"{value.year}년 {value.month}월 {value.day}일"
    if lang.startswith("en"):
        return f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    return value.strftime("%Y-%m-%d")


def _sanitize(html: str) -> Markup:
    """Remote HTML made safe again at render time (it was sanitised when stored; the data file may be edited)."""
    return Markup(clean_html(html))


def _host(url: str) -> str:
    """The host name of a URL, for labels such as "via example.com"."""
    return (urlsplit(url).hostname or "").removeprefix("www.")


def duration(seconds: float | None) -> str:
    """A running time as players show it: 93 -> "1:33", 3725 -> "1:02:05"."""
    if seconds is None:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _truncate(value: str, length: int = 255, end: str = "…") -> str:
    """Jinja's `truncate`, made safe for every script: it never splits a grapheme cluster."""
    return truncate(str(value), length, end)


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost template file and line in an exception's traceback."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".xml", ".txt", ".j2", ".jinja")):
            found = (frame.filename, frame.lineno)
    return found
