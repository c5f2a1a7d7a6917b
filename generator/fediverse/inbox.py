"""The fediverse inbox: `POST {INBOX_ROUTE}` and `POST {SHARED_INBOX_ROUTE}` of `homepost receiver`.

Only with `[fediverse] enabled` (404 otherwise). Each request is checked in this order: a body over
`MAX_BODY` bytes is 413; one that is not a JSON activity with an `id`, a `type` and an `actor` (the
id on the actor's host) is 400; an actor blocked by `[moderation] block` (domain, author URL or
@handle) or by `homepost comments block` / `homepost fediverse followers block` is answered 202 as
if accepted, and nothing is stored; past `RATE` activities a minute from one host, 429 with
Retry-After; a request whose HTTP Signature does not hold (unsigned, changed, too old, an unknown
key, or a key whose owner is not the activity's actor) is 401. Otherwise the activity is committed
to the receiver's database and answered 202; the worker (`processing`) does the rest. An activity
whose id was seen before is answered 202 and changes nothing. `GET` is 405.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from generator.config import Config
from generator.fediverse.actors import ActorDirectory, first_id, site_signer
from generator.fediverse.inbox_store import FediverseStore
from generator.fediverse.signatures import Request, SignatureRefused, verify
from generator.fediverse.urls import INBOX_ROUTE, SHARED_INBOX_ROUTE, receiver_base
from generator.http import HttpClient
from generator.redaction import redact
from generator.webmention.receiver.app import RateLimiter, _text, is_blocked
from generator.webmention.receiver.faults import fault_point
from generator.webmention.receiver.store import Store

log = logging.getLogger(__name__)
PATHS = (INBOX_ROUTE, INBOX_ROUTE + "/", SHARED_INBOX_ROUTE, SHARED_INBOX_ROUTE + "/")
MAX_BODY = 256 * 1024  # bytes of one activity: Mastodon's own limit is lower
RATE = 300  # activities a minute from one host (a busy server's boosts of a popular post fit)
Answer = tuple[str, list[tuple[str, str]], bytes]


def blocked_actor(actor: str, handle: str, rules: Iterable[str]) -> bool:
    """True when a `[moderation] block` rule or a block of the database names the actor, its @handle or its domain."""
    host = urlsplit(actor).hostname or ""
    domains: list[str] = []
    exact: list[str] = []
    for rule in (rule.strip().lower() for rule in rules):
        (exact if rule.startswith(("http://", "https://", "@")) else domains).append(rule)
    names = {actor.lower().rstrip("/"), handle.lower()}
    return is_blocked(host, domains) or any(rule.rstrip("/") in names for rule in exact)


def parse_activity(body: bytes) -> dict[str, Any] | str:
    """The activity in a request body, its `actor` reduced to an id; or why it is not one."""
    try:
        activity = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "the body is not JSON"
    if not isinstance(activity, dict):
        return "the body is not a JSON object"
    actor, activity_id, kind = first_id(activity.get("actor")), activity.get("id"), activity.get("type")
    if not isinstance(kind, str) or not kind:
        return "the activity has no type"
    if not isinstance(activity_id, str) or urlsplit(activity_id).scheme not in ("http", "https"):
        return "the activity has no id (an http(s) URL)"
    if urlsplit(actor).scheme not in ("http", "https") or not urlsplit(actor).hostname:
        return "the activity has no actor (an http(s) URL)"
    if urlsplit(activity_id).hostname != urlsplit(actor).hostname:
        return "the activity's id is not on its actor's host"
    return {**activity, "actor": actor}


class InboxRoutes:
    """The inbox routes of one receiver; `notify` wakes the worker after an activity is queued."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        notify: Callable[[], None] | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.fediverse = FediverseStore(store)
        self.directory = ActorDirectory(self.fediverse, HttpClient(config.network), site_signer(config))
        self.notify = notify
        self.limiter = limiter or RateLimiter(RATE)

    def answer(self, method: str, path: str, environ: dict) -> Answer:
        """Route one request under the inbox paths."""
        if not self.config.fediverse.enabled:
            return _text("404 Not Found", "not found\n")
        if method != "POST":
            status, headers, body = _text("405 Method Not Allowed", "deliver activities with POST\n")
            return status, headers + [("Allow", "POST")], body
        return self.receive(environ, path)

    def receive(self, environ: dict, path: str) -> Answer:
        """POST to an inbox: the checks, then queue and 202."""
        length = environ.get("CONTENT_LENGTH") or ""
        too_big = length.isdigit() and int(length) > MAX_BODY
        body = b"" if too_big else environ["wsgi.input"].read(MAX_BODY + 1)
        if too_big or len(body) > MAX_BODY:
            return _text("413 Content Too Large", f"the activity is larger than {MAX_BODY} bytes\n")
        activity = parse_activity(body)
        if isinstance(activity, str):
            return _text("400 Bad Request", activity + "\n")
        actor = activity["actor"]
        if self.blocked(actor):
            log.info("fediverse: %s from %s refused (blocked)", activity["type"], redact(actor))
            return _text("202 Accepted", "Accepted.\n")
        wait = self.limiter.check((urlsplit(actor).hostname or "").lower())
        if wait is not None:
            status, headers, text = _text("429 Too Many Requests", "too many activities from your host\n")
            return status, headers + [("Retry-After", str(max(1, math.ceil(wait))))], text
        refused = self.verify(environ, path, body, actor)
        if refused is not None:
            log.info("fediverse: %s from %s refused: %s", activity["type"], redact(actor), refused.reason)
            status, headers, text = _text("401 Unauthorized", f"{refused}\n")
            return status, headers + [("WWW-Authenticate", 'Signature realm="inbox"')], text
        if self.fediverse.enqueue(activity):
            fault_point("inbox.queued")
            if self.notify:
                self.notify()
        return _text("202 Accepted", "Accepted.\n")

    def verify(self, environ: dict, path: str, body: bytes, actor: str) -> SignatureRefused | None:
        """None when the request's signature holds for `actor`, at its public URL or as it arrived; else why not."""
        candidates = requests_of(environ, path, body, receiver_base(self.config))
        refused = SignatureRefused("signature", "no request to verify")
        for request in candidates:
            try:
                verify(request, self.directory.lookup, actor=actor)
                return None
            except SignatureRefused as why:
                refused = why
                if why.reason != "signature":  # only the signed string can differ between the two URLs
                    break
        return refused

    def blocked(self, actor: str) -> bool:
        """True when the actor is blocked by `[moderation]` or the receiver's blocks."""
        known = self.fediverse.actor(actor)
        rules = list(self.config.moderation.block)
        rules += [block.value for block in self.store.blocks() if block.kind in ("domain", "author")]
        return blocked_actor(actor, known.handle if known else "", rules)


def requests_of(environ: dict, path: str, body: bytes, public_base: str) -> list[Request]:
    """The request as its sender may have signed it: at the receiver's public URL (`public_base`, its path and
    scheme, as a proxy that strips a prefix hides them), then as it arrived; the host from the Host header."""
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    host = headers.get("host") or environ.get("SERVER_NAME", "")
    query = "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""
    urls = [f"{environ.get('wsgi.url_scheme', 'http')}://{host}{environ.get('SCRIPT_NAME', '')}{path}{query}"]
    if public_base:
        base = urlsplit(public_base)
        urls.insert(0, f"{base.scheme}://{host}{base.path.rstrip('/')}{path}{query}")
    method = environ.get("REQUEST_METHOD", "POST")
    return [Request(method, url, headers, body) for url in dict.fromkeys(urls)]
