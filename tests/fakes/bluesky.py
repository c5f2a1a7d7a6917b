"""A loopback fake of a Bluesky PDS: the XRPC endpoints Homepost uses, able to fail on cue.

    with FakeBluesky() as pds:                       # handle "ada.bsky.test", app password pds.password
        target = TargetSettings(name="bsky", platform="bluesky", service=pds.url, handle=pds.handle, appview=pds.url)
        ...
        assert len(pds.posts) == 1 and pds.create_session_calls == 1

Endpoints (all under /xrpc/, errors as {"error": ..., "message": ...} like the reference PDS):
  com.atproto.server.createSession   POST {identifier, password}; 401 AuthenticationRequired on a wrong password
  com.atproto.server.refreshSession  POST, Bearer refreshJwt; rotates both tokens; 400 ExpiredToken / InvalidToken
  com.atproto.repo.createRecord      POST, Bearer accessJwt; validates the post record; 500 when the rkey exists
  com.atproto.repo.getRecord         GET repo, collection, rkey (no auth); 400 RecordNotFound
  com.atproto.repo.deleteRecord      POST, Bearer accessJwt; 200 whether or not the record existed
  com.atproto.repo.uploadBlob        POST raw bytes with Content-Type; 400 BlobTooLarge over 1,000,000 bytes
  com.atproto.identity.resolveHandle GET handle (no auth); 400 HandleNotFound
An expired access token gets 400 ExpiredToken, an unknown one 400 InvalidToken, none 401 AuthenticationRequired.

AppView reads (no auth, as on public.api.bsky.app; shapes from the app.bsky.feed lexicons):
  app.bsky.feed.getPostThread  GET uri, depth (0-1000, default 6), parentHeight (0-1000; parents are not served)
      -> {thread: threadViewPost {$type, post: postView, replies: [threadViewPost | #blockedPost]}, threadgate?};
      `replies` is left out at the depth limit; 400 NotFound "Post not found: <uri>" for a missing post
  app.bsky.feed.getLikes       GET uri, limit (1-100, default 50), cursor
      -> {uri, likes: [{indexedAt, createdAt, actor: profileView}], cursor?}
  app.bsky.feed.getRepostedBy  GET uri, limit, cursor -> {uri, repostedBy: [profileView], cursor?}
  app.bsky.feed.getQuotes      GET uri, limit, cursor -> {uri, posts: [postView], cursor?}
  postView: {uri, cid, author: {did, handle, displayName, avatar, labels}, record, embed?, replyCount, repostCount,
  likeCount, quoteCount, indexedAt, labels}; lists newest first, cursors opaque (an offset here).
Seeding what answers a post (`subject` an at:// URI: the copy, a reply, a quote; `by` a handle, made on first use):
  add_account(handle, name, avatar, labels) -> did      add_reply(subject, text, by, facets=None) -> uri
  add_like(subject, by)    add_repost(subject, by)      add_quote(subject, text, by) -> uri
  edit_reply(uri, text, facets=None)   delete_reply(uri)
  block_reply(uri) (served as #blockedPost)   hide_reply(uri) (the root's threadgate hiddenReplies)
Seeded records are dated by a clock starting at `pds.clock`, one minute apart (indexed a second later).

Credentials: the accepted app password is `pds.password` (store it as the target's `password`, or set
HOMEPOST_<NAME>_PASSWORD); `pds.session()` issues a valid session without counting it; `pds.tokens()`
lists every token issued (to check none leaked); `expire_access_token()` / `expire_refresh_token()`.
Counters: `create_session_calls`, `refresh_session_calls`; `posts`, `records`, `blobs`, `deleted`, `calls(what)`.

Failing on cue (`what` is a path "/xrpc/<nsid>", an NSID, its last part "createRecord", or a kind:
"session", "refresh", "create", "get", "delete", "upload", "resolve", "thread", "likes", "reposts", "quotes"):
  fail_next(what, status=500, times=1, retry_after=None, reset=None)  # 429 carries ratelimit-* headers
  stall_after_store(what="create", times=1)   # carry the request out, then never answer (client times out)
  drop_next(what, times=1, after_store=False) # close the connection without an answer
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import regex

from tests.fakes.cues import DROP, DROP_AFTER, FAIL, STALL, Cue, Cues, LoopbackFake
from tests.servers import LoopbackServer, Received, Reply

MAX_BLOB = 1_000_000
_NSIDS = {
    "session": "com.atproto.server.createSession",
    "refresh": "com.atproto.server.refreshSession",
    "create": "com.atproto.repo.createRecord",
    "get": "com.atproto.repo.getRecord",
    "delete": "com.atproto.repo.deleteRecord",
    "upload": "com.atproto.repo.uploadBlob",
    "resolve": "com.atproto.identity.resolveHandle",
    "thread": "app.bsky.feed.getPostThread",
    "likes": "app.bsky.feed.getLikes",
    "reposts": "app.bsky.feed.getRepostedBy",
    "quotes": "app.bsky.feed.getQuotes",
}
POST = "app.bsky.feed.post"
THREAD_VIEW, BLOCKED = "app.bsky.feed.defs#threadViewPost", "app.bsky.feed.defs#blockedPost"
_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID = regex.compile(r"[234567a-j][234567a-z]{12}")
_REASONS = {
    400: "InvalidRequest",
    401: "AuthenticationRequired",
    403: "Forbidden",
    429: "RateLimitExceeded",
    500: "InternalServerError",
    502: "UpstreamFailure",
    503: "NotEnoughResources",
}


def nsid_of(what: str) -> str:
    """The NSID meant by a path, an NSID, its last segment or a kind."""
    what = what.rsplit("/xrpc/", 1)[-1].strip("/")
    if what in _NSIDS:
        return _NSIDS[what]
    return next((n for n in _NSIDS.values() if n == what or n.rsplit(".", 1)[-1] == what), what)


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'at+jwt', 'alg': 'HS256'})}.{part(claims)}.{secrets.token_urlsafe(24)}"


def _cid(data: bytes) -> str:
    return "bafyrei" + base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")[:52]


def _error(status: int, error: str, message: str, headers: list[tuple[str, str]] | None = None) -> Reply:
    body = json.dumps({"error": error, "message": message})
    return Reply(status, body, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])])


def _z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ok(body: dict[str, Any]) -> Reply:
    return Reply(200, json.dumps(body), [("Content-Type", "application/json; charset=utf-8")])


class FakeBluesky(LoopbackFake):
    """One account on a loopback PDS; `url` is both its service and (for getRecord) its AppView base."""

    def __init__(
        self,
        handle: str = "ada.bsky.test",
        password: str = "abcd-efgh-ijkl-mnop",
        did: str = "did:plc:ada4homepost7test2fake",
    ) -> None:
        self.handle, self.password, self.did = handle, password, did
        self.server = LoopbackServer()
        self.server.fallback = self._answer
        self.url = self.server.url("").rstrip("/")
        self.records: dict[tuple[str, str], dict[str, Any]] = {}  # (collection, rkey) -> {uri, cid, value}
        self.deleted: list[str] = []  # at:// URIs of deleted records
        self.blobs: dict[str, tuple[str, bytes]] = {}  # cid -> (mime type, bytes)
        self.handles: dict[str, str] = {handle: did}  # what resolveHandle knows
        self.create_session_calls = 0
        self.refresh_session_calls = 0
        self._access: dict[str, bool] = {}  # accessJwt -> still valid (False: expired)
        self._refresh: dict[str, bool] = {}  # refreshJwt -> still valid (a used one is forgotten: rotation)
        self._issued: list[str] = []
        self._cues = Cues(self.server.closing, stall_then_drop=True)
        self._lock = threading.Lock()
        # The AppView side: accounts, posts by others (and the writer's replies), likes, reposts.
        self.clock = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)  # when the next seeded record is made
        self.actors: dict[str, dict[str, Any]] = {}  # did -> profile
        self.feed: dict[str, dict[str, Any]] = {}  # at:// URI -> {uri, cid, did, record, indexedAt, parent, quotes}
        self.likes: dict[str, list[dict[str, str]]] = {}  # subject URI -> [{did, createdAt, indexedAt}]
        self.reposts: dict[str, list[str]] = {}  # subject URI -> DIDs
        self.blocked: set[str] = set()  # posts served as #blockedPost
        self.hidden: dict[str, list[str]] = {}  # thread root URI -> hiddenReplies of its threadgate
        self._seq = 0
        self.add_account(handle, name=handle.split(".")[0].title(), did=did)

    # --- what tests look at and set up ------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        """Every request, in order."""
        return self.server.received

    def calls(self, what: str) -> list[Received]:
        """The requests to one endpoint."""
        nsid = nsid_of(what)
        return [r for r in self.received if urlsplit(r.path).path == f"/xrpc/{nsid}"]

    @property
    def posts(self) -> list[dict[str, Any]]:
        """The app.bsky.feed.post records that exist, each {uri, cid, rkey, value}, in key order."""
        return [
            {**stored, "rkey": rkey}
            for (collection, rkey), stored in sorted(self.records.items())
            if collection == "app.bsky.feed.post"
        ]

    def session(self) -> dict[str, Any]:
        """Issue a valid session as createSession would, without counting it (to seed credentials)."""
        with self._lock:
            return self._issue()

    def tokens(self) -> list[str]:
        """Every token issued so far (to check that none leaked)."""
        return list(self._issued)

    def expire_access_token(self) -> None:
        """Every access token issued so far expires (400 ExpiredToken until refreshed)."""
        with self._lock:
            self._access = dict.fromkeys(self._access, False)

    def expire_refresh_token(self) -> None:
        """Every refresh token issued so far expires too (refreshSession answers 400 ExpiredToken)."""
        with self._lock:
            self._refresh = dict.fromkeys(self._refresh, False)

    def add_handle(self, handle: str, did: str) -> None:
        """Let resolveHandle resolve another account's handle."""
        self.handles[handle.lower()] = did

    def add_account(
        self,
        handle: str,
        name: str = "",
        avatar: str | None = None,
        labels: tuple[str, ...] = (),
        did: str | None = None,
    ) -> str:
        """Another account (its DID returned); `labels` are label values such as "!no-unauthenticated"."""
        did = did or "did:plc:" + base64.b32encode(hashlib.sha256(handle.encode()).digest()).decode().lower()[:24]
        avatar = f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkreiavatar@jpeg" if avatar is None else avatar
        with self._lock:
            self.actors[did] = {
                "did": did,
                "handle": handle,
                "displayName": name,
                **({"avatar": avatar} if avatar else {}),
                "labels": [
                    {"src": did, "uri": f"at://{did}/app.bsky.actor.profile/self", "val": value, "cts": _z(self.clock)}
                    for value in labels
                ],
                "createdAt": "2024-01-01T00:00:00.000Z",
            }
            self.handles[handle.lower()] = did
        return did

    def add_reply(self, subject: str, text: str, by: str = "bob.bsky.test", facets: list[Any] | None = None) -> str:
        """A reply by `by` (a handle or DID; the writer's own handle too) to the post or reply `subject`; its URI."""
        parent = self._find(subject)
        if parent is None:
            raise KeyError(subject)
        root = parent["record"].get("reply", {}).get("root") or {"uri": parent["uri"], "cid": parent["cid"]}
        reply = {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
        return self._seed(by, {"text": text, "reply": reply, **({"facets": facets} if facets else {})}, parent=subject)

    def add_quote(self, subject: str, text: str, by: str = "bob.bsky.test") -> str:
        """A post by `by` quoting `subject`; its URI."""
        quoted = self._find(subject)
        if quoted is None:
            raise KeyError(subject)
        embed = {"$type": "app.bsky.embed.record", "record": {"uri": quoted["uri"], "cid": quoted["cid"]}}
        return self._seed(by, {"text": text, "embed": embed}, quotes=subject)

    def add_like(self, subject: str, by: str = "bob.bsky.test") -> None:
        """A like of `subject` by `by` (once per account)."""
        did = self._did(by)
        with self._lock:
            created = self._tick()
            likes = self.likes.setdefault(subject, [])
            if all(like["did"] != did for like in likes):
                likes.append({"did": did, "createdAt": _z(created), "indexedAt": _z(created + dt.timedelta(seconds=1))})

    def add_repost(self, subject: str, by: str = "bob.bsky.test") -> None:
        """A repost of `subject` by `by` (once per account)."""
        did = self._did(by)
        with self._lock:
            self._tick()
            if did not in self.reposts.setdefault(subject, []):
                self.reposts[subject].append(did)

    def edit_reply(self, uri: str, text: str, facets: list[Any] | None = None) -> None:
        """Change the text of a seeded reply or quote (a putRecord: a new cid, the same URI)."""
        with self._lock:
            post = self.feed[uri]
            record = {k: v for k, v in post["record"].items() if k != "facets"}
            post["record"] = {**record, "text": text, **({"facets": facets} if facets else {})}
            post["cid"] = _cid(json.dumps(post["record"], sort_keys=True).encode())

    def delete_reply(self, uri: str) -> None:
        """Delete a seeded reply or quote (what answered it is no longer reachable from the thread)."""
        with self._lock:
            del self.feed[uri]
            self.likes.pop(uri, None)
            self.reposts.pop(uri, None)

    def block_reply(self, uri: str) -> None:
        """Serve a reply as #blockedPost (its author and the reader block each other)."""
        self.blocked.add(uri)

    def hide_reply(self, uri: str) -> None:
        """The thread's author hides a reply (its threadgate's hiddenReplies)."""
        with self._lock:
            root = self.feed[uri]["record"]["reply"]["root"]["uri"]
            self.hidden.setdefault(root, []).append(uri)

    def fail_next(
        self,
        what: str,
        status: int = 500,
        times: int = 1,
        retry_after: float | str | None = None,
        reset: float | None = None,
    ) -> None:
        """Answer the next `times` requests to `what` with `status` (429: with ratelimit-* headers,
        `reset` the epoch second, and Retry-After when `retry_after` is given) without carrying them out."""
        self._cues.add(Cue(nsid_of(what), FAIL, times, status, retry_after, reset=reset))

    def stall_after_store(self, what: str = "create", times: int = 1) -> None:
        """Carry out the next `times` requests to `what`, then never answer: the client times out."""
        self._cues.add(Cue(nsid_of(what), STALL, times, seconds=30))

    def drop_next(self, what: str, times: int = 1, after_store: bool = False) -> None:
        """Close the connection of the next `times` requests to `what` without an answer
        (before carrying them out, or after when `after_store`)."""
        self._cues.add(Cue(nsid_of(what), DROP_AFTER if after_store else DROP, times))

    # --- serving ------------------------------------------------------------------------------

    def _answer(self, received: Received) -> Reply:
        parts = urlsplit(received.path)
        if not parts.path.startswith("/xrpc/"):
            return Reply(404, "not found")
        nsid = parts.path.removeprefix("/xrpc/")
        handler = getattr(self, "_" + nsid.replace(".", "_"), None)
        if handler is None:
            return _error(501, "MethodNotImplemented", f"Method Not Implemented: {nsid}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}

        def work() -> Reply:
            with self._lock:
                return handler(received, query)

        return self._cues.play(self._cues.take(nsid), work, self._failure)

    def _failure(self, cue: Cue) -> Reply:
        headers: list[tuple[str, str]] = []
        if cue.status == 429:
            reset = cue.reset if cue.reset is not None else time.time() + (cue.retry_seconds or 300)
            headers = [
                ("ratelimit-limit", "30"),
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", str(int(reset))),
                ("ratelimit-policy", "30;w=300"),
            ]
        headers += cue.retry_header
        reason = _REASONS.get(cue.status, "InternalServerError" if cue.status >= 500 else "InvalidRequest")
        default = "Internal Server Error" if cue.status >= 500 else "Failed on cue"
        message = {429: "Rate Limit Exceeded", 401: "Authentication Required"}.get(cue.status, default)
        return _error(cue.status, reason, message, headers)

    def _issue(self) -> dict[str, Any]:
        now = int(time.time())
        access = _jwt({"scope": "com.atproto.appPass", "sub": self.did, "iat": now, "exp": now + 7200})
        refresh = _jwt(
            {
                "scope": "com.atproto.refresh",
                "sub": self.did,
                "iat": now,
                "exp": now + 7776000,
                "jti": secrets.token_hex(8),
            }
        )
        self._access[access], self._refresh[refresh] = True, True
        self._issued += [access, refresh]
        return {"did": self.did, "handle": self.handle, "accessJwt": access, "refreshJwt": refresh, "active": True}

    # --- the AppView's data ------------------------------------------------------------------

    def _did(self, by: str) -> str:
        """The DID of a handle or DID, making an account for an unknown handle."""
        if by.startswith("did:"):
            return by
        return self.handles.get(by.lower()) or self.add_account(by, name=by.split(".")[0].title())

    def _tick(self) -> dt.datetime:
        """The seeded clock's time, then a minute later."""
        now, self.clock = self.clock, self.clock + dt.timedelta(minutes=1)
        return now

    def _seed(self, by: str, fields: dict[str, Any], *, parent: str | None = None, quotes: str | None = None) -> str:
        did = self._did(by)
        with self._lock:
            created = self._tick()
            self._seq += 1
            micros = int(created.timestamp()) * 1_000_000 + self._seq
            rkey = "".join(_ALPHABET[((micros << 10) >> (5 * i)) & 31] for i in reversed(range(13)))
            record = {"$type": POST, **fields, "createdAt": _z(created)}
            uri = f"at://{did}/{POST}/{rkey}"
            self.feed[uri] = {
                "uri": uri,
                "cid": _cid(json.dumps(record, sort_keys=True).encode()),
                "did": did,
                "record": record,
                "indexedAt": _z(created + dt.timedelta(seconds=1)),
                "parent": parent,
                "quotes": quotes,
            }
        return uri

    def _find(self, uri: str) -> dict[str, Any] | None:
        """A post by URI: seeded, or one of the account's own records."""
        if uri in self.feed:
            return self.feed[uri]
        own = next((r for (c, _), r in self.records.items() if c == POST and r["uri"] == uri), None)
        if own is None:
            return None
        return {**own, "did": self.did, "record": own["value"], "indexedAt": own["value"]["createdAt"], "parent": None}

    def _children(self, uri: str) -> list[str]:
        found = [p for p in self.feed.values() if p["parent"] == uri]
        return [p["uri"] for p in sorted(found, key=lambda p: p["record"]["createdAt"])]

    def _profile(self, did: str, basic: bool = False) -> dict[str, Any]:
        profile = dict(self.actors.get(did) or {"did": did, "handle": "handle.invalid", "labels": []})
        profile["viewer"] = {"muted": False, "blockedBy": False}
        if not basic:
            profile["indexedAt"] = profile.get("createdAt", "2024-01-01T00:00:00.000Z")
        return profile

    def _post_view(self, post: dict[str, Any]) -> dict[str, Any]:
        uri = post["uri"]
        view = {
            "uri": uri,
            "cid": post["cid"],
            "author": self._profile(post["did"], basic=True),
            "record": post["record"],
            "replyCount": len(self._children(uri)),
            "repostCount": len(self.reposts.get(uri, [])),
            "likeCount": len(self.likes.get(uri, [])),
            "quoteCount": sum(p["quotes"] == uri for p in self.feed.values()),
            "indexedAt": post["indexedAt"],
            "viewer": {},
            "labels": [],
        }
        embed = post["record"].get("embed")
        if embed and embed.get("$type") == "app.bsky.embed.record":
            quoted = self._find(embed["record"]["uri"])
            inner = {"$type": "app.bsky.embed.record#viewNotFound", "uri": embed["record"]["uri"], "notFound": True}
            if quoted:
                inner = {
                    "$type": "app.bsky.embed.record#viewRecord",
                    "uri": quoted["uri"],
                    "cid": quoted["cid"],
                    "author": self._profile(quoted["did"], basic=True),
                    "value": quoted["record"],
                    "indexedAt": quoted["indexedAt"],
                }
            view["embed"] = {"$type": "app.bsky.embed.record#view", "record": inner}
        return view

    def _thread(self, uri: str, depth: int) -> dict[str, Any]:
        post = self.feed.get(uri) or self._find(uri) or {}
        if uri in self.blocked:
            author = {"did": post.get("did", ""), "viewer": {"blockedBy": True}}
            return {"$type": BLOCKED, "uri": uri, "blocked": True, "author": author}
        view: dict[str, Any] = {"$type": THREAD_VIEW, "post": self._post_view(post)}
        if depth > 0:
            view["replies"] = [self._thread(child, depth - 1) for child in self._children(uri)]
        return view

    def _page(self, query: dict[str, str], items: list[Any], key: str) -> Reply:
        """One page of a list (newest first), or the AppView's error for a bad limit or cursor."""
        try:
            limit, offset = int(query.get("limit", "50")), int(query.get("cursor") or "0")
        except ValueError:
            return _error(400, "InvalidRequest", "Error: limit must be an integer or the cursor is malformed")
        if not 1 <= limit <= 100 or offset < 0:
            return _error(400, "InvalidRequest", "Error: limit can not be less than 1 or greater than 100")
        if not query.get("uri", "").startswith("at://"):
            return _error(400, "InvalidRequest", "Error: uri must be a valid at-uri")
        page = list(reversed(items))[offset : offset + limit]
        more = {"cursor": str(offset + limit)} if offset + limit < len(items) else {}
        return _ok({"uri": query["uri"], key: page, **more})

    def _bearer(self, received: Received) -> str | None:
        value = received.headers.get("Authorization") or ""
        return value[7:] if value.startswith("Bearer ") else None

    def _auth(self, received: Received) -> Reply | None:
        """None when the access token is valid, else the reference PDS's error."""
        token = self._bearer(received)
        if token is None:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        if token not in self._access:
            return _error(400, "InvalidToken", "Token could not be verified")
        if not self._access[token]:
            return _error(400, "ExpiredToken", "Token has expired")
        return None

    def _json(self, received: Received) -> dict[str, Any] | None:
        try:
            body = json.loads(received.body)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _repo(self, repo: Any) -> bool:
        return repo in (self.did, self.handle)

    # --- the endpoints (called with the lock held) ---------------------------------------------

    def _com_atproto_server_createSession(self, received: Received, query: dict[str, str]) -> Reply:
        body = self._json(received) or {}
        self.create_session_calls += 1
        if body.get("identifier") not in (self.handle, self.did) or body.get("password") != self.password:
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        return _ok(self._issue())

    def _com_atproto_server_getSession(self, received: Received, query: dict[str, str]) -> Reply:
        refused = self._auth(received)
        return refused or _ok({"handle": self.handle, "did": self.did, "active": True})

    def _com_atproto_server_refreshSession(self, received: Received, query: dict[str, str]) -> Reply:
        self.refresh_session_calls += 1
        token = self._bearer(received)
        if token is None:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        if token not in self._refresh:
            return _error(400, "InvalidToken", "Token could not be verified")
        if not self._refresh.pop(token):
            return _error(400, "ExpiredToken", "Token has expired")
        return _ok(self._issue())

    def _com_atproto_repo_createRecord(self, received: Received, query: dict[str, str]) -> Reply:
        refused = self._auth(received)
        if refused:
            return refused
        body = self._json(received)
        if body is None:
            return _error(400, "InvalidRequest", "Request body must be a JSON object")
        collection, rkey, record = body.get("collection"), body.get("rkey"), body.get("record")
        if not self._repo(body.get("repo")):
            return _error(400, "InvalidRequest", "Could not find repo")
        if collection != "app.bsky.feed.post" or not isinstance(record, dict):
            return _error(400, "InvalidRequest", "This fake stores only app.bsky.feed.post records")
        if not isinstance(rkey, str) or not _TID.fullmatch(rkey):
            return _error(400, "InvalidRequest", "Invalid record key: must be a TID")
        problem = self._invalid_post(record)
        if problem:
            return _error(400, "InvalidRequest", f"Invalid app.bsky.feed.post record: {problem}")
        if (collection, rkey) in self.records:  # the reference PDS fails on the unique constraint
            return _error(500, "InternalServerError", "Internal Server Error")
        encoded = json.dumps(record, sort_keys=True).encode()
        stored = {"uri": f"at://{self.did}/{collection}/{rkey}", "cid": _cid(encoded), "value": record}
        self.records[(collection, rkey)] = stored
        commit = {"cid": _cid(encoded + b"commit"), "rev": rkey}
        return _ok({"uri": stored["uri"], "cid": stored["cid"], "commit": commit, "validationStatus": "valid"})

    def _invalid_post(self, record: dict[str, Any]) -> str | None:
        """What makes `record` an invalid post (a subset of the lexicon's rules), or None."""
        text = record.get("text")
        if record.get("$type") != "app.bsky.feed.post" or not isinstance(text, str):
            return "Record/$type and Record/text are required"
        if len(regex.findall(r"\X", text)) > 300 or len(text.encode()) > 3000:
            return "Record/text must not be longer than 300 graphemes (3000 bytes)"
        if not isinstance(record.get("createdAt"), str) or not record["createdAt"].endswith("Z"):
            return "Record/createdAt must be a datetime"
        size = len(text.encode())
        for facet in record.get("facets", []):
            index = facet.get("index", {})
            if not 0 <= index.get("byteStart", -1) < index.get("byteEnd", -1) <= size or not facet.get("features"):
                return "Record/facets has an invalid byte range"
        if len(record.get("langs", [])) > 3 or len(record.get("tags", [])) > 8:
            return "Record/langs or Record/tags too long"
        if any(len(regex.findall(r"\X", t)) > 64 for t in record.get("tags", [])):
            return "Record/tags must not hold tags over 64 graphemes"
        return self._invalid_embed(record.get("embed"))

    def _invalid_embed(self, embed: Any) -> str | None:
        if embed is None:
            return None
        blobs: list[Any] = []
        if embed.get("$type") == "app.bsky.embed.images":
            images = embed.get("images") or []
            if not 1 <= len(images) <= 4 or not all(isinstance(i.get("alt"), str) for i in images):
                return "Record/embed/images must hold 1 to 4 images, each with alt"
            blobs = [i.get("image") for i in images]
        elif embed.get("$type") == "app.bsky.embed.external":
            external = embed.get("external") or {}
            if not all(isinstance(external.get(k), str) for k in ("uri", "title", "description")):
                return "Record/embed/external must have uri, title and description"
            blobs = [external["thumb"]] if "thumb" in external else []
        else:
            return "Record/embed has an unknown $type"
        for blob in blobs:
            link = (blob or {}).get("ref", {}).get("$link") if isinstance(blob, dict) else None
            if link not in self.blobs:
                return "Could not find blob"
            if len(self.blobs[link][1]) > MAX_BLOB:
                return "blob too large"
        return None

    def _com_atproto_repo_getRecord(self, received: Received, query: dict[str, str]) -> Reply:
        if not self._repo(query.get("repo")):
            return _error(400, "InvalidRequest", f"Could not find repo: {query.get('repo')}")
        stored = self.records.get((query.get("collection", ""), query.get("rkey", "")))
        if stored is None:
            uri = f"at://{self.did}/{query.get('collection')}/{query.get('rkey')}"
            return _error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return _ok(stored)

    def _com_atproto_repo_deleteRecord(self, received: Received, query: dict[str, str]) -> Reply:
        refused = self._auth(received)
        if refused:
            return refused
        body = self._json(received) or {}
        if not self._repo(body.get("repo")):
            return _error(400, "InvalidRequest", "Could not find repo")
        stored = self.records.pop((body.get("collection", ""), body.get("rkey", "")), None)
        if stored:
            self.deleted.append(stored["uri"])
        return _ok({"commit": {"cid": _cid(received.body), "rev": secrets.token_hex(6)}})

    def _com_atproto_repo_uploadBlob(self, received: Received, query: dict[str, str]) -> Reply:
        refused = self._auth(received)
        if refused:
            return refused
        mime = received.headers.get("Content-Type") or ""
        if not mime or mime == "*/*":
            return _error(400, "InvalidRequest", "Request encoding (Content-Type) required")
        size = len(received.body)
        if size > MAX_BLOB:
            message = f"This file is too large. It is {size} bytes but the maximum is {MAX_BLOB}."
            return _error(400, "BlobTooLarge", message)
        cid = "bafkrei" + _cid(received.body)[7:]
        self.blobs[cid] = (mime, received.body)
        return _ok({"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": size}})

    def _com_atproto_identity_resolveHandle(self, received: Received, query: dict[str, str]) -> Reply:
        did = self.handles.get(query.get("handle", "").lower())
        if did is None:
            return _error(400, "HandleNotFound", "Unable to resolve handle")
        return _ok({"did": did})

    def _app_bsky_feed_getPostThread(self, received: Received, query: dict[str, str]) -> Reply:
        uri = query.get("uri", "")
        try:
            depth, height = int(query.get("depth", "6")), int(query.get("parentHeight", "80"))
        except ValueError:
            return _error(400, "InvalidRequest", "Error: depth must be an integer")
        if not 0 <= depth <= 1000 or not 0 <= height <= 1000:
            return _error(400, "InvalidRequest", "Error: depth can not be greater than 1000")
        if not uri.startswith("at://"):
            return _error(400, "InvalidRequest", "Error: uri must be a valid at-uri")
        post = self._find(uri)
        if post is None:
            return _error(400, "NotFound", f"Post not found: {uri}")
        body: dict[str, Any] = {"thread": self._thread(uri, depth)}
        if self.hidden.get(uri):
            gate = {
                "$type": "app.bsky.feed.threadgate",
                "post": uri,
                "createdAt": post["record"]["createdAt"],
                "hiddenReplies": self.hidden[uri],
            }
            body["threadgate"] = {
                "uri": uri.replace(POST, "app.bsky.feed.threadgate"),
                "cid": _cid(uri.encode()),
                "record": gate,
                "lists": [],
            }
        return _ok(body)

    def _app_bsky_feed_getLikes(self, received: Received, query: dict[str, str]) -> Reply:
        likes = [
            {"indexedAt": like["indexedAt"], "createdAt": like["createdAt"], "actor": self._profile(like["did"])}
            for like in self.likes.get(query.get("uri", ""), [])
        ]
        return self._page(query, likes, "likes")

    def _app_bsky_feed_getRepostedBy(self, received: Received, query: dict[str, str]) -> Reply:
        actors = [self._profile(did) for did in self.reposts.get(query.get("uri", ""), [])]
        return self._page(query, actors, "repostedBy")

    def _app_bsky_feed_getQuotes(self, received: Received, query: dict[str, str]) -> Reply:
        quotes = [p for p in self.feed.values() if p["quotes"] == query.get("uri", "")]
        return self._page(query, [self._post_view(p) for p in quotes], "posts")
