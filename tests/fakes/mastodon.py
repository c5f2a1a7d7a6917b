"""A loopback fake of a Mastodon server's documented client API (docs.joinmastodon.org), failing on cue.

    with MastodonFake() as fake:
        target = TargetSettings(name="masto", platform="mastodon", instance=fake.url)
        TargetCredentials(root, "masto").save({"token": fake.token})
        fake.fail_next("statuses", status=500)            # the next create answers 500
        fake.fail_next("statuses", status=429, retry_after=120)
        fake.stall_after_store("statuses")                # store the status, then never answer
        fake.drop_next("statuses", after_store=True)      # store it, then close the connection
        ...
        assert len(fake.posts) == 1

Endpoints (a request's "kind" in brackets, usable in fail_next/stall_after_store/drop_next/calls):
GET /api/v2/instance [instance], GET /api/v1/instance [instance_v1], POST /api/v1/statuses
[statuses], GET|PUT|DELETE /api/v1/statuses/:id [status|update|delete], POST /api/v2/media
[media], GET /api/v1/media/:id [media_poll], GET /api/v1/accounts/verify_credentials [verify],
GET /api/v1/accounts/:id/statuses [account_statuses], POST /api/v1/apps [apps],
GET /oauth/authorize [authorize], POST /oauth/token [token]; for backfeed GET /api/v1/statuses/:id/context
[context], GET /api/v1/statuses/:id/favourited_by [favourited_by], GET /api/v1/statuses/:id/reblogged_by
[reblogged_by], GET /api/v1/statuses/:id/quotes [quotes].

As Mastodon does: Bearer tokens with scopes (401 `{"error": "The access token is invalid"}`, 403
outside the token's scopes), errors as `{"error": ...}` (OAuth ones with `error_description`),
`sensitive` false unless sent (as Mastodon and Takahē default it, even with a
spoiler_text), `media_attributes` on an edit updating the alt text of attachments kept by id, a refused
token answered as Takahē does with `html_auth_errors` (400, text/html "Invalid Bearer token"),
422 for validation failures (text over max_characters with URLs counted as
characters_reserved_per_url and the content warning included, unsupported or too large media, too
long alt text, too many or unprocessed media), Idempotency-Key honoured per account, X-RateLimit-*
headers on every API answer, `content` rendered as HTML (links and hashtags as Mastodon marks them
up), 202 + `url: null` for media still processing and 206 on polling until done, PKCE S256
checked at /oauth/token. /oauth/authorize plays a logged-in user who approves (or denies, with
`deny = True`): it redirects to the redirect URI with `code` and `state`, or for the out-of-band
URI shows the code in a page (`<input class="oauth-code" value="...">`).

Backfeed, as Mastodon 4.5 answers it: the context's `descendants` are the reply tree in depth-first
order (without a token only public and unlisted statuses, at most 60 and 20 levels deep; with one up
to 4,096), `Mastodon-Async-Refresh` on it when `async_refresh` is set; favourited_by and reblogged_by
list Accounts newest first (limit 40, at most 80), quotes lists quoting Statuses (limit 20, at most 40,
user token only; 404 when `quotes=False`, like servers before 4.5), each page with a Link header
(rel="next" when the page is full, as Mastodon does, and rel="prev"); a status that is gone is 404
everywhere. Seed what answers a copy with the helpers:

        reader = fake.add_account("bob", "social.example")           # a remote account
        reply = fake.add_reply(copy.id, "Lovely!", account=reader)   # a reply (a new remote reader if no account)
        fake.add_reply(reply["id"], "Thanks!", account=fake.account) # the writer answering: a reply to a reply
        fake.add_like(copy.id); fake.add_repost(copy.id, reader); fake.add_quote(copy.id, "Look at this")
        fake.edit_status(reply["id"], "Lovely, edited"); fake.delete_status(reply["id"])
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import itertools
import json
import re
import secrets
import threading
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import regex

from tests.fakes.cues import DROP, DROP_AFTER, FAIL, STALL, Cue, Cues, Dropped, LoopbackFake
from tests.servers import LoopbackServer, Received, Reply

__all__ = [
    "ALL_SCOPES",
    "OOB",
    "Call",
    "Dropped",
    "MastodonFake",
]  # Dropped: raised in an answer, closes the connection

OOB = "urn:ietf:wg:oauth:2.0:oob"
ALL_SCOPES = {
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:accounts",
    "read:statuses",
    "write:statuses",
    "write:media",
    "read:notifications",
    "write:favourites",
}
_URL = re.compile(r"https?://[^\s<>\"]+")
_TOKEN = regex.compile(r"(https?://[^\s<>\"]+)|(?<![\p{L}\p{N}_/])#([\p{L}\p{N}_]+)")
_ROUTES = [
    ("GET", r"/api/v2/instance", "instance"),
    ("GET", r"/api/v1/instance", "instance_v1"),
    ("POST", r"/api/v1/statuses", "statuses"),
    ("GET", r"/api/v1/statuses/(?P<id>[^/]+)", "status"),
    ("GET", r"/api/v1/statuses/(?P<id>[^/]+)/context", "context"),
    ("GET", r"/api/v1/statuses/(?P<id>[^/]+)/favourited_by", "favourited_by"),
    ("GET", r"/api/v1/statuses/(?P<id>[^/]+)/reblogged_by", "reblogged_by"),
    ("GET", r"/api/v1/statuses/(?P<id>[^/]+)/quotes", "quotes"),
    ("PUT", r"/api/v1/statuses/(?P<id>[^/]+)", "update"),
    ("DELETE", r"/api/v1/statuses/(?P<id>[^/]+)", "delete"),
    ("POST", r"/api/v2/media", "media"),
    ("GET", r"/api/v1/media/(?P<id>[^/]+)", "media_poll"),
    ("GET", r"/api/v1/accounts/verify_credentials", "verify"),
    ("GET", r"/api/v1/accounts/(?P<id>[^/]+)/statuses", "account_statuses"),
    ("POST", r"/api/v1/apps", "apps"),
    ("GET", r"/oauth/authorize", "authorize"),
    ("POST", r"/oauth/token", "token"),
]
_SCOPE_NEEDED = {
    "statuses": "write:statuses",
    "update": "write:statuses",
    "delete": "write:statuses",
    "media": "write:media",
    "media_poll": "write:media",
    "verify": "read:accounts",
    "context": "read:statuses",
    "favourited_by": "read:statuses",
    "reblogged_by": "read:statuses",
    "quotes": "read:statuses",
}


@dataclass(frozen=True)
class Call:
    """One request the fake received, with the kind of endpoint it was for."""

    kind: str
    received: Received

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.received.body)

    def form(self) -> dict[str, str]:
        """The body as a form."""
        return {k: v[0] for k, v in parse_qs(self.received.body.decode()).items()}


class MastodonFake(LoopbackFake):
    """A Mastodon instance on 127.0.0.1 with one account (@alice) and one token it accepts (`token`)."""

    def __init__(
        self,
        token: str = "fake-mastodon-token-6f1c2d",
        *,
        max_characters: int = 500,
        url_weight: int = 23,
        max_media: int = 4,
        image_size_limit: int = 16 * 1024 * 1024,
        description_limit: int = 1500,
        mime_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp"),
        instance_api: str = "v2",
        processing_polls: int = 0,
        username: str = "alice",
        quotes: bool = True,
    ) -> None:
        self.server = LoopbackServer()
        self.server.fallback = self._answer
        self.token = token
        self.tokens: dict[str, set[str]] = {token: set(ALL_SCOPES)}  # every accepted token and its scopes
        self.max_characters, self.url_weight, self.max_media = max_characters, url_weight, max_media
        self.image_size_limit, self.description_limit, self.mime_types = image_size_limit, description_limit, mime_types
        self.instance_api = instance_api  # "v2", "v1" (Pleroma-like: max_toot_chars, no v2) or "none"
        self.processing_polls = processing_polls  # polls answering 206 before an upload is processed
        self.deny = False  # /oauth/authorize: the user denies instead of approving
        self.quotes = quotes  # the server has GET /api/v1/statuses/:id/quotes (Mastodon 4.5+)
        self.async_refresh = False  # the context answers with Mastodon-Async-Refresh (remote replies being fetched)
        self.html_auth_errors = False  # as Takahē: a refused token is 400 with a text/html "Invalid Bearer token"
        self.account = {
            "id": "109000000000000001",
            "username": username,
            "acct": username,
            "display_name": username.title(),
            "locked": False,
            "bot": False,
            "url": self.url + f"/@{username}",
            "note": "",
            "avatar": "",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": 0,
        }
        self.statuses: dict[str, dict[str, Any]] = {}  # id -> Status (plus "text", the source), deleted ones removed
        self.media: dict[str, dict[str, Any]] = {}  # id -> MediaAttachment (plus "_status", "_polls", "_bytes")
        self.apps: dict[str, dict[str, Any]] = {}  # client_id -> Application (plus "_scopes")
        self.codes: dict[str, dict[str, Any]] = {}  # authorization code -> grant
        self.idempotency: dict[str, str] = {}  # Idempotency-Key -> status id
        self.favourites: dict[str, list[tuple[str, dict[str, Any]]]] = {}  # status id -> (favourite id, Account)
        self.reblogs: dict[str, list[tuple[str, dict[str, Any]]]] = {}  # status id -> (reblog status id, Account)
        self.calls: list[Call] = []
        self._cues = Cues(self.server.closing)
        self._ids = itertools.count(110000000000000001)
        self._lock = threading.RLock()

    # --- the test's handle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The instance's base URL (no trailing slash)."""
        return self.server.url("").rstrip("/")

    @property
    def posts(self) -> list[dict[str, Any]]:
        """The statuses that exist now, oldest first, each with `text` (its source) besides the entity."""
        with self._lock:
            return [dict(status) for status in self.statuses.values()]

    def calls_to(self, kind: str) -> list[Call]:
        """The requests received for one kind of endpoint (or one path), in order."""
        return [c for c in self.calls if kind in (c.kind, urlsplit(c.received.path).path)]

    def fail_next(
        self,
        kind: str,
        status: int = 500,
        times: int = 1,
        retry_after: float | str | None = None,
        reset_after: float | None = None,
    ) -> None:
        """Answer the next `times` requests of `kind` (or to a path) with `status` and nothing stored. A 429
        carries X-RateLimit-Reset `reset_after` s ahead (default: retry_after or 300), and Retry-After only
        when `retry_after` is given."""
        self._cues.add(Cue(kind, FAIL, times, status, retry_after, reset=reset_after))

    def stall_after_store(self, kind: str = "statuses", seconds: float = 10.0, times: int = 1) -> None:
        """Handle the next request of `kind` (storing what it creates), then send nothing for `seconds`."""
        self._cues.add(Cue(kind, STALL, times, seconds=seconds))

    def drop_next(self, kind: str = "statuses", after_store: bool = False, times: int = 1) -> None:
        """Close the connection of the next request of `kind` without an answer (after storing, if asked)."""
        self._cues.add(Cue(kind, DROP_AFTER if after_store else DROP, times))

    def add_token(self, token: str, scopes: str = "read write") -> None:
        """Accept another token, with these scopes."""
        self.tokens[token] = set(scopes.split())

    # --- seeding what answers a status (backfeed) ----------------------------------------------

    def add_account(
        self, username: str, domain: str | None = None, *, display_name: str | None = None, avatar: str | None = None
    ) -> dict[str, Any]:
        """An Account of this server (no `domain`) or of a remote one, as the API shows it."""
        origin = f"https://{domain}" if domain else self.url
        picture = f"{origin}/system/accounts/avatars/{username}.png" if avatar is None else avatar
        return {
            "id": str(next(self._ids)),
            "username": username,
            "acct": f"{username}@{domain}" if domain else username,
            "display_name": username.title() if display_name is None else display_name,
            "locked": False,
            "bot": False,
            "url": f"{origin}/@{username}",
            "uri": f"{origin}/users/{username}",
            "note": "",
            "avatar": picture,
            "avatar_static": picture,
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": 0,
        }

    def add_reply(
        self,
        to: str,
        text: str = "",
        *,
        account: dict[str, Any] | None = None,
        html: str | None = None,
        visibility: str = "public",
        spoiler: str = "",
    ) -> dict[str, Any]:
        """A status answering status `to` (the copy or another reply), by `account` (a new remote reader if none):
        `text` rendered as Mastodon renders it, or `html` given as the remote server sent it (hostile, say)."""
        with self._lock:
            status = self._remote_status(text, account, html, visibility, spoiler)
            status["in_reply_to_id"] = to
            status["in_reply_to_account_id"] = self.statuses[to]["account"]["id"] if to in self.statuses else None
            if to in self.statuses:
                self.statuses[to]["replies_count"] += 1
            self.statuses[status["id"]] = status
            return dict(status)

    def add_quote(
        self,
        of: str,
        text: str = "",
        *,
        account: dict[str, Any] | None = None,
        state: str = "accepted",
        visibility: str = "public",
    ) -> dict[str, Any]:
        """A status quoting status `of` (Mastodon 4.5: `quote` with its state, and the "RE:" fallback paragraph)."""
        with self._lock:
            quoted = self.statuses[of]
            status = self._remote_status(text, account, None, visibility, "")
            status["content"] += (
                f'<p class="quote-inline">RE: <a href="{html.escape(quoted["url"])}">'
                f"{html.escape(quoted['url'])}</a></p>"
            )
            status["quote"] = {"state": state, "quoted_status": _public(quoted) if state == "accepted" else None}
            status["_quote_of"] = of
            self.statuses[status["id"]] = status
            return dict(status)

    def add_like(self, status_id: str, account: dict[str, Any] | None = None) -> dict[str, Any]:
        """`account` (a new remote reader if none) favourites the status; the account."""
        with self._lock:
            account = account or self.add_account(f"fan{len(self.favourites.get(status_id, [])) + 1}", "social.example")
            self.favourites.setdefault(status_id, []).append((str(next(self._ids)), account))
            self.statuses[status_id]["favourites_count"] += 1
            return account

    def add_repost(self, status_id: str, account: dict[str, Any] | None = None) -> dict[str, Any]:
        """`account` (a new remote reader if none) boosts the status; the account."""
        with self._lock:
            account = account or self.add_account(
                f"booster{len(self.reblogs.get(status_id, [])) + 1}", "social.example"
            )
            self.reblogs.setdefault(status_id, []).append((str(next(self._ids)), account))
            self.statuses[status_id]["reblogs_count"] += 1
            return account

    def edit_status(self, status_id: str, text: str = "", *, html: str | None = None) -> dict[str, Any]:
        """Edit a status (a reader editing their reply): new content, `edited_at` now."""
        with self._lock:
            status = self.statuses[status_id]
            status.update(text=text, content=html if html is not None else self._html(text), edited_at=_now())
            return dict(status)

    def delete_status(self, status_id: str) -> None:
        """Delete a status as its author would: gone, its favourites and boosts with it; replies to it stay,
        out of the thread."""
        with self._lock:
            status = self.statuses.pop(status_id)
            self.favourites.pop(status_id, None)
            self.reblogs.pop(status_id, None)
            parent = self.statuses.get(str(status.get("in_reply_to_id")))
            if parent:
                parent["replies_count"] -= 1

    def _remote_status(
        self, text: str, account: dict[str, Any] | None, markup: str | None, visibility: str, spoiler: str
    ) -> dict[str, Any]:
        account = account or self.add_account(f"reader{len(self.statuses) + 1}", "social.example")
        status_id = str(next(self._ids))
        profile = account["url"]
        uri = f"{account['uri']}/statuses/{status_id}" if "uri" in account else f"{profile}/{status_id}"
        return {
            "id": status_id,
            "created_at": _now(),
            "edited_at": None,
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "reblog": None,
            "uri": uri,
            "url": f"{profile}/{status_id}",
            "visibility": visibility,
            "sensitive": bool(spoiler),
            "spoiler_text": spoiler,
            "language": "en",
            "account": dict(account),
            "text": text,
            "content": markup if markup is not None else self._html(text),
            "mentions": [],
            "emojis": [],
            "tags": [],
            "media_attachments": [],
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
        }

    # --- dispatch ------------------------------------------------------------------------------

    def _answer(self, received: Received) -> Reply:
        parts = urlsplit(received.path)
        kind, match = "unknown", None
        for method, pattern, name in _ROUTES:
            found = re.fullmatch(pattern, parts.path)
            if found and method == received.method:
                kind, match = name, found
                break
        self.calls.append(Call(kind, received))
        cue = self._cues.take(kind, parts.path, by_action=True)  # a failure first, then a drop, then a stall
        return self._cues.play(cue, lambda: self._serve(kind, match, received), self._failure)

    def _serve(self, kind: str, match: re.Match[str] | None, received: Received) -> Reply:
        parts = urlsplit(received.path)
        if match is None:
            return _error(404, "Record not found") if parts.path.startswith("/api/") else Reply(404, "not found")
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            reply = self._handle(kind, received, params, match.groupdict().get("id", ""))
        if parts.path.startswith("/api/"):
            reply = Reply(reply.status, reply.body, [*reply.headers, *_rate_headers(300, 299, 300)])
        return reply

    def _failure(self, cue: Cue) -> Reply:
        if cue.status != 429:
            reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
            return _error(cue.status, reason.get(cue.status, "Something went wrong"), cue.retry_header)
        reset = cue.reset if cue.reset is not None else (cue.retry_seconds or 300)
        headers = _rate_headers(300, 0, reset)
        headers += cue.retry_header
        return _error(429, "Too many requests", headers)

    def _handle(self, kind: str, received: Received, params: dict[str, str], item: str) -> Reply:
        public = kind in (
            "instance",
            "instance_v1",
            "status",
            "account_statuses",
            "apps",
            "authorize",
            "token",
            "context",
            "favourited_by",
            "reblogged_by",
        )
        auth = received.headers.get("Authorization", "")
        scopes = self.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if (auth or not public) and scopes is None:
            if self.html_auth_errors:
                return Reply(
                    400, "<html><body><h1>Invalid Bearer token</h1></body></html>", [("Content-Type", "text/html")]
                )
            return _error(401, "The access token is invalid")
        needed = _SCOPE_NEEDED.get(kind)
        if needed and scopes is not None and not ({needed, needed.split(":")[0]} & scopes):
            return _error(403, "This action is outside the authorized scopes")
        handler = getattr(self, f"_{kind}")
        return handler(received, params, item)

    # --- endpoints -----------------------------------------------------------------------------

    def _instance(self, received: Received, params: dict[str, str], item: str) -> Reply:
        if self.instance_api != "v2":
            return _error(404, "Record not found")
        return _json(
            200,
            {
                "domain": self.server.host,
                "title": "Fake Mastodon",
                "version": "4.3.0",
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A loopback fake",
                "languages": ["en"],
                "registrations": {"enabled": False},
                "configuration": {
                    "urls": {"streaming": "ws://" + self.server.host},
                    "statuses": {
                        "max_characters": self.max_characters,
                        "max_media_attachments": self.max_media,
                        "characters_reserved_per_url": self.url_weight,
                    },
                    "media_attachments": {
                        "supported_mime_types": list(self.mime_types),
                        "image_size_limit": self.image_size_limit,
                        "image_matrix_limit": 33177600,
                        "video_size_limit": 103809024,
                        "description_limit": self.description_limit,
                    },
                    "polls": {"max_options": 4, "max_characters_per_option": 50},
                },
                "contact": {"email": "admin@example.invalid"},
                "rules": [],
            },
        )

    def _instance_v1(self, received: Received, params: dict[str, str], item: str) -> Reply:
        if self.instance_api != "v1":
            return _error(404, "Record not found")
        return _json(
            200,
            {
                "uri": self.server.host,
                "title": "Fake Pleroma",
                "version": "2.7.2 (compatible; Pleroma 2.6.0)",
                "max_toot_chars": self.max_characters,
                "upload_limit": self.image_size_limit,
                "description_limit": self.description_limit,
            },
        )

    def _statuses(self, received: Received, params: dict[str, str], item: str) -> Reply:
        key = received.headers.get("Idempotency-Key")
        if key and self.idempotency.get(key) in self.statuses:
            return _json(200, _public(self.statuses[self.idempotency[key]]))
        body = _body(received)
        problem = self._validate(body, None)
        if problem:
            return _error(422, problem)
        status_id = str(next(self._ids))
        status = {
            "id": status_id,
            "created_at": _now(),
            "edited_at": None,
            "in_reply_to_id": None,
            "reblog": None,
            "uri": f"{self.url}/users/{self.account['username']}/statuses/{status_id}",
            "url": f"{self.account['url']}/{status_id}",
            "visibility": body.get("visibility") or "public",
            "account": dict(self.account),
            "mentions": [],
            "emojis": [],
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
        }
        self._apply(status, body)
        self.statuses[status_id] = status
        if key:
            self.idempotency[key] = status_id
        return _json(200, _public(status))

    def _status(self, received: Received, params: dict[str, str], item: str) -> Reply:
        status = self.statuses.get(item)
        return _json(200, _public(status)) if status else _error(404, "Record not found")

    def _update(self, received: Received, params: dict[str, str], item: str) -> Reply:
        status = self.statuses.get(item)
        if status is None:
            return _error(404, "Record not found")
        body = _body(received)
        problem = self._validate(body, item)
        if problem:
            return _error(422, problem)
        for media in status["media_attachments"]:
            self.media[media["id"]]["_status"] = None
        for change in body.get("media_attributes") or []:  # alt text of attachments the status keeps
            if isinstance(change, dict) and str(change.get("id")) in self.media and "description" in change:
                self.media[str(change["id"])]["description"] = change["description"]
        self._apply(status, body)
        status["edited_at"] = _now()
        return _json(200, _public(status))

    def _delete(self, received: Received, params: dict[str, str], item: str) -> Reply:
        status = self.statuses.pop(item, None)
        return _json(200, status) if status else _error(404, "Record not found")

    def _validate(self, body: dict[str, Any], status_id: str | None) -> str | None:
        text, spoiler = str(body.get("status") or ""), str(body.get("spoiler_text") or "")
        ids = [str(i) for i in body.get("media_ids") or []]
        if not text.strip() and not ids:
            return "Validation failed: Text can't be blank"
        length = len(regex.findall(r"\X", _URL.sub("x" * self.url_weight, text))) + len(regex.findall(r"\X", spoiler))
        if length > self.max_characters:
            return f"Validation failed: Text character limit of {self.max_characters} exceeded"
        if body.get("visibility", "public") not in ("public", "unlisted", "private", "direct"):
            return "Validation failed: Visibility is not included in the list"
        if len(ids) > self.max_media:
            return f"Cannot attach more than {self.max_media} files"
        missing = [i for i in ids if i not in self.media or self.media[i]["_status"] not in (None, status_id)]
        if missing:
            return f"Media attachments {', '.join(missing)} could not be found"
        if any(self.media[i]["url"] is None for i in ids):
            return "Cannot attach files that have not finished processing. Try again in a moment!"
        return None

    def _apply(self, status: dict[str, Any], body: dict[str, Any]) -> None:
        text, spoiler = str(body.get("status") or ""), str(body.get("spoiler_text") or "")
        ids = [str(i) for i in body.get("media_ids") or []]
        for media_id in ids:
            self.media[media_id]["_status"] = status["id"]
        language = body.get("language")
        status.update(
            {
                "text": text,
                "content": self._html(text),
                "spoiler_text": spoiler,
                "sensitive": body.get("sensitive") is True,
                "language": language if isinstance(language, str) and language else None,
                "media_attachments": [_public(self.media[i]) for i in ids],
                "tags": [
                    {"name": tag.lower(), "url": f"{self.url}/tags/{tag.lower()}"}
                    for _, tag in _TOKEN.findall(text)
                    if tag
                ],
            }
        )

    def _html(self, text: str) -> str:
        """The text as Mastodon renders a plain-text status: paragraphs, line breaks, linked URLs and hashtags."""
        paragraphs = []
        for paragraph in re.split(r"\n\n+", text.strip()):
            pieces, position = [], 0
            for found in _TOKEN.finditer(paragraph):
                pieces.append(html.escape(paragraph[position : found.start()], quote=False))
                url, tag = found.group(1), found.group(2)
                if url:
                    scheme, _, rest = url.partition("://")
                    visible, hidden = (rest[:30], rest[30:]) if len(rest) > 30 else (rest, "")
                    pieces.append(
                        f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
                        f'<span class="invisible">{scheme}://</span><span class="{"ellipsis" if hidden else ""}">'
                        f'{html.escape(visible)}</span><span class="invisible">{html.escape(hidden)}</span></a>'
                    )
                else:
                    pieces.append(
                        f'<a href="{self.url}/tags/{html.escape(tag.lower())}" class="mention hashtag" rel="tag">'
                        f"#<span>{html.escape(tag)}</span></a>"
                    )
                position = found.end()
            pieces.append(html.escape(paragraph[position:], quote=False))
            paragraphs.append("<p>" + "".join(pieces).replace("\n", "<br />") + "</p>")
        return "".join(paragraphs)

    def _media(self, received: Received, params: dict[str, str], item: str) -> Reply:
        fields = _multipart(received)
        upload = fields.get("file")
        if not isinstance(upload, tuple):
            return _error(422, "Validation failed: File can't be blank")
        filename, mime, data = upload
        description = fields.get("description") if isinstance(fields.get("description"), str) else None
        if mime not in self.mime_types:
            return _error(422, "Validation failed: File content type is invalid, File is invalid")
        if len(data) > self.image_size_limit:
            return _error(422, f"Validation failed: File file size must be less than {self.image_size_limit} Bytes")
        if description and len(regex.findall(r"\X", description)) > self.description_limit:
            return _error(
                422, f"Validation failed: Description is too long (maximum is {self.description_limit} characters)"
            )
        media_id = str(next(self._ids))
        ready = self.processing_polls == 0
        url = f"{self.url}/system/media_attachments/files/{media_id}/original/{filename}"
        self.media[media_id] = {
            "id": media_id,
            "type": "image",
            "url": url if ready else None,
            "preview_url": f"{self.url}/system/media_attachments/files/{media_id}/small/{filename}",
            "remote_url": None,
            "meta": {},
            "description": description,
            "blurhash": None,
            "_status": None,
            "_polls": self.processing_polls,
            "_final_url": url,
            "_bytes": data,
            "_mime": mime,
        }
        return _json(200 if ready else 202, _public(self.media[media_id]))

    def _media_poll(self, received: Received, params: dict[str, str], item: str) -> Reply:
        media = self.media.get(item)
        if media is None or media["_status"] is not None:
            return _error(404, "Record not found")
        if media["_polls"] > 0:
            media["_polls"] -= 1
            if media["_polls"] > 0:
                return _json(206, _public(media))
            media["url"] = media["_final_url"]
        return _json(200, _public(media))

    def _verify(self, received: Received, params: dict[str, str], item: str) -> Reply:
        return _json(
            200,
            {
                **self.account,
                "statuses_count": len(self.statuses),
                "source": {"privacy": "public", "sensitive": False, "language": "", "note": ""},
            },
        )

    def _account_statuses(self, received: Received, params: dict[str, str], item: str) -> Reply:
        if item != self.account["id"]:
            return _error(404, "Record not found")
        limit = min(int(params.get("limit") or 20), 40)
        own = [s for s in self.statuses.values() if s["account"]["id"] == item]
        newest = sorted(own, key=lambda s: int(s["id"]), reverse=True)[:limit]
        return _json(200, [_public(s) for s in newest])

    def _context(self, received: Received, params: dict[str, str], item: str) -> Reply:
        status, signed_in = self.statuses.get(item), "Authorization" in received.headers
        if status is None or (not signed_in and status["visibility"] not in ("public", "unlisted")):
            return _error(404, "Record not found")
        limit, depth = (4096, 4096) if signed_in else (60, 20)
        children: dict[str, list[dict[str, Any]]] = {}
        for other in sorted(self.statuses.values(), key=lambda s: int(s["id"])):
            if other.get("in_reply_to_id") and (signed_in or other["visibility"] in ("public", "unlisted")):
                children.setdefault(str(other["in_reply_to_id"]), []).append(other)
        descendants: list[dict[str, Any]] = []

        def walk(parent: str, level: int) -> None:
            for child in children.get(parent, []):
                if len(descendants) >= limit:
                    return
                descendants.append(_public(child))
                if level < depth:
                    walk(child["id"], level + 1)

        walk(item, 1)
        ancestors, up = [], status.get("in_reply_to_id")
        while up and up in self.statuses:
            ancestors.insert(0, _public(self.statuses[up]))
            up = self.statuses[up].get("in_reply_to_id")
        headers = [("Mastodon-Async-Refresh", f'id="context:{item}:refresh", retry=5, result_count=0')]
        return _json(200, {"ancestors": ancestors, "descendants": descendants}, headers if self.async_refresh else [])

    def _favourited_by(self, received: Received, params: dict[str, str], item: str) -> Reply:
        return self._accounts_page(params, item, self.favourites, "favourited_by")

    def _reblogged_by(self, received: Received, params: dict[str, str], item: str) -> Reply:
        return self._accounts_page(params, item, self.reblogs, "reblogged_by")

    def _quotes(self, received: Received, params: dict[str, str], item: str) -> Reply:
        if not self.quotes or item not in self.statuses:
            return _error(404, "Record not found")
        found = [(s["id"], _public(s)) for s in self.statuses.values() if s.get("_quote_of") == item]
        return self._page(params, item, found, "quotes", default=20, most=40)

    def _accounts_page(
        self, params: dict[str, str], item: str, lists: dict[str, list[tuple[str, dict[str, Any]]]], name: str
    ) -> Reply:
        if item not in self.statuses:
            return _error(404, "Record not found")
        return self._page(params, item, lists.get(item, []), name, default=40, most=80)

    def _page(
        self, params: dict[str, str], item: str, entries: list[tuple[str, Any]], name: str, *, default: int, most: int
    ) -> Reply:
        """One page of a list, newest first, paginated by max_id / since_id with a Link header as Mastodon does."""
        limit = max(1, min(int(params.get("limit") or default), most))
        newest = sorted(entries, key=lambda entry: int(entry[0]), reverse=True)
        if "max_id" in params:
            newest = [e for e in newest if int(e[0]) < int(params["max_id"])]
        if "since_id" in params:
            newest = [e for e in newest if int(e[0]) > int(params["since_id"])]
        page = newest[:limit]
        path = f"{self.url}/api/v1/statuses/{item}/{name}?limit={limit}"
        links = [f'<{path}&max_id={page[-1][0]}>; rel="next"'] if len(page) == limit else []
        links += [f'<{path}&since_id={page[0][0]}>; rel="prev"'] if page else []
        return _json(200, [value for _, value in page], [("Link", ", ".join(links))] if links else [])

    def _apps(self, received: Received, params: dict[str, str], item: str) -> Reply:
        body = _body(received)
        name, uris, scopes = body.get("client_name"), body.get("redirect_uris"), str(body.get("scopes") or "read")
        if not name:
            return _error(422, "Validation failed: Application name can't be blank")
        uris = uris if isinstance(uris, list) else str(uris or "").split()
        if not uris or any(u != OOB and not re.match(r"[a-z][a-z0-9+.-]*://[^/\s]", u) for u in uris):
            return _error(422, "Validation failed: Redirect URI must be an absolute URI.")
        if not set(scopes.split()) <= ALL_SCOPES:
            return _error(422, "Validation failed: Scopes must only contain valid scopes")
        client_id, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.apps[client_id] = {
            "id": str(next(self._ids)),
            "name": name,
            "website": body.get("website"),
            "scopes": scopes.split(),
            "redirect_uri": "\n".join(uris),
            "redirect_uris": uris,
            "client_id": client_id,
            "client_secret": secret,
            "client_secret_expires_at": 0,
        }
        return _json(200, self.apps[client_id])

    def _authorize(self, received: Received, params: dict[str, str], item: str) -> Reply:
        app = self.apps.get(params.get("client_id", ""))
        redirect = params.get("redirect_uri", "")
        if app is None or params.get("response_type") != "code":
            return Reply(
                400, "<p>Client authentication failed due to unknown client.</p>", [("Content-Type", "text/html")]
            )
        if redirect not in app["redirect_uris"]:
            return Reply(
                400,
                "<p>The requested redirect uri is malformed or doesn't match client redirect URI.</p>",
                [("Content-Type", "text/html")],
            )
        scopes = params.get("scope", "read").split()
        problem = None
        if not set(scopes) <= set(app["scopes"]):
            problem = "invalid_scope"
        elif params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            problem = "invalid_request"
        elif self.deny:
            problem = "access_denied"
        state = {"state": params["state"]} if "state" in params else {}
        if problem:
            return Reply(302, b"", [("Location", f"{redirect}?{urlencode({'error': problem, **state})}")])
        code = secrets.token_urlsafe(32)
        self.codes[code] = {
            "client_id": app["client_id"],
            "redirect_uri": redirect,
            "challenge": params["code_challenge"],
            "scopes": scopes,
        }
        if redirect == OOB:
            page = (
                "<p>Copy this authorization code and paste it to the application.</p>"
                f'<input class="oauth-code" readonly type="text" value="{code}">'
            )
            return Reply(200, page, [("Content-Type", "text/html; charset=utf-8")])
        return Reply(302, b"", [("Location", f"{redirect}?{urlencode({'code': code, **state})}")])

    def _token(self, received: Received, params: dict[str, str], item: str) -> Reply:
        body = _body(received)
        app = self.apps.get(str(body.get("client_id") or ""))
        if app is None or body.get("client_secret") != app["client_secret"]:
            return _oauth_error(
                401,
                "invalid_client",
                "Client authentication failed due to unknown client, no client "
                "authentication included, or unsupported authentication method.",
            )
        if body.get("grant_type") != "authorization_code":
            return _oauth_error(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )
        grant = self.codes.pop(str(body.get("code") or ""), None)
        verifier = str(body.get("code_verifier") or "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (
            grant is None
            or grant["client_id"] != app["client_id"]
            or grant["redirect_uri"] != body.get("redirect_uri")
            or challenge != grant["challenge"]
        ):
            return _oauth_error(
                400,
                "invalid_grant",
                "The provided authorization grant is invalid, expired, revoked, does not "
                "match the redirection URI used in the authorization request, or was issued to another client.",
            )
        token = secrets.token_urlsafe(32)
        self.tokens[token] = set(grant["scopes"])
        return _json(
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "scope": " ".join(grant["scopes"]),
                "created_at": int(dt.datetime.now().timestamp()),
            },
        )


