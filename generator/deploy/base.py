"""What every deploy method shares: its options and result, its error, running a program, the lock."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from generator.config import Config
from generator.errors import HomepostError, Problem
from generator.redaction import redact

log = logging.getLogger(__name__)

TAIL_LINES = 12  # lines of a failed program's error output shown in the message
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


class DeployError(HomepostError):
    """The deploy failed, or cannot start; the host keeps what it had (or what rsync got to)."""


@dataclass(frozen=True)
class DeployOptions:
    """What `homepost deploy` was asked to do."""

    dry_run: bool = False  # say what would change; upload, commit and run nothing
    interactive: bool = False  # a person at a terminal: git may ask for a password
    now: dt.datetime | None = None  # the moment for the commit message's {date}


@dataclass(frozen=True)
class DeployResult:
    """What a deploy did (or, in a dry run, would do), for the CLI to report."""

    method: str
    destination: str  # where it went: the rsync target, "repository (branch)", or the command line
    changed: int | None  # files sent, or changed in the commit; None: unknown (command)
    deleted: int | None = None  # files removed from the host; None: unknown
    commit: str = ""  # git: the commit pushed ("" when nothing changed, or in a dry run)
    seconds: float = 0.0
    dry_run: bool = False
    details: tuple[str, ...] = ()  # dry run: each change ("send index.html", "M index.html", the command)

    @property
    def unchanged(self) -> bool:
        """True when the host already had every file."""
        return self.changed == 0 and not self.deleted


Method = Callable[[Config, Path, DeployOptions], DeployResult]


def environment(options: DeployOptions) -> dict[str, str]:
    """The environment of the programs run: the user's, without prompts when nobody can answer them."""
    env = dict(os.environ)
    if not options.interactive:
        env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def run_program(
    args: list[str] | str,
    cwd: Path,
    env: dict[str, str],
    label: str,
    what: str,
    *,
    check: bool = True,
    shell: bool = False,
    secrets: tuple[str, ...] = (),
    interactive: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run a program; a DeployError with the tail of its error output when it fails (and `check`)."""
    log.debug("running %s", what)
    try:
        done = subprocess.run(
            args,
            cwd=cwd,
            env=env,
            shell=shell,
            stdin=None if interactive else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise DeployError(Problem(label, f"{what}: cannot run it ({exc.strerror or exc})")) from None
    if done.returncode != 0 and check:
        code = done.returncode
        how = f"was stopped by signal {-code}" if code < 0 else f"failed (exit code {code})"
        tail = error_tail(done.stderr or done.stdout, secrets)
        raise DeployError(Problem(label, f"{what} {how}" + (f": {tail}" if tail else "")))
    return done


def error_tail(text: str, secrets: tuple[str, ...] = ()) -> str:
    """The last lines of a program's error output, one line, without credentials in URLs."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()][-TAIL_LINES:]
    joined = " / ".join(lines)
    for secret in secrets:
        if secret and "@" in secret and "://" in secret:
            joined = joined.replace(secret, redact(secret))
    return _USERINFO.sub("", joined)


def safe_location(location: str) -> str:
    """A URL without userinfo, query or fragment; paths and host:path as they are."""
    return redact(location) if "://" in location else location


@contextlib.contextmanager
def locked(path: Path, busy: str, error: type[HomepostError]) -> Iterator[None]:
    """Hold an exclusive lock on `path` (where the platform has flock), or raise `error` at once."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise error(Problem(str(path), f"{busy}; try again when it has finished")) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
