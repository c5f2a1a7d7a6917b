"""Verifying one webmention: fetch the source, check that it links the target, and read what it says.

Per the W3C Webmention Recommendation 3.2.2. The source is fetched through the one HttpClient
(private-address guard, timeouts, size cap, redirect limit). What its answer means:

- 2xx: the document must link the target exactly: an `href` or `src` attribute equal to the target
  (HTML), a property value equal to it (JSON), the URL standing on its own in the text (text/plain).
  No link: "delete". A link: "accept", with a Response read from its microformats (mf2py).
- 410 or 404, or any other 4xx but 408 and 429: "delete" (the worker deletes a stored mention).
- 408, 429, 5xx, or a network failure: "retry" later.
- refused by the network guard, too large, too many redirects: "reject"; nothing is stored or deleted.

Everything in the source is hostile: HTML goes through clean_html, text through clean_text
(capped), and every URL through clean_url.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import urlsplit

import mf2py

from generator.errors import NetworkError
from generator.http import HttpClient
from generator.model import Response, ResponseAuthor, ResponseType
from generator.sanitize import clean_html, clean_text, clean_url
from generator.sitedata.responses import parse_time

Outcome = Literal["accept", "delete", "retry", "reject"]

ACCEPT = "text/html, application/xhtml+xml;q=0.9, application/json;q=0.8, text/plain;q=0.7, */*;q=0.1"
HTML_TYPES = ("text/html", "application/xhtml+xml")
# The first that names the target decides.
PROPERTY_TYPES: tuple[tuple[str, ResponseType], ...] = (
    ("in-reply-to", "reply"),
    ("like-of", "like"),
    ("repost-of", "repost"),
    ("bookmark-of", "bookmark"),
)
PERMANENT_FAILURES = (
    "refused",
    "unsupported URL scheme",
    "not a valid URL",
    "response larger than",
    "too many redirects",
)
NAME_LIMIT = 500
AUTHOR_LIMIT = 200


@dataclass(frozen=True)
class Verdict:
    """What checking a source found: accept (with the response), delete, retry later, or reject."""

    outcome: Outcome
    reason: str  # a short phrase for the queue's record and the log
    response: Response | None = None


def verify(client: HttpClient, source: str, target: str, *, now: dt.datetime | None = None) -> Verdict:
    """Fetch `source` and judge whether it mentions `target`, and how."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        reply = client.get(source, headers={"Accept": ACCEPT})
    except NetworkError as exc:
        message = exc.problems[0].message
        outcome: Outcome = "reject" if message.startswith(PERMANENT_FAILURES) else "retry"
        return Verdict(outcome, message)
    status = reply.status
    if status in (408, 429) or status >= 500:
        return Verdict("retry", f"source answered {status}")
    if status in (404, 410):
        return Verdict("delete", f"source answered {status} ({'gone' if status == 410 else 'not found'})")
    if not 200 <= status < 300:
        return Verdict("delete", f"source answered {status}")
    kind = reply.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    text = reply.text
    if not links_to(text, kind, target):
        return Verdict("delete", "source does not link to the target")
    if kind and kind not in HTML_TYPES:
        author = _host_author(reply.url)
        response = Response(
            id=source,
            type="mention",
            source=source,
            target=target,
            author=author,
            published=now,
            verified=now,
            platform="web",
        )
        return Verdict("accept", "verified mention", response)
    response = read_response(text, reply.url, source, target, now)
    return Verdict("accept", f"verified {response.type}", response)


# --- does the source link the target? ----------------------------------------------------------


def links_to(text: str, content_type: str, target: str) -> bool:
    """True if a document of this type links `target` exactly."""
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            return any(value == target for value in _json_strings(json.loads(text)))
        except ValueError:
            return False
    if content_type == "text/plain":
        return _text_mentions(text, target)
    if content_type and content_type not in HTML_TYPES:
        return False
    collector = _LinkCollector()
    collector.feed(text)
    collector.close()
    return target in collector.urls


