"""The fediverse inbox of `homepost receiver`: what it refuses, what it stores, what the worker makes of it.

Remote actors are of two kinds: a real Fedify peer (tests/fedify_peer.py) wherever it can be, and
actors of our own on loopback (tests/fediverse_world.py) for what Fedify will not send: tampered,
replayed, old or wrongly signed requests, and the rarer activities (Move, Block, Update).
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import mf2py
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from generator.fediverse.inbox import MAX_BODY
from generator.fediverse.inbox_store import FediverseStore
from generator.fediverse.signatures import Signer
from generator.fediverse.urls import INBOX_ROUTE, SHARED_INBOX_ROUTE
from generator.webmention.receiver.app import RateLimiter
from generator.webmention.receiver.store import Store
from tests.fedify_peer import FedifyPeer
from tests.fediverse_world import POST, Remote, World, long_ago
from tests.helpers import build, run_cli, write_files
from tests.receiver_helpers import WAIT, ReceiverProcess, call, mentions, wait_for
from tests.servers import LoopbackServer


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    site = World(tmp_path / "site")
    try:
        yield site
    finally:
        site.close()


@pytest.fixture
def remote() -> Iterator[Remote]:
    with LoopbackServer() as server:
        yield Remote(server, "alice")


def done(world: World) -> bool:
    jobs = world.store.jobs()
    return bool(jobs) and all(status != "pending" for _, status, _ in jobs)


# --- refused at the door -------------------------------------------------------------------------


def test_an_unsigned_activity_is_refused_and_nothing_is_stored(world: World, remote: Remote) -> None:
    answer = world.post_signed(None, json.dumps(remote.activity("Like", world.object)).encode())
    assert answer.status == 401 and "no Signature" in answer.text
    assert world.store.jobs() == []


def test_a_body_changed_after_signing_is_refused(world: World, remote: Remote) -> None:
    body = json.dumps(remote.activity("Like", world.object)).encode()
    headers = remote.signer.sign("POST", world.receiver_inbox, body)
    answer = call(world.receiver.url, "POST", INBOX_ROUTE, body.replace(b"Like", b"Announce"), headers)
    assert answer.status == 401
    assert world.store.jobs() == []


def test_a_replayed_activity_is_stored_once_and_an_old_date_is_refused(world: World, remote: Remote) -> None:
    like = remote.activity("Like", world.object)
    assert world.deliver(remote, like).status == 202
    assert world.deliver(remote, like).status == 202
    assert [job[0] for job in world.store.jobs()] == [like["id"]]
    assert world.deliver(remote, remote.activity("Like", world.object), now=long_ago()).status == 401
    assert len(world.store.jobs()) == 1


def test_a_signature_by_another_key_is_refused(world: World, remote: Remote) -> None:
    impostor = Remote(remote.server, "mallory")
    forged = Signer(remote.signer.key_id, impostor.key)  # claims alice's key id
    body = json.dumps(remote.activity("Like", world.object)).encode()
    assert world.post_signed(forged, body).status == 401
    assert world.store.jobs() == []


def test_a_key_of_another_actor_than_the_activitys_is_refused(world: World, remote: Remote) -> None:
    mallory = Remote(remote.server, "mallory")
    answer = world.deliver(mallory, remote.activity("Like", world.object))  # alice's Like signed by mallory
    assert answer.status == 401 and "not to the activity's actor" in answer.text
    assert world.store.jobs() == []


def test_a_blocked_domain_is_answered_202_and_nothing_is_stored(tmp_path: Path, remote: Remote) -> None:
    world = World(tmp_path / "site", '\n[moderation]\nblock = ["127.0.0.1"]\n')
    try:
        assert world.deliver(remote, remote.activity("Like", world.object)).status == 202
        assert world.store.jobs() == [] and remote.server.received == []  # not even the key was fetched
    finally:
        world.close()


def test_too_large_malformed_and_wrong_method_are_refused(world: World, remote: Remote) -> None:
    big = json.dumps(remote.activity("Like", world.object, padding="x" * MAX_BODY)).encode()
    assert world.post_signed(remote.signer, big).status == 413
    assert world.post_signed(remote.signer, b"{not json").status == 400
    assert world.post_signed(remote.signer, json.dumps({"type": "Like"}).encode()).status == 400
    other_host = {**remote.activity("Like", world.object), "id": "https://elsewhere.example/1"}
    assert world.post_signed(remote.signer, json.dumps(other_host).encode()).status == 400
    answer = call(world.receiver.url, "GET", INBOX_ROUTE)
    assert answer.status == 405 and answer.headers["allow"] == "POST"
    assert world.store.jobs() == []


def test_a_host_over_the_rate_limit_gets_429_with_retry_after(world: World, remote: Remote) -> None:
    world.receiver.app.inbox.limiter = RateLimiter(2)
    answers = [world.deliver(remote, remote.activity("Like", world.object)) for _ in range(3)]
    assert [answer.status for answer in answers] == [202, 202, 429]
    assert int(answers[2].headers["retry-after"]) >= 1


def test_the_inbox_is_404_when_the_fediverse_is_off(tmp_path: Path, remote: Remote) -> None:
    world = World(tmp_path / "site")
    try:
        config = world.receiver.config
        world.receiver.app.inbox.config = replace(config, fediverse=replace(config.fediverse, enabled=False))
        assert world.deliver(remote, remote.activity("Like", world.object)).status == 404
    finally:
        world.close()


def test_a_key_is_fetched_signed_once_and_fetched_again_when_the_sender_rotated_it(
    world: World, remote: Remote
) -> None:
    def fetches() -> int:
        return sum(1 for item in remote.server.received if item.method == "GET" and item.path == "/alice")

    assert world.deliver(remote, remote.activity("Like", world.object)).status == 202
    assert world.deliver(remote, remote.activity("Like", world.object)).status == 202
    assert fetches() == 1  # the second came from the receiver's database
    [get] = [item for item in remote.server.received if item.method == "GET"]
    assert f'keyId="{world.actor}#main-key"' in get.headers["Signature"]  # signed, for "authorized fetch" servers
    remote.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    remote.serve()
    assert world.deliver(remote, remote.activity("Like", world.object)).status == 202
    assert fetches() == 2


def test_a_note_attributed_to_another_actor_is_not_stored(world: World, remote: Remote) -> None:
    note = {"id": remote.id + "/notes/7", "type": "Note", "attributedTo": "https://else.example/bob"}
    world.deliver(remote, remote.activity("Create", {**note, "inReplyTo": world.object}))
    wait_for(lambda: done(world), "the job")
    assert world.store.responses() == []


def test_a_request_signed_for_the_public_url_behind_a_proxy_that_strips_a_prefix_is_verified(
    tmp_path: Path, remote: Remote
) -> None:
    world = World(tmp_path / "site", 'receiver = "https://public.example/hp"\n')
    try:
        like = json.dumps(remote.activity("Like", world.object)).encode()
        headers = remote.signer.sign("POST", "https://public.example/hp" + INBOX_ROUTE, like)  # Host: public.example
        assert call(world.receiver.url, "POST", INBOX_ROUTE, like, headers).status == 202
        assert len(world.store.jobs()) == 1
    finally:
        world.close()


# --- processed by the worker ---------------------------------------------------------------------


def test_a_follow_is_stored_and_answered_with_a_signed_accept(world: World, remote: Remote) -> None:
    follow = remote.activity("Follow", world.actor)
    assert world.post_signed(remote.signer, json.dumps(follow).encode(), SHARED_INBOX_ROUTE).status == 202
    [accept] = wait_for(remote.inbox_received, "the Accept")
    assert accept["type"] == "Accept" and accept["actor"] == world.actor and accept["object"]["id"] == follow["id"]
    [follower] = world.store.followers()
    assert (follower.actor, follower.inbox, follower.state) == (remote.id, remote.id + "/inbox", "accepted")
    stats = json.loads((world.root / "data/fediverse/stats.json").read_text())
    assert stats == {"followers": 1}
    undo = remote.activity("Undo", follow)
    assert world.deliver(remote, undo).status == 202
    wait_for(lambda: not world.store.followers(), "the follow to end")


def test_a_deleted_actor_loses_its_follow_and_its_responses(world: World, remote: Remote) -> None:
    world.deliver(remote, remote.activity("Follow", world.actor))
    world.deliver(remote, remote.activity("Like", world.object))
    wait_for(lambda: done(world) and len(world.store.responses()) == 1, "the follow and the like")
    world.deliver(remote, remote.activity("Delete", remote.id))
    wait_for(lambda: done(world), "the deletion")
    assert world.store.followers() == [] and world.store.responses() == []
    [withdrawn] = mentions(world.receiver.url, since="2026-01-01T00:00:00Z").json()["children"]
    assert withdrawn["deleted"] is True and withdrawn["wm-target"] == world.post
    assert "name" not in withdrawn["author"]  # nothing of a withdrawn response is kept


def test_a_moved_follower_is_followed_at_its_new_inbox(world: World, remote: Remote) -> None:
    world.deliver(remote, remote.activity("Follow", world.actor))
    wait_for(lambda: world.store.followers(), "the follower")
    new = Remote(remote.server, "alice2")
    new.serve(alsoKnownAs=[remote.id])
    world.deliver(remote, remote.activity("Move", remote.id, target=new.id))
    wait_for(lambda: [f.actor for f in world.store.followers()] == [new.id], "the move")
    assert world.store.followers()[0].inbox == new.id + "/inbox"


def test_a_block_from_a_follower_drops_it(world: World, remote: Remote) -> None:
    world.deliver(remote, remote.activity("Follow", world.actor))
    wait_for(lambda: world.store.followers(), "the follower")
    world.deliver(remote, remote.activity("Block", world.actor))
    wait_for(lambda: not world.store.followers(), "the block")


def test_a_reply_is_sanitised_threaded_edited_and_withdrawn(world: World, remote: Remote) -> None:
    note = {
        "id": remote.id + "/notes/1",
        "type": "Note",
        "attributedTo": remote.id,
        "inReplyTo": world.object,
        "url": remote.id + "/@alice/1",
        "content": '<p>Nice <script>alert(1)</script><a href="javascript:x">post</a></p>',
        "published": "2026-05-02T10:00:00Z",
    }
    world.deliver(remote, remote.activity("Create", note))
    answer = {**note, "id": remote.id + "/notes/2", "inReplyTo": note["id"], "content": "<p>And more</p>"}
    world.deliver(remote, remote.activity("Create", answer))
    wait_for(lambda: len(world.store.responses()) == 2, "both replies")
    first, second = (item.response for item in world.store.responses())
    assert "script" not in first.content_html and "javascript" not in first.content_html
    assert first.target == second.target == world.post and second.in_reply_to == first.id
    [entry] = mentions(world.receiver.url, target=world.post).json()["children"][:1]
    assert entry["wm-property"] == "in-reply-to" and entry["url"] == note["url"]
    assert entry["author"]["name"] == "Alice"
    world.deliver(remote, remote.activity("Update", {**note, "content": "<p>Edited</p>"}))
    wait_for(lambda: world.store.response(note["id"]).response.content_text == "Edited", "the edit")  # type: ignore[union-attr]
    world.deliver(remote, remote.activity("Delete", {"id": note["id"], "type": "Tombstone"}))
    wait_for(lambda: [i.response.id for i in world.store.responses()] == [answer["id"]], "the withdrawal")


def test_a_reply_to_something_not_ours_is_ignored(world: World, remote: Remote) -> None:
    note = {"id": remote.id + "/notes/9", "type": "Note", "attributedTo": remote.id, "inReplyTo": remote.id + "/x"}
    world.deliver(remote, remote.activity("Create", note))
    wait_for(lambda: done(world), "the job")
    assert world.store.responses() == []


def test_followers_remove_and_block_send_a_reject_and_block_refuses_later_activities(
    world: World, remote: Remote
) -> None:
    world.deliver(remote, remote.activity("Follow", world.actor))
    wait_for(lambda: len(remote.inbox_received()) == 1, "the Accept")
    db = ["--site", str(world.root), "--db", str(world.root / "receiver.sqlite3")]
    assert remote.id in cli("fediverse", "followers", "list", *db)
    assert "removed; Reject" in cli("fediverse", "followers", "remove", remote.id, *db)
    wait_for(lambda: len(remote.inbox_received()) == 2, "the Reject")
    assert [item["type"] for item in remote.inbox_received()] == ["Accept", "Reject"]  # sent once
    assert world.store.followers() == []
    result = run_cli("fediverse", "followers", "remove", remote.id, *db)
    assert result.exit_code == 1 and "is not a follower" in result.output
    assert "refused from now on" in cli("fediverse", "followers", "block", remote.id, *db)
    jobs = len(world.store.jobs())
    assert world.deliver(remote, remote.activity("Follow", world.actor)).status == 202
    assert len(world.store.jobs()) == jobs  # nothing stored


def test_an_activity_of_another_kind_is_acknowledged_and_ignored(world: World, remote: Remote) -> None:
    assert world.deliver(remote, remote.activity("Add", world.object, target=remote.id + "/featured")).status == 202
    wait_for(lambda: done(world), "the job")
    assert world.store.jobs()[0][2] == "ignored" and world.store.responses() == []


def test_an_undo_or_delete_by_another_actor_withdraws_nothing(world: World, remote: Remote) -> None:
    like = remote.activity("Like", world.object)
    world.deliver(remote, like)
    mallory = Remote(remote.server, "mallory")
    world.deliver(mallory, mallory.activity("Undo", like["id"]))
    world.deliver(mallory, mallory.activity("Delete", like["id"]))
    wait_for(lambda: done(world) and len(world.store.jobs()) == 3, "the three jobs")
    assert [item.response.id for item in world.store.responses()] == [like["id"]]


# --- with a real Fedify peer ---------------------------------------------------------------------


def accepts_from(peer: FedifyPeer, world: World) -> list[dict]:
    """The Accepts of our actor that reached the peer, verified by Fedify."""
    return [item for item in peer.received() if item["type"] == "Accept" and item["actor"] == world.actor]


def test_fedify_follows_the_site_and_verifies_our_signed_accept(fedify_peer: FedifyPeer, world: World) -> None:
    sent = fedify_peer.send("Follow", inbox=world.receiver_inbox, to=world.actor)
    assert sent["ok"], sent
    [accept] = wait_for(lambda: accepts_from(fedify_peer, world), "Fedify to receive the Accept", timeout=30)
    assert accept["verified"] and accept["object"] == sent["id"]
    [follower] = world.store.followers()
    assert follower.actor == fedify_peer.actor and follower.inbox == fedify_peer.inbox
    assert follower.shared_inbox == fedify_peer.shared_inbox


def test_a_held_follow_is_accepted_by_followers_approve(fedify_peer: FedifyPeer, tmp_path: Path) -> None:
    world = World(tmp_path / "site", "manually_approves_followers = true\n")
    try:
        assert fedify_peer.send("Follow", inbox=world.receiver_inbox, to=world.actor)["ok"]
        wait_for(lambda: world.store.followers(), "the held follow")
        assert world.store.followers()[0].state == "pending" and accepts_from(fedify_peer, world) == []
        db = ["--site", str(world.root), "--db", str(world.root / "receiver.sqlite3")]
        assert "awaiting approval" in cli("fediverse", "followers", "list", *db)
        assert cli("fediverse", "followers", "count", *db).strip() == "0"
        approved = cli("fediverse", "followers", "approve", fedify_peer.actor, *db)
        assert "approved; Accept" in approved  # delivered by the command, or by the receiver's worker if it was first
        [accept] = wait_for(lambda: accepts_from(fedify_peer, world), "the Accept", timeout=30)
        assert accept["verified"]
        assert world.store.store.query("SELECT status FROM fediverse_deliveries WHERE body LIKE '%Accept%'") == [
            ("done",)
        ]
        assert cli("fediverse", "followers", "count", *db).strip() == "1"
        assert json.loads((world.root / "data/fediverse/stats.json").read_text()) == {"followers": 1}
        assert "nothing to do" in cli("fediverse", "followers", "approve", fedify_peer.actor, *db)
    finally:
        world.close()


def test_fedify_likes_boosts_and_replies_come_home_and_leave_again(fedify_peer: FedifyPeer, world: World) -> None:
    write_files(world.root, {"content/posts/hello.md": "---\ntitle: Hello\ndate: 2026-05-01\n---\nHello, fediverse.\n"})
    like = fedify_peer.send("Like", inbox=world.receiver_inbox, to=world.actor, object=world.object)
    boost = fedify_peer.send("Announce", inbox=world.receiver_inbox, to=world.actor, object=world.object)
    reply = fedify_peer.send(
        "Create",
        inbox=world.receiver_inbox,
        to=world.actor,
        in_reply_to=world.object,
        content="<p>Nice <b>post</b></p>",
    )
    assert like["ok"] and boost["ok"] and reply["ok"], (like, boost, reply)
    wait_for(lambda: len(listed(world)) == 3, "all three")
    assert {entry["wm-property"] for entry in listed(world)} == {"like-of", "repost-of", "in-reply-to"}
    [note] = [entry["wm-source"] for entry in listed(world) if entry["wm-property"] == "in-reply-to"]
    answer = fedify_peer.send(
        "Create", inbox=world.receiver_inbox, to=world.actor, in_reply_to=note, content="<p>Replying to myself</p>"
    )
    assert answer["ok"], answer
    wait_for(lambda: len(listed(world)) == 4, "the reply to the reply")

    assert "4 new" in cli("webmention", "pull", "--site", str(world.root))
    assert build(world.root).exit_code == 0
    entry = post_entry(world)
    [comment] = entry["properties"]["comment"]
    assert comment["properties"]["author"][0]["properties"]["name"] == ["Fedify peer"]
    assert comment["properties"]["url"] == [note]  # the link to the original on its server
    assert "<b>post</b>" in comment["properties"]["content"][0]["html"]
    [threaded] = comment["properties"]["comment"]  # the answer sits under the reply it answers
    assert "Replying to myself" in threaded["properties"]["content"][0]["value"]
    assert entry["properties"]["like"][0]["properties"]["author"][0]["properties"]["name"] == ["Fedify peer"]
    assert len(entry["properties"]["repost"]) == 1

    assert fedify_peer.send("Undo", inbox=world.receiver_inbox, to=world.actor, object=like["id"])["ok"]
    assert fedify_peer.send("Delete", inbox=world.receiver_inbox, to=world.actor, object=note)["ok"]
    wait_for(lambda: len(listed(world)) == 2, "the withdrawals")
    assert "2 removed" in cli("webmention", "pull", "--site", str(world.root))
    assert build(world.root).exit_code == 0
    entry = post_entry(world)
    assert "like" not in entry["properties"] and len(entry["properties"]["repost"]) == 1
    assert note not in (world.root / "public" / POST / "index.html").read_text()  # the deleted reply is gone


def listed(world: World) -> list[dict]:
    """What the receiver's mentions API lists for the post."""
    children: list[dict] = mentions(world.receiver.url, target=world.post).json()["children"]
    return children


