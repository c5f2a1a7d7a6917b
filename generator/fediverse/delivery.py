"""`homepost fediverse deliver`: tell every follower's server of new, edited and removed posts, exactly once.

A run, top to bottom:

1. the followers (a `FollowerSource`) become this run's audience, one delivery target each: the
   server's shared inbox when it has one, else the follower's inbox (three followers on one server:
   one POST);
2. `activities.plan` records the activities the site's changes call for (Create, Update, Delete,
   an Update of the actor), each queued to every target, in one commit;
3. the open deliveries are sent, host by host: one request at a time per host, `workers` hosts at
   once (threads). Each delivery is recorded `sending` (committed) before its signed POST and
   `delivered` after a 2xx, so each (object version, inbox) gets its activity once; after a kill -9
   between the two, the next run sends it again with the same activity id, which the receiving
   server deduplicates (delivery_state.py).

Failures: 5xx, timeouts and other refusals are retried on later runs with growing waits (a minute
at first, a day at last: about a week in all), and given up after `[fediverse] max_tries`; a failing
host is left alone for the rest of the run. 401 and 403 count as failures, with the server's words.
429 (and 503 with Retry-After) holds the host in `.homepost/ratelimits.json` until the time it
names; the next run after it sends. 404 and 410 mean the inbox is gone: its followers are removed
(`FollowerSource.remove`) and nothing more goes there. Memory stays bounded: followers stream into
the record, deliveries are read one host at a time, each body is signed just before its POST.

A dry run walks the same path on an in-memory copy of the record, signs but does not send, removes
nobody, and reports the same counts.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from generator.config import Config
from generator.errors import ConfigError, HomepostError, NetworkError, Problem
from generator.fediverse import urls
from generator.fediverse.activities import Planned, plan
from generator.fediverse.delivery_state import KEEP, DeliveryStore, Row, State
from generator.fediverse.keys import KeyPair, ensure_key, load_key
from generator.fediverse.sources import FollowerSource, ObjectSource, site_followers, site_objects
from generator.http import Headers, HttpClient, Response
from generator.model import Site
from generator.pipeline.build import read_site
from generator.ratelimit import WAIT_STATUSES, RateLimits, host_key, retry_after
from generator.redaction import escape

log = logging.getLogger(__name__)

BACKOFF = (60, 600, 3600, 14400, 43200, 86400)  # seconds after failure 1, 2, ...; the last repeats
DEFAULT_WAIT = 60.0  # seconds a 429 without Retry-After holds its host
WORKERS = 8  # hosts at once
ACTIVITY_TYPE = "application/activity+json"
WORDS = 200  # characters of a server's answer kept in a failure's message

Poster = Callable[[str, bytes, dict[str, str]], Response]  # inbox, body, headers -> the answer


@dataclass(frozen=True)
class DeliverOptions:
    """What `homepost fediverse deliver` was asked to do."""

    dry_run: bool = False
    now: dt.datetime | None = None  # the run's clock (retry times and Retry-After are measured against it)
    workers: int = WORKERS


@dataclass
class DeliveryReport:
    """What one run did, for the CLI to print: the activities planned and the deliveries' fates."""

    dry_run: bool = False
    planned: list[Planned] = field(default_factory=list)
    delivered: int = 0
    skipped: int = 0  # dropped without a try: the inbox is gone
    failed: int = 0  # failed in this run (retried later unless given up)
    waiting: int = 0  # left for a later run: not due yet, or the host asked to wait
    removed: int = 0  # followers removed for a gone inbox
    problems: list[Problem] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        """Add to the counts (from any thread)."""
        with self.lock:
            for name, number in counts.items():
                setattr(self, name, getattr(self, name) + number)

    def line(self) -> str:
        """`delivered 12, skipped 0, failed 1, waiting 3`, and the followers removed if any."""
        text = f"delivered {self.delivered}, skipped {self.skipped}, failed {self.failed}, waiting {self.waiting}"
        return text + (f"; {self.removed} followers removed (inbox gone)" if self.removed else "")


