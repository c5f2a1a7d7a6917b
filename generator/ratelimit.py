"""Rate limits held across runs ("do not contact X before T"), and the one reader of Retry-After.

When a platform or a webmention endpoint asks to wait (429 or 503 with Retry-After, or a used-up
rate limit and its reset time), the wait is recorded in `.homepost/ratelimits.json`, keyed by
syndication target name (`homepost syndicate` and `homepost backfeed` share it: one account, one
limit) or by host (`homepost webmention send`: the pages it discovers endpoints on and the
endpoints). Every run asks the record before contacting a target or host and skips it while the
time has not passed. A skip records nothing else, so the first run after the time does the work:
nothing is lost, nothing is sent twice.

The record is runtime state like the build cache, not committed with the site: it matters for
a day at most, and a lost record costs one more 429. It is written atomically (re-read and merged
first, so two commands running at once keep both their limits); a damaged one is a warning and
read as empty. Delete the file to forget every limit.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from generator.errors import ContentError
from generator.sitedata.responses import parse_time
from generator.state import read_json, write_json

log = logging.getLogger(__name__)

RATE_LIMITS_FILE = "ratelimits.json"  # in .homepost/
FORMAT = 1
MAX_WAIT = 86400.0  # seconds: no server is believed beyond a day
WAIT_STATUSES = (429, 503)  # the answers whose Retry-After (or used-up limit) is obeyed: too many requests, unavailable
# (remaining, reset) header pairs: Mastodon, Bluesky and the IETF draft, Tumblr's hourly and daily limits
_RESETS = (
    ("x-ratelimit-remaining", "x-ratelimit-reset"),
    ("ratelimit-remaining", "ratelimit-reset"),
    ("x-ratelimit-perhour-remaining", "x-ratelimit-perhour-reset"),
    ("x-ratelimit-perday-remaining", "x-ratelimit-perday-reset"),
)
_NUMBER = re.compile(r"\d+(\.\d+)?")
_EPOCH = 1e9  # a reset number above this is a Unix time, below it a number of seconds
_LONG_AGO = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # when a limit written without `asked` was asked for


def retry_after(headers: Mapping[str, str], now: dt.datetime) -> float | None:
    """Seconds from `now` a reply asks to wait, at most a day: Retry-After (delay-seconds or an HTTP date, RFC
    9110 10.2.3), else the latest reset of a used-up rate limit (an ISO time, a Unix time or seconds); else None.
    Read for the answers in WAIT_STATUSES."""
    fields = {name.lower(): value.strip() for name, value in headers.items()}
    seconds = _delay(fields.get("retry-after", ""), now)
    if seconds is None:
        resets = [
            _delay(fields.get(reset, ""), now) for remaining, reset in _RESETS if fields.get(remaining, "0") == "0"
        ]
        seconds = max((s for s in resets if s is not None), default=None)
    return None if seconds is None else min(seconds, MAX_WAIT)


def _delay(value: str, now: dt.datetime) -> float | None:
    """Seconds until `value`: a number of seconds (or a Unix time), an HTTP date or an ISO time; None if none."""
    if not value:
        return None
    if value.isascii() and _NUMBER.fullmatch(value):
        number = float(value)
        return max(0.0, number - now.timestamp()) if number > _EPOCH else number
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)  # "-0000": UTC, its local offset unknown
    return max(0.0, (when - now).total_seconds())


def target_key(name: str) -> str:
    """The record's key for a syndication target."""
    return f"target:{name}"


