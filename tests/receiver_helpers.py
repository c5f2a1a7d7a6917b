"""Helpers for the receiver tests: a site, a running receiver, requests to it, and source pages."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlencode, urlsplit

from generator.config import Config, load_config
from generator.webmention.receiver import Receiver, ReceiverOptions, WorkerOptions
from generator.webmention.receiver.faults import FAULT_ENV

SITE_URL = "https://example.com/"
TARGET = "https://example.com/2026/05/hello/"
FORM = "application/x-www-form-urlencoded"
ROOT = Path(__file__).resolve().parent.parent
WAIT = 10.0  # seconds any bounded wait may take before the test fails
FAST = WorkerOptions(poll_interval=0.05, backoff=(0.1,), max_attempts=3)

T = TypeVar("T")


def write_site(root: Path, extra: str = "") -> Path:
    """A site folder whose site.toml allows loopback sources; `extra` is appended TOML."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.toml").write_text(
        f'[site]\ntitle = "Receiving"\nurl = "{SITE_URL}"\n\n'
        f"[network]\nallow_private_addresses = true\ntimeout = 5\n{extra}",
        encoding="utf-8",
    )
    return root


def site_config(root: Path, extra: str = "") -> Config:
    """The Config of a freshly written site."""
    return load_config(write_site(root, extra))


def start_receiver(config: Config, db_path: Path | None = None, worker: WorkerOptions = FAST) -> Receiver:
    """A receiver listening on a free loopback port, its worker polling fast."""
    receiver = Receiver(config, ReceiverOptions(host="127.0.0.1", port=0, db_path=db_path, worker=worker))
    receiver.start()
    return receiver


@dataclass(frozen=True)
class Answer:
    """What the receiver answered."""

    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


def call(base_url: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
    """One HTTP request to a receiver at `base_url`."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=WAIT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def send(base_url: str, source: str | None, target: str | None) -> Answer:
    """POST a webmention, leaving out a field given as None."""
    fields = {k: v for k, v in (("source", source), ("target", target)) if v is not None}
    return call(base_url, "POST", "/webmention", urlencode(fields).encode(), {"Content-Type": FORM})


def mentions(base_url: str, **params: str) -> Answer:
    """GET /api/mentions with the given query parameters."""
    return call(base_url, "GET", "/api/mentions" + (f"?{urlencode(params)}" if params else ""))


def wait_for(check: Callable[[], T], what: str, timeout: float = WAIT) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def settled(receiver: Receiver, source: str, target: str = TARGET) -> bool:
    """True once every queued request of the pair has been verified or given up."""
    jobs = receiver.store.jobs(source, target)
    return bool(jobs) and all(job.status != "pending" for job in jobs)


def entry_page(
    prop: str = "in-reply-to", content: str = "<p>Great post!</p>", target: str = TARGET, extra: str = ""
) -> str:
    """An HTML page with one h-entry whose u-`prop` is `target`, by Alice."""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>A response</title></head><body>
<article class="h-entry">
  <div class="p-author h-card">
    <a class="u-url p-name" href="https://alice.example/">Alice Example</a>
    <img class="u-photo" src="https://alice.example/photo.jpg" alt="">
  </div>
  <p><a class="u-{prop}" href="{target}">the post</a></p>
  <div class="e-content">{content}</div>
  <time class="dt-published" datetime="2026-05-02T10:00:00+02:00">2 May 2026</time>
  {extra}
</article>
</body></html>
"""


class ReceiverProcess:
    """`python -m generator.webmention.receiver` for a site, on a free port, its stdout read line by line.

    `fault`: the step at which it kills itself (see generator.webmention.receiver.faults).
    """

    def __init__(self, site: Path, db: Path, fault: str = "") -> None:
        command = [
            sys.executable,
            "-m",
            "generator.webmention.receiver",
            "--site",
            str(site),
            "--port",
            "0",
            "--db",
            str(db),
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", FAULT_ENV: fault}
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []  # stderr, read so that the pipe never fills
        self._readers = [
            threading.Thread(target=_drain, args=(self.process.stdout, self.lines.put), daemon=True),
            threading.Thread(target=_drain, args=(self.process.stderr, self.log.append), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        try:
            first = self.lines.get(timeout=WAIT)
        except queue.Empty:
            self.close()
            raise AssertionError(f"the receiver did not start: {''.join(self.log)}") from None
        match = re.search(r"at (http://127\.0\.0\.1:\d+)/webmention", first)
        assert match, first
        self.url = match.group(1) + "/"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT)
        for reader in self._readers:
            reader.join(WAIT)


def _drain(stream: IO[str], put: Callable[[str], object]) -> None:
    with stream:
        for line in stream:
            put(line)
