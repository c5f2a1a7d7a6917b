"""The list of old URLs, `data/aliases.txt`: each line `OLD_PATH NEW_PATH_OR_SOURCE.md` redirects an old address.

`homepost import` writes it; a writer may too. Blank lines and lines starting with `#` are skipped. A
line that is not two fields, or whose old path is not a site path, is a warning (file:line) and is left
out; a target that is no published post or page is an error.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote

from generator.config import Config
from generator.errors import ContentError, Problem
from generator.model import Post

ALIAS_LIST = "aliases.txt"  # in the site's data folder
log = logging.getLogger(__name__)


def alias_list(config: Config, posts: list[Post]) -> tuple[tuple[str, Post], ...]:
    """(old site path, the post it now is) for each good line of `data/aliases.txt`; () when there is none."""
    file = config.data_dir / ALIAS_LIST
    if not file.is_file():
        return ()
    display = f"{file.parent.name}/{file.name}"
    by_source = {post.source: post for post in posts}
    by_path = {_site_path(config, post.path): post for post in posts}
    found: list[tuple[str, Post]] = []
    problems: list[Problem] = []
    for number, line in enumerate(_lines(file), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) != 2 or not _is_old_path(fields[0]):
            log.warning(
                "%s:%d: expected 'OLD_PATH NEW_PATH_OR_SOURCE.md' (such as '/old/post/ /2026/01/post/'); line left out",
                display,
                number,
            )
            continue
        old, new = fields
        post = (
            by_source.get(new.removeprefix("content/")) if new.endswith(".md") else by_path.get(_site_path(config, new))
        )
        if post is None:
            problems.append(
                Problem(display, f"{new!r} is not a published post or page (by its path or its .md file)", line=number)
            )
            continue
        found.append((unquote(old), post))
    if problems:
        raise ContentError(problems)
    return tuple(found)


def _lines(file: Path) -> list[str]:
    return file.read_text(encoding="utf-8", errors="replace").splitlines()


def _is_old_path(path: str) -> bool:
    return path.startswith("/") and "//" not in path and ".." not in path.split("/") and not set("?#") & set(path)


def _site_path(config: Config, path: str) -> str:
    """A root-relative path as a site path: unquoted, without the base path, with its leading '/'."""
    path = unquote(path)
    return "/" + path.removeprefix(config.site.base_path).lstrip("/")
