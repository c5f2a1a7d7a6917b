"""Work spread over forked processes: same results in the same order, and what is prepared once
before forking is what every worker starts from."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from generator.incremental.parallel import MIN_ITEMS, _chunks, meanwhile, parallel_map
from generator.pipeline.build import BuildOptions, build_site
from tests.helpers import NOW, SITE_TOML, write_files

PREPARED: list[int] = []


def _prepared_in(_: int) -> tuple[int, tuple[int, ...]]:
    return os.getpid(), tuple(PREPARED)


def _prepare() -> None:
    PREPARED.append(os.getpid())


def test_before_fork_runs_once_in_the_parent_and_every_worker_inherits_it() -> None:
    PREPARED.clear()
    results = parallel_map(_prepared_in, list(range(MIN_ITEMS * 2)), jobs=2, before_fork=_prepare)
    assert PREPARED == [os.getpid()]
    workers = {pid for pid, _ in results}
    assert os.getpid() not in workers and all(seen == (os.getpid(),) for _, seen in results)


@pytest.mark.parametrize("count", [MIN_ITEMS, 100, 1_001, 14_726])
@pytest.mark.parametrize("jobs", [2, 3, 8])
def test_batches_cover_every_item_once_in_order_and_shrink_towards_the_end(count: int, jobs: int) -> None:
    chunks = _chunks(count, jobs)
    assert chunks[0][0] == 0 and chunks[-1][1] == count
    assert all(
        stop == start for (_, stop), (start, _) in zip(chunks, chunks[1:], strict=False)
    )  # contiguous: each item once
    sizes = [stop - start for start, stop in chunks]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] <= 8  # no long last batch for one process alone
    assert len(chunks) <= 4 * jobs * max(1, count.bit_length())  # still few batches to send and collect


def test_before_fork_is_not_called_when_the_work_stays_in_this_process() -> None:
    PREPARED.clear()
    assert parallel_map(_prepared_in, list(range(MIN_ITEMS - 1)), jobs=2, before_fork=_prepare)[0][0] == os.getpid()
    assert parallel_map(_prepared_in, list(range(MIN_ITEMS * 2)), jobs=1, before_fork=_prepare)[0][0] == os.getpid()
    assert PREPARED == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_broken_template_no_page_uses_does_not_break_a_parallel_build(tmp_path: Path, jobs: int) -> None:
    posts = {
        f"content/posts/2026-01-{1 + n % 28:02d}-post-{n}.md": f"---\ntitle: Post {n}\n---\n\nText {n}.\n"
        for n in range(80)
    }
    write_files(tmp_path, {"site.toml": SITE_TOML, **posts, "templates/unused.html": "{% if %}"})
    result = build_site(tmp_path, BuildOptions(now=NOW, jobs=jobs))
    assert result.posts == 80 and (tmp_path / "public/index.html").is_file()


def _write_pid(path: Path) -> None:
    path.write_text(str(os.getpid()))


def _fail() -> None:
    raise OSError("disk full")


@pytest.mark.parametrize("jobs", [1, 2])
def test_meanwhile_work_is_done_when_the_block_ends_in_another_process_when_jobs_allow(
    tmp_path: Path, jobs: int
) -> None:
    done = tmp_path / "done"
    with meanwhile(lambda: _write_pid(done), jobs) as work:
        pass
    assert work.ok and done.is_file()
    assert (int(done.read_text()) == os.getpid()) == (jobs == 1)


@pytest.mark.parametrize("jobs", [1, 2])
def test_meanwhile_work_that_fails_is_logged_and_never_stops_the_caller(
    jobs: int, caplog: pytest.LogCaptureFixture
) -> None:
    with meanwhile(_fail, jobs) as work:
        reached = True
    assert reached and not work.ok
    if jobs == 1:  # the other process logs to its own stderr
        assert "background work failed" in caplog.text and "disk full" in caplog.text


def test_meanwhile_waits_for_the_work_even_when_the_block_fails(tmp_path: Path) -> None:
    done = tmp_path / "done"
    with pytest.raises(RuntimeError), meanwhile(lambda: (os.sched_yield(), _write_pid(done)), 2):
        raise RuntimeError("the build failed")
    assert done.is_file()  # reaped, not left running: nothing writes after the caller has moved on


@pytest.mark.parametrize("jobs", [1, 2])
def test_meanwhile_gives_back_what_the_work_returned_even_when_it_is_large(jobs: int) -> None:
    big = {f"file-{n}.html" for n in range(20_000)}  # far more than a pipe holds at once
    with meanwhile(lambda: (os.getpid(), big), jobs) as work:
        pass
    pid, value = work.value
    assert work.ok and value == big and (pid == os.getpid()) == (jobs == 1)
    assert work.result() == (pid, value)  # asking again gives the same, without waiting


def test_meanwhile_result_can_be_asked_for_inside_the_block() -> None:
    with meanwhile(lambda: os.getpid(), 2) as work:
        assert work.result() != os.getpid() and work.ok


def _square_or_fail(n: int) -> int:
    if n == 100:
        raise ValueError(f"item {n} is broken")
    return n * n


@pytest.mark.parametrize("jobs", [2, 3])
def test_forked_workers_give_every_result_in_order_whatever_batch_finishes_first(jobs: int) -> None:
    items = list(range(MIN_ITEMS * 5))
    done: list[int] = []
    assert parallel_map(_prepared_in, items, jobs=jobs)[0][0] != os.getpid()
    assert parallel_map(abs, [-n for n in items], jobs=jobs, on_done=done.append) == items
    assert sum(done) == len(items)


def test_an_error_in_a_forked_worker_reaches_the_caller_and_no_worker_is_left() -> None:
    with pytest.raises(ValueError, match="item 100 is broken"):
        parallel_map(_square_or_fail, list(range(MIN_ITEMS * 3)), jobs=2)
    assert not multiprocessing.active_children()


def test_the_task_reaches_the_workers_through_no_module_global() -> None:
    from generator.incremental import parallel

    names = {name for name, value in vars(parallel).items() if not name.startswith("__") and not callable(value)}
    assert names <= {
        "annotations",
        "log",
        "MIN_ITEMS",
        "AHEAD",
        "collections",
        "T",
        "R",
        "contextlib",
        "logging",
        "multiprocessing",
        "os",
        "pickle",
    }
