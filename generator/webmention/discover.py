"""Webmention endpoint discovery (W3C Webmention Recommendation, section 3.1.2).

The sender GETs the target (never HEAD alone), following redirects, then looks in this order for:

1. the first HTTP `Link` header value whose rel has the token `webmention`: header name in any
   case, rel quoted or not, several rel tokens, several Link headers, several comma-separated
   values in one header (a comma inside `<...>` or a quoted parameter does not split them);
   tokens match whole and case-insensitively, so `webmention-not` is no match;
2. otherwise, when the final status is 2xx and the body is HTML (text/html, application/xhtml+xml,
   or no Content-Type), the first `<link>` or `<a>` in document order whose rel has the token:
   not inside comments, escaped text or script; one without href is skipped; `href=""` is the
   page itself; entities are decoded and surrounding whitespace stripped.

Relative endpoints resolve against the final URL after redirects; the query string is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from urllib.parse import urljoin

from generator.http import HttpClient

HTML_TYPES = ("text/html", "application/xhtml+xml")
_URL_NOISE = re.compile(r"[\t\n\r]")  # the URL standard drops these anywhere in a URL
_C0_OR_SPACE = "".join(chr(code) for code in range(0x21))  # ...and strips these at both ends
_ASCII_SPACE = re.compile(r"[\t\n\f\r ]+")  # separates rel tokens


class TargetUnavailable(Exception):
    """The target answered 429 or 5xx without naming an endpoint: whether it has one is not known yet."""

    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        super().__init__(f"the target answered {status}")
        self.status, self.headers = status, headers


def discover_endpoint(client: HttpClient, target: str) -> str | None:
    """The Webmention endpoint of `target` as an absolute URL, or None when it advertises none.

    Raises TargetUnavailable when the target asks to wait (429) or fails (5xx) and names no endpoint in
    its headers: that is a reason to try again later, not an answer.
    """
    response = client.get(target)
    endpoint = endpoint_from_link_headers(response.header_values("Link"), response.url)
    if endpoint is None and (response.status == 429 or response.status >= 500):
        raise TargetUnavailable(response.status, response.headers)
    if endpoint is None and 200 <= response.status < 300 and _is_html(response.headers.get("Content-Type")):
        endpoint = endpoint_from_html(response.text, response.url)
    return endpoint


def endpoint_from_link_headers(values: list[str], base: str) -> str | None:
    """The first rel=webmention URL among HTTP Link header values, resolved against `base`."""
    for value in values:
        for link in _split(value, ","):
            target, *params = _split(link, ";")
            target = target.strip()
            if not (target.startswith("<") and target.endswith(">")):
                continue  # not a link-value (RFC 8288 section 3)
            if "webmention" in _rel_tokens(params):
                return _resolve(base, target[1:-1])
    return None


def endpoint_from_html(html: str, base: str) -> str | None:
    """The href of the first <link> or <a> with rel=webmention in document order, resolved against `base`."""
    finder = _EndpointFinder()
    try:
        finder.feed(html)
        finder.close()
    except _Found as found:
        return _resolve(base, found.href)
    return None


def _is_html(content_type: str | None) -> bool:
    media_type = (content_type or "").partition(";")[0].strip().lower()
    return not media_type or media_type in HTML_TYPES


def _resolve(base: str, href: str) -> str:
    return urljoin(base, _URL_NOISE.sub("", href).strip(_C0_OR_SPACE))


def _split(text: str, separator: str) -> list[str]:
    """Split `text` at `separator`, but not inside <...> or a "quoted string"."""
    parts: list[str] = []
    current: list[str] = []
    quoted = angled = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"' and not angled:
            quoted = not quoted
        elif char in "<>" and not quoted:
            angled = char == "<"
        elif char == separator and not (quoted or angled):
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _rel_tokens(params: list[str]) -> list[str]:
    """The lower-cased tokens of the first rel parameter (later ones are ignored, RFC 8288 3.3)."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "rel":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            return _ASCII_SPACE.split(value.lower())
    return []


class _Found(Exception):
    def __init__(self, href: str) -> None:
        self.href = href


class _EndpointFinder(HTMLParser):
    """Raises _Found at the first <link> or <a> with an href and the rel token webmention."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("link", "a"):
            return
        first: dict[str, str] = {}
        for name, value in attrs:  # the first of a repeated attribute counts, as in browsers
            first.setdefault(name, value or "")
        if "href" in first and "webmention" in _ASCII_SPACE.split(first.get("rel", "").lower()):
            raise _Found(first["href"])
