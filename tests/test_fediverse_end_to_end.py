"""The fediverse end to end: a Fedify peer follows the site through `homepost receiver`, the build writes
the post's object, and delivery sends its Create to the follower the receiver accepted, with the very
document the build wrote."""

from __future__ import annotations

import json
from pathlib import Path

from generator.config import load_config
from generator.fediverse.delivery import DeliveryReport, deliver
from generator.fediverse.sources import BuiltObjects, ReceiverFollowers
from generator.pipeline.build import read_site
from tests import fediverse_world, receiver_helpers
from tests.fedify_peer import FedifyPeer
from tests.helpers import NOW, build, write_files


def test_a_follower_the_receiver_accepted_gets_the_built_create_of_a_new_post(
    fedify_peer: FedifyPeer,
    tmp_path: Path,
) -> None:
    world = fediverse_world.World(tmp_path / "site")
    try:
        assert fedify_peer.send("Follow", inbox=world.receiver_inbox, to=world.actor)["ok"]
        receiver_helpers.wait_for(lambda: world.store.followers("accepted"), "the follow to be accepted")
        followers = ReceiverFollowers(world.root / "receiver.sqlite3")
        post = "---\ntitle: {0}\ndate: 2026-05-0{1}\n---\nThe {0} post.\n"
        write_files(world.root, {"content/posts/first.md": post.format("first", 1)})

        def run() -> DeliveryReport:
            assert build(world.root).exit_code == 0
            config = load_config(world.root)
            objects = BuiltObjects(config, world.root / "public")
            return deliver(config, read_site(config, NOW), followers, objects, world.key)

        assert run().planned == []  # the first run notes what is there
        write_files(world.root, {"content/posts/second.md": post.format("second", 2)})
        report = run()
        [planned] = report.planned
        assert (planned.kind, report.delivered, report.failed) == ("Create", 1, 0)
        [seen] = [item for item in fedify_peer.received() if item["id"] == planned.activity_id]
        assert seen["verified"] and seen["actor"] == world.actor
        built = json.loads(next((world.root / "public").rglob("second*/activity.json")).read_text())
        assert seen["activity"]["object"]["id"] == built["id"] and seen["activity"]["object"]["type"] == built["type"]
    finally:
        world.close()