def backoff(tries: int) -> dt.timedelta:
    """Wait after the `tries`-th failure: a minute at first, a day at last."""
    return dt.timedelta(seconds=BACKOFF[min(tries, len(BACKOFF)) - 1])


def deliver_for_site(config: Config, options: DeliverOptions = DeliverOptions()) -> DeliveryReport:
    """Deliver the site's changes to its followers, with the site's posts, key, followers and documents."""
    if not config.fediverse.enabled:
        message = "the fediverse is not enabled: set [fediverse] enabled = true to deliver posts to followers"
        raise ConfigError(Problem("site.toml", message, key="fediverse.enabled"))
    site = read_site(config, options.now)
    key = load_key(config.root)
    if key is None:  # a dry run makes no key file: it signs with a key of its own
        key = ensure_key(config.root) if not options.dry_run else KeyPair(_throwaway(), "dry run")
    return deliver(config, site, site_followers(config), site_objects(config, key), key, options)


def publish_step(config: Config, dry_run: bool) -> tuple[str, Any, str, tuple[Problem, ...]]:
    """The `fediverse` step of `homepost publish`: its (state, result, reason, problems), for `release.Step`."""
    if not config.fediverse.enabled:
        return "skipped", None, "[fediverse] is not enabled", ()
    from generator.webmention.receiver.store import default_db_path

    path = default_db_path(config)
    if not path.is_file():  # the followers and the delivery record live beside the receiver
        why = f"no receiver database here ({path}): run `homepost fediverse deliver` where the receiver runs"
        return "skipped", None, why, ()
    try:
        report = deliver_for_site(config, DeliverOptions(dry_run=dry_run))
    except HomepostError as exc:
        return "failed", None, "", tuple(exc.problems)
    if report.failed and not report.delivered:  # some server is always down: only a run that reached none fails
        return "failed", report, "no delivery went through; later runs retry them", tuple(report.problems)
    if report.planned or report.delivered or report.skipped or report.failed:
        return "done", report, "", ()
    return "unchanged", report, "nothing new to deliver", ()


def deliver(
    config: Config,
    site: Site,
    followers: FollowerSource,
    objects: ObjectSource,
    key: KeyPair,
    options: DeliverOptions = DeliverOptions(),
    poster: Poster | None = None,
) -> DeliveryReport:
    """Plan what the site's changes call for and send every open delivery; the record is saved after each step."""
    now = options.now or dt.datetime.now(dt.UTC)
    store = DeliveryStore.open(config.private_dir, dry_run=options.dry_run)
    try:
        store.prune(now - KEEP)
        store.set_audience(_targets(followers))
        report = DeliveryReport(options.dry_run, plan(config, site, objects, store, now))
        sender = _Sender(config, store, followers, key, report, now, poster or _poster(config, options.dry_run))
        hosts = store.hosts()
        if hosts:
            with ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(hosts)))) as pool:
                list(pool.map(sender.host, hosts))
    finally:
        store.close()
    log.info("fediverse: %s", report.line())
    return report


def _targets(followers: FollowerSource) -> Iterator[tuple[str, str]]:
    """Each follower's (actor, delivery target), streamed; one without an http(s) inbox is left out, with a warning."""
    for follower in followers.inboxes():
        if follower.target.startswith(("https://", "http://")):
            yield follower.actor, follower.target
        else:
            log.warning(
                "follower %s: no http(s) inbox (%r); nothing is delivered to it", follower.actor, follower.target
            )


