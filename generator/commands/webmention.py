"""`homepost webmention send | list | pull` and `homepost receiver`: options in, one call, lines out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.commands.common import fail, plural, site_dir, site_option
from generator.config import load_config
from generator.errors import HomepostError
from generator.redaction import for_terminal, redact

if TYPE_CHECKING:
    from generator.webmention.pull import PullReport
    from generator.webmention.receiver import Receiver
    from generator.webmention.send import SendReport

# The network, receiver and parser modules are imported by the commands that use them, so that
# `homepost build` does not pay for them at start-up.


@click.group()
def webmention() -> None:
    """Send webmentions for what your posts link, and pull the ones they received."""


@webmention.command()
@site_option
@click.argument("posts", nargs=-1)
@click.option(
    "--dry-run", is_flag=True, help="Discover endpoints and print what would be sent; send and record nothing."
)
@click.option("--no-check-live", is_flag=True, help="Send even if a post does not answer at its public URL yet.")
@click.pass_context
def send(ctx: click.Context, site: Path | None, posts: tuple[str, ...], dry_run: bool, no_check_live: bool) -> None:
    """Tell every page your posts link (and stopped linking) about them; POSTS narrows it (files or URLs)."""
    from generator.webmention.send import SendOptions, send_for_site

    options = SendOptions(dry_run=dry_run, check_live=not no_check_live, only=posts)
    try:
        report = send_for_site(load_config(site_dir(ctx, site)), options)
    except HomepostError as exc:
        fail(exc, "Sending webmentions")
    _print_report(report, dry_run, ctx.obj.get("quiet", False))
    if report.count("failed") or report.count("gave-up") or report.limited:
        ctx.exit(1)


def _print_report(report: SendReport, dry_run: bool, quiet: bool) -> None:
    for source, why in report.not_live:
        click.echo(f"skipped {source}: not live ({for_terminal(why)}); run again once it is", err=True)
    for skipped in report.limited:
        click.echo(skipped.line(), err=True)
    for result in report.results:
        task, outcome = result.task, result.outcome
        deleted = " (deleted post)" if task.version == "deleted" else ""
        if outcome is None:
            where = redact(result.endpoint) if result.endpoint else "no endpoint: nothing to send"
            click.echo(f"would send {task.source}{deleted} -> {task.target} via {where}")
        elif outcome.status == "sent":
            if not quiet:
                click.echo(f"sent {task.source}{deleted} -> {task.target} ({outcome.code})")
        elif outcome.status == "no-endpoint":
            if not quiet:
                click.echo(f"no endpoint at {task.target} (from {task.source})")
        elif outcome.status == "failed":
            click.echo(
                f"failed {task.source} -> {task.target}: {for_terminal(outcome.error)}; "
                f"retrying after {outcome.next_try:%Y-%m-%d %H:%M} UTC (try {outcome.tries})",
                err=True,
            )
        else:  # rejected, gave-up
            click.echo(f"{outcome.status} {task.source} -> {task.target}: {for_terminal(outcome.error)}", err=True)
    for source, target, outcome in report.waiting:
        click.echo(
            f"waiting {source} -> {target}: {for_terminal(outcome.error)}; "
            f"next try after {outcome.next_try:%Y-%m-%d %H:%M} UTC",
            err=True,
        )
    if not quiet:
        verb = "Would send" if dry_run else "Sent"
        sent = sum(1 for r in report.results if r.endpoint and (dry_run or (r.outcome and r.outcome.status == "sent")))
        held = sum(skipped.count for skipped in report.limited)
        click.echo(
            f"{verb} {plural(sent, 'webmention')}; {plural(report.count('failed'), 'failure')} to retry, "
            f"{report.count('gave-up')} given up, {len(report.not_live)} posts not live yet"
            + (f", {held} held back by a rate limit." if held else ".")
        )


@webmention.command("list")
@site_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per target) for machines.")
@click.pass_context
def list_command(ctx: click.Context, site: Path | None, as_json: bool) -> None:
    """Per post, each page it links with that page's endpoint (discovered now) and whether it was sent."""
    from generator.webmention.send import list_for_site

    try:
        rows = list_for_site(load_config(site_dir(ctx, site)))
    except HomepostError as exc:
        fail(exc, "Listing webmention endpoints")
    if as_json:
        click.echo(json.dumps([vars(row) for row in rows], indent=2, ensure_ascii=False))
        return
    source = None
    for row in rows:
        if row.source != source:
            source = row.source
            click.echo(f"{row.source} ({row.post})")
        endpoint = for_terminal(row.endpoint or (f"unknown: {row.error}" if row.error else "no endpoint"))
        state = (
            "sent"
            if row.sent
            else (row.status or "not sent") + (" (older version)" if row.status and not row.sent else "")
        )
        click.echo(f"  {row.target}\n    endpoint: {endpoint}\n    {state}")
    if not rows:
        click.echo("No post links another site.")


@webmention.command()
@site_option
@click.pass_context
def pull(ctx: click.Context, site: Path | None) -> None:
    """Fetch new, changed and withdrawn mentions (from your receiver or webmention.io) into data/responses/."""
    from generator.webmention.pull import pull_mentions
    from generator.webmention.send import webmention_client

    try:
        config = load_config(site_dir(ctx, site))
        report = pull_mentions(config, webmention_client(config))
    except HomepostError as exc:
        fail(exc, "Pulling mentions")
    print_skipped(report)
    if not ctx.obj.get("quiet"):
        click.echo(
            f"Pulled from {report.source}: {report.added} new, {report.updated} changed, {report.removed} removed"
            f" ({report.ignored} ignored, {len(report.skipped)} skipped);"
            f" {plural(len(report.files), 'file')} written."
        )


def print_skipped(report: PullReport) -> None:
    """One line on stderr per pulled mention that was not filed, its remote strings made safe to print."""
    for source, target, why in report.skipped:
        click.echo(f"skipped {for_terminal(source)} -> {for_terminal(target)}: {why}", err=True)


@click.command()
@site_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("-p", "--port", default=8080, show_default=True, help="Port to listen on (0: any free port).")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The SQLite database (default: .homepost/receiver.sqlite3 under the site).",
)
@click.option(
    "--trusted-proxy",
    metavar="ADDRESS",
    help="Behind a reverse proxy at ADDRESS: take readers' addresses from its X-Forwarded-For.",
)
@click.pass_context
def receiver(
    ctx: click.Context, site: Path | None, host: str, port: int, db: Path | None, trusted_proxy: str | None
) -> None:
    """Receive webmentions and comments: serve /webmention, /comment and /api/mentions, verifying in the background."""
    from generator.webmention.receiver import run_receiver

    def ready(running: Receiver) -> None:
        click.echo(f"Receiving webmentions at {running.endpoint}, mentions at {running.api} (Ctrl+C to stop)")

    try:
        run_receiver(load_config(site_dir(ctx, site)), host, port, db, ready=ready, trusted_proxy=trusted_proxy)
    except HomepostError as exc:
        fail(exc, "receiver")
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}; try --port", err=True)
        sys.exit(1)
    click.echo("Stopped.")
