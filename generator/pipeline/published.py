"""The build's own record of what it published: `.homepost/published.json`.

The site path of every post and page a build of the public site ever published (not a build with
drafts or scheduled posts shown, nor the dev server's at another URL). A path no page claims any
more is a deleted post (or one whose URL changed), and gets a tombstone: the build knows this
without any network command having run. It lives beside the cache, not in it, so clearing the cache
keeps it; it is written atomically, and only after the output it describes is in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.config import Config
from generator.errors import ContentError, Problem
from generator.model import Site
from generator.state import read_json, write_json

PUBLISHED_FILE = "published.json"  # in the site's .homepost/ folder
FORMAT = 1


@dataclass(frozen=True)
class PublishedRecord:
    """The site paths (without the base path) the public site has published, and where they are kept."""

    path: Path
    paths: frozenset[str] = frozenset()

    @classmethod
    def load(cls, config: Config) -> PublishedRecord:
        """The record of the site (empty when there is none); ContentError naming the file when it is damaged."""
        path = config.private_dir / PUBLISHED_FILE
        label = path.relative_to(config.root).as_posix()
        raw = read_json(path, {}, label=label)
        paths = raw.get("paths", [])
        if not isinstance(paths, list) or not all(isinstance(rel, str) for rel in paths):
            message = (
                "paths: expected a list of site paths; remove the file to start a new record "
                "(deleted posts then get tombstones only from data/webmention/sent.json)"
            )
            raise ContentError(Problem(label, message))
        return cls(path, frozenset(paths))

    def with_site(self, config: Config, site: Site) -> PublishedRecord:
        """This record and the posts and pages of `site`, built at the public URL `config` names."""
        base = config.site.url
        found = {post.url.removeprefix(base) for post in site.posts + site.pages if post.url.startswith(base)}
        return PublishedRecord(self.path, self.paths | found)

    def save(self) -> None:
        """Write the record atomically (a temporary file beside it, flushed, then renamed over it)."""
        write_json(self.path, {"format": FORMAT, "paths": sorted(self.paths)})


def record_published(record: PublishedRecord, config: Config, site: Site) -> None:
    """Add the posts and pages of a public build, whose output is in place, to the record (saved only when it grew)."""
    grown = record.with_site(config, site)
    if grown.paths != record.paths:
        grown.save()
