"""Readers' comments through the receiver's form: the model, the checks, Markdown, blocks (moderation: `moderation`).

A comment arrives from a plain HTML form on a post's page (`POST /comment`, see `app`). Here it is
checked field by field, rendered from Markdown to sanitised HTML, and stored as `pending`. With
`[comments] auto_approve_known` on, it is `approved` at once when it comes with the secret token of
a commenter who already had a comment approved: the receiver gives each commenter's browser a
random token in a cookie (`app`) and keeps only its SHA-256 with each comment. A name and a
website are public, so anyone could copy them; they are never enough. Nothing pending is ever public.

What is silent, so that a spammer learns nothing: a filled honeypot field and a blocked author
(by IP address or network, by the website's domain and its subdomains, or by the exact author
URL) are answered like a success, and nothing is stored.

Approved comments (see `moderation`) leave through the mentions
API as jf2 entries (`comment_to_jf2`), so `homepost webmention pull` brings them into the site's
data folder. A comment's permalink and its id there is `<post URL>#comment-<id>`; a reply names
the comment it answers by that URL (`reply_to`), the way every response names what it answers by
the id it has in the data folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import re
import secrets
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from markdown_it import MarkdownIt

from generator.config import Config
from generator.errors import HomepostError, Problem
from generator.model import Response, ResponseAuthor
from generator.sanitize import clean_html, clean_url
from generator.sitedata.responses import read_responses, responses_file
from generator.webmention.jf2 import response_to_jf2

if TYPE_CHECKING:  # the store imports this module for Comment and Block
    from generator.webmention.receiver.store import Store

log = logging.getLogger(__name__)

CommentStatus = Literal["pending", "approved", "rejected"]
BlockKind = Literal["ip", "domain", "author"]
Outcome = Literal["pending", "approved", "honeypot", "blocked"]
STATUSES: tuple[CommentStatus, ...] = ("pending", "approved", "rejected")
BLOCK_KINDS: tuple[BlockKind, ...] = ("ip", "domain", "author")

FIELDS = ("target", "name", "website", "comment", "reply_to", "email_confirm")
HONEYPOT = "email_confirm"  # hidden by the theme; people leave it empty, form-filling bots do not
NAME_LIMIT = 100
WEBSITE_LIMIT = 300
URL_LIMIT = 2000  # target and reply_to
ID_ALPHABET = string.ascii_lowercase + string.digits  # no "-": an id never looks like a CLI option
ID_LENGTH = 10
FRAGMENT = "#comment-"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # C0, C1, bidi overrides
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


@dataclass(frozen=True)
class Comment:
    """One reader's comment as stored; `ip` is for moderation only and never leaves the receiver."""

    id: str
    target: str  # the post's URL
    name: str
    website: str  # "" or a normalised http(s) URL
    markdown: str  # as written (newlines normalised, control characters removed)
    html: str  # rendered and sanitised
    reply_to: str  # "" or the id of the response it answers (a comment's is its permalink)
    ip: str
    created: dt.datetime
    status: CommentStatus
    decided_at: dt.datetime | None = None  # the last approval or rejection
    approved_at: dt.datetime | None = None  # the last approval, kept after a rejection: it was public
    token: str = ""  # the SHA-256 of the commenter's secret token ("" for none); never leaves the receiver

    @property
    def source(self) -> str:
        """Its permalink, which is also its id once pulled: `<post URL>#comment-<id>`."""
        return comment_url(self.target, self.id)

    @property
    def withdrawn(self) -> bool:
        """True for a comment rejected after it had been public (since-queries report it deleted)."""
        return self.status == "rejected" and self.approved_at is not None


@dataclass(frozen=True)
class Block:
    """A blocked IP address or network, website domain (with its subdomains), or author URL."""

    kind: BlockKind
    value: str
    created: dt.datetime


@dataclass(frozen=True)
class CommentForm:
    """What the form sent, as text, unchecked."""

    target: str = ""
    name: str = ""
    website: str = ""
    comment: str = ""
    reply_to: str = ""
    email_confirm: str = ""  # the honeypot

    @classmethod
    def from_fields(cls, fields: Mapping[str, Sequence[str]]) -> CommentForm:
        """The form from parsed form data (the first value of each field)."""
        return cls(**{name: (fields.get(name) or [""])[0] for name in FIELDS})


