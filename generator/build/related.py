"""What a post's page links besides itself: related posts by shared tags, and the search index.

Related posts are found through an index of tag -> posts made once per build. A post's candidates
are the posts of its tags; of a tag on very many posts only the newest `SCAN` are looked at, so
that a tag on every post costs `SCAN` looks per post rather than one per post of the site (the
whole work grows with the number of posts, never with its square). Each candidate's count of
shared tags is exact; a candidate is missed only when every tag it shares is a crowded one and it
is older than those tags' newest `SCAN` posts.
"""

from __future__ import annotations

import heapq
import json

from generator.model import Post
from generator.text import truncate

RELATED = 5  # related posts shown under a post, at most
SCAN = 30  # posts looked at per tag and post
EXCERPT = 300  # characters of text per post in the search index


def related_posts(posts: list[Post], limit: int = RELATED, scan: int = SCAN) -> dict[str, list[Post]]:
    """Each post's related posts (by source): most shared tags first, then the newest; none without a shared tag.

    `posts` is newest first, as the site lists them; the result keeps only posts with related ones.
    """
    order = {post.source: rank for rank, post in enumerate(posts)}  # 0 is the newest
    tags = {post.source: frozenset(term.name for term in post.tags) for post in posts}
    index: dict[str, list[Post]] = {}
    for post in posts:
        for name in tags[post.source]:
            index.setdefault(name, []).append(post)  # newest first, as `posts`
    related: dict[str, list[Post]] = {}
    for post in posts:
        own = tags[post.source]
        candidates: dict[str, Post] = {}
        for name in own:
            for other in index[name][: scan + 1]:  # one more: the post itself may be among them
                candidates.setdefault(other.source, other)
        candidates.pop(post.source, None)
        if candidates:
            related[post.source] = heapq.nsmallest(
                limit, candidates.values(), key=lambda other: (-len(own & tags[other.source]), order[other.source])
            )
    return related


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
