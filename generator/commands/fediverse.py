"""`homepost fediverse`: the site as a fediverse actor; for now its key pair (`init`, `init --rotate`)."""

from __future__ import annotations

from pathlib import Path

import click

from generator.commands.common import fail, quiet, site_dir, site_option
from generator.errors import HomepostError
from generator.fediverse.keys import KEY_ENV, init_key


@click.group()
def fediverse() -> None:
    """The site as a fediverse account (@you@yourdomain): its key pair, and soon followers and delivery."""


@fediverse.command()
@site_option
@click.option("--rotate", is_flag=True, help="Make a new key pair; the old private key is kept as private.pem.1.")
@click.pass_context
def init(ctx: click.Context, site: Path | None, rotate: bool) -> None:
    """Make the site's key pair (RSA-2048) once, or a new one with --rotate; prints its fingerprint, never the key."""
    try:
        result = init_key(site_dir(ctx, site), rotate=rotate)
    except HomepostError as exc:
        fail(exc, "fediverse init")
    if quiet(ctx):
        return
    if result.key.source == KEY_ENV:
        click.echo(f"using the key in {KEY_ENV} (fingerprint {result.key.fingerprint}); no key file is made")
    else:
        state = "made a new key" if result.created else "the key is already there"
        click.echo(f"{state}: {result.key.source} (fingerprint {result.key.fingerprint})")
    if result.needs_actor_update:
        click.echo(
            f"the old key is kept in {result.previous}; followers' servers learn the new key only from an "
            "Update of the actor: deliver one before signing with the new key"
        )
