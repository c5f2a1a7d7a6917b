"""What delivery needs from the rest of the fediverse code, as two small interfaces: the seams.

- `FollowerSource`: who follows (each follower's actor id, inbox and shared inbox) and removing a
  follower whose inbox is gone. The receiver's follower store implements it (`site_followers`).
- `ObjectSource`: the ActivityPub object of a post (its Article or Note, as the build writes it
  beside the post) and the actor document. The build's documents implement it (`site_objects`).

Delivery wraps the objects in Create, Update and Delete activities itself (their ids are its
business: generator/fediverse/activities.py). Tests pass doubles of both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple, Protocol

from generator.config import Config
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


def site_followers(config: Config) -> FollowerSource:
    """The site's followers: the receiver's follower store (wired at merge with the inbox branch)."""
    log.debug("no follower store in this tree: delivering to nobody")
    return NoFollowers()


def site_objects(config: Config, key: KeyPair) -> ObjectSource:
    """The site's documents: the build's (wired at merge with the documents branch), else the minimal ones."""
    return MinimalObjects(config, key)
