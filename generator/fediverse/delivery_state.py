"""The delivery record, `.homepost/fediverse/delivery.sqlite3`: every activity, and its fate at every inbox.

SQLite in WAL mode with `synchronous=FULL`: each change is committed (and on disk) before the
next step, so a kill -9 at any moment leaves the record as it was after the last commit. Tables:

- `objects`: what followers were last told of each object (a post's, or the actor): its version
  (the post's source digest, or the digest of the actor's fields) and whether it was deleted.
- `activities`: each activity planned, with its JSON body, kept so that a resend sends the very
  same activity (same id) as the first try.
- `deliveries`: one row per (activity, inbox), i.e. per object version and inbox: `queued`,
  `sending` (recorded before the POST), `delivered`, `failed` (retried after `next_try`),
  `gone` (the inbox answered 404 or 410) or `gave up`. Finished rows are pruned after KEEP (the
  activity is never planned again: `objects` knows its version), so the file does not grow with
  followers times posts.
- `audience`: the followers of this run (actor, delivery target, host), refilled each run; new
  activities go to its distinct targets, so each server's shared inbox gets one POST.

A row still `sending` when a run starts is an unknown outcome (the run before was cut off between
the record and the answer): it is sent again with the same activity id, which is safe because
ActivityPub servers deduplicate incoming activities by id (Mastodon, Fedify and the rest ignore
an activity whose id they have already processed).

A dry run works on an in-memory copy: it plans, "sends" and records exactly as a real run, and
nothing reaches the file.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

from generator.errors import ContentError, Problem

DELIVERY_FILE = Path("fediverse") / "delivery.sqlite3"  # under .homepost/
SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    object_id TEXT PRIMARY KEY, post TEXT NOT NULL, version TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS activities (
    activity_id TEXT PRIMARY KEY, kind TEXT NOT NULL, object_id TEXT NOT NULL, body BLOB NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    activity_id TEXT NOT NULL, inbox TEXT NOT NULL, host TEXT NOT NULL, state TEXT NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0, next_try TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (activity_id, inbox));
CREATE INDEX IF NOT EXISTS deliveries_host ON deliveries (host, state);
CREATE TABLE IF NOT EXISTS audience (actor TEXT PRIMARY KEY, target TEXT NOT NULL, host TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audience_target ON audience (target);
"""
KEEP = dt.timedelta(days=30)  # finished deliveries are forgotten after this
OPEN = "('queued', 'sending', 'failed')"  # the states of rows still to deliver, as SQL

State = Literal["queued", "sending", "delivered", "failed", "gone", "gave up"]


class Known(NamedTuple):
    """What followers were last told of an object."""

    post: str  # the post's URL ("" for the actor)
    version: str
    deleted: bool


class Row(NamedTuple):
    """One delivery: an activity to an inbox, and how it went so far."""

    activity_id: str
    inbox: str
    state: str
    tries: int
    next_try: str  # ISO time; "" when due at once


def host_of(url: str) -> str:
    """The server an inbox is on (host and port): deliveries to one host go one at a time."""
    return urlsplit(url).netloc.lower()


