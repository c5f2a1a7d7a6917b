"""`homepost syndicate`: make, update and delete the copies of posts, exactly once each.

For each target, independently (one platform down does not stop the others), each post that
should go there is brought to what the outbox says it needs: created (recorded `pending` before
the call and `done` after), recovered (a `pending` record means an earlier call may have stored the
copy: the platform is asked first), updated where the platform allows edits, or left alone. A dry
run walks the same path and stops before the call that would change anything. A target that
asked to wait (429 Retry-After, in this run or an earlier one: generator/ratelimit.py) is not
contacted until the time has passed; its posts wait for the first run after it. Here: which posts
go to which target; the calls for one target are in generator/syndication/target_run.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from generator.config import Config, TargetSettings
from generator.credentials import TargetCredentials
from generator.http import HttpClient
from generator.model import Post, Site
from generator.platforms.base import Platform, PlatformError
from generator.ratelimit import RateLimits, Skipped
from generator.sitedata.outbox import Outbox, Record
from generator.syndication.entry import EntryMaker
from generator.syndication.target_run import Outcome, StopTarget, TargetRun

log = logging.getLogger(__name__)

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
        run = TargetRun(config, target, platform, outbox, report.outcomes, options, client, live, limits)
        try:
            for post in jobs:
                run.sync(post, maker.entry(post, target))
            for url in removed:
                run.remove(url)
        except StopTarget:
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
