"""The receiver's WSGI application: its routes, the Webmention endpoint and readers' comments.

- `POST /webmention` (form-encoded `source` and `target`) runs the synchronous checks of the W3C
  Recommendation 3.2.1 and answers 400 with a plain-text reason (missing or malformed URL, a
  scheme other than http(s), source equal to target, a target not under `[site] url`, a source
  on the `[webmention] blocklist` or a subdomain of it), 413 for a body over 16 KiB, 415 for a
  body that is not form-encoded, and 429 with Retry-After when a source host sends more than
  `[webmention] rate_limit` requests in a minute. Otherwise the request is queued (committed to
  disk) and answered 202. `GET /webmention` shows a small form; other methods get 405.
- `GET /api/mentions` lists verified mentions and approved readers' comments as a jf2 feed: see
  `mentions_api`.
- `POST /comment` (only with `[comments] enabled`; 404 otherwise) takes a reader's comment from a
  plain HTML form (see `comments`): 415 for a body that is not form-encoded, 413 for one larger
  than a comment of `[comments] max_length` characters can make, 429 with Retry-After past
  `[comments] rate_limit` comments per IP address (per /64 for IPv6) a minute, 400 with a small
  HTML page naming the field for a form to correct. Otherwise `303 See Other` to
  `comment/thanks?target=<post>` (relative, so it works behind a proxy's path prefix), also when
  the honeypot was filled or the author is blocked: those are dropped without a word. The 303
  sets the commenter's secret token as a cookie (`homepost_commenter`, a year, HttpOnly,
  SameSite=Lax, Secure over https), or keeps the one the browser sent: with
  `[comments] auto_approve_known`, the token of an approved commenter approves at once. No
  JavaScript is needed, and a page of another site cannot post with it (SameSite).
- `GET /comment/thanks?target=URL[&published=1]` is the page a reader lands on, with a link back
  to the post when the URL is on this site.
- `/subscribe`, `/subscribe/confirm` and `/unsubscribe` (only with `[newsletter] enabled`): see
  `generator.newsletter.routes`.
- `POST /fediverse/inbox` and `POST /fediverse/shared-inbox` (only with `[fediverse] enabled`): see
  `generator.fediverse.inbox`. Likes, boosts and replies from the fediverse are listed by
  `GET /api/mentions` beside the mentions and comments.

Everything else is 404. No response ever repeats its input unescaped.
"""

from __future__ import annotations

import html
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs, urlencode, urlsplit

from generator.config import Config
from generator.webmention.receiver.comment_validation import post_url, rate_key
from generator.webmention.receiver.comments import TOKEN_PATTERN, CommentForm, CommentRefused, new_token
from generator.webmention.receiver.faults import fault_point
from generator.webmention.receiver.mentions_api import API_PATH, mentions_feed
from generator.webmention.receiver.moderation import submit_comment
from generator.webmention.receiver.store import Store
from generator.webmention.receiver.web import CSP, MAX_FIELDS, Environ, Headers, StartResponse, html_page, query_params

ENDPOINT_PATH = "/webmention"
MAX_BODY = 16 * 1024  # bytes of a POST body: two URLs of up to 2000 characters, percent-encoded, fit
MAX_URL = 2000
WINDOW = 60.0  # seconds the rate limit counts over
FORM_TYPE = "application/x-www-form-urlencoded"
COMMENT_PATH = "/comment"
THANKS_PATH = "/comment/thanks"
COOKIE = "homepost_commenter"
COOKIE_AGE = 365 * 24 * 3600  # seconds: a year
AWAITING = "Thank you — your comment awaits moderation."
PUBLISHED = "Thank you — your comment is published with the next update of the site."
FORM_PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Webmention endpoint</title></head>
<body><h1>Webmention endpoint</h1>
<p>Did you link to a page on this site? Send a <a href="https://www.w3.org/TR/webmention/">Webmention</a>.</p>
<form method="post">
<p><label>Your page (source) <input type="url" name="source" required></label></p>
<p><label>The page you linked (target) <input type="url" name="target" required></label></p>
<p><button type="submit">Send</button></p>
</form></body></html>
"""


class RateLimiter:
    """At most `limit` events per key in any `window` seconds (a sliding window, kept in memory)."""

    def __init__(self, limit: int, window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> float | None:
        """Count one event for `key` and return None, or return the seconds to wait when over the limit."""
        now = self.clock()
        with self._lock:
            if len(self._events) > 10_000:  # forget hosts that went quiet
                self._events = {k: q for k, q in self._events.items() if q and q[-1] > now - self.window}
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return max(events[0] + self.window - now, 0.0)
            events.append(now)
            return None


def is_blocked(host: str, blocklist: Iterable[str]) -> bool:
    """True if `host` is a blocked domain or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in blocklist)


