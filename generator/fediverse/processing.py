"""The fediverse worker: what each accepted activity does, committed with its queue row, and the answers it sends.

A job's effects (a follower stored, an Accept queued, a reply stored...) are written in the
transaction that marks it done: a job cut short by a crash is still pending and is taken again,
and one that finished is never done twice. Fetching the actor (its inbox, name and picture) comes
first; when it cannot be had the job is retried with the worker's backoff. Answers (Accept) are
queued in `fediverse_deliveries` and POSTed, signed with the site's key, after the job commits.

`Follow` of our actor stores the follower and queues an Accept, or holds it (`pending`) with
`[fediverse] manually_approves_followers`; `Undo` of a Follow, Like or Announce ends it; `Like` and
`Announce` of one of our posts' objects (or pages) store a like or a boost; `Create` of a Note
replying to one of our posts, or to a stored reply under one, stores a reply (sanitised, threaded);
`Update` edits a stored reply; `Delete` withdraws one, or, of the actor itself, every follow and
response of that actor; `Move` points a follower at its new account (which must name the old one
in `alsoKnownAs`); `Block` of our actor drops it as a follower. Everything else is done with at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from generator.config import Config
from generator.errors import HomepostError
from generator.fediverse.actors import Actor, ActorDirectory, first_id
from generator.fediverse.inbox_store import Delivery, FediverseStore, Follower, FollowerState, InboxJob
from generator.fediverse.signatures import Signer
from generator.fediverse.urls import DOCUMENTS, OBJECT_NAME, actor_url
from generator.http import HttpClient
from generator.model import Response, ResponseAuthor
from generator.redaction import redact
from generator.sanitize import clean_html, clean_text, clean_url
from generator.sitedata import FEDIVERSE_STATS
from generator.sitedata.responses import parse_time
from generator.state import read_json, write_json
from generator.text import html_to_text
from generator.webmention.receiver.app import on_site
from generator.webmention.receiver.faults import fault_point
from generator.webmention.receiver.worker import Loop, WorkerOptions

log = logging.getLogger(__name__)
AS = "https://www.w3.org/ns/activitystreams"
PLATFORM = "fediverse"
Effect = Callable[[sqlite3.Connection, str], None]


class Retry(Exception):
    """The job cannot be done now (the actor could not be fetched): try again later."""


def post_of(config: Config, url: str) -> str:
    """The post page an object URL (or the page's own URL) of this site stands for, else ""."""
    if not url or not on_site(url, config.site.url) or url.startswith(config.abs_url(DOCUMENTS)):
        return ""
    if url.endswith("/" + OBJECT_NAME):
        return url.removesuffix(OBJECT_NAME)
    if url.endswith("." + OBJECT_NAME):
        return url.removesuffix("." + OBJECT_NAME) + ".html"
    return url


class Inbox:
    """Turns one activity into its effect on the database; the worker commits it."""

    def __init__(self, config: Config, store: FediverseStore, directory: ActorDirectory) -> None:
        self.config = config
        self.store = store
        self.directory = directory
        self.me = actor_url(config)

    def effect(self, activity: dict[str, Any]) -> tuple[str, Effect | None]:
        """What `activity` does: a line for the log, and the writes (None: nothing to write)."""
        handler = getattr(self, "on_" + str(activity.get("type", "")).lower(), None)
        if handler is None:
            return "ignored", None
        result: tuple[str, Effect | None] = handler(activity, activity["actor"])
        return result

    def author(self, actor_id: str) -> tuple[Actor, ResponseAuthor]:
        """The actor (fetched when not known) and how a response names it; Retry when it cannot be had."""
        actor = self.directory.get(actor_id)
        if actor is None:
            raise Retry(f"cannot fetch the actor {actor_id}")
        return actor, ResponseAuthor(actor.name, actor.url, actor.photo, actor.handle)

    def on_follow(self, activity: dict[str, Any], actor_id: str) -> tuple[str, Effect | None]:
        if first_id(activity.get("object")) != self.me:
            return "a Follow of someone else: ignored", None
        actor, _ = self.author(actor_id)
        if not actor.inbox:
            return "the follower has no inbox: ignored", None
        held = self.config.fediverse.manually_approves_followers
        existing = self.store.follower(actor_id)
        state: FollowerState = "accepted" if not held or (existing and existing.state == "accepted") else "pending"
        now = self.store.store.clock()
        follower = Follower(actor_id, actor.inbox, actor.shared_inbox, activity["id"], state, now)

        def write(db: sqlite3.Connection, stamp: str) -> None:
            FediverseStore.put_follower(db, follower, stamp)
            if state == "accepted":
                FediverseStore.deliver(db, actor.inbox, answer(self.me, "Accept", follower), stamp)

        return f"follower {state}", write

    def on_undo(self, activity: dict[str, Any], actor_id: str) -> tuple[str, Effect | None]:
        undone = first_id(activity.get("object"))
        follower = self.store.follower(actor_id)
        inner = activity["object"] if isinstance(activity.get("object"), dict) else {}
        ends_follow = follower is not None and (
            follower.follow_id == undone or (inner.get("type") == "Follow" and first_id(inner.get("object")) == self.me)
        )

        def write(db: sqlite3.Connection, stamp: str) -> None:
            if ends_follow:
                FediverseStore.drop_follower(db, actor_id)
            FediverseStore.withdraw(db, actor_id, [undone], stamp)

        return "undone", write

    def on_like(self, activity: dict[str, Any], actor_id: str) -> tuple[str, Effect | None]:
        return self._reaction(activity, actor_id, "like")

    def on_announce(self, activity: dict[str, Any], actor_id: str) -> tuple[str, Effect | None]:
        return self._reaction(activity, actor_id, "repost")

    def _reaction(self, activity: dict[str, Any], actor_id: str, kind: str) -> tuple[str, Effect | None]:
        target = post_of(self.config, first_id(activity.get("object")))
        if not target:
            return f"a {activity['type']} of something not ours: ignored", None
        _, author = self.author(actor_id)
        published = _time(activity.get("published")) or self.store.store.clock()
        response = Response(
            id=activity["id"],
            type="like" if kind == "like" else "repost",
            source=activity["id"],
            target=target,
            author=author,
            published=published,
            platform=PLATFORM,
        )
        return f"{kind} of {target}", _put(response, actor_id, activity["id"])

    def on_create(self, activity: dict[str, Any], actor_id: str) -> tuple[str, Effect | None]:
        note = activity.get("object")
        if not isinstance(note, dict) or note.get("type") not in ("Note", "Article"):
            return "a Create of no Note: ignored", None
        if first_id(note.get("attributedTo")) != actor_id or not isinstance(note.get("id"), str):
            return "a Note attributed to someone else, or without an id: ignored", None
        parent = first_id(note.get("inReplyTo"))
        target, in_reply_to = post_of(self.config, parent), ""
        if not target and parent:
            stored = self.store.response(parent)
            if stored is not None and not stored.deleted and stored.response.type == "reply":
                target, in_reply_to = stored.response.target, stored.response.id
        if not target:
            return "a Note that answers none of our posts: ignored", None
        _, author = self.author(actor_id)
        response = self._reply(note, activity, target, in_reply_to, author)
        return f"reply to {target}", _put(response, actor_id, activity["id"])

    def _reply(
        self, note: dict[str, Any], activity: dict[str, Any], target: str, in_reply_to: str, author: ResponseAuthor
    ) -> Response:
        html = clean_html(str(note.get("content") or ""))
        url = clean_url(first_id(note.get("url")))
        return Response(
            id=note["id"],
            type="reply",
            source=note["id"],
            target=target,
            author=author,
            content_html=html,
            content_text=clean_text(html_to_text(html)),
            name=clean_text(str(note.get("name") or ""), 500) if note.get("type") == "Article" else "",
            published=_time(note.get("published")) or _time(activity.get("published")) or self.store.store.clock(),
            updated=_time(note.get("updated")),
            platform=PLATFORM,
            in_reply_to=in_reply_to,
            url=url if url != note["id"] else "",
        )

    def on_update(self, activity: dict[str, Any], actor_id: str) -> tuple[str, Effect | None]:
        note = activity.get("object")
        stored = self.store.response(first_id(note))
        if not isinstance(note, dict) or stored is None or stored.deleted or stored.actor != actor_id:
            if isinstance(note, dict) and first_id(note) == actor_id:
                self.directory.get(actor_id, refresh=True)  # a profile changed: its name and picture anew
                return "the actor's profile refreshed", None
            return "an Update of nothing stored: ignored", None
        old = stored.response
        response = self._reply(note, activity, old.target, old.in_reply_to, old.author)
        return f"reply {old.id} edited", _put(response, actor_id, stored.activity)

    def on_delete(self, activity: dict[str, Any], actor_id: str) -> tuple[str, Effect | None]:
        deleted = first_id(activity.get("object"))
        if deleted == actor_id:

            def gone(db: sqlite3.Connection, stamp: str) -> None:
                FediverseStore.drop_follower(db, actor_id)
                FediverseStore.withdraw_actor(db, actor_id, stamp)

            return "the actor deleted: its follow and responses withdrawn", gone

        def withdraw(db: sqlite3.Connection, stamp: str) -> None:
            FediverseStore.withdraw(db, actor_id, [deleted], stamp)

        return "deleted", withdraw

    def on_move(self, activity: dict[str, Any], actor_id: str) -> tuple[str, Effect | None]:
        follower = self.store.follower(actor_id)
        new_id = first_id(activity.get("target"))
        if follower is None or first_id(activity.get("object")) != actor_id or not new_id:
            return "a Move of no follower: ignored", None
        new = self.directory.get(new_id, refresh=True)
        if new is None:
            raise Retry(f"cannot fetch the new actor {new_id}")
        if actor_id not in new.also_known_as or not new.inbox:
            return "a Move to an account that does not name the old one: ignored", None
        moved = Follower(new.id, new.inbox, new.shared_inbox, follower.follow_id, follower.state, follower.followed_at)

        def write(db: sqlite3.Connection, stamp: str) -> None:
            FediverseStore.drop_follower(db, actor_id)
            FediverseStore.put_follower(db, moved, stamp)

        return f"follower moved to {new.id}", write

    def on_block(self, activity: dict[str, Any], actor_id: str) -> tuple[str, Effect | None]:
        if first_id(activity.get("object")) != self.me:
            return "a Block of someone else: ignored", None

        def drop(db: sqlite3.Connection, stamp: str) -> None:
            FediverseStore.drop_follower(db, actor_id)

        return "blocked us: no longer a follower", drop


def answer(me: str, kind: str, follower: Follower) -> dict[str, Any]:
    """Our Accept (or Reject) of a follower's Follow."""
    digest = hashlib.sha256(follower.follow_id.encode("utf-8")).hexdigest()[:16]
    follow = {"id": follower.follow_id, "type": "Follow", "actor": follower.actor, "object": me}
    return {"@context": AS, "id": f"{me}#{kind.lower()}s/{digest}", "type": kind, "actor": me, "object": follow}


def _put(response: Response, actor_id: str, activity_id: str) -> Effect:
    return lambda db, stamp: FediverseStore.put_response(db, response, actor_id, activity_id, stamp)


def _time(value: Any) -> dt.datetime | None:
    try:
        return parse_time(value if isinstance(value, str) else None, "published")
    except ValueError:
        return None


class InboxWorker(Loop):
    """Processes accepted activities and sends the answers they call for, in one background thread."""

    thread_name = "fediverse-worker"

    def __init__(
        self,
        config: Config,
        store: FediverseStore,
        client: HttpClient,
        signer: Callable[[], Signer],
        options: WorkerOptions | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.client = client
        self.signer = signer
        self.options = options or WorkerOptions()
        self.inbox = Inbox(config, store, ActorDirectory(store, client, signer))
        super().__init__(self.options.poll_interval)

    def run_due(self) -> int:
        """Process every due activity, then send every due answer; how many activities were taken."""
        taken = 0
        while not self._stop.is_set() and (jobs := self.store.due(self.options.batch)):
            for job in jobs:
                if self._stop.is_set():
                    break
                self.process(job)
                taken += 1
        if taken:
            self.write_stats()
        deliver_due(self.store, self.client, self.signer, self.options)
        return taken

    def process(self, job: InboxJob) -> None:
        """Do one activity's effect and mark it done in the same transaction (or postpone it)."""
        fault_point("inbox.taken")
        activity = job.activity
        try:
            result, effect = self.inbox.effect(activity)
        except Retry as retry:
            self._retry(job, str(retry))
            return
        except Exception:  # hostile input must not stop the queue
            log.exception("fediverse: processing %s failed", redact(activity.get("id", "")))
            result, effect = "internal error: given up", None
        with self.store.store.transaction() as db:
            if effect is not None:
                effect(db, self.store.now())
            FediverseStore.finish(db, job.id, result)
        log.info("fediverse: %s from %s: %s", activity.get("type"), redact(activity.get("actor", "")), result)

    def _retry(self, job: InboxJob, reason: str) -> None:
        attempts = job.attempts + 1
        backoff = self.options.backoff or (60.0,)
        delay = backoff[min(attempts, len(backoff)) - 1]
        give_up = attempts >= self.options.max_attempts
        self.store.postpone(job, self.store.store.clock() + dt.timedelta(seconds=delay), reason, give_up)
        log.info("fediverse: %s: %s%s", redact(job.activity.get("id", "")), reason, "; given up" if give_up else "")

    def write_stats(self) -> None:
        """`data/fediverse/stats.json` brought up to date."""
        write_stats(self.config, self.store)


def write_stats(config: Config, store: FediverseStore) -> None:
    """`data/fediverse/stats.json`: the number of followers, for the build (rewritten only when it changed)."""
    path = config.data_dir / FEDIVERSE_STATS
    stats = {"followers": store.count()}
    try:
        if read_json(path, {}) != stats:
            write_json(path, stats)
    except (HomepostError, OSError) as exc:
        log.warning("fediverse: cannot write %s: %s", path, exc)


def deliver_due(store: FediverseStore, client: HttpClient, signer: Callable[[], Signer], options: WorkerOptions) -> int:
    """POST every due answer, signed; a 2xx or a 4xx (but 429) settles it, anything else is retried. How many sent."""
    sent = 0
    for delivery in store.deliveries():
        if store.claim(delivery):  # the receiver's worker and `homepost fediverse followers` may both be at it
            sent += deliver(store, client, signer(), delivery, options)
    return sent


def deliver(
    store: FediverseStore, client: HttpClient, signer: Signer, delivery: Delivery, options: WorkerOptions
) -> bool:
    """POST one answer; True when the inbox took it."""
    body = delivery.body.encode("utf-8")
    headers = {**signer.sign("POST", delivery.inbox, body), "Content-Type": "application/activity+json"}
    try:
        status = client.post(delivery.inbox, headers=headers, data=body).status
        result = f"answered {status}"
    except HomepostError as exc:
        status, result = 0, str(exc)
    if 200 <= status < 300 or (400 <= status < 500 and status != 429):
        store.delivered(delivery, result, done=200 <= status < 300)
        return 200 <= status < 300
    attempts = delivery.attempts + 1
    backoff = options.backoff or (60.0,)
    retry_at = None
    if attempts < options.max_attempts:
        retry_at = store.store.clock() + dt.timedelta(seconds=backoff[min(attempts, len(backoff)) - 1])
    store.delivered(delivery, result, retry_at=retry_at, done=False)
    log.info("fediverse: delivery to %s: %s", redact(delivery.inbox), result)
    return False
