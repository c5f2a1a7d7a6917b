"""What both signature schemes share: the request as received, the parsed signature, the refusal, the checks.

`cavage.py` and `rfc9421.py` each turn a request's headers into a `Signed` (after checking its time,
digest and coverage here); `signatures.py` looks up the key and checks the signature itself.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda body: hashlib.sha256(body).digest(),
    "sha-512": lambda body: hashlib.sha512(body).digest(),
}


class SignatureRefused(Exception):
    """An incoming request whose signature does not hold; `reason` says which check failed (answer 401)."""

    def __init__(self, reason: str, message: str, key_id: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.key_id = key_id


@dataclass(frozen=True)
class Policy:
    """How old a signature may be (Mastodon: 12 hours) and how far ahead of our clock it may run."""

    max_age: dt.timedelta = dt.timedelta(hours=12)
    max_skew: dt.timedelta = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Request:
    """An incoming request as the receiver saw it: `url` is the full URL (scheme, Host header, path, query)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The value of header `name` (any case), or None."""
        name = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == name), None)


@dataclass(frozen=True)
class Signed:
    """A parsed signature: what was signed (one or more candidate signing strings) and with what."""

    scheme: str
    key_id: str
    algorithm: str  # "rsa", "ed25519", or "" to take it from the key
    signature: bytes
    messages: tuple[bytes, ...]


def check_time(when: dt.datetime, policy: Policy, now: dt.datetime, what: str, key_id: str) -> None:
    """Refuse a signature made longer ago than the policy allows, or ahead of our clock by more than the skew."""
    if when > now + policy.max_skew:
        raise SignatureRefused("date", f"{what} {when:%Y-%m-%d %H:%M:%S} UTC is in the future", key_id)
    if when < now - policy.max_age:
        hours = policy.max_age.total_seconds() / 3600
        raise SignatureRefused("date", f"{what} {when:%Y-%m-%d %H:%M:%S} UTC is older than {hours:g} hours", key_id)


def check_digests(offered: Mapping[str, bytes], body: bytes, header: str, key_id: str) -> None:
    """Every offered digest we know must match the body, and at least one must be known (sha-256, sha-512)."""
    known = {name: value for name, value in offered.items() if name in DIGESTS}
    if not known:
        names = ", ".join(offered) or "none"
        raise SignatureRefused("digest", f"{header} offers no sha-256 or sha-512 digest (offered: {names})", key_id)
    for name, value in known.items():
        if not hmac.compare_digest(value, DIGESTS[name](body)):
            raise SignatureRefused("digest", f"{header} {name} does not match the body", key_id)


def b64(value: str, key_id: str | None) -> bytes:
    """The bytes of a base64 signature or digest; SignatureRefused when it is not base64."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRefused("malformed", "a signature or digest is not valid base64", key_id) from None


def epoch(value: str, what: str, key_id: str) -> dt.datetime:
    """The moment of a `created` or `expires` parameter (seconds since 1970)."""
    try:
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureRefused("malformed", f"the signature's {what} is not a number of seconds", key_id) from None


def http_date_value(value: str | None, key_id: str) -> dt.datetime:
    """The moment of a Date header (IMF-fixdate, or the older forms HTTP allows), in UTC when it names no zone."""
    if value is None:
        raise SignatureRefused("date", "the signed Date header is missing", key_id)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise SignatureRefused("date", "the Date header is not an HTTP date", key_id) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
