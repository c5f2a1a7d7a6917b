"""A site whose actor is served on loopback, its followers in a JSON file, for the delivery tests.

    world = DeliveryWorld(tmp_path)             # site.toml, the actor document on a loopback host
    world.follow(Follower(actor, inbox, shared))
    world.post("hello"); world.run()            # the first run only notes what is there
    world.post("second"); report = world.run()  # a Create of "second" to every follower

`child_run` is what a subprocess runs to be killed mid-delivery (tests/test_fediverse_delivery.py).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from generator.config import Config, load_config
from generator.fediverse.delivery import DeliverOptions, DeliveryReport, deliver
from generator.fediverse.keys import KeyPair, ensure_key
from generator.fediverse.sources import Follower, MinimalObjects
from generator.pipeline.build import read_site
from tests.helpers import NOW, write_files
from tests.servers import LoopbackServer, Reply

SITE = """\
[site]
title = "Delivery Test"
url = "{url}"
description = "A site whose posts go to the fediverse"
language = "en"

[fediverse]
enabled = true
username = "blog"
receiver = "{url}receiver"
max_tries = 3

[network]
allow_private_addresses = true
timeout = 5
"""


class FileFollowers:
    """A FollowerSource kept in a JSON file (a list of [actor, inbox, shared inbox]), so a subprocess sees it too."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def all(self) -> list[Follower]:
        return [Follower(*item) for item in json.loads(self.path.read_text())] if self.path.exists() else []

    def inboxes(self) -> Iterator[Follower]:
        return iter(self.all())

    def remove(self, actor_id: str) -> None:
        self.write([f for f in self.all() if f.actor != actor_id])

    def write(self, followers: list[Follower]) -> None:
        self.path.write_text(json.dumps([list(f) for f in followers]))


class DeliveryWorld:
    """The site, its host (serving the actor document, as the build will), and its followers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.host = LoopbackServer()
        write_files(root, {"site.toml": SITE.format(url=self.host.url("/"))})
        (root / "content").mkdir()
        self.followers = FileFollowers(root / "followers.json")
        self.key: KeyPair = ensure_key(root)
        self.serve_actor()

    @property
    def config(self) -> Config:
        return load_config(self.root)

    def serve_actor(self) -> None:
        """Serve the actor document where its id says (Fedify fetches it to check our signatures)."""
        document = json.dumps(MinimalObjects(self.config, self.key).actor_document())
        self.host.route("/fediverse/actor.json", Reply(200, document, [("Content-Type", "application/activity+json")]))

    def follow(self, *followers: Follower) -> None:
        self.followers.write(self.followers.all() + list(followers))

    def post(self, name: str, body: str = "Body.", title: str = "Hello") -> str:
        write_files(self.root, {f"content/posts/{name}.md": f"---\ntitle: {title}\ndate: 2026-05-01\n---\n{body}\n"})
        return self.host.url(f"/2026/05/{name}/")

    def remove(self, name: str) -> None:
        (self.root / "content" / "posts" / f"{name}.md").unlink()

    def run(self, now: dt.datetime | None = None, **options: object) -> DeliveryReport:
        config = self.config
        site = read_site(config, NOW)
        return deliver(
            config,
            site,
            self.followers,
            MinimalObjects(config, self.key),
            self.key,
            DeliverOptions(now=now, **options),  # type: ignore[arg-type]
        )

    def close(self) -> None:
        self.host.close()


def child_run(root: str) -> None:
    """One delivery run of the site in `root` (its followers in followers.json): run in a subprocess."""
    config = load_config(Path(root))
    key = ensure_key(Path(root))
    followers = FileFollowers(Path(root) / "followers.json")
    report = deliver(config, read_site(config, NOW), followers, MinimalObjects(config, key), key, DeliverOptions())
    print(report.line())


if __name__ == "__main__":
    child_run(sys.argv[1])
