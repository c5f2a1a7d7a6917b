"""Smoke test of the benchmark script: a tiny run, Homepost only (nothing installed, no network)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("cold build", "no-change rebuild", "edit one post", "add one post")


def test_bench_runs_homepost_alone_and_writes_a_results_table(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--posts",
            "50",
            "--tools",
            "homepost",
            "--repeat",
            "1",
            "--results",
            str(results),
            "--work",
            str(tmp_path / "work"),
            "--venvs",
            str(tmp_path / "venvs"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    text = results.read_text(encoding="utf-8")
    assert "| scenario | Homepost |" in text
    for scenario in SCENARIOS:
        assert f"| {scenario} | " in text, scenario
    assert "| post pages | 50 | 50 |" in text  # the build wrote a page per post
    assert "Hugo" not in text and "Pelican" not in text
    assert not (tmp_path / "venvs").exists()  # nothing was installed
    assert not (tmp_path / "work").exists()  # the work folder is removed without --keep
