"""A post's responses as its page shows them: moderated, deduplicated, threaded.

Every source is treated alike. Moderation (`[moderation]` in site.toml) drops responses by a
blocked domain, handle or author URL, containing a blocked word, or hidden one by one. Duplicates
collapse: the same person's like or repost seen through a platform's API and through a Bridgy-style
webmention is one, and so is the same reply (same author, same text); the platform's own entry
wins over the relayed one. Replies nest under the response they answer, oldest first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Set
from urllib.parse import urlsplit

from generator.config import Config, ModerationSettings
from generator.digest import digest
from generator.model import Conversation, Response, ThreadItem
from generator.sitedata.avatars import AVATARS_DIR, avatar_name

FALLBACK_AVATAR = "assets/avatar.svg"
REPLY_TYPES = ("reply", "comment")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_OWN_FRAGMENT = re.compile(r"(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{1,64}")  # a digit in it: never one of the theme's ids


def conversation(config: Config, responses: Iterable[Response], avatars: Set[str]) -> Conversation:
    """The page's view of a post's responses; `avatars` names the pictures stored in the data folder."""
    kept = dedupe(r for r in responses if not blocked(config.moderation, r))
    ordered = sorted(kept, key=lambda r: (r.published or _EPOCH, r.id))
    anchors = _anchors(ordered)

    def item(response: Response, children: tuple[ThreadItem, ...] = ()) -> ThreadItem:
        name = avatar_name(response.author.photo) if response.author.photo else ""
        avatar = config.path_url(f"{AVATARS_DIR}/{name}" if name in avatars else FALLBACK_AVATAR)
        return ThreadItem(response, anchors[response.id], avatar, children)

    replies = [r for r in ordered if r.type in REPLY_TYPES]
    ids = {r.id for r in replies}
    children: dict[str, list[Response]] = {}
    for reply in replies:
        parent = reply.in_reply_to if reply.in_reply_to in ids and reply.in_reply_to != reply.id else ""
        children.setdefault(parent, []).append(reply)

    def tree(parent: str, seen: frozenset[str]) -> tuple[ThreadItem, ...]:
        return tuple(item(r, tree(r.id, seen | {r.id})) for r in children.get(parent, []) if r.id not in seen)

    of = lambda *types: tuple(item(r) for r in ordered if r.type in types)  # noqa: E731
    threaded = tree("", frozenset())
    return Conversation(threaded, of("like"), of("repost"), of("bookmark"), of("mention", "quote"), _count(threaded))


def _count(items: tuple[ThreadItem, ...]) -> int:
    return sum(1 + _count(i.children) for i in items)


def _anchors(responses: list[Response]) -> dict[str, str]:
    """Each response's id in the page, by response id: `anchor_of`, or its digest when another took that one."""
    found: dict[str, str] = {}
    taken: set[str] = set()
    for response in responses:
        anchor = anchor_of(response)
        found[response.id] = anchor if anchor not in taken else "response-" + digest(response.id)[:10]
        taken.add(found[response.id])
    return found


def anchor_of(response: Response) -> str:
    """A stable id for a response's element in the page: the fragment its URL names on this very post's page
    (`POST_URL#comment-123`, as old WordPress links ask for), else one of its own."""
    for url in (response.url, response.source):
        page, _, fragment = url.partition("#")
        if page and page == response.target and _OWN_FRAGMENT.fullmatch(fragment):
            return fragment
    fragment = response.source.partition("#")[2]
    if response.platform == "comment" and re.fullmatch(r"comment-[A-Za-z0-9_-]{1,40}", fragment):
        return fragment
    return "response-" + digest(response.id)[:10]


def blocked(moderation: ModerationSettings, response: Response) -> bool:
    """True when `[moderation]` keeps this response off the site."""
    if (
        response.id in moderation.hide
        or response.source in moderation.hide
        or (response.url and response.url in moderation.hide)
    ):
        return True
    author = response.author
    hosts = {urlsplit(u).hostname or "" for u in (author.url, response.source, response.url) if u}
    handle = author.handle.lower().lstrip("@")
    for rule in moderation.block:
        rule = rule.strip().lower()
        if rule.startswith(("http://", "https://")):
            if author.url.lower().rstrip("/") == rule.rstrip("/"):
                return True
        elif rule.startswith("@"):
            if handle and handle == rule.lstrip("@"):
                return True
        elif any(host == rule or host.endswith("." + rule) for host in hosts):
            return True
    text = f"{response.name} {response.content_text} {response.author.name}".lower()
    return any(re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", text) for word in moderation.words)


def dedupe(responses: Iterable[Response]) -> list[Response]:
    """One entry per like/repost/bookmark per person, one per reply; a platform's own entry beats a relayed one."""
    chosen: dict[tuple[str, ...], Response] = {}
    for response in sorted(responses, key=lambda r: r.platform == "web"):  # API entries first
        key = _key(response)
        if key not in chosen:
            chosen[key] = response
    by_source = {r.source for r in chosen.values()}
    return [r for r in chosen.values() if not (r.url and r.url != r.source and r.url in by_source)]


def _key(response: Response) -> tuple[str, ...]:
    who = response.author.url.rstrip("/").lower() or response.author.name.lower() or response.source
    if response.type in ("like", "repost", "bookmark"):
        return (response.type, who)
    words = " ".join(response.content_text.split()).lower()
    return ("reply", who, words) if words else ("id", response.id)