def on_site(url: str, site_url: str) -> bool:
    """True if `url` is under the site's base URL (scheme and host compared without regard to case)."""
    parts, base = urlsplit(url), urlsplit(site_url)
    if (parts.scheme.lower(), _netloc(parts.scheme, parts.netloc)) != (
        base.scheme.lower(),
        _netloc(base.scheme, base.netloc),
    ):
        return False
    path, base_path = parts.path or "/", base.path or "/"
    return path.startswith(base_path) or path + "/" == base_path


def _netloc(scheme: str, netloc: str) -> str:
    host = netloc.rpartition("@")[2].lower()
    default = {"http": ":80", "https": ":443"}.get(scheme.lower())
    return host.removesuffix(default) if default else host


def commenter_token(cookie_header: str) -> str | None:
    """The commenter's token from a Cookie header, or None when it has none of the right form."""
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and TOKEN_PATTERN.fullmatch(value):
            return value
    return None


def comment_body_limit(max_length: int) -> int:
    """The largest `POST /comment` body: a comment of `max_length` 4-byte characters percent-encoded, and the rest."""
    return 12 * max_length + MAX_BODY


class ReceiverApp:
    """The WSGI application; `notify` is called after each request is queued (to wake the worker)."""

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
        self.notify = notify
        self.limiter = limiter or RateLimiter(config.webmention.rate_limit)
        self.comment_limiter = RateLimiter(config.comments.rate_limit)
        from generator.newsletter.routes import PATHS, NewsletterRoutes  # imports this module's helpers

        self.newsletter_paths = PATHS if config.newsletter.enabled else ()
        self.newsletter = NewsletterRoutes(config, store, notify)
        from generator.fediverse.inbox import PATHS as INBOX_PATHS
        from generator.fediverse.inbox import InboxRoutes  # imports this module's helpers

        self.inbox_paths = INBOX_PATHS
        self.inbox = InboxRoutes(config, store, notify=notify)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """Route one request."""
        method, path = environ.get("REQUEST_METHOD", "GET").upper(), environ.get("PATH_INFO", "") or "/"
        if path in (ENDPOINT_PATH, ENDPOINT_PATH + "/"):
            if method == "POST":
                status, headers, body = self.receive(environ)
            elif method in ("GET", "HEAD"):
                status, headers, body = "200 OK", [("Content-Type", "text/html; charset=utf-8"), CSP], FORM_PAGE
            else:
                status, headers, body = _text("405 Method Not Allowed", "use POST to send a webmention\n")
                headers.append(("Allow", "GET, HEAD, POST"))
        elif path == API_PATH:
            if method in ("GET", "HEAD"):
                status, headers, body = mentions_feed(self.store, self.inbox.fediverse, query_params(environ))
            else:
                status, headers, body = _text("405 Method Not Allowed", "the API is read-only\n")
                headers.append(("Allow", "GET, HEAD"))
        elif path in (COMMENT_PATH, COMMENT_PATH + "/", THANKS_PATH) and self.config.comments.enabled:
            if path == THANKS_PATH and method in ("GET", "HEAD"):
                status, headers, body = self.thanks(environ)
            elif path == THANKS_PATH:
                status, headers, body = _text("405 Method Not Allowed", "this page can only be read\n")
                headers.append(("Allow", "GET, HEAD"))
            elif method == "POST":
                status, headers, body = self.comment(environ, path)
            else:
                status, headers, body = _text("405 Method Not Allowed", "send comments with the form on a post\n")
                headers.append(("Allow", "POST"))
        elif path in self.newsletter_paths:
            status, headers, body = self.newsletter.answer(method, path, environ)
        elif path in self.inbox_paths:
            status, headers, body = self.inbox.answer(method, path, environ)
        else:
            status, headers, body = _text("404 Not Found", "not found\n")
        headers += [("Content-Length", str(len(body))), ("X-Content-Type-Options", "nosniff")]
        start_response(status, headers)
        return [b""] if method == "HEAD" else [body]

    def receive(self, environ: Environ) -> tuple[str, Headers, bytes]:
        """POST /webmention: the synchronous checks, then queue and 202."""
        form = _read_form(environ, MAX_BODY, "send source and target")
        if not isinstance(form, dict):
            return form
        source, target = (form.get(name, [""])[0].strip() for name in ("source", "target"))
        problem = self.problem(source, target)
        if problem:
            return _text("400 Bad Request", problem + "\n")
        wait = self.limiter.check((urlsplit(source).hostname or "").lower())
        if wait is not None:
            status, headers, body = _text(
                "429 Too Many Requests", "too many webmentions from this source host; try again later\n"
            )
            return status, headers + [("Retry-After", str(max(1, math.ceil(wait))))], body
        self.store.enqueue(source, target)
        fault_point("accept.queued")
        if self.notify:
            self.notify()
        return _text("202 Accepted", "Accepted: the source will be verified shortly.\n")

    def problem(self, source: str, target: str) -> str | None:
        """Why this source and target cannot be accepted, or None."""
        for name, value in (("source", source), ("target", target)):
            message = _url_problem(name, value)
            if message:
                return message
        if _same(source, target):
            return "source and target are the same URL"
        if not on_site(target, self.config.site.url):
            return f"target is not on this site (it must start with {self.config.site.url})"
        if is_blocked(urlsplit(source).hostname or "", self.config.webmention.blocklist):
            return "webmentions from the source's domain are not accepted here"
        return None

    def comment(self, environ: Environ, path: str) -> tuple[str, Headers, bytes]:
        """POST /comment: a reader's comment from the form; 303 to the thank-you page, or why not."""
        fields = _read_form(environ, comment_body_limit(self.config.comments.max_length), "send the comment form")
        if not isinstance(fields, dict):
            if fields[0] != "400 Bad Request":
                return fields
            return self._comment_page(
                "400 Bad Request", "Your comment was not sent", "The form data could not be read.", None
            )
        form = CommentForm.from_fields(fields)
        ip = environ.get("REMOTE_ADDR", "")
        wait = self.comment_limiter.check(rate_key(ip))
        if wait is not None:
            status, headers, page = self._comment_page(
                "429 Too Many Requests",
                "Your comment was not sent",
                "Too many comments from your address in the last minute; please wait a minute and send it again.",
                post_url(self.config, form.target),
            )
            return status, headers + [("Retry-After", str(max(1, math.ceil(wait))))], page
        token = commenter_token(environ.get("HTTP_COOKIE", "")) or new_token()
        try:
            submission = submit_comment(self.store, self.config, form, ip, token)
        except CommentRefused as refused:
            return self._comment_page(
                "400 Bad Request",
                "Your comment was not sent",
                f"Please go back and correct it: {refused.reason}.",
                post_url(self.config, form.target),
            )
        query = {"target": submission.target or form.target.strip()[:MAX_URL]}
        if submission.published:
            query["published"] = "1"
        relative = "comment/thanks" if path == COMMENT_PATH else "thanks"  # resolved against .../comment(/)
        status, headers, page = _text("303 See Other", "Thank you: your comment was received.\n")
        secure = "; Secure" if environ.get("wsgi.url_scheme") == "https" else ""
        cookie = f"{COOKIE}={token}; Max-Age={COOKIE_AGE}; HttpOnly; SameSite=Lax{secure}"
        return status, headers + [("Location", f"{relative}?{urlencode(query)}"), ("Set-Cookie", cookie)], page

    def thanks(self, environ: Environ) -> tuple[str, Headers, bytes]:
        """GET /comment/thanks?target=URL[&published=1]: where a reader lands after sending a comment."""
        params = query_params(environ) or {}
        target = params.get("target", [""])[0]
        message = PUBLISHED if params.get("published", [""])[0] == "1" else AWAITING
        return self._comment_page("200 OK", "Thank you", message, post_url(self.config, target))

    def _comment_page(self, status: str, title: str, message: str, back: str | None) -> tuple[str, Headers, bytes]:
        """A small self-contained HTML page; every piece of text escaped, the link only to a page of this site."""
        link = f'<p><a href="{html.escape(back)}">Back to the post</a></p>\n' if back else ""
        return html_page(self.config, status, title, message, link)


