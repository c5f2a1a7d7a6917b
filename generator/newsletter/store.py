"""The newsletter's tables in the receiver's database (schema version 4): subscribers, confirmations, the outbox.

A subscriber is `pending` until the confirm link is followed, then `confirmed`, and `unsubscribed`
when they leave (or after `[newsletter] max_bounces` permanent refusals); the row stays, without
anything but the address and its times, so that exports and imports know the address left. An
issue is one post (or one digest period); its outbox holds one row per subscriber it went to:
`sending` is written before the SMTP transaction starts, `data` just before the message itself is
handed over, `sent`, `retry` (4xx; with the next attempt's time), `bounced` (5xx at RCPT) or
`unknown` (a run that died while the server held the message: never sent again) after it.
Subscribers are read in pages of `PAGE` rows, never all at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from generator.newsletter.addresses import normalize
from generator.newsletter.tokens import Token, new_nonce, new_secret, read_token
from generator.webmention.receiver.store import Store, _stamp

log = logging.getLogger(__name__)
State = Literal["pending", "confirmed", "unsubscribed"]
STATES: tuple[State, ...] = ("pending", "confirmed", "unsubscribed")
PAGE = 500  # subscribers read per query
_COLUMNS = "id, address, normalized, state, origin, created, confirmed_at, nonce, bounces"


@dataclass(frozen=True)
class Subscriber:
    """One address and where it stands."""

    id: int
    address: str
    normalized: str
    state: State
    origin: str  # form, import or cli
    created: str
    confirmed_at: str | None
    nonce: str
    bounces: int


@dataclass(frozen=True)
class MailJob:
    """A confirmation email waiting to be sent by the receiver's mailer."""

    id: int
    subscriber: int
    attempts: int


