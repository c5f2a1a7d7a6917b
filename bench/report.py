"""The results as Markdown: the machine, the side-by-side tables, what each tool wrote, how Homepost grows."""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import SEED, TAG_POOL_SIZE, WORDS_PER_POST
from bench.scenarios import COLD, KINDS, NO_CHANGE, REDIRECT, SCENARIOS, ToolResult


@dataclass(frozen=True)
class Setting:
    """Where and how the benchmark ran."""

    posts: int
    repeat: int
    work: Path
    filesystem: str  # "tmpfs", or what the work folder is on
    load: float  # 1-minute load average when the run began: other work on the machine skews the numbers


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def filesystem_of(path: Path) -> str:
    """The file system type of the mount holding `path`, from /proc/mounts ("unknown" elsewhere)."""
    best, kind = "", "unknown"
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    resolved = str(path.resolve())
    for line in lines:
        fields = line.split()
        if len(fields) > 2 and (resolved == fields[1] or resolved.startswith(fields[1].rstrip("/") + "/")):
            if len(fields[1]) > len(best):
                best, kind = fields[1], fields[2]
    return kind


def render(
    setting: Setting,
    results: Sequence[ToolResult],
    scaling: Sequence[ToolResult],
    expected: dict[str, int],
    failures: Sequence[str] = (),
) -> str:
    """The whole RESULTS.md (so far: it is written again after each tool)."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`bench/run.py`); see bench/README.md for what is measured and how.",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} {platform.release()}, "
        f"load average {setting.load:.2f} at the start",
        f"- Python: {platform.python_version()}",
        f"- Tools: {'; '.join(result.version for result in results)}",
        f"- Corpus: {setting.posts:,} posts of about {WORDS_PER_POST} words (English and Chinese), "
        f"1-5 tags each from {TAG_POOL_SIZE}, seed {SEED}",
        f"- Each scenario run {setting.repeat} times; times are the median wall seconds, memory the highest peak",
        f"- Work folder: {_work_note(setting)}",
        "",
    ]
    if failures:
        lines += ["## Failed builds", ""] + [f"- {_first_lines(failure)}" for failure in failures] + [""]
    if results:
        lines += _side_by_side(results)
        lines += _inventory(results, expected)
    lines += _scaling(scaling)
    lines += _raw(list(results) + [r for r in scaling if r not in results])
    return "\n".join(lines).rstrip() + "\n"


def _first_lines(text: str, count: int = 6) -> str:
    """A failure's first lines, folded onto one Markdown list item."""
    return " / ".join(line.strip() for line in text.strip().splitlines()[:count] if line.strip())


def _work_note(setting: Setting) -> str:
    if setting.filesystem == "tmpfs":
        return f"on tmpfs ({setting.work})"
    return f"NOT on tmpfs: {setting.work} is on {setting.filesystem}, so disk speed is part of the numbers"


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}×" if denominator > 0 else "n/a"


def _by_name(results: Sequence[ToolResult]) -> dict[str, ToolResult]:
    return {result.name: result for result in results}


