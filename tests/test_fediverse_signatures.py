"""HTTP Signatures: what we sign verifies, and every way a signature can be wrong is refused with its reason.

tests/test_fediverse_fedify.py runs the same code against a real Fedify peer on loopback.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from generator.fediverse.signatures import (
    KeyInfo,
    Request,
    SignatureRefused,
    Signer,
    Verified,
    digest_header,
    http_date,
    public_key,
    verify,
)

ACTOR = "https://blog.example/fediverse/actor"
KEY_ID = ACTOR + "#main-key"
INBOX = "https://social.example/users/ana/inbox"
BODY = b'{"type": "Follow", "actor": "https://blog.example/fediverse/actor"}'
NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: PrivateKeyTypes) -> str:
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.decode("ascii")


def lookup_for(keys: dict[str, KeyInfo]) -> Callable[[str, bool], KeyInfo | None]:
    return lambda key_id, refresh: keys.get(key_id)


def signed_post(key: rsa.RSAPrivateKey, body: bytes = BODY, url: str = INBOX, now: dt.datetime = NOW) -> Request:
    headers = Signer(KEY_ID, key).sign("POST", url, body, now=now)
    return Request("POST", url, {**headers, "Content-Type": "application/activity+json"}, body)


def refused(request: Request, lookup: Callable[[str, bool], KeyInfo | None], **options: object) -> SignatureRefused:
    with pytest.raises(SignatureRefused) as caught:
        verify(request, lookup, now=NOW, **options)  # type: ignore[arg-type]
    return caught.value


def cavage(key: PrivateKeyTypes, request: Request, names: str, algorithm: str = "rsa-sha256", **extra: str) -> Request:
    """`request` signed by hand over `names` (test-side, to make signatures our Signer never makes)."""
    values = {
        "(request-target)": f"{request.method.lower()} /users/ana/inbox",
        **{k.lower(): v for k, v in request.headers.items()},
        **{f"({k})": v for k, v in extra.items()},
    }
    text = "\n".join(f"{name}: {values[name]}" for name in names.split()).encode()
    signature = sign_bytes(key, text)
    params = "".join(f",{k}={v}" for k, v in extra.items())
    header = (
        f'keyId="{KEY_ID}",algorithm="{algorithm}",headers="{names}"{params},'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return Request(request.method, request.url, {**request.headers, "Signature": header}, request.body)


def sign_bytes(key: PrivateKeyTypes, data: bytes) -> bytes:
    """`data` signed with an Ed25519 key, or with an RSA key in PKCS#1 v1.5 over SHA-256."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def rfc9421(
    key: PrivateKeyTypes,
    request: Request,
    components: tuple[str, ...],
    alg: str = "rsa-v1_5-sha256",
    created: dt.datetime = NOW,
    digest: str = "sha-256",
) -> Request:
    """`request` signed as RFC 9421 (and Fedify) sign it, by hand."""
    algorithm = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}[digest]
    headers = {
        "Host": "social.example",
        "Date": http_date(created),
        "Content-Digest": f"{digest}=:{base64.b64encode(algorithm(request.body).digest()).decode()}:",
    }
    derived = {
        "@method": request.method,
        "@target-uri": request.url,
        "@authority": "social.example",
        "@path": "/users/ana/inbox",
        **{k.lower(): v for k, v in headers.items()},
    }
    covered = " ".join(f'"{c}"' for c in components)
    params = f'({covered});alg="{alg}";keyid="{KEY_ID}";created={int(created.timestamp())}'
    base = "\n".join([*(f'"{c}": {derived[c]}' for c in components), f'"@signature-params": {params}']).encode()
    signature = sign_bytes(key, base)
    headers.update({"Signature-Input": f"sig1={params}", "Signature": f"sig1=:{base64.b64encode(signature).decode()}:"})
    return Request(request.method, request.url, headers, request.body)


# --- what we sign verifies -------------------------------------------------------------------------


