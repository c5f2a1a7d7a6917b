"""The site's configuration: site.toml read into typed, frozen objects.

Every problem in the file is collected and reported at once, each naming the file, the dotted
key and what was expected; a TOML syntax error names its line and column.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.errors import ConfigError, Problem

CONFIG_NAME = "site.toml"
PERMALINK_TOKENS = ("year", "month", "day", "slug")
DEFAULT_TAXONOMIES = ("tags", "categories", "series")


@dataclass(frozen=True)
class Author:
    """The site's author, shown as the representative h-card."""

    name: str = ""
    url: str = ""
    email: str = ""
    avatar: str = ""
    me: tuple[str, ...] = ()  # rel=me profile links


@dataclass(frozen=True)
class SiteSettings:
    """`[site]`: who and where the site is."""

    title: str
    url: str  # public base URL, always ending in "/"
    description: str = ""
    language: str = "en"
    timezone: str = "UTC"
    author: Author = field(default_factory=Author)

    @property
    def base_path(self) -> str:
        """The path part of the base URL, e.g. "/" or "/blog/"."""
        return urlsplit(self.url).path or "/"

    @property
    def origin(self) -> str:
        """Scheme and host of the base URL, without a trailing slash."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def host(self) -> str:
        """Host name of the base URL."""
        return urlsplit(self.url).hostname or ""

    @property
    def tz(self) -> ZoneInfo:
        """The site's time zone, used for naive dates."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class BuildSettings:
    """`[build]`: how the site is turned into files."""

    output: str = "public"
    permalink: str = "/{year}/{month}/{slug}/"
    page_permalink: str = "/{slug}/"
    posts_per_page: int = 10
    feed_items: int = 20
    slug_source: str = "filename"
    transliterate: bool = False
    theme: str = "default"
    highlight_style: str = "xcode"
    highlight_style_dark: str = "github-dark"


@dataclass(frozen=True)
class TaxonomySettings:
    """`[taxonomies.<key>]`: one way of grouping posts, read from the front matter key of that name."""

    key: str
    title: str
    path: str
    feeds: bool = True


@dataclass(frozen=True)
class PodcastSettings:
    """`[podcasts.<key>]`: one show. Apple's rules are checked at build time, not here."""

    key: str
    title: str
    description: str
    author: str = ""
    owner_name: str = ""
    owner_email: str = ""
    language: str = ""  # default: the site's
    artwork: str = ""  # a path under the site or an http(s) URL
    categories: tuple[str, ...] = ()  # "Technology", or "Society & Culture > Documentary"
    explicit: bool | None = None
    type: str = "episodic"
    funding: tuple[tuple[str, str], ...] = ()  # (url, text)
    locked: bool = False
    copyright: str = ""
    new_feed_url: str = ""


@dataclass(frozen=True)
class NetworkSettings:
    """`[network]`: rules for every outgoing request."""

    allow_private_addresses: bool = False
    timeout: float = 10.0
    max_bytes: int = 5_000_000


@dataclass(frozen=True)
class Config:
    """The whole configuration of one site."""

    root: Path  # the site folder
    site: SiteSettings
    build: BuildSettings = field(default_factory=BuildSettings)
    taxonomies: tuple[TaxonomySettings, ...] = ()
    network: NetworkSettings = field(default_factory=NetworkSettings)
    podcasts: tuple[PodcastSettings, ...] = ()

    @property
    def content_dir(self) -> Path:
        """Folder holding posts, pages and their files."""
        return self.root / "content"

    def path_url(self, path: str) -> str:
        """Root-relative path (for links inside the site) of a path under the base URL."""
        return self.site.base_path + path.lstrip("/")

    def abs_url(self, path: str) -> str:
        """Absolute URL of a path under the base URL."""
        return self.site.origin + self.path_url(path)

    def absolute(self, url: str) -> str:
        """An absolute URL for a link as pages write it: root-relative paths gain the origin."""
        return self.site.origin + url if url.startswith("/") and not url.startswith("//") else url

    def with_url(self, url: str) -> Config:
        """A copy of this configuration served from another base URL (used by `serve`)."""
        if not url.endswith("/"):
            url += "/"
        return replace(self, site=replace(self.site, url=url))