def host_key(url: str) -> str:
    """The record's key for the host (and port, if the URL names one) of `url`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"host:{host}:{parts.port}" if parts.port else f"host:{host}"


def key_name(key: str) -> str:
    """What a key names, for messages: the target name or the host."""
    return key.split(":", 1)[1]


@dataclass(frozen=True)
class Limit:
    """Do not contact a target or host before `until`."""

    until: dt.datetime
    asked: dt.datetime  # when the wait was asked for
    reason: str = ""  # the answer that asked, as the error said it


@dataclass(frozen=True)
class Skipped:
    """A target or host a run left alone because of a limit, and how much it left for the next run."""

    key: str
    limit: Limit
    count: int
    noun: str  # "post", "webmention", "copy"
    earlier: bool  # the limit was asked for by an earlier run (else during this one)

    def line(self) -> str:
        """`mastodon: rate limited until 18:42:10 UTC (Retry-After from the last run); skipped 3 posts`"""
        until, asked = self.limit.until, self.limit.asked
        when = f"{until:%H:%M:%S} UTC" if until.date() == asked.date() else f"{until:%Y-%m-%d %H:%M:%S} UTC"
        origin = "from the last run" if self.earlier else "from this run"
        plural = {"copy": "copies"}.get(self.noun, self.noun + "s") if self.count != 1 else self.noun
        return f"{key_name(self.key)}: rate limited until {when} (Retry-After {origin}); skipped {self.count} {plural}"


class RateLimits:
    """Every limit in force, by key; safe to use from several threads."""

    def __init__(self, path: Path, limits: dict[str, Limit] | None = None, *, dry_run: bool = False) -> None:
        self.path = path
        self.limits = limits or {}
        self.dry_run = dry_run  # a dry run keeps what it learns in memory only
        self._lock = threading.Lock()

    @classmethod
    def load(cls, private_dir: Path, *, dry_run: bool = False) -> RateLimits:
        """The record in `private_dir` (.homepost/); empty, with a warning, when it is damaged."""
        path = private_dir / RATE_LIMITS_FILE
        return cls(path, _read(path), dry_run=dry_run)

    def get(self, key: str, now: dt.datetime) -> Limit | None:
        """The limit on `key` still in force at `now`, or None."""
        with self._lock:
            limit = self.limits.get(key)
        return limit if limit is not None and limit.until > now else None

    def hold(self, key: str, seconds: float, now: dt.datetime, reason: str = "") -> Limit:
        """Record that `key` asked at `now` to wait `seconds` (keeping a later limit already known), and save."""
        limit = Limit(now + dt.timedelta(seconds=min(max(seconds, 0.0), MAX_WAIT)), now, reason)
        with self._lock:
            if not self.dry_run:  # another command may have written meanwhile: keep the later of each
                for other, known in _read(self.path, warn=False).items():
                    self._keep(other, known)
            self._keep(key, limit)
            if not self.dry_run:
                items = {k: _json(v) for k, v in sorted(self.limits.items()) if v.until > now}
                write_json(self.path, {"format": FORMAT, "limits": items})
            return self.limits[key]

    def _keep(self, key: str, limit: Limit) -> None:
        known = self.limits.get(key)
        if known is None or known.until < limit.until:
            self.limits[key] = limit


def _json(limit: Limit) -> dict[str, str]:
    item = {"until": limit.until.isoformat(), "asked": limit.asked.isoformat(), "reason": limit.reason}
    return {k: v for k, v in item.items() if v}


def _read(path: Path, warn: bool = True) -> dict[str, Limit]:
    """The limits in `path`; a damaged file or entry is left out (with a warning if `warn`)."""
    label = f".homepost/{RATE_LIMITS_FILE}"
    try:
        raw = read_json(path, {}, label=label)
    except ContentError as exc:
        problem = exc.problems[0]
        where = f"{label}:{problem.line}" if problem.line else label
        if warn:
            log.warning(
                "%s: %s; ignoring it (no rate limits are known until one is asked for again)", where, problem.message
            )
        return {}
    limits: dict[str, Limit] = {}
    items = raw.get("limits")
    for key, item in (items if isinstance(items, dict) else {}).items():
        try:
            until, asked = parse_time(item["until"], "until"), parse_time(item.get("asked"), "asked")
            if until is None:
                raise ValueError("until: expected an ISO 8601 time")
            limits[key] = Limit(until, asked or _LONG_AGO, str(item.get("reason", "")))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            if warn:
                log.warning("%s: limit %r: %s; ignoring it", label, key, exc)
    return limits
