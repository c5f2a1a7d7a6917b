"""The outbox in `data/syndication/outbox.json`: every copy, recorded before and after it is made.

One record per (post URL, target name). A create is recorded as `pending` (and saved, atomically)
before the platform is called, and as `done` with the copy's id and URL after. So a crash or a
timeout between the two leaves `pending`, and the next run asks the platform whether the copy
exists before making one: nothing is posted twice. The file is committed with the site: a fresh
clone or a CI runner knows every copy.

States: pending (a call may be under way or was cut short), done, failed (temporary; retried after
`next_try`), rejected (the platform refused; retried when the post changes), held (the outcome
is unknown and the platform cannot tell: the writer resolves it), deleted, skipped (an older post
held back on the target's first run; `homepost syndicate --all` copies it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from generator.errors import ContentError, Problem
from generator.sitedata.responses import parse_time
from generator.state import read_json, write_json

OUTBOX_FILE = "syndication/outbox.json"
FORMAT = 1
BACKOFF = (15, 60, 300, 1800, 7200, 21600)  # seconds after failure 1, 2, ...; the last repeats
MAX_TRIES = 12

State = Literal["pending", "done", "failed", "rejected", "held", "deleted", "skipped"]
STATES: tuple[State, ...] = ("pending", "done", "failed", "rejected", "held", "deleted", "skipped")


@dataclass
class Record:
    """One post's copy on one target."""

    state: State
    post: str  # the post's file under content/
    version: str  # the post version the copy shows (or was attempted for)
    key: str  # idempotency key / record key seed, stable for the post and target
    id: str = ""  # the copy's id on the platform
    url: str = ""  # the copy's public URL
    extra: dict[str, str] = field(default_factory=dict)
    tries: int = 0
    next_try: dt.datetime | None = None
    error: str = ""
    at: dt.datetime | None = None  # when the state was last set
    stale: str = ""  # a post version the copy could not be updated to (platforms without edits)

    def due(self, now: dt.datetime) -> bool:
        """True when a failed record may be tried again."""
        return self.next_try is None or now >= self.next_try


def backoff(tries: int) -> dt.timedelta:
    """Wait after the `tries`-th failure: seconds at first, growing towards hours."""
    return dt.timedelta(seconds=BACKOFF[min(tries, len(BACKOFF)) - 1])


class Outbox:
    """Every copy of every post, by post URL then target name; saved after every change."""

    def __init__(self, path: Path, records: dict[str, dict[str, Record]] | None = None, *, dry_run: bool = False):
        self.path = path
        self.records = records or {}
        self.dry_run = dry_run  # a dry run changes nothing on disk

    @classmethod
    def load(cls, data_dir: Path, *, dry_run: bool = False) -> Outbox:
        """The outbox of a site (empty when there is none); ContentError naming the entry when damaged."""
        label = f"data/{OUTBOX_FILE}"
        raw = read_json(data_dir / OUTBOX_FILE, {}, label=label)
        records: dict[str, dict[str, Record]] = {}
        for url, targets in raw.get("copies", {}).items():
            for name, item in (targets or {}).items():
                try:
                    records.setdefault(url, {})[name] = _record(item)
                except (KeyError, TypeError, ValueError) as exc:
                    raise ContentError(Problem(label, f"copy of {url} on {name}: {exc}")) from None
        return cls(data_dir / OUTBOX_FILE, records, dry_run=dry_run)

    def get(self, url: str, target: str) -> Record | None:
        """The record of `url` on `target`, if any."""
        return self.records.get(url, {}).get(target)

    def put(self, url: str, target: str, record: Record) -> None:
        """Set a record and save the outbox at once."""
        self.records.setdefault(url, {})[target] = record
        self.save()

    def save(self) -> None:
        """Write the outbox atomically (not in a dry run)."""
        if self.dry_run:
            return
        copies = {
            url: {name: _json(r) for name, r in sorted(targets.items())}
            for url, targets in sorted(self.records.items())
        }
        write_json(self.path, {"format": FORMAT, "copies": copies})

    def copies(self, url: str) -> list[tuple[str, Record]]:
        """The copies of one post that exist (done), by target name."""
        return [(name, r) for name, r in sorted(self.records.get(url, {}).items()) if r.state == "done" and r.url]


def _json(record: Record) -> dict[str, Any]:
    item = asdict(record)
    item["next_try"] = record.next_try.isoformat() if record.next_try else None
    item["at"] = record.at.isoformat() if record.at else None
    return {k: v for k, v in item.items() if v not in ("", None, {}, 0) or k in ("state", "tries")}


def _record(item: dict[str, Any]) -> Record:
    if item.get("state") not in STATES:
        raise ValueError(f"state: expected one of {', '.join(STATES)}")
    return Record(
        state=item["state"],
        post=str(item.get("post", "")),
        version=str(item.get("version", "")),
        key=str(item["key"]),
        id=str(item.get("id", "")),
        url=str(item.get("url", "")),
        extra={str(k): str(v) for k, v in (item.get("extra") or {}).items()},
        tries=int(item.get("tries", 0)),
        next_try=parse_time(item.get("next_try"), "next_try"),
        error=str(item.get("error", "")),
        at=parse_time(item.get("at"), "at"),
        stale=str(item.get("stale", "")),
    )
