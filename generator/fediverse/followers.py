"""Who follows the site, for `homepost fediverse followers`: list, count, approve, reject, remove, block.

The receiver's database is the source of truth (followers' addresses are personal data: they stay
in `.homepost/`). Approving queues a signed `Accept` of the held Follow; rejecting, removing and
blocking a `Reject` (how Mastodon learns a follower was removed); each is POSTed at once, and a
delivery that fails is retried by the receiver's worker. Blocking also adds the actor to the
receiver's blocks, so its inbox refuses it from then on. Results are returned, nothing printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.config import Config
from generator.errors import HomepostError, Problem
from generator.fediverse.actors import site_signer
from generator.fediverse.inbox_store import FediverseStore, Follower
from generator.fediverse.processing import answer, deliver_due, write_stats
from generator.fediverse.urls import actor_url
from generator.http import HttpClient
from generator.webmention.receiver.store import Store
from generator.webmention.receiver.worker import WorkerOptions

Action = Literal["approve", "reject", "remove", "block"]
ACTIONS: tuple[Action, ...] = ("approve", "reject", "remove", "block")


@dataclass(frozen=True)
class FollowerChange:
    """What one action did to one follower: `changed` False when there was nothing to do."""

    action: Action
    actor: str
    changed: bool
    queued: bool  # an answer (Accept or Reject) was queued for the follower's server
    sent: int  # answers that reached their servers now


@contextmanager
def _opened(db_path: Path) -> Iterator[FediverseStore]:
    store = Store(db_path)
    try:
        yield FediverseStore(store)
    finally:
        store.close()


def list_followers(db_path: Path) -> list[Follower]:
    """Every follower, accepted or awaiting approval, oldest first."""
    with _opened(db_path) as store:
        return store.followers()


def count_followers(db_path: Path) -> int:
    """The number of accepted followers."""
    with _opened(db_path) as store:
        return store.count()


def change_follower(config: Config, db_path: Path, action: Action, actor: str) -> FollowerChange:
    """Approve, reject, remove or block one follower (`block` works for anyone), sending the answer now."""
    me = actor_url(config)
    with _opened(db_path) as store:
        follower = store.follower(actor)
        if action != "block" and follower is None:
            raise HomepostError(
                Problem(str(db_path), f"{actor} is not a follower (see `homepost fediverse followers list`)")
            )
        if action in ("approve", "reject") and follower is not None and follower.state != "pending":
            return FollowerChange(action, actor, False, False, 0)
        with store.store.transaction() as db:
            now = store.now()
            if follower is not None and action == "approve":
                accepted = Follower(
                    actor, follower.inbox, follower.shared_inbox, follower.follow_id, "accepted", follower.followed_at
                )
                FediverseStore.put_follower(db, accepted, now)
                FediverseStore.deliver(db, follower.inbox, answer(me, "Accept", follower), now)
            elif follower is not None:
                FediverseStore.drop_follower(db, actor)
                FediverseStore.deliver(db, follower.inbox, answer(me, "Reject", follower), now)
        if action == "block":
            store.store.add_block("author", actor)
        write_stats(config, store)
        if follower is None:
            return FollowerChange(action, actor, True, False, 0)
        sent = deliver_due(store, HttpClient(config.network), site_signer(config), WorkerOptions())
        return FollowerChange(action, actor, True, True, sent)
