"""The Mastodon API behind `syndicate.py` and `backfeed.py`: requests and their errors, server limits, media,
finding a copy, pages.

Dicts live only here, at the API edge: responses become `Limits`, `Copy` or plain ids. Every
request goes through the HttpClient; error messages carry the server's own words, shortened and
with every credential value blanked out.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from urllib3 import encode_multipart_formdata

from generator.config import TargetSettings
from generator.errors import NetworkError
from generator.http import HttpClient, Response
from generator.platforms.base import Copy, ErrorStyle, Media, PlatformError, clean_message, json_object, reply_error

log = logging.getLogger(__name__)

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}")
_LINK_VALUE = re.compile(r"<([^>]*)>([^,<]*)")
_REL = re.compile(r"""(?i)\brel\s*=\s*(?:"([^"]*)"|([^;,\s]+))""")
ERRORS = ErrorStyle(stored_after=(502, 504))  # Mastodon's own 500 comes before anything is stored


@dataclass(frozen=True)
class Limits:
    """What one server accepts in a status (Mastodon's defaults unless the instance says otherwise)."""

    max_characters: int = 500
    url_weight: int = 23  # every URL counts as this many characters
    max_media: int = 4
    image_size_limit: int = 16 * 1024 * 1024  # bytes
    description_limit: int = 1500  # characters of alt text
    mime_types: tuple[str, ...] = IMAGE_TYPES


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def parse_limits(data: Any) -> Limits:
    """Limits from a /api/v2/instance or /api/v1/instance answer (Mastodon, Pleroma, GoToSocial shapes)."""
    if not isinstance(data, dict):
        return Limits()
    config = json_object(data.get("configuration"))
    statuses, media = json_object(config.get("statuses")), json_object(config.get("media_attachments"))
    types = media.get("supported_mime_types")
    images = tuple(t for t in types if isinstance(t, str) and t.startswith("image/")) if isinstance(types, list) else ()
    default = Limits()
    return Limits(
        max_characters=_int(statuses.get("max_characters"), _int(data.get("max_toot_chars"), default.max_characters)),
        url_weight=_int(statuses.get("characters_reserved_per_url"), default.url_weight),
        max_media=_int(statuses.get("max_media_attachments"), default.max_media),
        image_size_limit=_int(media.get("image_size_limit"), _int(data.get("upload_limit"), default.image_size_limit)),
        description_limit=_int(
            media.get("description_limit"), _int(data.get("description_limit"), default.description_limit)
        ),
        mime_types=images or default.mime_types,
    )


def primary_language(tag: str) -> str | None:
    """The ISO 639 code Mastodon takes from a language tag ("zh-CN" -> "zh"), or None."""
    primary = re.split(r"[-_]", tag.strip(), maxsplit=1)[0]
    return primary.lower() if _LANGUAGE.fullmatch(primary) else None


def http_error(
    response: Response, name: str, action: str, *, secrets: Iterable[str] = (), unknown_outcome: bool = False
) -> PlatformError:
    """The PlatformError for an unsuccessful Mastodon answer, through the one path (`reply_error`)."""
    return reply_error(response, name, action, style=ERRORS, secrets=secrets, unknown_outcome=unknown_outcome)


