"""AT Protocol plumbing for the Bluesky platform: XRPC calls and their errors, the cached session,
deterministic record keys (TIDs) and rich-text facets with UTF-8 byte offsets.

The session (accessJwt, refreshJwt, did, handle) is kept in the target's credentials under
`session`, because createSession is limited to 30 per 5 minutes and 300 a day: the access token is
reused, refreshed with refreshSession when it expires, and a new session is created only when the
refresh token is refused too. No token or password ever reaches a message or a log line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import regex

from generator.config import TargetSettings
from generator.errors import HomepostError, NetworkError
from generator.http import HttpClient, Response
from generator.platforms.base import (
    Credentials,
    ErrorStyle,
    PlatformError,
    body_words,
    clean_message,
    missing_credential,
    reply_error,
)
from generator.syndication.fitting import ELLIPSIS, URL, grapheme_length, utf8_length

log = logging.getLogger(__name__)

POST = "app.bsky.feed.post"
MAX_GRAPHEMES = 300  # app.bsky.feed.post#text maxGraphemes
MAX_BYTES = 3000  # app.bsky.feed.post#text maxLength (UTF-8 bytes)
MAX_BLOB = 1_000_000  # images and link-card thumbnails
MAX_IMAGES = 4
MAX_TAGS = 8  # the record's `tags`
MAX_TAG_GRAPHEMES = 64
LINK, TAG, MENTION = (f"app.bsky.richtext.facet#{kind}" for kind in ("link", "tag", "mention"))
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID = re.compile(r"[234567a-j][234567a-z]{12}")
_TOKEN_ERRORS = ("ExpiredToken", "InvalidToken")

# A hashtag starts after whitespace (or at the start) and holds at least one non-digit.
HASHTAG = regex.compile(r"(?<!\S)[#＃]([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)")
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
MENTION_RE = regex.compile(rf"(?<![^\s(])@((?:{_LABEL}\.)+[a-zA-Z](?:[a-zA-Z0-9-]{{0,61}}[a-zA-Z0-9])?)(?![\w-])")
_TRAILING = ".,;:!?\"'»”’)]}"


# --- lengths, record keys, dates ---------------------------------------------------------------


def measure(text: str) -> int:
    """Length against both limits of a post: graphemes, or UTF-8 bytes scaled so 3000 bytes count as 300."""
    return max(grapheme_length(text), -(-utf8_length(text) * MAX_GRAPHEMES // MAX_BYTES))


def encode_tid(value: int) -> str:
    """A 63-bit integer as a 13-character base32-sortable TID."""
    return "".join(TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def is_tid(text: str) -> bool:
    """True for a syntactically valid TID."""
    return bool(_TID.fullmatch(text))


def record_key(published: dt.datetime, key: str) -> str:
    """The post's record key: a TID of its publication second, with the microseconds and the clock id
    taken from a hash of `key`, so the same entry always gets the same key and a retry cannot duplicate it."""
    seed = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    moment = published if published.tzinfo else published.replace(tzinfo=dt.UTC)
    seconds = max(int(moment.timestamp()), 0)
    micros = (seconds * 1_000_000 + (seed >> 10) % 1_000_000) & ((1 << 53) - 1)
    return encode_tid((micros << 10) | (seed & 0x3FF))


def datetime_z(moment: dt.datetime) -> str:
    """An atproto datetime: UTC, milliseconds, 'Z'."""
    utc = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


# --- facets ------------------------------------------------------------------------------------


def find_links(text: str) -> list[tuple[int, int, str]]:
    """(start, end, uri) in characters of each whole http(s) URL in `text`, trailing punctuation left out."""
    found = []
    for match in URL.finditer(text):
        url = match.group()
        if url.endswith(ELLIPSIS):  # cut by shortening: linking half a URL would mislead
            continue
        while url and url[-1] in _TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
            url = url[:-1]
        if "://" in url and url.split("://", 1)[1]:
            found.append((match.start(), match.start() + len(url), url))
    return found


def find_mentions(text: str) -> list[str]:
    """The handles @mentioned in `text`, lower-cased, in order, once each."""
    return list(dict.fromkeys(m.group(1).lower() for m in MENTION_RE.finditer(text)))


def find_hashtags(text: str) -> list[str]:
    """The hashtags in `text` without '#', in order."""
    return [m.group(1) for m in HASHTAG.finditer(text)]


def facets(text: str, dids: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """app.bsky.richtext.facet objects for every link, hashtag and resolved @mention, by UTF-8 byte offsets."""
    spans = [(s, e, {"$type": LINK, "uri": uri}) for s, e, uri in find_links(text)]
    links = [(s, e) for s, e, _ in spans]

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in links)

    for match in HASHTAG.finditer(text):
        tag = match.group(1)
        if grapheme_length(tag) <= MAX_TAG_GRAPHEMES and free(match.start(), match.end()):
            spans.append((match.start(), match.end(), {"$type": TAG, "tag": tag}))
    for match in MENTION_RE.finditer(text):
        did = dids.get(match.group(1).lower())
        if did and free(match.start(), match.end()):
            spans.append((match.start(), match.end(), {"$type": MENTION, "did": did}))
    spans.sort(key=lambda span: span[0])
    return [
        {"index": {"byteStart": utf8_length(text[:s]), "byteEnd": utf8_length(text[:e])}, "features": [feature]}
        for s, e, feature in spans
    ]


# --- XRPC --------------------------------------------------------------------------------------


def xrpc(
    client: HttpClient,
    base: str,
    method: str,
    nsid: str,
    *,
    token: str | None = None,
    params: Mapping[str, str] | None = None,
    json_body: Any = None,
    data: bytes | None = None,
    content_type: str | None = None,
) -> Response:
    """One XRPC request to `base`/xrpc/`nsid`; NetworkError when it fails below HTTP."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if content_type:
        headers["Content-Type"] = content_type
    url = f"{base.rstrip('/')}/xrpc/{nsid}"
    return client.request(method, url, headers=headers, params=params, json=json_body, data=data)


