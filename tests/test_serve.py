"""`homepost serve`: a dev server on loopback that builds with drafts into .homepost/serve, serves
under the base path with a reload script added to HTML, and tells open pages about every rebuild
over server-sent events. Waits are bounded loops (WAIT seconds at most), never sleep-and-assert:
file events reach watchdog when the system delivers them."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.serve import CLIENT_PATH, EVENTS_PATH, SERVE_OUTPUT, BuildOutcome, DevServer, ServeOptions
from generator.serve.watch import SiteWatcher
from tests.conftest import SiteFactory
from tests.helpers import NOW, SITE_TOML, run_cli, write_files
from tests.sites import BLOG

WAIT = 10.0  # seconds: the longest any test waits for an event
AT_BLOG = SITE_TOML.replace('url = "https://example.org/"\ndesc', 'url = "https://example.org/blog/"\ndesc')
FIRST = "content/posts/2026-01-10-first-post.md"
FIRST_PAGE = "/blog/2026/01/first-post/"
SCRIPT = re.compile(rb'<script src="/__homepost/client.js" data-build="([^"]*)"></script>\n')


class EventStream:
    """The server-sent events of one open page, read on a thread into a queue until the server
    ends the stream (when it stops): closing it from here would wait for the read in progress."""

    def __init__(self, url: str):
        self.response = urllib.request.urlopen(url, timeout=WAIT)
        self.content_type = self.response.headers["Content-Type"]
        self.events: queue.Queue[tuple[str, object]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        name, data = "message", []
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\r\n")
                if not line:
                    if data:
                        self.events.put((name, json.loads("\n".join(data))))
                    name, data = "message", []
                elif line.startswith(":"):
                    self.events.put(("comment", line[1:].strip()))
                else:
                    field, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if field == "event":
                        name = value
                    elif field == "data":
                        data.append(value)
                    elif field == "retry":
                        self.events.put(("retry", int(value)))
        except OSError:
            pass
        self.response.close()
        self.events.put(("closed", None))

    def seen(self) -> list[str]:
        """The names of the events that have arrived and were not read yet."""
        names = []
        while not self.events.empty():
            names.append(self.events.get_nowait()[0])
        return names

    def next(self, name: str) -> object:
        """The next event called `name`, skipping others; fails after WAIT seconds."""
        deadline, seen = time.monotonic() + WAIT, []
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, data = self.events.get(timeout=left)
            except queue.Empty:
                break
            if got == name:
                return data
            seen.append(got)
            if got == "closed":
                break
        raise AssertionError(f"no {name!r} event within {WAIT} s; got {seen}")


def fetch(url: str) -> tuple[int, str, bytes]:
    """Status, Content-Type and body, for errors too."""
    try:
        with urllib.request.urlopen(url, timeout=WAIT) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def wait_for(condition: Callable[[], object], what: str) -> object:
    """Poll `condition` until it returns something true; fails after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"not within {WAIT} s: {what}")


def edit(site: Path, rel: str, old: str, new: str) -> None:
    path = site / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


ZH_DRAFT = "---\ntitle: 草稿一篇\ndate: 2026-04-02\nlang: zh\ndraft: true\n---\n\n还没写完。\n"


def origin(server: DevServer) -> str:
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DevServer, Path]]:
    """One server for the tests that only read, on a blog at https://example.org/blog/ with a Chinese draft."""
    site = tmp_path_factory.mktemp("shared") / "site"
    write_files(site, {"site.toml": AT_BLOG, **BLOG, "content/posts/2026-04-02-cao-gao.md": ZH_DRAFT})
    server = DevServer(site, ServeOptions(port=0, now=NOW, keepalive=0.5))
    assert server.start().ok
    yield server, site
    server.stop()


@pytest.fixture
def server(shared: tuple[DevServer, Path]) -> str:
    """The origin of the shared server."""
    return origin(shared[0])


@pytest.fixture
def site(make_site: SiteFactory) -> Path:
    return make_site(BLOG, config=AT_BLOG)


@pytest.fixture
def tiny(make_site: SiteFactory) -> Path:
    """A site of one post, quick to build, for tests of the server's machinery."""
    return make_site({"content/posts/2026-01-01-one.md": "---\ntitle: One\n---\n\nThe one post.\n"}, config=AT_BLOG)


@pytest.fixture
def dev(site: Path) -> Iterator[DevServer]:
    """A server of its own, for a test that edits its site."""
    server = DevServer(site, ServeOptions(port=0, now=NOW))
    assert server.start().ok
    yield server
    server.stop()


# --- serving -------------------------------------------------------------------------------


