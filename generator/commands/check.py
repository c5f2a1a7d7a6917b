"""`homepost check`: options in, one `check_site`, the report out; exit code 1 when anything failed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.commands.build import report_build
from generator.commands.common import build_time, fail, plural, quiet, site_dir, site_option
from generator.errors import HomepostError
from generator.redaction import escape

if TYPE_CHECKING:
    from generator.check.report import CheckReport, Finding

_ONE = {"links": "link", "images": "image", "fragments": "fragment", "old URLs": "old URL", "external links": "link"}
_FAILED = {"links": "broken", "images": "missing", "fragments": "missing", "old URLs": "not answering"}


@click.command()
@site_option
@click.option(
    "--urls",
    "urls",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The old site's URLs (a sitemap.xml or one URL or path a line), each of which must answer. Repeatable.",
)
@click.option("--external", is_flag=True, help="Also check links to other sites (cached for a day).")
@click.option("--no-build", "no_build", is_flag=True, help="Check the output as the last build left it.")
@click.option("--format", "form", type=click.Choice(["text", "json"]), default="text", help="json: for tools.")
@click.pass_context
def check(
    ctx: click.Context, site: Path | None, urls: tuple[Path, ...], external: bool, no_build: bool, form: str
) -> None:
    """Build, then check that every link, image, fragment and old URL (--urls) answers; --external: links out too."""
    from generator.check import CheckOptions, check_site  # here: only `homepost check` loads the HTTP client

    options = CheckOptions(urls=urls, external=external, build=not no_build, now=build_time())
    try:
        report = check_site(site_dir(ctx, site), options)
    except HomepostError as exc:
        fail(exc, "The check")
        return
    if form == "json":
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        _print(ctx, report)
    sys.exit(0 if report.ok else 1)


def _print(ctx: click.Context, report: CheckReport) -> None:
    """A summary line per kind, then each problem grouped by the file to edit."""
    from generator.check.report import KINDS

    if report.build is not None:
        report_build(ctx, report.build)
    loud = not quiet(ctx)
    for kind in KINDS:
        tally = report.tallies.get(kind)
        if tally is not None and loud:
            extra = f", {tally.warned} to look at" if tally.warned else ""
            click.echo(f"{kind}: {tally.checked} checked, {tally.failed} {_FAILED.get(kind, 'failing')}{extra}")
    for source, findings in report.by_source().items():
        if not loud and all(finding.warning for finding in findings):
            continue
        click.echo(source or "theme and generated pages")
        for finding in findings:
            if loud or not finding.warning:
                click.echo(f"  {_line(finding)}")
    problems = sum(not finding.warning for finding in report.findings)
    warnings = len(report.findings) - problems
    if problems:
        click.echo(f"Check failed: {plural(problems, 'problem')}.", err=True)
    elif loud:
        noted = f" ({plural(warnings, 'warning')})" if warnings else ""
        click.echo(f"Check passed: everything answers{noted}.")


def _line(finding: Finding) -> str:
    """`line 7: link /nope/: no such file in the output (on 2026/01/hello/index.html)`"""
    where = f"line {finding.line}: " if finding.line is not None else ""
    level = "warning: " if finding.warning else ""
    pages = ""
    if finding.pages:
        shown = ", ".join(finding.pages[:3])
        pages = f" (on {shown}{f' and {len(finding.pages) - 3} more' if len(finding.pages) > 3 else ''})"
    return escape(f"{where}{level}{_ONE[finding.kind]} {finding.url}: {finding.message}{pages}")
