"""Email addresses: the syntax check, the normalised form duplicates are found by, and the redacted form logs show."""

from __future__ import annotations

import hashlib
import re

MAX_ADDRESS = 254  # characters (RFC 5321's limit on a path)
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)


def address_problem(address: str) -> str | None:
    """Why `address` cannot be subscribed ("" trimmed first), or None."""
    if not address:
        return "the email address is missing"
    if len(address) > MAX_ADDRESS:
        return f"the email address is longer than {MAX_ADDRESS} characters"
    if not _ADDRESS.fullmatch(address) or ".." in address or address.startswith("."):
        return "that is not an email address such as name@example.com"
    return None


def normalize(address: str) -> str:
    """The form duplicates are compared in: trimmed, the local part and the domain lower-cased."""
    local, _, domain = address.strip().rpartition("@")
    return f"{local.lower()}@{domain.lower().rstrip('.')}"


def redact_address(address: str) -> str:
    """`a…@example.com`: what logs and messages show of an address."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}…@{domain}" if local else "…"


def address_digest(address: str) -> str:
    """A short hash of an address's normalised form, for logs that must tell addresses apart."""
    return hashlib.sha256(normalize(address).encode("utf-8")).hexdigest()[:12]
