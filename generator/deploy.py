"""`homepost deploy`: put the built output folder on the web host, as `[deploy]` says.

Three methods, one function each, listed in METHODS:

- rsync: the system `rsync` copies the output to a local folder or `host:path`, comparing files by
  checksum (a fresh build on a CI runner sends only what really changed) and, with `delete`,
  removing what the build no longer has once the transfer is complete.
- git: the output becomes one commit on `branch` of `repository`, pushed (GitHub Pages, Codeberg
  Pages). The work happens in a repository of its own in `.homepost/deploy-git/`, never in the
  site's repository; a `CNAME` on the branch is kept when the build has none, `.nojekyll` is added,
  and nothing is committed when nothing changed.
- command: any shell command, with `{output}` replaced by the output folder (shell-quoted), run in
  the site folder.

Credentials come from the user's own setup (SSH agent, git credential helper, the environment of
the command), never from site.toml. Messages carry URLs without userinfo. A dry run prints what
would be sent, committed or run, and changes nothing on the host. Each successful deploy is
recorded in `.homepost/deploy.json` (what was deployed where), so `homepost publish` can tell
whether the host already has this build.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from generator.pipeline.swap import OutputTree, output_lock, staging_dir
from generator.config import Config
from generator.digest import digest
from generator.errors import HomepostError, Problem
from generator.redaction import redact
from generator.state import read_json, write_json

log = logging.getLogger(__name__)

DEPLOY_RECORD = "deploy.json"  # under .homepost/
GIT_WORK_TREE = "deploy-git"  # under .homepost/
TAIL_LINES = 12  # lines of a failed program's error output shown in the message
# Variables that would point git at another repository than the deploy work tree.
_GIT_LOCATORS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
                 "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX")  # fmt: skip
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
INCOMPLETE = (
    "not the output of a complete build (a build was stopped part way, an older Homepost wrote it, or it was "
    "changed by hand since): run `homepost build`, or `homepost deploy` without --no-build"
)


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


def deploy_site(config: Config, options: DeployOptions = DeployOptions()) -> DeployResult:
    """Deploy the output folder as the last successful build left it, by the configured method.

    Only a complete build is deployed, and a build waits until the deploy has read the output.
    """
    method = METHODS.get(config.deploy.method)
    if method is None:
        raise DeployError(
            Problem("site.toml", 'no [deploy] section: add one with method = "rsync", "git" or "command"', key="deploy")
        )
    output = output_dir(config)
    if not output.is_dir() or not any(output.iterdir()):
        shown = _relative(output, config.root)
        raise DeployError(Problem(shown, "nothing built here to deploy; run `homepost build` first"))
    started = time.perf_counter()
    staging = staging_dir(output, config.private_dir)
    alone = locked(config.private_dir / "deploy.lock", "another deploy of this site is running", DeployError)
    with alone, output_lock(staging, shared=True):  # no build swaps the output while it is read
        if not OutputTree(output, staging).is_complete():
            shown = _relative(output, config.root)
            raise DeployError(Problem(shown, INCOMPLETE))
        stat, fingerprint = tree_signature(output), output_digest(output)
        result = method(config, output, options)
        if not options.dry_run:
            record = {
                "destination": destination_key(config), "output": fingerprint, "stat": stat, "commit": result.commit,
                "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            }  # fmt: skip
            write_json(config.private_dir / DEPLOY_RECORD, record)
    seconds = time.perf_counter() - started
    log.info("deployed with %s in %.2f s", result.method, seconds)
    return replace(result, seconds=seconds, dry_run=options.dry_run)


def is_deployed(config: Config) -> bool:
    """True when the last deploy went to the place configured now and the output has not changed since."""
    if not config.deploy.method:
        return False
    try:
        record = read_json(config.private_dir / DEPLOY_RECORD, {}, label=f".homepost/{DEPLOY_RECORD}")
    except HomepostError:  # a damaged record only means deploying once more
        return False
    output = output_dir(config)
    if record.get("destination") != destination_key(config) or not output.is_dir():
        return False
    if record.get("stat") == tree_signature(output):  # not a file touched since: no need to read them all
        return True
    return record.get("output") == output_digest(output)


def output_dir(config: Config) -> Path:
    """The folder `homepost build` writes to."""
    return (config.root / config.build.output).resolve()


def output_digest(output: Path) -> str:
    """A digest of every file's path and bytes under `output`: equal digests, equal sites."""
    total = hashlib.blake2b(digest_size=16)
    for dirpath, dirnames, filenames in os.walk(output):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            total.update(path.relative_to(output).as_posix().encode("utf-8", "surrogateescape") + b"\0")
            with path.open("rb") as handle:
                total.update(hashlib.file_digest(handle, "blake2b").digest())
    return total.hexdigest()


