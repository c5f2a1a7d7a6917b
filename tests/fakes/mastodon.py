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
GET /oauth/authorize [authorize], POST /oauth/token [token].

As Mastodon does: Bearer tokens with scopes (401 `{"error": "The access token is invalid"}`, 403
outside the token's scopes), errors as `{"error": ...}` (OAuth ones with `error_description`),
422 for validation failures (text over max_characters with URLs counted as
characters_reserved_per_url and the content warning included, unsupported or too large media, too
long alt text, too many or unprocessed media), Idempotency-Key honoured per account, X-RateLimit-*
headers on every API answer, `content` rendered as HTML (links and hashtags as Mastodon marks them
up), 202 + `url: null` for media still processing and 206 on polling until done, PKCE S256
checked at /oauth/token. /oauth/authorize plays a logged-in user who approves (or denies, with
`deny = True`): it redirects to the redirect URI with `code` and `state`, or for the out-of-band
URI shows the code in a page (`<input class="oauth-code" value="...">`).
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

__all__ = ["ALL_SCOPES", "OOB", "Call", "Dropped", "MastodonFake"]  # Dropped: raised in an answer, closes the connection

OOB = "urn:ietf:wg:oauth:2.0:oob"
ALL_SCOPES = {"read", "write", "follow", "push", "profile", "read:accounts", "read:statuses", "write:statuses",
              "write:media", "read:notifications", "write:favourites"}  # fmt: skip
_URL = re.compile(r"https?://[^\s<>\"]+")
_TOKEN = regex.compile(r"(https?://[^\s<>\"]+)|(?<![\p{L}\p{N}_/])#([\p{L}\p{N}_]+)")
_ROUTES = [
    ("GET", r"/api/v2/instance", "instance"),
    ("GET", r"/api/v1/instance", "instance_v1"),
    ("POST", r"/api/v1/statuses", "statuses"),
    ("GET", r"/api/v1/statuses/(?P<id>[^/]+)", "status"),
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
_SCOPE_NEEDED = {"statuses": "write:statuses", "update": "write:statuses", "delete": "write:statuses",
                 "media": "write:media", "media_poll": "write:media", "verify": "read:accounts"}  # fmt: skip


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

    def __init__(self, token: str = "fake-mastodon-token-6f1c2d", *, max_characters: int = 500, url_weight: int = 23,
                 max_media: int = 4, image_size_limit: int = 16 * 1024 * 1024, description_limit: int = 1500,
                 mime_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp"),
                 instance_api: str = "v2", processing_polls: int = 0, username: str = "alice") -> None:  # fmt: skip
        self.server = LoopbackServer()
        self.server.fallback = self._answer
        self.token = token
        self.tokens: dict[str, set[str]] = {token: set(ALL_SCOPES)}  # every accepted token and its scopes
        self.max_characters, self.url_weight, self.max_media = max_characters, url_weight, max_media
        self.image_size_limit, self.description_limit, self.mime_types = image_size_limit, description_limit, mime_types
        self.instance_api = instance_api  # "v2", "v1" (Pleroma-like: max_toot_chars, no v2) or "none"
        self.processing_polls = processing_polls  # polls answering 206 before an upload is processed
        self.deny = False  # /oauth/authorize: the user denies instead of approving
        self.account = {"id": "109000000000000001", "username": username, "acct": username, "display_name": username.title(),
                        "locked": False, "bot": False, "url": self.url + f"/@{username}", "note": "", "avatar": "",
                        "followers_count": 0, "following_count": 0, "statuses_count": 0}  # fmt: skip
        self.statuses: dict[str, dict[str, Any]] = {}  # id -> Status (plus "text", the source), deleted ones removed
        self.media: dict[str, dict[str, Any]] = {}  # id -> MediaAttachment (plus "_status", "_polls", "_bytes")
        self.apps: dict[str, dict[str, Any]] = {}  # client_id -> Application (plus "_scopes")
        self.codes: dict[str, dict[str, Any]] = {}  # authorization code -> grant
        self.idempotency: dict[str, str] = {}  # Idempotency-Key -> status id
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

    def fail_next(self, kind: str, status: int = 500, times: int = 1, retry_after: float | None = None,
                  reset_after: float | None = None) -> None:  # fmt: skip
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
            return _error(cue.status, {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
                          .get(cue.status, "Something went wrong"))  # fmt: skip
        reset = cue.reset if cue.reset is not None else (cue.retry_after or 300)
        headers = _rate_headers(300, 0, reset)
        if cue.retry_after is not None:
            headers.append(("Retry-After", str(int(cue.retry_after))))
        return _error(429, "Too many requests", headers)

    def _handle(self, kind: str, received: Received, params: dict[str, str], item: str) -> Reply:
        public = kind in ("instance", "instance_v1", "status", "account_statuses", "apps", "authorize", "token")
        auth = received.headers.get("Authorization", "")
        scopes = self.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if (auth or not public) and scopes is None:
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
        return _json(200, {
            "domain": self.server.host, "title": "Fake Mastodon", "version": "4.3.0", "source_url": "https://github.com/mastodon/mastodon",
            "description": "A loopback fake", "languages": ["en"], "registrations": {"enabled": False},
            "configuration": {
                "urls": {"streaming": "ws://" + self.server.host},
                "statuses": {"max_characters": self.max_characters, "max_media_attachments": self.max_media,
                             "characters_reserved_per_url": self.url_weight},
                "media_attachments": {"supported_mime_types": list(self.mime_types), "image_size_limit": self.image_size_limit,
                                      "image_matrix_limit": 33177600, "video_size_limit": 103809024,
                                      "description_limit": self.description_limit},
                "polls": {"max_options": 4, "max_characters_per_option": 50},
            },
            "contact": {"email": "admin@example.invalid"}, "rules": [],
        })  # fmt: skip

    def _instance_v1(self, received: Received, params: dict[str, str], item: str) -> Reply:
        if self.instance_api != "v1":
            return _error(404, "Record not found")
        return _json(200, {"uri": self.server.host, "title": "Fake Pleroma", "version": "2.7.2 (compatible; Pleroma 2.6.0)",
                           "max_toot_chars": self.max_characters, "upload_limit": self.image_size_limit,
                           "description_limit": self.description_limit})  # fmt: skip

    def _statuses(self, received: Received, params: dict[str, str], item: str) -> Reply:
        key = received.headers.get("Idempotency-Key")
        if key and self.idempotency.get(key) in self.statuses:
            return _json(200, _public(self.statuses[self.idempotency[key]]))
        body = _body(received)
        problem = self._validate(body, None)
        if problem:
            return _error(422, problem)
        status_id = str(next(self._ids))
        status = {"id": status_id, "created_at": _now(), "edited_at": None, "in_reply_to_id": None, "reblog": None,
                  "uri": f"{self.url}/users/{self.account['username']}/statuses/{status_id}",
                  "url": f"{self.account['url']}/{status_id}", "visibility": body.get("visibility") or "public",
                  "account": dict(self.account), "mentions": [], "emojis": [], "replies_count": 0,
                  "reblogs_count": 0, "favourites_count": 0}  # fmt: skip
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
        status.update({
            "text": text, "content": self._html(text), "spoiler_text": spoiler, "sensitive": bool(spoiler),
            "language": language if isinstance(language, str) and language else None,
            "media_attachments": [_public(self.media[i]) for i in ids],
            "tags": [{"name": tag.lower(), "url": f"{self.url}/tags/{tag.lower()}"} for _, tag in _TOKEN.findall(text) if tag],
        })  # fmt: skip

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
                    pieces.append(f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
                                  f'<span class="invisible">{scheme}://</span><span class="{"ellipsis" if hidden else ""}">'
                                  f'{html.escape(visible)}</span><span class="invisible">{html.escape(hidden)}</span></a>')  # fmt: skip
                else:
                    pieces.append(f'<a href="{self.url}/tags/{html.escape(tag.lower())}" class="mention hashtag" rel="tag">'
                                  f"#<span>{html.escape(tag)}</span></a>")  # fmt: skip
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
        self.media[media_id] = {"id": media_id, "type": "image", "url": url if ready else None,
                                "preview_url": f"{self.url}/system/media_attachments/files/{media_id}/small/{filename}",
                                "remote_url": None, "meta": {}, "description": description, "blurhash": None,
                                "_status": None, "_polls": self.processing_polls, "_final_url": url,
                                "_bytes": data, "_mime": mime}  # fmt: skip
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
        return _json(200, {**self.account, "statuses_count": len(self.statuses),
                           "source": {"privacy": "public", "sensitive": False, "language": "", "note": ""}})  # fmt: skip

    def _account_statuses(self, received: Received, params: dict[str, str], item: str) -> Reply:
        if item != self.account["id"]:
            return _error(404, "Record not found")
        limit = min(int(params.get("limit") or 20), 40)
        newest = sorted(self.statuses.values(), key=lambda s: int(s["id"]), reverse=True)[:limit]
        return _json(200, [_public(s) for s in newest])

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
        self.apps[client_id] = {"id": str(next(self._ids)), "name": name, "website": body.get("website"),
                                "scopes": scopes.split(), "redirect_uri": "\n".join(uris), "redirect_uris": uris,
                                "client_id": client_id, "client_secret": secret, "client_secret_expires_at": 0}  # fmt: skip
        return _json(200, self.apps[client_id])

    def _authorize(self, received: Received, params: dict[str, str], item: str) -> Reply:
        app = self.apps.get(params.get("client_id", ""))
        redirect = params.get("redirect_uri", "")
        if app is None or params.get("response_type") != "code":
            return Reply(
                400, "<p>Client authentication failed due to unknown client.</p>", [("Content-Type", "text/html")]
            )
        if redirect not in app["redirect_uris"]:
            return Reply(400, "<p>The requested redirect uri is malformed or doesn't match client redirect URI.</p>",
                         [("Content-Type", "text/html")])  # fmt: skip
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
        self.codes[code] = {"client_id": app["client_id"], "redirect_uri": redirect, "challenge": params["code_challenge"],
                            "scopes": scopes}  # fmt: skip
        if redirect == OOB:
            page = ("<p>Copy this authorization code and paste it to the application.</p>"
                    f'<input class="oauth-code" readonly type="text" value="{code}">')  # fmt: skip
            return Reply(200, page, [("Content-Type", "text/html; charset=utf-8")])
        return Reply(302, b"", [("Location", f"{redirect}?{urlencode({'code': code, **state})}")])

    def _token(self, received: Received, params: dict[str, str], item: str) -> Reply:
        body = _body(received)
        app = self.apps.get(str(body.get("client_id") or ""))
        if app is None or body.get("client_secret") != app["client_secret"]:
            return _oauth_error(401, "invalid_client", "Client authentication failed due to unknown client, no client "
                                "authentication included, or unsupported authentication method.")  # fmt: skip
        if body.get("grant_type") != "authorization_code":
            return _oauth_error(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )
        grant = self.codes.pop(str(body.get("code") or ""), None)
        verifier = str(body.get("code_verifier") or "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (grant is None or grant["client_id"] != app["client_id"] or grant["redirect_uri"] != body.get("redirect_uri")
                or challenge != grant["challenge"]):  # fmt: skip
            return _oauth_error(400, "invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not "
                                "match the redirection URI used in the authorization request, or was issued to another client.")  # fmt: skip
        token = secrets.token_urlsafe(32)
        self.tokens[token] = set(grant["scopes"])
        return _json(200, {"access_token": token, "token_type": "Bearer", "scope": " ".join(grant["scopes"]),
                           "created_at": int(dt.datetime.now().timestamp())})  # fmt: skip


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
    return [("X-RateLimit-Limit", str(limit)), ("X-RateLimit-Remaining", str(remaining)),
            ("X-RateLimit-Reset", reset.isoformat(timespec="microseconds").replace("+00:00", "Z"))]  # fmt: skip


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
