"""Benchmark Homepost against Hugo and Pelican on one synthetic blog: `python bench/run.py --help`."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

if not __package__:  # run as a script: import the modules beside this one as `bench.*`, not as top-level names
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.corpus import make_posts  # noqa: E402
from bench.measure import BuildFailed  # noqa: E402
from bench.report import Setting, filesystem_of, render  # noqa: E402
from bench.scenarios import COLD, NO_CHANGE, ToolResult, expected_inventory, run_scenarios  # noqa: E402
from bench.site_homepost import Homepost  # noqa: E402
from bench.site_hugo import Hugo  # noqa: E402
from bench.site_pelican import Pelican  # noqa: E402
from bench.tools import Tool  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
TOOLS: dict[str, Callable[[], Tool]] = {"homepost": Homepost, "hugo": Hugo, "pelican": Pelican}

log = logging.getLogger("bench")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description="Time cold builds and rebuilds of Homepost, Hugo and Pelican.")
    parser.add_argument("--posts", type=int, default=10_000, help="posts in the synthetic site (default: 10000)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated, from: " + ", ".join(TOOLS))
    parser.add_argument("--repeat", type=int, default=3, help="runs of each scenario; the median is reported")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (sites, outputs, build logs)")
    parser.add_argument(
        "--work", type=Path, help="an empty or new folder for the sites (default: a new one on /dev/shm)"
    )
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "RESULTS.md", help="where to write the table")
    parser.add_argument(
        "--venvs",
        type=Path,
        default=BENCH_DIR / "work" / "venvs",
        help="where Hugo's and Pelican's throwaway venvs live (reused between runs)",
    )
    args = parser.parse_args(argv)
    args.tools = list(dict.fromkeys(name.strip().lower() for name in args.tools.split(",") if name.strip()))
    unknown = [name for name in args.tools if name not in TOOLS]
    if unknown or not args.tools:
        parser.error(f"--tools: unknown {', '.join(unknown) or 'empty list'}; choose from {', '.join(TOOLS)}")
    if args.posts < 10 or args.repeat < 1:
        parser.error("--posts must be at least 10 and --repeat at least 1")
    return args


def make_work_folder(requested: Path | None) -> Path:
    """The folder for this run: the one asked for (empty or new), else a new one on tmpfs when there is one."""
    if requested is not None:
        if requested.exists() and any(requested.iterdir()):
            raise SystemExit(f"--work {requested}: the folder is not empty (it is removed after the run)")
        requested.mkdir(parents=True, exist_ok=True)
        return requested
    shm = Path("/dev/shm")
    if shm.is_dir() and filesystem_of(shm) == "tmpfs":
        try:
            return Path(tempfile.mkdtemp(prefix="homepost-bench-", dir=shm))
        except OSError:
            pass
    log.warning("no tmpfs at /dev/shm: working in the system's temporary folder instead")
    return Path(tempfile.mkdtemp(prefix="homepost-bench-"))


def attempt(what: str, job: Callable[[], ToolResult], failures: list[str]) -> ToolResult | None:
    """Run one tool's scenarios; a failed build is noted in `failures` and the benchmark goes on."""
    try:
        return job()
    except BuildFailed as exc:
        log.error("%s failed: %s", what, exc)
        failures.append(f"{what}: {exc}")
        return None


def homepost_scaling(
    homepost: Tool, results: list[ToolResult], posts: int, repeat: int, work: Path, failures: list[str]
) -> list[ToolResult]:
    """Homepost alone at a tenth of the posts and at all of them: cold build and no-change rebuild."""
    found = []
    for size in (max(10, posts // 10), posts):
        same = [r for r in results if r.name == homepost.name and r.posts == size]
        folder = work / f"{homepost.name}-{size}"
        job = partial(run_scenarios, homepost, make_posts(size), folder, repeat, (COLD, NO_CHANGE))
        result = same[0] if same else attempt(f"{homepost.label} at {size:,} posts", job, failures)
        if result is not None:
            found.append(result)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Set the tools up, run every scenario, write the results after each tool, and print them."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still clean the work folder up
    args = parse_args(argv)
    tools = [TOOLS[name]() for name in args.tools]
    for tool in tools:
        tool.setup(args.venvs)
    work = make_work_folder(args.work)
    setting = Setting(args.posts, args.repeat, work, filesystem_of(work), os.getloadavg()[0])
    log.info("working in %s (%s)", work, setting.filesystem)
    posts = make_posts(args.posts)
    results: list[ToolResult] = []
    scaling: list[ToolResult] = []
    failures: list[str] = []

    def publish() -> str:
        text = render(setting, results, scaling, expected_inventory(posts), failures)
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(text, encoding="utf-8")
        return text

    try:
        for tool in tools:
            job = partial(run_scenarios, tool, posts, work / f"{tool.name}-{args.posts}", args.repeat)
            if (result := attempt(tool.label, job, failures)) is not None:
                results.append(result)
            publish()
        homepost = next((tool for tool in tools if tool.name == "homepost"), None)
        if homepost is not None:
            scaling += homepost_scaling(homepost, results, args.posts, args.repeat, work, failures)
        text = publish()
    finally:
        if args.keep:
            log.info("kept the work folder: %s", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(text)
    log.info("results written to %s", args.results)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
