"""A loopback Micropub server (W3C Recommendation, 23 May 2017) with a media endpoint and a small IndieAuth server.

    with FakeMicropub(token="s3cret") as fake:
        target = TargetSettings(name="blog", platform="micropub", endpoint=fake.endpoint)
        ...                                   # post through generator.platforms.micropub.syndicate
        fake.posts                            # {url: {"type": ["h-entry"], "properties": {...}}}, oldest first
        fake.fail_next("create", status=500)  # or a path: fake.fail_next("/media", status=503)
        fake.fail_next("create", status=429, retry_after=30)
        fake.stall_after_store("create")      # stores the post, then withholds the answer until the client gives up
        fake.drop_next("create")              # stores the post, then closes the connection without an answer
        fake.source_list = False              # q=source (no url=) answers 400 invalid_request (no post-list extension)
        fake.media_enabled = False            # q=config names no media endpoint (images go by URL)

What it implements, from the spec: `GET endpoint?q=config` (`media-endpoint`, `syndicate-to`);
`GET endpoint?q=source&url=...` (one post's mf2 JSON) and the post-list extension
`q=source[&limit=N][&offset=N]` (`{"items": [...]}`, newest first, each with its `url`, as
Micro.blog and IndieKit answer); JSON create (`type` + `properties`, every value an array; `mp-*`
commands stripped; `mp-slug` honoured) answered 201 with Location; JSON `action` update (replace,
add, delete) and delete/undelete answered 204; the media endpoint (multipart, one part `file`, 201 +
Location; files served back). Errors are JSON `{"error", "error_description"}` with the statuses
of section 3.8: 401 `unauthorized` (no or unknown token), 401 `insufficient_scope`, 400
`invalid_request`. The token is checked on every request, in the Authorization header or (for
form bodies) an `access_token` parameter; the scopes it carries are `scopes`.

IndieAuth (Living Standard 2024): the profile page `site` links `rel=indieauth-metadata` and
`rel=micropub` (or, with `legacy_links=True`, `rel=authorization_endpoint` and `rel=token_endpoint`);
the metadata names `/auth` and `/token`. `/auth` approves at once (the writer "clicked allow") and
redirects to the redirect_uri with `code`, `state` and `iss`; `/token` checks the code, client_id,
redirect_uri and the PKCE S256 verifier and answers `{"access_token": <token>, "me", "scope"}`.

Kinds for the failure switches: config, source, create, update, delete, undelete, media, profile,
metadata, authorize, token; or a path ("/micropub", "/media", "/auth", "/token").
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import json
import secrets
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

from tests.fakes.cues import DROP, DROP_AFTER, FAIL, STALL, Cue, Cues, LoopbackFake
from tests.servers import LoopbackServer, Received, Reply

JSON = [("Content-Type", "application/json")]
SCOPES = ("create", "update", "delete", "media")
_NEEDS = {"create": "create", "update": "update", "delete": "delete", "undelete": "delete", "media": "media"}


class FakeMicropub(LoopbackFake):
    """A Micropub endpoint, media endpoint and IndieAuth server on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        token: str = "fake-micropub-token",
        *,
        scopes: tuple[str, ...] = SCOPES,
        media: bool = True,
        source_list: bool = True,
        legacy_links: bool = False,
    ) -> None:
        self.token = token  # the one token the endpoints accept (and the token endpoint issues)
        self.scopes = set(scopes)
        self.media_enabled = media
        self.source_list = source_list
        self.legacy_links = legacy_links
        self.posts: dict[str, dict[str, Any]] = {}  # the posts that exist: url -> mf2 JSON
        self.deleted: dict[str, dict[str, Any]] = {}
        self.files: dict[str, tuple[str, str, bytes]] = {}  # media url -> (filename, content type, bytes)
        self.requests: list[tuple[str, Received]] = []  # (kind, request) for every request, in order
        self.issued: list[dict[str, str]] = []  # token requests that succeeded (their form)
        self._codes: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._count = 0
        self.server = LoopbackServer()
        self._cues = Cues(self.server.closing)
        self.server.route("/micropub", self._micropub)
        self.server.route("/media", self._media)
        self.server.route("/", self._profile)
        self.server.route("/.well-known/oauth-authorization-server", self._metadata)
        self.server.route("/auth", self._authorize)
        self.server.route("/token", self._token)
        self.server.fallback = self._files

    # --- the documented API for tests ---------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, without a trailing slash."""
        return self.server.url("")

    @property
    def endpoint(self) -> str:
        """The Micropub endpoint."""
        return self.server.url("/micropub")

    @property
    def media_endpoint(self) -> str:
        """The media endpoint."""
        return self.server.url("/media")

    @property
    def site(self) -> str:
        """The writer's profile page, for IndieAuth discovery."""
        return self.server.url("/")

    def fail_next(
        self, path_or_kind: str, status: int = 500, times: int = 1, retry_after: float | str | None = None
    ) -> None:
        """Answer the next `times` matching requests with `status` (and Retry-After), storing nothing."""
        self._cues.add(Cue(path_or_kind, FAIL, times, status, retry_after))

    def stall_after_store(self, path_or_kind: str = "create", times: int = 1, seconds: float = 30.0) -> None:
        """Do the next matching request (store the post), then withhold the answer for `seconds` or until close."""
        self._cues.add(Cue(path_or_kind, STALL, times, seconds=seconds))

    def drop_next(self, path_or_kind: str = "create", times: int = 1, after_store: bool = True) -> None:
        """Close the connection of the next matching request without an answer, after (or before) doing it."""
        self._cues.add(Cue(path_or_kind, DROP_AFTER if after_store else DROP, times))

    def kinds(self) -> list[str]:
        """The kind of every request so far, in order ("config", "create", ...)."""
        return [kind for kind, _ in self.requests]

    # --- plumbing ---------------------------------------------------------------------------

    def _run(self, kind: str, received: Received, work: Callable[[], Reply]) -> Reply:
        """Apply the failure switches around `work()`, which does the request and returns the Reply."""
        self.requests.append((kind, received))
        return self._cues.play(self._cues.take(kind, urlsplit(received.path).path), work, self._failure)

    def _failure(self, cue: Cue) -> Reply:
        headers = JSON + cue.retry_header
        code = {401: "unauthorized", 403: "forbidden", 429: "rate_limited"}.get(
            cue.status, "server_error" if cue.status >= 500 else "invalid_request"
        )
        return Reply(
            cue.status, json.dumps({"error": code, "error_description": f"failing on cue ({cue.status})"}), headers
        )

    def _auth(self, received: Received, kind: str, form: dict[str, list[str]] | None = None) -> Reply | None:
        """None when the request carries the token with the scope `kind` needs; else the error Reply."""
        header = received.headers.get("Authorization") or ""
        token = header[7:].strip() if header[:7].lower() == "bearer " else ((form or {}).get("access_token") or [""])[0]
        if not token:
            return _error(401, "unauthorized", "no access token was provided")
        if not secrets.compare_digest(token.encode(), self.token.encode()):
            return _error(401, "unauthorized", "the access token is not valid")
        need = _NEEDS.get(kind)
        if need and need not in self.scopes:
            return Reply(
                401,
                json.dumps(
                    {"error": "insufficient_scope", "error_description": f"the token lacks {need}", "scope": need}
                ),
                JSON,
            )
        return None

    # --- the Micropub endpoint ----------------------------------------------------------------

    def _micropub(self, received: Received) -> Reply:
        query = parse_qs(urlsplit(received.path).query)
        if received.method == "GET":
            q = (query.get("q") or [""])[0]
            kind = q if q in ("config", "source") else "query"
            return self._run(kind, received, lambda: self._auth(received, kind) or self._query(q, query))
        if received.method != "POST":
            return _error(405, "invalid_request", "use GET or POST")
        content_type = (received.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            self.requests.append(("create", received))
            return _error(400, "invalid_request", "this fake takes JSON requests only")
        try:
            body = json.loads(received.body)
        except ValueError:
            self.requests.append(("create", received))
            return _error(400, "invalid_request", "the body is not JSON")
        kind = body.get("action", "create") if isinstance(body, dict) else "create"
        return self._run(kind, received, lambda: self._auth(received, kind) or self._act(kind, body))

    def _query(self, q: str, query: dict[str, list[str]]) -> Reply:
        if q == "config":
            config: dict[str, Any] = {"syndicate-to": []}
            if self.media_enabled:
                config["media-endpoint"] = self.media_endpoint
            return Reply(200, json.dumps(config), JSON)
        if q == "syndicate-to":
            return Reply(200, json.dumps({"syndicate-to": []}), JSON)
        if q != "source":
            return _error(400, "invalid_request", f"unsupported query {q!r}")
        if "url" in query:
            post = self.posts.get(query["url"][0])
            if post is None:
                return _error(400, "invalid_request", "the post with the requested URL was not found")
            wanted = query.get("properties[]") or query.get("properties")
            properties = {k: v for k, v in post["properties"].items() if not wanted or k in wanted}
            return Reply(
                200,
                json.dumps({"properties": properties} if wanted else {"type": post["type"], "properties": properties}),
                JSON,
            )
        if not self.source_list:
            return _error(400, "invalid_request", "url is required")
        limit, offset = int((query.get("limit") or ["10"])[0]), int((query.get("offset") or ["0"])[0])
        newest = list(reversed(list(self.posts.items())))[offset : offset + limit]
        items = [{"type": post["type"], "properties": {**post["properties"], "url": [url]}} for url, post in newest]
        return Reply(200, json.dumps({"items": items}), JSON)

    def _act(self, kind: str, body: Any) -> Reply:
        if kind == "create":
            return self._create(body)
        url = body.get("url") if isinstance(body, dict) else None
        if kind == "undelete":
            if url not in self.deleted:
                return _error(400, "invalid_request", "no deleted post at that URL")
            self.posts[url] = self.deleted.pop(url)
            return Reply(204)
        if url not in self.posts:
            return _error(400, "invalid_request", "the post with the requested URL was not found")
        if kind == "delete":
            self.deleted[url] = self.posts.pop(url)
            return Reply(204)
        if kind != "update":
            return _error(400, "invalid_request", f"unknown action {kind!r}")
        properties = self.posts[url]["properties"]
        replace, add, remove = body.get("replace") or {}, body.get("add") or {}, body.get("delete") or []
        if not all(isinstance(v, list) for v in [*replace.values(), *add.values()]) or not isinstance(
            remove, (list, dict)
        ):
            return _error(400, "invalid_request", "values must be arrays")
        properties.update(replace)
        for name, values in add.items():
            properties.setdefault(name, []).extend(values)
        if isinstance(remove, list):
            for name in remove:
                properties.pop(name, None)
        else:
            for name, values in remove.items():
                properties[name] = [v for v in properties.get(name, []) if v not in values]
                if not properties[name]:
                    del properties[name]
        return Reply(204)

    def _create(self, body: Any) -> Reply:
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            return _error(400, "invalid_request", "expected type and properties")
        types, properties = body.get("type") or ["h-entry"], body["properties"]
        if types != ["h-entry"] or not all(isinstance(v, list) for v in properties.values()):
            return _error(400, "invalid_request", "only h-entry is supported, and every value must be an array")
        commands = {k: v for k, v in properties.items() if k.startswith("mp-")}
        with self._lock:
            self._count += 1
            slug = quote(str((commands.get("mp-slug") or [""])[0]), safe="") or str(self._count)
            url = self.server.url(f"/posts/{slug}")
            if url in self.posts or url in self.deleted:
                url = self.server.url(f"/posts/{slug}-{self._count}")
            self.posts[url] = {
                "type": ["h-entry"],
                "properties": {k: v for k, v in properties.items() if k not in commands},
            }
        return Reply(201, b"", [("Location", url)])

    def post_type(self, url: str) -> str:
        """The stored post's type by Post Type Discovery (W3C Note, sections 4 and 5), as IndieKit files posts:
        photo when it has `photo`, article when its `name` is not just the start of its content, else note."""
        properties = self.posts[url]["properties"]
        if properties.get("photo"):
            return "photo"
        name = " ".join(str(n) for n in properties.get("name") or []).strip()
        content = properties.get("content") or [""]
        text = content[0].get("value", content[0].get("html", "")) if isinstance(content[0], dict) else str(content[0])
        return "article" if name and not " ".join(text.split()).startswith(" ".join(name.split())) else "note"

    # --- the media endpoint ------------------------------------------------------------------

    def _media(self, received: Received) -> Reply:
        return self._run("media", received, lambda: self._auth(received, "media") or self._upload(received))

    def _upload(self, received: Received) -> Reply:
        if not self.media_enabled:
            return _error(404, "invalid_request", "no media endpoint")
        content_type = received.headers.get("Content-Type") or ""
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + received.body
        )
        parts = (
            [p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "file"]
            if message.is_multipart()
            else []
        )
        if len(parts) != 1:
            return _error(400, "invalid_request", "send one part named file")
        part = parts[0]
        filename = part.get_filename() or "upload"
        with self._lock:
            self._count += 1
            url = self.server.url(f"/files/{self._count}-{quote(filename, safe='.')}")
        self.files[url] = (filename, part.get_content_type(), part.get_payload(decode=True) or b"")
        return Reply(201, b"", [("Location", url)])

    def _files(self, received: Received) -> Reply:
        url = self.server.url(urlsplit(received.path).path)
        if url in self.files:
            return Reply(200, self.files[url][2], [("Content-Type", self.files[url][1])])
        return Reply(404, b"not found", [("Content-Type", "text/plain")])

    # --- IndieAuth ----------------------------------------------------------------------------

    def _profile(self, received: Received) -> Reply:
        def page() -> Reply:
            if self.legacy_links:
                links = (
                    '<link rel="authorization_endpoint" href="/auth">'
                    f'<link rel="token_endpoint" href="{self.server.url("/token")}">'
                )
            else:
                links = '<link rel="indieauth-metadata" href="/.well-known/oauth-authorization-server">'
            html = (
                f'<!doctype html><html><head>{links}<link rel="micropub" href="/micropub"></head>'
                '<body class="h-card">Writer</body></html>'
            )
            return Reply(200, html, [("Content-Type", "text/html; charset=utf-8")])

        return self._run("profile", received, page)

    def _metadata(self, received: Received) -> Reply:
        metadata = {
            "issuer": self.site,
            "authorization_endpoint": self.server.url("/auth"),
            "token_endpoint": self.server.url("/token"),
            "scopes_supported": list(SCOPES),
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
        }
        return self._run("metadata", received, lambda: Reply(200, json.dumps(metadata), JSON))

    def _authorize(self, received: Received) -> Reply:
        return self._run("authorize", received, lambda: self._approve(dict(parse_qsl(urlsplit(received.path).query))))

    def _approve(self, params: dict[str, str]) -> Reply:
        client, redirect = urlsplit(params.get("client_id", "")), urlsplit(params.get("redirect_uri", ""))
        if not client.scheme or (client.scheme, client.netloc) != (redirect.scheme, redirect.netloc):
            return Reply(400, "client_id and redirect_uri must share an origin (no client metadata to check here)")
        if (
            params.get("response_type") != "code"
            or params.get("code_challenge_method") != "S256"
            or not params.get("code_challenge")
        ):
            return _redirect(params, error="invalid_request")
        code = secrets.token_urlsafe(16)
        self._codes[code] = {k: params.get(k, "") for k in ("client_id", "redirect_uri", "code_challenge", "scope")}
        return _redirect(params, code=code, iss=self.site)

    def _token(self, received: Received) -> Reply:
        form = dict(parse_qsl(received.body.decode()))
        return self._run("token", received, lambda: self._exchange(form))

    def _exchange(self, form: dict[str, str]) -> Reply:
        grant = self._codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or grant is None:
            return _error(400, "invalid_grant", "unknown or used code")
        if form.get("client_id") != grant["client_id"] or form.get("redirect_uri") != grant["redirect_uri"]:
            return _error(400, "invalid_grant", "client_id or redirect_uri differ from the authorization request")
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["code_challenge"]:
            return _error(400, "invalid_grant", "the code verifier does not match the challenge")
        self.issued.append(form)
        body = {
            "access_token": self.token,
            "token_type": "Bearer",
            "scope": " ".join(s for s in grant["scope"].split() if s in self.scopes),
            "me": self.site,
        }
        return Reply(200, json.dumps(body), JSON)


def _error(status: int, error: str, description: str) -> Reply:
    return Reply(status, json.dumps({"error": error, "error_description": description}), JSON)


def _redirect(params: dict[str, str], **values: str) -> Reply:
    redirect = params["redirect_uri"]
    query = urlencode({**values, "state": params.get("state", "")})
    return Reply(302, b"", [("Location", f"{redirect}{'&' if '?' in redirect else '?'}{query}")])
