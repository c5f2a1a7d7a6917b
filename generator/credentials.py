"""Credentials: `.homepost/credentials.toml` (mode 0600, never committed), overridden by the environment.

A credentials file others can read is made private (0600) with a warning, or refused when its mode
cannot be changed.

Nothing here is ever logged or put in an error message: callers get the value, messages name only
where it was looked for.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from pathlib import Path

from generator.errors import ConfigError, Problem
from generator.state import write_atomic

log = logging.getLogger(__name__)

CREDENTIALS_FILE = ".homepost/credentials.toml"


def env_name(name: str, key: str = "token") -> str:
    """The environment variable that overrides `key` of `name`: HOMEPOST_<NAME>_<KEY>."""
    return f"HOMEPOST_{re.sub(r'[^A-Z0-9]', '_', name.upper())}_{key.upper()}"


def load_credentials(root: Path) -> dict[str, dict[str, str]]:
    """Every table of the credentials file (empty when there is none)."""
    path = root / CREDENTIALS_FILE
    try:
        private(path, CREDENTIALS_FILE)
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        # tomllib's message may quote the line it choked on: say where, not what
        where = re.search(r"\(at line (\d+)", str(exc))
        raise ConfigError(
            Problem(CREDENTIALS_FILE, "damaged: not valid TOML", line=int(where.group(1)) if where else None)
        ) from None
    return {name: {k: str(v) for k, v in table.items()} for name, table in data.items() if isinstance(table, dict)}


def private(path: Path, label: str) -> None:
    """Make a secret file readable by its owner only (0600), with a warning; ConfigError when that cannot be done."""
    mode = path.stat().st_mode & 0o777  # FileNotFoundError when there is none: the caller's to handle
    if os.name == "nt" or not mode & 0o077:
        return
    try:
        os.chmod(path, 0o600)
    except OSError:
        raise ConfigError(
            Problem(
                label,
                f"readable by others (mode {mode:04o}) and its mode cannot be changed; "
                "run chmod 600 on it as its owner",
            )
        ) from None
    log.warning("%s: was readable by others (mode %04o); now readable by its owner only (0600)", label, mode)


def credential(root: Path, name: str, key: str = "token") -> str | None:
    """One credential: the environment variable if set, else the file's value, else None."""
    value = os.environ.get(env_name(name, key))
    if value:
        return value
    return load_credentials(root).get(name, {}).get(key) or None


def save_credentials(root: Path, name: str, values: dict[str, str]) -> Path:
    """Store `values` as the table `name`, keeping the other tables; the file is readable only by its owner."""
    tables = load_credentials(root)
    tables[name] = dict(values)
    lines: list[str] = []
    for table, entries in sorted(tables.items()):
        lines.append(f"[{_toml_key(table)}]")
        lines += [f"{_toml_key(k)} = {_toml_string(v)}" for k, v in sorted(entries.items())]
        lines.append("")
    path = root / CREDENTIALS_FILE
    write_atomic(path, "\n".join(lines).encode("utf-8"), mode=0o600)
    return path


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


class TargetCredentials:
    """The credentials of one target (a syndication target's name), for a platform module to read and store."""

    def __init__(self, root: Path, name: str) -> None:
        self.root, self.name = root, name

    def get(self, key: str) -> str | None:
        """A credential: the environment variable HOMEPOST_<NAME>_<KEY>, else the file."""
        return credential(self.root, self.name, key)

    def save(self, values: dict[str, str]) -> None:
        """Store `values` under [<name>], merged with what is there."""
        current = load_credentials(self.root).get(self.name, {})
        save_credentials(self.root, self.name, {**current, **values})
