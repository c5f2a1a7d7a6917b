"""What the built pages link to and what they can be linked to: each HTML file of the output read once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

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


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()
        self._anchor: tuple[str, list[str]] | None = None  # an open <a>: its href and its text so far

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in ("id", "name") if tag in ("a", "map") else ("id",):
            if values.get(name):
                self.scan.ids.add(values[name])
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.scan.refresh = _refresh_url(values.get("content", ""))
        if tag == "link" and not FETCHED_RELS & set(values.get("rel", "").lower().split()):
            return
        names, kind = _SOURCES.get(tag, ((), ""))
        for name in names:
            for url in _urls(values.get(name, ""), srcset=name == "srcset"):
                if tag == "a":
                    self._anchor = (url, [])
                else:
                    self.scan.refs.append(Ref(tag, url, kind, values.get("alt", "")))

    def handle_data(self, data: str) -> None:
        if self._anchor is not None:
            self._anchor[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._anchor is not None:
            url, text = self._anchor
            self.scan.refs.append(Ref("a", url, "links", " ".join("".join(text).split())))
            self._anchor = None

    def close(self) -> None:
        super().close()
        self.handle_endtag("a")  # an <a> never closed still links


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
    """What the HTML file at `path` links to and offers."""
    scanner = _Scanner()
    scanner.feed(path.read_text(encoding="utf-8", errors="replace"))
    scanner.close()
    return scanner.scan


def output_files(output: Path) -> set[str]:
    """Every file of the output, as paths relative to it (hidden folders such as .homepost left out)."""
    files: set[str] = set()
    for path in output.rglob("*"):
        rel = path.relative_to(output).as_posix()
        if not any(part.startswith(".") for part in rel.split("/")) and path.is_file():
            files.add(rel)
    return files


def scan_output(output: Path, files: set[str]) -> dict[str, PageScan]:
    """Every HTML page of the output, scanned, by its path relative to the output."""
    return {rel: scan_page(output / rel) for rel in sorted(files) if rel.endswith((".html", ".htm"))}
