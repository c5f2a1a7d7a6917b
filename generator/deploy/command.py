"""Deploying with a command: any shell command, `{output}` replaced by the output folder, run in the site folder."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

from generator.config import Config
from generator.deploy.base import DeployOptions, DeployResult, environment, error_tail, run_program

log = logging.getLogger(__name__)


def deploy_command(config: Config, output: Path, options: DeployOptions) -> DeployResult:
    """Run the configured shell command in the site folder, with {output} replaced by the output folder."""
    line = command_line(config, output)
    if options.dry_run:
        return DeployResult("command", line, None, dry_run=True, details=(line,))
    done = run_program(
        line, config.root, environment(options), "command", f"`{line}`", shell=True, interactive=options.interactive
    )
    for text in (done.stdout, done.stderr):
        if text.strip():
            log.info("%s", error_tail(text))
    return DeployResult("command", line, None)


def command_line(config: Config, output: Path) -> str:
    """The configured command with {output} replaced by the output folder, shell-quoted."""
    return config.deploy.command.replace("{output}", shlex.quote(str(output)))
