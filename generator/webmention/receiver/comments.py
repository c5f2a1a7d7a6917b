"""Readers' comments: the model (a comment, a block, a form, a submission) and how a comment leaves through the API.

A comment arrives from a plain HTML form on a post's page (`POST /comment`, see `app`). It is
checked field by field and rendered from Markdown to sanitised HTML (`comment_validation`), then
stored as `pending` or, for a commenter already trusted, `approved` (`moderation.submit_comment`).
The receiver gives each commenter's browser a random token in a cookie (`app`) and keeps only its
SHA-256 with each comment. A name and a website are public, so anyone could copy them; they are
never enough. Nothing pending is ever public.

Approved comments (see `moderation`) leave through the mentions API as jf2 entries
(`comment_to_jf2`), so `homepost webmention pull` brings them into the site's data folder. A
comment's permalink and its id there is `<post URL>#comment-<id>`; a reply names the comment it
answers by that URL (`reply_to`), the way every response names what it answers by the id it has
in the data folder.

This module imports nothing else of the receiver: the store, the checks and moderation import it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from generator.model import Response, ResponseAuthor
from generator.webmention.jf2 import response_to_jf2

CommentStatus = Literal["pending", "approved", "rejected"]
BlockKind = Literal["ip", "domain", "author"]
Outcome = Literal["pending", "approved", "honeypot", "blocked"]
STATUSES: tuple[CommentStatus, ...] = ("pending", "approved", "rejected")
BLOCK_KINDS: tuple[BlockKind, ...] = ("ip", "domain", "author")

FIELDS = ("target", "name", "website", "comment", "reply_to", "email_confirm")
HONEYPOT = "email_confirm"  # hidden by the theme; people leave it empty, form-filling bots do not
ID_ALPHABET = string.ascii_lowercase + string.digits  # no "-": an id never looks like a CLI option
ID_LENGTH = 10
FRAGMENT = "#comment-"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


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


# --- leaving through the API -------------------------------------------------------------------


def comment_response(comment: Comment) -> Response:
    """An approved comment as a Response (no IP address); a withdrawn one as a tombstone without content."""
    if comment.status != "approved":
        return Response(
            id=f"comment-{comment.id}",
            type="comment",
            source=comment.source,
            target=comment.target,
            verified=comment.decided_at,
            platform="comment",
        )
    return Response(
        id=f"comment-{comment.id}",
        type="comment",
        source=comment.source,
        target=comment.target,
        author=ResponseAuthor(name=comment.name, url=comment.website),
        content_html=comment.html,
        content_text=comment.markdown,
        published=comment.created,
        verified=comment.approved_at,
        platform="comment",
        in_reply_to=comment.reply_to,
    )


def comment_to_jf2(comment: Comment) -> dict[str, Any]:
    """The API's jf2 entry of an approved comment, or of a withdrawn one (`deleted: true`)."""
    return response_to_jf2(comment_response(comment), received=comment.created, deleted=comment.status != "approved")
