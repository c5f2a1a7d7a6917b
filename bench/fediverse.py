"""Benchmark fediverse delivery: one new post to 10,000 followers on 2,000 servers, against a loopback sink.

    python bench/fediverse.py                         # 1,000 and 10,000 followers (200 and 2,000 servers)
    python bench/fediverse.py --followers 10000 --servers 2000

The sink is a separate process: an asyncio HTTP server listening on one 127.0.0.1 port per fake
server (a server is a host and port, as delivery groups them), answering every POST with 202
after `--latency` seconds. Nine servers in ten have a shared inbox (one POST each, whatever their
followers); the tenth have none, so each of their followers gets its own POST. The followers
come from a generator (never a list), as a follower store would stream them.

Each size is measured in a fresh child (bench/measure.py: wall time, peak memory): the delivery run
of one new post (a Create), after a first run has noted the existing post. It prints a table and
writes it to `bench/FEDIVERSE.md` (or `--results PATH`). Loopback only; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

if not __package__:  # run as a script: import the modules beside this one as `bench.*`
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.measure import measure  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
SIZES = ((1_000, 200), (10_000, 2_000))
SITE = """\
[site]
title = "Delivery bench"
url = "https://bench.example/"

[fediverse]
enabled = true
receiver = "https://bench.example/receiver"

[network]
allow_private_addresses = true
"""
POST = "---\ntitle: {title}\ndate: 2026-05-0{day}\n---\nA post for the delivery benchmark.\n"


# --- the sink (its own process) ------------------------------------------------------------------


async def _serve(count: int, latency: float) -> None:
    received = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal received
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                received += 1
                if latency:
                    await asyncio.sleep(latency)
                writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            writer.close()

    servers = [await asyncio.start_server(answer, "127.0.0.1", 0) for _ in range(count)]
    ports = [server.sockets[0].getsockname()[1] for server in servers]
    print(json.dumps(ports), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the benchmark closes our standard input
    print(json.dumps({"received": received}), flush=True)


# --- the delivery run (a child measured by bench/measure.py) ---------------------------------------


def followers(ports: list[int], count: int) -> Iterator[tuple[str, str, str]]:
    """`count` followers spread over the servers; every tenth server has no shared inbox."""
    for n in range(count):
        server = n % len(ports)
        base = f"http://127.0.0.1:{ports[server]}"
        shared = "" if server % 10 == 9 else base + "/inbox"
        yield (f"{base}/users/{n}", f"{base}/users/{n}/inbox", shared)


class _Followers:
    def __init__(self, ports: list[int], count: int) -> None:
        self.ports, self.count = ports, count

    def inboxes(self) -> Iterator[object]:
        from generator.fediverse.sources import Follower

        return (Follower(*item) for item in followers(self.ports, self.count))

    def remove(self, actor_id: str) -> None:
        raise AssertionError(f"the sink never answers 410 ({actor_id})")


def deliver_once(site: Path, ports: list[int], count: int) -> str:
    """One delivery run of the site to `count` followers on the sink's servers; its summary line."""
    from generator.config import load_config
    from generator.fediverse.delivery import deliver
    from generator.fediverse.keys import ensure_key
    from generator.fediverse.sources import MinimalObjects
    from generator.pipeline.build import read_site

    config = load_config(site)
    key = ensure_key(site)
    report = deliver(config, read_site(config), _Followers(ports, count), MinimalObjects(config, key), key)  # type: ignore[arg-type]
    if report.failed:
        raise SystemExit(f"{report.failed} deliveries failed: {report.problems[:3]}")
    return f"{len(report.planned)} activities; {report.line()}"


# --- the benchmark -------------------------------------------------------------------------------


def run_size(work: Path, count: int, servers: int, latency: float) -> dict[str, object]:
    """Measure the delivery of one new post to `count` followers on `servers` servers."""
    sink = subprocess.Popen(
        [sys.executable, __file__, "--sink", str(servers), "--latency", str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdin is not None and sink.stdout is not None
    try:
        ports = json.loads(sink.stdout.readline())
        site = work / f"site-{count}"
        (site / "content" / "posts").mkdir(parents=True)
        (site / "site.toml").write_text(SITE)
        (site / "content" / "posts" / "first.md").write_text(POST.format(title="First", day=1))
        (work / f"ports-{count}.json").write_text(json.dumps(ports))
        command = [sys.executable, __file__, "--deliver", str(site), "--ports", str(work / f"ports-{count}.json")]
        command += ["--count", str(count)]
        subprocess.run(command, check=True, capture_output=True)  # the first run notes the first post
        (site / "content" / "posts" / "second.md").write_text(POST.format(title="Second", day=2))
        measured = measure(command, site, work / f"deliver-{count}.log")
        summary = (work / f"deliver-{count}.log").read_text().strip().splitlines()[-1]
    finally:
        sink.stdin.close()
        received = json.loads(sink.stdout.readline() or '{"received": -1}')["received"]
        sink.wait(timeout=30)
    shared = sum(1 for s in range(servers) if s % 10 != 9)
    return {
        "followers": count,
        "servers": servers,
        "posts": received,
        "expected": shared + sum(1 for n in range(count) if (n % servers) % 10 == 9),
        "seconds": measured.seconds,
        "peak_mib": measured.peak_mib,
        "summary": summary,
    }


def table(rows: list[dict[str, object]], latency: float) -> str:
    """The results as Markdown."""
    lines = [
        f"# Fediverse delivery: one new post (sink latency {latency * 1000:.0f} ms per POST)",
        "",
        "| followers | servers | POSTs received (expected) | wall seconds | peak MiB | summary |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['followers']:,} | {row['servers']:,} | {row['posts']:,} ({row['expected']:,}) "
            f"| {row['seconds']:.1f} | {row['peak_mib']:.0f} | {row['summary']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """The command line: the benchmark, or one of its two children (--sink, --deliver)."""
    parser = argparse.ArgumentParser(description="Time delivery of one post to many followers on a loopback sink.")
    parser.add_argument("--followers", type=int, help="one size only: this many followers")
    parser.add_argument("--servers", type=int, default=2000, help="with --followers: on this many servers")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the sink takes to answer each POST")
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "FEDIVERSE.md", help="where to write the table")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--deliver", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ports", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sink:
        asyncio.run(_serve(args.sink, args.latency))
        return 0
    if args.deliver:
        print(deliver_once(args.deliver, json.loads(args.ports.read_text()), args.count))
        return 0
    sizes = ((args.followers, args.servers),) if args.followers else SIZES
    with tempfile.TemporaryDirectory(prefix="homepost-fediverse-bench-") as folder:
        rows = [run_size(Path(folder), count, servers, args.latency) for count, servers in sizes]
    text = table(rows, args.latency)
    args.results.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
