"""The receiver's SQLite database: the durable queue of accepted requests, the verified mentions, comments and blocks.

A request is answered 202 only after its queue row is committed and on disk (the connection,
its durability and the schema's upgrades: `database.py`), so it is verified after a restart. A
queue row stays `pending` until the worker finishes it (`done` or `failed`); there is no
"in progress" state, so a row whose verification was cut short is simply taken again.

Mentions are one row per (source, target). A deleted mention stays as a tombstone (`deleted = 1`,
its content dropped) so that `since` queries can report the deletion. Every time is stored as
fixed-width UTC ISO 8601 text, so comparing the text compares the times.

Readers' comments (schema version 2; the commenter's token digest since 3) are one row each,
`pending` until `homepost comments` approves or rejects them; `decided_at` is when that last
happened and is a comment's change time for `since` queries. `approved_at` stays set when an
approved comment is rejected, so that the next pull hears it was withdrawn. Blocks are (kind,
value) pairs: ip, domain or author.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from generator.config import Config
from generator.model import Response
from generator.sitedata.responses import response_from_dict, response_to_dict
from generator.webmention.receiver.comments import Block, BlockKind, Comment, CommentStatus
from generator.webmention.receiver.database import Database
from generator.webmention.receiver.faults import fault_point

DB_NAME = "receiver.sqlite3"
JobStatus = Literal["pending", "done", "failed"]
DELETED_NOTE = "; deleted the mention"  # added to a job's result when its verification deleted the mention
Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def default_db_path(config: Config) -> Path:
    """Where the receiver keeps its database unless told otherwise: `.homepost/receiver.sqlite3`."""
    return config.private_dir / DB_NAME


@dataclass(frozen=True)
class Job:
    """One accepted webmention request in the queue."""

    id: int
    source: str
    target: str
    received: dt.datetime
    attempts: int
    next_attempt: dt.datetime
    status: JobStatus
    result: str  # what the last attempt found, for the log and for people reading the database


@dataclass(frozen=True)
class StoredMention:
    """A verified mention (or the tombstone of a deleted one) with its bookkeeping times."""

    response: Response
    received: dt.datetime  # when the first webmention for this pair arrived
    verified: dt.datetime  # when the source was last checked
    changed: dt.datetime  # when the row was last created, updated or deleted
    deleted: bool


class Store:
    """The receiver's database; safe to use from several threads."""

    def __init__(self, path: Path, *, clock: Clock = utcnow, check: bool = False) -> None:
        """Open (creating or upgrading) the database; with `check`, refuse a damaged one (HomepostError)."""
        self.path = path
        self.clock = clock
        self._db = Database(path, check=check)

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction, for modules keeping their own tables here (the newsletter)."""
        return self._db.write()

    def query(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        """The rows of one read, for modules keeping their own tables here (the newsletter)."""
        return self._db.read(sql, args)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        self._db.close()

    # --- the queue ------------------------------------------------------------------------------

    def enqueue(self, source: str, target: str) -> int:
        """Queue one accepted request, committed to disk before this returns; its job id."""
        now = _stamp(self.clock())
        with self._db.write() as db:
            cursor = db.execute(
                "INSERT INTO queue (source, target, received, next_attempt) VALUES (?, ?, ?, ?)",
                (source, target, now, now),
            )
        return int(cursor.lastrowid or 0)

    def due_jobs(self, limit: int = 20) -> list[Job]:
        """Pending jobs whose time has come, oldest first."""
        rows = self._db.read(
            f"SELECT {_JOB_COLUMNS} FROM queue WHERE status = 'pending' AND next_attempt <= ? ORDER BY id LIMIT ?",
            (_stamp(self.clock()), limit),
        )
        return [_job(row) for row in rows]

    def jobs(self, source: str | None = None, target: str | None = None) -> list[Job]:
        """Every job (of one pair, if given), oldest first: for diagnostics and tests."""
        where, args = _where(source=source, target=target)
        return [_job(row) for row in self._db.read(f"SELECT {_JOB_COLUMNS} FROM queue{where} ORDER BY id", args)]

    def pending_ids(self, source: str, target: str) -> list[int]:
        """Ids of the pending jobs for one pair, due or waiting for a retry."""
        rows = self._db.read(
            "SELECT id FROM queue WHERE source = ? AND target = ? AND status = 'pending'", (source, target)
        )
        return [row[0] for row in rows]

    def finish(self, ids: Sequence[int], status: JobStatus, result: str) -> None:
        """Mark jobs done or failed, with what was found."""
        with self._db.write() as db:
            self._finish(db, ids, status, result)

    def _finish(self, db: sqlite3.Connection, ids: Sequence[int], status: JobStatus, result: str) -> None:
        db.executemany(
            "UPDATE queue SET status = ?, result = ?, finished = ? WHERE id = ? AND status = 'pending'",
            [(status, result, _stamp(self.clock()), job_id) for job_id in ids],
        )

    def postpone(self, ids: Sequence[int], attempts: int, next_attempt: dt.datetime, result: str) -> None:
        """Record a failed attempt on jobs and when to try again."""
        with self._db.write() as db:
            db.executemany(
                "UPDATE queue SET attempts = ?, next_attempt = ?, result = ? WHERE id = ? AND status = 'pending'",
                [(attempts, _stamp(next_attempt), result, job_id) for job_id in ids],
            )

    # --- the mentions ---------------------------------------------------------------------------

    def save(self, response: Response, received: dt.datetime, done: Sequence[int] = (), result: str = "") -> bool:
        """Insert or update the mention of (source, target), reviving a tombstone; True if it is new.

        The jobs `done` are marked done with `result` in the same transaction: a mention stored is
        never left pending, to be verified and written a second time after a crash.
        """
        now = _stamp(response.verified or self.clock())
        data = json.dumps(response_to_dict(response), ensure_ascii=False, sort_keys=True)
        with self._db.write() as db:
            existing = db.execute(
                "SELECT deleted FROM mentions WHERE source = ? AND target = ?", (response.source, response.target)
            ).fetchone()
            db.execute(
                "INSERT INTO mentions (source, target, data, received, verified, changed, deleted)"
                " VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (source, target) DO UPDATE SET"
                " data = excluded.data, verified = excluded.verified, changed = excluded.changed, deleted = 0",
                (response.source, response.target, data, _stamp(received), now, now),
            )
            fault_point("worker.writing")
            self._finish(db, done, "done", result)
        return existing is None or bool(existing[0])

    def delete(self, source: str, target: str, done: Sequence[int] = (), result: str = "") -> bool:
        """Turn a live mention into a tombstone without its content; True if there was one.

        The jobs `done` are marked done in the same transaction, with `result` and whether a mention was deleted.
        """
        now = self.clock()
        with self._db.write() as db:
            row = db.execute(
                "SELECT data FROM mentions WHERE source = ? AND target = ? AND deleted = 0", (source, target)
            ).fetchone()
            if row is not None:
                old = response_from_dict(json.loads(row[0]))
                tombstone = Response(id=old.id, type=old.type, source=old.source, target=old.target, verified=now)
                db.execute(
                    "UPDATE mentions SET data = ?, verified = ?, changed = ?, deleted = 1"
                    " WHERE source = ? AND target = ?",
                    (json.dumps(response_to_dict(tombstone), sort_keys=True), _stamp(now), _stamp(now), source, target),
                )
            fault_point("worker.writing")
            self._finish(db, done, "done", result + DELETED_NOTE if row is not None else result)
        return row is not None

    def get(self, source: str, target: str) -> StoredMention | None:
        """The stored mention of one pair, tombstone or not."""
        rows = self._db.read(
            f"SELECT {_MENTION_COLUMNS} FROM mentions WHERE source = ? AND target = ?", (source, target)
        )
        return _mention(rows[0]) if rows else None

    def mentions(self, *, target: str | None = None, since: dt.datetime | None = None) -> list[StoredMention]:
        """Live mentions (of `target`, if given), oldest first; with `since`, every change since then, deletions too."""
        where, args, order = changes_where(target, since)
        rows = self._db.read(
            f"SELECT {_MENTION_COLUMNS} FROM mentions WHERE {where} ORDER BY {order}, source, target", args
        )
        return [_mention(row) for row in rows]

    # --- readers' comments and blocks -----------------------------------------------------------

    def add_comment(self, comment: Comment) -> bool:
        """Store a new comment, committed to disk before this returns; False if its id is taken."""
        with self._db.write() as db:
            cursor = db.execute(
                f"INSERT OR IGNORE INTO comments ({_COMMENT_COLUMNS}) VALUES ({', '.join('?' * 13)})",
                (
                    comment.id,
                    comment.target,
                    comment.name,
                    comment.website,
                    comment.markdown,
                    comment.html,
                    comment.reply_to,
                    comment.ip,
                    _stamp(comment.created),
                    comment.status,
                    _stamp(comment.decided_at) if comment.decided_at else None,
                    _stamp(comment.approved_at) if comment.approved_at else None,
                    comment.token,
                ),
            )
        return cursor.rowcount == 1

    def get_comment(self, comment_id: str) -> Comment | None:
        """One comment, whatever its status."""
        rows = self._db.read(f"SELECT {_COMMENT_COLUMNS} FROM comments WHERE id = ?", (comment_id,))
        return _comment(rows[0]) if rows else None

    def comments(self, *, status: CommentStatus | None = None, target: str | None = None) -> list[Comment]:
        """Comments (with `status`, of `target`, if given), oldest first."""
        where, args = _where(status=status, target=target)
        rows = self._db.read(f"SELECT {_COMMENT_COLUMNS} FROM comments{where} ORDER BY created, id", args)
        return [_comment(row) for row in rows]

    def comment_changes(self, since: dt.datetime, target: str | None = None) -> list[Comment]:
        """Comments approved, or withdrawn after being approved, since then (of `target`, if given), in that order."""
        clauses = ["decided_at >= ?", "(status = 'approved' OR (status = 'rejected' AND approved_at IS NOT NULL))"]
        args = [_stamp(since)]
        if target is not None:
            clauses.append("target = ?")
            args.append(target)
        rows = self._db.read(
            f"SELECT {_COMMENT_COLUMNS} FROM comments WHERE {' AND '.join(clauses)} ORDER BY decided_at, id", args
        )
        return [_comment(row) for row in rows]

    def decide_comments(self, ids: Sequence[str], status: CommentStatus) -> set[str]:
        """Give comments a new status (approved or rejected) now; the ids whose status changed."""
        changed: set[str] = set()
        with self._db.write() as db:
            now = _stamp(self.clock())
            for comment_id in ids:
                cursor = db.execute(
                    "UPDATE comments SET status = ?, decided_at = ?,"
                    " approved_at = CASE WHEN ? = 'approved' THEN ? ELSE approved_at END"
                    " WHERE id = ? AND status != ?",
                    (status, now, status, now, comment_id, status),
                )
                if cursor.rowcount:
                    changed.add(comment_id)
        return changed

    def trusted_token(self, digest: str) -> bool:
        """True if an approved comment carries this token digest (see `comments.token_digest`)."""
        rows = self._db.read("SELECT 1 FROM comments WHERE token = ? AND status = 'approved' LIMIT 1", (digest,))
        return bool(digest) and bool(rows)

    def add_block(self, kind: BlockKind, value: str) -> bool:
        """Block one IP address or network, domain or author URL; False if it already was."""
        with self._db.write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO blocks (kind, value, created) VALUES (?, ?, ?)",
                (kind, value, _stamp(self.clock())),
            )
        return cursor.rowcount == 1

    def remove_block(self, kind: BlockKind, value: str) -> bool:
        """Lift a block; False if there was none."""
        with self._db.write() as db:
            cursor = db.execute("DELETE FROM blocks WHERE kind = ? AND value = ?", (kind, value))
        return cursor.rowcount == 1

    def blocks(self) -> list[Block]:
        """Every block, by kind then value."""
        rows = self._db.read("SELECT kind, value, created FROM blocks ORDER BY kind, value")
        return [Block(kind, value, _moment(created)) for kind, value, created in rows]


_COMMENT_COLUMNS = (
    "id, target, name, website, markdown, html, reply_to, ip, created, status, decided_at, approved_at, token"
)
_JOB_COLUMNS = "id, source, target, received, attempts, next_attempt, status, result"
_MENTION_COLUMNS = "data, received, verified, changed, deleted"


def _job(row: tuple) -> Job:
    job_id, source, target, received, attempts, next_attempt, status, result = row
    return Job(job_id, source, target, _moment(received), attempts, _moment(next_attempt), status, result)


def _mention(row: tuple) -> StoredMention:
    data, received, verified, changed, deleted = row
    response = response_from_dict(json.loads(data))
    return StoredMention(
        replace(response, verified=_moment(verified)),
        _moment(received),
        _moment(verified),
        _moment(changed),
        bool(deleted),
    )


def _comment(row: tuple) -> Comment:
    id_, target, name, website, markdown, html, reply_to, ip, created, status, decided_at, approved_at, token = row
    return Comment(
        id_,
        target,
        name,
        website,
        markdown,
        html,
        reply_to,
        ip,
        _moment(created),
        status,
        _moment(decided_at) if decided_at else None,
        _moment(approved_at) if approved_at else None,
        token,
    )


def changes_where(target: str | None, since: dt.datetime | None) -> tuple[str, list[str], str]:
    """WHERE, arguments and ORDER BY: live responses (of `target`) by receipt, or every change since `since`."""
    clauses, args = (["target = ?"], [target]) if target is not None else ([], [])
    clauses.append("deleted = 0" if since is None else "changed >= ?")
    args += [] if since is None else [_stamp(since)]
    return " AND ".join(clauses), args, "changed" if since is not None else "received"


def _where(**equal: str | None) -> tuple[str, list[str]]:
    """A WHERE clause (or "") requiring each column given a value to equal it, and its arguments."""
    clauses = [(name, value) for name, value in equal.items() if value is not None]
    if not clauses:
        return "", []
    return " WHERE " + " AND ".join(f"{name} = ?" for name, _ in clauses), [value for _, value in clauses]


def _stamp(moment: dt.datetime) -> str:
    """Fixed-width UTC text, so that text order is time order."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
