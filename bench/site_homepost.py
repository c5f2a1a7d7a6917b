"""Homepost as the benchmark drives it: the `homepost` of the project's own venv."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import Post
from bench.tools import FEED_ITEMS, POSTS_PER_PAGE, SITE_TITLE, SITE_URL, write_text, yaml_string

SITE_TOML = f"""\
[site]
title = "{SITE_TITLE}"
url = "{SITE_URL}"
description = "A synthetic blog for the benchmark."
language = "en"
timezone = "UTC"

[site.author]
name = "Bench Writer"

[build]
posts_per_page = {POSTS_PER_PAGE}
feed_items = {FEED_ITEMS}
"""


@dataclass
class Homepost:
    """The project's own generator, run from the venv of the Python running the benchmark."""

    name: str = "homepost"
    label: str = "Homepost"
    executable: Path = field(default_factory=lambda: Path(sys.executable).parent / "homepost")
    extra_args: list[str] = field(default_factory=list)

    def setup(self, venvs: Path) -> None:
        """Check `homepost` is installed beside this Python; pass --jobs when the build offers it.

        The package is byte-compiled first, as `pip install` does: an editable install run with
        PYTHONDONTWRITEBYTECODE would otherwise compile every module again in every timed build.
        """
        if not self.executable.exists():
            raise SystemExit(f"{self.executable} not found: run the benchmark with the project's venv (make bench)")
        package = Path(__file__).resolve().parent.parent / "generator"
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True, capture_output=True)
        help_text = subprocess.run([str(self.executable), "build", "--help"], capture_output=True, text=True).stdout
        if "--jobs" in help_text:
            self.extra_args = ["--jobs", str(os.cpu_count() or 1)]

    def version(self) -> str:
        """`homepost --version`, plus the options the benchmark passes."""
        text = subprocess.run([str(self.executable), "--version"], capture_output=True, text=True).stdout.strip()
        return f"{text} {' '.join(self.extra_args)}".strip()

    def write_site(self, root: Path, posts: Sequence[Post]) -> None:
        """site.toml and content/posts/YYYY-MM-DD-post-NNNNN.md with YAML front matter."""
        write_text(root / "site.toml", SITE_TOML)
        for post in posts:
            self.write_post(root, post)

    def write_post(self, root: Path, post: Post) -> None:
        """One post; its slug comes from the file name."""
        tags = ", ".join(yaml_string(tag) for tag in post.tags)
        text = (
            f"---\ntitle: {yaml_string(post.title)}\ndate: {post.date:%Y-%m-%d %H:%M:%S}\ntags: [{tags}]\n---\n\n"
            f"{post.body}"
        )
        write_text(root / "content" / "posts" / f"{post.date:%Y-%m-%d}-{post.slug}.md", text)

    def command(self, root: Path) -> list[str]:
        """`homepost -q build --site ROOT`."""
        return [str(self.executable), "-q", "build", "--site", str(root), *self.extra_args]

    def env(self, root: Path, base: dict[str, str]) -> dict[str, str]:
        """As given."""
        return dict(base)

    def output(self, root: Path) -> Path:
        """public/."""
        return root / "public"
