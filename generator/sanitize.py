"""Making remote HTML safe: every reply, mention and comment passes through here before it is stored.

nh3 (the Ammonia sanitiser) keeps a small set of text-level tags, drops scripts, styles, event
handlers and unsafe URL schemes, and marks every link rel="nofollow ugc noopener".
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3

TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "cite",
    "code",
    "del",
    "em",
    "i",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "u",
    "ul",
}
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "blockquote": {"cite"}, "q": {"cite"}}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_TEXT = 20_000  # characters of text kept from one response


def clean_html(html: str) -> str:
    """Remote HTML reduced to safe text-level markup, links marked nofollow ugc."""
    return nh3.clean(
        html[: MAX_TEXT * 4],
        tags=TAGS,
        clean_content_tags={"script", "style", "template", "iframe", "object", "noscript"},
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    ).strip()


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """Plain remote text with control characters removed, cut to `limit` characters."""
    kept = "".join(ch for ch in text if ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127))
    return kept.strip()[:limit]


def clean_url(url: object) -> str:
    """`url` if it is an absolute http(s) URL, else "" (remote data may carry javascript: and worse)."""
    if not isinstance(url, str):
        return ""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in url for c in "\x00\n\r\t <>\"'"):
        return ""
    return url[:2000]