def tree_signature(output: Path) -> str:
    """A digest of every file's path, size and mtime under `output`: cheap, and equal while nothing was written."""
    parts = []
    for dirpath, dirnames, filenames in os.walk(output):
        dirnames.sort()
        for name in sorted(filenames):
            info = os.stat(os.path.join(dirpath, name))
            parts.append((os.path.join(dirpath, name), info.st_size, info.st_mtime_ns))
    return digest(*parts) if parts else ""


def destination_key(config: Config) -> str:
    """A digest of where and how the site is deployed; a deploy elsewhere is a different deploy."""
    d = config.deploy
    return digest(d.method, d.target, d.delete, d.repository, d.branch, d.command, str(output_dir(config)))


def describe(config: Config) -> str:
    """Where the configured deploy goes, safe to print."""
    d = config.deploy
    if d.method == "rsync":
        return _shown(d.target)
    if d.method == "git":
        return f"{_shown(d.repository)} ({d.branch})"
    if d.method == "command":
        return command_line(config, output_dir(config))
    return ""


# --- rsync ---------------------------------------------------------------------------------------


def deploy_rsync(config: Config, output: Path, options: DeployOptions) -> DeployResult:
    """Send what changed (by checksum) to the target; with `delete`, remove what the build no longer has."""
    rsync = shutil.which("rsync")
    if rsync is None:
        raise DeployError(Problem("rsync", "rsync is not installed: install rsync (apt-get install rsync, "
                                           "brew install rsync) or choose another [deploy] method"))  # fmt: skip
    target = _rsync_target(config, output)
    args = [rsync, "--recursive", "--links", "--checksum", "--itemize-changes"]
    if config.deploy.delete:
        args.append("--delete-after")
    if options.dry_run:
        args.append("--dry-run")
    args += [f"{output}/", target]
    if _is_local(config.deploy.target) and not options.dry_run:
        Path(target).mkdir(parents=True, exist_ok=True)
    done = _run(args, config.root, _environment(options), "rsync", f"rsync to {_shown(config.deploy.target)}")
    sent, deleted, details = [], [], []
    for line in done.stdout.splitlines():
        if line.startswith("*deleting"):
            name = line.split(None, 1)[1] if " " in line else ""
            if not name.endswith("/"):
                deleted.append(name)
                details.append(f"delete {name}")
        elif len(line) > 12 and line[0] in "<>" and line[1] == "f":
            sent.append(line[12:])
            details.append(f"send {line[12:]}")
    return DeployResult("rsync", _shown(config.deploy.target), len(sent), len(deleted), dry_run=options.dry_run,
                        details=tuple(details) if options.dry_run else ())  # fmt: skip


def _is_local(target: str) -> bool:
    """False for `host:path`, `user@host:path` and `rsync://` targets."""
    return not re.match(r"^[^/]*:", target)


