"""`homepost check`: build, then verify that every link answers: internal links, images and fragments
(named by the Markdown file and line they are written on), the old site's URLs (`--urls`) and, with
`--external`, links to other sites.

The check reads the output folder as a static host would serve it (resolve.py) and the build's
knowledge of sources (`read_site`: which Markdown file made each page). It returns a `CheckReport`;
the command prints it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from generator.check.external import check_external, external_findings
from generator.check.internal import Found, Sources, check_internal
from generator.check.oldurls import check_old_urls, read_urls
from generator.check.pages import PageScan, output_files, scan_output
from generator.check.report import CheckReport, Finding, Seen, Tally
from generator.check.resolve import Resolver, read_rules
from generator.config import Config, load_config
from generator.errors import HomepostError, Problem
from generator.http import HttpClient
from generator.pipeline.build import BuildOptions, build_site, read_site


@dataclass(frozen=True)
class CheckOptions:
    """What `homepost check` was asked for."""

    urls: tuple[Path, ...] = ()  # lists of the old site's URLs (sitemaps or one URL a line)
    external: bool = False  # also ask links to other sites
    build: bool = True  # build first (False: check the output as the last build left it)
    now: dt.datetime | None = None  # the build's moment (SOURCE_DATE_EPOCH)


def check_site(root: Path, options: CheckOptions = CheckOptions()) -> CheckReport:
    """Build the site in `root` (unless told not to) and check its output; HomepostError when it cannot."""
    config = load_config(root)
    old_urls = [found for path in options.urls for found in read_urls(path)]  # a bad list stops before the build
    built = build_site(root, BuildOptions(now=options.now)) if options.build else None
    output = built.output if built else (config.root / config.build.output).resolve()
    scans, resolver = read_output(config, output)
    with _quiet(built is not None):  # the build has just said what the reader warns of
        sources = Sources(config.root, read_site(config, options.now))
    found = check_internal(scans, resolver, sources)
    tallies: dict[str, Tally] = dict(found.tallies)
    findings: list[Finding] = found.findings()
    if options.urls:
        tallies["old URLs"], old = check_old_urls(old_urls, resolver)
        findings += old
    if options.external:
        tallies["external links"], outgoing = _external(config, found, sources)
        findings += outgoing
    return CheckReport(output, built, tallies, tuple(findings))


def read_output(config: Config, output: Path) -> tuple[dict[str, PageScan], Resolver]:
    """The output's HTML pages, scanned, and how its paths answer; HomepostError when there is no output."""
    if not output.is_dir():
        raise HomepostError(Problem(str(output), "no built site here: run `homepost build`, or leave out --no-build"))
    files = output_files(output)
    scans = scan_output(output, files)
    refresh = {rel: scan.refresh for rel, scan in scans.items() if scan.refresh}
    return scans, Resolver(config.site.origin, config.site.base_path, files, refresh, read_rules(output))


def _external(config: Config, found: Found, sources: Sources) -> tuple[Tally, list[Finding]]:
    """Ask the links to other sites, and say where each failing one is written."""
    outcomes = check_external(list(found.outgoing), HttpClient(config.network), config.private_dir, _utc_now)

    def places(url: str) -> list[Seen]:
        return [sources.seen(page, ref, url) for page, ref in found.outgoing[url]]

    return external_findings(outcomes, places)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def _quiet(quiet: bool) -> Iterator[None]:
    """While the block runs (when `quiet`), the reader and the pipeline log only errors."""
    loggers = [logging.getLogger(name) for name in ("generator.content", "generator.pipeline")] if quiet else []
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
