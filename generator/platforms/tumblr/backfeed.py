"""Tumblr backfeed: the notes of a copy (replies, likes, reblogs) read from /v2/blog/{blog}/notes, as Responses.

Two modes of the notes method are read, each page by page along `_links.next` (its query params
taken as they are: `before_timestamp` is in seconds in one mode, microseconds in another).
"conversation" holds the replies and the reblogs that added text (quotes); "rollup" the likes and
every reblog (one already seen with added text stays a quote). Replies on Tumblr are flat and plain
text: each answers the copy (`in_reply_to` stays empty), its text escaped, then sanitised. Tumblr
gives no edit time, so `updated` stays empty. A copy that is gone (404/410) has nothing answering it:
an empty, complete harvest. Ids, stable across runs:

    reply   {copy.url}#reply-{blog_name}-{timestamp}
    like    {copy.url}#liked-by-{blog_name}
    reblog  https://{blog_name}.tumblr.com/post/{post_id}, or {copy.url}#reblogged-by-{blog_name}
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from generator.model import Response, ResponseAuthor
from generator.platforms.base import Copy, Harvest, PlatformError
from generator.platforms.tumblr.client import Api
from generator.sanitize import clean_html, clean_text, clean_url

log = logging.getLogger(__name__)

PLATFORM = "tumblr"
MODES = ("conversation", "rollup")  # replies and quotes; then likes and reblogs
MAX_PAGES = 10  # pages read per mode and copy
MAX_RESPONSES = 500  # responses kept per copy
AVATAR = "https://api.tumblr.com/v2/blog/{name}.tumblr.com/avatar/64"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")  # a blog name: letters, digits and hyphens
_POST_ID = re.compile(r"[0-9]{1,20}")


def harvest(api: Api, host: str, copy: Copy, post_url: str) -> Harvest:
    """Every note on the copy that answers it, as Responses; complete unless a limit or a later page cut it short."""
    found: dict[str, Response] = {}
    complete = True
    for mode in MODES:
        params: dict[str, str] = {"id": copy.id, "mode": mode}
        for _ in range(MAX_PAGES):
            try:
                answer = api.read(f"/v2/blog/{host}/notes", params)
            except PlatformError as exc:
                if found and exc.temporary and exc.retry_after is None:  # keep what was read; the rest next time
                    log.warning("%s: notes of %s cut short: %s", api.name, copy.url, exc.message)
                    return _done(found, complete=False)
                raise
            if answer is None:
                log.info("%s: %s is gone; nothing answers it", api.name, copy.url)
                return Harvest(complete=True)
            notes = answer.get("notes")
            for note in notes if isinstance(notes, list) else []:
                response = note_response(note, copy, post_url) if isinstance(note, dict) else None
                if response is not None:
                    _keep(found, response)
            if len(found) >= MAX_RESPONSES:
                log.info("%s: %s has more than %d responses; kept the newest", api.name, copy.url, MAX_RESPONSES)
                return _done(found, complete=False)
            following = next_params(answer, params)
            if following is None:
                break
            if following == params:  # a next link that goes nowhere
                complete = False
                break
            params = following
        else:  # MAX_PAGES read and still more
            complete = False
    return _done(found, complete)


def next_params(answer: dict[str, Any], params: dict[str, str]) -> dict[str, str] | None:
    """The query for the page after this one (from `_links.next`), or None on the last page."""
    links = answer.get("_links")
    following = links.get("next") if isinstance(links, dict) else None
    if not isinstance(following, dict):
        return None
    query = following.get("query_params")
    if isinstance(query, dict) and query:
        pairs = {
            str(k): str(v) for k, v in query.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)
        }
    else:
        pairs = dict(parse_qsl(urlsplit(str(following.get("href") or "")).query))
    pairs.pop("api_key", None)
    return {**pairs, "id": params["id"], "mode": params["mode"]}  # never wander to another post or mode


def note_response(note: dict[str, Any], copy: Copy, post_url: str) -> Response | None:
    """One note as a Response: a reply, a like, a reblog (repost, or quote when it added text); None for others."""
    kind, name = note.get("type"), note.get("blog_name")
    if kind not in ("reply", "like", "reblog") or not isinstance(name, str) or not _NAME.fullmatch(name):
        return None
    when = _time(note.get("timestamp"))
    blog = clean_url(note.get("blog_url")) or f"https://{name}.tumblr.com/"
    author = ResponseAuthor(
        name=clean_text(str(note.get("blog_title") or name), 200),
        url=blog,
        photo=_avatar(note, name),
        handle=f"@{name}",
    )
    common: dict[str, Any] = {"target": post_url, "author": author, "published": when, "platform": PLATFORM}
    if kind == "reply":
        if when is None:  # no stable id without its time
            return None
        text = clean_text(str(note.get("reply_text") or ""))
        reply_id = f"{copy.url}#reply-{name}-{int(when.timestamp())}"
        return Response(
            id=reply_id, type="reply", source=reply_id, content_html=text_html(text), content_text=text, **common
        )
    if kind == "like":
        return Response(id=f"{copy.url}#liked-by-{name}", type="like", source=blog, **common)
    post_id = str(note.get("post_id") or "")
    url = f"https://{name}.tumblr.com/post/{post_id}" if _POST_ID.fullmatch(post_id) else ""
    added = clean_text(str(note.get("added_text") or ""))
    return Response(
        id=url or f"{copy.url}#reblogged-by-{name}",
        type="quote" if added else "repost",
        source=url or blog,
        content_html=text_html(added),
        content_text=added,
        **common,
    )


def text_html(text: str) -> str:
    """Plain text as sanitised HTML: escaped, blank lines between paragraphs, single line breaks kept."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return clean_html("".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs))


def _keep(found: dict[str, Response], response: Response) -> None:
    """Add `response` unless its id is there already; a quote replaces the repost of the same reblog."""
    seen = found.get(response.id)
    if seen is None or (seen.type == "repost" and response.type == "quote"):
        found[response.id] = response


def _done(found: dict[str, Response], complete: bool) -> Harvest:
    """The harvest, oldest first."""
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    ordered = sorted(found.values(), key=lambda r: (r.published or oldest, r.id))
    return Harvest(responses=tuple(ordered), complete=complete)


def _time(value: object) -> dt.datetime | None:
    """A note's timestamp (seconds, or milli- or microseconds) as an aware datetime, or None."""
    try:
        seconds = float(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None
    except ValueError:
        return None
    if seconds is None or seconds <= 0:
        return None
    while seconds > 100_000_000_000:  # milli- or microseconds
        seconds /= 1000
    try:
        return dt.datetime.fromtimestamp(int(seconds), dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _avatar(note: dict[str, Any], name: str) -> str:
    """The note's 64 px avatar (`avatar_url` by size, or an `avatar` list), else Tumblr's avatar URL for the blog."""
    sizes = note.get("avatar_url")
    if isinstance(sizes, dict):
        for size in ("64", "128", "96", "48"):
            url = clean_url(sizes.get(size))
            if url:
                return url
    listed = note.get("avatar")
    if isinstance(listed, list):
        for item in sorted((i for i in listed if isinstance(i, dict)), key=lambda i: abs(_int(i.get("width")) - 64)):
            url = clean_url(item.get("url"))
            if url:
                return url
    return AVATAR.format(name=name)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