class DeliveryStore:
    """The delivery record; safe to use from several threads (one connection behind a lock)."""

    def __init__(self, db: sqlite3.Connection, label: str) -> None:
        self.db, self.label = db, label
        self.lock = threading.Lock()
        self._bodies: dict[str, bytes] = {}

    @classmethod
    def open(cls, private_dir: Path, *, dry_run: bool = False) -> DeliveryStore:
        """The record of a site (made on first use); a dry run gets an in-memory copy of it."""
        path = private_dir / DELIVERY_FILE
        label = f".homepost/{DELIVERY_FILE.as_posix()}"
        try:
            if dry_run:
                db = sqlite3.connect(":memory:", check_same_thread=False)
                if path.is_file():
                    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source:
                        source.backup(db)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
            db.isolation_level = None  # autocommit: each statement, or each `with store.batch()`, is durable
            db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            message = (
                f"cannot use the delivery record ({exc}); move it away to start a new one (old posts then count as new)"
            )
            raise ContentError(Problem(label, message)) from None
        return cls(db, label)

    def close(self) -> None:
        """Close the record."""
        self.db.close()

    def _write(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany(sql, rows)
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # --- objects and activities ---------------------------------------------------------------

    def known(self) -> dict[str, Known]:
        """Every object followers were told of, by id."""
        with self.lock:
            rows = self.db.execute("SELECT object_id, post, version, deleted FROM objects").fetchall()
        return {row[0]: Known(row[1], row[2], bool(row[3])) for row in rows}

    def baseline(self, objects: Iterable[tuple[str, str, str]]) -> None:
        """Record objects as already known (object id, post URL, version) without telling anyone."""
        sql = "INSERT OR REPLACE INTO objects (object_id, post, version, deleted) VALUES (?, ?, ?, 0)"
        self._write(sql, objects)

    def add_activity(
        self, activity_id: str, kind: str, object_id: str, post: str, version: str, body: bytes, at: dt.datetime
    ) -> int:
        """Record an activity, the object's new version, and a queued delivery to every target; how many targets."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute(
                    "INSERT OR IGNORE INTO activities (activity_id, kind, object_id, body, at) VALUES (?, ?, ?, ?, ?)",
                    (activity_id, kind, object_id, body, at.isoformat()),
                )
                self.db.execute(
                    "INSERT OR REPLACE INTO objects (object_id, post, version, deleted) VALUES (?, ?, ?, ?)",
                    (object_id, post, version, int(kind == "Delete")),
                )
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO deliveries (activity_id, inbox, host, state) "
                    "SELECT DISTINCT ?, target, host, 'queued' FROM audience",
                    (activity_id,),
                )
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        return cursor.rowcount

    def body(self, activity_id: str) -> bytes:
        """The activity's JSON, exactly as first planned."""
        found = self._bodies.get(activity_id)
        if found is None:
            with self.lock:
                row = self.db.execute("SELECT body FROM activities WHERE activity_id = ?", (activity_id,)).fetchone()
            found = self._bodies[activity_id] = bytes(row[0])
        return found

    # --- the audience ---------------------------------------------------------------------------

    def set_audience(self, followers: Iterable[tuple[str, str]]) -> None:
        """This run's followers, (actor, target) pairs, streamed into the record in place of the last run's."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("DELETE FROM audience")
                self.db.executemany(
                    "INSERT OR REPLACE INTO audience (actor, target, host) VALUES (?, ?, ?)",
                    ((actor, target, host_of(target)) for actor, target in followers),
                )
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def actors_at(self, target: str) -> list[str]:
        """The followers whose deliveries go to `target`."""
        with self.lock:
            rows = self.db.execute("SELECT actor FROM audience WHERE target = ?", (target,)).fetchall()
        return [row[0] for row in rows]

    def forget_target(self, target: str) -> None:
        """The target is gone: its followers leave the audience, its open deliveries become `gone`."""
        self._write("DELETE FROM audience WHERE target = ?", [(target,)])
        self._write(f"UPDATE deliveries SET state = 'gone' WHERE inbox = ? AND state IN {OPEN}", [(target,)])

    # --- deliveries -------------------------------------------------------------------------------

    def hosts(self) -> list[str]:
        """Every host with deliveries still open."""
        with self.lock:
            rows = self.db.execute(f"SELECT DISTINCT host FROM deliveries WHERE state IN {OPEN}").fetchall()
        return [row[0] for row in rows]

    def open_rows(self, host: str) -> list[Row]:
        """The open deliveries to one host, oldest activity first."""
        with self.lock:
            rows = self.db.execute(
                "SELECT d.activity_id, d.inbox, d.state, d.tries, d.next_try FROM deliveries d "
                f"JOIN activities a USING (activity_id) WHERE d.host = ? AND d.state IN {OPEN} ORDER BY a.at, d.inbox",
                (host,),
            ).fetchall()
        return [Row(*row) for row in rows]

    def mark(self, row: Row, state: State, tries: int, next_try: str = "", error: str = "") -> None:
        """Set a delivery's state, committed before this returns."""
        sql = "UPDATE deliveries SET state = ?, tries = ?, next_try = ?, error = ? WHERE activity_id = ? AND inbox = ?"
        self._write(sql, [(state, tries, next_try, error, row.activity_id, row.inbox)])

    def prune(self, before: dt.datetime) -> int:
        """Forget the finished deliveries of activities planned before `before` (the objects keep their versions)."""
        with self.lock:
            cursor = self.db.execute(
                f"DELETE FROM deliveries WHERE state NOT IN {OPEN} AND activity_id IN "
                "(SELECT activity_id FROM activities WHERE at < ?)",
                (before.isoformat(),),
            )
        return cursor.rowcount

    def count_rows(self) -> Iterator[tuple[str, int]]:
        """How many deliveries are in each state."""
        with self.lock:
            rows = self.db.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY state").fetchall()
        return iter(rows)
