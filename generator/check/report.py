"""What `homepost check` found: a tally per kind of check and each problem, with where it is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.pipeline.build import BuildResult

KINDS = ("links", "images", "fragments", "old URLs", "external links")


@dataclass(frozen=True)
class Seen:
    """Where a URL was found: the output page, and the Markdown source and line when it is written there."""

    page: str
    source: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Finding:
    """One problem (or, with `warning`, a thing to look at): a URL, what is wrong, and where it is written."""

    kind: str  # one of KINDS
    url: str  # as written in the page or the list of old URLs
    message: str
    source: str = ""  # the file to edit: content/..., a list of old URLs; "" for the theme's and generated pages
    line: int | None = None
    pages: tuple[str, ...] = ()  # the output pages it is on
    warning: bool = False

    def as_json(self) -> dict[str, Any]:
        """The finding for `--format json`."""
        return {
            "kind": self.kind,
            "url": self.url,
            "message": self.message,
            "source": self.source or None,
            "line": self.line,
            "pages": list(self.pages),
            "level": "warning" if self.warning else "error",
        }


def findings_for(kind: str, url: str, message: str, seen: list[Seen], warning: bool = False) -> list[Finding]:
    """One finding per source file the URL is written in; pages not made from a source go with the first."""
    by_source: dict[str, list[Seen]] = {}
    for place in seen:
        by_source.setdefault(place.source, []).append(place)
    unsourced = [place.page for place in by_source.pop("", [])]
    if not by_source:
        return [Finding(kind, url, message, pages=tuple(dict.fromkeys(unsourced)), warning=warning)]
    found = []
    for index, (source, places) in enumerate(by_source.items()):
        pages = [place.page for place in places] + (unsourced if index == 0 else [])
        line = next((place.line for place in places if place.line is not None), None)
        found.append(Finding(kind, url, message, source, line, tuple(dict.fromkeys(pages)), warning))
    return found


@dataclass
class Tally:
    """How many distinct URLs one kind of check looked at, and how many of them failed."""

    checked: int = 0
    failed: int = 0
    warned: int = 0


@dataclass(frozen=True)
class CheckReport:
    """The result of `homepost check`: the build (None with --no-build), a tally per kind, the findings."""

    output: Path
    build: BuildResult | None
    tallies: dict[str, Tally]
    findings: tuple[Finding, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when nothing failed (warnings allowed): the exit code is 0."""
        return not any(not finding.warning for finding in self.findings)

    def by_source(self) -> dict[str, list[Finding]]:
        """The findings grouped by the file to edit ("" for the theme's and generated pages), in order."""
        groups: dict[str, list[Finding]] = {}
        for finding in sorted(self.findings, key=lambda f: (f.source == "", f.source, f.line or 0, f.kind, f.url)):
            groups.setdefault(finding.source, []).append(finding)
        return groups

    def as_json(self) -> dict[str, Any]:
        """The whole report for `--format json`."""
        return {
            "ok": self.ok,
            "output": str(self.output),
            "checked": {kind: vars(tally) for kind, tally in self.tallies.items()},
            "findings": [finding.as_json() for groups in self.by_source().values() for finding in groups],
        }
