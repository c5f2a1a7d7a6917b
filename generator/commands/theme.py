"""`homepost theme`: find the theme in use and copy one of its templates into the site to edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from generator.commands.common import fail, quiet, site_dir, site_option
from generator.config import load_config
from generator.errors import HomepostError, Problem
from generator.render import theme_dir


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
        config = load_config(site_dir(ctx, site))
        target = copy_template(theme_dir(config), config.root / "templates", template)
    except HomepostError as exc:
        fail(exc, "theme copy")
    if not quiet(ctx):
        click.echo(f"created {target}: edit it; it replaces the theme's {template.removeprefix('templates/')}")


def copy_template(theme: Path, templates: Path, name: str) -> Path:
    """Copy the theme's template `name` to `templates`; refuse an unknown name or an existing copy."""
    folder = theme / "templates"
    known = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    name = name.removeprefix("templates/")
    if name not in known:
        raise HomepostError(Problem(name, f"the theme has no such template; it has: {', '.join(known)}"))
    target = templates / name
    if target.exists():
        raise HomepostError(Problem(str(target), "already exists; nothing was changed (delete it to copy the theme's again)"))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / name, target)
    return target
