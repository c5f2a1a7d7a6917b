"""Partials that depend on one post only (`fragment()` in templates), kept between builds.

A post's entry on the home page, on each of its tag pages and in the archive is the same
markup. It is rendered once per build, and kept in the build cache with a stamp of what it was
made from: the site's inputs (configuration, templates) and every field of the post a template
could show. A later build whose stamp for the post is equal reuses the markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Entries = dict[tuple[str, str], str]  # (page language, template) -> HTML, for one post
Kept = tuple[Any, Entries]  # (stamp, entries)


class FragmentStore:
    """Rendered fragments by post source file: what earlier builds kept, and what this one added."""

    def __init__(self, kept: dict[str, Kept] | None, stamp_of: Callable[[Any], Any]):
        self.kept = kept or {}
        self.stamp_of = stamp_of  # equal for two builds only if nothing the post shows has changed
        self.new: dict[str, Kept] = {}

    def get(self, lang: str, template: str, post: Any) -> str | None:
        """The kept or new HTML of `template` for `post` in `lang`, if any."""
        stamp = self.stamp_of(post)
        found = self.new.get(post.source)
        if found is not None and found[0] == stamp:
            html = found[1].get((lang, template))
            if html is not None:
                return html
        found = self.kept.get(post.source)
        return found[1].get((lang, template)) if found is not None and found[0] == stamp else None

    def put(self, lang: str, template: str, post: Any, html: str) -> None:
        """Remember a fragment rendered now."""
        stamp = self.stamp_of(post)
        found = self.new.get(post.source)
        if found is None or found[0] != stamp:
            found = self.new[post.source] = (stamp, {})
        found[1][(lang, template)] = html

    def take_new(self) -> dict[str, Kept]:
        """The fragments added since the last call (a worker process hands them to the parent)."""
        new, self.new = self.new, {}
        return new

    def absorb(self, new: dict[str, Kept]) -> None:
        """Add fragments another process rendered."""
        for source, (stamp, entries) in new.items():
            found = self.new.get(source)
            if found is None or found[0] != stamp:
                self.new[source] = (stamp, dict(entries))
            else:
                found[1].update(entries)

    def current(self, posts: list[Any]) -> dict[str, Kept]:
        """What to keep for the next build: the fragments of these posts as they are now."""
        result: dict[str, Kept] = {}
        for post in posts:
            stamp = self.stamp_of(post)
            kept, new = self.kept.get(post.source), self.new.get(post.source)
            kept = kept if kept is not None and kept[0] == stamp else None
            new = new if new is not None and new[0] == stamp else None
            if new is None:
                if kept is not None:
                    result[post.source] = kept  # the same object: its shard of the cache is not written again
            else:
                result[post.source] = (stamp, {**kept[1], **new[1]}) if kept else new
        return result
