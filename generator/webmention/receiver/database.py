"""The receiver's SQLite connection: durable writes, one connection behind a lock, the schema kept current.

WAL mode with `synchronous=FULL`: a transaction is on disk when `write()` returns, so what was
committed survives a crash, a kill or a power cut. One connection is shared by all threads behind
a lock: the receiver's traffic is small and every statement is short. The schema version lives in
`PRAGMA user_version`; a database of an earlier version is brought up to date, keeping its rows,
when it is opened.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from generator.errors import HomepostError, Problem
from generator.webmention.receiver.schema import MIGRATIONS, SCHEMA_VERSION, damaged


class Database:
    """One SQLite database file, opened (created or upgraded) for use from several threads."""

    def __init__(self, path: Path, *, check: bool = False) -> None:
        """Open (creating or upgrading) the database; with `check`, refuse a damaged one (HomepostError)."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        except sqlite3.DatabaseError as exc:
            raise HomepostError(Problem(str(path), f"cannot open the receiver database: {exc}")) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            if check:
                self._check()
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            if "malformed" in str(exc):
                raise HomepostError(damaged(path, str(exc))) from None
            raise HomepostError(Problem(str(path), f"cannot open the receiver database: {exc}")) from None
        except HomepostError:
            self._db.close()
            raise

    def _check(self) -> None:
        """HomepostError unless `PRAGMA quick_check` finds every page sound."""
        found = [row[0] for row in self._db.execute("PRAGMA quick_check(5)").fetchall()]
        if found != ["ok"]:
            raise HomepostError(damaged(self.path, found[0]))

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HomepostError(Problem(str(self.path), f"written by a newer Homepost (schema {version}); upgrade"))
        for number in range(version + 1, SCHEMA_VERSION + 1):
            with self.write() as db:
                if db.execute("PRAGMA user_version").fetchone()[0] >= number:
                    continue  # another process (the receiver, `homepost comments`) got there first
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed on leaving (rolled back on an exception)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def read(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        """The rows of one read."""
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        with self._lock:
            self._db.close()