def _side_by_side(results: Sequence[ToolResult]) -> list[str]:
    tools = _by_name(results)
    labels = [result.label for result in results]
    ratios = [("homepost", "hugo", "Homepost/Hugo"), ("pelican", "homepost", "Pelican/Homepost")]
    ratios = [r for r in ratios if r[0] in tools and r[1] in tools]
    posts = results[0].posts
    lines = [f"## Side by side, {posts:,} posts", "", "### Wall time (median seconds)", ""]
    lines.append("| scenario | " + " | ".join(labels + [r[2] for r in ratios]) + " |")
    lines.append("|---" * (1 + len(labels) + len(ratios)) + "|")
    for scenario in SCENARIOS:
        cells = [f"{result.median(scenario):.2f}" for result in results]
        cells += [_ratio(tools[a].median(scenario), tools[b].median(scenario)) for a, b, _ in ratios]
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    lines += ["", "### Peak memory (MiB, the build's process tree)", ""]
    lines.append("| scenario | " + " | ".join(labels) + " |")
    lines.append("|---" * (1 + len(labels)) + "|")
    for scenario in SCENARIOS:
        lines.append(f"| {scenario} | " + " | ".join(f"{result.peak(scenario):.0f}" for result in results) + " |")
    lines += ["", "### Files written by each rebuild (modification time changed, of all files in the output)", ""]
    lines.append("| scenario | " + " | ".join(labels) + " |")
    lines.append("|---" * (1 + len(labels)) + "|")
    for scenario in SCENARIOS[1:]:
        cells = []
        for result in results:
            written = result.written(scenario)
            cells.append("n/a" if written is None else f"{written[0]:,} of {written[1]:,}")
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    if "homepost" in tools:
        written = tools["homepost"].written(NO_CHANGE)
        if written is not None:
            verdict = "meets" if written[0] == 0 else "misses"
            lines += ["", f"Homepost's no-change rebuild wrote {written[0]:,} files: it {verdict} the target of 0."]
    return lines + [""]


def _inventory(results: Sequence[ToolResult], expected: dict[str, int]) -> list[str]:
    kinds = ["tags"] + [name for name, _ in KINDS] + [REDIRECT, "all files"]
    lines = [
        "## What each cold build wrote",
        "",
        "Files by kind (same URLs in every tool); 'expected' is what the corpus calls for.",
        "",
    ]
    lines.append("| kind | expected | " + " | ".join(result.label for result in results) + " |")
    lines.append("|---" * (2 + len(results)) + "|")
    for kind in kinds:
        want = f"{expected[kind]:,}" if kind in expected else ""
        cells = [f"{result.inventory.get(kind, 0):,}" for result in results]
        lines.append(f"| {kind} | {want} | " + " | ".join(cells) + " |")
    return lines + [""]


def _scaling(scaling: Sequence[ToolResult]) -> list[str]:
    if not scaling:
        return []
    lines = ["## Homepost alone: how cost grows with the number of posts", ""]
    lines.append(f"| posts | {COLD} s | {NO_CHANGE} s | cold ms per post | peak MiB (cold) |")
    lines.append("|---|---|---|---|---|")
    for result in scaling:
        per_post = 1000 * result.median(COLD) / result.posts
        lines.append(
            f"| {result.posts:,} | {result.median(COLD):.2f} | {result.median(NO_CHANGE):.2f} | "
            f"{per_post:.2f} | {result.peak(COLD):.0f} |"
        )
    if len(scaling) == 2:
        small, large = scaling
        growth = large.posts / small.posts
        lines += [
            "",
            f"{growth:g}× the posts: cold build {_ratio(large.median(COLD), small.median(COLD))} the time, "
            f"no-change rebuild {_ratio(large.median(NO_CHANGE), small.median(NO_CHANGE))}.",
        ]
    return lines + [""]


def _raw(results: Sequence[ToolResult]) -> list[str]:
    lines = [
        "## Every run",
        "",
        "Load is the 1-minute load average just before each build "
        f"({os.cpu_count()} cores: above that, something else was competing for the CPU).",
        "",
    ]
    lines.append("| tool | posts | scenario | seconds | peak MiB | files written | load |")
    lines.append("|---|---|---|---|---|---|---|")
    for result in results:
        for scenario, runs in result.runs.items():
            seconds = ", ".join(f"{run.seconds:.2f}" for run in runs)
            peaks = ", ".join(f"{run.peak_mib:.0f}" for run in runs)
            written = ", ".join("" if run.written is None else f"{run.written:,}" for run in runs).strip(", ")
            load = ", ".join(f"{run.load:.1f}" for run in runs)
            cells = [result.label, f"{result.posts:,}", scenario, seconds, peaks, written, load]
            lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]