def _url_problem(name: str, value: str) -> str | None:
    if not value:
        return f"{name} is missing"
    if len(value) > MAX_URL:
        return f"{name} is longer than {MAX_URL} characters"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return f"{name} is not a valid URL"
    if not parts.scheme:
        return f"{name} is not a valid URL (it must be absolute, such as https://example.com/post)"
    if parts.scheme.lower() not in ("http", "https"):
        return f"{name} must be an http or https URL"
    if not parts.hostname or any(ch.isspace() or ord(ch) < 32 or ch in "<>\"'" for ch in value):
        return f"{name} is not a valid URL"
    return None


def _same(source: str, target: str) -> bool:
    a, b = urlsplit(source), urlsplit(target)
    return (a.scheme.lower(), _netloc(a.scheme, a.netloc), a.path or "/", a.query) == (
        b.scheme.lower(),
        _netloc(b.scheme, b.netloc),
        b.path or "/",
        b.query,
    )


def _read_form(environ: Environ, limit: int, what: str) -> dict[str, list[str]] | tuple[str, Headers, bytes]:
    """The form-encoded body of a POST, or the 415/413/400 answer that refuses it."""
    kind = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if kind and kind != FORM_TYPE:
        return _text("415 Unsupported Media Type", f"{what} as {FORM_TYPE}\n")
    length = environ.get("CONTENT_LENGTH") or ""
    body = b"" if length.isdigit() and int(length) > limit else environ["wsgi.input"].read(limit + 1)
    if (length.isdigit() and int(length) > limit) or len(body) > limit:
        return _text("413 Content Too Large", f"the request body is larger than {limit} bytes\n")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):  # percent-escapes of invalid UTF-8 too: never read as U+FFFD
        return _text("400 Bad Request", "the request body is not valid form data\n")


def _text(status: str, message: str) -> tuple[str, Headers, bytes]:
    return status, [("Content-Type", "text/plain; charset=utf-8")], message.encode("utf-8")
