"""`homepost build`: options in, one build, the summary line out (and a progress bar on a terminal)."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from generator.commands.common import build_time, fail, plural, quiet, site_dir, site_option
from generator.errors import HomepostError
from generator.model import LeftOut
from generator.pipeline.build import BuildOptions, BuildResult, build_site


def report_build(ctx: click.Context, result: BuildResult) -> None:
    """Print a build's summary line (unless -q): posts, pages, files written and removed, what was left out."""
    if not quiet(ctx):
        click.echo(
            f"Built {plural(result.posts, 'post')} and {plural(result.pages, 'page')}: "
            f"{plural(result.files, 'file')} ({result.written} written, {result.removed} removed) "
            f"in {result.seconds:.2f} s -> {result.output}{_left_out(result.left_out)}"
        )


def _left_out(left: LeftOut) -> str:
    """ "; 2 drafts and 1 scheduled left out (next on 2026-12-24)", or "" when nothing was."""
    parts = [plural(left.drafts, "draft")] if left.drafts else []
    if left.scheduled:
        parts.append(f"{left.scheduled} scheduled")
    if not parts:
        return ""
    following = f" (next on {left.next_date:%Y-%m-%d})" if left.next_date is not None else ""
    return f"; {' and '.join(parts)} left out{following}"


@contextlib.contextmanager
def _progress_bar(ctx: click.Context) -> Iterator[Callable[[str, int, int], None] | None]:
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


@click.command()
@site_option
@click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), help="Write here instead of [build] output."
)
@click.option("--drafts", is_flag=True, help="Include posts marked draft: true.")
@click.option("--future", is_flag=True, help="Include posts dated in the future.")
@click.option(
    "-j", "--jobs", type=click.IntRange(min=0), default=0, help="Processes for rendering (default: one per core)."
)
@click.option("--force", is_flag=True, help="Ignore the build cache: read and render everything again.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) when the build logs any warning.")
@click.pass_context
def build(
    ctx: click.Context,
    site: Path | None,
    output: Path | None,
    drafts: bool,
    future: bool,
    jobs: int,
    force: bool,
    strict: bool,
) -> None:
    """Build the site into the output folder (public/ by default), redoing only what changed."""
    one_shot = ctx.obj.get("one_shot", False)
    if one_shot:  # the process ends with this build: its objects are left to go with the process
        gc.disable()
    with _progress_bar(ctx) as progress:
        options = BuildOptions(
            output=output,
            drafts=drafts,
            future=future,
            now=build_time(),
            jobs=jobs,
            use_cache=not force,
            progress=progress,
        )
        try:
            result = build_site(site_dir(ctx, site), options)
        except HomepostError as exc:
            fail(exc, "Build")
    report_build(ctx, result)
    if strict and result.warnings:
        click.echo(
            f"Build failed: {plural(len(result.warnings), 'warning')}, and --strict makes warnings errors.", err=True
        )
        sys.exit(1)
    if one_shot:  # end here: tearing down a whole site's objects at exit costs a thirtieth of a second
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