class _LinkCollector(HTMLParser):
    """Every href and src attribute value of a document (comments and script text are not markup)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls.update(value.strip() for name, value in attrs if name in ("href", "src") and value)

    handle_startendtag = handle_starttag


def _json_strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item.strip()
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _text_mentions(text: str, target: str) -> bool:
    """The URL in plain text, not as the start of a longer URL (trailing punctuation allowed)."""
    pattern = r"(?:^|(?<=[\s<(\[\"']))" + re.escape(target) + r"(?=$|[\s>)\]\"']|[.,;:!?]+(?:$|\s))"
    return re.search(pattern, text) is not None


# --- what does the source say? -----------------------------------------------------------------


def read_response(html: str, url: str, source: str, target: str, now: dt.datetime) -> Response:
    """The Response a source page makes for `target`, from its microformats (defaults where it has none)."""
    parsed = mf2py.parse(doc=html, url=url)
    items = [item for item in parsed.get("items", []) if isinstance(item, dict)]
    entry, feed = _find_entry(items, (source, url))
    props = entry.get("properties", {}) if entry else {}
    kind, replied = _classify(props, target)
    author = _author(props.get("author")) or (_author(feed.get("properties", {}).get("author")) if feed else None)
    author = author or _representative_card(items, parsed.get("rels", {}), (source, url)) or _host_author(url)
    html_content, text_content = _content(props)
    name = _one_line(_text(props, "name"), NAME_LIMIT)
    if kind in ("like", "repost") or " ".join(name.split()) == " ".join(text_content.split()):
        name = ""
    return Response(
        id=source,
        type=kind,
        source=source,
        target=target,
        author=author,
        content_html=html_content,
        content_text=text_content,
        name=name,
        published=_time(props, "published") or now,
        updated=_time(props, "updated"),
        verified=now,
        platform="web",
        in_reply_to=replied,
    )


def _find_entry(items: list[dict], urls: tuple[str, ...]) -> tuple[dict | None, dict | None]:
    """The h-entry that is the page (its u-url is the page), else the first one, top-level or in an h-feed."""
    found: list[tuple[dict, dict | None]] = []
    for item in items:
        if "h-entry" in item.get("type", []):
            found.append((item, None))
        elif "h-feed" in item.get("type", []):
            found += [(child, item) for child in item.get("children", []) if "h-entry" in child.get("type", [])]
    for entry, feed in found:
        if any(url in urls for url in _urls(entry.get("properties", {}), "url")):
            return entry, feed
    return found[0] if found else (None, None)


def _classify(props: dict, target: str) -> tuple[ResponseType, str]:
    """The response type for `target`, and the in-reply-to URL it keeps (the target when it is one of them)."""
    kind: ResponseType = "mention"
    for prop, candidate in PROPERTY_TYPES:
        if target in _urls(props, prop):
            kind = candidate
            break
    replies = [url for url in (clean_url(u) for u in _urls(props, "in-reply-to")) if url]
    replied = target if target in replies else (replies[0] if replies else "")
    return kind, replied


def _urls(props: dict, key: str) -> list[str]:
    """The URLs of a property: plain values, or the u-url (else value) of embedded h-cites."""
    urls: list[str] = []
    for value in props.get(key, []) if isinstance(props.get(key), list) else []:
        if isinstance(value, str):
            urls.append(value.strip())
        elif isinstance(value, dict):
            inner = value.get("properties", {}).get("url") if isinstance(value.get("properties"), dict) else None
            if isinstance(inner, list) and inner:
                urls += [u.strip() for u in inner if isinstance(u, str)]
            elif isinstance(value.get("value"), str):
                urls.append(value["value"].strip())
    return urls


def _author(values: Any) -> ResponseAuthor | None:
    """An author from an author property: an h-card, a URL or a name."""
    if not isinstance(values, list) or not values:
        return None
    value = values[0]
    if isinstance(value, str):
        url = clean_url(value)
        return _card("" if url else value, url, "")
    if isinstance(value, dict) and isinstance(value.get("properties"), dict):
        props = value["properties"]
        urls = [clean_url(u) for u in _urls(props, "url")]
        photo = props.get("photo", [None])[0] if isinstance(props.get("photo"), list) and props["photo"] else None
        photo = photo.get("value") if isinstance(photo, dict) else photo
        return _card(
            _text(props, "name") or str(value.get("value") or ""), next((u for u in urls if u), ""), clean_url(photo)
        )
    return None


def _card(name: str, url: str, photo: str) -> ResponseAuthor | None:
    name = _one_line(name, AUTHOR_LIMIT) or (urlsplit(url).hostname or "" if url else "")
    return ResponseAuthor(name=name, url=url, photo=photo) if name or url else None


def _representative_card(items: list[dict], rels: dict, urls: tuple[str, ...]) -> ResponseAuthor | None:
    """The page's representative h-card: its url and uid are the page, its url is rel=me, or it is the only one."""
    cards = [item for item in items if "h-card" in item.get("type", [])]
    me = set(rels.get("me", [])) if isinstance(rels.get("me"), list) else set()
    for card in cards:
        props = card.get("properties", {})
        card_urls, uids = set(_urls(props, "url")), set(_urls(props, "uid"))
        if (card_urls & uids & set(urls)) or (card_urls & me):
            return _author([card])
    only = [card for card in cards if set(_urls(card.get("properties", {}), "url")) & set(urls)]
    return _author(only) if len(cards) == 1 and only else None


def _host_author(url: str) -> ResponseAuthor:
    parts = urlsplit(url)
    return ResponseAuthor(name=parts.hostname or "", url=clean_url(f"{parts.scheme}://{parts.netloc}/"))


def _content(props: dict) -> tuple[str, str]:
    """Sanitised HTML and plain text of e-content (or p-content, or p-summary)."""
    for key in ("content", "summary"):
        values = props.get(key)
        if not isinstance(values, list) or not values:
            continue
        value = values[0]
        if isinstance(value, dict):
            html = clean_html(str(value.get("html") or "")) if value.get("html") else ""
            return html, clean_text(str(value.get("value") or ""))
        if isinstance(value, str):
            return "", clean_text(value)
    return "", ""


def _text(props: dict, key: str) -> str:
    values = props.get(key)
    if not isinstance(values, list) or not values:
        return ""
    value = values[0]
    return str(value.get("value") or "") if isinstance(value, dict) else str(value)


def _one_line(text: str, limit: int) -> str:
    return clean_text(" ".join(text.split()), limit)


def _time(props: dict, key: str) -> dt.datetime | None:
    try:
        return parse_time(_text(props, key) or None, key)
    except ValueError:
        return None
