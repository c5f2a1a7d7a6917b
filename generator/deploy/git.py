"""Deploying with git: the output becomes one commit on a branch, pushed (GitHub Pages, Codeberg Pages).

The work happens in a repository of its own in `.homepost/deploy-git/`, never in the site's.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

from generator.config import Config
from generator.deploy.base import DeployError, DeployOptions, DeployResult, environment, run_program, safe_location
from generator.errors import Problem

GIT_WORK_TREE = "deploy-git"  # under .homepost/
# Variables that would point git at another repository than the deploy work tree.
_GIT_LOCATORS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)


def deploy_git(config: Config, output: Path, options: DeployOptions) -> DeployResult:
    """Commit the output to `branch` in a work tree of its own and push it; nothing when nothing changed."""
    if shutil.which("git") is None:
        raise DeployError(Problem("git", "git is not installed: install git or choose another [deploy] method"))
    settings = config.deploy
    repository = _git_repository(config)
    shown = f"{safe_location(settings.repository)} ({settings.branch})"
    work = config.private_dir / GIT_WORK_TREE
    git = _Git(work, environment(options), shown, secrets=(settings.repository, repository))
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
    now = options.now or dt.datetime.now(dt.UTC).astimezone()
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
        done = run_program(
            ["git", *args], self.work, self.env | (env or {}), "git", what, check=check, secrets=self.secrets
        )
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