def test_a_signed_post_verifies_and_names_its_key_and_owner(rsa_key: rsa.RSAPrivateKey) -> None:
    request = signed_post(rsa_key)
    result = verify(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}), actor=ACTOR, now=NOW)
    assert result == Verified(KEY_ID, ACTOR, "cavage")


def test_a_post_is_signed_as_mastodon_signs_it(rsa_key: rsa.RSAPrivateKey) -> None:
    headers = Signer(KEY_ID, rsa_key).sign("POST", INBOX, BODY, now=NOW)
    assert headers["Date"] == "Sun, 06 Dec 2026 12:00:00 GMT"
    assert headers["Host"] == "social.example"
    assert headers["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    assert headers["Signature"].startswith(
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="'
    )


def test_a_signed_get_covers_target_host_and_date_and_verifies(rsa_key: rsa.RSAPrivateKey) -> None:
    url = "https://social.example/users/ana/outbox?page=2"
    headers = Signer(KEY_ID, rsa_key).sign("GET", url, now=NOW)
    assert 'headers="(request-target) host date"' in headers["Signature"] and "Digest" not in headers
    result = verify(Request("GET", url, headers), lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}), now=NOW)
    assert result.owner == ACTOR


def test_hs2019_with_an_rsa_key_verifies(rsa_key: rsa.RSAPrivateKey) -> None:
    base = signed_post(rsa_key)
    request = cavage(rsa_key, base, "(request-target) host date digest", algorithm="hs2019")
    assert verify(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}), now=NOW).scheme == "cavage"


def test_hs2019_with_an_ed25519_key_verifies() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    base = Request(
        "POST", INBOX, {"Host": "social.example", "Date": http_date(NOW), "Digest": digest_header(BODY)}, BODY
    )
    request = cavage(key, base, "(request-target) host date digest", algorithm="hs2019")
    assert verify(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(key))}), now=NOW).key_id == KEY_ID


def test_rfc9421_rsa_verifies(rsa_key: rsa.RSAPrivateKey) -> None:
    components = ("@method", "@target-uri", "@authority", "host", "date", "content-digest")
    request = rfc9421(rsa_key, Request("POST", INBOX, {}, BODY), components)
    assert verify(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}), now=NOW).scheme == "rfc9421"


def test_rfc9421_ed25519_with_a_sha512_content_digest_verifies() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    request = rfc9421(
        key,
        Request("POST", INBOX, {}, BODY),
        ("@method", "@path", "@authority", "content-digest"),
        alg="ed25519",
        digest="sha-512",
    )
    assert verify(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(key))}), now=NOW).owner == ACTOR


def test_a_rotated_key_is_fetched_again_once(rsa_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey) -> None:
    asked: list[bool] = []

    def lookup(key_id: str, refresh: bool) -> KeyInfo:
        asked.append(refresh)
        return KeyInfo(ACTOR, pem(rsa_key if refresh else other_key))  # the cache still has the old key

    assert verify(signed_post(rsa_key), lookup, now=NOW).owner == ACTOR
    assert asked == [False, True]


def test_parsed_public_keys_are_cached(rsa_key: rsa.RSAPrivateKey) -> None:
    assert public_key(pem(rsa_key)) is public_key(pem(rsa_key))


# --- what is refused, and why ----------------------------------------------------------------------


def test_an_unsigned_request_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    request = Request("POST", INBOX, {"Date": http_date(NOW), "Digest": digest_header(BODY)}, BODY)
    assert refused(request, lookup_for({})).reason == "unsigned"


def test_a_tampered_body_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    request = signed_post(rsa_key)
    tampered = Request("POST", INBOX, dict(request.headers), BODY.replace(b"Follow", b"Delete"))
    assert refused(tampered, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))})).reason == "digest"


def test_a_tampered_body_with_its_digest_recomputed_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    body = BODY.replace(b"Follow", b"Delete")
    request = signed_post(rsa_key)
    tampered = Request("POST", INBOX, {**request.headers, "Digest": digest_header(body)}, body)
    assert refused(tampered, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))})).reason == "signature"