def post_entry(world: World) -> dict:
    page = (world.root / "public" / POST / "index.html").read_text()
    return next(item for item in mf2py.parse(doc=page, url=world.post)["items"] if "h-entry" in item["type"])


def test_a_kill_between_accepting_and_processing_a_follow_loses_nothing(fedify_peer: FedifyPeer, world: World) -> None:
    world.receiver.stop()
    db = world.root / "crash.sqlite3"
    first = ReceiverProcess(world.root, db, fault="inbox.taken")
    try:
        sent = fedify_peer.send("Follow", inbox=first.url + INBOX_ROUTE.lstrip("/"), to=world.actor)
        assert first.process.wait(timeout=WAIT) == -signal.SIGKILL
    finally:
        first.close()
    store = Store(db)
    assert [status for _, status, _ in FediverseStore(store).jobs()] == ["pending"]  # accepted means on disk
    store.close()
    assert accepts_from(fedify_peer, world) == []
    second = ReceiverProcess(world.root, db)
    try:
        [accept] = wait_for(lambda: accepts_from(fedify_peer, world), "the Accept after the restart", timeout=30)
        assert accept["verified"] and (accept["object"] == sent.get("id") or not sent["ok"])
        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(timeout=WAIT) == 0
    finally:
        second.close()
    store = Store(db)
    assert [f.actor for f in FediverseStore(store).followers()] == [fedify_peer.actor]
    assert store.query("SELECT status FROM fediverse_deliveries") == [("done",)]
    store.close()
    assert len(accepts_from(fedify_peer, world)) == 1  # sent exactly once


def cli(*args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return result.output
