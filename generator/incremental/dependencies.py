"""Which posts each page shows: what lets a build after an edit fingerprint only the pages it reaches.

A page's fingerprint is made from the site's structure (see `site_structure`: the site-wide
inputs and where every post is) and the digests of the posts it covers. The output manifest keeps,
with its records, the structure, each post's digest and the posts each page covers (`Dependencies`).
While the structure is the same, a page none of whose posts has a new digest has the fingerprint
it had; only the pages that show an edited post are fingerprinted again.

The records and their dependencies are saved one after the other; a save that stops in between
leaves a note of the posts whose digests were changing (`BuildCache._save_manifest`), and the next
build counts those posts as changed.
"""

from __future__ import annotations

from generator.incremental.fingerprint import Fingerprints
from generator.incremental.store import Dependencies, Manifest, OutputRecord
from generator.model import Post


class LastPages:
    """The last build's fingerprints of the pages whose inputs did not change since."""

    def __init__(self, structure: str, fingerprints: Fingerprints, posts: list[Post], manifest: Manifest | None):
        self.structure = structure
        self.digests: dict[str, str | None] = {post.source: fingerprints.post(post) for post in posts}
        last = manifest.dependencies if manifest is not None else None
        self.usable = last is not None and last.structure == structure
        self.covers: dict[str, tuple[str, ...]] = last.covers if last is not None and self.usable else {}
        self.records: dict[str, OutputRecord] = manifest.files if manifest is not None and self.usable else {}
        self.changed: set[str] = set()  # pages that show a post whose digest is not the one they were made with
        if last is not None and self.usable:
            before = last.digests
            posts_changed = {source for source, known in self.digests.items() if before.get(source) != known}
            posts_changed.update(
                source for source, known in before.items() if known is None or source not in self.digests
            )
            if posts_changed:
                self.changed = {dest for dest, sources in self.covers.items() if not posts_changed.isdisjoint(sources)}

    def fingerprint(self, dest: str) -> object:
        """The fingerprint page `dest` had and still has, or None when it must be fingerprinted."""
        if dest in self.changed or dest not in self.covers:
            return None
        record = self.records.get(dest)
        return record.fingerprint if record is not None else None  # None too after the dev server's quick render

    def dependencies(self, covers: dict[str, tuple[str, ...]]) -> Dependencies:
        """What this build's pages are made from, given the posts each one covers."""
        return Dependencies(self.structure, self.digests, covers)
