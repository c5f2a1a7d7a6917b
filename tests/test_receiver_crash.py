"""The receiver's durability: a damaged database is refused at start, and a kill at any step loses nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.errors import HomepostError
from generator.webmention.receiver import Store
from tests.receiver_helpers import TARGET, WAIT, write_site

ROOT = Path(__file__).resolve().parent.parent


def damaged_database(path: Path) -> Path:
    """A valid SQLite file of the receiver whose b-tree pages were overwritten (a disk or copy gone wrong)."""
    store = Store(path)
    for number in range(300):
        store.enqueue(f"https://alice.example/{number}/" + "x" * 200, TARGET)
    store.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(10 * page, 14 * page, page):
        data[start:start + 12] = b"\xff" * 12  # the headers of four pages in the middle
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
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=2 * WAIT,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    except subprocess.TimeoutExpired as expired:
        raise AssertionError(f"the receiver started on a damaged database: {expired.stdout!r}") from None
    assert done.returncode == 1, done.stdout
    assert "Receiving" not in done.stdout and "Traceback" not in done.stderr
    assert f"error: {db}: the receiver database is damaged" in done.stderr
    assert f'sqlite3 {db} ".recover"' in done.stderr
