"""Deploying with rsync: what changed (by checksum) goes to a local folder or `host:path`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from generator.config import Config
from generator.deploy.base import DeployError, DeployOptions, DeployResult, environment, run_program, safe_location
from generator.errors import Problem


def deploy_rsync(config: Config, output: Path, options: DeployOptions) -> DeployResult:
    """Send what changed (by checksum) to the target; with `delete`, remove what the build no longer has."""
    rsync = shutil.which("rsync")
    if rsync is None:
        raise DeployError(
            Problem(
                "rsync",
                "rsync is not installed: install rsync (apt-get install rsync, brew install rsync) "
                "or choose another [deploy] method",
            )
        )
    target = _rsync_target(config, output)
    args = [rsync, "--recursive", "--links", "--checksum", "--itemize-changes"]
    if config.deploy.delete:
        args.append("--delete-after")
    if options.dry_run:
        args.append("--dry-run")
    args += [f"{output}/", target]
    if _is_local(config.deploy.target) and not options.dry_run:
        Path(target).mkdir(parents=True, exist_ok=True)
    done = run_program(
        args, config.root, environment(options), "rsync", f"rsync to {safe_location(config.deploy.target)}"
    )
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
    return DeployResult(
        "rsync",
        safe_location(config.deploy.target),
        len(sent),
        len(deleted),
        dry_run=options.dry_run,
        details=tuple(details) if options.dry_run else (),
    )


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
