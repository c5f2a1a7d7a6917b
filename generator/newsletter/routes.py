"""The receiver's newsletter pages (only with `[newsletter] enabled`; 404 otherwise).

- `POST /subscribe` (form-encoded `email`, and `email_confirm`, a honeypot): 415/413 like the other
  forms, 429 with Retry-After past `SUBSCRIBE_RATE` requests per IP address (per /64) a minute,
  400 for an address that is not one. Otherwise the same page whatever the address's state
  (new, pending, confirmed, unsubscribed, or a filled honeypot): "check your inbox". A new or
  pending address gets a confirmation email, queued in the database before the answer and sent by
  the receiver's mailer, at most `ADDRESS_RATE` an hour per address.
- `GET /subscribe/confirm?token=…` shows a button (mail scanners follow links); `POST` to it
  confirms and thanks. A used, expired or forged link says so, naming no address.
- `GET /unsubscribe?token=…` shows a button; `POST` unsubscribes at once (RFC 8058 one-click: the
  body `List-Unsubscribe=One-Click`, form-encoded or multipart, and no cookie; or the button's form).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from urllib.parse import urlencode

from generator.config import Config
from generator.newsletter.addresses import address_problem, normalize
from generator.newsletter.store import NewsletterStore
from generator.webmention.receiver.app import RateLimiter, _read_form, _text
from generator.webmention.receiver.comment_validation import rate_key
from generator.webmention.receiver.faults import fault_point
from generator.webmention.receiver.store import Store
from generator.webmention.receiver.web import html_page, query_params

SUBSCRIBE_PATH = "/subscribe"
CONFIRM_PATH = "/subscribe/confirm"
UNSUBSCRIBE_PATH = "/unsubscribe"
PATHS = (SUBSCRIBE_PATH, SUBSCRIBE_PATH + "/", CONFIRM_PATH, UNSUBSCRIBE_PATH)
MAX_FORM = 4 * 1024  # bytes of a subscribe or unsubscribe body
SUBSCRIBE_RATE = 10  # subscribe requests per IP address a minute
ADDRESS_RATE = 3  # confirmation emails per address an hour
CHECK_INBOX = (
    "If the address can subscribe, an email with a link to confirm is on its way. Nothing is sent until you follow it."
)

Answer = tuple[str, list[tuple[str, str]], bytes]


class NewsletterRoutes:
    """The subscribe, confirm and unsubscribe pages; `notify` wakes the mailer after a confirmation is queued."""

    def __init__(self, config: Config, store: Store, notify: Callable[[], None] | None = None) -> None:
        self.config = config
        self.newsletter = NewsletterStore(store)
        self.notify = notify
        self.ip_limiter = RateLimiter(SUBSCRIBE_RATE)
        self.address_limiter = RateLimiter(ADDRESS_RATE, window=3600.0)

    def answer(self, method: str, path: str, environ: dict) -> Answer:
        """Route one request under the newsletter's paths."""
        allowed = "GET, HEAD, POST" if path != SUBSCRIBE_PATH and path != SUBSCRIBE_PATH + "/" else "POST"
        if method == "POST":
            if path in (SUBSCRIBE_PATH, SUBSCRIBE_PATH + "/"):
                return self.subscribe(environ)
            return self.decide(environ, path)
        if method in ("GET", "HEAD") and path in (CONFIRM_PATH, UNSUBSCRIBE_PATH):
            return self.ask(environ, path)
        status, headers, body = _text("405 Method Not Allowed", "use the form to subscribe\n")
        return status, headers + [("Allow", allowed)], body

    def subscribe(self, environ: dict) -> Answer:
        """POST /subscribe."""
        fields = _read_form(environ, MAX_FORM, "send the subscribe form")
        if not isinstance(fields, dict):
            return fields
        wait = self.ip_limiter.check(rate_key(environ.get("REMOTE_ADDR", "")))
        if wait is not None:
            status, headers, page = self.page(
                "429 Too Many Requests",
                "Not subscribed yet",
                "Too many requests from your address; please try again in a minute.",
            )
            return status, headers + [("Retry-After", str(max(1, math.ceil(wait))))], page
        address = fields.get("email", [""])[0].strip()
        if fields.get("email_confirm", [""])[0]:  # the honeypot: answered like a success, nothing stored
            return self.page("200 OK", "Check your inbox", CHECK_INBOX)
        problem = address_problem(address)
        if problem:
            return self.page("400 Bad Request", "Not subscribed", f"Please go back and correct it: {problem}.")
        if self.address_limiter.check(normalize(address)) is None:
            queued = self.newsletter.subscribe(address) is not None
            fault_point("subscribe.queued")
            if queued and self.notify:
                self.notify()
        return self.page("200 OK", "Check your inbox", CHECK_INBOX)

    def ask(self, environ: dict, path: str) -> Answer:
        """GET on a confirm or unsubscribe link: a page with the button that does it."""
        token = ((query_params(environ) or {}).get("token") or [""])[0]
        confirm = path == CONFIRM_PATH
        action = f"{path.rsplit('/', 1)[1]}?{urlencode({'token': token})}"
        button = (
            f'<form method="post" action="{html.escape(action)}"><p><button type="submit">'
            f"{'Confirm my subscription' if confirm else 'Unsubscribe'}</button></p></form>"
        )
        title = "Confirm your subscription" if confirm else "Unsubscribe"
        text = (
            f"Press the button to receive {self._name()} by email."
            if confirm
            else f"Press the button to stop receiving {self._name()} by email."
        )
        return self.page("200 OK", title, text, button)

    def decide(self, environ: dict, path: str) -> Answer:
        """POST on a confirm or unsubscribe link (the one-click POST of RFC 8058 too, form-encoded or multipart)."""
        token = ((query_params(environ) or {}).get("token") or [""])[0]
        if token:  # the link's own token: the body (RFC 8058's "List-Unsubscribe=One-Click") changes nothing
            environ["wsgi.input"].read(MAX_FORM)
        else:
            fields = _read_form(environ, MAX_FORM, "press the button")
            if not isinstance(fields, dict):
                return fields
            token = (fields.get("token") or [""])[0]
        if path == CONFIRM_PATH:
            if self.newsletter.confirm(token):
                return self.page(
                    "200 OK", "Thank you", f"You are subscribed: new posts of {self._name()} will reach your inbox."
                )
            return self.page(
                "400 Bad Request",
                "This link does not work",
                "It was used already, is older than 48 hours, or is not complete. Subscribe again to get a new one.",
            )
        if self.newsletter.unsubscribe(token):
            return self.page("200 OK", "Unsubscribed", f"You will receive no more emails from {self._name()}.")
        return self.page(
            "400 Bad Request",
            "This link does not work",
            "It is not complete or no longer valid. Use the link in the newest email.",
        )

    def _name(self) -> str:
        return self.config.newsletter.name or self.config.site.title

    def page(self, status: str, title: str, message: str, form: str = "") -> Answer:
        """A small self-contained HTML page; every piece of text escaped, a link home."""
        home = f'<p><a href="{html.escape(self.config.site.url)}">{html.escape(self.config.site.title)}</a></p>\n'
        return html_page(self.config, status, title, message, form + "\n" + home)
