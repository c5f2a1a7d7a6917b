"""`homepost syndicate`: make, update and delete the copies of posts, exactly once each.

For each target, independently (one platform down does not stop the others), each post that
should go there is brought to what the outbox says it needs: created (recorded `pending` before
the call and `done` after), recovered (a `pending` record means an earlier call may have stored the
copy: the platform is asked first), updated where the platform allows edits, or left alone. A dry
run walks the same path and stops before the call that would change anything. A target that
asked to wait (429 Retry-After, in this run or an earlier one: generator/ratelimit.py) is not
contacted until the time has passed; its posts wait for the first run after it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from generator.config import Config, TargetSettings
from generator.content.sources import source_version
from generator.credentials import TargetCredentials
from generator.http import HttpClient, not_live
from generator.model import Post, Site
from generator.platforms.base import Copy, Entry, Platform, PlatformError
from generator.ratelimit import RateLimits, Skipped, target_key
from generator.sitedata.outbox import MAX_TRIES, Outbox, Record, backoff
from generator.syndication.entry import EntryMaker

log = logging.getLogger(__name__)

Action = Literal[
    "created",
    "found",
    "updated",
    "deleted",
    "would create",
    "would update",
    "would delete",
    "failed",
    "unknown",
    "rejected",
    "held",
    "waiting",
    "not live",
    "cannot edit",
    "removed",
    "held back",
]
RATE_LIMITED = "rate limited until"  # how a post left for a rate limit is said to wait
FIRST_RUN_LIMIT = 3  # posts a target's very first run copies without --all (an old blog must not flood a new account)
PlatformMaker = Callable[[TargetSettings, HttpClient, TargetCredentials], Platform]


@dataclass(frozen=True)
class SyndicateOptions:
    """What `homepost syndicate` was asked to do."""

    dry_run: bool = False
    only: tuple[str, ...] = ()  # target names
    posts: tuple[str, ...] = ()  # post files under content/ or URLs
    check_live: bool = True  # create only for posts that answer 200 at their public URL
    delete_removed: bool = False  # delete the copies of posts that no longer exist
    retry: bool = False  # try rejected copies again even if the post did not change
    backlog: bool = False  # on a target's first run, copy every older post too (else at most FIRST_RUN_LIMIT)
    now: dt.datetime | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one post on one target."""

    post: str  # its URL
    target: str
    action: Action
    url: str = ""  # the copy
    message: str = ""
    preview: str = ""  # dry runs: the copy's text, media and notes


@dataclass
class SyndicateReport:
    """Everything a run did, for the CLI to print."""

    outcomes: list[Outcome] = field(default_factory=list)
    limited: list[Skipped] = field(default_factory=list)  # targets left alone for a rate limit

    def count(self, *actions: str) -> int:
        """How many outcomes are one of `actions`."""
        return sum(1 for o in self.outcomes if o.action in actions)

    @property
    def failed(self) -> bool:
        """True when something needs another run or the writer."""
        return self.count("failed", "unknown", "rejected", "held", "not live") > 0 or bool(self.limited)


class _StopTarget(Exception):
    """The credentials are missing or refused: nothing more for this target in this run."""


def wanted(config: Config, post: Post) -> tuple[str, ...]:
    """The targets a post goes to: its `syndicate` list, else the site's default."""
    return post.syndicate if post.syndicate is not None else config.syndication.default