# --- the schema -------------------------------------------------------------------------------

Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Option:
    """One key of the schema: its type, whether it is required and an extra check."""

    types: tuple[type, ...]
    expected: str
    required: bool = False
    check: Check | None = None


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "expected an http(s) URL"
    if parts.query or parts.fragment:
        return "expected an http(s) URL without query or fragment"
    return None


def _url_or_empty(value: str) -> str | None:
    return _http_url(value) if value else None


def _url_list(value: list) -> str | None:
    if not all(isinstance(v, str) and _http_url(v) is None for v in value):
        return "expected a list of http(s) URLs"
    return None


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"expected an IANA time zone such as 'Europe/Berlin', got {value!r}"
    return None


def _permalink(value: str) -> str | None:
    if not value.startswith("/") or not value.endswith("/"):
        return "expected a path that starts and ends with '/', such as '/{year}/{month}/{slug}/'"
    try:
        value.format(year="2024", month="01", day="01", slug="slug")
    except ValueError:
        return "expected every '{' to close with '}' around a placeholder such as {slug}"
    except (KeyError, IndexError):
        pass  # an unknown placeholder: named below
    tokens = re.findall(r"{([^{}]*)}", value)
    unknown = [t for t in tokens if t not in PERMALINK_TOKENS]
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}}; expected one of " + ", ".join(
            "{" + t + "}" for t in PERMALINK_TOKENS
        )
    if "slug" not in tokens:
        return "expected the pattern to contain {slug}"
    return None


def _pygments_style(value: str) -> str | None:
    from pygments.styles import get_all_styles

    styles = sorted(get_all_styles())
    if value in styles:
        return None
    hint = difflib.get_close_matches(value, styles, n=1)
    return f"unknown Pygments style {value!r}" + (f"; did you mean '{hint[0]}'?" if hint else "")


def _positive(value: int) -> str | None:
    return None if value > 0 else "expected a whole number greater than 0"


def _choice(*choices: str) -> Check:
    def check(value: str) -> str | None:
        if value in choices:
            return None
        return "expected one of " + ", ".join(repr(c) for c in choices)

    return check


def _path_segment(value: str) -> str | None:
    if not re.fullmatch(r"[^/\s]+(/[^/\s]+)*", value.strip("/")):
        return "expected a URL path such as 'tags'"
    return None