def test_a_wrong_digest_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    request = signed_post(rsa_key)
    wrong = Request("POST", INBOX, {**request.headers, "Digest": digest_header(b"something else")}, BODY)
    problem = refused(wrong, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}))
    assert problem.reason == "digest" and "does not match the body" in str(problem)


def test_a_digest_in_an_unknown_algorithm_only_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    base = Request("POST", INBOX, {"Host": "social.example", "Date": http_date(NOW), "Digest": "MD5=abc="}, BODY)
    request = cavage(rsa_key, base, "(request-target) host date digest")
    assert refused(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))})).reason == "digest"


LACKING = [
    ("(request-target) host date", "digest"),
    ("host date digest", "(request-target)"),
    ("(request-target) date digest", "host"),
    ("(request-target) host digest", "date"),
]


@pytest.mark.parametrize("names,lacking", LACKING)
def test_a_post_whose_signed_headers_lack_one_is_refused(rsa_key: rsa.RSAPrivateKey, names: str, lacking: str) -> None:
    request = cavage(rsa_key, signed_post(rsa_key), names)
    problem = refused(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}))
    assert problem.reason == "headers" and lacking in str(problem)


def test_a_date_13_hours_old_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    request = signed_post(rsa_key, now=NOW - dt.timedelta(hours=13))
    problem = refused(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}))
    assert problem.reason == "date" and "older than 12 hours" in str(problem)


def test_a_date_11_hours_old_is_accepted(rsa_key: rsa.RSAPrivateKey) -> None:
    request = signed_post(rsa_key, now=NOW - dt.timedelta(hours=11))
    assert verify(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}), now=NOW).owner == ACTOR


def test_a_date_an_hour_in_the_future_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    request = signed_post(rsa_key, now=NOW + dt.timedelta(hours=1))
    problem = refused(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}))
    assert problem.reason == "date" and "in the future" in str(problem)


def test_a_wrong_key_is_refused(rsa_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey) -> None:
    problem = refused(signed_post(other_key), lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}))
    assert problem.reason == "signature" and problem.key_id == KEY_ID


def test_an_unknown_key_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    assert refused(signed_post(rsa_key), lookup_for({})).reason == "key"


def test_a_key_owned_by_another_actor_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    lookup = lookup_for({KEY_ID: KeyInfo("https://elsewhere.example/users/mallory", pem(rsa_key))})
    problem = refused(signed_post(rsa_key), lookup, actor=ACTOR)
    assert problem.reason == "owner" and "https://elsewhere.example/users/mallory" in str(problem)


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "rsa-sha1", "ecdsa-sha256"])
def test_an_unknown_cavage_algorithm_is_refused(rsa_key: rsa.RSAPrivateKey, algorithm: str) -> None:
    request = cavage(rsa_key, signed_post(rsa_key), "(request-target) host date digest", algorithm=algorithm)
    problem = refused(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}))
    assert problem.reason == "algorithm" and algorithm in str(problem)


def test_rsa_sha256_with_an_ed25519_key_is_refused() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    base = Request(
        "POST", INBOX, {"Host": "social.example", "Date": http_date(NOW), "Digest": digest_header(BODY)}, BODY
    )
    request = cavage(key, base, "(request-target) host date digest", algorithm="rsa-sha256")
    assert refused(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(key))})).reason == "algorithm"


def test_an_unknown_rfc9421_algorithm_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    components = ("@method", "@target-uri", "content-digest")
    request = rfc9421(rsa_key, Request("POST", INBOX, {}, BODY), components, alg="rsa-pss-sha512")
    problem = refused(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}))
    assert problem.reason == "algorithm" and "rsa-pss-sha512" in str(problem)


def test_rfc9421_without_the_content_digest_covered_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    request = rfc9421(rsa_key, Request("POST", INBOX, {}, BODY), ("@method", "@target-uri", "date"))
    problem = refused(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}))
    assert problem.reason == "headers" and "content-digest" in str(problem)


def test_rfc9421_with_a_tampered_body_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    request = rfc9421(rsa_key, Request("POST", INBOX, {}, BODY), ("@method", "@target-uri", "content-digest"))
    tampered = Request("POST", INBOX, dict(request.headers), BODY + b" ")
    assert refused(tampered, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))})).reason == "digest"


