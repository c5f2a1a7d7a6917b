"""`homepost comments [list | approve | reject | block | unblock | blocks]`: moderating readers' comments.

They work on the receiver's database (`--db`, default `.homepost/receiver.sqlite3` under the
site), also while the receiver runs: options in, one call, lines out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from generator.commands.common import fail, plural, receiver_db, site_option
from generator.errors import HomepostError

if TYPE_CHECKING:
    from generator.webmention.receiver.comments import BlockKind, Comment
    from generator.webmention.receiver.moderation import Decision
    from generator.webmention.receiver.store import Store

# The receiver's modules are imported by the commands, so that `homepost build` does not pay for them.

db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The receiver's SQLite database (default: .homepost/receiver.sqlite3 under the site).",
)
_F = TypeVar("_F", bound=Callable[..., Any])
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@click.group(invoke_without_command=True)
@site_option
@db_option
@click.pass_context
def comments(ctx: click.Context, site: Path | None, db: Path | None) -> None:
    """Moderate readers' comments held by the receiver. Without a command: list the pending ones."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@comments.command("list")
@site_option
@db_option
@click.option("--all", "show_all", is_flag=True, help="List every comment, approved and rejected too.")
@click.pass_context
def list_command(ctx: click.Context, site: Path | None, db: Path | None, show_all: bool) -> None:
    """List pending comments, or every one with --all. A line each: id, time, post, name, website, IP, first line."""
    from generator.webmention.receiver.moderation import list_comments

    store = _open(ctx, site, db)
    try:
        found = list_comments(store, status=None if show_all else "pending")
    finally:
        store.close()
    for comment in found:
        click.echo(_line(comment, show_all))
    if not found:
        click.echo("No comments." if show_all else "No pending comments.")


@comments.command()
@site_option
@db_option
@click.argument("ids", nargs=-1, required=True)
@click.pass_context
def approve(ctx: click.Context, site: Path | None, db: Path | None, ids: tuple[str, ...]) -> None:
    """Approve comments by id. They appear on the site after the next `homepost webmention pull` and build."""
    from generator.webmention.receiver.moderation import approve as approve_comments

    _decide(ctx, _open(ctx, site, db), ids, approve_comments, "approved")


@comments.command()
@site_option
@db_option
@click.argument("ids", nargs=-1, required=True)
@click.pass_context
def reject(ctx: click.Context, site: Path | None, db: Path | None, ids: tuple[str, ...]) -> None:
    """Reject comments by id. One that was approved is withdrawn from the site with the next pull."""
    from generator.webmention.receiver.moderation import reject as reject_comments

    _decide(ctx, _open(ctx, site, db), ids, reject_comments, "rejected")


def _decide(
    ctx: click.Context,
    store: Store,
    ids: tuple[str, ...],
    decide: Callable[[Store, tuple[str, ...]], list[Decision]],
    verb: str,
) -> None:
    try:
        decisions = decide(store, ids)
    finally:
        store.close()
    missing = 0
    for decision in decisions:
        if decision.comment is None:
            click.echo(f"error: no comment {_printable(decision.id)}", err=True)
            missing += 1
        elif decision.changed:
            if not _quiet(ctx):
                comment = decision.comment
                click.echo(f"{verb} {comment.id} by {_printable(comment.name)} on {comment.target}")
        elif not _quiet(ctx):
            click.echo(f"{decision.id} was already {verb}")
    if missing:
        ctx.exit(1)


def _block_options(command: _F) -> _F:
    """--ip, --domain and --author, for `block` and `unblock`."""
    for option in reversed(
        (
            click.option("--ip", help="An IP address or network (203.0.113.0/24) comments come from."),
            click.option("--domain", help="A website domain; its subdomains are blocked too."),
            click.option("--author", help="An author's website URL, exactly (without regard to a trailing /)."),
        )
    ):
        command = option(command)
    return command


