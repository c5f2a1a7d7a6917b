"""Benchmark: `homepost newsletter send` of one post to N confirmed subscribers through a local SMTP sink.

    .venv/bin/python bench/newsletter_send.py                 # 10,000 subscribers
    .venv/bin/python bench/newsletter_send.py --subscribers 1000 --work /dev/shm/nl

The sink (aiosmtpd, counting only) runs in this process; the send runs as the real command in a
child process, so its peak memory (max RSS) is the child's alone. Prints the time, the rate and
the peak memory; run it for two sizes to see that memory does not grow with the list (subscribers
are streamed a page at a time and each message is built, sent and dropped).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.newsletter.store import NewsletterStore  # noqa: E402
from generator.webmention.receiver.store import Store, _stamp  # noqa: E402

POST = """---
title: A post for the benchmark
date: 2026-05-01 10:00
---

""" + "\n\n".join("A paragraph of about sixty words, the kind a blog post is made of. " * 6 for _ in range(10))


class Counter:
    """An SMTP handler that counts messages and keeps nothing."""

    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.messages += len(envelope.rcpt_tos)  # type: ignore[attr-defined]
        return "250 OK"


def make_site(root: Path, port: int, subscribers: int) -> None:
    """A site with one post, the newsletter sending to the sink, and `subscribers` confirmed readers."""
    (root / "content" / "posts").mkdir(parents=True)
    (root / "content" / "posts" / "2026-05-01-bench.md").write_text(POST, encoding="utf-8")
    (root / "site.toml").write_text(
        '[site]\ntitle = "Bench"\nurl = "https://example.org/"\n[webmention]\nendpoint = "https://hooks.example.org/webmention"\n'
        f'[newsletter]\nenabled = true\nfrom = "Bench <bench@example.org>"\nsince = 2026-01-01\nhost = "127.0.0.1"\n'
        f'port = {port}\nsecurity = "none"\nrate = 0\n',
        encoding="utf-8",
    )
    store = Store(root / ".homepost" / "receiver.sqlite3")
    NewsletterStore(store).secret()
    now = _stamp(dt.datetime.now(dt.UTC))
    with store.transaction() as db:  # one transaction: the setup is not what is measured
        db.executemany(
            "INSERT INTO subscribers (address, normalized, state, origin, created, changed, confirmed_at, nonce)"
            " VALUES (?, ?, 'confirmed', 'import', ?, ?, ?, ?)",
            [
                (f"reader{n}@bench.test", f"reader{n}@bench.test", now, now, now, f"nonce{n:08d}")
                for n in range(subscribers)
            ],
        )
    store.close()


def main() -> int:
    """Run the benchmark; the exit status."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=None, help="an empty or new folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="homepost-newsletter-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    counter = Counter()
    sink = Controller(counter, hostname="127.0.0.1", port=port)
    sink.start()
    try:
        make_site(work, port, args.subscribers)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "generator", "newsletter", "send", "--site", str(work)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        seconds = time.perf_counter() - started
    finally:
        sink.stop()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux: the send is the only child
    print(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr)
    print(
        f"subscribers: {args.subscribers}; received by the sink: {counter.messages}; time: {seconds:.1f} s "
        f"({counter.messages / seconds:.0f} emails/s); peak memory of the send: {peak:.0f} MiB"
    )
    return 0 if result.returncode == 0 and counter.messages == args.subscribers else 1


if __name__ == "__main__":
    sys.exit(main())
