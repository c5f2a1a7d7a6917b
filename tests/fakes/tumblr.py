"""A loopback fake of Tumblr: API v2 (NPF posts, notes, user info) and the OAuth 1.0a endpoints of www.tumblr.com.

    with FakeTumblr(blog="example") as tumblr:
        target = TargetSettings(name="tumblr", platform="tumblr", blog="example", api=tumblr.url)
        TargetCredentials(root, "tumblr").save(tumblr.credentials())
        tumblr.fail_next("create", status=500)           # the next create answers 500
        tumblr.fail_next("list", status=429, retry_after=30)
        tumblr.stall_after_store("create")               # stores the post, then never answers
        tumblr.drop_next("edit")                         # closes the connection without an answer
        assert len(tumblr.posts) == 1

One server plays both hosts: pass `tumblr.url` as the target's `api` and as authorize's
`oauth_base`. Every request must carry a valid OAuth 1.0a HMAC-SHA1 Authorization header: the
signature is recomputed with oauthlib's server-side check (form bodies signed, JSON and multipart
bodies not), the consumer key and token must be the ones given, and a nonce may not be reused.
The notes method is at the API-key level: it takes `api_key=<consumer key>` without a signature too.

Notes (backfeed), seeded on a post and served by GET /v2/blog/{blog}/notes?id=&mode=&before_timestamp=
as the API v2 docs describe them: newest first, `notes_page` per page, `_links.next` while more remain
(`before_timestamp` in seconds, but microseconds in "conversation" mode). Modes: "all" (with the
"posted" note), "likes", "conversation" (replies and reblogs with added text; the rest in
`rollup_notes`, with total_likes / total_reblogs), "rollup" (likes and reblogs), "reblogs_with_tags".
A reblog's `added_text` shows only in conversation mode, its `tags` only in reblogs_with_tags.

        stamp = tumblr.add_reply(post_id, "bob", "Nice post!")      # its timestamp (the reply's key)
        tumblr.add_reply(post_id, "carol", "Agreed", mention="bob")  # "@bob Agreed": replies are flat
        tumblr.add_like(post_id, "dave")
        reblog_id = tumblr.add_reblog(post_id, "erin")               # the reblog's own post id
        tumblr.add_quote(post_id, "frank", "So true")                # a reblog with added text
        tumblr.edit_reply(post_id, "bob", stamp, "Nice post, really!")
        tumblr.delete_reply(post_id, "bob", stamp)

Kinds for fail_next / stall_after_store / drop_next: "create" (POST /v2/blog/{blog}/posts), "edit"
(PUT /v2/blog/{blog}/posts/{id}), "fetch" (GET .../posts/{id}), "list" (GET /v2/blog/{blog}/posts),
"delete" (POST /v2/blog/{blog}/post/delete), "notes" (GET /v2/blog/{blog}/notes, any mode) or
"notes:<mode>" (one mode only), "user" (GET /v2/user/info), "request_token", "authorize",
"access_token"; or an exact path starting with "/".
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from oauthlib.common import Request
from oauthlib.oauth1.rfc5849 import signature, utils

from tests.fakes.cues import DROP, DROP_AFTER, FAIL, STALL, Cue, Cues, LoopbackFake
from tests.servers import LoopbackServer, Received, Reply

REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Limit Exceeded",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_ROUTES = (
    ("POST", re.compile(r"/v2/blog/(?P<blog>[^/]+)/posts"), "create"),
    ("GET", re.compile(r"/v2/blog/(?P<blog>[^/]+)/posts"), "list"),
    ("PUT", re.compile(r"/v2/blog/(?P<blog>[^/]+)/posts/(?P<id>[^/]+)"), "edit"),
    ("GET", re.compile(r"/v2/blog/(?P<blog>[^/]+)/posts/(?P<id>[^/]+)"), "fetch"),
    ("POST", re.compile(r"/v2/blog/(?P<blog>[^/]+)/post/delete"), "delete"),
    ("GET", re.compile(r"/v2/blog/(?P<blog>[^/]+)/notes"), "notes"),
    ("GET", re.compile(r"/v2/user/info"), "user"),
    ("POST", re.compile(r"/oauth/request_token"), "request_token"),
    ("GET", re.compile(r"/oauth/authorize"), "authorize"),
    ("POST", re.compile(r"/oauth/access_token"), "access_token"),
)

NOTE_MODES = ("all", "likes", "conversation", "rollup", "reblogs_with_tags")
ROLLUP_SHOWN = 10  # notes in a conversation page's rollup_notes


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart create or edit."""

    identifier: str
    filename: str
    content_type: str
    data: bytes