# --- helpers -------------------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _public(entity: dict[str, Any]) -> dict[str, Any]:
    """The entity as the API shows it: without the source text and the fake's own bookkeeping."""
    return {k: v for k, v in entity.items() if not k.startswith("_") and k != "text"}


def _json(status: int, data: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status, json.dumps(data), [("Content-Type", "application/json; charset=utf-8"), *(headers or [])])


def _error(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Reply:
    return _json(status, {"error": message}, headers)


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return _json(status, {"error": error, "error_description": description})


def _rate_headers(limit: int, remaining: int, reset_after: float) -> list[tuple[str, str]]:
    reset = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=reset_after)
    return [
        ("X-RateLimit-Limit", str(limit)),
        ("X-RateLimit-Remaining", str(remaining)),
        ("X-RateLimit-Reset", reset.isoformat(timespec="microseconds").replace("+00:00", "Z")),
    ]


def _body(received: Received) -> dict[str, Any]:
    """A JSON or form body (`media_ids[]` form keys become a list, as Rails reads them)."""
    kind = received.headers.get("Content-Type", "")
    if "json" in kind:
        data = json.loads(received.body or b"{}")
        return data if isinstance(data, dict) else {}
    form = parse_qs(received.body.decode(), keep_blank_values=True)
    return {k.removesuffix("[]"): (v if k.endswith("[]") else v[0]) for k, v in form.items()}


def _multipart(received: Received) -> dict[str, str | tuple[str, str, bytes]]:
    """The fields of a multipart/form-data body: text, or (filename, content type, bytes) for files."""
    head = f"Content-Type: {received.headers.get('Content-Type', '')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + received.body)
    fields: dict[str, str | tuple[str, str, bytes]] = {}
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        fields[str(name)] = (filename, part.get_content_type(), data) if filename else data.decode()
    return fields
