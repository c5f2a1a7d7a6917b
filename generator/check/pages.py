"""What the built pages link to and what they can be linked to: each HTML file of the output read once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import lxml.etree
from lxml.etree import _Element

log = logging.getLogger(__name__)

# The <link> relations that name a file of the site a reader or a feed reader fetches (not rel=me,
# rel=webmention and the like, which name services elsewhere).
FETCHED_RELS = frozenset(
    ("stylesheet", "alternate", "icon", "shortcut", "apple-touch-icon", "manifest", "preload", "prev", "next", "search")
)
# tag -> the attributes holding a URL, and whether the tag shows media (an image, audio, video) or links
_SOURCES: dict[str, tuple[tuple[str, ...], str]] = {
    "a": (("href",), "links"),
    "link": (("href",), "links"),
    "script": (("src",), "links"),
    "img": (("src", "srcset"), "images"),
    "source": (("src", "srcset"), "images"),
    "audio": (("src",), "images"),
    "video": (("src", "poster"), "images"),
    "track": (("src",), "images"),
}


@dataclass(frozen=True)
class Ref:
    """One URL a page refers to: the tag, the URL as written, the kind ("links" or "images"), the text shown."""

    tag: str
    url: str
    kind: str
    text: str = ""


@dataclass
class PageScan:
    """One HTML page of the output: what it refers to, the ids it offers, where a redirect page leads."""

    refs: list[Ref] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    refresh: str | None = None  # the URL of <meta http-equiv="refresh">, for a redirect page


def _scan(root: _Element) -> PageScan:
    """What the parsed page offers (ids) and refers to (the tags of _SOURCES), and a redirect page's target."""
    scan = PageScan(ids={str(value) for value in root.xpath("//@id | //a/@name | //map/@name")})
    for element in root.iter("meta", *_SOURCES):
        tag, values = str(element.tag), element.attrib
        if tag == "meta":
            if values.get("http-equiv", "").lower() == "refresh":
                scan.refresh = _refresh_url(values.get("content", ""))
            continue
        if tag == "link" and not FETCHED_RELS & set(values.get("rel", "").lower().split()):
            continue
        names, kind = _SOURCES[tag]
        for name in names:
            for url in _urls(values.get(name, ""), srcset=name == "srcset"):
                text = " ".join("".join(element.itertext()).split()) if tag == "a" else values.get("alt", "")
                scan.refs.append(Ref(tag, url, kind, text))
    return scan


def _urls(value: str, srcset: bool) -> list[str]:
    """The URLs of an attribute: the one URL, or each candidate of a srcset ("a.png 1x, b.png 2x")."""
    value = value.strip()
    if not srcset:
        return [value] if value else []
    return [part.split()[0] for part in value.split(",") if part.split()]


def _refresh_url(content: str) -> str | None:
    """`0; url=/new/` -> "/new/"; None when the refresh only reloads the page."""
    _, _, rest = content.partition(";")
    rest = rest.strip()
    if rest.lower().startswith("url"):
        rest = rest[3:].lstrip().removeprefix("=").strip().strip("'\"")
    return rest or None


def scan_page(path: Path) -> PageScan:
    """What the HTML file at `path` links to and offers (an empty scan for an empty or unreadable file)."""
    data = path.read_bytes()
    if not data.strip():
        return PageScan()
    root = lxml.etree.fromstring(data, lxml.etree.HTMLParser(encoding="utf-8"))
    if root is None:  # nothing lxml can make a document of
        log.warning("%s: could not be read as HTML; its links are not checked", path)
        return PageScan()
    return _scan(root)


def output_files(output: Path) -> set[str]:
    """Every file of the output (.well-known/ included, a .git folder left out), as paths relative to it."""
    files: set[str] = set()
    for path in output.rglob("*"):
        rel = path.relative_to(output).as_posix()
        if ".git" not in rel.split("/") and path.is_file():
            files.add(rel)
    return files


def scan_output(output: Path, files: set[str]) -> dict[str, PageScan]:
    """Every HTML page of the output, scanned, by its path relative to the output."""
    return {rel: scan_page(output / rel) for rel in sorted(files) if rel.endswith((".html", ".htm"))}
