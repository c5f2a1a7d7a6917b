"""What followers must be told, as activities: a Create for a new post, an Update for an edited one or for a
changed profile, a Delete (with a Tombstone) for a removed one.

An object's version is a digest: of the post's source file (`content.sources.source_version`, as
syndication decides an edit), or of the actor's fields followers' servers show and check (name,
summary, icon, image, key, profile links, approval). The delivery record (delivery_state.py) holds the last version each
object was announced at; a post it has never seen gets a Create, a post whose version differs an
Update, a post it knows that is no longer on the site a Delete.

An activity's id is made from the object, the kind and the version, never from the clock: planning
the same change twice makes the same activity, and a resend after a crash carries the same id,
which receivers deduplicate.

The very first run (an empty record) tells nobody about the posts already on the site: it notes
them as known, so turning the fediverse on does not flood followers with the whole archive.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from generator.config import Config
from generator.content.sources import source_version
from generator.digest import digest
from generator.fediverse import urls
from generator.fediverse.delivery_state import DeliveryStore
from generator.fediverse.sources import AS_CONTEXT, PUBLIC, ObjectSource
from generator.model import Site

# what other servers show or check of the actor: a change of any is announced with an Update
ACTOR_FIELDS = (
    "name",
    "summary",
    "icon",
    "image",
    "publicKey",
    "preferredUsername",
    "type",
    "attachment",
    "manuallyApprovesFollowers",
    "discoverable",
)


@dataclass(frozen=True)
class Planned:
    """An activity planned in this run: its kind, what it is about, and how many inboxes it goes to."""

    kind: str  # Create, Update, Delete
    object_id: str
    activity_id: str
    inboxes: int


def activity_id(object_id: str, kind: str, version: str) -> str:
    """The id of the `kind` activity of `object_id` at `version`: the same whenever it is planned."""
    return f"{object_id}#{kind.lower()}-{version}"


def actor_version(actor: dict[str, Any]) -> str:
    """A digest of the actor's fields that other servers show or check."""
    fields = {name: actor.get(name) for name in ACTOR_FIELDS}
    return digest(json.dumps(fields, sort_keys=True, ensure_ascii=False))[:16]


def wrap(config: Config, kind: str, item: dict[str, Any], version: str, now: dt.datetime) -> dict[str, Any]:
    """`item` (an object, or a Tombstone for a Delete) wrapped in a `kind` activity from the site's actor."""
    inner = {key: value for key, value in item.items() if key != "@context"}
    context = item.get("@context", AS_CONTEXT)
    return {
        "@context": context,
        "id": activity_id(str(item["id"]), kind, version),
        "type": kind,
        "actor": urls.actor_url(config),
        "published": now.isoformat(timespec="seconds"),
        "to": [PUBLIC],
        "cc": [config.abs_url(urls.FOLLOWERS_FILE)],
        "object": inner,
    }


def plan(config: Config, site: Site, objects: ObjectSource, store: DeliveryStore, now: dt.datetime) -> list[Planned]:
    """Record in `store` every activity the site's changes call for, each queued to this run's audience."""
    known = store.known()
    posts = [post for post in site.posts if not post.draft and not post.scheduled]
    content_dir = config.content_dir
    current = {urls.object_url(config, post.url): post for post in posts}
    actor = objects.actor_document()
    actor_id = str(actor["id"])
    if not known:  # the first run: what is there now is the starting point
        rows = [(object_id, post.url, source_version(content_dir, post)) for object_id, post in current.items()]
        store.baseline([*rows, (actor_id, "", actor_version(actor))])
        return []
    planned: list[Planned] = []

    def add(kind: str, item: dict[str, Any], post: str, version: str) -> None:
        activity = wrap(config, kind, item, version, now)
        body = json.dumps(activity, ensure_ascii=False, sort_keys=True).encode("utf-8")
        count = store.add_activity(str(activity["id"]), kind, str(item["id"]), post, version, body, now)
        planned.append(Planned(kind, str(item["id"]), str(activity["id"]), count))

    version = actor_version(actor)
    seen = known.get(actor_id)
    if seen is None or seen.version != version:
        add("Update", actor, "", version)
    for object_id, post in current.items():
        version = source_version(content_dir, post)
        seen = known.get(object_id)
        if seen is None or seen.deleted:
            add("Create", objects.post_object(post), post.url, version)
        elif seen.version != version:
            add("Update", objects.post_object(post), post.url, version)
    for object_id, seen in sorted(known.items()):
        if object_id != actor_id and not seen.deleted and object_id not in current:
            tombstone = {"id": object_id, "type": "Tombstone", "url": seen.post}
            add("Delete", tombstone, seen.post, "deleted-" + seen.version)
    return planned
