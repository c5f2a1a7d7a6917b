"""Which posts each page shows: what lets a build after an edit fingerprint only the pages it reaches.

A page's fingerprint is made from the site's structure (see `site_structure`: the site-wide
inputs and where every post is) and the digests of the posts it covers. The last build kept, for
every page, the sources of those posts (`Dependencies`) and, in the page's output record, a key:
a digest of the structure and of those posts' digests. While the structure is the same, a page
whose key is unchanged has the fingerprint it had; only the pages that show an edited post are
fingerprinted again. Each record's key was made together with its fingerprint and is saved with
it, so a build that stopped half way through saving never leaves a key that lies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from generator.build.cache import Manifest, OutputRecord
from generator.build.fingerprint import Fingerprints
from generator.model import Post


@dataclass
class Dependencies:
    """The posts each page's fingerprint covered, in a site of one structure."""

    structure: str  # site_structure() of the build that made it
    covers: dict[str, tuple[str, ...]]  # page (output path) -> content files of the posts it shows


class LastPages:
    """The last build's fingerprints of the pages whose inputs did not change since."""

    def __init__(self, structure: str, fingerprints: Fingerprints, posts: list[Post],
                 dependencies: Dependencies | None, manifest: Manifest | None):  # fmt: skip
        self.structure = structure
        self.digests = {post.source: fingerprints.post(post) for post in posts}
        usable = dependencies is not None and manifest is not None and dependencies.structure == structure
        self.covers = dependencies.covers if dependencies is not None and usable else {}
        self.records: dict[str, OutputRecord] = manifest.files if manifest is not None and usable else {}

    def key(self, sources: tuple[str, ...]) -> str:
        """The key of a page covering the posts in `sources`, in this site."""
        # Fixed-width digests: their concatenation is unambiguous ("?" for a post no longer there).
        digests = self.digests
        text = self.structure + "".join([digests.get(source, "?") for source in sources])
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def unchanged(self, dest: str) -> tuple[str, str, tuple[str, ...]] | None:
        """(fingerprint, key, sources) of page `dest` as the last build made it, if still true."""
        sources = self.covers.get(dest)
        record = self.records.get(dest)
        if sources is None or record is None or record.fingerprint is None or record.key is None:
            return None  # unknown, or written by the dev server's quick render: fingerprint it
        key = self.key(sources)
        return (record.fingerprint, key, sources) if key == record.key else None  # type: ignore[return-value]