def envelope(
    status: int,
    response: Any = None,
    errors: list[dict[str, Any]] | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Reply:
    """A reply in Tumblr's envelope."""
    body: dict[str, Any] = {
        "meta": {"status": status, "msg": REASONS.get(status, "Error")},
        "response": response if response is not None else [],
    }
    if errors is not None:
        body["errors"] = errors
    return Reply(status, json.dumps(body), (("Content-Type", "application/json; charset=utf-8"), *headers))


def error(status: int, title: str, code: int = 0, detail: str = "") -> Reply:
    """An error reply, `errors` filled as the NPF routes do."""
    return envelope(status, errors=[{"title": title, "code": code, "detail": detail or title}])


class FakeTumblr(LoopbackFake):
    """Tumblr's API v2 and OAuth endpoints on 127.0.0.1, keeping what was posted."""

    def __init__(
        self,
        blog: str = "example",
        user: str = "alice",
        consumer_key: str = "ck-fake-consumer",
        consumer_secret: str = "cs-fake-secret",
        token: str = "tok-fake-access",
        token_secret: str = "ts-fake-access-secret",
    ) -> None:
        self.blog, self.user = blog, user
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.token, self.token_secret = token, token_secret  # what access_token hands out, and the API accepts
        self.posts: dict[str, dict[str, Any]] = {}  # id -> the stored post as /posts returns it (npf=true)
        self.uploads: list[Upload] = []
        self.deleted: list[str] = []
        self.request_tokens: dict[str, dict[str, str]] = {}  # token -> secret, callback, verifier
        self.refusals: list[str] = []  # why requests were refused 401 (for debugging a test)
        self._nonces: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._next_id = 700_000_000_000_000_001
        self.notes: dict[
            str, list[dict[str, Any]]
        ] = {}  # post id -> its notes, as mode "all" shows them (+ added_text, tags)
        self.notes_page = 50  # notes per page of /notes
        self._clock = int(time.time()) - 100_000  # the next seeded note's timestamp, one second apart
        self.server = LoopbackServer()
        self.server.fallback = self._answer
        self._cues = Cues(self.server.closing, stall_then_drop=True)
        self.url = self.server.url("").rstrip("/")

    # --- the documented knobs ---------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The blog's host name, as its post URLs carry it."""
        return f"{self.blog}.tumblr.com"

    def credentials(self) -> dict[str, str]:
        """The four values TargetCredentials.save() needs for a target using this fake."""
        return {
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
            "oauth_token": self.token,
            "oauth_token_secret": self.token_secret,
        }

    def revoke(self) -> None:
        """The access token stops working: every API call answers 401."""
        self.token = "revoked-" + self.token

    def fail_next(
        self,
        path_or_kind: str,
        status: int = 500,
        times: int = 1,
        retry_after: float | str | None = None,
        code: int = 0,
    ) -> None:
        """Answer `status` (in Tumblr's envelope, `code` as the error subcode) to the next `times` requests of
        that kind, with Retry-After when given; a 429 without one carries X-Ratelimit-Perhour-Remaining: 0 and its
        reset."""
        self._cues.add(Cue(path_or_kind, FAIL, times, status, retry_after, code=code))

    def stall_after_store(self, path_or_kind: str = "create", times: int = 1, seconds: float = 10.0) -> None:
        """Do the work (store the post), then withhold the answer for `seconds` and close the connection."""
        self._cues.add(Cue(path_or_kind, STALL, times, seconds=seconds))

    def drop_next(self, path_or_kind: str, times: int = 1, after_store: bool = False) -> None:
        """Close the connection without an answer, before doing anything (or after storing, with after_store)."""
        self._cues.add(Cue(path_or_kind, DROP_AFTER if after_store else DROP, times))

    def add_post(self, source_url: str = "", text: str = "A post made elsewhere.", timestamp: int | None = None) -> str:
        """A post the writer made some other way (in Tumblr's app), as the newest; its id."""
        with self._lock:
            post_id = str(self._next_id)
            self._next_id += 1
        payload = {"content": [{"type": "text", "text": text}], "source_url": source_url}
        self.posts[post_id] = self._post(post_id, payload, {}, created=timestamp)
        return post_id

    # --- notes (backfeed) -------------------------------------------------------------------------

    def add_reply(
        self, post_id: str, blog_name: str, text: str, timestamp: int | None = None, mention: str = ""
    ) -> int:
        """A reply note from `blog_name` (the writer's own blog too); with `mention`, it starts "@mention " as
        Tumblr's replies to a reply do (they stay flat). Its timestamp, which names it for edit and delete."""
        formatting: list[dict[str, Any]] = []
        if mention:
            text = f"@{mention} {text}"
            formatting.append({"type": "mention", "start": 0, "end": len(mention) + 1, "blog": self._blog_ref(mention)})
        return self._add_note(post_id, "reply", blog_name, timestamp, reply_text=text, formatting=formatting)[
            "timestamp"
        ]

    def add_like(self, post_id: str, blog_name: str, timestamp: int | None = None) -> int:
        """A like note from `blog_name`; its timestamp."""
        return self._add_note(post_id, "like", blog_name, timestamp)["timestamp"]

    def add_reblog(
        self,
        post_id: str,
        blog_name: str,
        added_text: str = "",
        tags: tuple[str, ...] = (),
        timestamp: int | None = None,
    ) -> str:
        """A reblog note from `blog_name` (with its commentary in `added_text`, if any); the reblog's post id."""
        with self._lock:
            reblog_id = str(self._next_id)
            self._next_id += 1
        self._add_note(
            post_id,
            "reblog",
            blog_name,
            timestamp,
            post_id=reblog_id,
            reblog_parent_blog_name=self.blog,
            added_text=added_text,
            tags=list(tags),
        )
        return reblog_id

    def add_quote(self, post_id: str, blog_name: str, text: str, timestamp: int | None = None) -> str:
        """A reblog that adds `text`; the reblog's post id."""
        return self.add_reblog(post_id, blog_name, added_text=text, timestamp=timestamp)

    def edit_reply(self, post_id: str, blog_name: str, timestamp: int, text: str) -> None:
        """Change a reply's text (its timestamp stays: Tumblr shows no edit time)."""
        self._reply(post_id, blog_name, timestamp)["reply_text"] = text

    def delete_reply(self, post_id: str, blog_name: str, timestamp: int) -> None:
        """Remove a reply."""
        self.notes[post_id].remove(self._reply(post_id, blog_name, timestamp))

    def _reply(self, post_id: str, blog_name: str, timestamp: int) -> dict[str, Any]:
        return next(
            n
            for n in self.notes.get(post_id, [])
            if n["type"] == "reply" and n["blog_name"] == blog_name and n["timestamp"] == timestamp
        )

    def _blog_ref(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "url": f"https://{name}.tumblr.com/",
            "uuid": "t:" + hashlib.sha1(name.encode()).hexdigest()[:22],
        }

    def _add_note(self, on: str, kind: str, blog_name: str, timestamp: int | None, **fields: Any) -> dict[str, Any]:
        with self._lock:
            if timestamp is None:
                timestamp, self._clock = self._clock, self._clock + 1
        digest = hashlib.sha1(blog_name.encode()).hexdigest()
        note = {
            "type": kind,
            "timestamp": timestamp,
            "blog_name": blog_name,
            "blog_uuid": self._blog_ref(blog_name)["uuid"],
            "blog_url": f"https://{blog_name}.tumblr.com/",
            "followed": False,
            "avatar_shape": "circle",
            "avatar_url": {
                size: f"https://64.media.tumblr.com/avatar_{digest[:12]}_{size}.pnj" for size in ("64", "128")
            },
            **fields,
        }
        self.notes.setdefault(on, []).append(note)
        return note

    def requests(self, kind: str) -> list[Received]:
        """The requests of one kind received so far."""
        return [r for r in self.server.received if self._kind(r)[0] == kind]

    # --- dispatch ---------------------------------------------------------------------------------

    def _kind(self, received: Received) -> tuple[str, dict[str, str]]:
        path = urlsplit(received.path).path
        for method, pattern, kind in _ROUTES:
            match = pattern.fullmatch(path)
            if match and method == received.method:
                return kind, match.groupdict()
        return "", {}

    def _answer(self, received: Received) -> Reply:
        kind, args = self._kind(received)
        path = urlsplit(received.path).path
        if not kind:
            return error(404, "Not Found")
        names = (kind, path, f"notes:{_query(received).get('mode', 'all')}") if kind == "notes" else (kind, path)
        return self._cues.play(self._cues.take(*names), lambda: self._serve(kind, args, received), self._failure)

    def _serve(self, kind: str, args: dict[str, str], received: Received) -> Reply:
        if kind in ("request_token", "authorize", "access_token"):
            reply = getattr(self, "_" + kind)(received)
        else:
            refused = (
                self._verify_key(received) if kind == "notes" else self._verify(received, self.token, self.token_secret)
            )
            if refused:
                reply = refused
            elif kind != "user" and args.get("blog") not in (self.blog, self.host):
                reply = error(404, "Not Found", detail="Blog not found")
            else:
                reply = getattr(self, "_" + kind)(received, args)
        return Reply(reply.status, reply.body, (*reply.headers, *self._limits()))

    def _failure(self, cue: Cue) -> Reply:
        headers: tuple[tuple[str, str], ...] = tuple(cue.retry_header)
        if cue.status == 429 and cue.retry_after is None:
            headers = (("X-Ratelimit-Perhour-Remaining", "0"), ("X-Ratelimit-Perhour-Reset", "1800"))
        return envelope(
            cue.status, errors=[{"title": REASONS.get(cue.status, "Error"), "code": cue.code}], headers=headers
        )

    def _limits(self) -> tuple[tuple[str, str], ...]:
        used = len(self.server.received)
        return (
            ("X-Ratelimit-Perhour-Limit", "1000"),
            ("X-Ratelimit-Perhour-Remaining", str(max(0, 1000 - used))),
            ("X-Ratelimit-Perhour-Reset", "1800"),
            ("X-Ratelimit-Perday-Limit", "5000"),
            ("X-Ratelimit-Perday-Remaining", str(max(0, 5000 - used))),
            ("X-Ratelimit-Perday-Reset", "43200"),
        )

    # --- OAuth 1.0a -------------------------------------------------------------------------------

    def _verify(self, received: Received, token: str | None, token_secret: str | None) -> Reply | None:
        """None when the request is signed by the expected consumer (and token); else a 401."""
        header = received.headers.get("Authorization", "")
        oauth = _oauth_params(header)
        if not oauth:
            return self._refuse("no OAuth Authorization header")
        kind = received.headers.get("Content-Type", "")
        body = received.body.decode("utf-8") if kind.startswith("application/x-www-form-urlencoded") else ""
        uri = self.url + received.path
        request = Request(uri, received.method, body, {"Authorization": header})
        request.params = signature.collect_parameters(
            uri_query=urlsplit(uri).query, body=body, headers={"Authorization": header}, with_realm=False
        )
        request.signature = oauth.get("oauth_signature", "")
        stamp = oauth.get("oauth_timestamp", "0")
        if oauth.get("oauth_signature_method") != "HMAC-SHA1":
            return self._refuse("signature method is not HMAC-SHA1")
        if oauth.get("oauth_consumer_key") != self.consumer_key:
            return self._refuse("unknown consumer key")
        if token is not None and oauth.get("oauth_token") != token:
            return self._refuse("unknown or missing oauth_token")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > 300:
            return self._refuse("timestamp too far off")
        nonce = (self.consumer_key, oauth.get("oauth_nonce", ""), stamp)
        if not nonce[1] or nonce in self._nonces:
            return self._refuse("nonce missing or used before")
        if not signature.verify_hmac_sha1(request, self.consumer_secret, token_secret):
            return self._refuse("oauth_signature does not match")
        self._nonces.add(nonce)
        return None

    def _verify_key(self, received: Received) -> Reply | None:
        """For an API-key-level method: an OAuth signature as usual, or else the consumer key as `api_key`."""
        if received.headers.get("Authorization"):
            return self._verify(received, self.token, self.token_secret)
        if _query(received).get("api_key") != self.consumer_key:
            return self._refuse("no api_key and no OAuth Authorization header")
        return None

    def _refuse(self, why: str) -> Reply:
        self.refusals.append(why)
        return error(401, "Unauthorized", detail="Unable to authorize")

    def _request_token(self, received: Received) -> Reply:
        refused = self._verify(received, None, None)
        if refused:
            return Reply(401, "oauth_signature does not match expected value", (("Content-Type", "text/plain"),))
        oauth = _oauth_params(received.headers["Authorization"])
        number = len(self.request_tokens) + 1
        token = f"rt-{number}"
        self.request_tokens[token] = {
            "secret": f"rts-{number}",
            "callback": oauth.get("oauth_callback", "oob"),
            "verifier": f"v-{number}",
        }
        body = urlencode(
            {"oauth_token": token, "oauth_token_secret": f"rts-{number}", "oauth_callback_confirmed": "true"}
        )
        return Reply(200, body, (("Content-Type", "application/x-www-form-urlencoded"),))

    def _authorize(self, received: Received) -> Reply:
        """The writer clicks "Allow": back to the callback with a verifier (shown on the page for "oob")."""
        token = parse_qs(urlsplit(received.path).query).get("oauth_token", [""])[0]
        pending = self.request_tokens.get(token)
        if pending is None:
            return Reply(400, "Missing or invalid request token.", (("Content-Type", "text/plain"),))
        if pending["callback"] == "oob":
            return Reply(200, f"oauth_verifier={pending['verifier']}", (("Content-Type", "text/plain"),))
        query = urlencode({"oauth_token": token, "oauth_verifier": pending["verifier"]})
        return Reply(302, b"", (("Location", f"{pending['callback']}?{query}"),))

    def _access_token(self, received: Received) -> Reply:
        oauth = _oauth_params(received.headers.get("Authorization", ""))
        pending = self.request_tokens.get(oauth.get("oauth_token", ""))
        if pending is None or self._verify(received, oauth.get("oauth_token"), pending["secret"]):
            return Reply(401, "oauth_signature does not match expected value", (("Content-Type", "text/plain"),))
        if oauth.get("oauth_verifier") != pending["verifier"]:
            return Reply(401, "Invalid oauth_verifier", (("Content-Type", "text/plain"),))
        del self.request_tokens[oauth["oauth_token"]]  # single use
        body = urlencode({"oauth_token": self.token, "oauth_token_secret": self.token_secret})
        return Reply(200, body, (("Content-Type", "application/x-www-form-urlencoded"),))

    # --- the API ----------------------------------------------------------------------------------

    def _user(self, received: Received, args: dict[str, str]) -> Reply:
        blog = {
            "name": self.blog,
            "title": self.blog.title(),
            "url": f"https://{self.host}/",
            "primary": True,
            "followers": 3,
            "tweet": "N",
            "type": "public",
        }
        user = {"name": self.user, "following": 1, "likes": 0, "default_post_format": "html", "blogs": [blog]}
        return envelope(200, {"user": user})

    def _create(self, received: Received, args: dict[str, str]) -> Reply:
        parsed = self._body(received)
        if isinstance(parsed, Reply):
            return parsed
        with self._lock:
            post_id = str(self._next_id)
            self._next_id += 1
        self.posts[post_id] = self._post(post_id, *parsed)
        return envelope(201, {"id": post_id})

    def _edit(self, received: Received, args: dict[str, str]) -> Reply:
        if args["id"] not in self.posts:
            return error(404, "Not Found", detail="Post not found")
        parsed = self._body(received)
        if isinstance(parsed, Reply):
            return parsed
        self.posts[args["id"]] = self._post(args["id"], *parsed, created=self.posts[args["id"]]["timestamp"])
        return envelope(200, {"id": args["id"]})

    def _fetch(self, received: Received, args: dict[str, str]) -> Reply:
        post = self.posts.get(args["id"])
        return envelope(200, post) if post else error(404, "Not Found", detail="Post not found")

    def _list(self, received: Received, args: dict[str, str]) -> Reply:
        query = {k: v[0] for k, v in parse_qs(urlsplit(received.path).query).items()}
        limit = min(max(int(query.get("limit", "20")), 1), 20)
        offset = int(query.get("offset", "0"))
        newest = list(reversed(self.posts.values()))
        blog = {
            "name": self.blog,
            "url": f"https://{self.host}/",
            "title": self.blog.title(),
            "total_posts": len(newest),
        }
        return envelope(200, {"blog": blog, "posts": newest[offset : offset + limit], "total_posts": len(newest)})

    def _notes(self, received: Received, args: dict[str, str]) -> Reply:
        query = _query(received)
        post_id, mode = query.get("id", ""), query.get("mode", "all")
        if post_id not in self.posts:
            return error(404, "Not Found", detail="Post not found")
        if mode not in NOTE_MODES:
            return error(400, "Bad Request", detail="Invalid mode")
        post = self.posts[post_id]
        notes = sorted(self.notes.get(post_id, []), key=lambda n: n["timestamp"], reverse=True)
        posted = {
            "type": "posted",
            "timestamp": post["timestamp"],
            "blog_name": self.blog,
            "blog_url": f"https://{self.host}/",
            "blog_uuid": self._blog_ref(self.blog)["uuid"],
            "followed": False,
            "avatar_shape": "square",
        }
        chosen = {
            "all": [*notes, posted],
            "likes": [n for n in notes if n["type"] == "like"],
            "conversation": [
                n for n in notes if n["type"] == "reply" or (n["type"] == "reblog" and n.get("added_text"))
            ],
            "rollup": [n for n in notes if n["type"] in ("like", "reblog")],
            "reblogs_with_tags": [n for n in notes if n["type"] == "reblog"],
        }[mode]
        scale = 1_000_000 if mode == "conversation" else 1  # microseconds in conversation mode
        before = query.get("before_timestamp", "")
        remaining = [n for n in chosen if n["timestamp"] * scale < int(before)] if before.isdigit() else chosen
        page = remaining[: self.notes_page]
        body: dict[str, Any] = {"notes": [_shown(n, mode) for n in page], "total_notes": len(chosen)}
        if mode == "conversation":
            rest = [n for n in notes if n not in chosen]
            body["rollup_notes"] = [_shown(n, "rollup") for n in rest[:ROLLUP_SHOWN]]
            body["total_likes"] = sum(n["type"] == "like" for n in notes)
            body["total_reblogs"] = sum(n["type"] == "reblog" for n in notes)
        if len(remaining) > len(page):
            params = {"id": post_id, "mode": mode, "before_timestamp": str(page[-1]["timestamp"] * scale)}
            body["_links"] = {
                "next": {
                    "href": f"/v2/blog/{args['blog']}/notes?{urlencode(params)}",
                    "method": "GET",
                    "query_params": params,
                }
            }
        return envelope(200, body)

    def _delete(self, received: Received, args: dict[str, str]) -> Reply:
        kind = received.headers.get("Content-Type", "")
        values = (
            json.loads(received.body or b"{}")
            if kind.startswith("application/json")
            else {k: v[0] for k, v in parse_qs(received.body.decode()).items()}
        )
        post_id = str(values.get("id", ""))
        if post_id not in self.posts:
            return error(404, "Not Found", detail="Post not found")
        del self.posts[post_id]
        self.deleted.append(post_id)
        return envelope(200, {"id": post_id})

    # --- NPF bodies -------------------------------------------------------------------------------

    def _body(self, received: Received) -> tuple[dict[str, Any], dict[str, Upload]] | Reply:
        kind = received.headers.get("Content-Type", "")
        files: dict[str, Upload] = {}
        try:
            if kind.startswith("multipart/form-data"):
                message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode() + received.body)
                payload = None
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    data = part.get_payload(decode=True) or b""
                    if name == "json":
                        payload = json.loads(data)
                    elif isinstance(name, str):
                        files[name] = Upload(name, part.get_filename() or "", part.get_content_type(), data)
            elif kind.startswith("application/json"):
                payload = json.loads(received.body)
            else:
                return error(400, "Bad Request", 8001, "Content-Type must be application/json or multipart/form-data")
        except ValueError:
            return error(400, "Bad Request", 8001, "The JSON body could not be parsed")
        problem = _check_npf(payload, files)
        if problem:
            return error(400, problem, 8001)
        self.uploads += files.values()
        return payload, files  # type: ignore[return-value]

    def _post(
        self, post_id: str, payload: dict[str, Any], files: dict[str, Upload], created: int | None = None
    ) -> dict[str, Any]:
        content = []
        for block in payload["content"]:
            if block.get("type") == "image":
                block = {**block, "media": [self._media(m, files) for m in block["media"]]}
            content.append(block)
        tags = payload.get("tags") or ""
        tags = [t.strip() for t in tags.split(",") if t.strip()] if isinstance(tags, str) else list(tags)
        now = int(time.time())
        return {
            "object_type": "post",
            "type": "blocks",
            "is_blocks_post_format": True,
            "id": int(post_id),
            "id_string": post_id,
            "blog_name": self.blog,
            "post_url": f"https://{self.host}/post/{post_id}",
            "timestamp": created or now,
            "date": time.strftime("%Y-%m-%d %H:%M:%S GMT", time.gmtime(created or now)),
            "state": payload.get("state", "published"),
            "tags": tags,
            "source_url": payload.get("source_url", ""),
            "content": content,
            "layout": payload.get("layout", []),
            "trail": [],
        }

    def _media(self, media: dict[str, Any], files: dict[str, Upload]) -> dict[str, Any]:
        upload = files.get(media.get("identifier", ""))
        if upload is None:
            return media
        digest = hashlib.sha1(upload.data).hexdigest()[:32]
        extension = upload.content_type.split("/")[-1].replace("jpeg", "jpg")
        stored = {
            "type": upload.content_type,
            "url": f"https://64.media.tumblr.com/{digest}/tumblr_{digest[:12]}_1280.{extension}",
        }
        stored.update(width=media.get("width", 540), height=media.get("height", 405))
        return stored


