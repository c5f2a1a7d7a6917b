"""The output folder is one whole build at every instant (generator/pipeline/swap.py).

A build killed at any step of its write phase leaves the old build or the new one, never a mix;
`homepost deploy --no-build` ships only a complete build; the next build equals a cold one; a
reader walking the output while builds run never sees a mix; unchanged files keep their mtime.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.config import load_config
from generator.deploy.base import DeployError
from generator.deploy.site import INCOMPLETE, deploy_site
from generator.pipeline import swap
from generator.pipeline.build import BuildOptions, BuildResult, build_site
from tests.conftest import SiteFactory
from tests.helpers import NOW, SITE_TOML, snapshot, write_files

HOST = "host"  # beside the site: where the deploy command copies the output
CONFIG = (
    SITE_TOML
    + f"""
[deploy]
method = "command"
command = "rm -rf ../{HOST} && mkdir ../{HOST} && cp -R {{output}}/. ../{HOST}/"
"""
)


def post(title: str, text: str) -> str:
    return f"---\ntitle: {title}\ntags: [t]\n---\n\n{text}\n"


OLDEST = {
    f"content/posts/2026-01-0{n}-{name}.md": post(name.title(), name)
    for n, name in enumerate(("one", "two", "three"), 1)
}
OLD = {"content/posts/2026-01-01-one.md": post("One", "one, edited")}  # the spare then lags one edit behind the output
NEW = {
    "content/posts/2026-01-02-two.md": post("Two", "two, edited"),
    "content/posts/2026-01-04-four.md": post("Four", "four"),
}
GONE = "content/posts/2026-01-03-three.md"  # deleted in the new build: its files are removed


def build(site: Path) -> BuildResult:
    return build_site(site, BuildOptions(now=NOW, jobs=1))


def old_site(make_site: SiteFactory, name: str) -> Path:
    """A site whose output is the old build, with a spare tree one build behind it."""
    site = make_site(OLDEST, config=CONFIG, name=name)
    build(site)
    write_files(site, OLD)
    build(site)
    return site


def to_new(site: Path) -> None:
    write_files(site, NEW)
    (site / GONE).unlink()


def to_old(site: Path) -> None:
    write_files(site, {**OLDEST, **OLD})
    for rel in NEW.keys() - OLDEST.keys():
        (site / rel).unlink()


def killed_at(site: Path, step: int) -> bool:
    """Build `site` in a forked process that SIGKILLs itself at the `step`th step of its write
    phase (swap.step); True if it was killed, False if the build had fewer steps and finished."""

    def arm() -> None:
        swap._kill_at, swap._steps = step, 0

    return killed(site, arm)


def killed(site: Path, arm: Callable[[], None]) -> bool:
    """Build `site` in a forked process, after `arm()` there; True if the build was SIGKILLed."""
    pid = os.fork()
    if pid == 0:  # the build's process
        code = 1
        try:
            arm()
            build(site)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.waitstatus_to_exitcode(status) == 0, "the build failed"
    return False


def deployed(site: Path) -> dict[str, bytes] | None:
    """What `homepost deploy --no-build` put on the host, or None when it refused (saying why)."""
    try:
        deploy_site(load_config(site))
    except DeployError as exc:
        assert INCOMPLETE in str(exc) or "nothing built here to deploy" in str(exc), str(exc)
        return None
    return snapshot(site.parent / HOST)


def mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "three renames"])
def test_a_build_killed_at_any_step_leaves_the_old_or_the_new_build(
    make_site: SiteFactory, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:  # as on systems without RENAME_EXCHANGE: for a moment there is no output (never a mix)
        monkeypatch.setattr(swap, "_rename_exchange", lambda first, second: False)
    cold = make_site({**OLDEST, **OLD}, config=CONFIG, name="cold")
    build(cold)  # the old site published: the build's record (published.json) knows its posts
    to_new(cold)
    shutil.rmtree(cold / ".homepost" / "cache")
    shutil.rmtree(cold / "public")
    build(cold)  # a cold build of the new site, with the tombstones of the posts it no longer has
    new = snapshot(cold / "public")
    seen = set()
    step = 0
    while True:
        step += 1
        site = old_site(make_site, f"site-{step}")
        old, before = snapshot(site / "public"), mtimes(site / "public")
        assert old != new
        to_new(site)
        killed = killed_at(site, step)
        output = snapshot(site / "public") if (site / "public").is_dir() else None
        state = "old" if output == old else "new" if output == new else "none" if output is None else "a mix"
        assert state in ("old", "new") or (state == "none" and not exchange), f"killed at step {step}: {state}"
        seen.add(state)
        host = deployed(site)
        assert host is None or host == output, f"killed at step {step}: the deploy sent another tree"
        if state != "none":
            assert host == output, f"killed at step {step}: a whole build was refused"
        build(site)  # the next build
        assert snapshot(site / "public") == new, f"killed at step {step}: the next build differs from a cold one"
        after = mtimes(site / "public")
        unchanged = [rel for rel in old if new.get(rel) == old[rel]]
        assert unchanged and all(after[rel] == before[rel] for rel in unchanged), f"killed at step {step}"
        if not killed:
            break
    assert step > 10, "the write phase has fewer steps than expected: is swap.step() called?"
    assert {"old", "new"} <= seen


def test_the_kill_switch_is_read_from_the_environment(make_site: SiteFactory) -> None:
    site = old_site(make_site, "site")
    old = snapshot(site / "public")
    to_new(site)
    env = {**os.environ, swap.KILL_AT: "1", "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
    command = [sys.executable, "-m", "generator", "-q", "build", "--site", str(site), "--jobs", "1"]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert snapshot(site / "public") == old


def test_a_reader_never_sees_a_mix(make_site: SiteFactory) -> None:
    site = make_site({**OLDEST, **OLD}, config=CONFIG)
    build(site)
    to_new(site)
    build(site)  # from here the build's record knows the posts of both versions: each has its tombstones
    to_old(site)
    build(site)
    first = tree_digest(site / "public")
    to_new(site)
    build(site)
    second = tree_digest(site / "public")
    started = [0]  # builds begun: a tree the reader opened changes only once the build after its swap begins
    stop = threading.Event()

    def builds() -> None:
        try:
            for number in range(12):
                if number % 2 == 0:
                    to_old(site)
                else:
                    to_new(site)
                started[0] += 1
                build(site)
        finally:
            stop.set()

    builder = threading.Thread(target=builds)
    builder.start()
    seen, clean = set(), 0
    try:
        while not stop.is_set() and clean < 100_000:
            begun = started[0]
            found = tree_digest(site / "public")
            if started[0] == begun:
                clean += 1
                assert found in (first, second), "a reader saw a mix of two builds"
                seen.add(found)
    finally:
        builder.join()
    assert seen == {first, second}, "the reader did not see both builds"


def tree_digest(output: Path) -> str:
    """A digest of every file's path and bytes, read through one open folder (as a server that
    opened it would), so that a swap during the walk does not move the reader into the other tree."""
    found = []
    for folder, _, names, fd in os.fwalk(output):
        for name in names:
            with os.fdopen(os.open(name, os.O_RDONLY, dir_fd=fd), "rb") as file:
                found.append((f"{folder}/{name}", hashlib.blake2b(file.read()).hexdigest()))
    return hashlib.blake2b(repr(sorted(found)).encode()).hexdigest()


def test_unchanged_files_keep_their_inode_and_mtime(make_site: SiteFactory) -> None:
    site = old_site(make_site, "site")
    before = {rel: (p.stat().st_ino, p.stat().st_mtime_ns) for rel, p in files(site / "public").items()}
    to_new(site)
    result = build(site)
    after = {rel: (p.stat().st_ino, p.stat().st_mtime_ns) for rel, p in files(site / "public").items()}
    kept = {rel for rel in before.keys() & after.keys() if before[rel] == after[rel]}
    assert kept == before.keys() - set(result.changed)


def files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}


def test_a_build_that_changes_nothing_swaps_nothing(make_site: SiteFactory) -> None:
    site = old_site(make_site, "site")
    folder = os.stat(site / "public")
    assert build(site).written == 0  # nothing changed at all
    (site / "content/posts/2026-01-02-two.md").touch()  # not "nothing changed": the build looks, finds the same bytes
    assert build(site).written == 0
    now = os.stat(site / "public")
    assert (now.st_ino, now.st_mtime_ns) == (folder.st_ino, folder.st_mtime_ns)


def test_a_leftover_spare_is_brought_in_line_and_the_output_folder_stays_real(make_site: SiteFactory) -> None:
    site = old_site(make_site, "site")
    staging = swap.staging_dir(site / "public", site / ".homepost")
    assert staging.parent == site / ".homepost/staging" and not list(site.glob(".public*"))
    spare = staging / "spare"
    (spare / "index.html").unlink()  # a link to the output's: never written into
    write_files(spare, {"junk/left.html": "half a build", "index.html": "not the output's"})
    to_new(site)
    build(site)
    assert (site / "public").is_dir() and not (site / "public").is_symlink()
    output = snapshot(site / "public")
    assert "junk/left.html" not in output and output["index.html"] != b"not the output's"
    assert "junk/left.html" not in snapshot(spare)  # the spare is the old output now


def test_deploy_refuses_an_output_no_complete_build_left(make_site: SiteFactory) -> None:
    site = make_site(OLDEST, config=CONFIG)
    write_files(site, {"public/index.html": "by hand, or by an older Homepost killed half way"})
    with pytest.raises(DeployError, match="not the output of a complete build") as refused:
        deploy_site(load_config(site))
    assert "run `homepost build`, or `homepost deploy` without --no-build" in str(refused.value)
    assert not (site.parent / HOST).exists()
    build(site)
    assert deployed(site) == snapshot(site / "public")


def test_an_output_changed_after_the_build_is_built_again_before_it_counts_as_complete(make_site: SiteFactory) -> None:
    site = old_site(make_site, "site")
    (site / "public/index.html").unlink()
    (site / "public/index.html").write_text("changed by hand")  # the folder's mtime moves
    assert deployed(site) is None
    result = build(site)  # not trusted as "nothing changed": made again, and whole
    assert result.written == 1 and deployed(site) == snapshot(site / "public")


def test_a_build_killed_after_its_swap_does_not_trust_the_records_it_did_not_save(make_site: SiteFactory) -> None:
    site = old_site(make_site, "site")
    old = snapshot(site / "public")
    to_new(site)
    exchange = swap.OutputTree._exchange

    def exchange_and_die(tree: swap.OutputTree) -> None:
        exchange(tree)
        os.kill(os.getpid(), signal.SIGKILL)

    assert killed(site, lambda: setattr(swap.OutputTree, "_exchange", exchange_and_die))
    assert snapshot(site / "public") != old
    to_old(site)  # the old text again: the records the cache still has say those files are up to date
    build(site)
    assert snapshot(site / "public") == old


def test_a_build_waits_while_a_deploy_reads_the_output(make_site: SiteFactory) -> None:
    site = old_site(make_site, "site")
    old = snapshot(site / "public")
    to_new(site)
    waiting = threading.Event()

    class Waiting(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "waiting for another build or deploy" in record.getMessage():
                waiting.set()

    handler = Waiting()
    logging.getLogger("generator.pipeline.swap").addHandler(handler)
    try:
        with swap.output_lock(swap.staging_dir(site / "public", site / ".homepost"), shared=True):  # as deploy_site
            builder = threading.Thread(target=build, args=(site,))
            builder.start()
            assert waiting.wait(timeout=60), "the build did not wait for the lock"
            assert snapshot(site / "public") == old
        builder.join(timeout=60)
    finally:
        logging.getLogger("generator.pipeline.swap").removeHandler(handler)
    assert not builder.is_alive() and snapshot(site / "public") != old
