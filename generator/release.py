"""`homepost publish`: the whole publishing cycle, in the order that works, safe to run again.

    build -> deploy -> wait -> syndicate -> webmention -> fediverse -> newsletter -> backfeed -> rebuild -> redeploy

Build; deploy the output; wait until each new post answers 200 at its public URL (platforms and
webmention receivers fetch it); copy posts to their syndication targets; send webmentions; deliver
new, edited and removed posts to the site's fediverse followers (`[fediverse] enabled`); mail
new posts to the newsletter's subscribers (where the receiver's database is); bring
home what answered the copies and pull webmentions; rebuild what that changed (new responses,
links to the copies); deploy again if the rebuild changed files.

A failing step stops the steps that need it: a failed build stops everything, a failed deploy (or
a post that never goes live) stops syndication and webmentions, while a failed syndication stops
neither webmentions nor backfeed. Running `homepost publish` again resumes. Every step is
idempotent by its own record (the build cache, `.homepost/deploy.json`, the syndication outbox, the
webmention record), and `.homepost/publish.json` remembers which steps finished for the state the
last cycle left (its signature: the output, the configuration, the outbox and the webmention
record); while that state is unchanged they are not run again. A dry run walks the same path:
it builds (harmless), and deploys, syndicates and sends in their dry-run modes, polls nothing and
records nothing.

The core returns a PublishReport and hands each Step to a callback as it finishes, so the CLI can
print one line per step as the cycle goes.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from generator.backfeed.poll import BackfeedOptions, backfeed
from generator.config import CONFIG_NAME, Config, load_config
from generator.deploy.base import DeployOptions, DeployResult, locked
from generator.deploy.site import deploy_site, destination_key, is_deployed, output_dir, tree_signature
from generator.digest import digest
from generator.errors import HomepostError, Problem
from generator.http import HttpClient, not_live
from generator.model import Site
from generator.pipeline.build import BuildOptions, BuildResult, build_site, read_site
from generator.platforms import make_platform
from generator.ratelimit import RATE_LIMITS_FILE
from generator.redaction import redact
from generator.sitedata.outbox import OUTBOX_FILE, Outbox
from generator.sitedata.sent import DELETED, SENT_FILE, SentState
from generator.state import read_json, write_json
from generator.syndication.copies import SyndicateOptions, SyndicateReport, syndicate, wanted
from generator.webmention.send import SendOptions, SendReport, live_posts, send_for_site

log = logging.getLogger(__name__)

SENDING = ("syndicate", "webmention", "fediverse", "newsletter")  # the steps that need the new posts live
STEPS = ("build", "deploy", "wait", *SENDING, "backfeed", "rebuild", "redeploy")
STATE_FILE = "publish.json"  # under .homepost/
FORMAT = 1
RESUMABLE = ("wait", "syndicate", "webmention")  # not run again while the state they finished for is unchanged
SYNDICATE_UNFINISHED = ("failed", "unknown", "rejected", "held", "waiting", "not live")

StepState = Literal["done", "unchanged", "skipped", "failed"]


class PublishError(HomepostError):
    """The cycle cannot start (another one is running)."""


@dataclass(frozen=True)
class PublishOptions:
    """What `homepost publish` was asked to do."""

    dry_run: bool = False
    now: dt.datetime | None = None  # the builds' notion of now (which scheduled posts are out)
    wait: int | None = None  # seconds to wait for new posts to go live; None: [deploy] wait
    poll_interval: float = 5.0  # seconds between two looks at a post that is not live yet
    interactive: bool = False  # a person at a terminal (git may ask for a password)


@dataclass(frozen=True)
class WaitResult:
    """The new posts waited for, and those that never answered 200."""

    urls: tuple[str, ...]
    not_live: tuple[tuple[str, str], ...] = ()  # (URL, why)
    seconds: float = 0.0
    limit: int = 0
    dry_run: bool = False


@dataclass(frozen=True)
class BackfeedPlan:
    """A dry run's backfeed: what it would poll and pull."""

    copies: int
    pull: str  # the webmention API, redacted; "" if none


@dataclass(frozen=True)
class Step:
    """One step of the cycle: what it did (`result`: the step's own report), or why not."""

    name: str
    state: StepState  # done: did something; unchanged: nothing needed doing; skipped: not run; failed
    result: Any = (
        None  # BuildResult, DeployResult, WaitResult, SyndicateReport, SendReport, BackfeedReport or BackfeedPlan
    )
    reason: str = ""  # why it was skipped, did nothing or failed
    problems: tuple[Problem, ...] = ()  # a failure's details


