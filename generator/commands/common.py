"""What the command modules share: the global options, error reporting, plural words."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from generator.errors import HomepostError, Problem
from generator.redaction import escape, log_message

SITE_HELP = "The site folder (holding site.toml); default: the current folder."


def fail(exc: HomepostError, what: str) -> None:
    """Print every problem of `exc` and exit 1: "<what> failed with N errors."."""
    for problem in exc.problems:
        click.echo(f"error: {escape(str(problem))}", err=True)  # a problem may quote a remote string
    click.echo(f"{what} failed with {plural(len(exc.problems), 'error')}.", err=True)
    sys.exit(1)


def site_dir(ctx: click.Context, site: Path | None) -> Path:
    """The --site given to the command, else the one given to `homepost`."""
    return site or (ctx.obj or {}).get("site") or Path(".")


class _Formatter(logging.Formatter):
    """One record as a line for the terminal: remote strings escaped, secrets redacted, then the level."""

    def format(self, record: logging.LogRecord) -> str:
        message = log_message(record.msg, record.args)
        return message if record.levelno == logging.INFO else f"{record.levelname.lower()}: {message}"


def setup_logging(verbose: int, quiet: bool) -> None:
    """Print Homepost's log on stderr: warnings and errors, more with -v/-vv, only errors with -q.

    Warnings always reach the logger's handlers (a build counts them for --strict), printed or not.
    """
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    handler.setLevel(level)
    logger = logging.getLogger("generator")
    logger.handlers[:] = [handler]
    logger.setLevel(min(level, logging.WARNING))
    logger.propagate = False


def _global(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Note a global option wherever it was given (before or after the command) and apply it."""
    if ctx.obj is None:
        ctx.obj = {}
    if value is None or value is False or value == 0:  # not given here
        ctx.obj.setdefault(str(param.name), value)
        return value
    if param.name == "verbose":
        ctx.obj["verbose"] = (ctx.obj.get("verbose") or 0) + value
    else:
        ctx.obj[str(param.name)] = value
    setup_logging(ctx.obj.get("verbose") or 0, bool(ctx.obj.get("quiet")))
    return value


def global_options(top: bool = False) -> list[click.Option]:
    """--site, -v/--verbose and -q/--quiet: given to `homepost` (top) and to every command alike."""
    site: dict[str, Any] = {"default": Path("."), "envvar": "HOMEPOST_SITE"} if top else {"default": None}
    folder = click.Path(file_okay=False, path_type=Path)
    shared: dict[str, Any] = {"callback": _global, "expose_value": False}
    return [
        click.Option(["--site", "site"], type=folder, help=SITE_HELP, **site, **shared),
        click.Option(["-v", "--verbose"], count=True, help="Say more (repeat for debug detail).", **shared),
        click.Option(["-q", "--quiet"], is_flag=True, help="Print nothing but errors.", **shared),
    ]


def with_global_options(command: click.Command) -> click.Command:
    """Give `command` (and, for a group, each of its commands) the global options it lacks."""
    names = {param.name for param in command.params}
    command.params.extend(option for option in global_options() if option.name not in names)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_global_options(sub)
    return command


class HomepostGroup(click.Group):
    """A group whose every command accepts the global options after its name too (`homepost build -q`)."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Add `cmd` with the global options."""
        super().add_command(with_global_options(cmd), name)


def quiet(ctx: click.Context) -> bool:
    """True when -q was given, before or after the command."""
    return bool((ctx.obj or {}).get("quiet"))


site_option = click.option(
    "--site",
    "site",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=SITE_HELP,
)


def plural(count: int, word: str) -> str:
    """ "3 posts", "1 post"."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def build_time() -> dt.datetime | None:
    """The build's notion of now: SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    except ValueError:
        raise click.BadParameter(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {epoch!r}") from None


def receiver_db(db: Path | None, root: Path) -> Path:
    """The receiver's database: `db` (--db), else the site's default path under `root`; HomepostError if missing."""
    from generator.config import load_config
    from generator.webmention.receiver.store import default_db_path

    path = db or default_db_path(load_config(root))
    if not path.is_file():
        message = "no receiver database here (the receiver makes it when it first starts; or give --db)"
        raise HomepostError(Problem(str(path), message))
    return path
