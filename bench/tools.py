"""What the benchmark needs from each generator, and the explicit list of the generators it knows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from bench.corpus import Post

POSTS_PER_PAGE = 10  # home and tag pages, in every tool
FEED_ITEMS = 20
SITE_URL = "https://bench.example/"
SITE_TITLE = "Benchmark Blog"


class Tool(Protocol):
    """A static site generator as the benchmark drives it: lay out a site, build it, find its output."""

    name: str  # as given to --tools
    label: str  # as shown in the results

    def setup(self, venvs: Path) -> None:
        """Make the tool runnable (install it into a throwaway venv under `venvs` if it is not ours)."""

    def version(self) -> str:
        """The tool's version line, for the results."""

    def write_site(self, root: Path, posts: Sequence[Post]) -> None:
        """Write a complete source site for `posts` into `root`."""

    def write_post(self, root: Path, post: Post) -> None:
        """Write (or overwrite) one post's source file in the site at `root`."""

    def command(self, root: Path) -> list[str]:
        """The build command, run with `root` as the working folder."""

    def env(self, root: Path, base: dict[str, str]) -> dict[str, str]:
        """The environment of the build, from `base`."""

    def output(self, root: Path) -> Path:
        """The folder the build writes."""


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text, making the folder first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
