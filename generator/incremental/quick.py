"""The dev server's quick render: an edited post's own page, written at once from the last build.

An incremental build still walks, reads and plans the whole site: at 10,000 posts that takes a
couple of seconds. When the only change is the text of one published post or page, its own page
needs nothing but that file and what the last build knew (its neighbours, terms, responses), so
it is rendered from the last good build's Snapshot and written in place, and the open page can
reload within milliseconds. The full build follows and brings lists, feeds and archives up to
date; finding this page already holding the bytes it makes, it leaves the file alone.

An edit that moves the post in the site (its date, URL, tags, draft state, aliases, episode...)
is not done here: the full build does it, as it does any other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.config import Config
from generator.content.publishing import ReadOptions
from generator.content.reader import Content, read_again
from generator.digest import digest
from generator.errors import HomepostError
from generator.incremental.store import BuildCache, OutputRecord
from generator.model import Post, Site
from generator.pipeline.pages import HtmlPage, own_page_with
from generator.render import Renderer
from generator.state import write_atomic

# What the build adds to a post after reading it: taken from the post as the last build had it.
FROM_LAST_BUILD = ("terms", "responses", "conversation", "syndication")


@dataclass(frozen=True, repr=False)
class Snapshot:
    """What a finished build knew, kept by the dev server to render one edited post on its own."""

    config: Config
    read: ReadOptions
    content: Content
    site: Site
    renderer: Renderer
    pages: list[HtmlPage]
    output: Path
    store: BuildCache  # holds the output manifest, which learns of the file written here


def quick_render(snapshot: Snapshot, rel: str) -> str | None:
    """Render and write the own page of the post or page in content file `rel`; its output path.

    None when the edit cannot be shown this way (a new, broken or unpublished file, or one whose
    place in the site changed); then only the full build shows it.
    """
    old = next((p for p in snapshot.site.posts + snapshot.site.pages if p.source == rel), None)
    if old is None:
        return None
    new = read_again(snapshot.config, snapshot.read, snapshot.content, rel)
    if new is None or not _same_place(old, new):
        return None
    for name in FROM_LAST_BUILD:
        setattr(new, name, getattr(old, name))
    dest = old.dest
    page = next((p for p in snapshot.pages if p.context.get("post") is old and p.dest == dest), None)
    if page is None:
        return None
    page = own_page_with(page, new)
    try:
        data = snapshot.renderer.render(page.template, page.info, **page.context).encode("utf-8")
    except HomepostError:
        return None  # a template that fails on this text: the full build reports it
    write_atomic(snapshot.output / page.dest, data, mode=0o644)
    _record(snapshot.store, page.dest, data)
    return page.dest


def _same_place(old: Post, new: Post) -> bool:
    """True when `new` differs from `old` only in what its own page shows (lists show titles and
    summaries too: the full build that follows brings them up to date)."""
    if new.place != old.place or new.scheduled != old.scheduled:
        return False
    return set(new.syndication) <= set(old.syndication)  # old: its front matter's copies and the outbox's


def _record(store: BuildCache, dest: str, data: bytes) -> None:
    """Tell the manifest what the file now holds, and that it must be made again (no fingerprint)."""
    manifest = store.load_output()
    if manifest is not None and dest in manifest.files:  # replaced, never added: a build may be reading it
        manifest.files[dest] = OutputRecord(None, digest(data))