class NewsletterStore:
    """The newsletter's view of the receiver's `Store` (sharing its connection and lock)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def make_private(self) -> None:
        """Make the database (and its WAL files) readable by its owner only: it holds addresses and secrets."""
        for path in (self.store.path, *(self.store.path.with_name(self.store.path.name + s) for s in ("-wal", "-shm"))):
            try:
                if path.exists() and path.stat().st_mode & 0o077:
                    os.chmod(path, 0o600)
            except OSError as exc:
                log.warning("%s: cannot make it readable by its owner only: %s", path, exc.strerror or exc)

    def clock(self) -> dt.datetime:
        """The store's notion of now."""
        return self.store.clock()

    def setting(self, key: str, make: str) -> str:
        """A stored setting, written as `make` the first time it is asked for."""
        with self.store.transaction() as db:
            db.execute("INSERT OR IGNORE INTO newsletter_settings (key, value) VALUES (?, ?)", (key, make))
            return str(db.execute("SELECT value FROM newsletter_settings WHERE key = ?", (key,)).fetchone()[0])

    def secret(self) -> str:
        """The secret signing every link (made on first use)."""
        return self.setting("secret", new_secret())

    def started(self) -> str:
        """When the first `newsletter send` ran (set by that run): posts published before are not new."""
        return self.setting("started", _stamp(self.clock()))

    # --- subscribing --------------------------------------------------------------------------

    def subscribe(self, address: str, *, origin: str = "form", confirmed: bool = False) -> Subscriber | None:
        """Record `address` as pending (from the form: and queue its confirmation) or confirmed; None if unchanged.

        An unsubscribed address subscribes again with new links (not by an import). A confirmed one is left as it is.
        """
        now, key = _stamp(self.clock()), normalize(address)
        state: State = "confirmed" if confirmed else "pending"
        with self.store.transaction() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM subscribers WHERE normalized = ?", (key,)).fetchone()
            if row is not None and (
                row[3] == "confirmed"
                or (origin == "import" and row[3] == "unsubscribed")
                or (origin != "form" and not confirmed and row[3] == "pending")
            ):
                return None  # confirmed stays as it is; an import never brings back someone who left
            if row is None:
                db.execute(
                    "INSERT INTO subscribers "
                    "(address, normalized, state, origin, created, changed, confirmed_at, nonce) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (address.strip(), key, state, origin, now, now, now if confirmed else None, new_nonce()),
                )
            else:
                db.execute(
                    "UPDATE subscribers SET address = ?, state = ?, changed = ?, confirmed_at = ?, nonce = ?, "
                    "bounces = 0 WHERE id = ?",
                    (address.strip(), state, now, now if confirmed else None, new_nonce(), row[0]),
                )
            found = _subscriber(
                db.execute(f"SELECT {_COLUMNS} FROM subscribers WHERE normalized = ?", (key,)).fetchone()
            )
            if not confirmed and origin == "form":
                db.execute(
                    "INSERT INTO newsletter_mail (subscriber, created, next_attempt) VALUES (?, ?, ?)",
                    (found.id, now, now),
                )
        return found

    def confirm(self, token: str) -> bool:
        """Confirm the subscriber of a confirm link: True once; False for a used, expired or forged link."""
        found = self._token(token, "c")
        if found is None or (found.expires is not None and found.expires < self.clock()):
            return False
        with self.store.transaction() as db:
            changed = db.execute(
                "UPDATE subscribers SET state = 'confirmed', confirmed_at = ?, changed = ?, nonce = ? "
                "WHERE id = ? AND nonce = ? AND state = 'pending'",
                (_stamp(self.clock()), _stamp(self.clock()), new_nonce(), found.subscriber, found.nonce),
            ).rowcount
        return changed == 1

    def unsubscribe(self, token: str) -> bool:
        """Unsubscribe the owner of an unsubscribe link; False for a forged or outdated one (a repeat is True)."""
        found = self._token(token, "u")
        if found is None:
            return False
        with self.store.transaction() as db:
            db.execute(
                "UPDATE subscribers SET state = 'unsubscribed', changed = ? WHERE id = ? AND nonce = ? "
                "AND state != 'unsubscribed'",
                (_stamp(self.clock()), found.subscriber, found.nonce),
            )
            return (
                db.execute(
                    "SELECT 1 FROM subscribers WHERE id = ? AND nonce = ?", (found.subscriber, found.nonce)
                ).fetchone()
                is not None
            )

    def _token(self, token: str, kind: str) -> Token | None:
        found = read_token(self.secret(), token)
        return found if found is not None and found.kind == kind else None

    def remove(self, address: str) -> bool:
        """Unsubscribe an address (`newsletter subscribers remove`); False when it is not subscribed."""
        with self.store.transaction() as db:
            return (
                db.execute(
                    "UPDATE subscribers SET state = 'unsubscribed', changed = ? WHERE normalized = ? "
                    "AND state != 'unsubscribed'",
                    (_stamp(self.clock()), normalize(address)),
                ).rowcount
                == 1
            )

    def left(self, address: str) -> bool:
        """Record that an address left (an import's unsubscribed row): unsubscribes it, or adds it unsubscribed."""
        now, key = _stamp(self.clock()), normalize(address)
        with self.store.transaction() as db:
            if db.execute(
                "UPDATE subscribers SET state = 'unsubscribed', changed = ? WHERE normalized = ? AND state != "
                "'unsubscribed'",
                (now, key),
            ).rowcount:
                return True
            return (
                db.execute(
                    "INSERT OR IGNORE INTO subscribers (address, normalized, state, origin, created, changed, nonce)"
                    " VALUES (?, ?, 'unsubscribed', 'import', ?, ?, ?)",
                    (address.strip(), key, now, now, new_nonce()),
                ).rowcount
                == 1
            )

    def bounce(self, subscriber: int, limit: int) -> bool:
        """Count a permanent refusal of an address; True when that unsubscribed it (`limit` reached)."""
        with self.store.transaction() as db:
            db.execute("UPDATE subscribers SET bounces = bounces + 1 WHERE id = ?", (subscriber,))
            return (
                db.execute(
                    "UPDATE subscribers SET state = 'unsubscribed', changed = ? WHERE id = ? AND bounces >= ? "
                    "AND state = 'confirmed'",
                    (_stamp(self.clock()), subscriber, limit),
                ).rowcount
                == 1
            )

    # --- reading subscribers ------------------------------------------------------------------

    def subscriber(self, subscriber: int) -> Subscriber | None:
        """One subscriber by id."""
        rows = self.store.query(f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", (subscriber,))
        return _subscriber(rows[0]) if rows else None

    def counts(self) -> dict[str, int]:
        """How many subscribers are in each state."""
        found = dict(self.store.query("SELECT state, COUNT(*) FROM subscribers GROUP BY state"))
        return {state: int(found.get(state, 0)) for state in STATES}

    def subscribers(self, state: State | None = None, confirmed_before: str | None = None) -> Iterator[Subscriber]:
        """Subscribers (in one state; confirmed by a time), by id, read a page at a time."""
        last = 0
        where = " AND state = ?" if state else ""
        where += " AND confirmed_at <= ?" if confirmed_before else ""
        extra = tuple(v for v in (state, confirmed_before) if v)
        while True:
            rows = self.store.query(
                f"SELECT {_COLUMNS} FROM subscribers WHERE id > ?{where} ORDER BY id LIMIT ?", (last, *extra, PAGE)
            )
            for row in rows:
                yield _subscriber(row)
            if len(rows) < PAGE:
                return
            last = rows[-1][0]

    # --- the confirmation queue ---------------------------------------------------------------

    def due_mail(self, limit: int = 20) -> list[MailJob]:
        """Confirmation emails due now, oldest first."""
        rows = self.store.query(
            "SELECT id, subscriber, attempts FROM newsletter_mail WHERE status = 'pending' "
            "AND next_attempt <= ? ORDER BY id LIMIT ?",
            (_stamp(self.clock()), limit),
        )
        return [MailJob(*row) for row in rows]

    def finish_mail(self, job: int, status: str, result: str) -> None:
        """Mark a confirmation email sent (`done`) or given up (`failed`)."""
        with self.store.transaction() as db:
            db.execute("UPDATE newsletter_mail SET status = ?, result = ? WHERE id = ?", (status, result, job))

    def postpone_mail(self, job: int, attempts: int, next_attempt: dt.datetime, result: str) -> None:
        """Try a confirmation email again later."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE newsletter_mail SET attempts = ?, next_attempt = ?, result = ? WHERE id = ?",
                (attempts, _stamp(next_attempt), result, job),
            )


def _subscriber(row: tuple) -> Subscriber:
    return Subscriber(*row)