def test_serve_serves_the_site_under_its_base_path(server: str) -> None:
    with urllib.request.urlopen(f"{server}/blog/") as response:
        assert response.status == 200 and "Test Site" in response.read().decode()
    with urllib.request.urlopen(f"{server}/blog/2026/03/%E4%B8%AD%E6%96%87%E6%A0%87%E9%A2%98/") as response:
        assert "中文标题的文章" in response.read().decode()
    with urllib.request.urlopen(f"{server}/") as response:  # redirected to the base path
        assert response.url == f"{server}/blog/"


def test_serve_answers_missing_pages_with_the_404_page(server: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{server}/blog/no/such/page/")
    assert caught.value.code == 404
    page = caught.value.read()
    assert b"<html" in page
    assert SCRIPT.search(page), "a 404 page reloads too, once the page it wanted exists"


def test_html_gets_the_reload_script_when_served_never_on_disk(shared: tuple[DevServer, Path]) -> None:
    dev, site = shared
    status, content_type, served = fetch(origin(dev) + FIRST_PAGE)
    on_disk = (site / SERVE_OUTPUT / "2026/01/first-post/index.html").read_bytes()
    assert status == 200 and content_type == "text/html; charset=utf-8"
    assert served.endswith(b"</script>\n</body>\n</html>\n")
    assert SCRIPT.sub(b"", served) == on_disk
    leftovers = [p for p in (site / SERVE_OUTPUT).rglob("*") if p.is_file() and b"__homepost" in p.read_bytes()]
    assert leftovers == []

    status, content_type, script = fetch(origin(dev) + CLIENT_PATH)
    assert status == 200 and content_type.startswith("text/javascript")
    assert b"EventSource" in script and EVENTS_PATH.encode() in script


def test_other_files_are_served_as_they_are(shared: tuple[DevServer, Path]) -> None:
    dev, site = shared
    out = site / SERVE_OUTPUT
    for path, content_type in [
        ("assets/style.css", "text/css"),
        ("feed.xml", "application/xml"),
        ("images/pixel.png", "image/png"),
        ("feed.json", "application/json"),
    ]:
        status, served_type, body = fetch(f"{origin(dev)}/blog/{path}")
        assert (status, served_type, body) == (200, content_type, (out / path).read_bytes()), path
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert f"<link>{origin(dev)}/blog/</link>" in feed, "absolute links lead to the dev server, not the live site"


def test_drafts_and_scheduled_posts_are_shown_with_badges_never_in_public(shared: tuple[DevServer, Path]) -> None:
    dev, site = shared
    home = fetch(origin(dev) + "/blog/")[2].decode()
    draft = fetch(origin(dev) + "/blog/2026/04/not-yet/")[2].decode()
    scheduled = fetch(origin(dev) + "/blog/2026/12/scheduled/")[2].decode()
    zh = fetch(origin(dev) + "/blog/2026/04/cao-gao/")[2].decode()
    archive = fetch(origin(dev) + "/blog/archive/")[2].decode()
    published = fetch(origin(dev) + FIRST_PAGE)[2].decode()
    assert '<span class="badge badge-draft">Draft</span>' in draft and "Unfinished." in draft
    assert '<span class="badge badge-scheduled">Scheduled</span>' in scheduled and "From the future." in scheduled
    assert '<span class="badge badge-draft">草稿</span>' in zh
    assert "badge-scheduled" in home  # the newest post on the first page of the list
    assert archive.count("badge-draft") == 2 and archive.count("badge-scheduled") == 1
    assert "badge" not in published
    assert not (site / "public").exists()
    assert (site / SERVE_OUTPUT / "2026/04/not-yet/index.html").is_file()


# --- rebuilding and reloading ----------------------------------------------------------------


def test_the_event_stream_says_how_to_reconnect_and_keeps_alive(server: str) -> None:
    stream = EventStream(server + EVENTS_PATH)
    assert stream.content_type == "text/event-stream; charset=utf-8"
    assert stream.next("retry") == 1000
    assert stream.next("hello") == {
        "build": SCRIPT.search(fetch(server + "/blog/")[2]).group(1).decode(),
        "problems": [],
    }
    assert stream.next("comment") == "keep-alive"  # every 0.5 s in these tests, 15 s by default


def test_an_edit_reloads_open_pages_which_then_show_it(dev: DevServer, site: Path) -> None:
    page_build = SCRIPT.search(fetch(origin(dev) + FIRST_PAGE)[2]).group(1).decode()
    stream = EventStream(origin(dev) + EVENTS_PATH)
    assert stream.next("hello") == {"build": page_build, "problems": []}

    edit(site, FIRST, "The opening paragraph", "The edited paragraph")
    reload = stream.next("reload")
    assert reload["build"] != page_build and FIRST_PAGE + "index.html" in reload["pages"]
    page = fetch(origin(dev) + FIRST_PAGE)[2]
    assert b"The edited paragraph" in page
    wait_for(lambda: dev.latest is not None and dev.latest.changed == (FIRST,), "the full build after the edit")
    page = fetch(origin(dev) + FIRST_PAGE)[2]
    assert b"The edited paragraph" in page and SCRIPT.search(page).group(1).decode() == dev_build(dev)


def dev_build(server: DevServer) -> str:
    """The build the server shows now."""
    assert server._http is not None
    return server._http.shown.build_id


class HeldBuilds:
    """Holds every build after the first until released, to see what an edit shows before the full build."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        from generator.pipeline.build import BuildOptions
        from generator.pipeline.session import BuildSession

        self.release = threading.Event()
        self.started = threading.Event()
        build = BuildSession.build

        def held(session: BuildSession, root: Path, options: BuildOptions) -> object:
            if self.started.is_set() or not options.jobs == 0:  # the first build (jobs=0) runs at once
                self.started.set()
                assert self.release.wait(WAIT), "the test never released the build"
            return build(session, root, options)

        monkeypatch.setattr(BuildSession, "build", held)


def test_an_edit_to_a_posts_text_shows_on_its_page_before_the_whole_site_is_rebuilt(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldBuilds(monkeypatch)
    with DevServer(site, ServeOptions(port=0, now=NOW)) as dev:
        stream = EventStream(origin(dev) + EVENTS_PATH)
        first = stream.next("hello")["build"]
        edit(site, FIRST, "The opening paragraph", "The edited paragraph")
        quick = stream.next("reload")  # while the full build is held
        assert quick["build"] != first and quick["pages"] == [FIRST_PAGE + "index.html"]
        assert held.started.wait(WAIT) and dev.latest is not None and dev.latest.number == 1
        page = fetch(origin(dev) + FIRST_PAGE)[2]
        assert b"The edited paragraph" in page and SCRIPT.search(page).group(1).decode() == quick["build"]
        home = fetch(origin(dev) + "/blog/")[2]

        held.release.set()
        full = stream.next("reload")
        assert full["build"] != quick["build"]
        assert FIRST_PAGE + "index.html" not in full["pages"]  # the same bytes: that page need not reload
        assert dev.latest.number == 2 and dev.latest.result is not None
        assert "2026/01/first-post/index.html" not in dev.latest.result.changed
        assert fetch(origin(dev) + "/blog/")[2] == home.replace(quick["build"].encode(), full["build"].encode())


def test_an_edit_saved_while_a_full_build_runs_shows_at_once_and_stays(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.pipeline import build as pipeline

    writing = [threading.Event(), threading.Event()]  # rebuilds 2 and 3, each held before it writes
    release = [threading.Event(), threading.Event()]
    write_output = pipeline.write_output

    builds: list[int] = []

    def held(*args: object, **kwargs: object) -> object:
        builds.append(len(builds) + 1)
        if builds[-1] in (2, 3):
            writing[builds[-1] - 2].set()
            assert release[builds[-1] - 2].wait(WAIT), "the test never released the build"
        return write_output(*args, **kwargs)

    monkeypatch.setattr(pipeline, "write_output", held)
    page = FIRST_PAGE + "index.html"
    with DevServer(site, ServeOptions(port=0, now=NOW)) as dev:
        stream = EventStream(origin(dev) + EVENTS_PATH)
        stream.next("hello")
        edit(site, FIRST, "The opening paragraph", "The first edit")
        assert stream.next("reload")["pages"] == [page]
        assert writing[0].wait(WAIT)  # build 2 has read the first edit and waits to write it
        edit(site, FIRST, "The first edit", "The second edit")
        assert stream.next("reload")["pages"] == [page]  # shown while build 2 runs
        assert b"The second edit" in fetch(origin(dev) + FIRST_PAGE)[2]

        release[0].set()  # build 2 writes the page from the first edit; it is rendered again after it
        after_build_2 = stream.next("reload")
        assert dev.latest is not None and dev.latest.number == 2 and page in after_build_2["pages"]
        assert b"The second edit" in fetch(origin(dev) + FIRST_PAGE)[2]
        assert writing[1].wait(WAIT)  # build 3, for the second edit
        release[1].set()
        wait_for(lambda: dev.latest is not None and dev.latest.number == 3, "build 3")
        assert b"The second edit" in fetch(origin(dev) + FIRST_PAGE)[2]


def test_an_edit_that_moves_a_post_waits_for_the_full_build(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    held = HeldBuilds(monkeypatch)
    with DevServer(site, ServeOptions(port=0, now=NOW)) as dev:
        stream = EventStream(origin(dev) + EVENTS_PATH)
        stream.next("hello")
        edit(site, FIRST, "tags: [Python, 随笔]", "tags: [Python]")  # its tag pages change too
        assert held.started.wait(WAIT)  # a quick render would have been shown by now: it comes first
        assert "reload" not in stream.seen() and "随笔</a>" in fetch(origin(dev) + FIRST_PAGE)[2].decode()
        held.release.set()
        full = stream.next("reload")
        assert FIRST_PAGE + "index.html" in full["pages"] and "/blog/tags/随笔/index.html" in full["pages"]
        assert "随笔</a>" not in fetch(origin(dev) + FIRST_PAGE)[2].decode()


def test_a_broken_edit_shows_its_error_and_the_last_good_page_stays(dev: DevServer, site: Path) -> None:
    stream = EventStream(origin(dev) + EVENTS_PATH)
    good = stream.next("hello")["build"]

    edit(site, FIRST, "date: 2026-01-10 09:30", "date: <soon>")
    problems = stream.next("build-error")["problems"]
    assert len(problems) == 1 and problems[0]["file"] == FIRST and problems[0]["line"] == 3
    assert problems[0]["text"].startswith(f"{FIRST}:3: date: '<soon>' is not a date; write it as 2024-12-06")
    status, _, page = fetch(origin(dev) + FIRST_PAGE)
    assert status == 200 and b"The opening paragraph" in page
    assert SCRIPT.search(page).group(1).decode() == good
    late = EventStream(origin(dev) + EVENTS_PATH)  # a page opened now shows the problem at once
    assert late.next("hello") == {"build": good, "problems": problems}

    edit(site, FIRST, "date: <soon>", "date: 2026-01-10 09:30")
    assert stream.next("reload")["build"] != good
    assert late.next("reload")["build"] != good
    assert EventStream(origin(dev) + EVENTS_PATH).next("hello")["problems"] == []


def test_a_failed_first_build_still_serves_the_problems_until_fixed(make_site: SiteFactory) -> None:
    site = make_site({**BLOG, FIRST: BLOG[FIRST].replace("title: ", "title: [unclosed ", 1)}, config=AT_BLOG)
    reports: list[BuildOutcome] = []
    with DevServer(site, ServeOptions(port=0, now=NOW), report=reports.append) as dev:
        assert not reports[0].ok and reports[0].problems[0].file == FIRST
        assert dev.url == origin(dev) + "/blog/"  # site.toml was fine: the base path is known
        status, content_type, page = fetch(origin(dev) + "/")
        assert status == 500 and content_type == "text/html; charset=utf-8"
        assert FIRST.encode() in page and b"Build failed" in page and SCRIPT.search(page).group(1) == b""
        stream = EventStream(origin(dev) + EVENTS_PATH)
        assert stream.next("hello")["problems"][0]["file"] == FIRST

        (site / FIRST).write_text(BLOG[FIRST], encoding="utf-8")
        stream.next("reload")
        status, _, page = fetch(origin(dev) + "/blog/")
        assert status == 200 and b"Test Site" in page
        wait_for(lambda: len(reports) > 1, "the fixed build's report")  # pages hear of a build before the reporter
        assert reports[-1].ok


def test_the_error_page_escapes_what_it_shows(make_site: SiteFactory) -> None:
    broken = "---\ntitle: X\ndate: <script>alert(1)</script>\n---\nhi\n"
    site = make_site({"content/posts/2026-01-01-x.md": broken}, config=AT_BLOG)
    with DevServer(site, ServeOptions(port=0, now=NOW)) as dev:
        page = fetch(origin(dev) + "/blog/")[2].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def test_changes_during_a_build_make_one_more_build_together(tiny: Path) -> None:
    outcomes: queue.Queue[BuildOutcome] = queue.Queue()

    def report(outcome: BuildOutcome) -> None:
        if outcome.number == 2:  # still inside the build loop's turn: these wait for the next turn
            for name in ("c", "a", "b"):
                dev.request_rebuild(name)
        outcomes.put(outcome)

    dev = DevServer(tiny, ServeOptions(port=0, now=NOW), report=report)
    with dev:
        assert outcomes.get(timeout=WAIT).number == 1
        dev.request_rebuild("first")
        assert outcomes.get(timeout=WAIT).changed == ("first",)
        third = outcomes.get(timeout=WAIT)
    assert (third.number, third.changed) == (3, ("a", "b", "c"))


def test_what_the_watcher_ignores(site: Path) -> None:
    watcher = SiteWatcher(site, lambda path: None, ignore=[site / "content/out"])
    for path, expected in [
        ("site.toml", "site.toml"),
        ("content/posts/a.md", "content/posts/a.md"),
        ("themes/x/static/s.css", "themes/x/static/s.css"),
        ("templates/post.html", "templates/post.html"),
        ("static/robots.txt", "static/robots.txt"),
        ("content", "content"),
        ("public/index.html", None),
        ("README.md", None),
        (".homepost/serve/index.html", None),
        ("content/.git/HEAD", None),
        ("content/posts/.a.md.swp", None),
        ("content/posts/a.md~", None),
        ("content/posts/4913", None),
        ("content/out/x.html", None),
    ]:
        assert watcher.source(str(site.resolve() / path)) == expected, path


def test_stop_ends_every_thread_and_frees_the_port(tiny: Path) -> None:
    before = set(threading.enumerate())
    dev = DevServer(tiny, ServeOptions(port=0, now=NOW))
    dev.start()
    stream = EventStream(origin(dev) + EVENTS_PATH)
    stream.next("hello")
    dev.stop()
    assert stream.next("closed") is None
    wait_for(lambda: set(threading.enumerate()) <= before, "every thread of the server ended")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(origin(dev) + "/blog/", timeout=WAIT)


def test_the_serve_command_says_when_the_port_is_taken(tiny: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--site", str(tiny), "--port", str(port))
    assert result.exit_code == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use; try --port" in result.output
    assert not (tiny / ".homepost").exists()


def test_the_serve_command_stops_cleanly_on_ctrl_c(tiny: Path) -> None:
    site = tiny
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
    command = [sys.executable, "-m", "generator", "serve", "--site", str(site), "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
        first = lines.get(timeout=WAIT)
        assert first.startswith("Built 1 post and 0 pages"), first
        serving = lines.get(timeout=WAIT)
        url = re.search(r"at (http://127\.0\.0\.1:\d+/blog/) with drafts", serving).group(1)
        assert fetch(url)[0] == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=WAIT) == 0
        assert lines.get(timeout=WAIT) == "Stopped.\n"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not (site / "public").exists()
    assert sorted(p.name for p in site.iterdir()) == [".homepost", "content", "site.toml"]


def test_audio_is_served_in_byte_ranges_so_players_can_seek(tmp_path: Path) -> None:
    from http.client import HTTPConnection

    from generator.serve.web import SiteServer

    (tmp_path / "out").mkdir()
    (tmp_path / "out/a.mp3").write_bytes(bytes(range(256)) * 4)
    server = SiteServer(tmp_path / "out", "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:

        def get(range_header: str) -> tuple[int, dict, bytes]:
            connection = HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
            connection.request("GET", "/a.mp3", headers={"Range": range_header})
            response = connection.getresponse()
            result = response.status, dict(response.getheaders()), response.read()
            connection.close()
            return result

        status, headers, body = get("bytes=10-19")
        assert status == 206 and headers["Content-Range"] == "bytes 10-19/1024" and body == bytes(range(10, 20))
        status, headers, body = get("bytes=1000-")
        assert status == 206 and headers["Content-Range"] == "bytes 1000-1023/1024" and len(body) == 24
        status, headers, body = get("bytes=-4")
        assert status == 206 and body == bytes(range(252, 256))
        status, headers, _ = get("bytes=5000-")
        assert status == 416 and headers["Content-Range"] == "bytes */1024"
    finally:
        server.shutdown()
        server.server_close()


def test_a_deleted_post_answers_410_with_its_tombstone(make_site: SiteFactory) -> None:
    sent = {"sources": {"https://example.org/blog/2025/01/gone/": {"version": "v1", "targets": [], "outcomes": {}}}}
    site = make_site(
        {
            "content/posts/2026-01-01-one.md": "---\ntitle: One\n---\n\nText.\n",
            "data/webmention/sent.json": json.dumps(sent),
        },
        config=AT_BLOG,
    )
    server = DevServer(site, ServeOptions(port=0, now=NOW))
    assert server.start().ok
    try:
        status, _, body = fetch(f"{origin(server)}/blog/2025/01/gone/")
        assert status == 410 and "This post was deleted" in body.decode()
        assert fetch(f"{origin(server)}/blog/2026/01/one/")[0] == 200
    finally:
        server.stop()


def test_the_serve_commands_help_names_the_folder_it_builds_into() -> None:
    from generator.commands import serve as serve_command

    assert serve_command.SERVE_OUTPUT == SERVE_OUTPUT