def _rsync_target(config: Config, output: Path) -> str:
    """The target as rsync gets it: local folders absolute (relative ones under the site folder), checked."""
    target = config.deploy.target
    if not _is_local(target):
        return target
    folder = (config.root / target).resolve()
    root = config.root.resolve()
    if folder == root or folder in root.parents or folder == output or output in folder.parents:
        message = f"the rsync target {target!r} is the site folder, holds it, or is the output folder; choose another"
        raise DeployError(Problem("site.toml", message, key="deploy.target"))
    return str(folder)


# --- git -----------------------------------------------------------------------------------------


def deploy_git(config: Config, output: Path, options: DeployOptions) -> DeployResult:
    """Commit the output to `branch` in a work tree of its own and push it; nothing when nothing changed."""
    if shutil.which("git") is None:
        raise DeployError(Problem("git", "git is not installed: install git or choose another [deploy] method"))
    settings = config.deploy
    repository = _git_repository(config)
    shown = f"{_shown(settings.repository)} ({settings.branch})"
    work = config.private_dir / GIT_WORK_TREE
    git = _Git(work, _environment(options), shown, secrets=(settings.repository, repository))
    existed = _git_checkout(git, work, repository, settings.branch)
    cname = (work / "CNAME").read_bytes() if existed and (work / "CNAME").is_file() else None
    _replace_tree(work, output)
    if cname is not None and not (work / "CNAME").exists():
        (work / "CNAME").write_bytes(cname)
    if not (work / ".nojekyll").exists():
        (work / ".nojekyll").write_bytes(b"")  # serve files and folders starting with "_" as they are
    git("add", "--all")
    status = [
        line
        for line in git(
            "-c", "core.quotePath=false", "status", "--porcelain", "--no-renames", "--untracked-files=all"
        ).splitlines()
        if line
    ]
    deleted = sum(1 for line in status if line.startswith("D"))
    if not status and existed:
        return DeployResult("git", shown, 0, 0, dry_run=options.dry_run)
    if options.dry_run:
        return DeployResult("git", shown, len(status), deleted, dry_run=True, details=tuple(status))
    now = options.now or dt.datetime.now(dt.timezone.utc).astimezone()
    message = settings.message.replace("{date}", now.isoformat(timespec="seconds"))
    git("commit", "--quiet", "--no-verify", "-m", message, env=_identity(git))
    commit = git("rev-parse", "HEAD").strip()
    git("push", "--quiet", "origin", f"HEAD:refs/heads/{settings.branch}", action="push")
    return DeployResult("git", shown, len(status), deleted, commit)


class _Git:
    """Runs git in the deploy work tree only: never in (or above it, in) the site's repository."""

    def __init__(self, work: Path, env: dict[str, str], shown: str, secrets: tuple[str, ...]) -> None:
        self.work, self.shown, self.secrets = work, shown, secrets
        self.env = {k: v for k, v in env.items() if k not in _GIT_LOCATORS}
        self.env["GIT_CEILING_DIRECTORIES"] = str(work.parent.resolve())  # never look for a repository above it

    def __call__(self, *args: str, env: dict[str, str] | None = None, check: bool = True, action: str = "") -> str:
        if "init" not in args and not (self.work / ".git").is_dir():
            raise DeployError(Problem("git", f"{self.work} is not a git work tree; remove it and deploy again"))
        action = action or next(a for a in args if not a.startswith("-") and "=" not in a)
        what = f"git {action} ({self.shown})"
        done = _run(["git", *args], self.work, self.env | (env or {}), "git", what, check=check, secrets=self.secrets)
        return done.stdout if done.returncode == 0 else ""