class CommentRefused(Exception):
    """A form a person has to correct (answered 400); `reason` is a short phrase safe to show escaped."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Submission:
    """What became of a submitted form: stored pending or approved, or silently dropped."""

    outcome: Outcome
    target: str  # the post it was for, normalised ("" when the form was not read: the honeypot)
    comment: Comment | None = None  # stored, for "pending" and "approved"

    @property
    def published(self) -> bool:
        """True when the comment was approved at once (it appears with the next update of the site)."""
        return self.outcome == "approved"


# --- submitting --------------------------------------------------------------------------------


def submit_comment(store: Store, config: Config, form: CommentForm, ip: str, token: str = "") -> Submission:
    """Check a submitted form and store it (committed before this returns); CommentRefused for a bad form.

    `token` is the commenter's secret (see `new_token`): with `[comments] auto_approve_known`, a
    comment whose token an approved comment carries is approved at once. A filled honeypot or a
    blocked author gives a Submission that stores nothing and looks, to the caller's answer, like
    a pending comment.
    """
    if form.email_confirm.strip():
        log.info("comment dropped: the honeypot field was filled")
        return Submission("honeypot", post_url(config, form.target) or "")
    target = check_target(config, form.target)
    name = check_name(form.name)
    website = check_website(form.website)
    markdown = check_markdown(form.comment, config.comments.max_length)
    reply_to = resolve_reply_to(store, config, target, form.reply_to)
    block = blocked_by(store.blocks(), ip, website)
    if block is not None:
        log.info("comment on %s dropped: %s %s is blocked", target, block.kind, block.value)
        return Submission("blocked", target)
    digest = token_digest(token) if token else ""
    known = config.comments.auto_approve_known and bool(digest) and store.trusted_token(digest)
    now = store.clock()
    status: CommentStatus = "approved" if known else "pending"
    html = render_markdown(markdown)
    for _ in range(5):  # a collision of 10 random characters is all but impossible; retry anyway
        comment = Comment(
            id=new_id(), target=target, name=name, website=website, markdown=markdown, html=html,
            reply_to=reply_to, ip=ip, created=now, status=status,
            decided_at=now if known else None, approved_at=now if known else None, token=digest,
        )  # fmt: skip
        if store.add_comment(comment):
            log.info("comment %s on %s by %s: %s", comment.id, target, name, status)
            return Submission(status, target, comment)
    raise HomepostError(Problem(str(store.path), "could not find a free comment id"))


def new_id() -> str:
    """A short random URL-safe id."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def new_token() -> str:
    """A commenter's new secret token (43 URL-safe characters), for their browser to keep."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256 in hex, so that a copy of the database gives no token away."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def comment_url(target: str, comment_id: str) -> str:
    """A comment's permalink (and id once pulled): the post's URL with `#comment-<id>`."""
    return f"{target}{FRAGMENT}{comment_id}"


def post_url(config: Config, url: str) -> str | None:
    """`url` without query or fragment if it is an http(s) URL of a page on this site, else None.

    On the site means what `homepost webmention pull` needs to file the comment: under `[site] url`.
    """
    url = clean_url(url.strip()) if len(url) <= URL_LIMIT else ""
    if not url:
        return None
    parts = urlsplit(url)
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return bare if responses_file(config, bare) is not None else None


def check_target(config: Config, target: str) -> str:
    """The post's URL, normalised; CommentRefused unless it is on this site."""
    if not target.strip():
        raise CommentRefused("target is missing")
    url = post_url(config, target)
    if url is None:
        raise CommentRefused(f"target is not on this site (it must start with {config.site.url})")
    return url


def check_name(name: str) -> str:
    """The name on one line, control characters removed; CommentRefused if missing or too long."""
    name = " ".join(_CONTROLS.sub("", name).split())
    if not name:
        raise CommentRefused("name is missing")
    if len(name) > NAME_LIMIT:
        raise CommentRefused(f"name is longer than {NAME_LIMIT} characters")
    return name


def check_website(website: str) -> str:
    """The website as an http(s) URL (https:// added when no scheme is given), scheme and host in lower case; or ""."""
    website = website.strip()
    if not website:
        return ""
    if len(website) > WEBSITE_LIMIT:
        raise CommentRefused(f"website is longer than {WEBSITE_LIMIT} characters")
    if "://" not in website and not re.match(r"[a-z][a-z0-9+.-]*:(?!\d)", website, re.IGNORECASE):
        website = "https://" + website  # "alice.example" or "alice.example:8080/", not "javascript:…"
    url = clean_url(website)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        url = ""
    if not url or not parts.hostname:
        raise CommentRefused("website must be an http or https URL, such as https://example.com/")
    normal = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, parts.fragment))
    if len(normal) > WEBSITE_LIMIT:
        raise CommentRefused(f"website is longer than {WEBSITE_LIMIT} characters")
    return normal


def check_markdown(text: str, limit: int) -> str:
    """The comment with newlines normalised and control characters removed; CommentRefused if missing or too long."""
    text = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise CommentRefused("comment is missing")
    if len(text) > limit:
        raise CommentRefused(f"comment is longer than {limit} characters")
    return text