def query(
    client: HttpClient,
    base: str,
    nsid: str,
    params: Mapping[str, str] | None = None,
    *,
    token: str | None = None,
    name: str = "bluesky",
    missing: Collection[str] = (),
) -> Any:
    """An XRPC GET (e.g. app.bsky.feed.getPostThread on the AppView) returning its JSON, or PlatformError;
    None when the answer is 404, 410, or 400 with one of the `missing` error names (e.g. "NotFound")."""
    try:
        response = xrpc(client, base, "GET", nsid, token=token, params=params)
        if response.status == 200:
            return response.json()
    except NetworkError as exc:
        raise PlatformError(f"{nsid} failed for {name}: {exc.problems[0].message}", temporary=True) from None
    except RecursionError:  # JSON nested deeper than Python parses
        raise PlatformError(f"{nsid} for {name} answered JSON nested too deeply", temporary=True) from None
    if missing and (response.status in (404, 410) or (response.status == 400 and error_of(response)[0] in missing)):
        return None
    raise http_error(response, name, nsid)


def error_of(response: Response) -> tuple[str, str]:
    """The XRPC error name and message of a response ("" where it has none)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), str(body.get("message") or "")


def is_auth_failure(response: Response) -> bool:
    """True when the token was refused: 401, or 400 ExpiredToken / InvalidToken."""
    return response.status == 401 or (response.status == 400 and error_of(response)[0] in _TOKEN_ERRORS)


def error_words(response: Response) -> str:
    """What an XRPC error answer says: its error name and message, else any body's text."""
    return ": ".join(part for part in error_of(response) if part) or body_words(response)


ERRORS = ErrorStyle(words=error_words)


def http_error(
    response: Response, name: str, action: str, *, secrets: Iterable[str] = (), unknown_outcome: bool = False
) -> PlatformError:
    """The PlatformError for an XRPC error response, through the one path (`reply_error`)."""
    return reply_error(response, name, action, style=ERRORS, secrets=secrets, unknown_outcome=unknown_outcome)


# --- the session -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """A logged-in session: whose it is and its two tokens (never shown in a repr)."""

    did: str
    handle: str
    access_jwt: str = field(repr=False)
    refresh_jwt: str = field(repr=False)

    @classmethod
    def from_xrpc(cls, body: Any) -> Session:
        """From a createSession / refreshSession answer."""
        keys = ("did", "accessJwt", "refreshJwt")
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in keys):
            raise ValueError("not a session")
        return cls(body["did"], str(body.get("handle") or ""), body["accessJwt"], body["refreshJwt"])


