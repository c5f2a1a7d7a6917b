"""The output folder is one whole build at every instant: staged in a spare tree, swapped in whole.

A build never writes into the output folder (`public/`). Its staging folder (`.homepost/staging/NAME-ID/`,
or `.NAME.homepost/` beside the output when `.homepost/` is on another filesystem) holds a *spare*
tree: the output as the build before last left it, made of hard links to the same files. A build
that changes files

1. brings the spare in line with the output: a walk of the output, compared by inode with a
   listing of the spare (saved when it was the output; walked when that listing does not hold),
   links in each file the spare lacks or holds another version of, and removes what the output
   does not have (beside the build's reading, see writer.prepare_output; the first time it links
   every file);
2. writes each changed file into the spare as a new file (never into a linked one, which is the
   output's too) and removes stale ones there;
3. records the spare as a complete build, then exchanges it with the output in one
   `renameat2(RENAME_EXCHANGE)`: the output's path names the new tree, the spare's the old one,
   which the next build brings in line again rather than copying or deleting every file.

A build that changes no file does none of this. Where RENAME_EXCHANGE is missing (not Linux, or a
filesystem without it) the exchange is three renames, and for a moment there is no output folder
(never a mix); a build killed in between puts the old tree back at the next start. The first build
(no output yet) renames its new tree into place.

The record (`complete.json`) names the complete trees by device, inode and mtime (`homepost deploy`
deploys only an output it names), and the tree the build cache's output records describe (a build
killed after its swap but before saving them leaves the next build trusting none). Builds hold the
staging folder's lock; deploys share it, so a build waits for a deploy reading the output, and the
other way round.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import pickle
import shutil
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from generator.digest import digest
from generator.errors import BuildError, HomepostError, Problem
from generator.state import read_json, write_json

log = logging.getLogger(__name__)

STAGING = "staging"  # under .homepost/
RECORD = "complete.json"  # in the staging folder
LISTING = "listing.pickle"  # in the staging folder: every path and inode of the tree the record calls "listed"
KILL_AT = "HOMEPOST_TEST_KILL_AT"  # tests: SIGKILL the build at its Nth step of the write phase
_kill_text = os.environ.get(KILL_AT, "")
_kill_at = int(_kill_text) if _kill_text.isdigit() else 0
_steps = 0
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def step() -> None:
    """Count one change to the disk in the write phase (fault injection for the tests; free otherwise)."""
    global _steps
    if _kill_at:
        _steps += 1
        if _steps == _kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


def staging_dir(output: Path, private_dir: Path) -> Path:
    """Where builds of `output` are staged: in .homepost/ if on the output's filesystem, else beside the output."""
    inside = private_dir / STAGING / f"{output.name}-{digest(str(output))[:8]}"
    if _device(private_dir) == _device(output.parent):
        return inside
    return output.parent / f".{output.name}.homepost"


def _device(path: Path) -> int:
    """The filesystem of `path`, or of its nearest existing folder."""
    for folder in (path, *path.parents):
        try:
            return os.stat(folder).st_dev
        except OSError:
            continue
    return -1


def _identity(path: Path) -> list[int] | None:
    """What names one tree: device, inode and mtime of its folder (an exchange changes none of them)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_dev, info.st_ino, info.st_mtime_ns]


@contextlib.contextmanager
def output_lock(staging: Path, shared: bool = False) -> Iterator[None]:
    """Hold the output's lock (builds alone, deploys `shared`), waiting for whoever holds it."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    staging.mkdir(parents=True, exist_ok=True)
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    with (staging / "lock").open("a") as handle:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
        except OSError:
            log.warning("waiting for another build or deploy of this output folder to finish")
            fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def building(output: Path, staging: Path) -> Iterator[None]:
    """Hold `output` for one build: refuse one that cannot be swapped whole, wait for other builds and deploys."""
    if output.is_dir() and _device(output) != _device(staging.parent):
        message = (
            f"{output} is on another filesystem than the folder holding it (a mount point?): builds are "
            "staged beside it and swapped in whole; make [build] output a folder inside the mount"
        )
        raise BuildError(Problem("site.toml", message, key="build.output"))
    with output_lock(staging):
        yield


