"""Moderating readers' comments: list, approve, reject, block and unblock; results returned, nothing printed.

`homepost comments` turns the results into lines. Approving or rejecting a comment that was
public changes what the mentions API reports to the next pull (see `comments`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.webmention.receiver.comments import Block, BlockKind, Comment, CommentStatus, blocked_by, normalise_block

if TYPE_CHECKING:
    from generator.webmention.receiver.store import Store


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
