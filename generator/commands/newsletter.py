"""`homepost newsletter [send | preview | test | subscribers | import | export]`: the email newsletter.

They work where the receiver's database is (`--db`, default `.homepost/receiver.sqlite3` under the
site), also while the receiver runs. No subscriber's address is printed unless `--show-addresses`
(or `export`) asks for it.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.commands.comments import db_option
from generator.commands.common import build_time, fail, site_dir, site_option
from generator.commands.subscribers import export_command, import_command, opened, subscribers
from generator.config import Config, load_config
from generator.errors import HomepostError, Problem

if TYPE_CHECKING:
    from generator.newsletter.compose import Issue
    from generator.newsletter.send import SendReport
    from generator.newsletter.smtp import SmtpConnection


@click.group()
def newsletter() -> None:
    """The email newsletter: send new posts to confirmed subscribers, manage them."""


@newsletter.command()
@site_option
@db_option
@click.argument("posts", nargs=-1)
@click.option("--dry-run", "dry_run", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="FOLDER",
              help="Write each email to FOLDER as .eml instead of sending it; records nothing.")  # fmt: skip
@click.pass_context
def send(ctx: click.Context, site: Path | None, db: Path | None, posts: tuple[str, ...], dry_run: Path | None) -> None:
    """Email each new post (or digest) to every confirmed subscriber, exactly once; POSTS (paths or URLs) narrow it."""
    from generator.pipeline.build import read_site
    from generator.newsletter.send import FolderTransport, send_newsletter

    with opened(ctx, site, db) as (config, store):
        _require_enabled(config)
        transport = FolderTransport(dry_run) if dry_run else _smtp(config)
        try:
            report = send_newsletter(config, store, read_site(config, build_time()), transport,
                                     posts=_post_keys(config, posts), record=dry_run is None)  # fmt: skip
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


def _require_enabled(config: Config) -> None:
    if not config.newsletter.enabled:
        fail(HomepostError(Problem("site.toml", "the newsletter is not enabled (set enabled = true)", key="newsletter.enabled")),
             "newsletter")  # fmt: skip
    if not config.newsletter.sender:
        fail(HomepostError(Problem("site.toml", "required: the address emails come from, such as \"Alice <alice@example.com>\"",
                                   key="newsletter.from")), "newsletter")  # fmt: skip
    if not config.newsletter.form_url(config.webmention.endpoint).endswith("/subscribe"):
        fail(HomepostError(Problem("site.toml", "the receiver's /subscribe URL is needed for the unsubscribe links: "
                                   "set it, or a [webmention] endpoint ending in /webmention", key="newsletter.endpoint")),
             "newsletter")  # fmt: skip


def _smtp(config: Config) -> SmtpConnection:
    """The SMTP connection of `[newsletter]`, with the password from the environment or credentials file."""
    from generator.credentials import credential
    from generator.newsletter.smtp import SmtpConnection

    return SmtpConnection(config.newsletter, credential(config.root, "newsletter", "password"))


def _post_keys(config: Config, posts: tuple[str, ...]) -> tuple[str, ...]:
    """Posts as given (content paths) and as URLs (absolute or site paths)."""
    keys = []
    for post in posts:
        keys.append(post.removeprefix("content/"))
        keys.append(post if post.startswith(("http://", "https://")) else config.abs_url(post))
    return tuple(keys)


@newsletter.command()
@site_option
@click.argument("post")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write it (default: .homepost/newsletter-preview).")  # fmt: skip
@click.option("--no-open", is_flag=True, help="Write the files without opening the browser.")
@click.pass_context
def preview(ctx: click.Context, site: Path | None, post: str, out: Path | None, no_open: bool) -> None:
    """Write the email of one POST (content path or URL) as .eml and .html, and open the HTML in the browser."""
    from generator.newsletter.compose import NewsletterLinks, issue_email

    config, issue = _one_issue(ctx, site, post)
    folder = out or config.private_dir / "newsletter-preview"
    message = issue_email(config, issue, "reader@example.com", 0, NewsletterLinks(config).unsubscribe("preview"),
                          dt.datetime.now(dt.UTC))  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    name = issue.posts[0].slug
    (folder / f"{name}.eml").write_bytes(message.as_bytes())
    html = message.get_body(("html",))
    (folder / f"{name}.html").write_text(str(html.get_content()) if html is not None else "", encoding="utf-8")
    click.echo(f"Wrote {folder / (name + '.eml')} and {folder / (name + '.html')}.")
    if not no_open:
        click.launch(str(folder / f"{name}.html"))


@newsletter.command("test")
@site_option
@click.argument("address")
@click.option("--post", default=None, help="The post to send (default: the newest).")
@click.pass_context
def test_command(ctx: click.Context, site: Path | None, address: str, post: str | None) -> None:
    """Send one post's email to ADDRESS (yourself) through the SMTP server, recording nothing."""
    from generator.newsletter.addresses import address_problem
    from generator.newsletter.compose import NewsletterLinks, issue_email, sender_address

    config, issue = _one_issue(ctx, site, post)
    _require_enabled(config)
    problem = address_problem(address.strip())
    if problem:
        fail(HomepostError(Problem("ADDRESS", problem)), "newsletter test")
    message = issue_email(config, issue, address.strip(), 0, NewsletterLinks(config).unsubscribe("test"),
                          dt.datetime.now(dt.UTC))  # fmt: skip
    del message["Subject"]
    message["Subject"] = f"[test] {issue.subject}"
    from generator.newsletter.smtp import SmtpError

    connection = _smtp(config)
    try:
        outcome = connection.transact(sender_address(config), address.strip(), message.as_bytes(), lambda: None)
    except SmtpError as exc:  # the server's words
        fail(HomepostError(Problem(f"{config.newsletter.host}:{config.newsletter.smtp_port}", str(exc))), "newsletter test")
    finally:
        connection.close()
    if outcome.verdict != "sent":
        fail(HomepostError(Problem(f"{config.newsletter.host}:{config.newsletter.smtp_port}", outcome.reply)), "newsletter test")
    click.echo(f"Sent “{issue.subject}” to the test address ({outcome.reply}).")


def _one_issue(ctx: click.Context, site: Path | None, post: str | None) -> tuple[Config, Issue]:
    """The site's configuration and the issue of one post (the newest when None); exit 1 with why not."""
    from generator.pipeline.build import read_site
    from generator.newsletter.send import new_issues

    try:
        config = load_config(site_dir(ctx, site) or Path("."))
        found = read_site(config, build_time())
    except HomepostError as exc:
        fail(exc, "newsletter")
    if not found.posts:
        fail(HomepostError(Problem("content", "no published post to show")), "newsletter")
    keys = _post_keys(config, (post,)) if post else (found.posts[0].source,)
    issues = new_issues(config, found, "", dt.datetime.now(dt.UTC), keys)
    if not issues:
        fail(HomepostError(Problem(post or "", "no published post at this path or URL")), "newsletter")
    return config, issues[0]


newsletter.add_command(subscribers)
newsletter.add_command(import_command)
newsletter.add_command(export_command)
