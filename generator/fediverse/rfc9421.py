"""RFC 9421 HTTP Message Signatures, as Fedify 2 and newer Mastodon send them: `Signature-Input` and `Signature`.

`parse_rfc9421` takes the first signature whose label both headers carry, checks what can be checked
without the key (the algorithm, the covered components, `created`/`expires`, `Content-Digest`) and
returns the signature base (RFC 9421 section 2.5) to verify.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlsplit

from generator.fediverse.checks import Policy, Request, SignatureRefused, Signed, check_digests, check_time
from generator.fediverse.structured import Item, parse_dictionary, serialize_inner_list

RFC9421_ALGORITHMS = {"rsa-v1_5-sha256": "rsa", "ed25519": "ed25519"}

_DERIVED: dict[str, Callable[[Request], str]] = {
    "@method": lambda request: request.method.upper(),
    "@target-uri": lambda request: request.url,
    "@authority": lambda request: urlsplit(request.url).netloc.lower(),
    "@scheme": lambda request: urlsplit(request.url).scheme.lower(),
    "@path": lambda request: urlsplit(request.url).path or "/",
    "@query": lambda request: "?" + urlsplit(request.url).query,
    "@request-target": lambda request: _request_target(request.url),
}


def parse_rfc9421(request: Request, policy: Policy, now: dt.datetime) -> Signed:
    """The RFC 9421 signature of `request`, its coverage, time and digest checked."""
    label, params, signature = _chosen(request)
    key_id = params.param("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureRefused("malformed", f"Signature-Input {label} has no keyid")
    alg = params.param("alg")
    if alg is not None and alg not in RFC9421_ALGORITHMS:
        message = f"unsupported signature algorithm {alg!r} (supported: {', '.join(RFC9421_ALGORITHMS)})"
        raise SignatureRefused("algorithm", message, key_id)
    components = _components(params, label, key_id)
    _check_coverage(request, components, key_id)
    created = params.param("created")
    if not isinstance(created, int) or isinstance(created, bool):
        raise SignatureRefused("date", f"Signature-Input {label} has no created time", key_id)
    check_time(dt.datetime.fromtimestamp(created, dt.UTC), policy, now, "the signature's created time", key_id)
    expires = params.param("expires")
    if isinstance(expires, int) and dt.datetime.fromtimestamp(expires, dt.UTC) + policy.max_skew < now:
        raise SignatureRefused("date", "the signature has expired", key_id)
    if "content-digest" in components:
        check_digests(
            _content_digests(request.header("content-digest"), key_id), request.body, "Content-Digest", key_id
        )
    lines = [f'"{name}": {_value(request, name, key_id)}' for name in components]
    lines.append(f'"@signature-params": {serialize_inner_list(params)}')
    algorithm = RFC9421_ALGORITHMS.get(str(alg), "")
    return Signed("rfc9421", key_id, algorithm, signature, ("\n".join(lines).encode("utf-8"),))


def _chosen(request: Request) -> tuple[str, Item, bytes]:
    """The first label with both an input and a signature: its name, its parameters, the signature bytes."""
    try:
        inputs = parse_dictionary(request.header("signature-input") or "")
        signatures = parse_dictionary(request.header("signature") or "")
    except ValueError as exc:
        raise SignatureRefused("malformed", f"Signature-Input or Signature does not parse: {exc}") from None
    for label, item in inputs.items():
        signature = signatures.get(label)
        if signature is not None and isinstance(item.value, tuple) and isinstance(signature.value, bytes):
            return label, item, signature.value
    raise SignatureRefused("malformed", "no label of Signature-Input has a signature in Signature")


def _components(params: Item, label: str, key_id: str) -> list[str]:
    """The covered components' names; a component with parameters (`;sf`, `;req`, `;name`) is not supported."""
    assert isinstance(params.value, tuple)
    names = []
    for member in params.value:
        if not isinstance(member.value, str) or member.params:
            raise SignatureRefused("headers", f"Signature-Input {label} covers a component we do not support", key_id)
        name = member.value.lower()
        if name.startswith("@") and name not in _DERIVED:
            raise SignatureRefused("headers", f"Signature-Input {label} covers the unsupported {name}", key_id)
        names.append(name)
    return names


def _check_coverage(request: Request, components: list[str], key_id: str) -> None:
    """The signature must cover the method, the target (its host and path) and, with a body, its digest."""
    covered = set(components)
    missing = []
    if "@method" not in covered:
        missing.append("@method")
    if "@target-uri" not in covered:
        if not covered & {"@path", "@request-target"}:
            missing.append("@path")
        if not covered & {"@authority", "host"}:
            missing.append("@authority")
    if (request.body or request.method.upper() not in ("GET", "HEAD")) and "content-digest" not in covered:
        missing.append("content-digest")
    if missing:
        raise SignatureRefused("headers", f"the signature does not cover {', '.join(missing)}", key_id)


def _value(request: Request, name: str, key_id: str) -> str:
    derived = _DERIVED.get(name)
    if derived is not None:
        return derived(request)
    header = request.header(name)
    if header is None:
        raise SignatureRefused("headers", f"the signed header {name} is not in the request", key_id)
    return header.strip()


def _content_digests(header: str | None, key_id: str) -> dict[str, bytes]:
    if header is None:
        raise SignatureRefused("digest", "the Content-Digest header is signed but missing", key_id)
    try:
        members = parse_dictionary(header)
    except ValueError as exc:
        raise SignatureRefused("digest", f"Content-Digest does not parse: {exc}", key_id) from None
    return {name: item.value for name, item in members.items() if isinstance(item.value, bytes)}


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
