"""What every importer reads a foreign site into: one `ImportedSite` of posts, pages, files and notes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from generator.text import slugify

Kind = Literal["post", "page"]
LINK_MARK = re.compile("\ue000link(\\d+)\ue000")  # a link to the entry with this index, made relative when written


def link_mark(index: int) -> str:
    """The mark a converter writes for a link to entry `index` (its file may still move)."""
    return f"\ue000link{index}\ue000"


@dataclass(frozen=True)
class Note:
    """Something the importer could not convert (or chose not to): shown in the report with file and line."""

    file: str
    line: int | None
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}" if self.line else f"{self.file}: {self.what}"


@dataclass(frozen=True)
class Comment:
    """An approved comment on an imported post; `parent` is the id of the comment it answers."""

    id: str
    author: str
    author_url: str
    published: dt.datetime | None
    html: str
    parent: str = ""
    old_url: str = ""


@dataclass
class Entry:
    """One post or page as Homepost will read it: where it goes, its front matter and its Markdown."""

    kind: Kind
    rel: str  # where it is written, relative to the site: content/posts/x.md
    source: str  # the file (or item) it came from, for the report
    slug: str
    date: dt.datetime | None
    front: dict[str, Any]
    body: str
    old_path: str | None  # its address on the old site, relative to the site root ("/2024/05/x/"); None: it had none
    public: bool = True  # the old site showed it (not a draft, private or scheduled post)
    moved: list[str] = field(default_factory=list)  # other old addresses of it (not its own URL): data/aliases.txt
    comments: list[Comment] = field(default_factory=list)


@dataclass(frozen=True)
class CopiedFile:
    """A file of the old site copied into the new one."""

    source: Path
    rel: str  # relative to the new site: static/images/a.png


@dataclass
class ImportedSite:
    """A foreign site read into Homepost's terms, before anything is written."""

    source: str  # hugo, jekyll, pelican, wordpress
    title: str = ""
    url: str = ""
    language: str = ""
    timezone: str = ""
    permalink: str | None = None  # a Homepost `build.permalink` giving the old post URLs, when one does
    taxonomy_paths: dict[str, str] = field(
        default_factory=dict
    )  # Homepost taxonomy -> its pattern ("/tag/{term}.html")
    term_slug: Callable[[str], str] = slugify  # how the old site made a term's URL segment
    entries: list[Entry] = field(default_factory=list)
    files: list[CopiedFile] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # extra counts for the report (spam, pending, sticky...)

    def note(self, file: str, line: int | None, what: str) -> None:
        """Remember something not converted, for the report."""
        self.notes.append(Note(file, line, what))

    def count(self, kind: str, n: int = 1) -> None:
        """Add to one of the report's counts."""
        self.counts[kind] = self.counts.get(kind, 0) + n
