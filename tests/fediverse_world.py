"""A site that is a fediverse actor, on loopback, for the inbox tests: its host serving the actor document, its
receiver, and remote actors of our own (with key pairs) to sign what they send."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from generator.config import load_config
from generator.fediverse.inbox_store import FediverseStore
from generator.fediverse.keys import KeyPair, init_key
from generator.fediverse.signatures import Signer
from generator.fediverse.urls import ACTOR_FILE, INBOX_ROUTE, actor_url, object_url
from tests.helpers import write_files
from tests.receiver_helpers import Answer, call, start_receiver
from tests.servers import LoopbackServer, Reply, static_site

AS = "https://www.w3.org/ns/activitystreams"
JSON = [("Content-Type", "application/activity+json")]
POST = "2026/05/hello/"


def actor_document(actor: str, inbox: str, public_pem: str, **extra: Any) -> dict[str, Any]:
    """An actor document as Mastodon serves one."""
    return {
        "@context": [AS, "https://w3id.org/security/v1"],
        "id": actor,
        "type": "Person",
        "preferredUsername": actor.rstrip("/").rsplit("/", 1)[-1],
        "inbox": inbox,
        "publicKey": {"id": actor + "#main-key", "owner": actor, "publicKeyPem": public_pem},
        **extra,
    }


@dataclass
class Remote:
    """A remote actor of our own on a loopback server: it signs what it sends; its inbox records what arrives."""

    server: LoopbackServer
    name: str
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    counter: int = 0

    def __post_init__(self) -> None:
        self.serve()
        self.server.route(f"/{self.name}/inbox", Reply(202))

    def serve(self, **extra: Any) -> None:
        """Serve the actor document (again, with `extra` fields)."""
        pem = KeyPair(self.key, "test").public_pem
        document = actor_document(self.id, self.id + "/inbox", pem, name=self.name.title(), **extra)
        self.server.route(f"/{self.name}", Reply(200, json.dumps(document), JSON))

    @property
    def id(self) -> str:
        return self.server.url(f"/{self.name}")

    @property
    def signer(self) -> Signer:
        return Signer(self.id + "#main-key", self.key)

    def activity(self, kind: str, object: Any, **extra: Any) -> dict[str, Any]:
        """A new activity of this actor, with an id of its own."""
        self.counter += 1
        return {
            "@context": AS,
            "id": f"{self.id}/activities/{self.counter}",
            "type": kind,
            "actor": self.id,
            "object": object,
            **extra,
        }

    def inbox_received(self) -> list[dict[str, Any]]:
        """The activities POSTed to this actor's inbox."""
        path = f"/{self.name}/inbox"
        return [json.loads(item.body) for item in self.server.received if item.method == "POST" and item.path == path]


class World:
    """Our site (its host serving the actor document and the built output) and its running receiver."""

    def __init__(self, root: Path, extra: str = "") -> None:
        self.root = root
        self.host = LoopbackServer()
        self.host.fallback = static_site(root / "public")
        self.key = init_key(root).key
        self.extra = extra
        self.write_config()
        self.config = load_config(root)
        self.receiver = start_receiver(self.config, db_path=root / "receiver.sqlite3")
        document = actor_document(self.actor, self.receiver_inbox, self.key.public_pem)
        self.host.route("/" + ACTOR_FILE, Reply(200, json.dumps(document), JSON))
        self.write_config(f'\n[webmention]\nendpoint = "{self.receiver.endpoint}"\n')

    def write_config(self, more: str = "") -> None:
        toml = (
            f'[site]\ntitle = "Fedi"\nurl = "{self.host.url("/")}"\n\n[site.author]\nname = "Me"\n\n'
            "[network]\nallow_private_addresses = true\ntimeout = 5\n\n"
            f"[fediverse]\nenabled = true\n{self.extra}{more}"
        )
        write_files(self.root, {"site.toml": toml})

    @property
    def actor(self) -> str:
        return actor_url(self.config)

    @property
    def receiver_inbox(self) -> str:
        return self.receiver.url.rstrip("/") + INBOX_ROUTE

    @property
    def post(self) -> str:
        return self.host.url("/" + POST)

    @property
    def object(self) -> str:
        return object_url(self.config, self.post)

    @property
    def store(self) -> FediverseStore:
        return FediverseStore(self.receiver.store)

    def deliver(self, remote: Remote, activity: dict[str, Any], **sign: Any) -> Answer:
        """POST `activity` to our inbox, signed by `remote` (`now=` to sign with another Date)."""
        return self.post_signed(remote.signer, json.dumps(activity).encode(), **sign)

    def post_signed(self, signer: Signer | None, body: bytes, path: str = INBOX_ROUTE, **sign: Any) -> Answer:
        url = self.receiver.url.rstrip("/") + path
        headers = signer.sign("POST", url, body, now=sign.get("now")) if signer else {}
        return call(self.receiver.url, "POST", path, body, {**headers, "Content-Type": "application/activity+json"})

    def close(self) -> None:
        self.receiver.stop()
        self.host.close()


def long_ago() -> dt.datetime:
    """A Date older than the signature window."""
    return dt.datetime.now(dt.UTC) - dt.timedelta(hours=13)
