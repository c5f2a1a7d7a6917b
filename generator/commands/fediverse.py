"""`homepost fediverse`: the site as a fediverse actor; for now its key pair (`init`, `init --rotate`)."""

from __future__ import annotations

from pathlib import Path

import click

from generator.commands.common import fail, quiet, site_dir, site_option
from generator.errors import HomepostError
from generator.fediverse.keys import KEY_ENV, init_key


@click.group()
def fediverse() -> None:
    """The site as a fediverse account (@you@yourdomain): its key pair, delivery to followers."""


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


@fediverse.command()
@site_option
@click.option("--dry-run", is_flag=True, help="Plan and sign as a real run would; send nothing, record nothing.")
@click.pass_context
def deliver(ctx: click.Context, site: Path | None, dry_run: bool) -> None:
    """Send Create, Update and Delete activities for new, edited and removed posts to every follower, once each."""
    from generator.config import load_config
    from generator.fediverse.delivery import DeliverOptions, deliver_for_site
    from generator.redaction import escape

    try:
        config = load_config(site_dir(ctx, site))
        report = deliver_for_site(config, DeliverOptions(dry_run=dry_run))
    except HomepostError as exc:
        fail(exc, "fediverse deliver")
    for planned in report.planned:
        if not quiet(ctx):
            click.echo(f"{planned.kind} {planned.object_id} -> {planned.inboxes} inbox(es)")
    for problem in report.problems:
        click.echo(f"failed: {escape(str(problem))}", err=True)
    prefix = "dry run: " if report.dry_run else ""
    if not quiet(ctx) or report.failed:
        count = len(report.planned)
        click.echo(f"{prefix}fediverse: {count} {'activity' if count == 1 else 'activities'} planned; {report.line()}")
    if report.failed:
        ctx.exit(1)
