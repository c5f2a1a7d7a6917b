"""Sending webmentions: for every post, tell each page it links (and each it stopped linking).

`send_webmentions` plans from the record in the data folder (sent.py), checks that each source is
live at its public URL (a receiver fetches it to verify), discovers each target's endpoint afresh
and posts `source` and `target`, several targets at once. A dry run walks the same path and stops
before the POST. The record is saved after every answer, so a crash loses at most the one in flight.
A host that asked to wait (429 or 503 with Retry-After, generator/ratelimit.py) is not contacted,
neither for discovery nor for sending, until the time has passed; what it held back is recorded
as nothing, so the first run after the time sends it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace

from generator.config import Config
from generator.content.sources import source_version
from generator.errors import NetworkError
from generator.http import HttpClient, not_live
from generator.model import Post
from generator.ratelimit import WAIT_STATUSES, RateLimits, Skipped, host_key, retry_after
from generator.redaction import redact
from generator.sanitize import clean_text
from generator.sitedata.sent import DELETED, LivePost, Outcome, SentState, Task, backoff
from generator.webmention.discover import TargetUnavailable, discover_endpoint
from generator.webmention.outgoing import outgoing_links

log = logging.getLogger(__name__)

SEND_TIMEOUT = 5.0  # seconds to connect or read, for one target; a slow target holds up nothing else


@dataclass(frozen=True)
class SendOptions:
    """What `homepost webmention send` was asked to do."""

    dry_run: bool = False
    check_live: bool = True  # send only for sources that answer at their public URL
    only: tuple[str, ...] = ()  # post files (under content/) or URLs to narrow the run to
    now: dt.datetime | None = None


@dataclass(frozen=True)
class Sent:
    """What happened to one webmention (in a dry run: what would be sent, `outcome` None)."""

    task: Task
    endpoint: str | None
    outcome: Outcome | None
    held: str = ""  # the rate-limited host that kept it from being sent (record key); nothing happened


@dataclass
class SendReport:
    """Everything a run did, for the CLI to print."""

    results: list[Sent] = field(default_factory=list)
    not_live: list[tuple[str, str]] = field(default_factory=list)  # (source, why) left for a later run
    waiting: list[tuple[str, str, Outcome]] = field(default_factory=list)  # failures not due yet
    limited: list[Skipped] = field(default_factory=list)  # hosts left alone for a rate limit

    def count(self, status: str) -> int:
        """How many results ended with `status`."""
        return sum(1 for r in self.results if r.outcome is not None and r.outcome.status == status)


def webmention_client(config: Config) -> HttpClient:
    """The HTTP client for talking to other sites: the [network] rules with short timeouts."""
    return HttpClient(replace(config.network, timeout=min(config.network.timeout, SEND_TIMEOUT)))


def live_posts(config: Config, posts: Iterable[Post]) -> list[LivePost]:
    """Each post with its version (a digest of its source file) and its targets."""
    return [
        LivePost(post.url, post.source, source_version(config.content_dir, post), outgoing_links(post, config.site.url))
        for post in posts
    ]


def send_webmentions(
    config: Config, posts: list[Post], client: HttpClient, options: SendOptions = SendOptions()
) -> SendReport:
    """Send what the record says is unsent; save the record as answers come in (not in a dry run)."""
    now = options.now or dt.datetime.now(dt.UTC)
    state = SentState.load(config.data_dir)
    tasks = [t for t in state.plan(live_posts(config, posts), now) if _selected(t, state, options.only)]
    report = SendReport(waiting=state.waiting(now))
    if options.check_live:
        tasks = _live_only(client, tasks, report)
    if not options.dry_run:
        state.save()  # new versions and target lists, before anything is sent
    limits = RateLimits.load(config.private_dir, dry_run=options.dry_run)
    attempt = _Attempt(
        client, now, options.now, config.webmention.max_tries, limits, None if options.dry_run else client.post
    )
    held: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=config.webmention.concurrency) as pool:
        futures = {pool.submit(attempt, task): task for task in tasks}
        for future in as_completed(futures):
            result = future.result()
            if result.held:
                held[result.held] = held.get(result.held, 0) + 1
                continue
            report.results.append(result)
            if result.outcome is not None and not options.dry_run:
                state.record(result.task, result.outcome)
                state.save()
    report.results.sort(key=lambda r: (r.task.source, r.task.target))
    for key, count in sorted(held.items()):
        if limit := limits.get(key, now):  # always: a limit is never lifted during a run
            report.limited.append(Skipped(key, limit, count, "webmention", earlier=limit.asked < now))
    return report


def _selected(task: Task, state: SentState, only: tuple[str, ...]) -> bool:
    return not only or task.source in only or state.sources[task.source].post in only


def _live_only(client: HttpClient, tasks: list[Task], report: SendReport) -> list[Task]:
    """The tasks whose source answers as it should: 200 for a post, 410 (or 404) for a deleted one."""
    verdicts: dict[str, str | None] = {}
    for source in dict.fromkeys(t.source for t in tasks):
        deleted = next(t.version == DELETED for t in tasks if t.source == source)
        verdicts[source] = not_live(client, source, (410, 404) if deleted else (200,))
    report.not_live += [(source, why) for source, why in verdicts.items() if why]
    return [t for t in tasks if verdicts[t.source] is None]


class _Attempt:
    """Discover a task's endpoint and send the webmention (`post` None: a dry run, which stops before the POST).

    A wait a host asks for is recorded at once, so that tasks still to start in this run skip that host too.
    """

    def __init__(
        self,
        client: HttpClient,
        now: dt.datetime,
        fixed: dt.datetime | None,
        max_tries: int,
        limits: RateLimits,
        post: Callable | None,
    ) -> None:
        self.client, self.now, self.fixed, self.max_tries, self.limits, self.post = (
            client,
            now,
            fixed,
            max_tries,
            limits,
            post,
        )

    def clock(self) -> dt.datetime:
        """The time now (the run's time when it is fixed, as tests fix it)."""
        return self.fixed or dt.datetime.now(dt.UTC)

    def held(self, url: str) -> str:
        """The record key of `url`'s host while it is rate-limited, else ""."""
        key = host_key(url)
        return key if self.limits.get(key, self.now) else ""

    def __call__(self, task: Task) -> Sent:
        now, tries = self.now, task.tries + 1

        def failed(
            error: str, code: int | None = None, endpoint: str = "", wait: float | None = None, asked: str = ""
        ) -> Sent:
            if wait:  # the host that asked to wait: the endpoint's, or the target's during discovery
                self.limits.hold(host_key(asked or endpoint), wait, self.clock(), error)
            if tries >= self.max_tries:
                outcome = Outcome(
                    task.version, "gave-up", now, tries, code, endpoint, error=f"{error}; gave up after {tries} tries"
                )
            else:
                later = max(backoff(tries), dt.timedelta(seconds=wait or 0))
                outcome = Outcome(task.version, "failed", now, tries, code, endpoint, error=error, next_try=now + later)
            return Sent(task, endpoint or None, outcome)

        if held := self.held(task.target):
            return Sent(task, None, None, held=held)
        try:
            endpoint = discover_endpoint(self.client, task.target)
        except NetworkError as exc:
            return failed(f"discovery: {exc.problems[0].message}")
        except TargetUnavailable as exc:  # not "no endpoint": try again (after the wait it asks for)
            wait = retry_after(exc.headers, self.clock()) if exc.status in WAIT_STATUSES else None
            return failed(f"discovery: {exc}", exc.status, wait=wait, asked=task.target)
        if endpoint is None:
            return Sent(task, None, None if self.post is None else Outcome(task.version, "no-endpoint", now, tries))
        if held := self.held(endpoint):
            return Sent(task, endpoint, None, held=held)
        if self.post is None:
            return Sent(task, endpoint, None)
        try:
            answer = self.post(endpoint, data={"source": task.source, "target": task.target})
        except NetworkError as exc:
            return failed(exc.problems[0].message, endpoint=endpoint)
        log.debug("webmention %s -> %s: %d", task.source, redact(endpoint), answer.status)
        if 200 <= answer.status < 300:
            location = answer.headers.get("location", "") if answer.status == 201 else ""
            return Sent(task, endpoint, Outcome(task.version, "sent", now, tries, answer.status, endpoint, location))
        if answer.status == 429 or answer.status >= 500:
            wait = retry_after(answer.headers, self.clock()) if answer.status in WAIT_STATUSES else None
            return failed(f"the endpoint answered {answer.status}", answer.status, endpoint, wait)
        reason = clean_text(answer.text.strip().splitlines()[0], 200) if answer.text.strip() else ""
        error = f"the endpoint answered {answer.status}" + (f": {reason}" if reason else "")
        return Sent(task, endpoint, Outcome(task.version, "rejected", now, tries, answer.status, endpoint, error=error))


@dataclass(frozen=True)
class Listed:
    """One target of one post, for `homepost webmention list`."""

    source: str
    post: str  # its file under content/
    target: str
    endpoint: str | None  # None: no endpoint (or `error` says why it is unknown)
    sent: bool  # already sent for the current version of the post
    status: str  # the last outcome for this target ("" if never tried)
    error: str = ""


def list_endpoints(config: Config, posts: list[Post], client: HttpClient) -> list[Listed]:
    """Every target of every post with its endpoint, discovered now, and what the record says of it."""
    state = SentState.load(config.data_dir)
    rows: list[tuple[LivePost, str]] = [(post, target) for post in live_posts(config, posts) for target in post.targets]

    def look(row: tuple[LivePost, str]) -> Listed:
        post, target = row
        record = state.sources.get(post.url)
        outcome = record.outcomes.get(target) if record else None
        current = (
            outcome is not None
            and record is not None
            and record.version == post.version
            and outcome.version == post.version
        )
        try:
            endpoint, error = discover_endpoint(client, target), ""
        except NetworkError as exc:
            endpoint, error = None, exc.problems[0].message
        except TargetUnavailable as exc:
            endpoint, error = None, str(exc)
        status = outcome.status if outcome else ""
        return Listed(post.url, post.file, target, endpoint, current and status == "sent", status, error)

    with ThreadPoolExecutor(max_workers=config.webmention.concurrency) as pool:
        return list(pool.map(look, rows))


def send_for_site(config: Config, options: SendOptions | None = None, now: dt.datetime | None = None) -> SendReport:
    """Send the webmentions of the published site: its posts and pages as a build at `now` sees them."""
    from generator.pipeline.build import read_site  # the build is read by the commands that send, not imported by it

    site = read_site(config, now)
    return send_webmentions(config, site.posts + site.pages, webmention_client(config), options or SendOptions())


def list_for_site(config: Config) -> list[Listed]:
    """Every target of the published site's posts and pages with its endpoint, discovered now (see list_endpoints)."""
    from generator.pipeline.build import read_site

    site = read_site(config)
    return list_endpoints(config, site.posts + site.pages, webmention_client(config))