@dataclass
class PublishReport:
    """Every step of one cycle, in order."""

    dry_run: bool = False
    steps: list[Step] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when a step failed: the cycle is not complete, `homepost publish` again resumes it."""
        return any(step.state == "failed" for step in self.steps)

    def step(self, name: str) -> Step | None:
        """The step called `name`, if the cycle got to it."""
        return next((step for step in self.steps if step.name == name), None)


def publish(
    root: Path, options: PublishOptions = PublishOptions(), on_step: Callable[[Step], None] | None = None
) -> PublishReport:
    """Run one publishing cycle for the site in `root`; `on_step` sees each step as it finishes."""
    cycle = _Cycle(root, options, on_step)
    with locked(
        root / ".homepost" / "publish.lock", "another `homepost publish` is running for this site", PublishError
    ):
        cycle.run()
    return cycle.report


class _Cycle:
    """One run of the cycle: the steps, their dependencies, the state file."""

    def __init__(self, root: Path, options: PublishOptions, on_step: Callable[[Step], None] | None) -> None:
        self.root, self.options, self.on_step = root, options, on_step
        self.report = PublishReport(options.dry_run)

    def add(self, step: Step) -> Step:
        log.debug("publish: %s %s", step.name, step.state)
        self.report.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)
        return step

    def skip(self, names: tuple[str, ...], reason: str) -> None:
        for name in names:
            self.add(Step(name, "skipped", reason=reason))

    def run(self) -> None:
        """The cycle, top to bottom: each step, or why it was skipped."""
        if self.add(self.build("build")).state == "failed":
            self.skip(STEPS[1:], "the build failed")
            return
        try:
            config = load_config(self.root)
            finished = self.finished_earlier(config)
        except HomepostError as exc:
            self.add(Step("deploy", "failed", reason="cannot read the site", problems=tuple(exc.problems)))
            self.skip(STEPS[2:], "the site cannot be read")
            return
        deployed, blocked = self.go_live(config, finished)
        for name, run in (
            ("syndicate", self.syndicate),
            ("webmention", self.webmention),
            ("fediverse", self.fediverse),
            ("newsletter", self.newsletter),
        ):
            if blocked:
                self.add(Step(name, "skipped", reason=blocked))
            elif name in finished:
                self.add(Step(name, "unchanged", reason="done earlier for this build; nothing new since"))
            else:
                self.add(run(config))
        self.add(self.backfeed(config))
        rebuilt = self.add(self.build("rebuild"))
        if deployed is not None:
            self.add(self.redeploy(config, deployed, rebuilt))
        if not self.options.dry_run:
            self.save(config)

    def finished_earlier(self, config: Config) -> set[str]:
        """The resumable steps the last cycle finished, if the site is still as that cycle left it."""
        before = _load_state(config)
        if before.get("signature") != cycle_signature(config):
            return set()
        return set(before.get("done", ())) & set(RESUMABLE)

    def go_live(self, config: Config, finished: set[str]) -> tuple[Step | None, str]:
        """Deploy and wait; the deploy step (None without [deploy]) and why sending must wait ("" if it need not)."""
        if not config.deploy.method:
            note = "no [deploy] in site.toml: deploy the output yourself; posts go out once they answer at their URLs"
            self.add(Step("deploy", "skipped", reason=note))
            return None, ""
        deployed = self.add(self.deploy("deploy", config))
        if deployed.state == "failed":
            self.add(Step("wait", "skipped", reason="the deploy failed"))
            return deployed, "the deploy failed"
        if "wait" in finished:
            self.add(Step("wait", "unchanged", reason="done earlier for this build"))
            return deployed, ""
        live = self.add(self.wait(config))
        return deployed, "" if live.state in ("done", "unchanged") else "new posts are not live yet"

    def redeploy(self, config: Config, deployed: Step, rebuilt: Step) -> Step:
        """Deploy again what the rebuild changed (the deploy record knows whether the host has it)."""
        if deployed.state == "failed":
            return Step("redeploy", "skipped", reason="the deploy failed")
        if rebuilt.state == "failed":
            return Step("redeploy", "skipped", reason="the rebuild failed")
        if self.options.dry_run and rebuilt.state == "unchanged":
            return Step("redeploy", "unchanged", reason="the rebuild changed nothing")
        return self.deploy("redeploy", config)

    # --- the steps ---------------------------------------------------------------------------

    def build(self, name: str) -> Step:
        try:
            result: BuildResult = build_site(self.root, BuildOptions(now=self.options.now))
        except HomepostError as exc:
            failed = "the build failed; the output was left as it was"
            return Step(name, "failed", reason=failed, problems=tuple(exc.problems))
        if result.written or result.removed:
            return Step(name, "done", result)
        return Step(name, "unchanged", result, "nothing changed since the last build")

    def deploy(self, name: str, config: Config) -> Step:
        try:
            if is_deployed(config):
                return Step(name, "unchanged", reason="the host already has this build")
            options = DeployOptions(dry_run=self.options.dry_run, interactive=self.options.interactive)
            result: DeployResult = deploy_site(config, options)
        except HomepostError as exc:
            return Step(name, "failed", problems=tuple(exc.problems))
        if result.unchanged:
            return Step(name, "unchanged", result, "the host already has every file")
        return Step(name, "done", result)

    def wait(self, config: Config) -> Step:
        limit = self.options.wait if self.options.wait is not None else config.deploy.wait
        try:
            site = read_site(config, self.options.now)
            urls = tuple(new_posts(config, site))
        except HomepostError as exc:
            return Step("wait", "failed", problems=tuple(exc.problems))
        if self.options.dry_run:
            return Step("wait", "done", WaitResult(urls, limit=limit, dry_run=True))
        if not urls:
            return Step("wait", "unchanged", WaitResult(urls, limit=limit), "no new posts to wait for")
        result = wait_until_live(HttpClient(config.network), urls, limit, self.options.poll_interval)
        if result.not_live:
            problems = tuple(Problem(url, why) for url, why in result.not_live)
            return Step("wait", "failed", result, f"not live after {limit} s", problems)
        return Step("wait", "done", result)

    def syndicate(self, config: Config) -> Step:
        if not config.syndication.targets:
            return Step("syndicate", "skipped", reason="no [syndication] targets")
        options = SyndicateOptions(dry_run=self.options.dry_run)
        try:
            site = read_site(config, self.options.now)
            report: SyndicateReport = syndicate(config, site, HttpClient(config.network), make_platform, options)
        except HomepostError as exc:
            return Step("syndicate", "failed", problems=tuple(exc.problems))
        unfinished = report.count(*SYNDICATE_UNFINISHED)
        if unfinished:
            needs = f"{unfinished} {'copy needs' if unfinished == 1 else 'copies need'} another run or you"
            return Step("syndicate", "failed", report, needs)
        if report.count("created", "found", "updated", "deleted", "would create", "would update", "would delete"):
            return Step("syndicate", "done", report)
        return Step("syndicate", "unchanged", report, "nothing new to copy")

    def webmention(self, config: Config) -> Step:
        dry = self.options.dry_run
        options = SendOptions(dry_run=dry, check_live=not dry)  # a dry run deployed nothing to check
        try:
            report: SendReport = send_for_site(config, options, self.options.now)
        except HomepostError as exc:
            return Step("webmention", "failed", problems=tuple(exc.problems))
        if report.count("failed") or report.count("gave-up") or report.not_live or report.waiting or report.limited:
            return Step("webmention", "failed", report, "some webmentions were not delivered")
        if report.results:
            return Step("webmention", "done", report)
        return Step("webmention", "unchanged", report, "nothing new to send")

    def fediverse(self, config: Config) -> Step:
        from generator.fediverse.delivery import publish_step  # only fediverse sites pay for it

        state, result, reason, problems = publish_step(config, self.options.dry_run)
        return Step("fediverse", cast(StepState, state), result, reason, problems)

    def newsletter(self, config: Config) -> Step:
        from generator.newsletter.publishing import publish_step  # only sites with a newsletter pay for it

        state, result, reason, problems = publish_step(config, self.options.now, self.options.dry_run)
        return Step("newsletter", cast(StepState, state), result, reason, problems)

    def backfeed(self, config: Config) -> Step:
        pull = redact(config.webmention.pull_url) if config.webmention.pull_url else ""
        if not config.syndication.targets and not pull:
            nothing = "nothing to poll: no [syndication] targets, no [webmention] endpoint"
            return Step("backfeed", "skipped", reason=nothing)
        try:
            site = read_site(config, self.options.now)
            if self.options.dry_run:
                return Step("backfeed", "done", BackfeedPlan(copies(config, site), pull), "a dry run polls nothing")
            report = backfeed(config, site, HttpClient(config.network), make_platform, BackfeedOptions())
        except HomepostError as exc:
            return Step("backfeed", "failed", problems=tuple(exc.problems))
        if report.failures or report.limited:
            problems = tuple(Problem(target, f"{post}: {message}") for target, post, message in report.failures)
            problems += tuple(Problem(f".homepost/{RATE_LIMITS_FILE}", skipped.line()) for skipped in report.limited)
            return Step("backfeed", "failed", report, "some copies could not be read", problems)
        return Step("backfeed", "done" if report.changed else "unchanged", report)

    # --- the state file ----------------------------------------------------------------------

    def save(self, config: Config) -> None:
        """Remember which steps finished for the state the cycle leaves."""
        try:
            signature = cycle_signature(config)
        except HomepostError:
            return
        steps = self.report.steps
        state = {
            "format": FORMAT,
            "signature": signature,
            "done": [s.name for s in steps if s.state in ("done", "unchanged")],
            "failed": [s.name for s in steps if s.state == "failed"],
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        write_json(config.private_dir / STATE_FILE, state)


def _load_state(config: Config) -> dict[str, Any]:
    """The last cycle's record; an unreadable one is ignored (every step is idempotent anyway)."""
    try:
        state = read_json(config.private_dir / STATE_FILE, {}, label=f".homepost/{STATE_FILE}")
    except HomepostError:
        return {}
    return state if state.get("format") == FORMAT else {}


