"""`homepost deploy` and `homepost publish`: options in, one call, a line per step out, a meaningful exit code."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from generator.commands.common import build_time, fail, plural, site_dir, site_option
from generator.errors import HomepostError
from generator.redaction import for_terminal

if TYPE_CHECKING:
    from generator.backfeed.poll import BackfeedReport
    from generator.deploy.base import DeployResult
    from generator.pipeline.build import BuildResult
    from generator.release import BackfeedPlan, Step, WaitResult
    from generator.syndication.copies import SyndicateReport
    from generator.webmention.send import SendReport

# The deploy, publish and network modules are imported by the commands, not at start-up.

DETAILS = 20  # a dry run's files listed under the deploy line of `homepost publish`
RESUME = "fix what it says, then run `homepost publish` again: it resumes and repeats nothing that succeeded."


@click.command()
@site_option
@click.option("--no-build", is_flag=True, help="Deploy the output as the last successful build left it.")
@click.option("--dry-run", is_flag=True, help="Print what would be sent, committed or run; change nothing on the host.")
@click.pass_context
def deploy(ctx: click.Context, site: Path | None, no_build: bool, dry_run: bool) -> None:
    """Build, then put the output on the host as [deploy] says: rsync, git (GitHub or Codeberg Pages) or a command."""
    from generator.deploy.base import DeployOptions
    from generator.deploy.site import build_and_deploy

    quiet = ctx.obj.get("quiet", False)
    options = DeployOptions(dry_run=dry_run, interactive=sys.stdin.isatty())
    run = build_and_deploy(site_dir(ctx, site), options, build=not no_build, now=build_time())
    if run.failed == "build":
        for problem in run.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"Build failed with {plural(len(run.problems), 'error')}; nothing was deployed.", err=True)
        sys.exit(1)
    if run.built is not None and not quiet:
        built = run.built
        click.echo(f"build: {plural(built.written, 'file')} written, {built.removed} removed ({built.seconds:.2f} s)")
    if run.deployed is None:
        fail(HomepostError(list(run.problems)), "Deploy")
        return
    result = run.deployed
    if not quiet or dry_run:
        click.echo(f"deploy: {_deployed(result)} ({result.seconds:.2f} s)")
        for detail in result.details:
            click.echo(f"    {detail}")


@click.command()
@site_option
@click.option(
    "--dry-run", is_flag=True, help="Walk the whole cycle and print what would happen; upload, post and send nothing."
)
@click.option(
    "--wait",
    "wait",
    type=click.IntRange(min=0),
    metavar="SECONDS",
    help="How long to wait for new posts to answer at their URLs (default: [deploy] wait, 300).",
)
@click.pass_context
def publish(ctx: click.Context, site: Path | None, dry_run: bool, wait: int | None) -> None:
    """Build, deploy, wait for new posts to go live, syndicate, send webmentions, backfeed, rebuild and deploy again."""
    from generator.release import PublishOptions
    from generator.release import publish as run

    quiet = ctx.obj.get("quiet", False)
    options = PublishOptions(dry_run=dry_run, now=build_time(), wait=wait, interactive=sys.stdin.isatty())
    pending: list[Step] = []  # skipped steps with one reason, printed as one line

    def flush() -> None:
        if pending:
            click.echo(f"{', '.join(s.name for s in pending)}: skipped ({pending[0].reason})")
            pending.clear()

    def show(step: Step) -> None:
        if quiet:
            if step.state == "failed":
                _print_step(step)
            return
        if step.state == "skipped":
            if pending and pending[0].reason != step.reason:
                flush()
            pending.append(step)
            return
        flush()
        _print_step(step)

    try:
        report = run(site_dir(ctx, site), options, on_step=show)
    except HomepostError as exc:
        fail(exc, "Publishing")
    if not quiet:
        flush()
    stopped = next((s.name for s in report.steps if s.state == "failed"), None)
    if stopped:
        click.echo(f"Publishing did not finish ({stopped} failed): {RESUME}", err=True)
        ctx.exit(1)
    if not quiet:
        click.echo("Dry run: nothing was uploaded, posted or sent." if dry_run else "Published.")


def _print_step(step: Step) -> None:
    """One line for a step that ran; a failure's details below it (on stderr), or a dry run's plan."""
    if step.state == "failed":
        done = _describe(step) if step.result is not None else ""
        reason = f": {step.reason}" if step.reason else ""
        click.echo(f"{step.name}: failed{reason}" + (f"; {done}" if done else ""), err=True)
        for problem in step.problems:
            click.echo(f"    error: {for_terminal(str(problem))}", err=True)
        for line in _item_lines(step, failures=True):
            click.echo(f"    {for_terminal(line)}", err=True)
        return
    click.echo(f"{step.name}: {_describe(step)}")
    for line in _item_lines(step, failures=False):
        click.echo(f"    {for_terminal(line)}")


def _describe(step: Step) -> str:
    """What a step did, in a few words, from its result (or why it did nothing)."""
    if step.result is None:
        return step.reason
    return DESCRIBE[step.name](step, step.result)


def _built(step: Step, result: BuildResult) -> str:
    if step.state == "unchanged":
        return f"{step.reason} ({plural(result.files, 'file')})"
    posts = plural(result.posts, "post")
    return f"{plural(result.written, 'file')} written, {result.removed} removed ({posts}, {result.seconds:.2f} s)"


def _deploy_step(step: Step, result: DeployResult) -> str:
    return f"{_deployed(result)} ({result.seconds:.2f} s)"


def _deployed(result: DeployResult) -> str:
    """ "rsync to host:/srv/www: 3 files sent, 1 deleted", "would commit 5 changed files to repo (gh-pages)"..."""
    if result.method == "command":
        return f"would run {result.destination}" if result.dry_run else f"ran {result.destination}"
    if result.dry_run:
        if result.unchanged:
            return f"nothing to deploy: {result.destination} already has this build"
        verb = "send" if result.method == "rsync" else "commit"
        deleting = f" and delete {result.deleted}" if result.deleted else ""
        return f"would {verb} {plural(result.changed or 0, 'changed file')} to {result.destination}{deleting}"
    if result.method == "rsync":
        return (
            f"rsync to {result.destination}: {plural(result.changed or 0, 'file')} sent, {result.deleted or 0} deleted"
        )
    if result.unchanged:
        return f"git: {result.destination} already has this build; nothing committed"
    return f"git to {result.destination}: commit {result.commit[:12]}, {plural(result.changed or 0, 'file')} changed"


def _waited(step: Step, result: WaitResult) -> str:
    count = len(result.urls)
    if result.dry_run:
        return (
            f"would wait up to {result.limit} s for {plural(count, 'new post')} to answer 200" if count else step.reason
        )
    if not count:
        return step.reason
    if result.not_live:
        return f"{count - len(result.not_live)} of {plural(count, 'new post')} answered 200 within {result.limit} s"
    return f"{plural(count, 'new post')} {'answers' if count == 1 else 'answer'} 200 ({result.seconds:.1f} s)"


def _syndicated(step: Step, result: SyndicateReport) -> str:
    if step.state == "unchanged" and not result.outcomes:
        return step.reason
    if result.count("would create", "would update", "would delete"):
        create, update, delete = (result.count(f"would {verb}") for verb in ("create", "update", "delete"))
        return f"would create {create}, update {update}, delete {delete}"
    from generator.release import SYNDICATE_UNFINISHED

    made, unfinished = result.count("created", "found"), result.count(*SYNDICATE_UNFINISHED)
    line = f"{_copies(made)} made, {result.count('updated')} updated, {result.count('deleted')} deleted"
    return line + (f", {unfinished} to retry or settle" if unfinished else "")


def _sent(step: Step, result: SendReport) -> str:
    if step.state == "unchanged":
        return step.reason
    if any(r.outcome is None for r in result.results):
        return f"would send {plural(sum(1 for r in result.results if r.endpoint), 'webmention')}"
    counts = (
        (result.count("no-endpoint"), "without endpoint"),
        (result.count("rejected"), "rejected"),
        (result.count("failed") + len(result.waiting), "to retry"),
        (result.count("gave-up"), "given up"),
        (len(result.not_live), "posts not live"),
    )
    return ", ".join([f"{result.count('sent')} sent"] + [f"{n} {what}" for n, what in counts if n])


def _backfed(step: Step, result: BackfeedReport | BackfeedPlan) -> str:
    from generator.release import BackfeedPlan

    if isinstance(result, BackfeedPlan):
        pull = f" and pull webmentions from {result.pull}" if result.pull else ""
        return f"would poll up to {_copies(result.copies)}{pull} (a dry run polls nothing)"
    changes: Counter[str] = Counter()
    for counts in result.changes.values():
        changes.update(counts)
    found = ", ".join(f"{n} {kind}" for kind, n in sorted(changes.items()) if n) or "nothing new"
    pulled = result.pulled
    mentions = (
        f"; webmentions: {pulled.added} new, {pulled.updated} changed, {pulled.removed} removed" if pulled else ""
    )
    pictures = f"; {plural(result.avatars, 'new picture')}" if result.avatars else ""
    return f"polled {_copies(result.polled)} ({result.not_due} not due): {found}{mentions}{pictures}"


def _copies(count: int) -> str:
    return f"{count} {'copy' if count == 1 else 'copies'}"


DESCRIBE: dict[str, Callable[[Step, Any], str]] = {
    "build": _built,
    "deploy": _deploy_step,
    "wait": _waited,
    "syndicate": _syndicated,
    "webmention": _sent,
    "fediverse": lambda step, result: result.line() if step.state != "unchanged" else step.reason,
    "backfeed": _backfed,
    "rebuild": _built,
    "redeploy": _deploy_step,
}


def _item_lines(step: Step, failures: bool) -> list[str]:
    """The items behind a step's line: what failed, or what a dry run would do."""
    result = step.result
    if result is None:
        return []
    if step.name == "syndicate":
        from generator.release import SYNDICATE_UNFINISHED

        wanted = (
            (lambda action: action in SYNDICATE_UNFINISHED)
            if failures
            else (lambda action: action.startswith("would "))
        )
        return [
            f"{o.action} {o.post} -> {o.target}" + (f": {o.message}" if o.message else "")
            for o in result.outcomes
            if wanted(o.action)
        ]
    if step.name == "webmention" and failures:
        return (
            [f"not live {source}: {why}" for source, why in result.not_live]
            + [
                f"{r.outcome.status} {r.task.source} -> {r.task.target}: {r.outcome.error}"
                for r in result.results
                if r.outcome is not None and r.outcome.status in ("failed", "gave-up")
            ]
            + [f"waiting {source} -> {target}: {o.error}" for source, target, o in result.waiting]
            + [skipped.line() for skipped in result.limited]
        )
    if step.name == "webmention":
        return [
            f"would send {r.task.source} -> {r.task.target}" for r in result.results if r.outcome is None and r.endpoint
        ]
    if step.name == "backfeed" and not failures and getattr(result, "pulled", None):
        return [f"skipped {source} -> {target}: {why}" for source, target, why in result.pulled.skipped]
    if step.name == "wait" and result.dry_run and not failures:
        return list(result.urls)
    if step.name in ("deploy", "redeploy") and not failures:
        more = len(result.details) - DETAILS
        return list(result.details[:DETAILS]) + (
            [f"... and {more} more (`homepost deploy --dry-run` lists them all)"] if more > 0 else []
        )
    return []