def _git_checkout(git: _Git, work: Path, repository: str, branch: str) -> bool:
    """Make the work tree hold the branch as the repository has it; False when the branch is new."""
    if not (work / ".git").is_dir():
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        git("init", "--quiet")
    if git("remote", "get-url", "origin", check=False).strip() != repository:
        git("remote", "remove", "origin", check=False)
        git("remote", "add", "origin", repository)
    exists = bool(git("ls-remote", "--heads", "origin", f"refs/heads/{branch}", action="ls-remote").strip())
    if exists:
        git(
            "fetch",
            "--quiet",
            "--depth=1",
            "origin",
            f"+refs/heads/{branch}:refs/remotes/origin/{branch}",
            action="fetch",
        )
        git("checkout", "--quiet", "--force", "-B", branch, f"refs/remotes/origin/{branch}")
    else:
        git("update-ref", "-d", f"refs/heads/{branch}", check=False)
        git("symbolic-ref", "HEAD", f"refs/heads/{branch}")
        git("read-tree", "--empty")
    return exists


def _replace_tree(work: Path, output: Path) -> None:
    """Everything in the work tree but .git becomes a copy of the output."""
    for child in work.iterdir():
        if child.name == ".git":
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    shutil.copytree(output, work, symlinks=True, dirs_exist_ok=True)


def _git_repository(config: Config) -> str:
    """The repository to push to: a local path made absolute (relative ones are under the site folder), else the URL."""
    repository = config.deploy.repository
    local = config.root / repository
    if "://" not in repository and not re.match(r"^[^/]+:", repository) and local.exists():
        return str(local.resolve())
    return repository


def _identity(git: _Git) -> dict[str, str]:
    """A committer for machines without one (fresh CI runners); the user's own when git has one."""
    env = {}
    if not git("config", "user.name", check=False).strip():
        env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "Homepost"
    if not git("config", "user.email", check=False).strip():
        env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "homepost@localhost"
    return env


# --- command -------------------------------------------------------------------------------------


def deploy_command(config: Config, output: Path, options: DeployOptions) -> DeployResult:
    """Run the configured shell command in the site folder, with {output} replaced by the output folder."""
    line = command_line(config, output)
    if options.dry_run:
        return DeployResult("command", line, None, dry_run=True, details=(line,))
    done = _run(
        line, config.root, _environment(options), "command", f"`{line}`", shell=True, interactive=options.interactive
    )
    for text in (done.stdout, done.stderr):
        if text.strip():
            log.info("%s", _tail(text))
    return DeployResult("command", line, None)


def command_line(config: Config, output: Path) -> str:
    """The configured command with {output} replaced by the output folder, shell-quoted."""
    return config.deploy.command.replace("{output}", shlex.quote(str(output)))


METHODS: dict[str, Method] = {"rsync": deploy_rsync, "git": deploy_git, "command": deploy_command}


# --- shared --------------------------------------------------------------------------------------


def _environment(options: DeployOptions) -> dict[str, str]:
    """The environment of the programs run: the user's, without prompts when nobody can answer them."""
    env = dict(os.environ)
    if not options.interactive:
        env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def _run(
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
        done = subprocess.run(args, cwd=cwd, env=env, shell=shell, stdin=None if interactive else subprocess.DEVNULL,
                              capture_output=True, text=True, errors="replace")  # fmt: skip
    except OSError as exc:
        raise DeployError(Problem(label, f"{what}: cannot run it ({exc.strerror or exc})")) from None
    if done.returncode != 0 and check:
        code = done.returncode
        how = f"was stopped by signal {-code}" if code < 0 else f"failed (exit code {code})"
        tail = _tail(done.stderr or done.stdout, secrets)
        raise DeployError(Problem(label, f"{what} {how}" + (f": {tail}" if tail else "")))
    return done


def _tail(text: str, secrets: tuple[str, ...] = ()) -> str:
    """The last lines of a program's error output, one line, without credentials in URLs."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()][-TAIL_LINES:]
    joined = " / ".join(lines)
    for secret in secrets:
        if secret and "@" in secret and "://" in secret:
            joined = joined.replace(secret, redact(secret))
    return _USERINFO.sub("", joined)


def _shown(location: str) -> str:
    """A URL without userinfo, query or fragment; paths and host:path as they are."""
    return redact(location) if "://" in location else location


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root.resolve()).as_posix() + "/"
    except ValueError:
        return str(path)


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
