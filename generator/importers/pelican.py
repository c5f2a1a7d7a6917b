"""A Pelican site: `Key: value` Markdown headers, `{filename}`/`{static}` links, and its URLs.

pelicanconf.py is never run: its simple assignments are read with `ast.literal_eval`. Old URLs
follow `ARTICLE_URL` and `PAGE_URL` (`{slug}`, `{category}`, `{date:%Y}`, `{lang}`, `{author}`).
"""

from __future__ import annotations

import ast
import datetime as dt
import posixpath
import re
from pathlib import Path
from typing import Any

from generator.content.pelican_headers import header_block
from generator.errors import ContentError, Problem
from generator.importers.markup import Resolve
from generator.importers.model import Entry, ImportedSite, Kind
from generator.importers.sources import (
    MARKDOWN,
    as_date,
    convert_front,
    copy_tree,
    last_segment,
    more,
    naive_utc,
    read_text,
    resolver,
    split_front_matter,
)
from generator.text import slugify

DEFAULTS: dict[str, Any] = {
    "PATH": "content",
    "ARTICLE_URL": "{slug}.html",
    "PAGE_URL": "pages/{slug}.html",
    "PAGE_PATHS": ["pages"],
    "STATIC_PATHS": ["images"],
    "USE_FOLDER_AS_CATEGORY": True,
    "DEFAULT_CATEGORY": "misc",
    "SITENAME": "",
    "SITEURL": "",
    "DEFAULT_LANG": "",
    "TIMEZONE": "",
    "SLUGIFY_SOURCE": "title",
    "TAG_URL": "tag/{slug}.html",
    "CATEGORY_URL": "category/{slug}.html",
    "ARTICLE_SAVE_AS": "",
}
_DATE_TOKENS = {"{date:%Y}": "{year}", "{date:%m}": "{month}", "{date:%d}": "{day}"}
_LINK = re.compile(r"(\{(filename|static|attach)\}|\|(filename|static|attach)\|)([^)\"'\s>]+)")


def read_settings(root: Path, site: ImportedSite) -> dict[str, Any]:
    """pelicanconf.py's simple assignments (literals only; the file is not run), over Pelican's defaults."""
    settings = dict(DEFAULTS)
    path = root / "pelicanconf.py"
    if not path.is_file():
        return settings
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        site.note("pelicanconf.py", getattr(exc, "lineno", None), f"could not be read ({exc}); defaults used")
        return settings
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
                site.note("pelicanconf.py", node.lineno, f"{name}: not a plain value; Pelican's default used")
                continue
            if name in DEFAULTS and not isinstance(value, type(DEFAULTS[name])):
                expected = type(DEFAULTS[name]).__name__
                site.note("pelicanconf.py", node.lineno, f"{name}: expected a {expected}; Pelican's default used")
                continue
            settings[name] = value
    return settings


def split_headers(text: str) -> tuple[dict[str, Any], str, int]:
    """Pelican's `Key: value` lines at the top of a Markdown file: (metadata, body, the body's first line)."""
    text = text.lstrip("\ufeff")
    headers, _, index = header_block(text)
    if not headers:
        return {}, text, 1
    return dict(headers), "\n".join(text.split("\n")[index:]).lstrip("\n"), index + 1


