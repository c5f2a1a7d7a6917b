"""Moderating readers' comments: a submitted form stored or dropped, then list, approve, reject, block and unblock.

Results are returned, nothing printed: `homepost comments` turns them into lines. With `[comments]
auto_approve_known` on, a comment is `approved` at once when it comes with the secret token of a
commenter who already had a comment approved. A filled honeypot field and a blocked author are
answered like a success, and nothing is stored. Approving or rejecting a comment that was public
changes what the mentions API reports to the next pull (see `comments`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from generator.config import Config
from generator.errors import HomepostError, Problem
from generator.webmention.receiver.comment_validation import (
    blocked_by,
    check_markdown,
    check_name,
    check_target,
    check_website,
    normalise_block,
    post_url,
    render_markdown,
    resolve_reply_to,
)
from generator.webmention.receiver.comments import (
    Block,
    BlockKind,
    Comment,
    CommentForm,
    CommentStatus,
    Submission,
    new_id,
    token_digest,
)
from generator.webmention.receiver.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """What approving or rejecting one id did."""

    id: str
    comment: Comment | None  # after the decision; None: there is no such comment
    changed: bool  # False: it already had that status (or does not exist)


@dataclass(frozen=True)
class BlockResult:
    """What a block did: whether it is new, and the pending comments it rejected."""

    block: Block
    added: bool
    rejected: tuple[Comment, ...]


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
    status: Literal["pending", "approved"] = "approved" if known else "pending"
    html = render_markdown(markdown)
    for _ in range(5):  # a collision of 10 random characters is all but impossible; retry anyway
        comment = Comment(
            id=new_id(),
            target=target,
            name=name,
            website=website,
            markdown=markdown,
            html=html,
            reply_to=reply_to,
            ip=ip,
            created=now,
            status=status,
            decided_at=now if known else None,
            approved_at=now if known else None,
            token=digest,
        )
        if store.add_comment(comment):
            log.info("comment %s on %s by %s: %s", comment.id, target, name, status)
            return Submission(status, target, comment)
    raise HomepostError(Problem(str(store.path), "could not find a free comment id"))


def list_comments(store: Store, *, status: CommentStatus | None = "pending") -> list[Comment]:
    """Comments with `status` (every comment for None), oldest first."""
    return store.comments(status=status)


def approve(store: Store, ids: Iterable[str]) -> list[Decision]:
    """Approve comments (pending or rejected ones): they leave through the API with the next pull."""
    return _decide(store, ids, "approved")


def reject(store: Store, ids: Iterable[str]) -> list[Decision]:
    """Reject comments; one that was approved is reported deleted to the next pull."""
    return _decide(store, ids, "rejected")


def _decide(store: Store, ids: Iterable[str], status: CommentStatus) -> list[Decision]:
    ids = [i.strip().removeprefix("comment-") for i in ids]
    changed = store.decide_comments(ids, status)
    return [Decision(i, store.get_comment(i), i in changed) for i in ids]


def block(store: Store, kind: BlockKind, value: str) -> BlockResult:
    """Block an IP address or network, a domain or an author URL, and reject the pending comments it matches.

    ValueError for a value that cannot be blocked.
    """
    value = normalise_block(kind, value)
    added = store.add_block(kind, value)
    stored = next(b for b in store.blocks() if (b.kind, b.value) == (kind, value))
    matching = [c.id for c in store.comments(status="pending") if blocked_by([stored], c.ip, c.website)]
    rejected = store.decide_comments(matching, "rejected")
    return BlockResult(stored, added, tuple(c for i in matching if i in rejected and (c := store.get_comment(i))))


def unblock(store: Store, kind: BlockKind, value: str) -> bool:
    """Lift a block; False if there was none. ValueError for a value that cannot be a block."""
    return store.remove_block(kind, normalise_block(kind, value))
