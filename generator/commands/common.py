"""What the command modules share: the --site option, error reporting, plural words."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from generator.errors import HomepostError
from generator.redaction import escape


def fail(exc: HomepostError, what: str) -> None:
    """Print every problem of `exc` and exit 1: "<what> failed with N errors."."""
    for problem in exc.problems:
        click.echo(f"error: {escape(str(problem))}", err=True)  # a problem may quote a remote string
    click.echo(f"{what} failed with {plural(len(exc.problems), 'error')}.", err=True)
    sys.exit(1)


def site_dir(ctx: click.Context, site: Path | None) -> Path:
    """The --site given to the command, else the one given to `homepost`."""
    return site or ctx.obj["site"]


site_option = click.option(
    "--site", "site", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="The site folder (holding site.toml); default: the current folder.",
)  # fmt: skip


def plural(count: int, word: str) -> str:
    """"3 posts", "1 post"."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def build_time() -> dt.datetime | None:
    """The build's notion of now: SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    except ValueError:
        raise click.BadParameter(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {epoch!r}") from None
