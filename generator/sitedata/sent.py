"""The sender's record in `data/webmention/sent.json`: what was sent for which version of each post.

Committed with the site, so a fresh clone or a CI runner knows what was already sent. One entry
per source (a post's URL): the version of the post last processed, the targets it linked then,
and per target the last outcome. From this record and the site as it is now, `plan` says what
to send: new and changed posts go to every target they link now and every target they linked
before; failures come back after a backoff until they are given up; a deleted post tells every
target once more. Nothing that is done for a version is sent again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from generator.errors import ContentError, Problem
from generator.sitedata.responses import parse_time
from generator.state import read_json, write_json

SENT_FILE = "webmention/sent.json"
FORMAT = 1
DELETED = "deleted"  # the version of a post that no longer exists
BACKOFF = (
    dt.timedelta(minutes=10),
    dt.timedelta(hours=1),
    dt.timedelta(hours=6),
    dt.timedelta(days=1),
    dt.timedelta(days=3),
)

Status = Literal["sent", "no-endpoint", "rejected", "failed", "gave-up"]
DONE: tuple[Status, ...] = ("sent", "no-endpoint", "rejected", "gave-up")  # final for their version


@dataclass
class Outcome:
    """The last attempt to tell one target about one version of a source."""

    version: str
    status: Status
    at: dt.datetime
    tries: int = 1  # attempts for this version
    code: int | None = None  # the endpoint's HTTP status
    endpoint: str = ""
    location: str = ""  # a status URL the endpoint gave (201 Location)
    error: str = ""
    next_try: dt.datetime | None = None  # for failures: not before this

    def due(self, now: dt.datetime) -> bool:
        """True when a failure may be tried again."""
        return self.status == "failed" and (self.next_try is None or now >= self.next_try)


@dataclass
class SourceRecord:
    """One post, by its URL."""

    version: str  # digest of the post's source file when it was last planned; DELETED once it is gone
    post: str = ""  # its file under content/
    targets: list[str] = field(default_factory=list)  # what it linked at that version
    notify: list[str] = field(default_factory=list)  # whom to tell about that version: linked now or before
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # by target

    @property
    def deleted(self) -> bool:
        """True once the post was deleted and its targets were told."""
        return self.version == DELETED


@dataclass(frozen=True)
class Task:
    """One webmention to send: tell `target` about `source` at `version`."""

    source: str
    target: str
    version: str
    tries: int  # attempts already made for this version


@dataclass(frozen=True)
class LivePost:
    """A published post as the planner needs it."""

    url: str
    file: str
    version: str
    targets: tuple[str, ...]


class SentState:
    """Every source the sender has seen, loaded from and saved to the data folder."""

    def __init__(self, path: Path, sources: dict[str, SourceRecord] | None = None):
        self.path = path
        self.sources = sources or {}

    @classmethod
    def load(cls, data_dir: Path) -> SentState:
        """The record in `data_dir` (empty when there is none); ContentError when it is damaged."""
        path = data_dir / SENT_FILE
        label = f"data/{SENT_FILE}"
        raw = read_json(path, {}, label=label)
        try:
            sources = {url: _source_from_json(item) for url, item in raw.get("sources", {}).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ContentError(
                Problem(label, f"damaged record ({exc}); fix it or remove the file to send everything again")
            ) from None
        return cls(path, sources)

    def save(self) -> None:
        """Write the record atomically."""
        write_json(
            self.path,
            {"format": FORMAT, "sources": {url: _source_to_json(r) for url, r in sorted(self.sources.items())}},
        )

    def plan(self, posts: list[LivePost], now: dt.datetime) -> list[Task]:
        """What to send now; records the new versions and target lists (save() after sending)."""
        live = {post.url: post for post in posts}
        for post in posts:
            record = self.sources.get(post.url)
            if record is None or record.version != post.version:
                before = record.targets if record else []
                old = record.outcomes if record else {}
                notify = list(dict.fromkeys([*post.targets, *before]))
                self.sources[post.url] = SourceRecord(post.version, post.file, list(post.targets), notify, dict(old))
        for url, record in list(self.sources.items()):
            if url not in live and not record.deleted:
                self.sources[url] = SourceRecord(DELETED, record.post, [], list(record.targets), dict(record.outcomes))
        return [task for url, record in sorted(self.sources.items()) for task in _unfinished(url, record, now)]

    def record(self, task: Task, outcome: Outcome) -> None:
        """Remember what happened to one task."""
        self.sources[task.source].outcomes[task.target] = outcome

    def waiting(self, now: dt.datetime) -> list[tuple[str, str, Outcome]]:
        """Failures waiting for their next try: (source, target, outcome)."""
        return [
            (url, target, o)
            for url, r in self.sources.items()
            for target, o in r.outcomes.items()
            if o.version == r.version and o.status == "failed" and not o.due(now)
        ]


def _unfinished(url: str, record: SourceRecord, now: dt.datetime) -> list[Task]:
    """The targets of one source not yet told about its current version (failures only once due)."""
    tasks = []
    for target in record.notify:
        outcome = record.outcomes.get(target)
        if outcome is None or outcome.version != record.version:
            tasks.append(Task(url, target, record.version, 0))
        elif outcome.due(now):
            tasks.append(Task(url, target, record.version, outcome.tries))
    return tasks


def backoff(tries: int) -> dt.timedelta:
    """How long to wait after the `tries`-th failed attempt."""
    return BACKOFF[min(tries, len(BACKOFF)) - 1]


def _source_to_json(record: SourceRecord) -> dict[str, Any]:
    return {
        "version": record.version,
        "post": record.post,
        "targets": record.targets,
        "notify": record.notify,
        "outcomes": {target: _outcome_to_json(o) for target, o in sorted(record.outcomes.items())},
    }


def _source_from_json(item: dict[str, Any]) -> SourceRecord:
    outcomes = {target: _outcome_from_json(o) for target, o in item.get("outcomes", {}).items()}
    strings = lambda key: [str(t) for t in item.get(key, [])]  # noqa: E731
    return SourceRecord(
        str(item["version"]), str(item.get("post", "")), strings("targets"), strings("notify"), outcomes
    )


def _outcome_to_json(o: Outcome) -> dict[str, Any]:
    item = {
        "version": o.version,
        "status": o.status,
        "at": o.at.isoformat(),
        "tries": o.tries,
        "code": o.code,
        "endpoint": o.endpoint,
        "location": o.location,
        "error": o.error,
        "next_try": o.next_try.isoformat() if o.next_try else None,
    }
    return {k: v for k, v in item.items() if v not in ("", None)}


def _outcome_from_json(item: dict[str, Any]) -> Outcome:
    status = item["status"]
    if status not in (*DONE, "failed"):
        raise ValueError(f"unknown status {status!r}")
    return Outcome(
        version=str(item["version"]),
        status=status,
        at=parse_time(item["at"], "at") or dt.datetime.now(dt.UTC),
        tries=int(item.get("tries", 1)),
        code=item.get("code"),
        endpoint=str(item.get("endpoint", "")),
        location=str(item.get("location", "")),
        error=str(item.get("error", "")),
        next_try=parse_time(item.get("next_try"), "next_try"),
    )