def url_of(pattern: str, values: dict[str, Any]) -> str | None:
    """A Pelican URL pattern filled in, as a path from the site root; None when it names an unknown field."""
    try:
        made = pattern.format(**values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return None
    return "/" + made.lstrip("/")


def permalink(pattern: str) -> str | None:
    """The Homepost permalink giving the URLs of an `ARTICLE_URL` (`{date:%Y}/{slug}.html`), when one can."""
    made = "/" + pattern.lstrip("/")
    for token, value in _DATE_TOKENS.items():
        made = made.replace(token, value)
    known = re.findall(r"{([^{}]*)}", made)
    return (
        made if set(known) <= {"year", "month", "day", "slug", "category"} and made.endswith(("/", ".html")) else None
    )


def term_pattern(pattern: str) -> str | None:
    """A Homepost taxonomy path pattern from Pelican's `TAG_URL` or `CATEGORY_URL` (`tag/{slug}.html`), when one can."""
    made = "/" + pattern.lstrip("/").replace("{slug}", "{term}")
    ok = made.endswith(("/", ".html")) and re.findall(r"{([^{}]*)}", made) == ["term"] and made.count("/") > 1
    return made if ok and "/" in made.strip("/").split("{term}")[0] else None


def read_site(root: Path, uploads: Path | None, now: dt.datetime) -> ImportedSite:
    """Read a Pelican site folder into an ImportedSite."""
    site = ImportedSite("pelican")
    settings = read_settings(root, site)
    site.title, site.url = str(settings["SITENAME"]), str(settings["SITEURL"])
    site.language, site.timezone = str(settings["DEFAULT_LANG"]), str(settings["TIMEZONE"])
    content = root / str(settings["PATH"])
    if not content.is_dir():
        raise ContentError(Problem(str(root), f"not a Pelican site: it has no {settings['PATH']}/ folder (PATH)"))
    static = [str(p) for p in settings["STATIC_PATHS"]] if isinstance(settings["STATIC_PATHS"], list) else []
    page_dirs = [str(p) for p in settings["PAGE_PATHS"]] if isinstance(settings["PAGE_PATHS"], list) else ["pages"]
    bodies: dict[str, tuple[str, int]] = {}  # source file -> (body, its first line)
    for path in sorted(content.rglob("*")):
        rel = path.relative_to(content).as_posix()
        file = path.relative_to(root).as_posix()
        if (
            not path.is_file()
            or path.is_symlink()
            or any(rel == s or rel.startswith(s.rstrip("/") + "/") for s in static)
        ):
            continue
        if path.suffix.lower() in (".rst", ".html", ".htm", ".ipynb"):
            site.note(file, None, f"{path.suffix} content is not converted (Homepost reads Markdown): skipped")
            site.count("skipped")
            continue
        if path.suffix.lower() not in MARKDOWN:
            site.note(file, None, "neither an article, a page nor in STATIC_PATHS: not imported")
            site.count("skipped")
            continue
        text = read_text(path, site, file)
        if text is None:
            continue
        data, body, first = split_headers(text)
        if not data:
            data, body, first, problem = split_front_matter(text)
            if problem:
                site.note(file, 1, problem + ": skipped")
                site.count("skipped")
                continue
        entry = _entry(rel, file, data, body, text, settings, page_dirs, now, site)
        if entry is not None:
            site.entries.append(entry)
            bodies[entry.source] = (body, first)
    site.permalink = permalink(str(settings["ARTICLE_URL"]))
    for key, setting in (("tags", "TAG_URL"), ("categories", "CATEGORY_URL")):
        if pattern := term_pattern(str(settings[setting])):
            site.taxonomy_paths[key] = pattern
    site.term_slug = lambda term: slugify(term, transliterate=True)
    links = resolver(site.entries, lambda e: [e.source.split("/", 1)[-1]])
    for entry in site.entries:
        body, first = bodies[entry.source]
        entry.body = more(_links(body, entry, links, site, first))
    for folder in static:
        copy_tree(content / folder, f"static/{folder}", site)
    return site


def _entry(
    rel: str,
    file: str,
    data: dict[str, Any],
    body: str,
    text: str,
    settings: dict[str, Any],
    page_dirs: list[str],
    now: dt.datetime,
    site: ImportedSite,
) -> Entry | None:
    """One article or page."""
    is_page = any(rel.startswith(d.rstrip("/") + "/") for d in page_dirs)
    title = str(data.get("title", ""))
    source = title if settings.get("SLUGIFY_SOURCE") != "basename" else ""
    slug = str(data.get("slug") or slugify(source, transliterate=True) or slugify(Path(rel).stem, transliterate=True))
    status = str(data.pop("status", "published")).lower()
    date = as_date(data.get("date"))
    folder = rel.split("/")[0] if "/" in rel and settings.get("USE_FOLDER_AS_CATEGORY") else ""
    category = str(data.pop("category", "") or folder or settings.get("DEFAULT_CATEGORY") or "misc")
    for key in ("tags", "authors"):
        if isinstance(data.get(key), str):
            data[key] = [t.strip() for t in data[key].split(",") if t.strip()]
    front = convert_front(data, text, file, site)
    if not is_page:
        if date is None:
            site.note(file, None, "an article without a date: skipped")
            site.count("skipped")
            return None
        front["categories"] = [category]
    if status == "draft":
        front["draft"] = True
    elif status == "hidden":
        site.note(file, None, "status: hidden: imported as a page left out of the menu")
        is_page = True
    values = {
        "slug": slug,
        "category": slugify(category, transliterate=True),
        "lang": data.get("lang", ""),
        "date": date or now,
        "author": slugify(str(data.get("author", "")), transliterate=True),
    }
    pattern = data.get("url") or settings["PAGE_URL" if is_page else "ARTICLE_URL"]
    old = url_of(str(pattern), values)
    if old is None:
        site.note(file, None, f"its old URL could not be made from {pattern!r}: no alias")
    new_slug = (last_segment(old) if old else "") or slug
    front["slug"] = new_slug
    if date is not None:
        front["date"] = date
    public = not front.get("draft") and (date is None or naive_utc(date) <= naive_utc(now))
    kind: Kind = "page" if is_page else "post"
    target = f"content/{'pages' if is_page else 'posts'}/{Path(rel).stem}.md"
    entry = Entry(kind, target, file, new_slug, date if not is_page else None, front, body, old, public)
    saved = url_of(
        str(data.get("save_as") or settings.get("PAGE_SAVE_AS" if is_page else "ARTICLE_SAVE_AS") or ""), values
    )
    saved = re.sub(r"(^|/)index\.html$", r"\1", saved or "")  # a folder's page answers at the folder
    if saved not in ("", "/", old) and " " not in saved:
        entry.moved.append(saved)  # written at another address than its URL: that one answered too
    return entry


def _links(body: str, entry: Entry, resolve: Resolve, site: ImportedSite, first: int) -> str:
    """`{filename}` links to other posts as relative .md links, `{static}`/`{attach}` files as root paths."""

    def replace(match: re.Match[str]) -> str:
        kind = match.group(2) or match.group(3)
        target = match.group(4)
        own = entry.source.split("/", 1)[-1].rsplit("/", 1)[0] if "/" in entry.source.split("/", 1)[-1] else ""
        path = posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join(own, target)).lstrip(
            "/"
        )
        if kind == "filename" and path.endswith(MARKDOWN + (".rst",)):
            link = resolve(path)
            if link is None:
                line = first + match.string.count("\n", 0, match.start())
                path = "/" + re.sub(r"\.[^./]+$", "/", path)
                site.note(entry.source, line, f"{{filename}} link to {target!r}: no such post; linked to {path}")
                return path
            return link
        return "/" + path

    return _LINK.sub(replace, body)
