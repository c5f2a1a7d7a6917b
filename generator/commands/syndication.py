"""`homepost syndicate` and `homepost auth`: options in, one call, lines out."""

from __future__ import annotations

import sys
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.commands.common import fail, site_dir, site_option
from generator.config import load_config
from generator.errors import ConfigError, HomepostError, Problem

if TYPE_CHECKING:
    from generator.syndication.copies import SyndicateReport

# The platform modules and the network stack are imported by the commands, not at start-up.

QUIET_ACTIONS = ("created", "found", "updated", "deleted")


@click.command()
@site_option
@click.argument("posts", nargs=-1)
@click.option(
    "--dry-run", is_flag=True, help="Print exactly what would be posted to each target; post and record nothing."
)
@click.option("--only", multiple=True, metavar="NAME", help="Only this target (repeatable).")
@click.option("--no-check-live", is_flag=True, help="Post even if a post does not answer 200 at its public URL yet.")
@click.option("--delete-removed", is_flag=True, help="Delete the copies of posts that no longer exist.")
@click.option("--retry", is_flag=True, help="Try copies the platform rejected again, even if the post did not change.")
@click.option(
    "--all", "backlog", is_flag=True, help="On a target's first run, copy every older post too (default: the newest 3)."
)
@click.option(
    "--resolve", is_flag=True, help="Settle held copies (with POSTS and --only): --posted URL or --not-posted."
)
@click.option("--posted", metavar="URL", help="With --resolve: the copy exists at URL.")
@click.option("--not-posted", is_flag=True, help="With --resolve: no copy exists; post it on the next run.")
@click.pass_context
def syndicate(
    ctx: click.Context,
    site: Path | None,
    posts: tuple[str, ...],
    dry_run: bool,
    only: tuple[str, ...],
    no_check_live: bool,
    delete_removed: bool,
    retry: bool,
    backlog: bool,
    resolve: bool,
    posted: str | None,
    not_posted: bool,
) -> None:
    """Copy each post to its syndication targets exactly once; update and delete copies; POSTS narrows it."""
    from generator.http import HttpClient
    from generator.pipeline.build import read_site
    from generator.platforms import make_platform
    from generator.syndication.copies import SyndicateOptions
    from generator.syndication.copies import syndicate as run

    try:
        config = load_config(site_dir(ctx, site))
        for name in only:
            if config.syndication.target(name) is None:
                raise ConfigError(Problem("site.toml", f"no target named {name!r}", key=f"syndication.{name}"))
        if resolve:
            _resolve(config, posts, only, posted, not_posted)
            return
        options = SyndicateOptions(
            dry_run=dry_run,
            only=only,
            posts=posts,
            check_live=not no_check_live,
            delete_removed=delete_removed,
            retry=retry,
            backlog=backlog,
        )
        report = run(config, read_site(config), HttpClient(config.network), make_platform, options)
    except HomepostError as exc:
        fail(exc, "Syndication")
    _print(report, ctx.obj.get("quiet", False))
    if report.failed:
        ctx.exit(1)


def _resolve(config, posts: tuple[str, ...], only: tuple[str, ...], posted: str | None, not_posted: bool) -> None:
    from generator.syndication.copies import resolve

    if len(posts) != 1 or len(only) != 1 or bool(posted) == not_posted:
        raise click.UsageError("--resolve needs one POST (its URL), one --only NAME, and --posted URL or --not-posted")
    post = posts[0] if posts[0].startswith(("http://", "https://")) else config.abs_url(posts[0])
    record = resolve(config, only[0], post, posted)
    click.echo(
        f"{post} on {only[0]}: "
        + (f"recorded as posted at {record.url}" if posted else "will be posted on the next run")
    )


def _print(report: SyndicateReport, quiet: bool) -> None:
    from generator.syndication.target_run import RATE_LIMITED

    for skipped in report.limited:
        click.echo(skipped.line(), err=True)
    for o in report.outcomes:
        if o.action == "waiting" and o.message.startswith(RATE_LIMITED):
            continue  # said once per target above
        line = (
            f"{o.action} {o.post} -> {o.target}"
            + (f": {o.url}" if o.url else "")
            + (f" ({o.message})" if o.message else "")
        )
        if o.action in QUIET_ACTIONS:
            if not quiet:
                click.echo(line)
        elif o.action in ("would create", "would update", "would delete"):
            click.echo(line)
            if o.preview:
                click.echo("    " + o.preview.replace("\n", "\n    "))
        else:
            click.echo(line, err=True)
    if not quiet:
        made, waiting = report.count("created", "found"), sum(skipped.count for skipped in report.limited)
        click.echo(
            f"{made} {'copy' if made == 1 else 'copies'} made, {report.count('updated')} updated, "
            f"{report.count('deleted')} deleted; {report.count('failed', 'unknown')} to retry, "
            f"{report.count('rejected', 'held')} need you{_not_live(report)}"
            + (f", {waiting} wait for a rate limit." if waiting else ".")
        )


def _not_live(report: SyndicateReport) -> str:
    """What waits for posts to go live, for the summary line ("" when nothing does)."""
    waiting = report.count("not live")
    if not waiting:
        return ""
    copies = "copy waits" if waiting == 1 else "copies wait"
    return f"; {waiting} {copies} until the post is live (deploy, or --no-check-live)"


class _TerminalIO:
    """`homepost auth` at a terminal."""

    def say(self, message: str) -> None:
        click.echo(message)

    def ask(self, prompt: str, secret: bool = False) -> str:
        return click.prompt(prompt, hide_input=secret, default="", show_default=False)

    def open(self, url: str) -> bool:
        if not sys.stdin.isatty():
            return False
        try:
            return webbrowser.open(url)
        except webbrowser.Error:
            return False


@click.command()
@site_option
@click.argument("name")
@click.pass_context
def auth(ctx: click.Context, site: Path | None, name: str) -> None:
    """Authorize Homepost to post to the syndication target NAME; credentials go to .homepost/credentials.toml."""
    from generator.credentials import TargetCredentials
    from generator.http import HttpClient
    from generator.platforms import authorize
    from generator.platforms.base import PlatformError

    try:
        config = load_config(site_dir(ctx, site))
        target = config.syndication.target(name)
        if target is None:
            names = (
                ", ".join(t.name for t in config.syndication.targets)
                or "none yet: add [syndication.<name>] to site.toml"
            )
            raise ConfigError(Problem("site.toml", f"no syndication target named {name!r}; targets: {names}"))
        summary = authorize(target, HttpClient(config.network), TargetCredentials(config.root, name), _TerminalIO())
    except HomepostError as exc:
        fail(exc, "auth")
    except PlatformError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(summary)