class Account:
    """The session of one Bluesky target: loaded from the credentials, refreshed, created only when needed."""

    def __init__(self, target: TargetSettings, client: HttpClient, credentials: Credentials) -> None:
        self.target, self.client, self.credentials = target, client, credentials
        self._session: Session | None = None

    def cached(self) -> Session | None:
        """The session in memory or in the credentials, without any request."""
        if self._session is None:
            self._session = self._load()
        return self._session

    def session(self) -> Session:
        """The cached session, or a new one from the app password."""
        return self.cached() or self.login()

    def login(self, password: str | None = None) -> Session:
        """createSession with the app password (given, or from the credentials); stores the session."""
        password = password or self.credentials.get("password")
        if not password:
            raise missing_credential(self.target, "password")
        if not self.target.handle:
            raise PlatformError(
                f"no handle for {self.target.name}: set handle in [syndication.{self.target.name}]", temporary=False
            )
        body = {"identifier": self.target.handle, "password": password}
        response = self._send("POST", "com.atproto.server.createSession", "creating a session", json_body=body)
        if response.status != 200:
            if response.status == 401:
                raise PlatformError(
                    f"Bluesky refused the app password of @{self.target.handle}: "
                    f"run `homepost auth {self.target.name}`",
                    temporary=False,
                )
            raise http_error(response, self.target.name, "creating a session")
        log.info("created a Bluesky session for @%s", self.target.handle)
        return self._keep(self._parse(response))

    def refresh(self) -> Session | None:
        """refreshSession with the cached refresh token; None when that token is refused too."""
        current = self.cached()
        if current is None:
            return None
        response = self._send(
            "POST", "com.atproto.server.refreshSession", "refreshing the session", token=current.refresh_jwt
        )
        if is_auth_failure(response):
            log.info("the Bluesky refresh token of %s was refused", self.target.name)
            return None
        if response.status != 200:
            raise http_error(response, self.target.name, "refreshing the session")
        log.info("refreshed the Bluesky session of %s", self.target.name)
        return self._keep(self._parse(response))

    def request(self, method: str, nsid: str, **kwargs: Any) -> Response:
        """An authenticated XRPC request: on an expired or refused token, refresh (or log in) and retry once.

        A request refused for its token was not carried out, so repeating it cannot duplicate anything.
        NetworkError passes through for the caller to judge."""
        session = self.cached()
        fresh_login = session is None
        response = xrpc(
            self.client, self.target.service, method, nsid, token=(session or self.login()).access_jwt, **kwargs
        )
        if not is_auth_failure(response):
            return response
        if not fresh_login:
            fresh = self.refresh() or self.login()
            response = xrpc(self.client, self.target.service, method, nsid, token=fresh.access_jwt, **kwargs)
            if not is_auth_failure(response):
                return response
        error, message = error_of(response)
        reason = clean_message(error or message or str(response.status))
        raise PlatformError(
            f"Bluesky refused a fresh session of {self.target.name} ({nsid}: {reason}): "
            f"run `homepost auth {self.target.name}`",
            temporary=False,
        )

    def _send(self, method: str, nsid: str, action: str, **kwargs: Any) -> Response:
        try:
            return xrpc(self.client, self.target.service, method, nsid, **kwargs)
        except NetworkError as exc:
            message = f"{action} failed for {self.target.name}: {exc.problems[0].message}"
            raise PlatformError(message, temporary=True) from None

    def _parse(self, response: Response) -> Session:
        try:
            return Session.from_xrpc(json.loads(response.content))
        except ValueError:
            raise PlatformError(
                f"Bluesky answered a session request of {self.target.name} with something else", temporary=True
            ) from None

    def _keep(self, session: Session) -> Session:
        self._session = session
        stored = {
            "service": self.target.service,
            "identifier": self.target.handle,
            "did": session.did,
            "handle": session.handle,
            "accessJwt": session.access_jwt,
            "refreshJwt": session.refresh_jwt,
        }
        try:
            self.credentials.save({"session": json.dumps(stored, sort_keys=True)})
        except (OSError, HomepostError) as exc:
            log.warning(
                "could not store the Bluesky session of %s (%s); a new one will be made next run",
                self.target.name,
                type(exc).__name__,
            )
        return session

    def _load(self) -> Session | None:
        raw = self.credentials.get("session")
        if not raw:
            return None
        try:
            data = json.loads(raw)
            session = Session.from_xrpc(data)
        except ValueError:
            log.info("ignoring a damaged Bluesky session of %s", self.target.name)
            return None
        if (
            data.get("service", self.target.service) != self.target.service
            or data.get("identifier", self.target.handle) != self.target.handle
        ):
            return None  # made for another account or server
        return session


def resolve_handles(client: HttpClient, base: str, handles: Iterable[str]) -> dict[str, str | None]:
    """The DID of each handle via com.atproto.identity.resolveHandle; None where it cannot be resolved."""
    dids: dict[str, str | None] = {}
    for handle in handles:
        try:
            response = xrpc(client, base, "GET", "com.atproto.identity.resolveHandle", params={"handle": handle})
            did = response.json().get("did") if response.status == 200 else None
        except (NetworkError, AttributeError):
            did = None
        dids[handle] = did if isinstance(did, str) and did.startswith("did:") else None
    return dids
