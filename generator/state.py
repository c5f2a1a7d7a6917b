"""The site's state files: JSON in the data folder, read with clear errors and written atomically.

A state file is written to a temporary file beside it, flushed to disk, then renamed over the old
one, so a crash at any moment leaves either the old file or the new one, never half of either.
Files are indented and key-sorted so that a diff in the site's repository is readable.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from generator.errors import ContentError, Problem


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data` by writing a temporary file beside it and renaming it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with _ignore_missing():
            os.unlink(temp)
        raise
    _sync_folder(path.parent)


def write_json(path: Path, value: Any) -> None:
    """Write `value` as readable JSON (indented, sorted keys, UTF-8), atomically."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"))


def read_json(path: Path, default: Any, *, label: str | None = None) -> Any:
    """The JSON in `path`, or `default` when there is no such file; ContentError naming the line when damaged."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default
    except UnicodeDecodeError as exc:
        raise ContentError(Problem(label or str(path), f"not UTF-8 text ({exc.reason})")) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContentError(
            Problem(label or str(path), f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno)
        ) from None
    if not isinstance(value, type(default)):
        expected = "an object" if isinstance(default, dict) else "a list"
        raise ContentError(Problem(label or str(path), f"expected {expected} at the top level"))
    return value


class _ignore_missing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> bool:
        return kind is not None and issubclass(kind, FileNotFoundError)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
