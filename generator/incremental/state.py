"""The incremental side of one build, behind one object: what the last build left, what this one keeps.

The build's stages ask it for what an earlier build knew (the content cache, the fragments, the
manifest of the output) and hand it what they made; it decides what may be trusted, and which
work goes to another process meanwhile (looking for output files, saving the content cache).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from generator.config import Config
from generator.incremental.dependencies import LastPages
from generator.incremental.fingerprint import Fingerprints
from generator.incremental.fragments import FragmentStore
from generator.incremental.parallel import MIN_ITEMS, Meanwhile, meanwhile
from generator.incremental.signature import input_signature, nothing_changed
from generator.incremental.store import BuildCache, Dependencies, LastBuild, Manifest

if TYPE_CHECKING:
    from generator.content.reader import Content
    from generator.incremental.store import ContentCache
    from generator.model import Post, Site

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class BuildState:
    """What one build trusts from the last, and keeps for the next (the store of its output folder)."""

    store: BuildCache
    output: Path
    use_cache: bool  # False: read and render everything (what is kept is still refreshed)
    cached: bool  # the cache's records of the output hold (its tree is the one they were saved for)
    forks: bool  # work may go to another process meanwhile (not in a process with threads: the dev server)
    jobs: int
    signature: str  # of the inputs as this build found them
    stats: dict[str, tuple[int, int]]  # each input file's (mtime, size), for the reader
    last: LastBuild | None  # the last build's record, when the cache's records hold for this output tree
    known: ContentCache | None = field(default=None, init=False)  # the content cache as loaded, once read
    previous: Manifest | None = field(default=None, init=False)  # the output as the last build left it, once planned

    @classmethod
    def open(
        cls,
        config: Config,
        store: BuildCache,
        output: Path,
        config_text: str,
        read: tuple[bool, bool],
        trusted: bool,
        use_cache: bool,
        forks: bool,
        jobs: int,
    ) -> BuildState:
        """The state of a build of `config` into `output`; `trusted`: the output tree is the one the cache knows."""
        stats: dict[str, tuple[int, int]] = {}
        signature = input_signature(config, read, output, config_text, stats)
        cached = use_cache and trusted
        last = store.load_last_build() if cached else None
        return cls(store, output, use_cache, cached, forks, jobs, signature, stats, last)

    def unchanged(self, now: dt.datetime) -> LastBuild | None:
        """The last build's record, when nothing changed since (then there is nothing to do)."""
        if self.last is not None and nothing_changed(self.last, self.signature, now, self.output):
            return self.last
        return None

    @functools.cached_property
    def checked(self) -> frozenset[str]:
        """The files of the last build into this output folder: looked for while the build reads."""
        last = self.last
        return frozenset(last.files) if last is not None and last.output == str(self.output) else frozenset()

    def checking(self, look: Callable[[frozenset[str]], T]) -> AbstractContextManager[Meanwhile]:
        """`look(checked)` done meanwhile (in another process, when there are many files to look for)."""
        checked = self.checked
        aside = self.forks and len(checked) >= MIN_ITEMS
        return meanwhile(functools.partial(look, checked), self.jobs if aside else 1)

    def content_cache(self) -> ContentCache | None:
        """What the reader kept of each file last time (None when told not to use the cache)."""
        self.known = self.store.load_content() if self.use_cache else None
        return self.known

    @contextmanager
    def saving(self, content: Content) -> Iterator[Meanwhile]:
        """Save the content cache, final once read, while the block plans and writes: in another
        process when many files were rendered (never the dev server's, which keeps it in memory)."""
        changed = content.cache_changed or self.known is None
        save = functools.partial(_save_content, self.store, content) if changed else _nothing
        aside = self.forks and content.rendered >= MIN_ITEMS
        with meanwhile(save, self.jobs if aside else 1) as saving:
            yield saving
        if not saving.ok:
            log.warning("the content cache could not be saved: the next build reads every file again")

    def fragments(self, fingerprints: Fingerprints) -> FragmentStore:
        """The fragments kept by earlier builds, valid while their posts look the same."""
        return FragmentStore(self.store.load_fragments() if self.use_cache else None, fingerprints.in_site)

    def earlier(self, structure: str, fingerprints: Fingerprints, posts: list[Post]) -> LastPages:
        """What the last build's pages were made from, to skip fingerprinting those whose inputs are the same."""
        self.previous = self.store.load_output() if self.cached else None
        return LastPages(structure, fingerprints, posts, self.previous)

    def record(self, content: Content, site: Site, outputs: Iterable[str], now: dt.datetime, warned: bool) -> LastBuild:
        """What the next build compares its inputs with."""
        moments = [moment for e in content.cache.values() for moment in (e.source.date, e.source.expires)]
        upcoming = [moment for moment in moments if moment and moment > now]  # a post comes due, or expires
        counts = (len(site.posts), len(site.pages))
        record = LastBuild(self.signature, min(upcoming, default=None), str(self.output), sorted(outputs), *counts)
        record.left_out, record.warned = content.left_out, warned
        return record

    def finish(
        self,
        manifest: Manifest,
        dependencies: Dependencies,
        fragments: FragmentStore,
        posts: list[Post],
        record: LastBuild,
    ) -> None:
        """Keep what this build made for the next: the manifest, the fragments, the build's record."""
        manifest.dependencies = dependencies
        self.store.save_output(manifest)
        self.store.save_fragments(fragments.current(posts))
        self.store.save_last_build(record)


def _save_content(store: BuildCache, content: Content) -> None:
    store.save_html(content.html, content.cache)  # before the entries whose HTML it holds
    store.save_content(content.cache)


def _nothing() -> Any:
    return None