def syndicate(
    config: Config, site: Site, client: HttpClient, make: PlatformMaker, options: SyndicateOptions = SyndicateOptions()
) -> SyndicateReport:
    """Bring every copy in line with the posts; the outbox is saved after every change."""
    outbox = Outbox.load(config.data_dir, dry_run=options.dry_run)
    limits = RateLimits.load(config.private_dir, dry_run=options.dry_run)
    report = SyndicateReport()
    maker = EntryMaker(config, site)
    posts = [p for p in site.posts if not p.draft and not p.scheduled and _selected(p, options.posts)]
    published = {p.url for p in site.posts}
    live: dict[str, str | None] = {}
    for target in config.syndication.targets:
        if options.only and target.name not in options.only:
            continue
        jobs = [p for p in posts if target.name in wanted(config, p) and _after(p, target.since)]
        first_run = not any(target.name in records for records in outbox.records.values())
        if first_run and len(jobs) > FIRST_RUN_LIMIT and not options.backlog:
            held_back = jobs[FIRST_RUN_LIMIT:]  # posts are newest first: the newest go out
            jobs = jobs[:FIRST_RUN_LIMIT]
            for post in held_back:  # recorded, so that later runs leave them alone too
                key = maker.entry(post, target).key
                outbox.records.setdefault(post.url, {})[target.name] = Record("skipped", post.source, "", key)
                report.outcomes.append(
                    Outcome(
                        post.url,
                        target.name,
                        "held back",
                        f"{target.name} has no copies yet: only "
                        f"the newest {FIRST_RUN_LIMIT} posts go out; run with --all to copy the older ones too",
                    )
                )
            outbox.save()
        removed = [
            url
            for url, records in sorted(outbox.records.items())
            if url not in published
            and target.name in records
            and records[target.name].state == "done"
            and (not options.posts or url in options.posts)
        ]
        if not jobs and not removed:
            continue
        try:
            platform = make(target, client, TargetCredentials(config.root, target.name))
        except PlatformError as exc:
            report.outcomes += [Outcome(p.url, target.name, "failed", message=exc.message) for p in jobs]
            continue
        run = _TargetRun(config, target, platform, outbox, report, options, client, live, limits)
        try:
            for post in jobs:
                run.sync(post, maker.entry(post, target))
            for url in removed:
                run.remove(url)
        except _StopTarget:
            log.info(
                "%s cannot be used until `homepost auth %s`; the rest waits for the next run", target.name, target.name
            )
        if run.skipped:
            report.limited.append(run.skipped)
    return report


def _after(post: Post, since: str) -> bool:
    """True when the post is not older than the target's `since` date."""
    return not since or post.date is None or post.date.date().isoformat() >= since


def _selected(post: Post, only: tuple[str, ...]) -> bool:
    return not only or post.source in only or post.url in only


