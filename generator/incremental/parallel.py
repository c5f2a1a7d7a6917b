"""Spread work over processes: the one place Homepost forks.

Workers are forked, so they inherit the caller's objects (the task: a renderer, the site) without
pickling them; only batches of item indices go out, over a pipe to each, and results come back.
Small batches stay in-process, where a fork would cost more than it saves.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 64  # below this, one process is faster
AHEAD = 2  # batches sent to a worker before it returns the first


def default_jobs() -> int:
    """How many processes to use when the user does not say: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _chunks(count: int, jobs: int, smallest: int = 8) -> list[tuple[int, int]]:
    """(start, stop) of batches that shrink as the work runs out ("guided" scheduling): few
    batches to send and collect, yet no process is left with a long last batch while the others
    wait (the last items are often the slow ones: feeds, long lists)."""
    chunks, start = [], 0
    while start < count:
        size = max(smallest, (count - start) // (jobs * 3))
        chunks.append((start, min(start + size, count)))
        start += size
    return chunks


def parallel_map(
    func: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    on_done: Callable[[int], None] | None = None,
    before_fork: Callable[[], None] | None = None,
) -> list[R]:
    """`[func(item) for item in items]`, over `jobs` forked processes when that pays off.

    Results keep the order of `items`. `on_done(n)` is called as batches of n items finish.
    `before_fork()` is called once before processes are forked (not when all runs here): what it
    prepares, every worker inherits instead of preparing it again.
    """
    if jobs <= 1 or len(items) < MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        results = []
        for item in items:
            results.append(func(item))
            if on_done is not None:
                on_done(1)
        return results
    chunks = _chunks(len(items), jobs)
    if before_fork is not None:
        before_fork()
    return _Workers(func, items).run(chunks, jobs, on_done)


class _Workers(Generic[T, R]):
    """`func` over `items`, by forked processes that each inherit both and are sent batches to do."""

    def __init__(self, func: Callable[[T], R], items: Sequence[T]):
        self.func, self.items = func, items

    def serve(self, conn: Connection) -> None:
        """A worker: (start, stop) of a batch in, its results out, until told to stop (None)."""
        func, items = self.func, self.items
        while (bounds := conn.recv()) is not None:
            try:
                conn.send((True, [func(items[index]) for index in range(*bounds)]))
            except Exception as exc:  # noqa: BLE001 - raised again in the caller, as a pool would
                conn.send((False, exc))

    def run(self, chunks: list[tuple[int, int]], jobs: int, on_done: Callable[[int], None] | None) -> list[R]:
        """The results of every batch, in order; each batch goes to whichever worker is free."""
        context = multiprocessing.get_context("fork")
        todo = iter(enumerate(chunks))
        busy: dict[Connection, collections.deque[int]] = {}  # worker -> the batches sent to it, oldest first
        workers: list[tuple[Any, Connection]] = []
        done: dict[int, list[R]] = {}  # batches back before an earlier one
        results: list[R] = []
        collected = 0  # batches added to `results`
        finished = False
        try:
            for _ in range(min(jobs, len(chunks))):
                mine, theirs = context.Pipe()
                worker = context.Process(target=self.serve, args=(theirs,), daemon=True)
                worker.start()
                theirs.close()
                workers.append((worker, mine))
                busy[mine] = collections.deque()
            for _ in range(AHEAD):  # a worker finds its next batch waiting while this process takes in its last
                for _, mine in workers:
                    self._give(mine, todo, busy)
            while busy:
                for conn in wait(list(busy)):
                    assert isinstance(conn, Connection)
                    ok, value = conn.recv()  # EOFError if the worker died
                    if not ok:
                        raise value
                    done[busy[conn].popleft()] = value
                    self._give(conn, todo, busy)
                    if not busy[conn]:
                        del busy[conn]
                while collected in done:
                    batch = done.pop(collected)
                    collected += 1
                    results.extend(batch)
                    if on_done is not None:
                        on_done(len(batch))
            finished = True
            return results
        finally:
            for worker, conn in workers:
                if finished:
                    conn.send(None)
                else:
                    worker.terminate()
                worker.join()
                conn.close()

    @staticmethod
    def _give(
        conn: Connection, todo: Iterator[tuple[int, tuple[int, int]]], busy: dict[Connection, collections.deque[int]]
    ) -> None:
        """Send the next batch to the worker at `conn`, if any is left."""
        found = next(todo, None)
        if found is not None:
            busy[conn].append(found[0])
            conn.send(found[1])


@dataclass
class Meanwhile:
    """Work done beside the caller: `ok` and `value` are known once `result()` or the end of the
    `meanwhile` block has waited for it."""

    ok: bool = True
    value: Any = None  # what the work returned (None if it failed)
    _pid: int = 0  # the process doing it, until waited for
    _pipe: int = -1  # where that process sends what the work returned

    def result(self) -> Any:
        """What the work returned, waiting for it if it runs elsewhere; None if it failed."""
        if self._pid:
            with os.fdopen(self._pipe, "rb") as pipe:
                data = pipe.read()  # to the end: the work's process has finished writing
            _, status = os.waitpid(self._pid, 0)
            self._pid = 0
            self.ok = os.waitstatus_to_exitcode(status) == 0 and bool(data)
            self.value = pickle.loads(data) if self.ok else None
        return self.value


@contextlib.contextmanager
def meanwhile(func: Callable[[], Any], jobs: int) -> Iterator[Meanwhile]:
    """Run `func()` in a forked process while the block runs, and wait for it when the block ends.

    With `jobs` <= 1 (or no fork) it runs here first. The process sees this one's objects as they
    were when the block began, and changes made there stay there: use it for work that writes
    files (saving a cache) or looks at them; what it returns comes back pickled (`result()`). An
    error in it is logged and makes `ok` False; it never stops the caller.
    """
    done = Meanwhile()
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        done.ok, done.value = _attempt(func)
        yield done
        return
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked process: do the work, then leave without running the caller's cleanup
        code = 1
        try:
            os.close(read)
            ok, value = _attempt(func)
            if ok:
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
                code = 0
        finally:  # whatever happens (even an interrupt), never go on as the caller
            os._exit(code)
    os.close(write)
    done._pid, done._pipe = pid, read
    try:
        yield done
    finally:
        done.result()


def _attempt(func: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, func()
    except Exception as exc:  # noqa: BLE001 - reported; the caller decides what it costs
        log.warning("background work failed: %s", exc)
        log.debug("background work failed", exc_info=True)
        return False, None
