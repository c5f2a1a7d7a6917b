"""`homepost newsletter [send | preview | test | subscribers | import | export]`: the email newsletter.

They work where the receiver's database is (`--db`, default `.homepost/receiver.sqlite3` under the
site), also while the receiver runs. No subscriber's address is printed unless `--show-addresses`
(or `export`) asks for it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.commands.comments import db_option
from generator.commands.common import build_time, fail, site_dir, site_option
from generator.commands.subscribers import export_command, import_command, opened, subscribers
from generator.errors import HomepostError

if TYPE_CHECKING:
    from generator.newsletter.send import SendReport


@click.group()
def newsletter() -> None:
    """The email newsletter: send new posts to confirmed subscribers, manage them."""


@newsletter.command()
@site_option
@db_option
@click.argument("posts", nargs=-1)
@click.option(
    "--dry-run",
    "dry_run",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="FOLDER",
    help="Write each email to FOLDER as .eml instead of sending it; records nothing.",
)
@click.pass_context
def send(ctx: click.Context, site: Path | None, db: Path | None, posts: tuple[str, ...], dry_run: Path | None) -> None:
    """Email each new post (or digest) to every confirmed subscriber, exactly once; POSTS (paths or URLs) narrow it."""
    from generator.newsletter.actions import NotReady, send_issues

    with opened(ctx, site, db) as (config, store):
        try:
            report = send_issues(config, store, posts, dry_run, build_time())
        except NotReady as exc:
            fail(exc, "newsletter")
        except HomepostError as exc:
            fail(exc, "newsletter send")
    _print(report, dry_run)
    if report.stopped:
        sys.exit(1)


def _print(report: SendReport, dry_run: Path | None) -> None:
    if report.first_run:
        click.echo("First run: posts published from now on will be sent (set [newsletter] since to send older ones).")
    for subject in report.issues:
        click.echo(f"issue: {subject}")
    click.echo(f"Newsletter: {report.summary(dry_run)}.")
    if report.stopped:
        click.echo(f"error: stopped: {report.stopped}. Run `homepost newsletter send` again to resume.", err=True)


@newsletter.command()
@site_option
@click.argument("post")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write it (default: .homepost/newsletter-preview).",
)
@click.option("--no-open", is_flag=True, help="Write the files without opening the browser.")
@click.pass_context
def preview(ctx: click.Context, site: Path | None, post: str, out: Path | None, no_open: bool) -> None:
    """Write the email of one POST (content path or URL) as .eml and .html, and open the HTML in the browser."""
    from generator.newsletter.actions import preview_issue

    try:
        written = preview_issue(site_dir(ctx, site) or Path("."), post, out, build_time())
    except HomepostError as exc:
        fail(exc, "newsletter")
    click.echo(f"Wrote {written.eml} and {written.html}.")
    if not no_open:
        click.launch(str(written.html))


@newsletter.command("test")
@site_option
@click.argument("address")
@click.option("--post", default=None, help="The post to send (default: the newest).")
@click.pass_context
def test_command(ctx: click.Context, site: Path | None, address: str, post: str | None) -> None:
    """Send one post's email to ADDRESS (yourself) through the SMTP server, recording nothing."""
    from generator.newsletter.actions import NotReady, send_test

    try:
        sent = send_test(site_dir(ctx, site) or Path("."), address, post, build_time())
    except NotReady as exc:
        fail(exc, "newsletter")
    except HomepostError as exc:
        fail(exc, "newsletter test")
    click.echo(f"Sent “{sent.subject}” to the test address ({sent.reply}).")


newsletter.add_command(subscribers)
newsletter.add_command(import_command)
newsletter.add_command(export_command)
