"""`homepost serve`: the dev server started, each of its builds printed, stopped with Ctrl+C."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.commands.build import report_build
from generator.commands.common import build_time, plural, quiet, site_dir, site_option
from generator.incremental.store import SERVE_OUTPUT

if TYPE_CHECKING:
    from generator.serve import BuildOutcome

# The dev server is imported by the command, so that `homepost build` does not pay for it at start-up.


def _serve_reporter(ctx: click.Context) -> Callable[[BuildOutcome], None]:
    """Print each build of `serve`: what changed, then the usual summary line or the errors."""
    silent = quiet(ctx)

    def report(outcome: BuildOutcome) -> None:
        if outcome.changed and not silent:
            more = f" and {len(outcome.changed) - 3} more" if len(outcome.changed) > 3 else ""
            click.echo(f"Changed: {', '.join(outcome.changed[:3])}{more}")
        if outcome.result is not None:
            report_build(ctx, outcome.result)
            return
        for problem in outcome.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(
            f"Build failed with {plural(len(outcome.problems), 'error')}; "
            "serving the last good build until a change fixes it.",
            err=True,
        )

    return report


@click.command()
@site_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("-p", "--port", default=8000, show_default=True, help="Port to listen on (0: any free port).")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Build into this folder instead of {SERVE_OUTPUT}/ under the site.",
)
@click.pass_context
def serve(ctx: click.Context, site: Path | None, host: str, port: int, output: Path | None) -> None:
    """Build with drafts and scheduled posts, serve on http://127.0.0.1:8000, rebuild and reload on every change."""
    from generator.serve import DevServer, ServeOptions

    server = DevServer(
        site_dir(ctx, site),
        ServeOptions(host=host, port=port, output=output, now=build_time()),
        report=_serve_reporter(ctx),
    )
    try:
        server.start()
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}; try --port", err=True)
        sys.exit(1)
    except KeyboardInterrupt:  # during the first build
        click.echo("Stopped.")
        return
    click.echo(f"Serving {server.output} at {server.url} with drafts and scheduled posts (Ctrl+C to stop)")
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    click.echo("Stopped.")
