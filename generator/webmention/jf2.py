"""Mentions as jf2 (https://jf2.spec.indieweb.org/), the shape webmention.io and our receiver's API share.

Each entry carries webmention.io's `wm-*` properties: `wm-property` says what kind of response it
is (in-reply-to, like-of, repost-of, bookmark-of, mention-of), `wm-source` and `wm-target` the pair.
Our receiver adds `deleted: true` for a mention that was withdrawn, so a puller can remove it.
Everything read from jf2 is remote input: HTML is sanitised and URLs checked here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from generator.model import Response, ResponseAuthor, ResponseType
from generator.sanitize import clean_html, clean_text, clean_url
from generator.sitedata.responses import parse_time

PROPERTY_TYPES: dict[str, ResponseType] = {
    "in-reply-to": "reply",
    "like-of": "like",
    "repost-of": "repost",
    "bookmark-of": "bookmark",
    "mention-of": "mention",
    "quotation-of": "quote",
    "rsvp": "reply",
    "comment": "comment",
}
TYPE_PROPERTIES = {
    "reply": "in-reply-to",
    "like": "like-of",
    "repost": "repost-of",
    "bookmark": "bookmark-of",
    "mention": "mention-of",
    "quote": "quotation-of",
    "comment": "comment",
}


def response_to_jf2(
    response: Response, *, received: dt.datetime | None = None, deleted: bool = False
) -> dict[str, Any]:
    """One response as a jf2 entry with webmention.io's wm-* properties."""
    prop = TYPE_PROPERTIES[response.type]
    entry: dict[str, Any] = {
        "type": "entry",
        "wm-property": prop,
        "wm-source": response.source,
        "wm-target": response.target,
        "url": response.source,
        "author": {"type": "card", **{k: v for k, v in vars(response.author).items() if v}},
        prop: response.target,
    }
    if received is not None:
        entry["wm-received"] = received.isoformat()
    if deleted:
        entry["deleted"] = True
    optional = {
        "name": response.name,
        "published": _iso(response.published),
        "updated": _iso(response.updated),
        "wm-verified": _iso(response.verified),
    }
    entry.update({k: v for k, v in optional.items() if v})
    if response.in_reply_to:  # a comment answering another response: Homepost's own property
        entry["homepost-in-reply-to"] = response.in_reply_to
    if response.url and response.url != response.source:
        entry["url"] = response.url
    if response.platform != "web":
        entry["homepost-platform"] = response.platform
    if response.content_html or response.content_text:
        entry["content"] = {"html": response.content_html, "text": response.content_text}
    return entry


def response_from_jf2(entry: dict[str, Any]) -> Response | None:
    """A response from one jf2 entry, or None for an entry that is private, deleted or not usable."""
    if not isinstance(entry, dict) or entry.get("wm-private") or entry.get("deleted"):
        return None
    source = clean_url(entry.get("wm-source") or entry.get("url"))  # url: the permalink, may differ (Bridgy)
    target = clean_url(entry.get("wm-target"))
    kind = PROPERTY_TYPES.get(str(entry.get("wm-property", "mention-of")))
    if not source or not target or kind is None:
        return None
    given_author = entry.get("author")
    author = given_author if isinstance(given_author, dict) else {}
    content = entry.get("content")
    html, text = (
        (content.get("html") or "", content.get("text") or "")
        if isinstance(content, dict)
        else ("", str(content or ""))
    )
    try:
        published = parse_time(entry.get("published") or entry.get("wm-received"), "published")
        updated = parse_time(entry.get("updated"), "updated")
        verified = parse_time(entry.get("wm-verified") or entry.get("wm-received"), "verified")
    except ValueError:
        published = updated = verified = None
    return Response(
        id=source,
        type=kind,
        source=source,
        target=target,
        author=ResponseAuthor(
            name=clean_text(str(author.get("name") or ""), 200),
            url=clean_url(author.get("url")),
            photo=clean_url(author.get("photo")),
        ),
        content_html=clean_html(str(html)) if html else "",
        content_text=clean_text(str(text)),
        name=clean_text(str(entry.get("name") or ""), 500),
        published=published,
        updated=updated,
        verified=verified,
        in_reply_to=clean_text(str(entry.get("homepost-in-reply-to") or ""), 2000),
        url=url if (url := clean_url(entry.get("url"))) != source else "",
        platform=clean_text(str(entry.get("homepost-platform") or "web"), 20),
    )


def withdrawn(entry: dict[str, Any]) -> tuple[str, str] | None:
    """The (source, target) of an entry that says its mention was deleted, else None."""
    if isinstance(entry, dict) and entry.get("deleted"):
        source, target = clean_url(entry.get("wm-source") or entry.get("url")), clean_url(entry.get("wm-target"))
        if source and target:
            return source, target
    return None


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
