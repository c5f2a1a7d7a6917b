"""Bluesky backfeed: what answered a copy, read from the AppView (public: no session, no credentials).

app.bsky.feed.getPostThread gives the reply tree (THREAD_DEPTH levels, replies to replies threaded by
`in_reply_to`); getLikes, getRepostedBy and getQuotes give the rest, PAGE_SIZE at a time for at most
MAX_PAGES pages each. A list whose count on the copy is 0 is not read at all. Left out, with everything
under them: blocked and not-found entries, replies the writer hid (the threadgate's hiddenReplies), and
posts or accounts labelled not to be shown to logged-out readers (a static page is read logged out).
Reply and quote ids are the post's bsky.app URL by DID (stable across handle changes), their sources the
same URL by handle; likes and reposts are f"{copy.url}#liked-by-{did}" / "#reposted-by-{did}", their
sources the account's profile. Bluesky has no edits (`updated` stays None), and the AppView has no
ETags, so nothing is kept between polls.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from typing import Any

from generator.config import TargetSettings
from generator.errors import NetworkError
from generator.http import HttpClient
from generator.model import Response, ResponseAuthor, ResponseType
from generator.platforms.base import Copy, Harvest, PlatformError, json_object
from generator.platforms.bluesky.client import LINK, MENTION, POST, http_error, query, xrpc
from generator.sanitize import clean_html, clean_text, clean_url
from generator.sitedata.responses import time_or_none

log = logging.getLogger(__name__)

THREAD_DEPTH = 100  # levels of replies read at once (the AppView allows 1000; JSON that deep is too deep to parse)
PAGE_SIZE = 100  # the most getLikes / getRepostedBy / getQuotes give per page
MAX_PAGES = 5  # pages read per list: at most 500 likes, 500 reposts and 500 quotes per copy
MAX_REPLIES = 500  # replies kept per copy
WEB = "https://bsky.app"
WITHHELD = frozenset({"!no-unauthenticated", "!hide", "!takedown"})  # labels that keep a post or account off the page
LISTS: tuple[tuple[ResponseType, str, str, str], ...] = (  # (type, NSID, key of the items, count on the post)
    ("like", "app.bsky.feed.getLikes", "likes", "likeCount"),
    ("repost", "app.bsky.feed.getRepostedBy", "repostedBy", "repostCount"),
    ("quote", "app.bsky.feed.getQuotes", "posts", "quoteCount"),
)
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}")
_HANDLE = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")


def harvest(client: HttpClient, target: TargetSettings, copy: Copy, post_url: str) -> Harvest:
    """Everything that answers `copy` now, as Responses to `post_url`; complete unless a limit or a page cut it."""
    did, rkey = split_post_uri(copy.id)
    if not did:
        raise PlatformError(f"not a Bluesky post URI: {copy.id[:100]}", temporary=False)
    home = copy.url or post_link(did, rkey)
    params = {"uri": copy.id, "depth": str(THREAD_DEPTH), "parentHeight": "0"}
    body = query(client, target.appview, "app.bsky.feed.getPostThread", params, name=target.name, missing=("NotFound",))
    thread = body.get("thread") if isinstance(body, dict) else None
    if body is None or (isinstance(thread, dict) and thread.get("notFound")):
        log.info("Bluesky post %s of %s is gone: nothing answers it", copy.id, target.name)
        return Harvest(complete=True)
    if not isinstance(thread, dict) or not isinstance(thread.get("post"), dict) or thread.get("blocked"):
        raise PlatformError(
            f"Bluesky answered the thread of {home} for {target.name} with something else", temporary=True
        )
    found, complete = thread_responses(thread, post_url, hidden_replies(body), did)
    responses = {r.id: r for r in found}
    for kind, nsid, key, count in LISTS:
        if thread["post"].get(count) == 0:
            continue
        items, read_all = read_list(client, target, nsid, key, copy.id)
        complete = complete and read_all
        for item in items:
            response = list_response(kind, item, home, post_url, did)
            if response is not None:
                responses.setdefault(response.id, response)  # a quote that is also a reply stays a reply
    log.info(
        "Bluesky post %s of %s: %d response(s)%s",
        copy.id,
        target.name,
        len(responses),
        "" if complete else " (not all could be read)",
    )
    return Harvest(responses=tuple(responses.values()), complete=complete)


def thread_responses(
    thread: dict[str, Any], post_url: str, hidden: set[str], owner: str = ""
) -> tuple[list[Response], bool]:
    """The replies under a threadViewPost, depth first, and whether the tree was read whole."""
    found: list[Response] = []
    complete, seen = True, set[str]()
    stack: list[tuple[Any, str]] = [(node, "") for node in reversed(_list(thread.get("replies")))]
    while stack:
        node, parent = stack.pop()
        if not isinstance(node, dict) or node.get("blocked") or node.get("notFound"):
            continue
        post = node.get("post")
        if not isinstance(post, dict):
            continue
        uri = post.get("uri")
        if not isinstance(uri, str) or uri in hidden or uri in seen or withheld(post, owner):
            continue  # hidden by the writer, or not for logged-out readers (with its subtree), or seen
        seen.add(uri)
        response = post_response(post, "reply", post_url, parent)
        if response is None:
            continue
        if len(found) >= MAX_REPLIES:
            return found, False
        found.append(response)
        children = node.get("replies")
        if isinstance(children, list):
            stack += [(child, response.id) for child in reversed(children)]
        elif post.get("replyCount"):  # the depth limit cut the tree here
            complete = False
    return found, complete


def hidden_replies(body: dict[str, Any]) -> set[str]:
    """The URIs of the replies the writer hid (the thread's threadgate record)."""
    gate = body.get("threadgate")
    record = gate.get("record") if isinstance(gate, dict) else None
    hidden = _list(record.get("hiddenReplies")) if isinstance(record, dict) else []
    return {uri for uri in hidden if isinstance(uri, str)}


def read_list(client: HttpClient, target: TargetSettings, nsid: str, key: str, uri: str) -> tuple[list[Any], bool]:
    """The items of one paged list about `uri`, and whether they are all of them.

    A page that fails for a while (5xx, network, garbage) ends the list as incomplete; 429 and refusals raise."""
    items: list[Any] = []
    cursor = ""
    for _ in range(MAX_PAGES):
        params = {"uri": uri, "limit": str(PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
        body = _page(client, target, nsid, params)
        page = body.get(key) if isinstance(body, dict) else None
        if not isinstance(page, list):
            return items, False
        items += page
        following = body.get("cursor")
        if not page or not isinstance(following, str) or not following:
            return items, True
        if following == cursor:  # a server that does not move on
            return items, False
        cursor = following
    return items, False


def _page(client: HttpClient, target: TargetSettings, nsid: str, params: dict[str, str]) -> Any:
    """One page of a list, or None when it failed for a while; PlatformError for 429 and 4xx."""
    try:
        response = xrpc(client, target.appview, "GET", nsid, params=params)
        if response.status == 200:
            return response.json()
    except NetworkError as exc:
        log.warning("%s failed for %s (%s): not all responses were read", nsid, target.name, exc.problems[0].message)
        return None
    except RecursionError:
        log.warning("%s for %s answered JSON nested too deeply", nsid, target.name)
        return None
    if response.status >= 500:
        log.warning("%s failed for %s (HTTP %d): not all responses were read", nsid, target.name, response.status)
        return None
    raise http_error(response, target.name, nsid)


def list_response(kind: ResponseType, item: Any, home: str, post_url: str, owner: str = "") -> Response | None:
    """The Response of one getLikes like, getRepostedBy actor or getQuotes post (None if unusable or withheld)."""
    if not isinstance(item, dict):
        return None
    if kind == "quote":
        return None if withheld(item, owner) else post_response(item, "quote", post_url, "")
    actor = json_object(item.get("actor")) if kind == "like" else item
    did = actor.get("did")
    if not isinstance(did, str) or not _DID.fullmatch(did) or withheld(actor, owner):
        return None
    author = author_of(actor)
    published = published_of(item.get("createdAt"), item.get("indexedAt")) if kind == "like" else None
    suffix = "liked-by" if kind == "like" else "reposted-by"
    return Response(
        id=f"{home}#{suffix}-{did}",
        type=kind,
        source=author.url,
        target=post_url,
        author=author,
        published=published,
        platform="bluesky",
    )


def post_response(post: dict[str, Any], kind: ResponseType, post_url: str, in_reply_to: str) -> Response | None:
    """A postView (a reply or a quote) as a Response, or None when it is not a readable post."""
    did, rkey = split_post_uri(post.get("uri"))
    record = post.get("record")
    if not did or not isinstance(record, dict):
        return None
    text = _text(record.get("text"))
    profile = post.get("author")
    author = author_of(profile if isinstance(profile, dict) else {"did": did})
    handle = author.handle.removeprefix("@")
    return Response(
        id=post_link(did, rkey),
        type=kind,
        source=post_link(handle or did, rkey),
        target=post_url,
        author=author,
        content_html=clean_html(rich_text_html(text, record.get("facets"))),
        content_text=clean_text(text),
        published=published_of(record.get("createdAt"), post.get("indexedAt")),
        platform="bluesky",
        in_reply_to=in_reply_to,
    )


def author_of(actor: dict[str, Any]) -> ResponseAuthor:
    """A profileView as a ResponseAuthor: display name (else the handle), @handle, bsky.app profile, avatar."""
    did = _text(actor.get("did"))
    did = did if _DID.fullmatch(did) else ""
    handle = handle_of(actor)
    name = _text(actor.get("displayName"))
    return ResponseAuthor(
        name=clean_text(name, 200) or handle,
        url=profile_link(handle or did),
        photo=clean_url(actor.get("avatar")),
        handle=f"@{handle}" if handle else "",
    )


def handle_of(actor: dict[str, Any]) -> str:
    """The actor's handle, lower-cased, or "" when it is missing, invalid or unverified (handle.invalid)."""
    handle = actor.get("handle")
    if not isinstance(handle, str) or len(handle) > 253 or handle.lower() == "handle.invalid":
        return ""
    return handle.lower() if _HANDLE.fullmatch(handle.lower()) else ""


def withheld(view: dict[str, Any], owner: str = "") -> bool:
    """True for a post (postView) or account (profileView) labelled to be kept from logged-out readers
    (or hidden, or taken down); never for the writer's own (`owner`, their DID), who posted publicly anyway."""
    author = view.get("author") if isinstance(view.get("author"), dict) else None
    if owner and (author or view).get("did") == owner:
        return False
    labels = _list(view.get("labels")) + _list(author.get("labels") if author else None)
    return any(isinstance(label, dict) and label.get("val") in WITHHELD and not label.get("neg") for label in labels)


def split_post_uri(uri: Any) -> tuple[str, str]:
    """(did, rkey) of an at:// URI of an app.bsky.feed.post record, or ("", "")."""
    parts = uri.removeprefix("at://").split("/") if isinstance(uri, str) and uri.startswith("at://") else []
    if len(parts) != 3 or parts[1] != POST or not _DID.fullmatch(parts[0]) or not _RKEY.fullmatch(parts[2]):
        return "", ""
    return parts[0], parts[2]


def post_link(actor: str, rkey: str) -> str:
    """The bsky.app URL of a post, by DID or handle."""
    return f"{WEB}/profile/{actor}/post/{rkey}"


def profile_link(actor: str) -> str:
    """The bsky.app URL of a profile, by handle or DID ("" for neither)."""
    return clean_url(f"{WEB}/profile/{actor}") if actor else ""


def published_of(created: Any, indexed: Any) -> dt.datetime | None:
    """When a record counts as made: the earlier of createdAt (set by the client) and indexedAt, as Bluesky sorts."""
    times = [t for t in (time_or_none(created), time_or_none(indexed)) if t]
    return min(times) if times else None


def rich_text_html(text: str, facets: Any) -> str:
    """Plain post text as HTML: escaped, link and mention facets (UTF-8 byte ranges) made links, lines kept."""
    data = text.encode("utf-8")
    spans: list[tuple[int, int, str]] = []
    for facet in _list(facets):
        index = facet.get("index") if isinstance(facet, dict) else None
        start, end = (index.get("byteStart"), index.get("byteEnd")) if isinstance(index, dict) else (None, None)
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(data)):
            continue
        if _inside_character(data, start) or _inside_character(data, end):
            continue
        href = next(filter(None, (_href(f) for f in _list(facet.get("features")))), "")
        if href:
            spans.append((start, end, href))
    parts, position = [], 0
    for start, end, href in sorted(spans, key=lambda span: span[0]):  # the first of two at one place wins
        if start < position:  # overlaps the one before
            continue
        parts.append(_escape(data[position:start]))
        parts.append(f'<a href="{html.escape(href)}">{_escape(data[start:end])}</a>')
        position = end
    parts.append(_escape(data[position:]))
    paragraphs = (p.strip() for p in re.split(r"(?:<br>\s*){2,}", "".join(parts)))
    return "\n".join(f"<p>{p}</p>" for p in paragraphs if p)


def _href(feature: Any) -> str:
    """Where a facet feature links: a link's URI (http/https only), a mention's profile."""
    if not isinstance(feature, dict):
        return ""
    if feature.get("$type") == LINK:
        return clean_url(feature.get("uri"))
    did = feature.get("did")
    if feature.get("$type") == MENTION and isinstance(did, str) and _DID.fullmatch(did):
        return profile_link(did)
    return ""


def _inside_character(data: bytes, offset: int) -> bool:
    """True when `offset` falls inside a UTF-8 character (a facet made for other text)."""
    return offset < len(data) and data[offset] & 0xC0 == 0x80


def _escape(data: bytes) -> str:
    """Text bytes as escaped HTML, line breaks as <br>."""
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return html.escape(text, quote=False).replace("\n", "<br>")


def _text(value: Any) -> str:
    """`value` if it is a string, else ""."""
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    """`value` if it is a list, else an empty one (remote data has any shape)."""
    return value if isinstance(value, list) else []


__all__ = ["harvest", "rich_text_html"]
