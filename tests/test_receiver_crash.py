"""The receiver's durability: a damaged database is refused at start, and a kill at any step loses nothing."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from generator.errors import HomepostError
from generator.model import Response
from generator.webmention.receiver import Job, Store
from generator.webmention.receiver.faults import STEPS
from tests.receiver_helpers import TARGET, WAIT, ReceiverProcess, entry_page, mentions, send, wait_for, write_site
from tests.servers import LoopbackServer, Reply

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 5, 2, 12, 0, tzinfo=dt.UTC)


def damaged_database(path: Path) -> Path:
    """A valid SQLite file of the receiver whose b-tree pages were overwritten (a disk or copy gone wrong)."""
    store = Store(path)
    for number in range(300):
        store.enqueue(f"https://alice.example/{number}/" + "x" * 200, TARGET)
    store.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(10 * page, 14 * page, page):
        data[start : start + 12] = b"\xff" * 12  # the headers of four pages in the middle
    path.write_bytes(bytes(data))
    return path


def test_a_damaged_database_is_refused_with_a_recovery_hint(tmp_path: Path) -> None:
    db = damaged_database(tmp_path / "receiver.sqlite3")
    with pytest.raises(HomepostError) as raised:
        Store(db, check=True)
    [problem] = raised.value.problems
    assert problem.file == str(db)
    assert "damaged" in problem.message and ".recover" in problem.message and "backup" in problem.message


def test_the_receiver_does_not_start_on_a_damaged_database(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    db = damaged_database(tmp_path / "receiver.sqlite3")
    command = [sys.executable, "-m", "generator", "--site", str(site), "receiver", "--port", "0", "--db", str(db)]
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=2 * WAIT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    except subprocess.TimeoutExpired as expired:
        raise AssertionError(f"the receiver started on a damaged database: {expired.stdout!r}") from None
    assert done.returncode == 1, done.stdout
    assert "Receiving" not in done.stdout and "Traceback" not in done.stderr
    assert f"error: {db}: the receiver database is damaged" in done.stderr
    assert f'sqlite3 {db} ".recover"' in done.stderr


# --- a kill at every step of accepting and verifying ---------------------------------------------


@pytest.mark.parametrize("deletion", [False, True], ids=["a reply", "a deletion"])
@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_each_step_loses_nothing_accepted_and_does_nothing_twice(
    tmp_path: Path, step: str, deletion: bool
) -> None:
    site = write_site(tmp_path / "site")
    db = tmp_path / "receiver.sqlite3"
    with LoopbackServer() as source:
        url = source.url("/reply")
        if deletion:  # the mention was stored earlier; now the source answers 410 Gone
            seed = Store(db)
            seed.save(Response(id=url, type="reply", source=url, target=TARGET, content_text="Hi"), received=NOW)
            seed.close()
            source.route("/reply", Reply(410, "gone"))
        else:
            source.route("/reply", Reply(200, entry_page(), [("Content-Type", "text/html; charset=utf-8")]))
        first = ReceiverProcess(site, db, fault=step)
        try:
            try:
                answered = send(first.url, url, TARGET).status
            except (ConnectionError, http.client.HTTPException):
                answered = None  # killed before it could answer
            assert first.process.wait(timeout=WAIT) == -signal.SIGKILL
        finally:
            first.close()
        store = Store(db)
        jobs, stored = store.jobs(), store.get(url, TARGET)
        store.close()
        if answered == 202:
            assert len(jobs) == 1  # accepted means on disk
        written = stored is not None and stored.deleted == deletion  # the outcome of this request is on disk
        if written:
            assert [job.status for job in jobs] == ["done"]  # and its request is never verified again
        fetched = len(source.received)

        second = ReceiverProcess(site, db)
        try:
            wait_for(lambda: all(j.status == "done" for j in jobs_in(db)), "every queued request to be done")
            entries = children_at(second.url)
            assert [e["wm-source"] for e in entries] == ([url] if jobs and not deletion else [])
            if deletion:
                assert [e["deleted"] for e in children_at(second.url, since="2026-01-01T00:00:00Z")] == [True]
            if written:
                assert len(source.received) == fetched  # not fetched, verified or written a second time
            second.process.send_signal(signal.SIGTERM)
            assert second.process.wait(timeout=WAIT) == 0
        finally:
            second.close()


def children_at(base_url: str, **params: str) -> list[dict]:
    return mentions(base_url, **params).json()["children"]


def jobs_in(db: Path) -> list[Job]:
    store = Store(db)
    try:
        return store.jobs()
    finally:
        store.close()
