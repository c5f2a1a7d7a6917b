"""`homepost backfeed`: ask every copy what answered it, and keep it in the data folder.

For each copy the syndication outbox knows (of a post still published), when it is due, the
platform module reads the replies (the whole tree), likes, reposts and quotes and returns them as
Responses. They are merged into `data/responses/<post>.json`: new ones added, changed ones
updated, and, when the platform read everything, the ones it no longer returns removed (deleted
or hidden upstream). Polling is polite: recent posts every run, older ones every few hours, a copy
never polled at once; a rate limit stops that target until the time it asked for, in this run and
the next ones (generator/ratelimit.py: syndication shares it); one target failing leaves the
others alone. Then new webmentions and comments are pulled, and authors' pictures fetched.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generator.backfeed.avatars import fetch_avatars
from generator.config import Config, TargetSettings
from generator.credentials import TargetCredentials
from generator.errors import HomepostError
from generator.http import HttpClient
from generator.model import Post, Response, Site
from generator.platforms.base import Copy, Platform, PlatformError
from generator.ratelimit import RateLimits, Skipped, target_key
from generator.redaction import redact
from generator.sitedata.outbox import Outbox
from generator.sitedata.responses import (
    page_files,
    parse_time,
    read_responses,
    responses_file,
    stored_responses,
    write_responses,
)
from generator.state import read_json, write_json

log = logging.getLogger(__name__)

STATE_FILE = "backfeed/state.json"
PlatformMaker = Callable[[TargetSettings, HttpClient, TargetCredentials], Platform]


@dataclass(frozen=True)
class BackfeedOptions:
    """What `homepost backfeed` was asked to do."""

    only: tuple[str, ...] = ()  # target names
    posts: tuple[str, ...] = ()  # post files under content/ or URLs
    force: bool = False  # poll every copy now, whatever its age
    pull: bool = True  # also pull webmentions and comments (when an endpoint is configured)
    avatars: bool = True  # fetch authors' pictures
    now: dt.datetime | None = None


@dataclass
class BackfeedReport:
    """What a run found, for the CLI to print."""

    polled: int = 0
    not_due: int = 0
    changes: dict[str, Counter[str]] = field(default_factory=dict)  # post URL -> "new reply", "updated", "removed"...
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (target, post URL, message)
    limited: list[Skipped] = field(default_factory=list)  # targets left alone for a rate limit
    pulled: Any = None  # the webmention PullReport, when there was a pull
    avatars: int = 0

    @property
    def changed(self) -> bool:
        """True when something in the data folder changed."""
        return any(self.changes.values()) or bool(self.pulled and self.pulled.files) or self.avatars > 0


def backfeed(
    config: Config, site: Site, client: HttpClient, make: PlatformMaker, options: BackfeedOptions = BackfeedOptions()
) -> BackfeedReport:
    """Poll what is due, merge it into the data folder, pull mentions, fetch pictures."""
    now = options.now or dt.datetime.now(dt.UTC)
    report = BackfeedReport()
    outbox = Outbox.load(config.data_dir)
    polls = read_json(config.data_dir / STATE_FILE, {}, label=f"data/{STATE_FILE}").setdefault("copies", {})
    limits = RateLimits.load(config.private_dir)
    posts = {p.url: p for p in site.posts if not options.posts or p.source in options.posts or p.url in options.posts}
    for target in config.syndication.targets:
        if options.only and target.name not in options.only:
            continue
        copies = [
            (posts[url], record)
            for url, records in sorted(outbox.records.items())
            if url in posts
            for name, record in records.items()
            if name == target.name and record.state == "done"
        ]
        if not copies:
            continue
        platform = make(target, client, TargetCredentials(config.root, target.name))
        if not platform.can_backfeed:  # Micropub: nothing to poll (replies arrive as webmentions), none counted
            continue
        key, skipped = target_key(target.name), 0
        for post, record in copies:
            known = polls.setdefault(post.url, {}).get(target.name)
            if not options.force and not _due(config, post, known, now):
                report.not_due += 1
            elif limits.get(key, now):
                skipped += 1  # not polled: still due on the first run after the limit
            else:
                error = _poll(
                    config, platform, target, post, Copy(record.id, record.url, dict(record.extra)), polls, report, now
                )
                if error is not None and error.retry_after:
                    limits.hold(key, error.retry_after, options.now or dt.datetime.now(dt.UTC), error.message)
        if skipped and (limit := limits.get(key, now)):
            report.limited.append(Skipped(key, limit, skipped, "copy", earlier=limit.asked < now))
        write_json(config.data_dir / STATE_FILE, {"copies": polls})
    if options.pull and config.webmention.pull_url:
        from generator.webmention.pull import pull_mentions

        try:
            report.pulled = pull_mentions(config, client, page_files(config, site))
        except HomepostError as exc:
            report.failures.append(("webmention", redact(config.webmention.pull_url), exc.problems[0].message))
    if options.avatars:
        photos = [r.author.photo for p in site.posts for r in stored_responses(config, p.url)]
        report.avatars = fetch_avatars(config.data_dir, client, photos)
    return report


def _due(config: Config, post: Post, known: dict[str, Any] | None, now: dt.datetime) -> bool:
    """Recent posts every run, older ones every few hours, none past max_age_days; never polled: now."""
    if known is None:
        return True
    age = now - (post.date or now)
    settings = config.backfeed
    if settings.max_age_days and age > dt.timedelta(days=settings.max_age_days):
        return False
    if age <= dt.timedelta(days=settings.recent_days):
        return True
    polled = parse_time(known.get("polled"))
    return polled is None or now - polled >= dt.timedelta(hours=settings.older_every_hours)


def _poll(
    config: Config,
    platform: Platform,
    target: TargetSettings,
    post: Post,
    copy: Copy,
    polls: dict[str, Any],
    report: BackfeedReport,
    now: dt.datetime,
) -> PlatformError | None:
    """Read what answers one copy and merge it; the error if the platform would not say."""
    known = polls[post.url].get(target.name) or {}
    try:
        harvest = platform.responses(copy, post.url, dict(known.get("state", {})))
    except PlatformError as exc:
        report.failures.append((target.name, post.url, exc.message))
        return exc
    report.polled += 1
    before = set(known.get("ids", []))
    found = {r.id: r for r in harvest.responses}
    gone = before - found.keys() if harvest.complete else set()
    changes = merge(config, post.url, found, gone)
    if changes:
        report.changes.setdefault(post.url, Counter()).update(changes)
    ids = sorted(found) if harvest.complete else sorted(before | found.keys())
    polls[post.url][target.name] = {"polled": now.isoformat(), "ids": ids, "state": harvest.state}
    return None


def merge(config: Config, post_url: str, found: dict[str, Response], gone: set[str]) -> Counter[str]:
    """Add and update `found`, remove `gone`, in the post's responses file; what changed, by kind."""
    path = responses_file(config, post_url)
    if path is None:
        return Counter()
    stored = {r.id: r for r in read_responses(path)}
    changes: Counter[str] = Counter()
    for key in gone & stored.keys():
        del stored[key]
        changes["removed"] += 1
    for key, response in found.items():
        if not (response.id and response.source and response.target):  # a file holding one could not be read back
            continue
        old = stored.get(key)
        if old is None:
            changes[f"new {response.type}"] += 1
        elif _meaningful(old) != _meaningful(response):
            changes["updated"] += 1
        else:
            continue
        stored[key] = response
    if changes:
        write_responses(path, stored.values())
    return changes


def _meaningful(response: Response) -> tuple:
    """What a reader would see change (not, say, a re-read timestamp)."""
    return (
        response.type,
        response.author,
        response.content_html,
        response.content_text,
        response.name,
        response.updated,
        response.in_reply_to,
        response.url,
        response.source,
    )
