"""Checks every feed test shares: a feed parses without complaint (JSON Feed: against the 1.1
schema), and no link or image in an entry's content is relative."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
import jsonschema

SCHEMA = json.loads((Path(__file__).with_name("jsonfeed-1.1.schema.json")).read_text(encoding="utf-8"))
FEED_NAMES = ("feed.xml", "atom.xml", "feed.json", "podcast.xml")
LINK_ATTRIBUTES = {"href", "src", "srcset", "poster", "cite", "data", "action"}
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"

_formats = jsonschema.FormatChecker()


@_formats.checks("uri", raises=ValueError)
def _is_uri(value: str) -> bool:
    """An absolute URL, all ASCII (IRIs are percent-encoded), without spaces."""
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc) and value.isascii() and not re.search(r"\s", value)


@_formats.checks("date-time", raises=ValueError)
def _is_rfc3339(value: str) -> bool:
    """A date and time with an offset, as RFC 3339 writes it."""
    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"
    return bool(re.fullmatch(pattern, value)) and dt.datetime.fromisoformat(value).tzinfo is not None


def feed_files(public: Path) -> list[Path]:
    """Every feed a build wrote: the site's, each term's, each show's."""
    return sorted(p for p in public.rglob("*") if p.name in FEED_NAMES)


def json_feed(path: Path) -> dict:
    """A JSON Feed, checked against the JSON Feed 1.1 schema."""
    feed = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA, format_checker=_formats).validate(feed)
    return feed


def xml_feed(path: Path) -> feedparser.FeedParserDict:
    """An RSS or Atom feed as feedparser reads it, which must not have complained."""
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, f"{path}: {feed.bozo_exception}"
    return feed


def entry_html(path: Path) -> list[str]:
    """The HTML of every entry of a feed, as written (feedparser would resolve relative links itself)."""
    if path.suffix == ".json":
        return [item.get("content_html", "") for item in json_feed(path)["items"]]
    root = ElementTree.fromstring(path.read_bytes())
    if root.tag == f"{ATOM}feed":
        return [entry.findtext(f"{ATOM}content") or "" for entry in root.iter(f"{ATOM}entry")]
    found = []
    for item in root.iter("item"):
        found += [item.findtext("description") or "", item.findtext(CONTENT_ENCODED) or ""]
    return found


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in LINK_ATTRIBUTES and value is not None:
                candidates = re.split(r",\s+", value.strip()) if name == "srcset" else [value]
                self.urls += [c.split()[0] if name == "srcset" else c for c in candidates if c]


def links(html: str) -> list[str]:
    """Every URL an element of `html` refers to (href, src, each srcset candidate, poster...)."""
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser.urls


def relative_links(html: str) -> list[str]:
    """The URLs of `html` that a feed reader would resolve against the feed instead of the post."""
    found = []
    for url in links(html):
        parts = urlsplit(url)
        if not parts.scheme or parts.scheme in ("http", "https") and not parts.netloc:
            found.append(url)
    return found


def check_feeds(public: Path) -> list[Path]:
    """Parse every feed under `public` and assert that no entry holds a relative link; the feeds checked."""
    feeds = feed_files(public)
    assert feeds, f"no feeds under {public}"
    for path in feeds:
        if path.suffix != ".json":
            xml_feed(path)
        for html in entry_html(path):
            assert not relative_links(html), f"{path.relative_to(public)}: relative links {relative_links(html)}"
    return feeds
