"""The background verifier: takes due queue rows, oldest first, verifies them and updates the mentions.

A row is finished in the transaction that stores its result, so a row cut short by a crash is
still pending and is taken again on the next start, and a stored result is never written twice
(`faults` kills the process at each step in the crash tests). When a row is taken, every pending
row of the same (source, target) that exists at that moment is settled by the same verification: one fetch answers them
all. Rows that arrive while the fetch runs stay pending and are verified again afterwards, since
the source may have changed in between. A temporary failure is retried after 1 min, 5 min, 30 min,
2 h and 6 h; the 6th failure marks the row failed (and is logged), leaving any stored mention as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from generator.redaction import redact
from generator.webmention.receiver.faults import fault_point
from generator.webmention.receiver.store import DELETED_NOTE, Job, Store
from generator.webmention.receiver.verify import Verdict

log = logging.getLogger(__name__)

Verifier = Callable[[str, str], Verdict]


@dataclass(frozen=True)
class WorkerOptions:
    """How the worker paces itself."""

    poll_interval: float = 1.0  # seconds between looks at the queue when nobody wakes the worker
    backoff: tuple[float, ...] = (
        60.0,
        300.0,
        1800.0,
        7200.0,
        21600.0,
    )  # seconds after failure 1, 2, ... (last repeats)
    max_attempts: int = 6  # failures before a row is given up
    batch: int = 20  # rows taken per look at the queue


class Loop:
    """A background thread that calls `run_due` when woken, and every `poll_interval` seconds (the mailer's too)."""

    thread_name = "background-loop"

    def __init__(self, poll_interval: float) -> None:
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> int:
        """Do what is due now; how many items were taken."""
        raise NotImplementedError

    def start(self) -> None:
        """Start the thread; it first takes everything left due by an earlier run."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the queue now (called after a request is queued)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current item; one cut short stays pending for the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.run_due()
            except Exception:  # the database went away or worse: keep the thread, try again later
                log.exception("the %s failed; retrying", self.thread_name)
            self._wake.wait(self.poll_interval)


class Worker(Loop):
    """Verifies queued webmentions in one background thread."""

    thread_name = "webmention-worker"

    def __init__(self, store: Store, verifier: Verifier, options: WorkerOptions | None = None) -> None:
        self.store = store
        self.verifier = verifier
        self.options = options or WorkerOptions()
        super().__init__(self.options.poll_interval)

    def run_due(self) -> int:
        """Process every row that is due now; the number of rows taken."""
        taken = 0
        while not self._stop.is_set():
            jobs = self.store.due_jobs(self.options.batch)
            if not jobs:
                break
            for job in jobs:
                if self._stop.is_set():
                    break
                if job.id in self.store.pending_ids(job.source, job.target):  # not settled with an earlier row
                    self.process(job)
                taken += 1
        return taken

    def process(self, job: Job) -> Verdict:
        """Verify one row's pair and record the outcome on it and on every pending row of the pair."""
        ids = self.store.pending_ids(job.source, job.target)
        fault_point("worker.taken")
        try:
            verdict = self.verifier(job.source, job.target)
        except Exception:  # a parser choking on hostile input must not stop the queue
            log.exception("verifying %s failed", redact(job.source))
            verdict = Verdict("retry", "internal error while verifying")
        fault_point("worker.verified")
        if verdict.outcome == "accept" and verdict.response is not None:
            self.store.save(verdict.response, received=job.received, done=ids, result=verdict.reason)
            log.info("webmention from %s to %s: %s", redact(job.source), redact(job.target), verdict.reason)
        elif verdict.outcome == "delete":
            deleted = self.store.delete(job.source, job.target, done=ids, result=verdict.reason)
            result = verdict.reason + DELETED_NOTE if deleted else verdict.reason
            log.info("webmention from %s to %s: %s", redact(job.source), redact(job.target), result)
        elif verdict.outcome == "reject":
            log.warning("webmention from %s to %s rejected: %s", redact(job.source), redact(job.target), verdict.reason)
            self.store.finish(ids, "failed", verdict.reason)
        else:
            self._retry(job, ids, verdict.reason)
        fault_point("worker.written")
        return verdict

    def _retry(self, job: Job, ids: list[int], reason: str) -> None:
        attempts = job.attempts + 1
        if attempts >= self.options.max_attempts:
            log.warning(
                "webmention from %s to %s given up after %d attempts: %s",
                redact(job.source),
                redact(job.target),
                attempts,
                reason,
            )
            self.store.finish(ids, "failed", f"gave up after {attempts} attempts: {reason}")
            return
        backoff = self.options.backoff or (60.0,)
        delay = backoff[min(attempts, len(backoff)) - 1]
        next_attempt = self.store.clock() + dt.timedelta(seconds=delay)
        log.info(
            "webmention from %s: %s; attempt %d of %d in %s s",
            redact(job.source),
            reason,
            attempts + 1,
            self.options.max_attempts,
            delay,
        )
        self.store.postpone(ids, attempts, next_attempt, f"attempt {attempts}: {reason}")
