"""Two sites mention each other: each sends with `homepost webmention send`, each runs Homepost's
receiver, each pulls and builds, and each page then shows the other's response.

Everything is real and on loopback: static hosts serving each built site, two receivers (waitress,
SQLite) verifying sources over HTTP, the CLI doing the rest.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import mf2py

from generator.config import load_config
from generator.webmention.receiver import Receiver, ReceiverOptions, WorkerOptions
from tests.helpers import build, run_cli, write_files
from tests.servers import LoopbackServer, static_site

WAIT = 20.0


class Site:
    """One site: its folder, its static host and its receiver."""

    def __init__(self, root: Path, title: str, author: str) -> None:
        self.root = root
        self.host = LoopbackServer()
        self.host.fallback = static_site(root / "public")
        base = f'[site]\ntitle = "{title}"\nurl = "{self.host.url("/")}"\n\n[site.author]\nname = "{author}"\n\n'
        base += "[network]\nallow_private_addresses = true\ntimeout = 3\n"
        write_files(root, {"site.toml": base})
        options = ReceiverOptions(
            port=0, db_path=root.parent / f"{root.name}.sqlite3", worker=WorkerOptions(poll_interval=0.05)
        )
        self.receiver = Receiver(load_config(root), options)
        self.receiver.start()
        write_files(root, {"site.toml": base + f'\n[webmention]\nendpoint = "{self.receiver.endpoint}"\n'})

    def url(self, path: str) -> str:
        return self.host.url(path)

    def close(self) -> None:
        self.receiver.stop()
        self.host.close()

    def mentions_of(self, target: str) -> list[dict]:
        with urllib.request.urlopen(f"{self.receiver.api}?target={quote(target, safe='')}", timeout=5) as answer:
            return json.load(answer)["children"]


def wait_for_mentions(site: Site, target: str, count: int) -> list[dict]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = site.mentions_of(target)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{site.root.name} verified no mention of {target} within {WAIT} s")


def cli(*args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return result.output


def test_two_sites_mention_each_other_and_each_shows_the_other(tmp_path: Path) -> None:
    alice, bob = Site(tmp_path / "alice", "Alice's", "Alice"), Site(tmp_path / "bob", "Bob's", "Bob")
    try:
        alice_post, bob_post = alice.url("/2026/05/thoughts/"), bob.url("/2026/05/answer/")
        write_files(
            alice.root,
            {
                "content/posts/thoughts.md": (
                    f"---\ntitle: Thoughts\ndate: 2026-05-01\n---\nI read [Bob's answer]({bob_post}) and agree.\n"
                )
            },
        )
        write_files(
            bob.root,
            {
                "content/posts/answer.md": (
                    f"---\ndate: 2026-05-02\nin_reply_to: {alice_post}\n---\nYes, **exactly** this.\n"
                )
            },
        )
        for site in (alice, bob):
            assert build(site.root).exit_code == 0
        assert "Sent 1 webmention" in cli("webmention", "send", "--site", str(alice.root))
        assert "Sent 1 webmention" in cli("webmention", "send", "--site", str(bob.root))

        [at_bob] = wait_for_mentions(bob, bob_post, 1)
        [at_alice] = wait_for_mentions(alice, alice_post, 1)
        assert at_bob["wm-property"] == "mention-of" and at_bob["wm-source"] == alice_post
        assert at_alice["wm-property"] == "in-reply-to" and at_alice["author"]["name"] == "Bob"

        for site in (alice, bob):
            assert "1 new" in cli("webmention", "pull", "--site", str(site.root))
            assert build(site.root).exit_code == 0
        alice_page = (alice.root / "public/2026/05/thoughts/index.html").read_text()
        entry = next(i for i in mf2py.parse(doc=alice_page, url=alice_post)["items"] if "h-entry" in i["type"])
        [reply] = entry["properties"]["comment"]
        assert reply["properties"]["url"] == [bob_post]
        assert reply["properties"]["author"][0]["properties"]["name"] == ["Bob"]
        assert "<strong>exactly</strong>" in reply["properties"]["content"][0]["html"]
        bob_page = (bob.root / "public/2026/05/answer/index.html").read_text()
        entry = next(i for i in mf2py.parse(doc=bob_page, url=bob_post)["items"] if "h-entry" in i["type"])
        assert entry["properties"]["mention"][0]["properties"]["url"] == [alice_post]

        # Alice deletes her post: her host answers 410, Bob's receiver is told and forgets the mention.
        # (An edit that drops the link would not do: her page now shows Bob's reply, linking to him.)
        (alice.root / "content/posts/thoughts.md").unlink()
        assert build(alice.root).exit_code == 0
        assert "Sent 1 webmention" in cli("webmention", "send", "--site", str(alice.root))
        deadline = time.monotonic() + WAIT
        while bob.mentions_of(bob_post) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert bob.mentions_of(bob_post) == []
        assert "1 removed" in cli("webmention", "pull", "--site", str(bob.root))
        assert build(bob.root).exit_code == 0
        bob_page = (bob.root / "public/2026/05/answer/index.html").read_text()
        entry = next(i for i in mf2py.parse(doc=bob_page, url=bob_post)["items"] if "h-entry" in i["type"])
        assert "mention" not in entry["properties"] and alice_post + '" rel="nofollow' not in bob_page
    finally:
        alice.close()
        bob.close()