class _TargetRun:
    """One target's part of a run."""

    def __init__(
        self,
        config: Config,
        target: TargetSettings,
        platform: Platform,
        outbox: Outbox,
        report: SyndicateReport,
        options: SyndicateOptions,
        client: HttpClient,
        live: dict[str, str | None],
        limits: RateLimits,
    ):
        self.config, self.target, self.platform, self.outbox = config, target, platform, outbox
        self.report, self.options, self.client, self.live = report, options, client, live
        self.now = options.now or dt.datetime.now(dt.UTC)
        self.limits, self.key = limits, target_key(target.name)
        self.skipped: Skipped | None = None  # the posts left for a rate limit
        self.verified = False  # the credentials were checked in this run

    def limited(self, post: str) -> bool:
        """True (and the post said to wait) while the target's rate limit holds: it is not contacted."""
        limit = self.limits.get(self.key, self.now)
        if limit is None:
            return False
        count = self.skipped.count + 1 if self.skipped else 1
        self.skipped = Skipped(self.key, limit, count, "post", earlier=limit.asked < self.now)
        self.say(post, "waiting", f"{RATE_LIMITED} {limit.until:%Y-%m-%d %H:%M:%S} UTC")
        return True

    def slow_down(self, exc: PlatformError) -> None:
        """Remember the wait the platform asked for, for this run and the next ones."""
        if exc.retry_after:
            self.limits.hold(self.key, exc.retry_after, self.options.now or dt.datetime.now(dt.UTC), exc.message)

    def ready(self, post: str) -> None:
        """Check the credentials once, before the first call that would change anything on this target; a refusal
        stops the target in the server's words and marks no post (they go out on the first run that is let in)."""
        if self.verified:
            return
        try:
            self.platform.verify()
        except PlatformError as exc:
            self.say(post, "failed", f"{exc.message}; nothing was sent to {self.target.name}")
            raise _StopTarget from None
        self.verified = True

    def say(self, post: str, action: Action, message: str = "", url: str = "", preview: str = "") -> None:
        self.report.outcomes.append(Outcome(post, self.target.name, action, url, message, preview))

    def sync(self, post: Post, entry: Entry) -> None:
        """Bring the copy of one post on this target to what it needs."""
        version = source_version(self.config.content_dir, post)
        record = self.outbox.get(post.url, self.target.name)
        state = record.state if record else None
        if record is None or state == "deleted":
            self.create(post, entry, version, tries=0)
        elif state == "pending":
            self.recover(post, entry, version, record)
        elif state == "failed":
            if record.due(self.now):
                self.create(post, entry, version, tries=record.tries)
            else:
                self.say(post.url, "waiting", f"{record.error}; next try after {record.next_try:%Y-%m-%d %H:%M:%S} UTC")
        elif state == "rejected":
            if record.version != version or self.options.retry:
                self.create(post, entry, version, tries=0)
            else:
                self.say(post.url, "rejected", f"{record.error} (edit the post, or run with --retry)")
        elif state == "skipped":
            if self.options.backlog:
                self.create(post, entry, version, tries=0)
        elif state == "held":
            self.say(
                post.url,
                "held",
                "a copy may exist; check, then run `homepost syndicate --resolve` with --posted URL or --not-posted",
            )
        elif record.version != version:
            self.update(post, entry, version, record)

    def create(self, post: Post, entry: Entry, version: str, tries: int) -> None:
        """Render, check the post is live, record pending, post, record done (or why not)."""
        if self.limited(post.url):
            return
        draft = self.platform.render(entry)
        if self.options.dry_run:
            self.say(post.url, "would create", preview=draft.preview())
            return
        if self.options.check_live:
            if post.url not in self.live:
                self.live[post.url] = not_live(self.client, post.url)
            if self.live[post.url]:
                self.say(post.url, "not live", f"waits until it is live: {self.live[post.url]}")
                return
        self.ready(post.url)
        pending = Record("pending", post.source, version, entry.key, tries=tries + 1, at=self.now)
        self.outbox.put(post.url, self.target.name, pending)
        try:
            copy = self.platform.create(draft, entry)
        except PlatformError as exc:
            self.failed(post, pending, exc)
            return
        self.done(post, pending, copy, "created")

    def recover(self, post: Post, entry: Entry, version: str, record: Record) -> None:
        """An earlier create may have stored the copy: ask the platform before creating again."""
        if self.limited(post.url):
            return
        draft = self.platform.render(entry)
        if self.options.dry_run:
            self.say(
                post.url,
                "would create",
                "after checking whether an interrupted earlier attempt made it",
                preview=draft.preview(),
            )
            return
        self.ready(post.url)
        try:
            found = self.platform.find(draft, entry)
        except PlatformError as exc:
            if exc.unknown_outcome and not exc.temporary:
                self.outbox.put(
                    post.url, self.target.name, replace(record, state="held", error=exc.message, at=self.now)
                )
                self.say(
                    post.url,
                    "held",
                    f"{exc.message}; check {self.target.name} for a copy, then run "
                    "`homepost syndicate --resolve` with --posted URL or --not-posted",
                )
            else:
                self.say(
                    post.url,
                    "unknown",
                    f"could not check for an earlier copy ({exc.message}); the next run checks again",
                )
                self.slow_down(exc)
            return
        if found is not None:
            self.done(post, record, found, "found")
            if record.version != version:
                self.update(post, entry, version, self.outbox.get(post.url, self.target.name))  # type: ignore[arg-type]
            return
        self.create(post, entry, version, tries=record.tries)

    def update(self, post: Post, entry: Entry, version: str, record: Record) -> None:
        """Edit the copy to show the new version, where the platform has edits."""
        if not self.platform.can_update:
            if record.stale != version:
                if not self.options.dry_run:
                    self.outbox.put(post.url, self.target.name, replace(record, stale=version))
                self.say(
                    post.url,
                    "cannot edit",
                    f"{self.target.platform} has no edits: the copy keeps the earlier text",
                    record.url,
                )
            return
        if self.limited(post.url):
            return
        draft = self.platform.render(entry)
        if self.options.dry_run:
            self.say(post.url, "would update", url=record.url, preview=draft.preview())
            return
        self.ready(post.url)
        try:
            copy = self.platform.update(Copy(record.id, record.url, dict(record.extra)), draft, entry)
        except PlatformError as exc:
            self.say(post.url, "failed" if exc.temporary else "rejected", f"update: {exc.message}", record.url)
            self.slow_down(exc)
            return
        updated = replace(
            record,
            version=version,
            id=copy.id or record.id,
            url=copy.url or record.url,
            error="",
            stale="",
            at=self.now,
        )
        updated.extra = dict(copy.extra)  # what the platform keeps about the copy (Mastodon: its media ids)
        self.outbox.put(post.url, self.target.name, updated)
        self.say(post.url, "updated", url=updated.url)

    def remove(self, url: str) -> None:
        """The post is gone: delete its copy (with --delete-removed), else say it remains."""
        record = self.outbox.get(url, self.target.name)
        assert record is not None
        if not self.options.delete_removed:
            self.say(
                url,
                "removed",
                "the post is gone but its copy remains; run with --delete-removed to delete it",
                record.url,
            )
            return
        if self.limited(url):
            return
        if self.options.dry_run:
            self.say(url, "would delete", url=record.url)
            return
        self.ready(url)
        try:
            self.platform.delete(Copy(record.id, record.url, dict(record.extra)))
        except PlatformError as exc:
            self.say(url, "failed" if exc.temporary else "rejected", f"delete: {exc.message}", record.url)
            self.slow_down(exc)
            return
        self.outbox.put(url, self.target.name, replace(record, state="deleted", at=self.now))
        self.say(url, "deleted", url=record.url)

    def done(self, post: Post, record: Record, copy: Copy, action: Action) -> None:
        finished = replace(
            record, state="done", id=copy.id, url=copy.url, extra=dict(copy.extra), error="", next_try=None, at=self.now
        )
        self.outbox.put(post.url, self.target.name, finished)
        self.say(post.url, action, url=copy.url)

    def failed(self, post: Post, pending: Record, exc: PlatformError) -> None:
        """Record why a create failed: unknown outcome stays pending, temporary waits, permanent is rejected."""
        if exc.needs_auth and not exc.unknown_outcome:  # not the post's fault: try again once the writer has signed in
            self.outbox.put(
                post.url,
                self.target.name,
                replace(pending, state="failed", tries=pending.tries - 1, error=exc.message, next_try=None),
            )
            self.say(post.url, "failed", exc.message)
            raise _StopTarget
        if exc.unknown_outcome:
            self.outbox.put(post.url, self.target.name, replace(pending, error=exc.message))
            self.say(
                post.url, "unknown", f"{exc.message}; the copy may exist: the next run checks before posting again"
            )
        elif exc.temporary and pending.tries < MAX_TRIES:
            wait = max(backoff(pending.tries), dt.timedelta(seconds=exc.retry_after or 0))
            self.outbox.put(
                post.url,
                self.target.name,
                replace(pending, state="failed", error=exc.message, next_try=self.now + wait),
            )
            self.say(post.url, "failed", f"{exc.message}; retrying after {self.now + wait:%Y-%m-%d %H:%M:%S} UTC")
        else:
            reason = exc.message if not exc.temporary else f"gave up after {pending.tries} tries: {exc.message}"
            self.outbox.put(post.url, self.target.name, replace(pending, state="rejected", error=reason))
            self.say(post.url, "rejected", reason)
        self.slow_down(exc)


def resolve(config: Config, target: str, post_url: str, posted: str | None) -> Record:
    """Settle a held copy: it was posted (at `posted`), or it was not (None: post it on the next run)."""
    outbox = Outbox.load(config.data_dir)
    record = outbox.get(post_url, target)
    if record is None or record.state not in ("held", "pending"):
        from generator.errors import HomepostError, Problem

        raise HomepostError(Problem("data/syndication/outbox.json", f"no held copy of {post_url} on {target}"))
    now = dt.datetime.now(dt.UTC)
    if posted:
        settled = replace(record, state="done", id=posted, url=posted, error="", at=now)
    else:
        settled = replace(record, state="failed", error="resolved as not posted", next_try=None, at=now)
    outbox.put(post_url, target, settled)
    return settled