def _query(received: Received) -> dict[str, str]:
    """The query string's parameters (the first of each)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(received.path).query).items()}


def _shown(note: dict[str, Any], mode: str) -> dict[str, Any]:
    """A stored note as `mode` shows it: added_text only in conversation mode, tags only with reblogs_with_tags."""
    hidden = {"added_text", "tags", "formatting"}
    shown = {k: v for k, v in note.items() if k not in hidden}
    if note.get("formatting"):
        shown["formatting"] = note["formatting"]
    if note["type"] == "reblog" and mode == "conversation" and note.get("added_text"):
        shown["added_text"] = note["added_text"]
    if note["type"] == "reblog" and mode == "reblogs_with_tags":
        shown["tags"] = list(note.get("tags") or [])
    return shown


def _oauth_params(header: str) -> dict[str, str]:
    """The oauth_* parameters of an Authorization header, unescaped (empty when it is not OAuth)."""
    try:
        pairs = utils.parse_authorization_header(header)
    except ValueError:
        return {}
    return {key: utils.unescape(value) for key, value in pairs if key.startswith("oauth_")}


def _check_npf(payload: Any, files: dict[str, Upload]) -> str | None:
    """What is wrong with an NPF create/edit body, by the NPF spec's rules and limits, or None."""
    if not isinstance(payload, dict) or not isinstance(payload.get("content"), list) or not payload["content"]:
        return "'content' must be an array"
    blocks = payload["content"]
    counts = {"image": 0, "link": 0, "inline": 0}
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            text = block.get("text")
            if not isinstance(text, str) or len(text) > 4096:
                return "a text block's 'text' must be a string of at most 4096 characters"
            for fmt in block.get("formatting", []):
                if not 0 <= fmt.get("start", -1) < fmt.get("end", -1) <= len(text):
                    return "a formatting range is out of bounds"
                if fmt.get("type") == "link":
                    counts["inline"] += 1
                    if not fmt.get("url"):
                        return "a link formatting needs a url"
        elif kind == "image":
            media = block.get("media")
            if not isinstance(media, list) or not media:
                return "an image block needs 'media'"
            if any(m.get("identifier") not in files and not m.get("url") for m in media):
                return "an image block's identifier has no uploaded part"
            if len(block.get("alt_text", "")) > 4096:
                return "alt_text is longer than 4096 characters"
            counts["image"] += 1
        elif kind == "link":
            if not block.get("url"):
                return "a link block needs a url"
            counts["link"] += 1
        else:
            return f"unknown content block type {kind!r}"
    if counts["image"] > 30 or counts["link"] > 10 or counts["inline"] > 100:
        return "too many image blocks, link blocks or inline links"
    if not isinstance(payload.get("tags", ""), (str, list)):
        return "'tags' must be a comma-separated string"
    for layout in payload.get("layout", []):
        if layout.get("type") == "rows":
            used = sorted(i for row in layout.get("display", []) for i in row.get("blocks", []))
            if used != list(range(len(blocks))):
                return "a rows layout must reference every content block once"
            if not -1 <= layout.get("truncate_after", -1) < len(blocks) - 1:
                return "truncate_after is out of range"
    return None
