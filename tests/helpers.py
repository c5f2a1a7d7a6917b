"""Helpers for tests: small sites written into a folder and built with the real CLI."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from pathlib import Path

from click.testing import CliRunner, Result

from generator.cli import main

# The moment every test build happens, so scheduled posts are decided the same way on every run.
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)

SITE_TOML = """\
[site]
title = "Test Site"
url = "https://example.org/"
description = "A site for tests"
language = "en"
timezone = "Europe/Berlin"

[site.author]
name = "Ada Writer"
url = "https://example.org/"
email = "ada@example.org"
avatar = "images/ada.png"
me = ["https://mastodon.example/@ada", "https://github.com/ada"]

[build]
posts_per_page = 2
"""


def png_bytes(width: int, height: int) -> bytes:
    """A valid, tiny, single-colour PNG of the given size."""
    raw = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write `files` (relative path -> text or bytes) under `root`."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")


def run_cli(*args: str, now: dt.datetime = NOW) -> Result:
    """Run the `homepost` command in-process, as a user would type it."""
    runner = CliRunner()
    return runner.invoke(main, list(args), env={"SOURCE_DATE_EPOCH": str(int(now.timestamp()))}, catch_exceptions=False)


def build(site: Path, *args: str, now: dt.datetime = NOW) -> Result:
    """`homepost build --site SITE ARGS...`"""
    return run_cli("build", "--site", str(site), *args, now=now)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes, for before/after comparisons."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def theme_script(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    """The one script every page of the default theme loads (its reading aids), from the site itself."""
    return tag == "script" and (dict(attrs).get("src") or "").endswith("/assets/reading.js")
