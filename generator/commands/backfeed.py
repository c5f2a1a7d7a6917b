"""`homepost backfeed`: options in, one call, a summary out, then the incremental build."""

from __future__ import annotations

from pathlib import Path

import click

from generator.commands.common import fail, site_dir, site_option
from generator.config import load_config
from generator.errors import HomepostError


@click.command()
@site_option
@click.argument("posts", nargs=-1)
@click.option("--only", multiple=True, metavar="NAME", help="Only this syndication target (repeatable).")
@click.option("--force", is_flag=True, help="Poll every copy now, whatever the schedule says.")
@click.option("--no-pull", is_flag=True, help="Do not pull webmentions and comments.")
@click.option("--no-build", is_flag=True, help="Do not rebuild the site afterwards.")
@click.pass_context
def backfeed(
    ctx: click.Context,
    site: Path | None,
    posts: tuple[str, ...],
    only: tuple[str, ...],
    force: bool,
    no_pull: bool,
    no_build: bool,
) -> None:
    """Bring home the replies, likes and reposts of every copy (and new webmentions), then rebuild what changed."""
    from generator.backfeed.poll import BackfeedOptions
    from generator.backfeed.poll import backfeed as run
    from generator.commands.webmention import print_skipped
    from generator.http import HttpClient
    from generator.pipeline.build import BuildOptions, build_site, read_site
    from generator.platforms import make_platform
    from generator.redaction import for_terminal

    quiet = ctx.obj.get("quiet", False)
    try:
        root = site_dir(ctx, site)
        config = load_config(root)
        options = BackfeedOptions(only=only, posts=posts, force=force, pull=not no_pull)
        report = run(config, read_site(config), HttpClient(config.network), make_platform, options)
        built = build_site(root, BuildOptions()) if report.changed and not no_build else None
    except HomepostError as exc:
        fail(exc, "Backfeed")
    for post, changes in sorted(report.changes.items()):
        if changes and not quiet:
            click.echo(f"{post}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(changes.items())))
    if report.pulled:
        print_skipped(report.pulled)
    for target, post, message in report.failures:
        click.echo(f"failed {target} ({for_terminal(post)}): {for_terminal(message)}", err=True)
    for skipped in report.limited:
        click.echo(skipped.line(), err=True)
    if not quiet:
        pulled = report.pulled
        mentions = (
            f"; webmentions: {pulled.added} new, {pulled.updated} changed, {pulled.removed} removed" if pulled else ""
        )
        click.echo(
            f"Polled {report.polled} copies ({report.not_due} not due){mentions}; {report.avatars} new pictures."
        )
        if built is not None:
            click.echo(f"Rebuilt: {built.written} files written, {built.removed} removed.")
    if report.failures or report.limited:
        ctx.exit(1)
