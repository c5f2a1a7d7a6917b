"""Responders' pictures as the data folder stores them: `data/avatars/<digest>.jpg`, one per picture URL.

The backfeed fetches and shrinks them (backfeed/avatars.py); the build copies them to the output and
links each response to its picture when it is stored, else to the theme's fallback.
"""

from __future__ import annotations

from pathlib import Path

from generator.digest import digest

AVATARS_DIR = "avatars"  # under the data folder, and the output folder


def avatar_name(url: str) -> str:
    """The file name of the picture at `url`."""
    return digest("avatar", url)[:20] + ".jpg"


def stored_avatars(data_dir: Path) -> frozenset[str]:
    """Names of the pictures in the data folder."""
    folder = data_dir / AVATARS_DIR
    return frozenset(p.name for p in folder.iterdir()) if folder.is_dir() else frozenset()
