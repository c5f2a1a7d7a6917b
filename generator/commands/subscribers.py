"""`homepost newsletter subscribers [add | remove]`, `import FILE.csv` and `export`: managing the newsletter's readers.

Counts and lists show addresses redacted (`a…@example.com`) unless `--show-addresses` is given;
`export` writes them in full, to a file or standard output, because that is what it is for.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.commands.comments import db_option
from generator.commands.common import fail, plural, receiver_db, site_dir, site_option
from generator.config import Config, load_config
from generator.errors import HomepostError, Problem

if TYPE_CHECKING:
    from generator.newsletter.store import NewsletterStore


@contextmanager
def opened(ctx: click.Context, site: Path | None, db: Path | None) -> Iterator[tuple[Config, NewsletterStore]]:
    """The site's configuration and the newsletter tables of the receiver's database (exit 1 with why not)."""
    from generator.newsletter.store import NewsletterStore
    from generator.webmention.receiver.store import Store, default_db_path

    try:
        root = site_dir(ctx, site)
        config = load_config(root)
        store = Store(receiver_db(db or default_db_path(config), root))
    except HomepostError as exc:
        fail(exc, "newsletter")
        raise  # not reached: fail exits
    newsletter = NewsletterStore(store)
    newsletter.make_private()
    try:
        yield config, newsletter
    finally:
        store.close()


@click.group(invoke_without_command=True)
@site_option
@db_option
@click.option("--list", "show_list", is_flag=True, help="List the subscribers (addresses redacted), one a line.")
@click.option("--show-addresses", is_flag=True, help="With --list: show the addresses in full.")
@click.pass_context
def subscribers(ctx: click.Context, site: Path | None, db: Path | None, show_list: bool, show_addresses: bool) -> None:
    """Count the subscribers by state; --list lists them."""
    from generator.newsletter.addresses import redact_address

    if ctx.invoked_subcommand is not None:
        return
    with opened(ctx, site, db) as (_, store):
        counts = store.counts()
        click.echo(", ".join(f"{n} {state}" for state, n in counts.items()) + ".")
        if show_list or show_addresses:
            for one in store.subscribers():
                shown = one.address if show_addresses else redact_address(one.address)
                click.echo(f"{one.id}  {one.state:<12}  {one.origin:<6}  {one.created[:10]}  {shown}")


@subscribers.command()
@site_option
@db_option
@click.argument("address")
@click.option("--pending", is_flag=True, help="Add it unconfirmed (it receives nothing until confirmed).")
@click.pass_context
def add(ctx: click.Context, site: Path | None, db: Path | None, address: str, pending: bool) -> None:
    """Add ADDRESS as a confirmed subscriber (only with its owner's consent)."""
    from generator.newsletter.addresses import address_problem

    problem = address_problem(address.strip())
    if problem:
        fail(HomepostError(Problem("ADDRESS", problem)), "newsletter subscribers add")
    with opened(ctx, site, _group_db(ctx, db)) as (_, store):
        added = store.subscribe(address.strip(), origin="cli", confirmed=not pending)
    click.echo(
        ("Added the address as " + ("pending." if pending else "confirmed.")) if added else "Already subscribed."
    )


@subscribers.command()
@site_option
@db_option
@click.argument("address")
@click.pass_context
def remove(ctx: click.Context, site: Path | None, db: Path | None, address: str) -> None:
    """Unsubscribe ADDRESS."""
    with opened(ctx, site, _group_db(ctx, db)) as (_, store):
        removed = store.remove(address)
    click.echo("Unsubscribed the address." if removed else "No subscribed address like that.")


def _group_db(ctx: click.Context, db: Path | None) -> Path | None:
    parent = ctx.parent.params if ctx.parent is not None else {}
    return db or parent.get("db")


@click.command("import")
@site_option
@db_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def import_command(ctx: click.Context, site: Path | None, db: Path | None, file: Path) -> None:
    """Import subscribers from a CSV export of Mailchimp, Substack, Buttondown or Ghost."""
    from generator.newsletter.csvfiles import import_subscribers

    with opened(ctx, site, db) as (_, store):
        try:
            report = import_subscribers(store, file)
        except HomepostError as exc:
            fail(exc, "newsletter import")
    added = report.added
    click.echo(
        f"Read {file.name} as {report.service}: {added['confirmed']} confirmed, {added['pending']} pending "
        f"(they receive nothing until they subscribe themselves), {added['unsubscribed']} who left; "
        f"{report.unchanged} already known."
    )
    if report.skipped:
        lines = ", ".join(str(n) for n in report.skipped[:10]) + (" …" if len(report.skipped) > 10 else "")
        click.echo(
            f"warning: {file}: skipped {plural(len(report.skipped), 'line')} without a valid address (lines {lines}).",
            err=True,
        )


@click.command("export")
@site_option
@db_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.pass_context
def export_command(ctx: click.Context, site: Path | None, db: Path | None, file: Path | None) -> None:
    """Export every subscriber as CSV to FILE (readable by you only) or standard output."""
    from generator.newsletter.actions import export_file
    from generator.newsletter.csvfiles import export_subscribers

    with opened(ctx, site, db) as (_, store):
        if file is None:
            export_subscribers(store, sys.stdout)
        else:
            count = export_file(store, file)
            click.echo(f"Exported {plural(count, 'subscriber')} to {file}.", err=True)
