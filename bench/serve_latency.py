"""How soon an edit shows in the browser under `homepost serve`: the time from saving a post to the
`reload` event that names its page, and to fetching that page with the edit in it.

    .venv/bin/python bench/serve_latency.py SITE [--edits 6] [--every 1.0]

SITE is a built site folder, e.g. the benchmark's 10,000-post site (`make bench ARGS="--tools
homepost --keep --work DIR"`, then DIR/homepost-10000/site). Each edit appends a line to one post
in the middle of the site; `--every` is the pause between edits (below the full build's time, an
edit lands while the previous edit's full build runs). Not a test: it prints what it measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.serve import EVENTS_PATH, DevServer, ServeOptions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--edits", type=int, default=6)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between edits")
    args = parser.parse_args()

    builds: list[tuple[float, int]] = []
    server = DevServer(args.site, ServeOptions(port=0), report=lambda o: builds.append((time.perf_counter(), o.number)))
    started = time.perf_counter()
    server.start()
    print(f"first build {time.perf_counter() - started:.2f} s")
    origin = f"http://127.0.0.1:{server.port}"
    events: list[tuple[float, dict]] = []
    threading.Thread(target=_listen, args=(origin + EVENTS_PATH, events), daemon=True).start()
    time.sleep(1.0)
    posts = sorted((args.site / "content" / "posts").glob("*.md"))
    post = posts[len(posts) // 2]
    try:
        for n in range(args.edits):
            time.sleep(args.every)
            events.clear()
            marker = f"Serve latency edit {n} at {time.time()}"
            saved = time.perf_counter()
            with post.open("a", encoding="utf-8") as file:
                file.write(f"\n{marker}.\n")
            event = _first_reload(events, saved + 30)
            page = (event[1].get("pages") or [""])[0]
            body = urllib.request.urlopen(origin + page.removesuffix("index.html")).read() if page else b""
            fetched = time.perf_counter()
            shown = marker.encode() in body
            print(
                f"edit {n}: reload event after {1000 * (event[0] - saved):.0f} ms, "
                f"page fetched after {1000 * (fetched - saved):.0f} ms, edit shown: {shown}"
            )
    finally:
        server.stop()


def _listen(url: str, events: list[tuple[float, dict]]) -> None:
    name = ""
    for raw in urllib.request.urlopen(url):
        line = raw.decode("utf-8").strip()
        if line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:") and name == "reload":
            events.append((time.perf_counter(), json.loads(line.removeprefix("data:"))))


def _first_reload(events: list[tuple[float, dict]], deadline: float) -> tuple[float, dict]:
    while not events:
        if time.perf_counter() > deadline:
            raise SystemExit("no reload event within 30 s")
        time.sleep(0.001)
    return events[0]


if __name__ == "__main__":
    main()
