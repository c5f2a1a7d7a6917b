"""The `homepost` command: options in, one call into the core, a result out."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator import __version__
from generator.incremental.store import SERVE_OUTPUT
from generator.pipeline.build import BuildOptions, BuildResult, build_site
from generator.config import load_config
from generator.commands.common import (HomepostGroup, build_time, fail, global_options, plural, quiet, setup_logging, site_dir,
                                       site_option)
from generator.commands.backfeed import backfeed
from generator.commands.comments import comments
from generator.commands.newsletter import newsletter
from generator.commands.publish import deploy, publish
from generator.commands.syndication import auth, syndicate
from generator.commands.theme import theme
from generator.commands.webmention import receiver, webmention
from generator.errors import HomepostError
from generator.model import LeftOut
from generator.scaffold import init_site, new_content

if TYPE_CHECKING:
    from generator.serve import BuildOutcome


def run() -> None:
    """The `homepost` console script: one command, then the process ends."""
    main(obj={"one_shot": True})


@click.group(cls=HomepostGroup, params=global_options(top=True), context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="homepost")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Homepost: publish on your own site first."""
    ctx.ensure_object(dict)
    setup_logging(ctx.obj.get("verbose") or 0, quiet(ctx))


def _report(ctx: click.Context, result: BuildResult) -> None:
    if not quiet(ctx):
        click.echo(
            f"Built {plural(result.posts, 'post')} and {plural(result.pages, 'page')}: "
            f"{plural(result.files, 'file')} ({result.written} written, {result.removed} removed) "
            f"in {result.seconds:.2f} s -> {result.output}{_left_out(result.left_out)}"
        )


def _left_out(left: LeftOut) -> str:
    """"; 2 drafts and 1 scheduled left out (next on 2026-12-24)", or "" when nothing was."""
    parts = [plural(left.drafts, "draft")] if left.drafts else []
    if left.scheduled:
        parts.append(f"{left.scheduled} scheduled")
    if not parts:
        return ""
    following = f" (next on {left.next_date:%Y-%m-%d})" if left.next_date is not None else ""
    return f"; {' and '.join(parts)} left out{following}"


@contextlib.contextmanager
def _progress_bar(ctx: click.Context):
    """A progress callback drawing a bar on a terminal; None in CI logs, pipes and with -q."""
    if quiet(ctx) or not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    bar = None

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total >= 200:  # small builds finish before a bar would help
            bar = click.progressbar(length=total, label=stage.capitalize(), file=sys.stderr)
            bar.__enter__()
        if bar is not None:
            bar.update(done - bar.pos)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@main.command()
@site_option
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), help="Write here instead of [build] output.")
@click.option("--drafts", is_flag=True, help="Include posts marked draft: true.")
@click.option("--future", is_flag=True, help="Include posts dated in the future.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, help="Processes for rendering (default: one per core).")
@click.option("--force", is_flag=True, help="Ignore the build cache: read and render everything again.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) when the build logs any warning.")
@click.pass_context
def build(ctx: click.Context, site: Path | None, output: Path | None, drafts: bool, future: bool, jobs: int,
          force: bool, strict: bool) -> None:  # fmt: skip
    """Build the site into the output folder (public/ by default), redoing only what changed."""
    one_shot = ctx.obj.get("one_shot", False)
    if one_shot:  # the process ends with this build: its objects are left to go with the process
        gc.disable()
    with _progress_bar(ctx) as progress:
        options = BuildOptions(output=output, drafts=drafts, future=future, now=build_time(), jobs=jobs,
                               use_cache=not force, progress=progress)  # fmt: skip
        try:
            result = build_site(site_dir(ctx, site), options)
        except HomepostError as exc:
            fail(exc, "Build")
    _report(ctx, result)
    if strict and result.warnings:
        click.echo(f"Build failed: {plural(len(result.warnings), 'warning')}, and --strict makes warnings errors.", err=True)
        sys.exit(1)
    if one_shot:  # end here: tearing down a whole site's objects at exit costs a thirtieth of a second
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _serve_reporter(ctx: click.Context):
    """Print each build of `serve`: what changed, then the usual summary line or the errors."""
    silent = quiet(ctx)

    def report(outcome: BuildOutcome) -> None:
        if outcome.changed and not silent:
            more = f" and {len(outcome.changed) - 3} more" if len(outcome.changed) > 3 else ""
            click.echo(f"Changed: {', '.join(outcome.changed[:3])}{more}")
        if outcome.result is not None:
            _report(ctx, outcome.result)
            return
        for problem in outcome.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"Build failed with {plural(len(outcome.problems), 'error')}; "
                   "serving the last good build until a change fixes it.", err=True)  # fmt: skip

    return report


@main.command()
@site_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("-p", "--port", default=8000, show_default=True, help="Port to listen on (0: any free port).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help=f"Build into this folder instead of {SERVE_OUTPUT}/ under the site.")  # fmt: skip
@click.pass_context
def serve(ctx: click.Context, site: Path | None, host: str, port: int, output: Path | None) -> None:
    """Build with drafts and scheduled posts, serve on http://127.0.0.1:8000, rebuild and reload on every change."""
    from generator.serve import DevServer, ServeOptions

    server = DevServer(site_dir(ctx, site), ServeOptions(host=host, port=port, output=output, now=build_time()),
                       report=_serve_reporter(ctx))  # fmt: skip
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


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", help="The site's title (default: from the folder name).")
@click.option("--url", default="https://example.com/", show_default=True, help="The site's public URL, with https://.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone for dates without an offset (Asia/Shanghai).")
@click.pass_context
def init(ctx: click.Context, folder: Path, title: str | None, url: str, timezone: str) -> None:
    """Create a new site in FOLDER with a first post and build it."""
    now = build_time() or dt.datetime.now(dt.timezone.utc)
    try:
        written = init_site(folder, title=title, url=url, timezone=timezone, now=now)
    except HomepostError as exc:
        fail(exc, "init")
    if not quiet(ctx):
        for path in written:
            click.echo(f"created {path}")
    try:
        result = build_site(folder, BuildOptions(now=now))
    except HomepostError as exc:
        fail(exc, "The first build")
    _report(ctx, result)
    if not quiet(ctx):
        click.echo(f"Next: cd {folder} && homepost serve")


@main.command()
@site_option
@click.argument("kind", type=click.Choice(["post", "note", "page"]))
@click.argument("title", required=False, default="")
@click.option("--draft", is_flag=True, help="Mark it draft: true (left out of builds until removed).")
@click.pass_context
def new(ctx: click.Context, site: Path | None, kind: str, title: str, draft: bool) -> None:
    """Write a new post, note (a post without a title) or page with its front matter."""
    if kind == "note":
        kind, title = "post", ""
    elif not title:
        more = "; `homepost new note` makes a post without a title" if kind == "post" else ""
        raise click.UsageError(f'a {kind} needs a TITLE: homepost new {kind} "My title"{more}')
    try:
        config = load_config(site_dir(ctx, site))
        path = new_content(config, kind, title or None, draft=draft, now=build_time())
    except HomepostError as exc:
        fail(exc, "new")
    if not quiet(ctx):
        click.echo(f"created {path}")


main.add_command(webmention)
main.add_command(receiver)
main.add_command(syndicate)
main.add_command(auth)
main.add_command(backfeed)
main.add_command(comments)
main.add_command(newsletter)
main.add_command(deploy)
main.add_command(publish)
main.add_command(theme)
