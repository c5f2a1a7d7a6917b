"""Importing subscribers from other services' CSV exports, and exporting ours.

Read per service, by the columns its export has (the first matching column wins):

- Mailchimp: the address in `Email Address`; confirmed when `CONFIRM_TIME` is set or the file is a
  `subscribed_members` export; left when `UNSUB_TIME` or `CLEAN_TIME` is set.
- Substack: `email` + `active_subscription`; confirmed when `email_disabled` is not true, left when it is.
- Buttondown: `email` or `email_address` + `subscriber_type` (or `type` + `creation_date`); confirmed
  for type `regular`, `premium`, `gifted`, `trialed`; left for `unsubscribed`, `removed`.
- Ghost: `email` + `subscribed_to_emails`; confirmed when it is true, left when it is false.

Any other file with an `email` column imports its addresses as pending: an address is confirmed
only when the file says it was. Pending imports get no email; an address that left is recorded
as such (and never brought back by an import).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from generator.errors import HomepostError, Problem
from generator.newsletter.addresses import address_problem
from generator.newsletter.store import NewsletterStore, State

_ADDRESS_COLUMNS = ("email address", "email", "email_address", "e-mail")
_TRUE = ("true", "1", "yes", "y", "t")
_BUTTONDOWN_CONFIRMED = ("regular", "premium", "gifted", "trialed", "paid", "complimentary")
_BUTTONDOWN_LEFT = ("unsubscribed", "removed", "churning")


@dataclass
class ImportReport:
    """What an import did: counts per outcome, and the lines it skipped (by line number)."""

    service: str = "a plain list"
    added: dict[str, int] = field(default_factory=lambda: {"pending": 0, "confirmed": 0, "unsubscribed": 0})
    unchanged: int = 0
    skipped: list[int] = field(default_factory=list)


def read_rows(path: Path) -> tuple[str, Iterator[tuple[int, str, State]]]:
    """The service the file comes from and its rows as (line, address, state); HomepostError naming the file."""
    try:
        handle: IO[str] = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise HomepostError(Problem(str(path), f"cannot read it: {exc.strerror or exc}")) from None
    reader = csv.DictReader(handle)
    columns = {name.strip().lower(): name for name in (reader.fieldnames or [])}
    address = next((columns[c] for c in _ADDRESS_COLUMNS if c in columns), None)
    if address is None:
        handle.close()
        raise HomepostError(
            Problem(
                str(path),
                'expected a CSV file with an email column (such as "email" or "Email Address") in its first line',
            )
        )
    service = _service(columns, path)

    def rows() -> Iterator[tuple[int, str, State]]:
        with handle:
            for row in reader:
                values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(k, str)}
                yield reader.line_num, (row.get(address) or "").strip(), _state(service, values, path)

    return service, rows()


def _service(columns: dict[str, str], path: Path) -> str:
    if "email address" in columns and (
        "confirm_time" in columns or "optin_time" in columns or "unsub_time" in columns or "clean_time" in columns
    ):
        return "Mailchimp"
    if "active_subscription" in columns:
        return "Substack"
    if "subscriber_type" in columns or ("type" in columns and "creation_date" in columns):
        return "Buttondown"
    if "subscribed_to_emails" in columns:
        return "Ghost"
    return "a plain list"


def _state(service: str, row: dict[str, str], path: Path) -> State:
    if service == "Mailchimp":
        if row.get("unsub_time") or row.get("clean_time"):
            return "unsubscribed"
        confirmed = row.get("confirm_time") or path.name.lower().startswith("subscribed_members")
        return "confirmed" if confirmed else "pending"
    if service == "Substack":
        return "unsubscribed" if row.get("email_disabled", "").lower() in _TRUE else "confirmed"
    if service == "Buttondown":
        kind = (row.get("subscriber_type") or row.get("type", "")).lower()
        return (
            "confirmed" if kind in _BUTTONDOWN_CONFIRMED else "unsubscribed" if kind in _BUTTONDOWN_LEFT else "pending"
        )
    if service == "Ghost":
        return "confirmed" if row.get("subscribed_to_emails", "").lower() in _TRUE else "unsubscribed"
    return "pending"


def import_subscribers(store: NewsletterStore, path: Path) -> ImportReport:
    """Add the file's addresses in the state it gives them (confirmed only if it says so); skip lines without one."""
    service, rows = read_rows(path)
    report = ImportReport(service=service)
    for line, address, state in rows:
        if address_problem(address):
            report.skipped.append(line)
            continue
        if state == "unsubscribed":
            changed = store.left(address)
        else:
            changed = store.subscribe(address, origin="import", confirmed=state == "confirmed") is not None
        if changed:
            report.added[state] += 1
        else:
            report.unchanged += 1
    return report


def export_subscribers(store: NewsletterStore, out: IO[str]) -> int:
    """Write every subscriber as CSV (email, state, origin, created, confirmed_at, bounces); the number written."""
    writer = csv.writer(out)
    writer.writerow(["email", "state", "origin", "created", "confirmed_at", "bounces"])
    count = 0
    for subscriber in store.subscribers():
        writer.writerow(
            [
                subscriber.address,
                subscriber.state,
                subscriber.origin,
                subscriber.created,
                subscriber.confirmed_at or "",
                subscriber.bounces,
            ]
        )
        count += 1
    return count
