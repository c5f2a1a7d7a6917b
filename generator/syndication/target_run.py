"""One target's part of `homepost syndicate`: the calls that create, recover, update and delete its copies.

Each call is recorded in the outbox around it (`pending` before a create, `done` after), a target
that asked to wait is not contacted, and a dry run stops before the call that would change anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from generator.config import Config, TargetSettings
from generator.content.sources import source_version
from generator.http import HttpClient, not_live
from generator.model import Post
from generator.platforms.base import Copy, Entry, Platform, PlatformError
from generator.ratelimit import RateLimits, Skipped, target_key
from generator.sitedata.outbox import MAX_TRIES, Outbox, Record, backoff

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


@dataclass(frozen=True)
class Outcome:
    """What happened to one post on one target."""

    post: str  # its URL
    target: str
    action: Action
    url: str = ""  # the copy
    message: str = ""
    preview: str = ""  # dry runs: the copy's text, media and notes


class RunOptions(Protocol):
    """What a target's run reads of the command's options (`SyndicateOptions` in generator/syndication/copies.py)."""

    @property
    def dry_run(self) -> bool: ...
    @property
    def check_live(self) -> bool: ...
    @property
    def delete_removed(self) -> bool: ...
    @property
    def retry(self) -> bool: ...
    @property
    def backlog(self) -> bool: ...
    @property
    def now(self) -> dt.datetime | None: ...


class StopTarget(Exception):
    """The credentials are missing or refused: nothing more for this target in this run."""


class TargetRun:
    """One target's part of a run."""

    def __init__(
        self,
        config: Config,
        target: TargetSettings,
        platform: Platform,
        outbox: Outbox,
        outcomes: list[Outcome],
        options: RunOptions,
        client: HttpClient,
        live: dict[str, str | None],
        limits: RateLimits,
    ):
        self.config, self.target, self.platform, self.outbox = config, target, platform, outbox
        self.outcomes, self.options, self.client, self.live = outcomes, options, client, live
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
            raise StopTarget from None
        self.verified = True

    def say(self, post: str, action: Action, message: str = "", url: str = "", preview: str = "") -> None:
        """Add what happened to `post` to the run's report."""
        self.outcomes.append(Outcome(post, self.target.name, action, url, message, preview))

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
        """Record the copy as made (or found), and say so."""
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
            raise StopTarget
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
