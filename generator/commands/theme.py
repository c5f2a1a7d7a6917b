"""`homepost theme`: find the theme in use and copy one of its templates into the site to edit."""

from __future__ import annotations

from pathlib import Path

import click

from generator.commands.common import fail, quiet, site_dir, site_option
from generator.config import load_config
from generator.errors import HomepostError
from generator.render import theme_dir
from generator.scaffold import copy_template


@click.group()
def theme() -> None:
    """The theme in use: where it is, and copying its templates into the site to override them."""


@theme.command()
@site_option
@click.pass_context
def path(ctx: click.Context, site: Path | None) -> None:
    """Print the folder of the theme in use (its templates/, static/ and strings.toml)."""
    try:
        click.echo(theme_dir(load_config(site_dir(ctx, site))))
    except HomepostError as exc:
        fail(exc, "theme path")


@theme.command()
@site_option
@click.argument("template")
@click.pass_context
def copy(ctx: click.Context, site: Path | None, template: str) -> None:
    """Copy TEMPLATE (post.html, partials/footer.html) from the theme into the site's templates/ to edit."""
    try:
        target = copy_template(site_dir(ctx, site), template)
    except HomepostError as exc:
        fail(exc, "theme copy")
    if not quiet(ctx):
        click.echo(f"created {target}: edit it; it replaces the theme's {template.removeprefix('templates/')}")
