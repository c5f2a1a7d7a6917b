"""`--external`: links to other sites, asked through the one HTTP client, politely.

One request at a time per host, a few hosts at once; HEAD, then GET when a server refuses HEAD;
redirects followed one hop at a time so that a permanent one can be reported; a wait a host asks
for (429 or 503 with Retry-After) is kept in .homepost/ratelimits.json and the host left alone
until then. Links that answered are remembered in .homepost/linkcheck.json for a day: a run within
it does not ask again. Failures are asked again on every run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from generator.check.report import Finding, Seen, Tally, findings_for
from generator.errors import ContentError, NetworkError
from generator.http import HttpClient, Response
from generator.ratelimit import WAIT_STATUSES, RateLimits, host_key, retry_after
from generator.state import read_json, write_json

log = logging.getLogger(__name__)

CACHE_FILE = "linkcheck.json"  # in .homepost/
FORMAT = 1
FRESH = dt.timedelta(days=1)  # how long an answer is believed
MAX_HOSTS = 8  # hosts asked at once; each host one request at a time
MAX_REDIRECTS = 5
PERMANENT = (301, 308)
NO_HEAD = (405, 501)  # servers that refuse HEAD: ask with GET


@dataclass(frozen=True)
class Outcome:
    """How one outgoing URL answered: its final status, or the error, a permanent move, or a wait it asked for."""

    status: int | None = None
    error: str = ""
    moved_to: str = ""  # where a permanent redirect leads: the link to write instead
    held: str = ""  # not asked: the host asked to wait (the reason)

    @property
    def ok(self) -> bool:
        """True when the URL answered with a success (after redirects)."""
        return self.status is not None and self.status < 400


def check_external(
    urls: list[str], client: HttpClient, private_dir: Path, clock: Callable[[], dt.datetime]
) -> dict[str, Outcome]:
    """How each URL answers: remembered when it answered within a day, else asked, politely."""
    now = clock()
    cache = _load(private_dir / CACHE_FILE)
    fresh = {url: outcome for url, (when, outcome) in cache.items() if now - when < FRESH}
    to_ask: dict[str, list[str]] = {}
    for url in urls:
        if url not in fresh:
            to_ask.setdefault(host_key(url), []).append(url)
    if not to_ask:
        return {url: fresh[url] for url in urls}
    limits = RateLimits.load(private_dir)
    asked: dict[str, Outcome] = {}
    with ThreadPoolExecutor(max_workers=min(MAX_HOSTS, len(to_ask))) as pool:
        for results in pool.map(lambda item: _ask_host(client, limits, clock, *item), to_ask.items()):
            asked.update(results)
    cache.update((url, (now, outcome)) for url, outcome in asked.items() if outcome.ok)
    _save(private_dir / CACHE_FILE, cache, now)
    return {url: fresh.get(url) or asked[url] for url in urls}


def external_findings(outcomes: dict[str, Outcome], places: Callable[[str], list[Seen]]) -> tuple[Tally, list[Finding]]:
    """The tally of outgoing links, and a finding for each failure, permanent move and wait, where it is written."""
    tally, findings = Tally(checked=len(outcomes)), []
    for url, outcome in outcomes.items():
        if outcome.held:
            tally.warned += 1
            findings += findings_for("external links", url, f"not checked: {outcome.held}", places(url), warning=True)
        elif not outcome.ok:
            tally.failed += 1
            findings += findings_for("external links", url, _failure(outcome), places(url))
        elif outcome.moved_to:
            tally.warned += 1
            message = f"moved permanently to {outcome.moved_to}; update the link"
            findings += findings_for("external links", url, message, places(url), warning=True)
    return tally, findings


def _failure(outcome: Outcome) -> str:
    return outcome.error or f"answers {outcome.status}"


def _ask_host(
    client: HttpClient, limits: RateLimits, clock: Callable[[], dt.datetime], key: str, urls: list[str]
) -> dict[str, Outcome]:
    """Ask the URLs of one host in turn; once it asks to wait, leave the rest for a later run."""
    results: dict[str, Outcome] = {}
    for url in urls:
        limit = limits.get(key, clock())
        if limit is None:
            results[url], wait = _ask(client, url, clock)
            if wait is None:
                continue
            limit = limits.hold(key, wait, clock(), f"answered {results[url].status}")
        results[url] = Outcome(held=f"the host asked to wait until {limit.until:%Y-%m-%d %H:%M:%S} UTC")
    return results


def _ask(client: HttpClient, url: str, clock: Callable[[], dt.datetime]) -> tuple[Outcome, float | None]:
    """How `url` answers, following redirects; and the seconds to wait when it asked for a wait."""
    moved, current = "", url
    for _ in range(MAX_REDIRECTS + 1):
        try:
            reply = _head_or_get(client, current)
        except NetworkError as exc:
            return Outcome(error=exc.problems[0].message), None
        location = reply.headers.get("location")
        if 300 <= reply.status < 400 and location:
            current = urljoin(current, location)
            moved = current if reply.status in PERMANENT or moved else ""
            continue
        wait = retry_after(reply.headers, clock()) if reply.status in WAIT_STATUSES else None
        return Outcome(reply.status, moved_to=moved), wait
    return Outcome(error=f"more than {MAX_REDIRECTS} redirects"), None


def _head_or_get(client: HttpClient, url: str) -> Response:
    """HEAD `url`; GET it when the server does not answer HEAD."""
    reply = client.request("HEAD", url, follow_redirects=False)
    if reply.status in NO_HEAD:
        reply = client.request("GET", url, follow_redirects=False)
    return reply


def _load(path: Path) -> dict[str, tuple[dt.datetime, Outcome]]:
    """The remembered answers; a damaged file is a warning and forgotten."""
    try:
        raw = read_json(path, {}, label=f".homepost/{CACHE_FILE}")
    except ContentError as exc:
        log.warning("%s; asking every link again", exc.problems[0])
        return {}
    known: dict[str, tuple[dt.datetime, Outcome]] = {}
    links = raw.get("links") if raw.get("format") == FORMAT else None
    for url, item in (links if isinstance(links, dict) else {}).items():
        try:
            when = dt.datetime.fromisoformat(item["checked"])
            known[url] = (when, Outcome(int(item["status"]), moved_to=str(item.get("moved_to", ""))))
        except (KeyError, TypeError, ValueError):
            continue  # a damaged entry is asked again
    return known


def _save(path: Path, cache: dict[str, tuple[dt.datetime, Outcome]], now: dt.datetime) -> None:
    links = {
        url: {"checked": when.isoformat(), "status": outcome.status, "moved_to": outcome.moved_to}
        for url, (when, outcome) in sorted(cache.items())
        if now - when < FRESH
    }
    write_json(path, {"format": FORMAT, "links": links})
