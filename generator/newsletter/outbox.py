"""The send outbox: one row per (issue, subscriber), written before and after each SMTP transaction.

See `store` for the states. `recover` runs first in every send: a `data` row left by a run that
died while the server may have taken the message becomes `unknown` (never sent again: a reader
missing one email is better than a reader getting it twice), a `sending` row (the run died before
handing the message over) is sent again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Literal

from generator.newsletter.store import _COLUMNS, PAGE, NewsletterStore, Subscriber, _subscriber
from generator.webmention.receiver.store import _stamp

RowState = Literal["sending", "data", "sent", "retry", "bounced", "unknown"]
BACKOFF = (300.0, 1800.0, 7200.0, 21600.0)  # seconds before attempt 2, 3, ... after a 4xx (the last repeats)
MAX_ATTEMPTS = 8  # 4xx replies before an address is given up for one issue (as bounced)


class Outbox:
    """The issues and their per-subscriber rows."""

    def __init__(self, newsletter: NewsletterStore) -> None:
        self.newsletter = newsletter
        self.store = newsletter.store

    def issue(self, issue: str, title: str) -> str:
        """Record an issue (once) and return when it was first recorded: subscribers confirmed by then receive it."""
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO newsletter_issues (issue, title, created) VALUES (?, ?, ?)",
                (issue, title, _stamp(self.newsletter.clock())),
            )
            return str(db.execute("SELECT created FROM newsletter_issues WHERE issue = ?", (issue,)).fetchone()[0])

    def known(self, issue: str) -> bool:
        """True when the issue was recorded by an earlier run."""
        return bool(self.store.query("SELECT 1 FROM newsletter_issues WHERE issue = ?", (issue,)))

    def recover(self) -> int:
        """Settle what a run that died left: `data` rows become `unknown`; the number of them."""
        with self.store.transaction() as db:
            return db.execute(
                "UPDATE newsletter_outbox SET state = 'unknown', result = 'the run stopped while the "
                "server held the message; not sent again', changed = ? WHERE state = 'data'",
                (_stamp(self.newsletter.clock()),),
            ).rowcount

    def recipients(self, issue: str, created: str) -> Iterator[tuple[Subscriber, int]]:
        """The confirmed subscribers (confirmed by `created`) still owed this issue now, with their attempts so far."""
        now = _stamp(self.newsletter.clock())
        last = 0
        columns = ", ".join(f"s.{c.strip()}" for c in _COLUMNS.split(","))
        while True:
            rows = self.store.query(
                f"SELECT {columns}, COALESCE(o.attempts, 0) FROM subscribers s LEFT JOIN newsletter_outbox o "
                "ON o.issue = ? AND o.subscriber = s.id "
                "WHERE s.id > ? AND s.state = 'confirmed' AND s.confirmed_at <= ? "
                "AND (o.state IS NULL OR o.state = 'sending' OR (o.state = 'retry' AND o.next_attempt <= ?)) "
                "ORDER BY s.id LIMIT ?",
                (issue, last, created, now, PAGE),
            )
            for row in rows:
                yield _subscriber(row[:-1]), int(row[-1])
            if len(rows) < PAGE:
                return
            last = rows[-1][0]

    def mark(self, issue: str, subscriber: int, state: RowState, result: str = "", attempts: int | None = None) -> None:
        """Record where one (issue, subscriber) stands, committed to disk before this returns."""
        now = self.newsletter.clock()
        next_attempt = ""
        if state == "retry" and attempts:
            next_attempt = _stamp(now + dt.timedelta(seconds=BACKOFF[min(attempts, len(BACKOFF)) - 1]))
        # `sending` lost to a power cut equals `sending` never written (a kill -9 keeps it: WAL), so it skips the fsync
        self.store.query(f"PRAGMA synchronous={'NORMAL' if state == 'sending' else 'FULL'}")
        try:
            with self.store.transaction() as db:
                db.execute(
                    "INSERT INTO newsletter_outbox (issue, subscriber, state, attempts, next_attempt, result, changed) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (issue, subscriber) DO UPDATE SET state = excluded.state, "
                    "attempts = COALESCE(?, attempts), next_attempt = excluded.next_attempt, result = excluded.result, "
                    "changed = excluded.changed",
                    (issue, subscriber, state, attempts or 0, next_attempt, result, _stamp(now), attempts),
                )
        finally:
            self.store.query("PRAGMA synchronous=FULL")

    def forget(self, issue: str, subscriber: int) -> None:
        """Drop a row whose message was never handed over (the whole message was refused: a later run sends it)."""
        with self.store.transaction() as db:
            db.execute("DELETE FROM newsletter_outbox WHERE issue = ? AND subscriber = ?", (issue, subscriber))
