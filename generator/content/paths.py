"""The shapes of site paths: a folder ("/2026/01/slug/", written as its index.html) or a file ("/2026/01/slug.html")."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import unquote

from generator.errors import HomepostError, Problem
from generator.text import slugify

if TYPE_CHECKING:
    from generator.content.metadata import Meta

log = logging.getLogger(__name__)

PAGE_SUFFIXES = (".html", ".htm")
MAX_NAME_BYTES = 255  # of one file or folder name, on the usual file systems


def is_file_path(path: str) -> bool:
    """True for a site path that names an HTML file ("/x.html") rather than a folder ("/x/")."""
    return path.endswith(PAGE_SUFFIXES)


def output_file(path: str) -> str:
    """Output file of a site path (percent-encoded or not, base path removed): "tags/x/" -> "tags/x/index.html",
    "2026/x.html" -> "2026/x.html"."""
    path = unquote(path).strip("/")
    if is_file_path(path):
        return path
    return f"{path}/index.html" if path else "index.html"


def folder_of(path: str) -> str:
    """The folder that belongs to a site path, for what travels with its page (feeds, a bundle's files):
    "/x/" itself, "/x.html" -> "/x/"."""
    if is_file_path(path):
        return path.rsplit(".", 1)[0] + "/"
    return path


def site_path_error(path: str) -> str | None:
    """What is wrong with a site path a writer gave (front matter `url:`), or None."""
    if not path.startswith("/") or "//" in path or ".." in path.split("/") or any(c.isspace() for c in path):
        return f"expected a path under the site such as '/old/post/' or '/old/post.html', got {path!r}"
    if not path.endswith("/") and not is_file_path(path):
        return f"expected a path ending in '/' or '.html', got {path!r}"
    return None


def title_slug(title: str, transliterate: bool) -> str:
    """A title slugified, cut to what a folder's name may hold."""
    slug = slugify(title, transliterate, keep_dots=True)
    return slug.encode()[:MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip("-.")


def site_path_of(pattern: str, slug: str, meta: Meta, transliterate: bool, file: str) -> str:
    """The site path a permalink pattern gives a post or page (`file`, for messages)."""
    categories = meta.taxonomies.get("categories") or ()
    title = title_slug(meta.title, transliterate) if meta.title else ""
    category = slugify(categories[0], transliterate) if categories else ""
    values = {"slug": slug, "title": title or slug, "category": category}
    if meta.date is not None:
        date = meta.date
        values.update(year=f"{date.year:04d}", month=f"{date.month:02d}", day=f"{date.day:02d}")
    try:
        return _fill(pattern, values, file)
    except KeyError as exc:
        message = f"placeholder {{{exc.args[0]}}} needs a date, which pages may lack"
        raise HomepostError(Problem("site.toml", message, key="build.page_permalink")) from None


def _fill(pattern: str, values: dict[str, str], file: str) -> str:
    """A permalink pattern filled in; an empty `{category}` leaves its segment out (as Jekyll does), with a warning."""
    if "{category}" in pattern and not values.get("category"):
        log.warning(
            "%s: no category for {category} in the permalink; its URL leaves that part out "
            "(add `categories:` to give it one)",
            file,
        )
    path = pattern.format(**values)
    while "//" in path:
        path = path.replace("//", "/")
    return path
