"""`homepost fediverse`: the site as a fediverse actor: its key pair (`init`, `init --rotate`) and its `followers`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from generator.commands.common import fail, quiet, receiver_db, site_dir, site_option
from generator.errors import HomepostError
from generator.redaction import escape

if TYPE_CHECKING:
    from generator.fediverse.followers import Action


@click.group()
def fediverse() -> None:
    """The site as a fediverse account (@you@yourdomain): its key pair, its followers, delivery to them."""


@fediverse.command()
@site_option
@click.option("--rotate", is_flag=True, help="Make a new key pair; the old private key is kept as private.pem.1.")
@click.pass_context
def init(ctx: click.Context, site: Path | None, rotate: bool) -> None:
    """Make the site's key pair (RSA-2048) once, or a new one with --rotate; prints its fingerprint, never the key."""
    from generator.fediverse.keys import KEY_ENV, init_key  # here: cryptography loads only for this command

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
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The receiver's SQLite database (default: .homepost/receiver.sqlite3 under the site).",
)
@click.argument("action", type=click.Choice(["list", "count", "approve", "reject", "remove", "block"]), default="list")
@click.argument("actor", required=False)
@click.pass_context
def followers(ctx: click.Context, site: Path | None, db: Path | None, action: str, actor: str | None) -> None:
    """Who follows the site: list (default), count, or approve, reject, remove or block ACTOR (its URL)."""
    from generator.config import load_config
    from generator.fediverse.followers import change_follower, count_followers, list_followers

    root = site_dir(ctx, site)
    try:
        path = receiver_db(db, root)
        if action == "list":
            for follower in list_followers(path):
                state = "" if follower.state == "accepted" else "  (awaiting approval)"
                click.echo(f"{escape(follower.actor)}  since {follower.followed_at:%Y-%m-%d}{state}")
            return
        if action == "count":
            click.echo(str(count_followers(path)))
            return
        if not actor:
            raise click.UsageError(f"`followers {action}` needs the follower's actor URL")
        change = change_follower(load_config(root), path, cast("Action", action), actor)
    except HomepostError as exc:
        fail(exc, f"fediverse followers {action}")
    if quiet(ctx):
        return
    done = {"approve": "approved", "reject": "rejected", "remove": "removed", "block": "blocked"}[action]
    if not change.changed:
        click.echo(f"{escape(change.actor)} was not awaiting approval: nothing to do")
        return
    answer = "Accept" if action == "approve" else "Reject"
    sent = (
        f"; {answer} delivered"
        if change.sent
        else f"; {answer} queued (the receiver sends it)"
        if change.queued
        else ""
    )
    click.echo(f"{escape(change.actor)} {done}{sent}")
    if action == "block":
        click.echo("its activities are refused from now on")


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
