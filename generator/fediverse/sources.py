"""What delivery needs from the rest of the fediverse code, as two small interfaces: the seams.

- `FollowerSource`: who follows (each follower's actor id, inbox and shared inbox) and removing a
  follower whose inbox is gone. `ReceiverFollowers` reads the receiver's database
  (generator/fediverse/inbox_store.py), where the inbox keeps the followers it accepted.
- `ObjectSource`: the ActivityPub object of a post (its Article or Note) and the actor document.
  `BuiltObjects` reads them from the build's output, so followers get exactly what the object's id
  answers when their server fetches it; `MinimalObjects` makes them from the model (a site built
  before the build wrote fediverse documents, and the tests).

Delivery wraps the objects in Create, Update and Delete activities itself (their ids are its
business: generator/fediverse/activities.py). Tests pass doubles of both.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from generator.config import Config
from generator.errors import ContentError, Problem
from generator.fediverse import urls
from generator.fediverse.keys import KeyPair
from generator.model import Post

log = logging.getLogger(__name__)

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = AS_CONTEXT + "#Public"


class Follower(NamedTuple):
    """One follower: its actor id, its inbox, and its server's shared inbox ("" when it has none)."""

    actor: str
    inbox: str
    shared_inbox: str = ""

    @property
    def target(self) -> str:
        """Where deliveries to it go: the shared inbox (one per server), else its own inbox."""
        return self.shared_inbox or self.inbox


class FollowerSource(Protocol):
    """Who follows the site."""

    def inboxes(self) -> Iterable[Follower]:
        """Every accepted follower, streamed (a site may have tens of thousands)."""
        ...

    def remove(self, actor_id: str) -> None:
        """Forget a follower: its inbox answered 410 Gone or 404."""
        ...


class ObjectSource(Protocol):
    """The documents delivery sends."""

    def post_object(self, post: Post) -> dict[str, Any]:
        """The post's ActivityPub object (Article or Note), as its `activity.json` holds it."""
        ...

    def actor_document(self) -> dict[str, Any]:
        """The actor document, as `fediverse/actor.json` holds it."""
        ...


class NoFollowers:
    """A FollowerSource with nobody in it: what delivery sees where no follower store exists."""

    def inboxes(self) -> Iterator[Follower]:
        """Nobody."""
        return iter(())

    def remove(self, actor_id: str) -> None:
        """Nothing to forget."""


class MinimalObjects:
    """An ObjectSource of the fields delivery needs, for a tree without the build's documents (documents.py)."""

    def __init__(self, config: Config, key: KeyPair) -> None:
        self.config, self.key = config, key

    def post_object(self, post: Post) -> dict[str, Any]:
        """A Note (or an Article for a titled post) with the fields Mastodon shows."""
        actor = urls.actor_url(self.config)
        item: dict[str, Any] = {
            "@context": AS_CONTEXT,
            "id": urls.object_url(self.config, post.url),
            "type": "Article" if post.title else "Note",
            "url": post.url,
            "attributedTo": actor,
            "content": post.content_html,
            "to": [PUBLIC],
            "cc": [self.config.abs_url(urls.FOLLOWERS_FILE)],
        }
        if post.title:
            item["name"] = post.title
        if post.date:
            item["published"] = post.date.isoformat()
        if post.updated:
            item["updated"] = post.updated.isoformat()
        return item

    def actor_document(self) -> dict[str, Any]:
        """The actor's fields that matter to followers' servers: names, summary, inboxes and key."""
        actor = urls.actor_url(self.config)
        settings = self.config.fediverse
        return {
            "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
            "id": actor,
            "type": settings.type,
            "preferredUsername": urls.username(self.config),
            "name": settings.name or self.config.site.title,
            "summary": settings.summary or self.config.site.description,
            "url": self.config.site.url,
            "inbox": urls.inbox_url(self.config),
            "endpoints": {"sharedInbox": urls.shared_inbox_url(self.config)},
            "publicKey": {"id": urls.key_id(self.config), "owner": actor, "publicKeyPem": self.key.public_pem},
        }


class ReceiverFollowers:
    """The followers the receiver accepted, from its database (`.homepost/receiver.sqlite3`)."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path

    def inboxes(self) -> Iterator[Follower]:
        """Every accepted follower."""
        from generator.fediverse.inbox_store import FediverseStore
        from generator.webmention.receiver.store import Store

        store = Store(self.db_path)
        try:
            found = FediverseStore(store).followers("accepted")
        finally:
            store.close()
        return (Follower(f.actor, f.inbox, f.shared_inbox) for f in found)

    def remove(self, actor_id: str) -> None:
        """Drop the follower from the receiver's database."""
        from generator.fediverse.inbox_store import FediverseStore
        from generator.webmention.receiver.store import Store

        store = Store(self.db_path)
        try:
            with store.transaction() as db:
                FediverseStore.drop_follower(db, actor_id)
        finally:
            store.close()


class BuiltObjects:
    """The documents as the last build wrote them into the output folder."""

    def __init__(self, config: Config, output: Path) -> None:
        self.config, self.output = config, output

    def post_object(self, post: Post) -> dict[str, Any]:
        """The post's `activity.json`."""
        return self._read(urls.object_url(self.config, post.url).removeprefix(self.config.site.url))

    def actor_document(self) -> dict[str, Any]:
        """`fediverse/actor.json`."""
        return self._read(urls.ACTOR_FILE)

    def _read(self, rel: str) -> dict[str, Any]:
        path = self.output / rel
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            message = f"cannot read the fediverse document the build wrote ({exc}); run `homepost build` first"
            raise ContentError(Problem(str(path), message)) from None
        if not isinstance(document, dict) or "id" not in document:
            raise ContentError(Problem(str(path), "expected a JSON object with an id"))
        return document


def site_followers(config: Config) -> FollowerSource:
    """The site's followers: those in the receiver's database, or nobody where it is not (with a note)."""
    from generator.webmention.receiver.store import default_db_path

    path = default_db_path(config)
    if not path.is_file():
        log.warning("%s: no receiver database here, so no followers to deliver to", path)
        return NoFollowers()
    return ReceiverFollowers(path)


def site_objects(config: Config, key: KeyPair) -> ObjectSource:
    """The documents of the build in the output folder, or the minimal ones where the build wrote none."""
    output = (config.root / config.build.output).resolve()
    if (output / urls.ACTOR_FILE).is_file():
        return BuiltObjects(config, output)
    log.warning("%s: not written by the build; delivering minimal documents", output / urls.ACTOR_FILE)
    return MinimalObjects(config, key)
