"""Delivery of Create, Update and Delete to followers: to a real Fedify peer, and to loopback sinks.

Exactly once per (object version, inbox), also across a kill -9; one POST per server; 404/410
removes followers; 429 waits for Retry-After; 5xx backs off and gives up; a dry run sends and
records nothing; the private key shows nowhere.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator.fediverse.delivery
from generator.cli import main
from generator.errors import ContentError
from generator.fediverse.delivery_state import DELIVERY_FILE
from generator.fediverse.sources import Follower
from generator.ratelimit import RATE_LIMITS_FILE
from generator.release import publish
from generator.webmention.receiver.store import Store, default_db_path
from tests.delivery_world import DeliveryWorld
from tests.fedify_peer import FedifyPeer, fedify_peer  # noqa: F401
from tests.helpers import write_files
from tests.servers import LoopbackServer, Received, Reply

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def world(tmp_path: Path) -> Iterator[DeliveryWorld]:
    world = DeliveryWorld(tmp_path / "site")
    yield world
    world.close()


@pytest.fixture
def sink() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        server.route("/inbox", Reply(202))
        yield server


def follower(server: LoopbackServer, n: int, shared: bool = True) -> Follower:
    return Follower(
        f"https://people.example/{server.url('/')}/{n}",
        server.url(f"/u/{n}/inbox"),
        server.url("/inbox") if shared else "",
    )


def sent(server: LoopbackServer) -> list[dict]:
    return [json.loads(r.body) for r in server.received if r.method == "POST"]


def peer_follows(world: DeliveryWorld, peer: FedifyPeer) -> None:
    world.follow(Follower(peer.actor, peer.inbox, peer.shared_inbox))


def arrived(peer: FedifyPeer, activity_id: str) -> list[dict]:
    return [item for item in peer.received() if item["id"] == activity_id]


# --- with the real peer ------------------------------------------------------------------------


def test_a_published_post_arrives_at_fedify_as_a_verified_create(world: DeliveryWorld, fedify_peer: FedifyPeer) -> None:  # noqa: F811
    peer_follows(world, fedify_peer)
    world.post("old")
    assert world.run().planned == []  # the first run only notes what is there
    url = world.post("fresh", "A new post.")
    report = world.run()
    [planned] = report.planned
    assert (planned.kind, report.delivered, report.failed) == ("Create", 1, 0)
    [seen] = arrived(fedify_peer, planned.activity_id)
    assert seen["verified"] and seen["type"] == "Create" and seen["actor"] == world.host.url("/fediverse/actor.json")
    assert seen["activity"]["object"]["url"] == url and "A new post." in seen["activity"]["object"]["content"]


def test_an_edit_arrives_as_an_update_and_a_removal_as_a_delete(world: DeliveryWorld, fedify_peer: FedifyPeer) -> None:  # noqa: F811
    peer_follows(world, fedify_peer)
    world.post("story", "First words.")
    world.run()
    world.post("story", "Second words.")
    [update] = world.run().planned
    world.remove("story")
    [delete] = world.run().planned
    assert (update.kind, delete.kind) == ("Update", "Delete")
    [edited] = arrived(fedify_peer, update.activity_id)
    assert edited["verified"] and "Second words." in edited["activity"]["object"]["content"]
    [gone] = arrived(fedify_peer, delete.activity_id)
    assert gone["verified"] and gone["type"] == "Delete"
    assert gone["activity"]["object"]["type"] == "Tombstone" and gone["object"] == update.object_id


def test_a_changed_profile_sends_an_update_of_the_actor(world: DeliveryWorld, fedify_peer: FedifyPeer) -> None:  # noqa: F811
    peer_follows(world, fedify_peer)
    world.run()
    site = (world.root / "site.toml").read_text()
    (world.root / "site.toml").write_text(site.replace('username = "blog"', 'username = "blog"\nname = "New Name"'))
    world.serve_actor()
    [update] = world.run().planned
    [seen] = arrived(fedify_peer, update.activity_id)
    assert seen["verified"] and seen["type"] == "Update" and seen["activity"]["object"]["name"] == "New Name"
    assert world.run().planned == []  # told once


# --- exactly once ------------------------------------------------------------------------------


def test_a_second_run_sends_nothing(world: DeliveryWorld, sink: LoopbackServer) -> None:
    world.follow(follower(sink, 1))
    world.run()
    world.post("one")
    assert world.run().delivered == 1
    again = world.run()
    assert (again.planned, again.delivered, again.waiting, len(sent(sink))) == ([], 0, 0, 1)


def test_three_followers_on_one_server_get_one_post_at_its_shared_inbox(
    world: DeliveryWorld, sink: LoopbackServer
) -> None:
    with LoopbackServer() as alone:
        alone.route("/u/9/inbox", Reply(202))
        world.follow(follower(sink, 1), follower(sink, 2), follower(sink, 3), follower(alone, 9, shared=False))
        world.run()
        world.post("one")
        report = world.run()
        assert [r.path for r in sink.received] == ["/inbox"]
        assert [r.path for r in alone.received] == ["/u/9/inbox"]
    assert report.delivered == 2 and report.planned[0].inboxes == 2


def test_a_kill_9_mid_run_then_a_rerun_sends_each_activity_at_most_once_more(world: DeliveryWorld) -> None:
    servers = [LoopbackServer() for _ in range(4)]
    hold, reached = threading.Event(), threading.Event()
    seen: list[int] = []

    def answer(received: Received) -> Reply:
        seen.append(1)
        if len(seen) >= 5 and not hold.is_set():  # the fifth POST (and any after it) hangs until the child is killed
            reached.set()
            hold.wait(30)
        return Reply(202)

    try:
        for server in servers:
            server.route("/inbox", answer)
        world.follow(*(follower(server, n) for n, server in enumerate(servers)))
        world.run()
        for name in ("a", "b", "c"):
            world.post(name)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen([sys.executable, "-m", "tests.delivery_world", str(world.root)], env=env, cwd=ROOT)
        assert reached.wait(60), "the child never reached the fifth POST"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        hold.set()
        report = world.run()
        for server in servers:
            ids = Counter(item["id"] for item in sent(server))
            assert len(ids) == 3  # every activity arrived
            twice = [activity for activity, count in ids.items() if count > 1]
            assert max(ids.values()) <= 2 and len(twice) <= 1  # at most the one in flight, sent again with its id
        assert report.failed == 0 and report.waiting == 0
        assert world.run().delivered == 0
    finally:
        hold.set()
        for server in servers:
            server.close()


# --- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [410, 404])
def test_a_gone_inbox_removes_its_followers(world: DeliveryWorld, sink: LoopbackServer, status: int) -> None:
    sink.route("/inbox", Reply(status))
    world.follow(follower(sink, 1), follower(sink, 2))
    world.run()
    world.post("one")
    world.post("two")
    report = world.run()
    assert (report.removed, report.skipped, report.failed) == (2, 2, 0)
    assert world.followers.all() == [] and len(sent(sink)) == 1  # the second activity was not tried
    world.post("three")
    assert world.run().planned[0].inboxes == 0


def test_429_waits_for_retry_after_and_the_next_run_resends(world: DeliveryWorld, sink: LoopbackServer) -> None:
    sink.route("/inbox", Reply(429, b"slow down", [("Retry-After", "120")]))
    world.follow(follower(sink, 1))
    world.run()
    world.post("one")
    now = dt.datetime.now(dt.UTC)
    first = world.run(now=now)
    assert (first.delivered, first.failed, first.waiting) == (0, 0, 1)
    assert world.run(now=now + dt.timedelta(seconds=60)).waiting == 1 and len(sent(sink)) == 1  # not asked again
    sink.route("/inbox", Reply(202))
    later = world.run(now=now + dt.timedelta(seconds=121))
    assert later.delivered == 1 and [item["id"] for item in sent(sink)] == [first.planned[0].activity_id] * 2


def test_500s_back_off_and_give_up_after_max_tries(world: DeliveryWorld, sink: LoopbackServer) -> None:
    sink.route("/inbox", Reply(500, b"database on fire"))
    world.follow(follower(sink, 1))
    world.run()
    world.post("one")
    world.post("two")
    now = dt.datetime.now(dt.UTC)
    first = world.run(now=now)
    assert (first.failed, first.waiting, len(sent(sink))) == (1, 1, 1)  # the host is left alone after its failure
    assert "HTTP 500: database on fire (try 1 of 3)" in first.problems[0].message
    assert world.run(now=now + dt.timedelta(seconds=30)).failed == 0 and len(sent(sink)) == 1  # backing off
    world.run(now=now + dt.timedelta(minutes=2))
    last = world.run(now=now + dt.timedelta(minutes=20))
    assert "gave up after 3 tries" in last.problems[0].message
    world.run(now=now + dt.timedelta(days=3))
    first_id = sent(sink)[0]["id"]
    assert [item["id"] for item in sent(sink)].count(first_id) == 3  # never again after giving up


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_signature_is_a_failure_with_the_servers_words(
    world: DeliveryWorld, sink: LoopbackServer, status: int
) -> None:
    sink.route("/inbox", Reply(status, b"Verification failed for keyId"))
    world.follow(follower(sink, 1))
    world.run()
    world.post("one")
    report = world.run()
    assert report.failed == 1 and f"HTTP {status}: Verification failed for keyId" in report.problems[0].message


def test_a_dry_run_sends_and_records_nothing_and_reports_the_same(world: DeliveryWorld, sink: LoopbackServer) -> None:
    sink.route("/u/2/inbox", Reply(202))
    world.follow(follower(sink, 1), follower(sink, 2, shared=False))
    world.run()
    world.post("one")
    record = world.root / ".homepost" / DELIVERY_FILE
    before = record.read_bytes()
    dry = world.run(dry_run=True)
    assert sink.received == [] and record.read_bytes() == before
    real = world.run()
    assert dry.line() == real.line() == "delivered 2, skipped 0, failed 0, waiting 0"
    assert [p.kind for p in dry.planned] == [p.kind for p in real.planned] == ["Create"]


# --- the command ---------------------------------------------------------------------------------


def test_the_command_prints_a_summary_and_never_the_private_key(
    world: DeliveryWorld, sink: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generator.fediverse.delivery, "site_followers", lambda config: world.followers)
    sink.route("/inbox", Reply(401, b"no"))
    world.follow(follower(sink, 1))
    runner = CliRunner()
    assert runner.invoke(main, ["-vv", "--site", str(world.root), "fediverse", "deliver"]).exit_code == 0
    world.post("one")
    dry = runner.invoke(main, ["--site", str(world.root), "fediverse", "deliver", "--dry-run"])
    assert dry.exit_code == 0 and sink.received == []
    assert "dry run: fediverse: 1 activity planned; delivered 1, skipped 0, failed 0, waiting 0" in dry.output
    real = runner.invoke(main, ["-vv", "--site", str(world.root), "fediverse", "deliver"])
    assert real.exit_code == 1 and "failed 1" in real.output and "HTTP 401: no" in real.output
    secret = (world.root / ".homepost" / "fediverse" / "private.pem").read_text()
    body_lines = [line for line in secret.splitlines() if not line.startswith("-----")]
    outputs = [dry.output, real.output, sink.received[0].body.decode(), str(sink.received[0].headers)]
    outputs += (
        [(world.root / ".homepost" / RATE_LIMITS_FILE).read_text(errors="replace")]
        if (world.root / ".homepost" / RATE_LIMITS_FILE).exists()
        else []
    )
    outputs.append((world.root / ".homepost" / DELIVERY_FILE).read_bytes().decode("latin-1"))
    assert body_lines and all(line not in text for line in body_lines for text in outputs)


def test_the_deliver_command_refuses_when_the_fediverse_is_off(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text('[site]\ntitle = "T"\nurl = "https://example.org/"\n')
    result = CliRunner().invoke(main, ["--site", str(tmp_path), "fediverse", "deliver"])
    assert result.exit_code == 1 and "fediverse.enabled" in result.output and "not enabled" in result.output


def test_publish_delivers_after_sending_webmentions_and_skips_without_the_fediverse(
    world: DeliveryWorld, sink: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generator.fediverse.delivery, "site_followers", lambda config: world.followers)
    world.follow(follower(sink, 1))
    world.post("old")
    away = publish(world.root).step("fediverse")
    assert away is not None and away.state == "skipped" and "no receiver database here" in away.reason
    Store(default_db_path(world.config)).close()  # where the receiver runs
    assert publish(world.root).step("fediverse").state == "unchanged"  # type: ignore[union-attr]
    world.post("new")
    report = publish(world.root)
    names = [step.name for step in report.steps]
    assert names.index("webmention") < names.index("fediverse") < names.index("newsletter")
    step = report.step("fediverse")
    assert step is not None and step.state == "done" and step.result.delivered == 1 and len(sent(sink)) == 1
    site = (world.root / "site.toml").read_text()
    (world.root / "site.toml").write_text(site.replace("enabled = true", "enabled = false"))
    off = publish(world.root).step("fediverse")
    assert off is not None and (off.state, off.reason) == ("skipped", "[fediverse] is not enabled")


def test_the_delivery_bench_posts_once_per_server_or_personal_inbox(tmp_path: Path) -> None:
    from bench.fediverse import main as bench

    results = tmp_path / "FEDIVERSE.md"
    assert bench(["--followers", "30", "--servers", "10", "--results", str(results)]) == 0
    assert "| 30 | 10 | 12 (12) |" in results.read_text()  # 9 shared inboxes, and 3 followers of the tenth server


def test_the_documents_sent_are_those_the_build_wrote(world: DeliveryWorld) -> None:
    from generator.fediverse.sources import BuiltObjects, MinimalObjects, site_objects
    from generator.pipeline.build import read_site

    world.post("one")
    config = world.config
    [post] = read_site(config).posts
    assert isinstance(site_objects(config, world.key), MinimalObjects)  # nothing built yet
    output = world.root / "public"
    actor = {"id": world.host.url("/fediverse/actor.json"), "type": "Person", "name": "As built"}
    note = {"id": world.host.url("/2026/05/one/activity.json"), "type": "Article", "content": "as built"}
    write_files(output, {"fediverse/actor.json": json.dumps(actor), "2026/05/one/activity.json": json.dumps(note)})
    objects = site_objects(config, world.key)
    assert isinstance(objects, BuiltObjects)
    assert objects.actor_document() == actor and objects.post_object(post) == note
    (output / "2026/05/one/activity.json").write_text("{")
    with pytest.raises(ContentError) as caught:
        objects.post_object(post)
    assert "activity.json" in str(caught.value.problems[0]) and "homepost build" in str(caught.value.problems[0])


def test_a_damaged_delivery_record_is_an_error_naming_it(world: DeliveryWorld) -> None:
    record = world.root / ".homepost" / DELIVERY_FILE
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_bytes(b"not a database at all" * 100)
    result = CliRunner().invoke(main, ["--site", str(world.root), "fediverse", "deliver"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert ".homepost/fediverse/delivery.sqlite3" in result.output and "move it away" in result.output


def test_finished_deliveries_are_pruned_after_a_month_and_not_sent_again(
    world: DeliveryWorld, sink: LoopbackServer
) -> None:
    world.follow(follower(sink, 1))
    world.run()
    world.post("one")
    now = dt.datetime.now(dt.UTC)
    assert world.run(now=now).delivered == 1
    record = sqlite3.connect(world.root / ".homepost" / DELIVERY_FILE)
    assert record.execute("SELECT COUNT(*) FROM deliveries").fetchone() == (1,)
    later = world.run(now=now + dt.timedelta(days=31))
    assert (later.planned, later.delivered, len(sent(sink))) == ([], 0, 1)
    assert record.execute("SELECT COUNT(*) FROM deliveries").fetchone() == (0,)
    record.close()


def test_a_follower_without_an_inbox_is_left_out_with_a_warning(
    world: DeliveryWorld, sink: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    world.follow(follower(sink, 1), Follower("https://odd.example/users/x", "", ""))
    world.run()
    world.post("one")
    report = world.run()
    assert report.planned[0].inboxes == 1 and report.delivered == 1 and report.failed == 0
    assert "https://odd.example/users/x: no http(s) inbox" in caplog.text
