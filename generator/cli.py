"""The `homepost` command: the group, its global options, and the list of commands (each in generator/commands/)."""

from __future__ import annotations

import click

from generator import __version__
from generator.commands.backfeed import backfeed
from generator.commands.build import build
from generator.commands.check import check
from generator.commands.comments import comments
from generator.commands.common import HomepostGroup, global_options, quiet, setup_logging
from generator.commands.fediverse import fediverse
from generator.commands.import_ import import_
from generator.commands.newsletter import newsletter
from generator.commands.publish import deploy, publish
from generator.commands.serve import serve
from generator.commands.site import init, new
from generator.commands.syndication import auth, syndicate
from generator.commands.theme import theme
from generator.commands.webmention import receiver, webmention

COMMANDS: tuple[click.Command, ...] = (
    build,
    serve,
    init,
    new,
    webmention,
    receiver,
    syndicate,
    auth,
    backfeed,
    comments,
    newsletter,
    deploy,
    publish,
    theme,
    fediverse,
    import_,
    check,
)


def run() -> None:
    """The `homepost` console script: one command, then the process ends."""
    main(obj={"one_shot": True})


@click.group(
    cls=HomepostGroup, params=global_options(top=True), context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="homepost")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Homepost: publish on your own site first."""
    ctx.ensure_object(dict)
    setup_logging(ctx.obj.get("verbose") or 0, quiet(ctx))


for _command in COMMANDS:
    main.add_command(_command)