def resolve_reply_to(store: Store, config: Config, target: str, reply_to: str) -> str:
    """The id of what the comment answers: "" or an approved comment or a stored response of the same post.

    A comment may be named by its id, `comment-<id>` or its permalink; it is returned as its
    permalink, the id it has once pulled. Anything else must be the id of a live mention of the
    post in the receiver or of a response in the post's file in the site's data folder.
    """
    reply_to = reply_to.strip()
    if not reply_to:
        return ""
    if len(reply_to) > URL_LIMIT:
        raise CommentRefused(f"reply_to is longer than {URL_LIMIT} characters")
    comment_id = ""
    if reply_to.startswith(target + FRAGMENT):
        comment_id = reply_to[len(target + FRAGMENT):]
    elif reply_to.startswith("comment-"):
        comment_id = reply_to.removeprefix("comment-")
    elif "/" not in reply_to:
        comment_id = reply_to
    if re.fullmatch(r"[a-z0-9]{1,40}", comment_id):
        parent = store.get_comment(comment_id)
        if parent is not None and parent.status == "approved" and parent.target == target:
            return parent.source
    if any(m.response.id == reply_to for m in store.mentions(target=target)):
        return reply_to
    path = responses_file(config, target)
    if path is not None and path.is_file():
        try:
            if any(r.id == reply_to for r in read_responses(path)):
                return reply_to
        except HomepostError:
            log.warning("cannot read %s to check a comment's reply_to", path)
    raise CommentRefused("reply_to is not a published comment or response on this post")


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML is text; an image becomes "!" and a link to it (the sanitiser would drop <img> and its alt text).
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def render_markdown(text: str) -> str:
    """A comment's Markdown as sanitised HTML: CommonMark without raw HTML, then clean_html (links nofollow ugc)."""
    return clean_html(_markdown().render(text))


# --- blocks ------------------------------------------------------------------------------------


def normalise_block(kind: str, value: str) -> str:
    """The stored form of a block; ValueError with a message for a value that cannot be one.

    ip: an address or a network (`203.0.113.0/24`); domain: a host name (a URL is reduced to its
    host); author: an http(s) URL, compared with a comment's website without regard to the case of
    scheme and host or a trailing "/".
    """
    value = value.strip()
    if kind == "ip":
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"not an IP address or network: {value!r}") from None
        return str(network.network_address) if network.prefixlen == network.max_prefixlen else str(network)
    if kind == "domain":
        host = (urlsplit(value).hostname or "") if "://" in value else value
        host = host.lower().strip(".")
        if not _DOMAIN.match(host):
            raise ValueError(f"not a domain name: {value!r}")
        return host
    if kind == "author":
        try:
            return _author_key(check_website(value))
        except CommentRefused:
            raise ValueError(f"not an http(s) URL: {value!r}") from None
    raise ValueError(f"unknown kind of block {kind!r} (expected one of {', '.join(BLOCK_KINDS)})")


def blocked_by(blocks: Iterable[Block], ip: str, website: str) -> Block | None:
    """The first block that applies to a comment from `ip` with `website`, or None."""
    address = _address(ip)
    host = (urlsplit(website).hostname or "").lower().rstrip(".") if website else ""
    author = _author_key(website) if website else ""
    return next((b for b in blocks if _applies(b, address, host, author)), None)


def _applies(block: Block, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, host: str, author: str) -> bool:
    if block.kind == "ip":
        try:
            return address is not None and address in ipaddress.ip_network(block.value, strict=False)
        except ValueError:
            return False
    if block.kind == "domain":
        return bool(host) and (host == block.value or host.endswith("." + block.value))
    return bool(author) and author == block.value


def rate_key(ip: str) -> str:
    """What the per-IP rate limit counts by: the address, or its /64 for IPv6 (one household or server)."""
    address = _address(ip)
    if address is None:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(ip.strip().split("%", 1)[0])
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:  # type: ignore[union-attr]
        return address.ipv4_mapped  # type: ignore[union-attr]
    return address


def _author_key(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


# --- leaving through the API -------------------------------------------------------------------


def comment_response(comment: Comment) -> Response:
    """An approved comment as a Response (no IP address); a withdrawn one as a tombstone without content."""
    if comment.status != "approved":
        return Response(id=f"comment-{comment.id}", type="comment", source=comment.source, target=comment.target,
                        verified=comment.decided_at, platform="comment")  # fmt: skip
    return Response(
        id=f"comment-{comment.id}", type="comment", source=comment.source, target=comment.target,
        author=ResponseAuthor(name=comment.name, url=comment.website), content_html=comment.html,
        content_text=comment.markdown, published=comment.created, verified=comment.approved_at,
        platform="comment", in_reply_to=comment.reply_to,
    )  # fmt: skip


def comment_to_jf2(comment: Comment) -> dict[str, Any]:
    """The API's jf2 entry of an approved comment, or of a withdrawn one (`deleted: true`)."""
    return response_to_jf2(comment_response(comment), received=comment.created, deleted=comment.status != "approved")
