"""The wire details of Micropub and IndieAuth for the Micropub platform (syndicate.py).

Micropub (W3C Recommendation, 23 May 2017): errors are JSON `{"error", "error_description"}`
(section 3.8), the media endpoint takes one multipart part named `file` and answers 201 with a
Location (3.6). IndieAuth (Living Standard, 11 July 2024): the user's URL links its server metadata
(`rel=indieauth-metadata`, section 4.1) or, on older servers, `rel=authorization_endpoint` and
`rel=token_endpoint`; the client proves the code with PKCE S256 (5.2, 5.3). Nothing here logs or
puts a token, code or verifier in a message.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3

from generator.errors import NetworkError
from generator.http import HttpClient, Response
from generator.platforms.base import ErrorStyle, PlatformError, reply_error
from generator.redaction import redact
from generator.syndication.fitting import URL

_SPACE = re.compile(r"[\t\n\f\r ]+")


# --- responses and errors ----------------------------------------------------------------------

ERRORS = ErrorStyle()  # Micropub's errors are JSON `error_description` or `error` (section 3.8): what body_words reads


def http_error(
    response: Response, name: str, action: str, *, secrets: Iterable[str] = (), unknown_outcome: bool = False
) -> PlatformError:
    """The PlatformError for a failed Micropub answer (any status but success), through the one path (`reply_error`)."""
    return reply_error(response, name, action, style=ERRORS, secrets=secrets, unknown_outcome=unknown_outcome)


def network_error(exc: NetworkError, name: str, action: str, *, unknown_outcome: bool = False) -> PlatformError:
    """The PlatformError for a request that failed on the way (timeout, dropped connection)."""
    reason = exc.problems[0].message if exc.problems else "request failed"
    suffix = "; the server may have stored it" if unknown_outcome else ""
    return PlatformError(f"{name}: {action}: {reason}{suffix}", temporary=True, unknown_outcome=unknown_outcome)


def location(response: Response) -> str | None:
    """The absolute URL in the Location header, or None."""
    value = response.headers.get("Location", "").strip()
    return urljoin(response.url, value) if value else None


def multipart(filename: str, mime: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with one part named `file`, and its Content-Type."""
    return urllib3.encode_multipart_formdata({"file": (filename, data, mime)})


def urls_in(value: Any) -> set[str]:
    """Every http(s) URL in a microformats2 JSON value (strings, HTML, nested objects)."""
    found: set[str] = set()
    if isinstance(value, str):
        found |= {url.rstrip(".,;:!?)'") for url in URL.findall(html.unescape(value))}
    elif isinstance(value, dict):
        for item in value.values():
            found |= urls_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= urls_in(item)
    return found


# --- IndieAuth ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthServer:
    """What a user's URL says about where to sign in."""

    me: str  # the profile URL, after permanent redirects
    authorization_endpoint: str
    token_endpoint: str
    issuer: str = ""  # from the metadata; empty for the older rel links
    micropub: str = ""  # the Micropub endpoint the site advertises, if any


def canonical_url(text: str) -> str:
    """The user's URL with a scheme and a path (IndieAuth section 3.4)."""
    text = text.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PlatformError(f"not a web address: {redact(text)}", temporary=False)
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


def discover(client: HttpClient, url: str) -> AuthServer:
    """The IndieAuth server of `url`: its metadata document, else the older endpoint links."""
    try:
        page = client.get(url)
        links = rel_links(page)
        if "indieauth-metadata" in links:
            metadata = client.get(links["indieauth-metadata"], headers={"Accept": "application/json"})
            data = metadata.json() if metadata.status == 200 else None
            if not isinstance(data, dict):
                message = f"{redact(url)}: its IndieAuth metadata could not be read (HTTP {metadata.status})"
                raise PlatformError(message, temporary=False)
            links = {
                **links,
                **{
                    k: urljoin(metadata.url, str(v))
                    for k, v in data.items()
                    if k in ("authorization_endpoint", "token_endpoint") and v
                },
            }
            links["issuer"] = str(data.get("issuer") or "")
    except NetworkError as exc:
        raise PlatformError(f"{redact(url)}: {exc.problems[0].message}", temporary=True) from None
    if not links.get("authorization_endpoint") or not links.get("token_endpoint"):
        message = f"{redact(url)} names no IndieAuth authorization and token endpoints; paste a token instead"
        raise PlatformError(message, temporary=False)
    return AuthServer(
        url,
        links["authorization_endpoint"],
        links["token_endpoint"],
        issuer=links.get("issuer", ""),
        micropub=links.get("micropub", ""),
    )


_RELS = ("indieauth-metadata", "authorization_endpoint", "token_endpoint", "micropub")


def rel_links(page: Response) -> dict[str, str]:
    """The first URL of each IndieAuth rel: Link headers first, then <link> elements (absolute URLs)."""
    found: dict[str, str] = {}
    for value in page.header_values("Link"):
        for match in re.finditer(r"<([^>]*)>([^,<]*)", value):
            rel = re.search(r'(?i)\brel\s*=\s*(?:"([^"]*)"|([^;,\s]+))', match.group(2))
            for token in _SPACE.split(((rel.group(1) or rel.group(2)) if rel else "").lower()):
                if token in _RELS:
                    found.setdefault(token, urljoin(page.url, match.group(1).strip()))
    if "html" in page.headers.get("Content-Type", "text/html").lower():
        finder = _LinkFinder()
        finder.feed(page.text)
        for name, href in finder.links:
            found.setdefault(name, urljoin(page.url, href))
    return found


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in reversed(attrs)}
        if tag == "link" and values.get("href"):
            rels = _SPACE.split(values.get("rel", "").lower())
            self.links += [(rel, values["href"].strip()) for rel in rels if rel in _RELS]


def pkce() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