class Api:
    """Requests to one Mastodon server for one target: the Bearer token, and errors as PlatformError."""

    def __init__(self, target: TargetSettings, client: HttpClient, token: str | None = None) -> None:
        self.name = target.name
        self.base = target.instance.rstrip("/")
        self.client = client
        self.token = token
        self.secrets: list[str] = [token] if token else []  # blanked out of every message
        if not self.base:
            raise PlatformError(f"{self.name}: no `instance` set for this Mastodon target", temporary=False)

    def call(
        self,
        method: str,
        path: str,
        action: str,
        *,
        unknown_outcome: bool = False,
        accept: tuple[int, ...] = (),
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Response:
        """One request; other than 2xx (or `accept`) answers and network failures raise PlatformError."""
        sent = dict(headers or {})
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        try:
            response = self.client.request(method, self.base + path, headers=sent, **kwargs)
        except NetworkError as exc:
            reason = clean_message(exc.problems[0].message if exc.problems else "network failure", self.secrets)
            raise PlatformError(
                f"{self.name}: {action} failed: {reason}", temporary=True, unknown_outcome=unknown_outcome
            ) from None
        if response.status not in accept:
            self.check(response, action, unknown_outcome=unknown_outcome)
        return response

    def check(self, response: Response, action: str, *, unknown_outcome: bool = False) -> None:
        """Raise the PlatformError an unsuccessful answer means (in the server's words, whatever its Content-Type)."""
        if 200 <= response.status < 300:
            return
        raise http_error(response, self.name, action, secrets=self.secrets, unknown_outcome=unknown_outcome)

    def json(self, response: Response, action: str) -> dict[str, Any]:
        """The answer's JSON object, or a temporary PlatformError when the server sent something else."""
        try:
            data = response.json()
        except NetworkError:
            data = None
        if not isinstance(data, dict):
            raise PlatformError(f"{self.name}: {action}: the server's answer was not a JSON object", temporary=True)
        return data


def fetch_limits(api: Api) -> Limits:
    """The server's limits: /api/v2/instance, else /api/v1/instance, else Mastodon's defaults."""
    for path in ("/api/v2/instance", "/api/v1/instance"):
        try:
            response = api.call("GET", path, "reading the server's limits")
            return parse_limits(response.json())
        except PlatformError as exc:
            if exc.temporary:
                raise
        except NetworkError:  # not JSON: not a Mastodon-like API at this path
            pass
    log.warning("%s: the server publishes no limits; using Mastodon's defaults", api.name)
    return Limits()


def upload(api: Api, media: Media, polls: int, wait: float) -> str:
    """Upload one image with its alt text (POST /api/v2/media), waiting until it is processed; its id."""
    try:
        data = media.path.read_bytes()
    except OSError as exc:
        raise PlatformError(
            f"{api.name}: cannot read the image {media.path.name} ({exc.strerror})", temporary=False
        ) from None
    fields: list[tuple[str, Any]] = [("file", (media.path.name, data, media.mime))]
    if media.alt:
        fields.append(("description", media.alt))
    body, content_type = encode_multipart_formdata(fields)
    action = f"uploading {media.path.name}"
    response = api.call("POST", "/api/v2/media", action, data=body, headers={"Content-Type": content_type})
    attachment = api.json(response, action)
    media_id = str(attachment.get("id") or "")
    if not media_id:
        raise PlatformError(f"{api.name}: {action}: the server gave no media id", temporary=True)
    for _ in range(polls):
        if response.status == 200 and attachment.get("url"):
            return media_id
        time.sleep(wait)
        log.debug("%s: %s is still processing", api.name, media.path.name)
        response = api.call("GET", f"/api/v1/media/{media_id}", f"checking {media.path.name}")
        attachment = api.json(response, action)
    if response.status == 200 and attachment.get("url"):
        return media_id
    raise PlatformError(
        f"{api.name}: {media.path.name} is still being processed by the server; try again later", temporary=True
    )


def fingerprint(media: Media) -> str:
    """A digest of an image's bytes: an edit re-uploads only images whose fingerprint is new ("" when unreadable)."""
    try:
        return hashlib.sha256(media.path.read_bytes()).hexdigest()[:32]
    except OSError:
        return ""


def attached(copy: Copy) -> list[tuple[str, str]]:
    """The (media id, fingerprint) of each attachment of a copy's status (kept in the outbox as `extra["media"]`)."""
    try:
        pairs = json.loads(copy.extra.get("media") or "[]")
    except ValueError:
        return []
    if not isinstance(pairs, list):
        return []
    return [(str(p[0]), str(p[1])) for p in pairs if isinstance(p, list) and len(p) == 2]


def with_media(copy: Copy, media: list[tuple[str, str]]) -> Copy:
    """`copy` remembering the (media id, fingerprint) of each attachment of its status."""
    extra = {k: v for k, v in copy.extra.items() if k != "media"}
    if media:
        extra["media"] = json.dumps([list(pair) for pair in media])
    return Copy(id=copy.id, url=copy.url, extra=extra)


def copy_of(status: Mapping[str, Any]) -> Copy:
    """The Copy for a Status entity."""
    return Copy(id=str(status["id"]), url=str(status.get("url") or status.get("uri") or ""))


def links_home(status: Mapping[str, Any], url: str) -> bool:
    """Whether a status (not a boost) links `url`: Mastodon renders it HTML-escaped in an href."""
    if status.get("reblog") or "id" not in status:
        return False
    content = str(status.get("content") or "")
    return any(html.unescape(a or b) == url for a, b in _HREF.findall(content))


def next_page(response: Response, base: str) -> str | None:
    """The path and query of the page a Link header marks rel="next", when it is on `base` (never elsewhere:
    the Bearer token goes with it); None on the last page."""
    for value in response.header_values("Link"):
        for target, params in _LINK_VALUE.findall(value):
            rel = _REL.search(params)
            if rel and "next" in (rel.group(1) or rel.group(2) or "").lower().split():
                url = urljoin(response.url, target.strip())
                return url[len(base) :] if url.startswith(base + "/") else None
    return None
