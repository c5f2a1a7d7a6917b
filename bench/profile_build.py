"""Profile one Homepost build of the benchmark's site with cProfile, to see where a scenario's time goes.

    .venv/bin/python bench/profile_build.py SITE [--posts 10000] [--scenario cold] [--out build.prof]

SITE is a folder: the first run writes the benchmark's corpus there (`--posts` posts), later runs
reuse it. `cold` removes the output and the build cache first; `no-change` builds as it is;
`edit` and `add` change the site as the benchmark does (`--nth` picks which change), so run
`cold` once before them. The build runs in this process with `--jobs 1`, so that the time spent
reading and rendering shows in the profile rather than in worker processes, and with the
garbage collector off, as a one-shot `homepost build` runs. Read the profile with
`python -m pstats build.prof` (`sort cumulative`, `stats 40`); to compare two trees, run this with
PYTHONPATH at each. Not a test: it prints the build's exit code and the profile's path.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import added_post, edited, make_posts  # noqa: E402
from bench.scenarios import ADD, COLD, EDIT, NO_CHANGE  # noqa: E402
from bench.site_homepost import Homepost  # noqa: E402
from generator.cli import main as homepost  # noqa: E402

SCENARIOS = {"cold": COLD, "no-change": NO_CHANGE, "edit": EDIT, "add": ADD}


def prepare(site: Path, posts: int, scenario: str, nth: int) -> None:
    """Write the site if it is not there, then make the scenario's change."""
    tool = Homepost()
    corpus = make_posts(posts)
    if not (site / "site.toml").is_file():
        tool.write_site(site, corpus)
    if scenario == COLD:
        shutil.rmtree(site / "public", ignore_errors=True)
        shutil.rmtree(site / ".homepost", ignore_errors=True)
    elif scenario == EDIT:
        tool.write_post(site, edited(corpus[len(corpus) // 2], nth))
    elif scenario == ADD:
        tool.write_post(site, added_post(len(corpus) + nth, nth))


def profile_build(site: Path, out: Path) -> int:
    """`homepost -q build --site SITE --jobs 1` under cProfile, its statistics written to `out`; its exit code."""
    profiler = cProfile.Profile()
    gc.disable()
    try:
        profiler.runcall(
            homepost.main, ["-q", "build", "--site", str(site), "--jobs", "1"], standalone_mode=False, obj={}
        )
        code = 0
    except SystemExit as exc:  # --strict, or a click error
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        gc.enable()
        profiler.dump_stats(out)
    return code


def main() -> int:
    """Parse the command line, prepare the site, profile one build."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--posts", type=int, default=10_000, help="posts in the corpus (default: 10000)")
    parser.add_argument("--scenario", choices=SCENARIOS, default="cold")
    parser.add_argument("--nth", type=int, default=1, help="which edit or added post (1 for the first)")
    parser.add_argument("--out", type=Path, default=Path("build.prof"))
    args = parser.parse_args()
    prepare(args.site, args.posts, SCENARIOS[args.scenario], args.nth)
    code = profile_build(args.site, args.out)
    print(f"build exited with {code}; profile in {args.out}")
    return code


if __name__ == "__main__":
    sys.exit(main())
