"""`homepost import`: a Hugo, Jekyll or Pelican site, or a WordPress export, into a Homepost site."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from generator.commands.common import build_time, fail, plural, quiet
from generator.errors import HomepostError

if TYPE_CHECKING:
    from generator.importers import ImportResult


# The sources `homepost import` reads (generator.importers.READERS, which a test holds this to), named here so
# that the command line does not load the importers until one is asked for.
SOURCES = ("hugo", "jekyll", "pelican", "wordpress")


@click.command("import")
@click.argument("kind", type=click.Choice(SOURCES))
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=(
        "The Homepost site to add to (made when it has no site.toml); "
        "default: --site if given, else SOURCE-homepost beside SOURCE."
    ),
)
@click.option(
    "--uploads",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="WordPress: a copy of wp-content/uploads; images found there are copied, the rest stay remote.",
)
@click.pass_context
def import_(ctx: click.Context, kind: str, source: Path, into: Path | None, uploads: Path | None) -> None:
    """Import a Hugo, Jekyll or Pelican site folder, or a WordPress export (WXR), keeping every old URL."""
    from generator.importers import import_site

    target = into or _given_site(ctx) or source.resolve().parent / f"{source.resolve().stem}-homepost"
    loud = not quiet(ctx)

    def progress(done: int, total: int) -> None:
        if loud:
            click.echo(f"imported {done} of {total}", err=True)

    try:
        result = import_site(
            kind, source, target, now=build_time() or dt.datetime.now(dt.UTC), uploads=uploads, progress=progress
        )
    except HomepostError as exc:
        fail(exc, "The import")
        return
    if loud:
        report(result)


def _given_site(ctx: click.Context) -> Path | None:
    """The global --site (or HOMEPOST_SITE) when it was given, before or after the command; None when defaulted."""
    given = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    if any(c is not None and c.get_parameter_source("site") in given for c in (ctx, ctx.parent)):
        return (ctx.obj or {}).get("site")
    return None


def report(result: ImportResult) -> None:
    """The summary of an import: counts, files, what was not converted, where the report is."""
    counts = result.counts
    made = "new site" if result.created else "site"
    click.echo(
        f"Imported {plural(counts['posts'], 'post')} and {plural(counts['pages'], 'page')} into the {made} "
        f"{result.site}: {plural(counts['drafts'], 'draft')}, {plural(counts['comments'], 'comment')}, "
        f"{plural(counts['images'], 'image')}, {plural(counts['aliases'], 'alias').replace('aliass', 'aliases')}, "
        f"{counts['skipped']} skipped"
    )
    files = result.files
    click.echo(
        f"{plural(len(files.written), 'file')} written, {len(files.unchanged)} unchanged, "
        f"{len(files.kept)} existing kept as they were"
    )
    for note in result.notes:
        click.echo(f"not converted: {note}", err=True)
    click.echo(f"Report: {result.site / result.report}; old URLs: {result.site / result.urls}")
