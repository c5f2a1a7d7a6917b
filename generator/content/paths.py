"""The shapes of site paths: a folder ("/2026/01/slug/", written as its index.html) or a file ("/2026/01/slug.html")."""

from __future__ import annotations

import logging
from urllib.parse import unquote

log = logging.getLogger(__name__)

PAGE_SUFFIXES = (".html", ".htm")


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


def fill_permalink(pattern: str, values: dict[str, str], file: str) -> str:
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