class _Sender:
    """Sends the open deliveries of one host at a time; shared by the worker threads."""

    def __init__(
        self,
        config: Config,
        store: DeliveryStore,
        followers: FollowerSource,
        key: KeyPair,
        report: DeliveryReport,
        now: dt.datetime,
        poster: Poster,
    ) -> None:
        self.store, self.followers, self.report, self.now, self.poster = store, followers, report, now, poster
        self.signer = key.signer(urls.actor_url(config))
        self.max_tries = config.fediverse.max_tries
        self.limits = RateLimits.load(config.private_dir, dry_run=report.dry_run)
        self.stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds")

    def host(self, host: str) -> None:
        """Send the host's open deliveries in order; stop at its first failure or wait."""
        rows = self.store.open_rows(host)
        backing_off = any(row.state == "failed" and row.next_try > self.stamp for row in rows)
        if backing_off or (rows and self.limits.get(host_key(rows[0].inbox), self.now) is not None):
            self.report.add(waiting=len(rows))  # a failing or busy server is left alone until its time
            return
        gone: set[str] = set()
        for number, row in enumerate(rows):
            if row.inbox in gone:
                self.report.add(skipped=1)
            elif not self.send(row, gone):
                self.report.add(waiting=len(rows) - number - 1)  # a failing or busy server: left for a later run
                return

    def send(self, row: Row, gone: set[str]) -> bool:
        """One delivery, recorded before and after; False when the host should be left alone for now."""
        body = self.store.body(row.activity_id)
        headers = {**self.signer.sign("POST", row.inbox, body), "Content-Type": ACTIVITY_TYPE, "Accept": ACTIVITY_TYPE}
        self.store.mark(row, "sending", row.tries)
        try:
            answer = self.poster(row.inbox, body, headers)
        except NetworkError as exc:
            return self.failed(row, exc.problems[0].message)
        if 200 <= answer.status < 300:
            self.store.mark(row, "delivered", row.tries + 1)
            self.report.add(delivered=1)
            return True
        if answer.status in (404, 410):
            self.gone(row, answer.status)
            gone.add(row.inbox)
            return True
        seconds = retry_after(answer.headers, self.now) if answer.status in WAIT_STATUSES else None
        if answer.status == 429 or seconds is not None:
            limit = self.limits.hold(host_key(row.inbox), seconds or DEFAULT_WAIT, self.now, f"HTTP {answer.status}")
            self.store.mark(row, "queued", row.tries, limit.until.astimezone(dt.UTC).isoformat(timespec="seconds"))
            self.report.add(waiting=1)
            return False
        words = escape(answer.text.strip()[:WORDS]) or "no explanation"
        return self.failed(row, f"HTTP {answer.status}: {words}")

    def failed(self, row: Row, message: str) -> bool:
        """Count a failure: retried after a growing wait, or given up after max_tries."""
        tries = row.tries + 1
        state: State = "gave up" if tries >= self.max_tries else "failed"
        later = (
            "" if state == "gave up" else (self.now + backoff(tries)).astimezone(dt.UTC).isoformat(timespec="seconds")
        )
        self.store.mark(row, state, tries, later, message)
        note = f"gave up after {tries} tries" if state == "gave up" else f"try {tries} of {self.max_tries}"
        with self.report.lock:
            self.report.problems.append(Problem(row.inbox, f"{message} ({note})"))
        self.report.add(failed=1)
        return False

    def gone(self, row: Row, status: int) -> None:
        """The inbox is gone: its followers are removed and nothing more is sent there."""
        self.store.mark(row, "gone", row.tries + 1, error=f"HTTP {status}")
        actors = self.store.actors_at(row.inbox)
        if not self.report.dry_run:
            for actor in actors:
                self.followers.remove(actor)
        self.store.forget_target(row.inbox)
        self.report.add(skipped=1, removed=len(actors))


def _poster(config: Config, dry_run: bool) -> Poster:
    """POSTs through the one HTTP module, one client per thread; in a dry run, a 202 without sending."""
    if dry_run:
        return lambda inbox, body, headers: Response(inbox, 202, Headers(), b"")
    local = threading.local()

    def post(inbox: str, body: bytes, headers: dict[str, str]) -> Response:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = HttpClient(config.network)
        return client.post(inbox, data=body, headers=headers, follow_redirects=False)

    return post


def _throwaway() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
