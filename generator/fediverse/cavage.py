"""draft-cavage-http-signatures-12, as Mastodon and most of the fediverse send it: the `Signature` header.

`parse_cavage` checks what can be checked without the key (algorithm, the signed header list, the
date, the digest) and returns the candidate signing strings: `(request-target)` with the query
string, and without it, as Mastodon and Fedify compute it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from generator.fediverse.checks import (
    DIGESTS,
    Policy,
    Request,
    SignatureRefused,
    Signed,
    b64,
    check_digests,
    check_time,
    epoch,
    http_date_value,
)

CAVAGE_ALGORITHMS = ("rsa-sha256", "hs2019")


def parse_cavage(request: Request, policy: Policy, now: dt.datetime) -> Signed:
    """The cavage-12 signature of `request`, its time, digest and header list checked."""
    params = _cavage_params(request.header("signature") or "")
    key_id = params.get("keyid", "")
    if not key_id or "signature" not in params:
        raise SignatureRefused("malformed", "the Signature header needs keyId and signature")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in CAVAGE_ALGORITHMS:
        message = f"unsupported signature algorithm {algorithm!r} (supported: {', '.join(CAVAGE_ALGORITHMS)})"
        raise SignatureRefused("algorithm", message, key_id)
    names = params.get("headers", "date").lower().split()
    has_body = bool(request.body) or request.method.upper() not in ("GET", "HEAD")
    required = ["(request-target)", "host"] + (["digest"] if has_body else [])
    missing = [name for name in required if name not in names]
    if "date" not in names and "(created)" not in names:
        missing.append("date")
    if missing:
        raise SignatureRefused("headers", f"the signed headers lack {', '.join(missing)}", key_id)
    for pseudo in ("created", "expires"):
        if f"({pseudo})" in names and pseudo not in params:
            raise SignatureRefused(
                "malformed", f"({pseudo}) is signed but the Signature header has no {pseudo}", key_id
            )
    if "(created)" in names:
        when = epoch(params["created"], "created", key_id)
    else:
        when = http_date_value(request.header("date"), key_id)
    check_time(when, policy, now, "the signature's date", key_id)
    if "expires" in params and epoch(params["expires"], "expires", key_id) + policy.max_skew < now:
        raise SignatureRefused("date", "the signature has expired", key_id)
    if "digest" in names:
        check_digests(_digest_values(request.header("digest"), key_id), request.body, "Digest", key_id)
    messages = tuple(_cavage_string(request, names, params, full).encode("utf-8") for full in (True, False))
    return Signed(
        "cavage",
        key_id,
        "rsa" if algorithm == "rsa-sha256" else "",
        b64(params["signature"], key_id),
        tuple(dict.fromkeys(messages)),
    )


_CAVAGE_PAIR = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,\s"]*))\s*(?:,|$)')


def _cavage_params(header: str) -> dict[str, str]:
    """The parameters of a cavage Signature header, names lower-cased."""
    params: dict[str, str] = {}
    pos = 0
    while pos < len(header):
        found = _CAVAGE_PAIR.match(header, pos)
        if not found or found.end() == pos:
            raise SignatureRefused("malformed", f"the Signature header does not parse at character {pos + 1}")
        params[found.group(1).lower()] = found.group(2) if found.group(2) is not None else found.group(3)
        pos = found.end()
    return params


def _cavage_string(request: Request, names: list[str], params: Mapping[str, str], with_query: bool) -> str:
    """The signing string for `names`; (request-target) with the query, or without as Mastodon and Fedify sign."""
    parts = urlsplit(request.url)
    target = parts.path or "/"
    if with_query and parts.query:
        target += "?" + parts.query
    lines = []
    for name in names:
        if name == "(request-target)":
            value = f"{request.method.lower()} {target}"
        elif name in ("(created)", "(expires)"):
            value = params.get(name.strip("()"), "")
        else:
            header = request.header(name)
            if header is None:
                raise SignatureRefused(
                    "headers", f"the signed header {name} is not in the request", params.get("keyid")
                )
            value = header.strip()
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _digest_values(header: str | None, key_id: str) -> dict[str, bytes]:
    """The `Digest` header's algorithms (lower-cased) and their decoded values."""
    if header is None:
        raise SignatureRefused("digest", "the Digest header is signed but missing", key_id)
    values: dict[str, bytes] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        name = name.strip().lower()
        values[name] = b64(value.strip(), key_id) if name in DIGESTS else b""
    return values