def cycle_signature(config: Config) -> str:
    """A digest of what the cycle's steps act on: the output, the configuration, the outbox and the webmention record.

    The output counts by its files' paths, sizes and mtimes: cheap, and the build rewrites only files that changed.
    """
    output = output_dir(config)
    parts = [tree_signature(output) if output.is_dir() else "", destination_key(config) if config.deploy.method else ""]
    parts.append(digest((config.root / CONFIG_NAME).read_bytes()))
    for rel in (OUTBOX_FILE, SENT_FILE):
        path = config.data_dir / rel
        parts.append(digest(path.read_bytes()) if path.is_file() else "")
    return digest(*parts)


def new_posts(config: Config, site: Site, now: dt.datetime | None = None) -> list[str]:
    """The URLs the next steps need live: posts still to be copied somewhere, posts and pages with mentions to send."""
    now = now or dt.datetime.now(dt.UTC)
    outbox = Outbox.load(config.data_dir)
    urls = []
    for post in site.posts:
        if post.draft or post.scheduled:
            continue
        for name in wanted(config, post):
            record = outbox.get(post.url, name)
            if config.syndication.target(name) and (record is None or record.state in ("pending", "failed", "deleted")):
                urls.append(post.url)
    planned = SentState.load(config.data_dir).plan(live_posts(config, site.posts + site.pages), now)  # not saved
    urls += [task.source for task in planned if task.version != DELETED]
    return list(dict.fromkeys(urls))


def wait_until_live(client: HttpClient, urls: tuple[str, ...], limit: float, interval: float) -> WaitResult:
    """Ask each URL until it answers 200, all of them for at most `limit` seconds."""
    started = time.monotonic()
    waiting: dict[str, str] = dict.fromkeys(urls, "")
    while True:
        for url in list(waiting):
            why = not_live(client, url)
            if why is None:
                del waiting[url]
            else:
                waiting[url] = why
        left = limit - (time.monotonic() - started)
        if not waiting or left <= 0:
            break
        log.info("waiting for %d posts to answer 200", len(waiting))
        time.sleep(min(interval, left))
    return WaitResult(urls, tuple(waiting.items()), time.monotonic() - started, int(limit))


def copies(config: Config, site: Site) -> int:
    """How many copies of published posts the outbox knows: what backfeed polls (when due)."""
    outbox = Outbox.load(config.data_dir)
    published = {post.url for post in site.posts}
    return sum(
        1 for url, records in outbox.records.items() if url in published for r in records.values() if r.state == "done"
    )