def test_rfc9421_created_13_hours_ago_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    request = rfc9421(
        rsa_key,
        Request("POST", INBOX, {}, BODY),
        ("@method", "@target-uri", "content-digest"),
        created=NOW - dt.timedelta(hours=13),
    )
    assert refused(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))})).reason == "date"


def test_rfc9421_signed_for_another_target_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    request = rfc9421(rsa_key, Request("POST", INBOX, {}, BODY), ("@method", "@target-uri", "content-digest"))
    elsewhere = Request("POST", INBOX.replace("ana", "bob"), dict(request.headers), BODY)
    assert refused(elsewhere, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))})).reason == "signature"


def test_a_malformed_signature_header_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    request = signed_post(rsa_key)
    broken = Request("POST", INBOX, {**request.headers, "Signature": 'keyId="x",signature=="'}, BODY)
    assert refused(broken, lookup_for({})).reason == "malformed"


def test_hs2019_with_a_signed_created_time_instead_of_a_date_verifies(rsa_key: rsa.RSAPrivateKey) -> None:
    base = signed_post(rsa_key)
    created = str(int((NOW - dt.timedelta(minutes=1)).timestamp()))
    request = cavage(rsa_key, base, "(request-target) host (created) digest", algorithm="hs2019", created=created)
    assert verify(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}), now=NOW).owner == ACTOR


def test_rfc9421_takes_the_label_that_has_a_signature(rsa_key: rsa.RSAPrivateKey) -> None:
    request = rfc9421(rsa_key, Request("POST", INBOX, {}, BODY), ("@method", "@target-uri", "content-digest"))
    headers = dict(request.headers)
    headers["Signature-Input"] = (
        'other=("@method");keyid="https://x.example/k";created=1, ' + headers["Signature-Input"]
    )
    assert (
        verify(
            Request("POST", INBOX, headers, BODY), lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}), now=NOW
        ).scheme
        == "rfc9421"
    )


@pytest.mark.parametrize(
    "value",
    [
        'sig1=("@method" "@target-uri";keyid="k"',
        'sig1=("@method");keyid="unterminated',
        'sig1=("@method");created=1.5',
        "sig1",
    ],
)
def test_a_malformed_signature_input_is_refused(rsa_key: rsa.RSAPrivateKey, value: str) -> None:
    request = rfc9421(rsa_key, Request("POST", INBOX, {}, BODY), ("@method", "@target-uri", "content-digest"))
    broken = Request("POST", INBOX, {**request.headers, "Signature-Input": value}, BODY)
    assert refused(broken, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))})).reason == "malformed"


def test_rfc9421_with_a_component_parameter_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    request = rfc9421(rsa_key, Request("POST", INBOX, {}, BODY), ("@method", "@target-uri", "content-digest"))
    value = request.headers["Signature-Input"].replace('"content-digest"', '"content-digest";sf')
    broken = Request("POST", INBOX, {**request.headers, "Signature-Input": value}, BODY)
    assert refused(broken, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))})).reason == "headers"


def test_a_signed_created_time_missing_from_the_header_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    created = str(int(NOW.timestamp()))
    signed = cavage(
        rsa_key, signed_post(rsa_key), "(request-target) host (created) digest", algorithm="hs2019", created=created
    )
    header = signed.headers["Signature"].replace(f",created={created}", "")
    request = Request("POST", INBOX, {**signed.headers, "Signature": header}, BODY)
    problem = refused(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}))
    assert problem.reason == "malformed" and "(created)" in str(problem)


def test_an_expired_signature_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    expires = str(int((NOW - dt.timedelta(minutes=10)).timestamp()))
    request = cavage(
        rsa_key, signed_post(rsa_key), "(request-target) host date digest", algorithm="hs2019", expires=expires
    )
    problem = refused(request, lookup_for({KEY_ID: KeyInfo(ACTOR, pem(rsa_key))}))
    assert problem.reason == "date" and "expired" in str(problem)
