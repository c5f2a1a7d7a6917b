"""The input signature: a digest of what a build reads, to recognise a build with nothing to do."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path

from generator.config import Config
from generator.digest import quick_digest
from generator.incremental.store import LastBuild
from generator.render import theme_dir


def input_signature(
    config: Config,
    options: tuple[bool, bool],
    output: Path,
    config_text: str,
    stats: dict[str, tuple[int, int]] | None = None,
) -> str:
    """A digest of everything a build reads: each file's name, size and mtime, the configuration, the options
    (drafts, future).

    `stats`, if given, receives each file's (mtime, size) by path.
    """
    files: list[str] = []
    found: dict[str, tuple[int, int]] = {} if stats is None else stats
    for folder in (
        config.content_dir,
        config.root / "templates",
        config.root / "static",
        theme_dir(config),
        config.data_dir,
    ):
        files.append(f"folder:{folder}")
        _stat_files(str(folder), files, found)
    # One text of all files (a path holds no NUL), hashed at once: 10,000 parts one by one cost more.
    return quick_digest(config_text, config.site.url, str(output), repr(options), "\0".join(files))


def _stat_files(folder: str, parts: list[str], stats: dict[str, tuple[int, int]]) -> None:
    """Add "path:size:mtime" of each file under `folder` to `parts`, in a stable order; (mtime, size) to `stats`."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:  # missing or unreadable: as os.walk, and the reader, pass it by
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _stat_files(entry.path, parts, stats)
        else:
            info = entry.stat()
            parts.append(f"{entry.path}:{info.st_size}:{info.st_mtime_ns}")
            stats[entry.path] = (info.st_mtime_ns, info.st_size)


def nothing_changed(last: LastBuild, signature: str, now: dt.datetime, output: Path) -> bool:
    """True when the inputs are as the last build left them, no scheduled post came due, the output is whole,
    and the last build gave no warnings (a build gives its warnings every time, for `build --strict`)."""
    if last.warned or last.signature != signature or last.output != str(output):
        return False
    if isinstance(last.next_change, dt.datetime) and now >= last.next_change:
        return False
    return not missing_files(output, last.files)


def missing_files(output: Path, dests: Iterable[str]) -> set[str]:
    """Which of `dests` the output folder lacks (deleted by hand since the last build)."""
    prefix = f"{output}/"
    return {dest for dest in dests if not os.path.isfile(prefix + dest)}
