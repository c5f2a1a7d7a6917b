"""Partials that depend on one post only (`fragment()` in templates), kept between builds.

A post's entry on the home page, on each of its tag pages and in the archive is the same
markup. It is rendered once per build, and kept in the build cache under a key that digests the
site's inputs (configuration, templates) and every field of the post a template could show; a
build that finds the key reuses the markup instead of rendering it again.
"""

from __future__ import annotations

from typing import Any, Callable

Entries = dict[tuple[str, str], str]  # (page language, template) -> HTML, for one post


class FragmentStore:
    """Rendered fragments by post key: what earlier builds kept, and what this one added."""

    def __init__(self, kept: dict[str, Entries] | None, key_of: Callable[[Any], str]):
        self.kept = kept or {}
        self.key_of = key_of  # a post's key: changes whenever anything it shows (or the site's inputs) changes
        self.new: dict[str, Entries] = {}

    def get(self, lang: str, template: str, post: Any) -> str | None:
        """The kept or new HTML of `template` for `post` in `lang`, if any."""
        key = self.key_of(post)
        found = self.new.get(key) or self.kept.get(key)
        return found.get((lang, template)) if found else None

    def put(self, lang: str, template: str, post: Any, html: str) -> None:
        """Remember a fragment rendered now."""
        self.new.setdefault(self.key_of(post), {})[(lang, template)] = html

    def take_new(self) -> dict[str, Entries]:
        """The fragments added since the last call (a worker process hands them to the parent)."""
        new, self.new = self.new, {}
        return new

    def absorb(self, new: dict[str, Entries]) -> None:
        """Add fragments another process rendered."""
        for key, entries in new.items():
            self.new.setdefault(key, {}).update(entries)

    def current(self, posts: list[Any]) -> dict[str, Entries]:
        """What to keep for the next build: the fragments of these posts as they are now."""
        result: dict[str, Entries] = {}
        for post in posts:
            key = self.key_of(post)
            kept, new = self.kept.get(key), self.new.get(key)
            if new is None:
                if kept is not None:
                    result[key] = kept  # the same object: its shard of the cache is not written again
            else:
                result[key] = {**kept, **new} if kept else new
        return result
