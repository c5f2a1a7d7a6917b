"""`GET /api/mentions`: the verified mentions, approved comments and fediverse responses as one jf2 feed.

`?target=URL` gives those of one page, `?since=ISO8601` every mention created, updated or deleted
and every comment approved or withdrawn since then (deleted ones with `"deleted": true`); both may
be combined. Nothing from the queue, no pending comment and no addresses are shown.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from generator.sitedata.responses import parse_time
from generator.webmention.jf2 import response_to_jf2
from generator.webmention.receiver.comments import comment_to_jf2
from generator.webmention.receiver.store import Store
from generator.webmention.receiver.web import MAX_FIELDS, Headers, json_answer

if TYPE_CHECKING:
    from generator.fediverse.inbox_store import FediverseStore

API_PATH = "/api/mentions"


def mentions_feed(
    store: Store, fediverse: FediverseStore, params: dict[str, list[str]] | None
) -> tuple[str, Headers, bytes]:
    """The answer to `GET /api/mentions` with the query's `params` (None: too many of them)."""
    if params is None:
        return json_answer("400 Bad Request", {"error": f"too many query parameters (at most {MAX_FIELDS})"})
    target = params.get("target", [None])[0] or None
    since_text = params.get("since", [None])[0] or None
    if since_text and "T" in since_text:  # a "+" typed unencoded into a URL arrives as a space
        since_text = re.sub(r" (\d\d:?\d\d)$", r"+\1", since_text.strip())
    try:
        since = parse_time(since_text, "since")
    except ValueError:
        return json_answer(
            "400 Bad Request", {"error": "since: expected an ISO 8601 time such as 2026-01-31T12:00:00Z"}
        )
    entries = [
        (
            mention.changed if since else mention.received,
            mention.response.source,
            response_to_jf2(mention.response, received=mention.received, deleted=mention.deleted),
        )
        for mention in store.mentions(target=target, since=since)
    ]
    comments = store.comment_changes(since, target) if since else store.comments(status="approved", target=target)
    entries += [
        ((comment.decided_at if since else None) or comment.created, comment.source, comment_to_jf2(comment))
        for comment in comments
    ]
    entries += [
        (
            item.changed if since else item.received,
            item.response.source,
            response_to_jf2(item.shown, received=item.received, deleted=item.deleted),
        )
        for item in fediverse.responses(target=target, since=since)
    ]
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return json_answer("200 OK", {"type": "feed", "children": [entry for _, _, entry in entries]})
