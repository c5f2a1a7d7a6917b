"""Backfeed from Mastodon: what answered a copy (its reply tree, favourites, boosts, quotes) as Responses.

One request for the whole reply tree (`GET /api/v1/statuses/:id/context`, whose `descendants`
are threaded by `in_reply_to_id`), then the accounts that favourited and boosted the copy and the
statuses that quote it (`/quotes`, Mastodon 4.5+, with the author's token only), each paginated by
its Link header. Only public and unlisted statuses are kept: a followers-only or direct reply the
writer's token can see is not for a public page, nor is anything that answers it.

Harvests are complete only when every page was read: without a token Mastodon shows at most 60
descendants and no quotes, so a token-less harvest is never complete; a page that fails (other
than a rate limit or a refused token, which raise) or a bound that cuts a list leaves it incomplete.
A server without quotes answers 404 there; that is remembered in the state for QUOTES_RECHECK.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections import deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

from generator.errors import NetworkError
from generator.http import Response as HttpResponse
from generator.model import Response, ResponseAuthor, ResponseType
from generator.platforms.base import Copy, Harvest, PlatformError
from generator.platforms.mastodon.client import Api, next_page
from generator.sanitize import clean_html, clean_text, clean_url
from generator.sitedata.responses import time_or_none
from generator.text import html_to_text

log = logging.getLogger(__name__)

PLATFORM = "mastodon"
MAX_REPLIES = 300  # statuses of the reply tree kept per copy
MAX_PAGES = 5  # pages read per list (favourites, boosts, quotes) per copy
ACCOUNTS_PAGE = 80  # accounts per page of favourited_by / reblogged_by (Mastodon's maximum)
QUOTES_PAGE = 40  # statuses per page of quotes (Mastodon's maximum)
QUOTES_RECHECK = dt.timedelta(days=7)  # how long "this server has no quotes" is believed
VISIBLE = ("public", "unlisted")
NO_QUOTES = (404, 405, 501)  # what servers without the quotes endpoint answer
_SOFT = tuple(code for code in range(400, 600) if code not in (401, 403))  # answers a page may fail with softly
_QUOTE_INLINE = re.compile(r"""<p\s+class\s*=\s*["']quote-inline["'][^>]*>.*?</p>""", re.IGNORECASE | re.DOTALL)


class _Gone(Exception):
    """The copy disappeared while it was being read."""


def harvest(api: Api, copy: Copy, post_url: str, state: dict[str, str], now: dt.datetime | None = None) -> Harvest:
    """Everything that answers `copy` now, as Responses whose target is `post_url`."""
    now = now or dt.datetime.now(dt.UTC)
    base = f"/api/v1/statuses/{quote(copy.id, safe='')}"
    home = copy.url or f"{api.base}/statuses/{quote(copy.id, safe='')}"
    host = urlsplit(api.base).netloc
    answer = api.call("GET", f"{base}/context", "reading the replies", accept=(404, 410))
    if answer.status in (404, 410):
        log.info("%s: %s is gone; nothing answers it", api.name, home)
        return Harvest(complete=True, state=dict(state))
    context = api.json(answer, "reading the replies")
    replies, complete = reply_tree(context.get("descendants"), copy.id, post_url, host)
    if answer.headers.get("Mastodon-Async-Refresh"):  # the server is still fetching remote replies
        complete = False
    new_state = dict(state)
    try:
        likes, done_likes = _accounts(api, f"{base}/favourited_by", "like", home, post_url, host)
        reposts, done_reposts = _accounts(api, f"{base}/reblogged_by", "repost", home, post_url, host)
        quotes, done_quotes = _quotes(api, f"{base}/quotes", post_url, host, new_state, now)
    except _Gone:
        log.info("%s: %s was deleted while it was read", api.name, home)
        return Harvest(complete=True, state=dict(state))
    if not api.token:
        log.debug("%s: read without a token: at most 60 replies and no quotes", api.name)
    seen = {r.id for r in replies}
    quotes = [q for q in quotes if q.id not in seen]  # a reply that also quotes is a reply
    everything = (*replies, *likes, *reposts, *quotes)
    whole = complete and done_likes and done_reposts and done_quotes and bool(api.token)
    return Harvest(responses=everything, complete=whole, state=new_state)


def reply_tree(descendants: Any, copy_id: str, post_url: str, host: str) -> tuple[list[Response], bool]:
    """The replies reachable from the copy through visible statuses, each linked to the reply it answers;
    and whether all of them fit in MAX_REPLIES."""
    children: dict[str, list[dict[str, Any]]] = {}
    for status in descendants if isinstance(descendants, list) else []:
        if isinstance(status, dict) and status.get("id") is not None:
            children.setdefault(str(status.get("in_reply_to_id") or ""), []).append(status)
    found: list[Response] = []
    seen: set[str] = set()
    waiting: deque[tuple[str, str]] = deque([(str(copy_id), "")])  # (status id, id of its Response)
    while waiting:
        status_id, answers = waiting.popleft()
        for status in children.get(status_id, []):
            if status.get("visibility") not in VISIBLE or status.get("reblog"):
                continue  # not public, and neither is anything under it
            response = status_response(status, "reply", post_url, host, in_reply_to=answers)
            if response is None or response.id in seen:
                continue
            if len(found) >= MAX_REPLIES:
                return found, False
            seen.add(response.id)
            found.append(response)
            waiting.append((str(status["id"]), response.id))
    return found, True


def status_response(
    status: dict[str, Any], kind: ResponseType, post_url: str, host: str, *, in_reply_to: str = ""
) -> Response | None:
    """A reply or quote from a Status entity, or None when it has no URL to show it by."""
    url = clean_url(status.get("url")) or clean_url(status.get("uri"))
    if not url:
        return None
    markup = str(status.get("content") or "")
    if kind == "quote":
        markup = _QUOTE_INLINE.sub("", markup)  # the "RE: <link>" fallback for clients without quotes
    warning = clean_text(str(status.get("spoiler_text") or ""), 500)
    if warning:
        markup = f"<p><strong>CW: {html.escape(warning)}</strong></p>{markup}"
    content = clean_html(markup)
    return Response(
        id=url,
        type=kind,
        source=url,
        target=post_url,
        author=author_of(status.get("account"), host),
        content_html=content,
        content_text=clean_text(html_to_text(content)),
        published=time_or_none(status.get("created_at")),
        updated=time_or_none(status.get("edited_at")),
        platform=PLATFORM,
        in_reply_to=in_reply_to,
    )


def account_response(
    account: dict[str, Any], kind: ResponseType, home: str, post_url: str, host: str
) -> Response | None:
    """A like or repost from the Account that favourited or boosted the copy (it has no URL of its own)."""
    if account.get("id") is None:
        return None
    label = "favourited-by" if kind == "like" else "reblogged-by"
    author = author_of(account, host)
    return Response(
        id=f"{home}#{label}-{quote(str(account['id']), safe='')}",
        type=kind,
        source=author.url or home,
        target=post_url,
        author=author,
        platform=PLATFORM,
    )


def author_of(account: Any, host: str) -> ResponseAuthor:
    """Who wrote or did something, from an Account entity: display name, @user@host, profile, avatar."""
    if not isinstance(account, dict):
        return ResponseAuthor()
    username = clean_text(str(account.get("username") or ""), 200)
    acct = clean_text(str(account.get("acct") or username), 300)
    if acct and "@" not in acct:  # a local account: Mastodon leaves out its own domain
        acct = f"{acct}@{host}"
    return ResponseAuthor(
        name=clean_text(str(account.get("display_name") or ""), 200) or username,
        url=clean_url(account.get("url")),
        photo=clean_url(account.get("avatar_static")) or clean_url(account.get("avatar")),
        handle=f"@{acct}" if acct else "",
    )


# --- lists --------------------------------------------------------------------------------------


def _accounts(
    api: Api, path: str, kind: ResponseType, home: str, post_url: str, host: str
) -> tuple[list[Response], bool]:
    """Likes or reposts from every page of a list of accounts, and whether every page was read."""
    found: dict[str, Response] = {}
    action = "reading the favourites" if kind == "like" else "reading the boosts"
    pages = _Pages(api, path, {"limit": str(ACCOUNTS_PAGE)}, action)
    for account in pages:
        response = account_response(account, kind, home, post_url, host) if isinstance(account, dict) else None
        if response is not None:
            found.setdefault(response.id, response)
    return list(found.values()), pages.complete


def _quotes(
    api: Api, path: str, post_url: str, host: str, state: dict[str, str], now: dt.datetime
) -> tuple[list[Response], bool]:
    """The statuses that quote the copy (accepted quotes only), and whether all were read; `state` notes
    a server that has no quotes."""
    if not api.token:
        return [], False  # Mastodon shows quotes to the author only
    absent = time_or_none(state.get("quotes_absent"))
    if absent and now - absent < QUOTES_RECHECK:
        return [], True
    pages = _Pages(api, path, {"limit": str(QUOTES_PAGE)}, "reading the quotes", missing=NO_QUOTES)
    found: dict[str, Response] = {}
    for status in pages:
        if not isinstance(status, dict) or status.get("visibility") not in VISIBLE:
            continue
        shown = status.get("quote")
        if isinstance(shown, dict) and shown.get("state", "accepted") != "accepted":
            continue  # pending, rejected, revoked: not a quote the writer's readers see
        response = status_response(status, "quote", post_url, host)
        if response is not None:
            found.setdefault(response.id, response)
    if pages.missing:
        state["quotes_absent"] = now.isoformat(timespec="seconds")
        return [], True
    state.pop("quotes_absent", None)
    return list(found.values()), pages.complete


class _Pages:
    """The items of a paginated list, page by page up to MAX_PAGES; afterwards `complete` says whether
    the last page was reached, `missing` whether the first answered one of `missing` (no such list)."""

    def __init__(self, api: Api, path: str, params: dict[str, str], action: str, missing: tuple[int, ...] = ()) -> None:
        self.api, self.path, self.params, self.action, self.missing_codes = api, path, params, action, missing
        self.complete = False
        self.missing = False

    def __iter__(self) -> Iterator[Any]:
        path: str | None = self.path
        params: dict[str, str] | None = self.params
        for number in range(MAX_PAGES):
            if path is None:
                self.complete = True
                return
            answer = self._get(path, params)
            if answer is None:
                return
            if number == 0 and answer.status in self.missing_codes:
                self.missing = True
                self.complete = True
                return
            if answer.status in (404, 410):
                raise _Gone
            if answer.status >= 400:
                log.warning("%s: %s failed (%d); trying again next run", self.api.name, self.action, answer.status)
                return
            try:
                items = answer.json()
            except NetworkError:
                items = None
            if not isinstance(items, list):
                log.warning("%s: %s: the server's answer was not a list", self.api.name, self.action)
                return
            yield from items
            path, params = next_page(answer, self.api.base), None
        if path is None:
            self.complete = True
        else:
            log.info("%s: %s stopped after %d pages", self.api.name, self.action, MAX_PAGES)

    def _get(self, path: str, params: dict[str, str] | None) -> HttpResponse | None:
        """One page; None after a network failure. A rate limit or a refused token raises."""
        try:
            answer = self.api.call("GET", path, self.action, params=params, accept=_SOFT)
        except PlatformError as exc:
            if not exc.temporary:
                raise
            log.warning("%s; trying again next run", exc.message)
            return None
        if answer.status == 429:
            self.api.check(answer, self.action)  # raises, with the wait the server asked for
        return answer
