"""`homepost init` and `homepost new`: a new site (built once), a new post, note or page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from generator.commands.build import report_build
from generator.commands.common import build_time, fail, quiet, site_dir, site_option
from generator.errors import HomepostError
from generator.scaffold import create_site, new_in_site


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", help="The site's title (default: from the folder name).")
@click.option("--url", default="https://example.com/", show_default=True, help="The site's public URL, with https://.")
@click.option(
    "--timezone", default="UTC", show_default=True, help="IANA time zone for dates without an offset (Asia/Shanghai)."
)
@click.pass_context
def init(ctx: click.Context, folder: Path, title: str | None, url: str, timezone: str) -> None:
    """Create a new site in FOLDER with a first post and build it."""
    now = build_time() or dt.datetime.now(dt.UTC)
    try:
        made = create_site(folder, title=title, url=url, timezone=timezone, now=now)
    except HomepostError as exc:
        fail(exc, "init")
    if not quiet(ctx):
        for path in made.written:
            click.echo(f"created {path}")
    if made.built is None:
        fail(HomepostError(made.problems), "The first build")
        return
    report_build(ctx, made.built)
    if not quiet(ctx):
        click.echo(f"Next: cd {folder} && homepost serve")


@click.command()
@site_option
@click.argument("kind", type=click.Choice(["post", "note", "page"]))
@click.argument("title", required=False, default="")
@click.option("--draft", is_flag=True, help="Mark it draft: true (left out of builds until removed).")
@click.pass_context
def new(ctx: click.Context, site: Path | None, kind: str, title: str, draft: bool) -> None:
    """Write a new post, note (a post without a title) or page with its front matter."""
    if kind == "note":
        kind, title = "post", ""
    elif not title:
        more = "; `homepost new note` makes a post without a title" if kind == "post" else ""
        raise click.UsageError(f'a {kind} needs a TITLE: homepost new {kind} "My title"{more}')
    try:
        path = new_in_site(site_dir(ctx, site), kind, title or None, draft=draft, now=build_time())
    except HomepostError as exc:
        fail(exc, "new")
    if not quiet(ctx):
        click.echo(f"created {path}")
