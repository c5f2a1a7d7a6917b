"""HTTP Signatures against a real ActivityPub implementation: a Fedify peer on loopback (tests/fedify_peer.py).

Fedify's inbox verifies what we sign (and refuses it once changed or signed with another key), and we
verify what Fedify signs, in RFC 9421 (its first knock) and in cavage-12 (its second, after a 401).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import tests.fedify_peer
from generator.fediverse.keys import init_key
from generator.fediverse.signatures import KeyInfo, Request, SignatureRefused, Signer, Verified, verify
from tests.fedify_peer import FedifyPeer, peer_missing
from tests.servers import LoopbackServer, Received, Reply

AS = "https://www.w3.org/ns/activitystreams"


@pytest.fixture
def our_actor(tmp_path: Path) -> Iterator[tuple[LoopbackServer, Signer]]:
    """Our actor document on a loopback server (its public key from the site's key pair), and its Signer."""
    key = init_key(tmp_path).key
    with LoopbackServer() as server:
        actor = server.url("/actor")
        document = {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": actor,
            "type": "Person",
            "preferredUsername": "blog",
            "inbox": server.url("/inbox"),
            "publicKey": {"id": actor + "#main-key", "owner": actor, "publicKeyPem": key.public_pem},
        }
        server.route("/actor", Reply(200, json.dumps(document), [("Content-Type", "application/activity+json")]))
        yield server, key.signer(actor)


def post_to(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, body, {**headers, "Content-Type": "application/activity+json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def activity(actor: str, kind: str, object: str, number: int) -> bytes:
    return json.dumps(
        {"@context": AS, "id": f"{actor}#activities/{number}", "type": kind, "actor": actor, "object": object}
    ).encode()


@pytest.mark.parametrize("inbox", ["inbox", "shared_inbox"])
def test_fedify_accepts_our_signed_follow_as_verified(
    fedify_peer: FedifyPeer, our_actor: tuple[LoopbackServer, Signer], inbox: str
) -> None:
    server, signer = our_actor
    url = getattr(fedify_peer, inbox)
    body = activity(server.url("/actor"), "Follow", fedify_peer.actor, 1)
    assert post_to(url, body, signer.sign("POST", url, body)) == 202
    [seen] = [item for item in fedify_peer.received() if item["id"] == json.loads(body)["id"]]
    assert seen["verified"] and seen["type"] == "Follow"
    assert seen["keyId"] == signer.key_id and seen["keyOwner"] == server.url("/actor")
    assert any(item.path == "/actor" for item in server.received)  # Fedify fetched our key to check


def test_fedify_refuses_our_follow_when_the_body_was_changed(
    fedify_peer: FedifyPeer, our_actor: tuple[LoopbackServer, Signer]
) -> None:
    server, signer = our_actor
    body = activity(server.url("/actor"), "Follow", fedify_peer.actor, 2)
    headers = signer.sign("POST", fedify_peer.inbox, body)
    changed = body.replace(b"#activities/2", b"#activities/3")
    assert post_to(fedify_peer.inbox, changed, headers) == 401
    [seen] = [item for item in fedify_peer.received() if item["id"] == json.loads(changed)["id"]]
    assert not seen["verified"] and seen["status"] == 401


def test_fedify_refuses_our_follow_signed_with_another_key(
    fedify_peer: FedifyPeer, our_actor: tuple[LoopbackServer, Signer]
) -> None:
    server, signer = our_actor
    impostor = Signer(signer.key_id, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    body = activity(server.url("/actor"), "Follow", fedify_peer.actor, 4)
    assert post_to(fedify_peer.inbox, body, impostor.sign("POST", fedify_peer.inbox, body)) == 401


def fetch_key(peer: FedifyPeer) -> Callable[[str, bool], KeyInfo | None]:
    """A key lookup as the receiver's will be: fetch the actor the keyId names, over loopback."""

    def lookup(key_id: str, refresh: bool) -> KeyInfo | None:
        document = peer.document(key_id.split("#")[0])
        key = document.get("publicKey") or {}
        return KeyInfo(key["owner"], key["publicKeyPem"]) if key.get("id") == key_id else None

    return lookup


def as_request(server: LoopbackServer, received: Received) -> Request:
    """What a sink received, as the verifier takes it: the URL rebuilt from the Host header, as the receiver will."""
    return Request(
        received.method,
        f"http://{received.headers['Host']}{received.path}",
        dict(received.headers.items()),
        received.body,
    )


@pytest.mark.parametrize("scheme", ["rfc9421", "cavage"])
@pytest.mark.parametrize("kind", ["Follow", "Like", "Announce", "Create", "Undo", "Delete"])
def test_we_verify_what_fedify_signs(fedify_peer: FedifyPeer, scheme: str, kind: str) -> None:
    with LoopbackServer() as sink:
        # Fedify knocks with RFC 9421 first and signs again in cavage-12 when the inbox answers 401
        refuse_rfc9421 = scheme == "cavage"
        sink.route("/inbox", lambda got: Reply(401 if refuse_rfc9421 and got.headers["Signature-Input"] else 202))
        target = sink.url("/notes/1")
        answer = fedify_peer.send(
            kind,
            inbox=sink.url("/inbox"),
            to=sink.url("/actor"),
            object=target,
            in_reply_to=target,
            content="<p>Nice post!</p>",
        )
        assert answer["ok"], answer
        last = sink.received[-1]
    assert bool(last.headers["Signature-Input"]) == (scheme == "rfc9421")
    sent = json.loads(last.body)
    assert sent["type"] == kind and sent["id"] == answer["id"]
    if kind == "Create":
        assert sent["object"]["inReplyTo"] == target
    result = verify(as_request(sink, last), fetch_key(fedify_peer), actor=sent["actor"])
    assert result == Verified(fedify_peer.actor + "#main-key", fedify_peer.actor, scheme)


def test_we_refuse_what_fedify_signed_once_its_body_is_changed(fedify_peer: FedifyPeer) -> None:
    with LoopbackServer() as sink:
        sink.route("/inbox", Reply(202))
        assert fedify_peer.send("Like", inbox=sink.url("/inbox"), to=sink.url("/actor"), object=sink.url("/p"))["ok"]
        got = sink.received[-1]
    changed = Received(got.method, got.path, got.headers, got.body.replace(b"Like", b"Announce"))
    with pytest.raises(SignatureRefused) as caught:
        verify(as_request(sink, changed), fetch_key(fedify_peer))
    assert caught.value.reason == "digest"


def test_a_missing_peer_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tests.fedify_peer, "NODE", tmp_path / "node")
    assert "bash tools/ci-setup.sh" in (peer_missing() or "")