class OutputTree:
    """An output folder and its staging folder: the spare tree, the record of complete builds."""

    def __init__(self, output: Path, staging: Path):
        self.output, self.staging = output, staging
        self.spare = staging / "spare"
        self.record = staging / RECORD

    def prepare(self) -> set[str]:
        """Undo a half-done swap, forget complete trees but the output, bring the spare in line; the output's files."""
        self.staging.mkdir(parents=True, exist_ok=True)
        self._recover()
        record, mine = self._read(), _identity(self.output)
        complete = [mine] if mine in record["complete"] else []
        ours = self._listed(record["listed"]) if record["listed"] == _identity(self.spare) else None
        kept = {"complete": complete, "cache": mine if record["cache"] == mine else None, "listed": None}
        if kept != record:  # the spare is about to change: it is no complete build, its listing no longer holds
            step()
            self._write(kept)
        if not self.output.is_dir():
            if os.path.lexists(self.spare):
                step()
                _remove(str(self.spare))
            return set()
        theirs = _listing(str(self.output))
        step()
        self._save_listing(mine, theirs)  # the spare's, if this build swaps
        if ours is None:
            ours = _listing(str(self.spare)) if self.spare.is_dir() and not self.spare.is_symlink() else {}
        self._sync(theirs, ours)
        return {path for path in theirs if not path.endswith("/")}

    def swap_in(self) -> None:
        """Record the spare as a complete build and make it the output in one step; the old output becomes the spare."""
        self.spare.mkdir(parents=True, exist_ok=True)
        record, new, current = self._read(), _identity(self.spare), _identity(self.output)
        complete = [current] if current in record["complete"] else []
        step()
        self._write({"complete": complete + [new], "cache": record["cache"], "listed": current})  # cache: the old one's
        step()
        if current is None:
            os.rename(self.spare, self.output)
        else:
            self._exchange()
        step()  # swapped; the build cache is saved after this

    def settle(self) -> None:
        """Record that the output is complete and that the build cache, just saved, describes it."""
        record, mine = self._read(), _identity(self.output)
        wanted = {"complete": [mine], "cache": mine, "listed": record["listed"]}
        if mine is not None and record != wanted:
            step()
            self._write(wanted)

    def is_complete(self) -> bool:
        """True when the output folder is a build that completed (as far as its folder shows)."""
        mine = _identity(self.output)
        return mine is not None and mine in self._read()["complete"]

    def cached(self) -> bool:
        """True when the build cache's records of the output (what each file was made from) describe this tree.

        Not after a build was killed between its swap and saving them: then the next build trusts none.
        """
        record, mine = self._read(), _identity(self.output)
        return mine is not None and mine in record["complete"] and record["cache"] == mine

    def _read(self) -> dict[str, Any]:
        try:
            found = read_json(self.record, {})
        except HomepostError:
            found = {}  # damaged: no tree is known to be complete
        complete, cache, listed = found.get("complete"), found.get("cache"), found.get("listed")
        complete = complete if isinstance(complete, list) else []
        cache, listed = (value if isinstance(value, list) else None for value in (cache, listed))
        return {"complete": complete, "cache": cache, "listed": listed}

    def _write(self, record: dict[str, Any]) -> None:
        complete = [item for item in record["complete"] if item is not None]
        write_json(self.record, {"complete": complete, "cache": record["cache"], "listed": record["listed"]})

    def _listed(self, tree: list[int]) -> dict[str, int] | None:
        """The listing saved of `tree` (the spare now: saved when it was the output, untouched since), if any."""
        try:
            with (self.staging / LISTING).open("rb") as file:
                found = pickle.load(file)
        except Exception:  # noqa: BLE001 - missing or damaged: the spare is walked instead
            return None
        if isinstance(found, tuple) and len(found) == 2 and found[0] == tree and isinstance(found[1], dict):
            return found[1]
        return None

    def _save_listing(self, tree: list[int] | None, listing: dict[str, int]) -> None:
        temp = self.staging / f"{LISTING}.tmp"
        with temp.open("wb") as file:
            pickle.dump((tree, listing), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, self.staging / LISTING)

    def _exchange(self) -> None:
        if _rename_exchange(self.output, self.spare):
            return
        old = self.staging / "old"  # not atomic: between the first two renames there is no output folder
        os.rename(self.output, old)
        step()
        os.rename(self.spare, self.output)
        step()
        os.rename(old, self.spare)

    def _recover(self) -> None:
        """Finish or undo the three renames of a swap without RENAME_EXCHANGE that a killed build left."""
        old = self.staging / "old"
        if not os.path.lexists(old):
            return
        step()
        if not os.path.lexists(self.output):
            os.rename(old, self.output)  # killed between the first two renames: the old output is the output again
        elif not os.path.lexists(self.spare):
            os.rename(old, self.spare)
        else:
            _remove(str(old))

    def _sync(self, theirs: dict[str, int], ours: dict[str, int]) -> None:
        """Make the spare hold what the output holds (the same inodes), given both trees' listings."""
        output, spare = str(self.output), str(self.spare)
        if os.path.lexists(spare) and (not os.path.isdir(spare) or os.path.islink(spare)):
            step()
            os.unlink(spare)
        if not os.path.lexists(spare):
            step()
            os.mkdir(spare)
        gone = None  # the last folder removed: what is under it went with it
        for path in sorted(ours.keys() - theirs.keys()):
            if gone is None or not path.startswith(gone):
                step()
                _remove(f"{spare}/{path}")
                gone = path if path.endswith("/") else gone
        for path in sorted(path for path in theirs.keys() - ours.keys() if path.endswith("/")):  # parents first
            step()
            os.mkdir(f"{spare}/{path}")
        for path, inode in theirs.items():
            if path.endswith("/") or ours.get(path) == inode:
                continue
            if path in ours:
                step()
                os.unlink(f"{spare}/{path}")
            step()
            _link(f"{output}/{path}", f"{spare}/{path}")


def _listing(root: str) -> dict[str, int]:
    """Every entry under `root` by relative path: a folder's ends with "/" (maps to 0), a file's maps to its inode."""
    found: dict[str, int] = {}
    folders = [""]
    while folders:
        rel = folders.pop()
        with os.scandir(f"{root}/{rel}") as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(f"{rel}{entry.name}/")
                    found[folders[-1]] = 0
                else:
                    found[rel + entry.name] = entry.inode()
    return found


def _link(source: str, target: str) -> None:
    """A hard link to `source` at `target`; a copy (with its mtime) where the system refuses the link."""
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


_renameat2: Any = None  # the C library's renameat2, once looked up (False: there is none)


def _rename_exchange(first: Path, second: Path) -> bool:
    """Exchange two paths in one step; False where the system cannot (then nothing was done)."""
    global _renameat2
    if not sys.platform.startswith("linux"):
        return False
    if _renameat2 is None:
        try:
            _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
        except (AttributeError, OSError):  # a C library older than glibc 2.28
            _renameat2 = False
        else:
            _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if not _renameat2:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a filesystem (or kernel) without it
        log.debug("RENAME_EXCHANGE is not supported here (%s); swapping by three renames", os.strerror(code))
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))
