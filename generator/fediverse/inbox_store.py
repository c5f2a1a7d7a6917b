"""The fediverse inbox's tables in the receiver's database (schema version 5).

`fediverse_inbox` is the durable queue of accepted activities, one row per activity id (a replayed
activity finds its id taken and changes nothing); a row stays `pending` until the worker commits
its effects with it. `fediverse_actors` caches the actors (and their public keys) fetched to verify
signatures and to name authors. `fediverse_followers` holds who follows the site (`pending` while
a manual approval waits); `fediverse_responses` the likes, boosts and replies, kept as tombstones
(`deleted = 1`) once undone or deleted so the mentions API can report it; `fediverse_deliveries`
the signed answers (Accept, Reject) still to POST.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from generator.model import Response
from generator.sitedata.responses import response_from_dict, response_to_dict
from generator.webmention.receiver.store import Store, _moment, _stamp, changes_where

FollowerState = Literal["pending", "accepted"]
_ACTOR_COLUMNS = "id, key_id, public_pem, inbox, shared_inbox, name, url, photo, handle, also_known_as, fetched"
_FOLLOWER_COLUMNS = "actor, inbox, shared_inbox, follow_id, state, followed_at"


@dataclass(frozen=True)
class InboxJob:
    """One accepted activity waiting for the worker."""

    id: int
    activity: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Actor:
    """What we know of a remote actor: its key, where to deliver to it, how to name it."""

    id: str
    key_id: str = ""
    public_pem: str = ""
    inbox: str = ""
    shared_inbox: str = ""
    name: str = ""
    url: str = ""
    photo: str = ""
    handle: str = ""
    also_known_as: tuple[str, ...] = ()


@dataclass(frozen=True)
class Follower:
    """One follower of the site."""

    actor: str
    inbox: str
    shared_inbox: str
    follow_id: str  # the id of the Follow activity, which an Accept names
    state: FollowerState
    followed_at: dt.datetime


@dataclass(frozen=True)
class Delivery:
    """A signed answer to POST to an inbox."""

    id: int
    inbox: str
    body: str
    attempts: int


@dataclass(frozen=True)
class StoredResponse:
    """A like, boost or reply from the fediverse, or the tombstone of one withdrawn."""

    response: Response
    actor: str
    activity: str
    received: dt.datetime
    changed: dt.datetime
    deleted: bool

    @property
    def shown(self) -> Response:
        """The response as the mentions API lists it: a withdrawn one without its author or content."""
        old = self.response
        return Response(id=old.id, type=old.type, source=old.source, target=old.target) if self.deleted else old


class FediverseStore:
    """The fediverse tables of one receiver `Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def now(self) -> str:
        """The store's clock as stored text."""
        return _stamp(self.store.clock())

    # --- the queue ------------------------------------------------------------------------------

    def enqueue(self, activity: dict[str, Any]) -> bool:
        """Queue an accepted activity, committed to disk before this returns; False if its id was seen before."""
        now = self.now()
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO fediverse_inbox (activity_id, actor, type, body, received, next_attempt)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (activity["id"], activity["actor"], activity["type"], json.dumps(activity), now, now),
            )
        return cursor.rowcount == 1

    def due(self, limit: int = 20) -> list[InboxJob]:
        """Pending activities whose time has come, oldest first."""
        rows = self.store.query(
            "SELECT id, body, attempts FROM fediverse_inbox WHERE status = 'pending' AND next_attempt <= ?"
            " ORDER BY id LIMIT ?",
            (self.now(), limit),
        )
        return [InboxJob(row[0], json.loads(row[1]), row[2]) for row in rows]

    def jobs(self) -> list[tuple[str, str, str]]:
        """(activity id, status, result) of every queued activity, oldest first: for tests and diagnostics."""
        return [tuple(row) for row in self.store.query("SELECT activity_id, status, result FROM fediverse_inbox")]

    def postpone(self, job: InboxJob, next_attempt: dt.datetime, result: str, give_up: bool) -> None:
        """Record a failed attempt at a job; `give_up` marks it failed."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE fediverse_inbox SET attempts = ?, next_attempt = ?, result = ?, status = ? WHERE id = ?",
                (job.attempts + 1, _stamp(next_attempt), result, "failed" if give_up else "pending", job.id),
            )

    @staticmethod
    def finish(db: Any, job_id: int, result: str) -> None:
        """Mark a job done inside the caller's transaction (the one that commits its effects)."""
        db.execute("UPDATE fediverse_inbox SET status = 'done', result = ? WHERE id = ?", (result, job_id))

    # --- actors ---------------------------------------------------------------------------------

    def save_actor(self, actor: Actor) -> None:
        """Remember an actor as just fetched."""
        values = (*_actor_values(actor), self.now())
        with self.store.transaction() as db:
            db.execute(
                f"INSERT OR REPLACE INTO fediverse_actors ({_ACTOR_COLUMNS}) VALUES ({', '.join('?' * 11)})", values
            )

    def actor(self, actor_id: str) -> Actor | None:
        """The cached actor of that id."""
        rows = self.store.query(f"SELECT {_ACTOR_COLUMNS} FROM fediverse_actors WHERE id = ?", (actor_id,))
        return _actor(rows[0]) if rows else None

    def actor_by_key(self, key_id: str) -> Actor | None:
        """The cached actor owning that key."""
        rows = self.store.query(f"SELECT {_ACTOR_COLUMNS} FROM fediverse_actors WHERE key_id = ?", (key_id,))
        return _actor(rows[0]) if rows else None

    # --- followers ------------------------------------------------------------------------------

    def followers(self, state: FollowerState | None = None) -> list[Follower]:
        """Followers (in `state`, if given), oldest first."""
        where, args = (" WHERE state = ?", (state,)) if state else ("", ())
        rows = self.store.query(
            f"SELECT {_FOLLOWER_COLUMNS} FROM fediverse_followers{where} ORDER BY followed_at", args
        )
        return [_follower(row) for row in rows]

    def follower(self, actor: str) -> Follower | None:
        """One follower, accepted or pending."""
        rows = self.store.query(f"SELECT {_FOLLOWER_COLUMNS} FROM fediverse_followers WHERE actor = ?", (actor,))
        return _follower(rows[0]) if rows else None

    def count(self) -> int:
        """The number of accepted followers."""
        return int(self.store.query("SELECT COUNT(*) FROM fediverse_followers WHERE state = 'accepted'")[0][0])

    @staticmethod
    def put_follower(db: Any, follower: Follower, now: str) -> None:
        """Insert or replace a follower inside the caller's transaction."""
        db.execute(
            f"INSERT OR REPLACE INTO fediverse_followers ({_FOLLOWER_COLUMNS}, changed) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*_follower_values(follower), now),
        )

    @staticmethod
    def drop_follower(db: Any, actor: str) -> bool:
        """Remove a follower inside the caller's transaction; True if there was one."""
        return bool(db.execute("DELETE FROM fediverse_followers WHERE actor = ?", (actor,)).rowcount)

    @staticmethod
    def deliver(db: Any, inbox: str, body: dict[str, Any], now: str) -> None:
        """Queue a signed answer to `inbox` inside the caller's transaction."""
        db.execute(
            "INSERT INTO fediverse_deliveries (inbox, body, created, next_attempt) VALUES (?, ?, ?, ?)",
            (inbox, json.dumps(body), now, now),
        )

    def deliveries(self, limit: int = 20) -> list[Delivery]:
        """Answers due to be sent, oldest first."""
        rows = self.store.query(
            "SELECT id, inbox, body, attempts FROM fediverse_deliveries WHERE status = 'pending' AND next_attempt <= ?"
            " ORDER BY id LIMIT ?",
            (self.now(), limit),
        )
        return [Delivery(*row) for row in rows]

    def claim(self, delivery: Delivery, lease: dt.timedelta = dt.timedelta(minutes=5)) -> bool:
        """Take a due answer for sending, so that no other process sends it too; a claim left by a crash lapses."""
        now = self.store.clock()
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE fediverse_deliveries SET next_attempt = ?"
                " WHERE id = ? AND status = 'pending' AND next_attempt <= ?",
                (_stamp(now + lease), delivery.id, _stamp(now)),
            )
        return cursor.rowcount == 1

    def delivered(self, delivery: Delivery, result: str, *, retry_at: dt.datetime | None = None, done: bool) -> None:
        """Record how sending one answer went: `done`, or failed for good, or to try again at `retry_at`."""
        status = "done" if done else ("pending" if retry_at else "failed")
        with self.store.transaction() as db:
            db.execute(
                "UPDATE fediverse_deliveries SET status = ?, attempts = ?, next_attempt = ?, result = ? WHERE id = ?",
                (status, delivery.attempts + 1, _stamp(retry_at or self.store.clock()), result, delivery.id),
            )

    # --- responses ------------------------------------------------------------------------------

    @staticmethod
    def put_response(db: Any, response: Response, actor: str, activity: str, now: str) -> None:
        """Insert or update (reviving a tombstone) a response inside the caller's transaction."""
        data = json.dumps(response_to_dict(response), ensure_ascii=False, sort_keys=True)
        db.execute(
            "INSERT INTO fediverse_responses (id, activity, actor, target, data, received, changed, deleted)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (id) DO UPDATE SET"
            " data = excluded.data, changed = excluded.changed, deleted = 0",
            (response.id, activity, actor, response.target, data, now, now),
        )

    @staticmethod
    def withdraw(db: Any, actor: str, ids: Sequence[str], now: str) -> int:
        """Turn the live responses of `actor` with these ids (or activity ids) into tombstones; how many."""
        count = 0
        for key in ids:
            count += db.execute(
                "UPDATE fediverse_responses SET deleted = 1, changed = ?"
                " WHERE actor = ? AND deleted = 0 AND (id = ? OR activity = ?)",
                (now, actor, key, key),
            ).rowcount
        return count

    @staticmethod
    def withdraw_actor(db: Any, actor: str, now: str) -> int:
        """Withdraw every live response of `actor`; how many."""
        return int(
            db.execute(
                "UPDATE fediverse_responses SET deleted = 1, changed = ? WHERE actor = ? AND deleted = 0", (now, actor)
            ).rowcount
        )

    def response(self, response_id: str) -> StoredResponse | None:
        """One stored response, by its id (the Note's id for a reply, the activity's for a like or boost)."""
        rows = self.store.query(f"SELECT {_RESPONSE_COLUMNS} FROM fediverse_responses WHERE id = ?", (response_id,))
        return _response(rows[0]) if rows else None

    def responses(self, *, target: str | None = None, since: dt.datetime | None = None) -> list[StoredResponse]:
        """Live responses (of `target`), oldest first; with `since`, every change since then, tombstones too."""
        where, args, order = changes_where(target, since)
        rows = self.store.query(
            f"SELECT {_RESPONSE_COLUMNS} FROM fediverse_responses WHERE {where} ORDER BY {order}, id", args
        )
        return [_response(row) for row in rows]


_RESPONSE_COLUMNS = "data, actor, activity, received, changed, deleted"


def _actor_values(actor: Actor) -> tuple[str, ...]:
    return (
        actor.id,
        actor.key_id,
        actor.public_pem,
        actor.inbox,
        actor.shared_inbox,
        actor.name,
        actor.url,
        actor.photo,
        actor.handle,
        "\n".join(actor.also_known_as),
    )


def _actor(row: tuple) -> Actor:
    actor_id, key_id, pem, inbox, shared_inbox, name, url, photo, handle, also_known_as, _fetched = row
    aka = tuple(filter(None, also_known_as.split("\n")))
    return Actor(actor_id, key_id, pem, inbox, shared_inbox, name, url, photo, handle, aka)


def _follower_values(follower: Follower) -> tuple[str, ...]:
    return (
        follower.actor,
        follower.inbox,
        follower.shared_inbox,
        follower.follow_id,
        follower.state,
        _stamp(follower.followed_at),
    )


def _follower(row: tuple) -> Follower:
    actor, inbox, shared_inbox, follow_id, state, followed_at = row
    return Follower(actor, inbox, shared_inbox, follow_id, state, _moment(followed_at))


def _response(row: tuple) -> StoredResponse:
    data, actor, activity, received, changed, deleted = row
    return StoredResponse(
        response_from_dict(json.loads(data)), actor, activity, _moment(received), _moment(changed), bool(deleted)
    )