STR, BOOL, INT = (str,), (bool,), (int,)
SCHEMA: dict[str, dict[str, Option]] = {
    "site": {
        "title": Option(STR, "a string", required=True),
        "url": Option(STR, "an http(s) URL", required=True, check=_http_url),
        "description": Option(STR, "a string"),
        "language": Option(STR, "a language tag such as 'en' or 'zh-CN'"),
        "timezone": Option(STR, "an IANA time zone name", check=_timezone),
        "author": Option((dict,), "a table"),
    },
    "site.author": {
        "name": Option(STR, "a string"),
        "url": Option(STR, "an http(s) URL", check=_url_or_empty),
        "email": Option(STR, "an email address"),
        "avatar": Option(STR, "a URL or a path under the site"),
        "me": Option((list,), "a list of http(s) URLs", check=_url_list),
    },
    "build": {
        "output": Option(STR, "a folder name"),
        "permalink": Option(STR, "a permalink pattern", check=_permalink),
        "page_permalink": Option(STR, "a permalink pattern", check=_permalink),
        "posts_per_page": Option(INT, "a whole number", check=_positive),
        "feed_items": Option(INT, "a whole number", check=_positive),
        "slug_source": Option(STR, "'filename' or 'title'", check=_choice("filename", "title")),
        "transliterate": Option(BOOL, "true or false"),
        "theme": Option(STR, "a theme name or folder"),
        "highlight_style": Option(STR, "a Pygments style name", check=_pygments_style),
        "highlight_style_dark": Option(STR, "a Pygments style name", check=_pygments_style),
    },
    "taxonomies.*": {
        "title": Option(STR, "a string"),
        "path": Option(STR, "a URL path", check=_path_segment),
        "feeds": Option(BOOL, "true or false"),
        "enabled": Option(BOOL, "true or false"),
    },
    "podcasts.*": {
        "title": Option(STR, "a string", required=True),
        "description": Option(STR, "a string", required=True),
        "author": Option(STR, "a string"),
        "owner_name": Option(STR, "a string"),
        "owner_email": Option(STR, "an email address", check=lambda v: None if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v) else "expected an email address"),
        "language": Option(STR, "a language tag"),
        "artwork": Option(STR, "a path under the site or an http(s) URL"),
        "categories": Option((list,), "a list of Apple Podcasts categories", check=lambda v: None if all(isinstance(c, str) and c.strip() for c in v) else "expected a list of category names such as \"Technology\" or \"Society & Culture > Documentary\""),
        "explicit": Option(BOOL, "true or false"),
        "type": Option(STR, "'episodic' or 'serial'", check=_choice("episodic", "serial")),
        "funding": Option((list,), "a list of tables with url and text", check=lambda v: _funding(v)),
        "locked": Option(BOOL, "true or false"),
        "copyright": Option(STR, "a string"),
        "new_feed_url": Option(STR, "an http(s) URL", check=_http_url),
    },
    "network": {
        "allow_private_addresses": Option(BOOL, "true or false"),
        "timeout": Option((int, float), "a number of seconds", check=lambda v: None if v > 0 else "expected a number of seconds greater than 0"),
        "max_bytes": Option(INT, "a number of bytes", check=_positive),
    },
}
TOP_LEVEL = ("site", "build", "taxonomies", "network", "podcasts")


def _funding(value: list) -> str | None:
    for item in value:
        if not isinstance(item, dict) or set(item) - {"url", "text"} or not isinstance(item.get("url"), str):
            return "expected a list of tables such as { url = \"https://…\", text = \"Support the show\" }"
        if _http_url(item["url"]):
            return f"expected an http(s) URL in funding, got {item['url']!r}"
    return None


class _Reader:
    """Walks the parsed TOML against SCHEMA, collecting every problem."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, message, key=key))

    def table(self, data: Any, key: str) -> dict[str, Any]:
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.problem(key, "expected a table")
            return {}
        return data

    def unknown(self, data: dict[str, Any], known: tuple[str, ...] | list[str], prefix: str) -> None:
        for name in data:
            if name not in known:
                hint = difflib.get_close_matches(name, known, n=1)
                suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; expected one of {', '.join(known)}"
                self.problem(f"{prefix}{name}", f"unknown key{suggestion}")

    def section(self, data: Any, schema_name: str, key: str) -> dict[str, Any]:
        """Check one table against its schema; return only the keys that passed."""
        table = self.table(data, key)
        schema = SCHEMA[schema_name]
        self.unknown(table, list(schema), f"{key}.")
        good: dict[str, Any] = {}
        for name, option in schema.items():
            dotted = f"{key}.{name}"
            if name not in table:
                if option.required:
                    self.problem(dotted, f"required, expected {option.expected}")
                continue
            value = table[name]
            wrong_type = not isinstance(value, option.types) or (
                isinstance(value, bool) and bool not in option.types
            )
            if wrong_type:
                self.problem(dotted, f"expected {option.expected}, got {_describe(value)}")
                continue
            message = option.check(value) if option.check else None
            if message:
                self.problem(dotted, message)
                continue
            good[name] = value
        return good


def _describe(value: Any) -> str:
    if isinstance(value, float):
        return f"a fraction ({value})"
    names = {bool: "a boolean", int: "a number", str: "a string", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def parse_config(text: str, root: Path, file: str = CONFIG_NAME) -> Config:
    """Parse the text of a site.toml into a Config, or raise ConfigError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(toml_problem(file, exc, line_offset=0)) from None
    reader = _Reader(file)
    reader.unknown(data, TOP_LEVEL, "")
    site = reader.section(data.get("site"), "site", "site")
    author = reader.section(site.pop("author", None), "site.author", "site.author")
    build = reader.section(data.get("build"), "build", "build")
    network = reader.section(data.get("network"), "network", "network")
    taxonomies = _taxonomies(reader, reader.table(data.get("taxonomies"), "taxonomies"))
    podcasts = _podcasts(reader, reader.table(data.get("podcasts"), "podcasts"))
    if reader.problems:
        raise ConfigError(reader.problems)
    url = site.pop("url")
    if not url.endswith("/"):
        url += "/"
    author["me"] = tuple(author.get("me", ()))
    return Config(
        root=root,
        site=SiteSettings(url=url, author=Author(**author), **site),
        build=BuildSettings(**build),
        taxonomies=taxonomies,
        network=NetworkSettings(**{k: (float(v) if k == "timeout" else v) for k, v in network.items()}),
        podcasts=podcasts,
    )


