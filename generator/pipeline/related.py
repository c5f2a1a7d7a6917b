"""What a post's page links besides itself: related posts by shared tags, and the search index.

Related posts are found through an index of tag -> posts made once per build. A post's candidates
are the posts of its tags; of a tag on very many posts only the newest `SCAN` are looked at, so
that a tag on every post costs `SCAN` looks per post rather than one per post of the site (the
whole work grows with the number of posts, never with its square). Each candidate's count of
shared tags is exact; a candidate is missed only when every tag it shares is a crowded one and it
is older than those tags' newest `SCAN` posts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import overload

from generator.digest import quick_digest
from generator.model import Post
from generator.text import truncate

RELATED = 5  # related posts shown under a post, at most
SCAN = 30  # posts looked at per tag and post
EXCERPT = 300  # characters of text per post in the search index


class Related:
    """Every post's related posts, each found when first asked for: an edit build, which fingerprints
    and renders a few pages, asks for a few; the index of tag -> posts is made on the first question."""

    def __init__(self, posts: list[Post], limit: int = RELATED, scan: int = SCAN) -> None:
        self.posts, self.limit, self.scan = posts, limit, scan  # `posts` newest first, as the site lists them
        self._made = False
        self._order: dict[str, int] = {}  # source -> rank in `posts`, 0 is the newest
        self._names: list[frozenset[str]] = []  # by rank: the post's tag names
        self._masks: list[int] = []  # by rank: the post's tags as bits, one bit per tag of the site
        self._newest: dict[str, tuple[int, ...]] = {}  # tag -> ranks of its newest `scan` + 1 posts

    def of(self, post: Post) -> RelatedPosts:
        """The related posts of `post`, found when a template or a fingerprint first reads them."""
        return RelatedPosts(self, post.source)

    def __getitem__(self, source: str) -> list[Post]:
        """The related posts of the post read from `source`: most shared tags first, then the newest."""
        if not self._made:
            self._make_index()
        me = self._order[source]
        names, newest, masks, count = self._names[me], self._newest, self._masks, len(self.posts)
        if len(names) == 1:  # every candidate shares the one tag: the newest come first, as the tag lists them
            [name] = names
            return [self.posts[rank] for rank in newest[name] if rank != me][: self.limit]
        candidates = set().union(*[newest[name] for name in names])  # the post itself may be among them
        candidates.discard(me)
        mask = masks[me]
        # One int per candidate, smallest first: most shared tags (counted exactly), then the newest.
        keys = [rank - (mask & masks[rank]).bit_count() * count for rank in candidates]
        keys.sort()
        return [self.posts[key % count] for key in keys[: self.limit]]

    def _make_index(self) -> None:
        self._order = {post.source: rank for rank, post in enumerate(self.posts)}
        self._names = [frozenset(term.name for term in post.tags) for post in self.posts]
        bits: dict[str, int] = {}
        ranks: dict[str, list[int]] = {}
        for rank, names in enumerate(self._names):
            mask = 0
            for name in names:
                mask |= 1 << bits.setdefault(name, len(bits))
                ranks.setdefault(name, []).append(rank)  # newest first, as `posts`
            self._masks.append(mask)
        self._newest = {name: tuple(found[: self.scan + 1]) for name, found in ranks.items()}
        self._made = True


class RelatedPosts(Sequence[Post]):
    """One post's related posts as a page is given them: found on first reading, then kept."""

    __slots__ = ("_related", "_source", "_found")

    def __init__(self, related: Related, source: str) -> None:
        self._related, self._source = related, source
        self._found: list[Post] | None = None

    @property
    def found(self) -> list[Post]:
        """The posts, found now if not yet."""
        if self._found is None:
            self._found = self._related[self._source]
        return self._found

    @overload
    def __getitem__(self, index: int) -> Post: ...

    @overload
    def __getitem__(self, index: slice) -> list[Post]: ...

    def __getitem__(self, index: int | slice) -> Post | list[Post]:
        return self.found[index]

    def __len__(self) -> int:
        return len(self.found)

    def __iter__(self) -> Iterator[Post]:
        return iter(self.found)


def related_posts(posts: list[Post], limit: int = RELATED, scan: int = SCAN) -> Related:
    """Each post's related posts, by source: most shared tags first, then the newest; none without a shared tag."""
    return Related(posts, limit, scan)


def search_fingerprint(posts: list[Post]) -> str:
    """A digest of what the search index is made from (not of whole posts: an edit past a post's
    summary leaves the index as it was, and so unmade)."""
    text = "".join(  # no front matter string holds a control character: these separate fields and posts
        [
            f"{post.title}\0{post.path}\0{post.date}\0{post.summary_text}\0{chr(2).join(t.name for t in post.tags)}\1"
            for post in posts
        ]
    )
    return quick_digest("search", EXCERPT, text)


def search_index(posts: list[Post], excerpt: int = EXCERPT) -> bytes:
    """The search page's index: title, path, date, tags and the start of the text of each post.

    Compact and reproducible: the posts in the site's order, keys in a fixed order, no spaces.
    """
    entries = []
    for post in posts:
        text = " ".join(post.summary_text.split())
        date = post.date.date().isoformat() if post.date else ""
        tags = [term.name for term in post.tags]
        entries.append({"t": post.title or "", "u": post.path, "d": date, "g": tags, "x": truncate(text, excerpt)})
    return json.dumps({"v": 1, "posts": entries}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
