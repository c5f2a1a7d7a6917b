"""The installed-versions digest: what makes a cache from another Homepost or library version stale."""

from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import fields

from generator import __version__

FORMAT = 7  # bump when the shape of what is pickled changes


@functools.cache
def versions() -> str:
    """Versions of everything whose behaviour shapes the output; a change empties the cache.

    The fields of the pickled classes count too, so a changed model never meets an old pickle.
    """
    from generator.content.metadata import Meta
    from generator.content.sources import CachedFile, Source
    from generator.model import Image, Post

    shapes = [
        f"{cls.__name__}:{','.join(f.name for f in fields(cls))}" for cls in (CachedFile, Source, Meta, Post, Image)
    ]
    parts = [f"homepost={__version__}", f"format={FORMAT}", *shapes]
    names = ("markdown-it-py", "markdown-it-pyrs", "mdit-py-plugins", "Pygments", "Jinja2", "feedgen", "PyYAML")
    found = installed_versions(names)
    parts += [f"{name}={found.get(name) or _metadata_version(name)}" for name in names]
    return ";".join(parts)


def installed_versions(names: tuple[str, ...]) -> dict[str, str]:
    """The versions of the distributions `names` found on sys.path, read from their .dist-info
    folders' names (as importlib.metadata finds them, without its import time)."""
    wanted = {_canonical(name): name for name in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        for item in listing:
            if item.endswith(".dist-info"):
                name, _, version = item.removesuffix(".dist-info").partition("-")
                wanted_name = wanted.get(_canonical(name))
                if wanted_name is not None and wanted_name not in found:
                    found[wanted_name] = version
    return found


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata_version(name: str) -> str:
    """The version importlib.metadata finds (an egg-info or other install), "?" if none."""
    from importlib import metadata  # here: it costs a twentieth of a second to import

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"