def _taxonomies(reader: _Reader, data: dict[str, Any]) -> tuple[TaxonomySettings, ...]:
    """Defaults (tags, categories, series) overlaid with the site's `[taxonomies.<key>]` tables."""
    result: dict[str, TaxonomySettings] = {
        key: TaxonomySettings(key=key, title=key.title(), path=key) for key in DEFAULT_TAXONOMIES
    }
    for key, value in data.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            reader.problem(f"taxonomies.{key}", "expected a lower-case name of letters, digits and '_'")
            continue
        options = reader.section(value, "taxonomies.*", f"taxonomies.{key}")
        if options.pop("enabled", True) is False:
            result.pop(key, None)
            continue
        base = result.get(key) or TaxonomySettings(key=key, title=key.replace("_", " ").title(), path=key)
        if "path" in options:
            options["path"] = options["path"].strip("/")
        result[key] = replace(base, **options)
    return tuple(result.values())


def _podcasts(reader: _Reader, data: dict[str, Any]) -> tuple[PodcastSettings, ...]:
    """The shows of `[podcasts.<key>]`."""
    shows = []
    for key, value in data.items():
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", key):
            reader.problem(f"podcasts.{key}", "expected a lower-case name of letters, digits, '-' and '_' (it is used in URLs)")
            continue
        before = len(reader.problems)
        options = reader.section(value, "podcasts.*", f"podcasts.{key}")
        if len(reader.problems) > before:
            continue
        options["categories"] = tuple(c.strip() for c in options.get("categories", ()))
        options["funding"] = tuple((f["url"], f.get("text", "")) for f in options.get("funding", ()))
        shows.append(PodcastSettings(key=key, **options))
    return tuple(shows)


def toml_problem(file: str, exc: tomllib.TOMLDecodeError, line_offset: int, end_line: int | None = None) -> Problem:
    """A Problem for a TOML syntax error, with the line and column tomllib reports.

    `end_line` is the line where the TOML ends, for errors tomllib places at the end of the text.
    """
    message = str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        line, column = int(match.group(1)) + line_offset, int(match.group(2))
        return Problem(file, f"invalid TOML: {message[: match.start()]}", line=line, column=column)
    match = re.search(r"\s*\(at end of document\)$", message)
    if match and end_line is not None:
        return Problem(file, f"invalid TOML: {message[: match.start()]} before the end of the front matter", line=end_line)
    if match:
        return Problem(file, f"invalid TOML: {message[: match.start()]} at the end of the file")
    return Problem(file, f"invalid TOML: {message}")




def load_config(root: Path) -> Config:
    """Read `<root>/site.toml` into a Config."""
    path = root / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(Problem(str(path), "no site.toml here; run `homepost init` to create a site")) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(Problem(str(path), f"not UTF-8 text ({exc.reason})")) from None
    return parse_config(text, root.resolve(), file=CONFIG_NAME)
