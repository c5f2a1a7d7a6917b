"""Remote actors: fetched through the one HTTP module, read defensively, cached in the receiver's database.

`ActorDirectory.lookup` is the key lookup `signatures.verify` asks (the cached key first, a fresh
fetch when asked to refresh: the key may have been rotated); `ActorDirectory.get` gives the worker
an actor's inboxes and how to name it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from generator.config import Config
from generator.errors import HomepostError
from generator.fediverse.inbox_store import Actor, FediverseStore
from generator.fediverse.keys import ensure_key
from generator.fediverse.signatures import KeyInfo, Signer
from generator.fediverse.urls import actor_url
from generator.http import HttpClient
from generator.redaction import redact
from generator.sanitize import clean_text, clean_url

log = logging.getLogger(__name__)
ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def ids(value: Any) -> list[str]:
    """The ids in an ActivityStreams value: a string, an object with `id`, or a list of either."""
    items = value if isinstance(value, list) else [value]
    found = [item if isinstance(item, str) else item.get("id") if isinstance(item, dict) else None for item in items]
    return [item for item in found if isinstance(item, str) and item]


def first_id(value: Any) -> str:
    """The first id in an ActivityStreams value, or ""."""
    found = ids(value)
    return found[0] if found else ""


def read_actor(document: Any, url: str) -> Actor | None:
    """The actor in a fetched document (or the owner named by a key document), or None when it is not one."""
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        return None
    keys = document.get("publicKey")
    key = next((k for k in (keys if isinstance(keys, list) else [keys]) if isinstance(k, dict)), {})
    if "inbox" not in document and key == {} and isinstance(document.get("owner"), str):
        key = document  # a key document of its own: {id, owner, publicKeyPem}
    endpoints = document["endpoints"] if isinstance(document.get("endpoints"), dict) else {}
    icon = document.get("icon")
    photo = icon.get("url") if isinstance(icon, dict) else icon
    host = urlsplit(document["id"]).hostname or ""
    username = document.get("preferredUsername")
    return Actor(
        id=document["id"] if "inbox" in document else str(key.get("owner") or document["id"]),
        key_id=str(key.get("id") or ""),
        public_pem=str(key.get("publicKeyPem") or ""),
        inbox=clean_url(first_id(document.get("inbox"))),
        shared_inbox=clean_url(first_id(endpoints.get("sharedInbox"))),
        name=clean_text(str(document.get("name") or username or ""), 200),
        url=clean_url(first_id(document.get("url"))) or clean_url(document["id"]),
        photo=clean_url(first_id(photo)),
        handle=f"@{clean_text(username, 100)}@{host}" if isinstance(username, str) and username else "",
        also_known_as=tuple(ids(document.get("alsoKnownAs"))),
    )


def site_signer(config: Config) -> Callable[[], Signer]:
    """The site's Signer, its key loaded (or made) on first use and kept."""

    @functools.cache
    def signer() -> Signer:
        return ensure_key(config.root).signer(actor_url(config))

    return signer


class ActorDirectory:
    """Actors and their keys: from the database when known, else fetched (and then remembered).

    The GETs are signed with the site's key when there is one, for servers in "authorized fetch" mode.
    """

    def __init__(self, store: FediverseStore, client: HttpClient, signer: Callable[[], Signer] | None = None) -> None:
        self.store = store
        self.client = client
        self.signer = signer

    def _signed(self, url: str) -> dict[str, str]:
        try:
            return self.signer().sign("GET", url) if self.signer else {}
        except HomepostError as exc:  # a key that cannot be read: fetch unsigned, say why once per fetch
            log.warning("fediverse: fetching %s unsigned: %s", redact(url), exc)
            return {}

    def fetch(self, url: str) -> Actor | None:
        """GET an actor (or key) document now and remember the actor; None when it cannot be had."""
        url = url.partition("#")[0]
        try:
            reply = self.client.get(url, headers={"Accept": ACCEPT, **self._signed(url)})
            document = reply.json() if reply.status == 200 else None
        except (HomepostError, ValueError) as exc:
            log.info("fediverse: cannot fetch %s: %s", redact(url), exc)
            return None
        actor = read_actor(document, url)
        if actor is None:
            return None
        if not actor.inbox and actor.id != url.partition("#")[0]:  # a key document: its owner is the actor
            owner = self.fetch(actor.id)
            return owner if owner is not None and owner.key_id == actor.key_id else None
        self.store.save_actor(actor)
        return actor

    def get(self, actor_id: str, refresh: bool = False) -> Actor | None:
        """The actor of that id, fetched when not known yet or when `refresh`."""
        known = None if refresh else self.store.actor(actor_id)
        return known or self.fetch(actor_id)

    def lookup(self, key_id: str, refresh: bool) -> KeyInfo | None:
        """The key lookup for `signatures.verify`: the owner and PEM of `key_id`."""
        actor = None if refresh else self.store.actor_by_key(key_id)
        if actor is None:
            actor = self.fetch(key_id)
        if actor is None or actor.key_id != key_id or not actor.public_pem:
            return None
        return KeyInfo(actor.id, actor.public_pem)
