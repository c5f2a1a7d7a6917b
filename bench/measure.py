"""Run one build in a fresh child Python that times it and reports the peak memory of its process tree.

Imported, `measure()` spawns this file as a script; run as a script, it is that child. The child
only waits, so its own start-up and memory are not counted. Peak memory is the larger of
getrusage(RUSAGE_CHILDREN).ru_maxrss (the largest single process, exact) and the sum of RSS over
the tree sampled every 0.1 s (which matters only when a tool runs several processes at once).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class Measurement:
    """Wall time and peak memory of one build."""

    seconds: float
    peak_mib: float


class BuildFailed(RuntimeError):
    """A build exited non-zero; the message ends with the tail of its log."""


def measure(command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> Measurement:
    """Run `command` in `cwd` through the child wrapper, its output going to `log`."""
    wrapper = [sys.executable, str(Path(__file__).resolve()), str(cwd), str(log), "--", *command]
    done = subprocess.run(wrapper, env=env, capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        raise BuildFailed(f"measuring {' '.join(command)} failed: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    if report["returncode"] != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BuildFailed(f"{' '.join(command)} exited with {report['returncode']} in {cwd}:\n{tail}")
    return Measurement(report["seconds"], report["peak_kib"] / 1024)


def _tree_rss_kib(root: int) -> int:
    """Sum of VmRSS over `root` and its descendants, from /proc (0 where /proc is missing)."""
    total, pending, seen = 0, [root], set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * resource.getpagesize() // 1024
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    pending.extend(int(child) for child in f.read().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


def _sample(pid: int, stop: threading.Event, peak: list[int]) -> None:
    while not stop.wait(SAMPLE_SECONDS):
        peak[0] = max(peak[0], _tree_rss_kib(pid))


def _child(cwd: str, log: str, command: list[str]) -> dict[str, float | int]:
    """The child's side: run, time, and measure `command`."""
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        stop, peak = threading.Event(), [0]
        sampler = threading.Thread(target=_sample, args=(proc.pid, stop, peak), daemon=True)
        sampler.start()
        returncode = proc.wait()
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if sys.platform == "darwin":
        maxrss //= 1024  # bytes there, KiB on Linux
    return {"returncode": returncode, "seconds": seconds, "peak_kib": max(maxrss, peak[0])}


if __name__ == "__main__":
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit("usage: measure.py CWD LOG -- COMMAND...")
    print(json.dumps(_child(sys.argv[1], sys.argv[2], sys.argv[4:])))
