"""Signed tokens for the confirm and unsubscribe links: HMAC-SHA256 over a subscriber's id, never the address.

A confirm token is `c.<id>.<expiry>.<nonce>.<signature>`: it expires, and the nonce is the
subscriber's current one, cleared when the address is confirmed, so the link works once. An
unsubscribe token is `u.<id>.<nonce>.<signature>` with the subscriber's own nonce: it works until
the subscriber subscribes again. The secret lives in the receiver's database
(`newsletter_settings`), made on first use.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

CONFIRM_HOURS = 48  # a confirm link works for this long
_TOKEN = re.compile(r"(c|u)\.(\d{1,18})\.(?:(\d{10})\.)?([A-Za-z0-9_-]{8,64})\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class Token:
    """What a token says, once its signature checked: its kind, the subscriber, the nonce, when it expires."""

    kind: str  # "c": confirm, "u": unsubscribe
    subscriber: int
    nonce: str
    expires: dt.datetime | None


def new_nonce() -> str:
    """A random nonce for a subscriber's links."""
    return secrets.token_urlsafe(12)


def new_secret() -> str:
    """A random signing secret."""
    return secrets.token_urlsafe(32)


def _sign(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def confirm_token(secret: str, subscriber: int, nonce: str, now: dt.datetime) -> str:
    """The token of a confirm link for `subscriber`, valid for CONFIRM_HOURS from `now`."""
    expires = int((now + dt.timedelta(hours=CONFIRM_HOURS)).timestamp())
    payload = f"c.{subscriber}.{expires}.{nonce}"
    return f"{payload}.{_sign(secret, payload)}"


def unsubscribe_token(secret: str, subscriber: int, nonce: str) -> str:
    """The token of `subscriber`'s unsubscribe link."""
    payload = f"u.{subscriber}.{nonce}"
    return f"{payload}.{_sign(secret, payload)}"


def read_token(secret: str, token: str) -> Token | None:
    """The token's content if it is well formed and signed with `secret`, else None (expiry is the caller's)."""
    match = _TOKEN.fullmatch(token.strip())
    if not match:
        return None
    kind, subscriber, expires, nonce, signature = match.groups()
    if (kind == "c") != (expires is not None):
        return None
    payload = token.strip().rpartition(".")[0]
    if not hmac.compare_digest(_sign(secret, payload), signature):
        return None
    when = dt.datetime.fromtimestamp(int(expires), dt.UTC) if expires else None
    return Token(kind, int(subscriber), nonce, when)
