"""What a build learns from each Markdown file, and what it keeps of it for the next build; which files there are.

Symbolic links: a link (to a file or a folder) whose target resolves outside the folder it is
published from (the site folder; a theme's own folder) is refused with an error naming both, unless
`[build] allow_outside_symlinks` is set. Links inside are fine. Linked folders are never descended
into, so their files are not published; link the files themselves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path

from generator.content.markdown import Link
from generator.content.metadata import Meta
from generator.digest import digest
from generator.errors import Problem
from generator.model import SHOWN_ONLY, Kind, Post

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")  # as Hugo and Jekyll read them


def is_markdown(name: str) -> bool:
    """Whether a file name ends as a Markdown file's does (`.md`, `.markdown`, `.mdown`, `.mkd`)."""
    return name.endswith(MARKDOWN_SUFFIXES)


def is_index(name: str) -> bool:
    """Whether a file name is a bundle's text (`index.md`, or with another Markdown suffix)."""
    return name.startswith("index.") and name[5:] in MARKDOWN_SUFFIXES


@dataclass
class Source:
    """One Markdown file after the first pass: its front matter and where it will be written."""

    rel: str  # content-relative path, forward slashes
    kind: Kind
    meta: Meta | None  # None when it came from the cache: the file is read again if it must be rendered
    body: str | None  # None when it came from the cache
    slug: str
    site_path: str  # path under the base URL, unquoted, e.g. "/2024/05/你好/"
    bundle_dir: str | None
    date: datetime | None  # meta.date, or the file name's date
    draft: bool
    expires: datetime | None = None  # after it the post is taken down (meta.expires)


FileStat = tuple[int, int]  # (mtime_ns, size)


@dataclass
class CachedFile:
    """What a build learned from one Markdown file, to skip that work next time."""

    stat: FileStat
    content: str  # digest of the file's bytes
    source: Source  # without its body
    post: Post | None = None  # the rendered post, with no terms and no content_html (kept apart)
    links: tuple[tuple[str, Link, FileStat | None], ...] = ()  # every URL the render resolved
    warnings: tuple[Problem, ...] = ()  # how its front matter was read, given again by every build


# What a post's fingerprint covers besides its place: what it shows, and the copies its front matter names.
SHOWN = tuple(f.name for f in fields(Post) if f.name in SHOWN_ONLY or f.name == "syndication")


def fresh_copy(post: Post) -> Post:
    """A copy of a cached post for this build to fill in (terms, scheduled), leaving the cache's as it was."""
    duplicate = _copy(post)
    duplicate.terms = {}
    return duplicate


def without_html(post: Post) -> Post:
    """A copy of a rendered post for the content cache, which keeps each post's HTML apart."""
    duplicate = _copy(post)
    duplicate.html = None
    return duplicate


def _copy(post: Post) -> Post:
    duplicate = object.__new__(Post)  # copy.copy, without its generic (and slow) protocol
    duplicate.__dict__ = post.__dict__.copy()  # twice as quick as update() into the new instance's dict
    return duplicate


def file_stat(path: Path | None) -> FileStat | None:
    """The signature of a local file a post links to (its size feeds width and height)."""
    if path is None:
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def source_version(content_dir: Path, post: Post) -> str:
    """A digest of a post's source file: what the author wrote, not how this version of Homepost renders it."""
    return digest((content_dir / post.source).read_bytes())[:16]


def walk_files(root: Path, skip: tuple[str, ...] = (".",)) -> tuple[list[str], list[str]]:
    """Every file under `root` as a relative path with forward slashes (top-down, in name order; names starting
    with "." skipped, folders also those starting with `skip`) and the symbolic links seen (never descended into)."""
    found: list[str] = []
    links: list[str] = []
    folders = [(str(root), "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            entries = sorted(os.scandir(folder), key=_name)
        except OSError:  # missing or unreadable: passed by, as os.walk does
            continue
        inner = []
        for entry in entries:
            name = entry.name
            if entry.is_symlink():
                links.append(prefix + name)
                if entry.is_dir():  # a linked folder
                    continue
            elif entry.is_dir():
                if not name.startswith(skip):
                    inner.append((entry.path, f"{prefix}{name}/"))
                continue
            if name[0] != ".":
                found.append(prefix + name)
        folders += reversed(inner)
    return found, links


def _name(entry: os.DirEntry) -> str:
    return entry.name


def outside_links(
    root: Path, links: list[str], inside: Path, label: str, allow: bool = False, where: str = "the site folder"
) -> list[Problem]:
    """A Problem for each symbolic link under `root` whose target resolves outside `inside` (none when `allow`)."""
    if allow or not links:
        return []
    home = os.path.realpath(inside)
    problems = []
    for rel in links:
        path = os.path.join(root, rel)
        target = os.path.realpath(path)
        if os.path.commonpath([home, target]) != home:
            problems.append(
                Problem(
                    f"{label}/{rel}",
                    f"a symbolic link to {target}, outside {where}: refused; "
                    "set [build] allow_outside_symlinks = true to publish it",
                )
            )
    return problems