def _kind_and_value(ip: str | None, domain: str | None, author: str | None) -> tuple[BlockKind, str]:
    given = [(kind, value) for kind, value in (("ip", ip), ("domain", domain), ("author", author)) if value]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --ip, --domain or --author")
    kind, value = given[0]
    return kind, value  # type: ignore[return-value]


@comments.command()
@site_option
@db_option
@_block_options
@click.pass_context
def block(
    ctx: click.Context, site: Path | None, db: Path | None, ip: str | None, domain: str | None, author: str | None
) -> None:
    """Block an IP, a domain or an author URL. Their comments are dropped silently, pending ones rejected."""
    from generator.webmention.receiver.moderation import block as block_author

    kind, value = _kind_and_value(ip, domain, author)
    store = _open(ctx, site, db)
    try:
        result = block_author(store, kind, value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{kind}") from None
    finally:
        store.close()
    if not _quiet(ctx):
        state = "blocked" if result.added else "already blocked:"
        ids = ", ".join(c.id for c in result.rejected)
        rejected = f"; rejected {plural(len(result.rejected), 'pending comment')}" + (f": {ids}" if ids else "")
        click.echo(f"{state} {kind} {result.block.value}{rejected}")


@comments.command()
@site_option
@db_option
@_block_options
@click.pass_context
def unblock(
    ctx: click.Context, site: Path | None, db: Path | None, ip: str | None, domain: str | None, author: str | None
) -> None:
    """Lift a block on an IP, a domain or an author URL."""
    from generator.webmention.receiver.comment_validation import normalise_block
    from generator.webmention.receiver.moderation import unblock as lift

    kind, value = _kind_and_value(ip, domain, author)
    store = _open(ctx, site, db)
    try:
        lifted = lift(store, kind, value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{kind}") from None
    finally:
        store.close()
    if not lifted:
        click.echo(f"error: {kind} {_printable(normalise_block(kind, value))} was not blocked", err=True)
        ctx.exit(1)
    if not _quiet(ctx):
        click.echo(f"unblocked {kind} {normalise_block(kind, value)}")


@comments.command()
@site_option
@db_option
@click.pass_context
def blocks(ctx: click.Context, site: Path | None, db: Path | None) -> None:
    """List the blocked IPs, domains and author URLs."""
    store = _open(ctx, site, db)
    try:
        found = store.blocks()
    finally:
        store.close()
    for item in found:
        click.echo(f"{item.kind:<6}  {item.value}  (since {item.created:%Y-%m-%d %H:%M} UTC)")
    if not found:
        click.echo("Nothing is blocked.")


def _open(ctx: click.Context, site: Path | None, db: Path | None) -> Store:
    """The receiver's database: --db, else the group's --db, else the default path of the site's config."""
    from generator.webmention.receiver.store import Store

    group = ctx.parent.params if ctx.parent is not None and ctx.parent.command is comments else {}
    try:
        folder = site or group.get("site") or (ctx.obj or {}).get("site") or Path(".")
        return Store(receiver_db(db or group.get("db"), folder))
    except HomepostError as exc:
        fail(exc, "Moderating comments")
        raise  # not reached: fail exits


def _line(comment: Comment, with_status: bool) -> str:
    first = next((line.strip() for line in comment.markdown.splitlines() if line.strip()), "")
    first = first if len(first) <= 60 else first[:59] + "…"
    status = f"{comment.status:<8}  " if with_status else ""
    reply = f"  (reply to {comment.reply_to})" if comment.reply_to else ""
    return (
        f"{comment.id}  {comment.created:%Y-%m-%d %H:%M} UTC  {status}{comment.target}  "
        f"{_printable(comment.name)}  {comment.website or '-'}  {comment.ip or '-'}  "
        f"{_printable(first)!s}{reply}"
    )


def _printable(text: str) -> str:
    """Text from a reader, safe for a terminal: control characters shown as "?"."""
    return _UNPRINTABLE.sub("?", text)


def _quiet(ctx: click.Context) -> bool:
    return bool((ctx.obj or {}).get("quiet"))
