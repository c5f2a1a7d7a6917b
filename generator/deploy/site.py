"""Deploying the site: the method table, the checks before (a complete build), the record after.

Each successful deploy is recorded in `.homepost/deploy.json` (what was deployed where), so
`homepost publish` can tell whether the host already has this build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from generator.config import Config, load_config
from generator.deploy.base import DeployError, DeployOptions, DeployResult, Method, locked
from generator.deploy.command import deploy_command
from generator.deploy.git import deploy_git
from generator.deploy.rsync import deploy_rsync
from generator.digest import digest
from generator.errors import HomepostError, Problem
from generator.pipeline.build import BuildOptions, BuildResult, build_site
from generator.pipeline.swap import OutputTree, output_lock, staging_dir
from generator.state import read_json, write_json

log = logging.getLogger(__name__)

DEPLOY_RECORD = "deploy.json"  # under .homepost/
INCOMPLETE = (
    "not the output of a complete build (a build was stopped part way, an older Homepost wrote it, or it was "
    "changed by hand since): run `homepost build`, or `homepost deploy` without --no-build"
)


@dataclass(frozen=True)
class DeployRun:
    """What `homepost deploy` did: the build (None with --no-build), the deploy, or which of them failed and why."""

    built: BuildResult | None = None
    deployed: DeployResult | None = None
    failed: Literal["", "build", "deploy"] = ""
    problems: tuple[Problem, ...] = ()


def build_and_deploy(
    root: Path, options: DeployOptions, build: bool = True, now: dt.datetime | None = None
) -> DeployRun:
    """Build the site in `root` (unless not `build`), then deploy its output; a failed build deploys nothing."""
    built = None
    if build:
        try:
            built = build_site(root, BuildOptions(now=now))
        except HomepostError as exc:
            return DeployRun(failed="build", problems=tuple(exc.problems))
    try:
        deployed = deploy_site(load_config(root), options)
    except HomepostError as exc:
        return DeployRun(built, failed="deploy", problems=tuple(exc.problems))
    return DeployRun(built, deployed)


def deploy_site(config: Config, options: DeployOptions | None = None) -> DeployResult:
    """Deploy the output folder as the last successful build left it, by the configured method.

    Only a complete build is deployed, and a build waits until the deploy has read the output.
    """
    options = options or DeployOptions()
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
                "destination": destination_key(config),
                "output": fingerprint,
                "stat": stat,
                "commit": result.commit,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
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


METHODS: dict[str, Method] = {"rsync": deploy_rsync, "git": deploy_git, "command": deploy_command}


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root.resolve()).as_posix() + "/"
    except ValueError:
        return str(path)
