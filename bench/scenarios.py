"""The four build scenarios, run on one tool's copy of the corpus, and what its output holds."""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import Post, added_post, edited
from bench.measure import measure
from bench.tools import POSTS_PER_PAGE, Tool

log = logging.getLogger("bench")

COLD, NO_CHANGE, EDIT, ADD = "cold build", "no-change rebuild", "edit one post", "add one post"
SCENARIOS = (COLD, NO_CHANGE, EDIT, ADD)

# Kinds of output file, by path: every tool is set up to use the same URLs.
KINDS = (
    ("post pages", re.compile(r"^\d{4}/\d{2}/post-\d{5}/index\.html$")),
    ("home pages", re.compile(r"^(index\.html|page/\d+/index\.html)$")),
    ("tag pages", re.compile(r"^tags/[^/]+/(index\.html|page/\d+/index\.html)$")),
    ("year archives", re.compile(r"^\d{4}/index\.html$")),
    ("feeds", re.compile(r"^(?!sitemap\.xml$).*\.(xml|json|atom|rss)$")),
    ("other HTML", re.compile(r"\.html$")),
    ("other files", re.compile(r"")),
)
REDIRECT = "redirects"  # tiny HTML pages that only send the reader elsewhere


@dataclass(frozen=True)
class Run:
    """One measured build."""

    seconds: float
    peak_mib: float
    written: int | None  # files whose mtime changed (or that are new); None for a cold build
    files: int  # files in the output afterwards
    load: float  # 1-minute load average just before the build: other work on the machine skews the time


@dataclass
class ToolResult:
    """Every run of one tool at one corpus size."""

    name: str
    label: str
    version: str
    posts: int
    runs: dict[str, list[Run]] = field(default_factory=dict)
    inventory: dict[str, int] = field(default_factory=dict)  # the cold build's output, by kind

    def median(self, scenario: str) -> float:
        """Median wall seconds of a scenario."""
        return statistics.median(run.seconds for run in self.runs[scenario])

    def peak(self, scenario: str) -> float:
        """Highest peak memory of a scenario's runs, MiB."""
        return max(run.peak_mib for run in self.runs[scenario])

    def written(self, scenario: str) -> tuple[int, int] | None:
        """Median files written by a rebuild, and the files in the output."""
        runs = self.runs[scenario]
        if runs[0].written is None:
            return None
        return int(statistics.median(run.written or 0 for run in runs)), runs[-1].files


def expected_inventory(posts: Sequence[Post]) -> dict[str, int]:
    """What a complete build of `posts` holds: a page per post, paginated home and tag pages."""
    per_tag = Counter(tag for post in posts for tag in post.tags)
    return {
        "post pages": len(posts),
        "home pages": math.ceil(len(posts) / POSTS_PER_PAGE),
        "tag pages": sum(math.ceil(count / POSTS_PER_PAGE) for count in per_tag.values()),
        "tags": len(per_tag),
        "year archives": len({post.date.year for post in posts}),
    }


def run_scenarios(
    tool: Tool, posts: Sequence[Post], folder: Path, repeat: int, scenarios: Sequence[str] = SCENARIOS
) -> ToolResult:
    """Write the tool's site under `folder` once, then measure each scenario `repeat` times in order."""
    source, site, logs = folder / "source", folder / "site", folder / "logs"
    tool.write_site(source, posts)
    logs.mkdir(parents=True, exist_ok=True)
    result = ToolResult(tool.name, tool.label, tool.version(), len(posts))
    target = posts[len(posts) // 2]
    for scenario in scenarios:
        result.runs[scenario] = []
        for nth in range(1, repeat + 1):
            if scenario == COLD:
                shutil.rmtree(site, ignore_errors=True)
                shutil.copytree(source, site, symlinks=True)
            elif scenario == EDIT:
                tool.write_post(site, edited(target, nth))
            elif scenario == ADD:
                tool.write_post(site, added_post(len(posts) + nth, nth))
            before = None if scenario == COLD else mtimes(tool.output(site))
            load = os.getloadavg()[0]
            log_file = logs / f"{scenario.replace(' ', '-')}-{nth}.log"
            measured = measure(tool.command(site), site, log_file, tool.env(site, dict(os.environ)))
            after = mtimes(tool.output(site))
            written = None if before is None else sum(1 for path, ns in after.items() if before.get(path) != ns)
            run = Run(measured.seconds, measured.peak_mib, written, len(after), load)
            result.runs[scenario].append(run)
            wrote = "" if written is None else f", wrote {written} of {len(after)} files"
            log.info(
                "%-8s %5d posts  %-17s %d/%d: %7.2f s, %6.0f MiB%s (load %.2f)",
                tool.name,
                len(posts),
                scenario,
                nth,
                repeat,
                run.seconds,
                run.peak_mib,
                wrote,
                load,
            )
            if scenario == COLD and nth == repeat:
                result.inventory = inventory(tool.output(site))
    return result


def mtimes(folder: Path) -> dict[str, int]:
    """Every file under `folder` with its modification time in nanoseconds."""
    found = {}
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            path = os.path.join(dirpath, name)
            found[os.path.relpath(path, folder)] = os.stat(path).st_mtime_ns
    return found


def inventory(folder: Path) -> dict[str, int]:
    """Files under `folder` counted by kind; redirect pages apart, whatever their path."""
    counts: Counter[str] = Counter()
    tags: set[str] = set()
    for rel in mtimes(folder):
        rel = rel.replace(os.sep, "/")
        if rel.endswith(".html") and _is_redirect(folder / rel):
            counts[REDIRECT] += 1
            continue
        kind = next(name for name, pattern in KINDS if pattern.search(rel))
        counts[kind] += 1
        if kind == "tag pages":
            tags.add(rel.split("/")[1])
    counts["tags"] = len(tags)
    counts["all files"] = sum(count for kind, count in counts.items() if kind != "tags")
    return dict(counts)


def _is_redirect(path: Path) -> bool:
    if path.stat().st_size > 2048:
        return False
    return 'http-equiv="refresh"' in path.read_text(encoding="utf-8", errors="replace").lower()
