"""The Webmention receiver: synchronous checks, verification of real sources on loopback, the API, the queue."""

from __future__ import annotations

import datetime as dt
import json
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from generator.config import NetworkSettings
from generator.http import HttpClient
from generator.webmention.receiver import Receiver, Store, WorkerOptions, verify
from generator.webmention.receiver.app import is_blocked, on_site
from generator.webmention.receiver.schema import SCHEMA_VERSION
from tests.receiver_helpers import (
    FAST,
    FORM,
    SITE_URL,
    TARGET,
    WAIT,
    ReceiverProcess,
    call,
    entry_page,
    mentions,
    send,
    settled,
    site_config,
    start_receiver,
    wait_for,
    write_site,
)
from tests.servers import LoopbackServer, Reply

HTML = [("Content-Type", "text/html; charset=utf-8")]


@pytest.fixture
def source() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Receiver]]:
    """Start receivers for a site in tmp_path (extra TOML appended to its site.toml); all stopped afterwards."""
    started: list[Receiver] = []

    def run(extra: str = "", worker: WorkerOptions | None = None) -> Receiver:
        config = site_config(tmp_path / "site", extra)
        receiver = start_receiver(config, worker=worker or FAST)
        started.append(receiver)
        return receiver

    yield run
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(start: Callable[..., Receiver]) -> Receiver:
    return start()


def serve_page(source: LoopbackServer, path: str, html: str) -> str:
    source.route(path, Reply(200, html, HTML))
    return source.url(path)


def accept_and_settle(receiver: Receiver, source_url: str, target: str = TARGET) -> None:
    answer = send(receiver.url, source_url, target)
    assert answer.status == 202, answer.text
    wait_for(lambda: settled(receiver, source_url, target), "the worker to settle the request")


def children(receiver: Receiver, **params: str) -> list[dict]:
    answer = mentions(receiver.url, **params)
    assert answer.status == 200 and answer.headers["content-type"] == "application/json"
    feed = answer.json()
    assert feed["type"] == "feed"
    return feed["children"]


# --- the synchronous checks: 400 with a reason, nothing queued ----------------------------------


def assert_refused(receiver: Receiver, answer_status: int, answer_text: str, reason: str) -> None:
    assert (answer_status, answer_text) == (400, reason + "\n")
    assert receiver.store.jobs() == []


def test_missing_source_is_400(receiver: Receiver) -> None:
    answer = send(receiver.url, None, TARGET)
    assert_refused(receiver, answer.status, answer.text, "source is missing")
    assert answer.headers["content-type"].startswith("text/plain")


def test_missing_target_is_400(receiver: Receiver) -> None:
    answer = send(receiver.url, "https://alice.example/reply", "")
    assert_refused(receiver, answer.status, answer.text, "target is missing")


def test_malformed_source_is_400(receiver: Receiver) -> None:
    answer = send(receiver.url, "not a url", TARGET)
    assert_refused(
        receiver,
        answer.status,
        answer.text,
        "source is not a valid URL (it must be absolute, such as https://example.com/post)",
    )
    answer = send(receiver.url, "http://[::1/reply", TARGET)
    assert_refused(receiver, answer.status, answer.text, "source is not a valid URL")


def test_ftp_scheme_is_400(receiver: Receiver) -> None:
    answer = send(receiver.url, "ftp://alice.example/reply.txt", TARGET)
    assert_refused(receiver, answer.status, answer.text, "source must be an http or https URL")


def test_source_equal_to_target_is_400(receiver: Receiver) -> None:
    answer = send(receiver.url, "https://EXAMPLE.com/2026/05/hello/", TARGET)
    assert_refused(receiver, answer.status, answer.text, "source and target are the same URL")


def test_target_on_another_site_is_400(receiver: Receiver, source: LoopbackServer) -> None:
    for target in (
        "https://example.org/2026/05/hello/",
        "http://example.com/2026/05/hello/",
        "https://example.com.evil/",
    ):
        answer = send(receiver.url, "https://alice.example/reply", target)
        assert_refused(
            receiver, answer.status, answer.text, f"target is not on this site (it must start with {SITE_URL})"
        )
    assert send(receiver.url, source.url("/reply"), "HTTPS://Example.COM/2026/05/hello/").status == 202


def test_blocklisted_source_is_400(start: Callable[..., Receiver]) -> None:
    receiver = start('\n[webmention]\nblocklist = ["spam.example"]\n')
    for source_url in ("https://spam.example/a", "https://www.SPAM.example/b"):
        answer = send(receiver.url, source_url, TARGET)
        assert_refused(
            receiver, answer.status, answer.text, "webmentions from the source's domain are not accepted here"
        )
    assert is_blocked("deep.www.spam.example", ("spam.example",))
    assert not is_blocked("notspam.example", ("spam.example",))


def test_which_targets_are_on_the_site() -> None:
    assert on_site("https://example.com:443/blog/post/", "https://example.com/blog/")
    assert on_site("https://example.com/blog", "https://example.com/blog/")
    assert not on_site("https://example.com/blogger/", "https://example.com/blog/")
    assert not on_site("https://example.com:8443/blog/", "https://example.com/blog/")


# --- other answers of the endpoint and the API ---------------------------------------------------


def test_a_body_over_the_limit_is_413(receiver: Receiver) -> None:
    body = b"source=https://alice.example/&target=" + b"x" * 20_000
    answer = call(receiver.url, "POST", "/webmention", body, {"Content-Type": FORM})
    assert answer.status == 413
    assert receiver.store.jobs() == []


def test_other_methods_paths_and_content_types(receiver: Receiver) -> None:
    put = call(receiver.url, "PUT", "/webmention", b"source=a&target=b", {"Content-Type": FORM})
    assert put.status == 405 and put.headers["allow"] == "GET, HEAD, POST"
    json_body = call(receiver.url, "POST", "/webmention", b'{"source": "x"}', {"Content-Type": "application/json"})
    assert json_body.status == 415
    page = call(receiver.url, "GET", "/webmention")
    assert page.status == 200 and b'<form method="post">' in page.body
    missing = call(receiver.url, "GET", "/<script>alert(1)</script>")
    assert (missing.status, missing.body) == (404, b"not found\n")
    bad_since = mentions(receiver.url, since="yesterday<b>")
    assert bad_since.status == 400 and b"<b>" not in bad_since.body


def test_the_api_answers_200_with_an_empty_feed_when_there_are_none(receiver: Receiver) -> None:
    answer = mentions(receiver.url, target=TARGET)
    assert answer.status == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.json() == {"type": "feed", "children": []}
    assert children(receiver) == []


# --- verification of real sources ----------------------------------------------------------------


def test_a_reply_is_verified_with_its_author_and_sanitised_content(receiver: Receiver, source: LoopbackServer) -> None:
    content = '<p>Great <b onclick="steal()">post</b>!</p><script>alert("pwned")</script>'
    url = serve_page(source, "/reply", entry_page("in-reply-to", content))
    answer = send(receiver.url, url, TARGET)
    assert answer.status == 202 and answer.text.startswith("Accepted")
    wait_for(lambda: settled(receiver, url), "the reply to be verified")
    assert source.received[0].headers["User-Agent"].startswith("Homepost/")
    [entry] = children(receiver, target=TARGET)
    assert entry["wm-property"] == "in-reply-to" and entry["in-reply-to"] == TARGET
    assert (entry["wm-source"], entry["wm-target"], entry["url"]) == (url, TARGET, url)
    assert entry["author"] == {
        "type": "card",
        "name": "Alice Example",
        "url": "https://alice.example/",
        "photo": "https://alice.example/photo.jpg",
    }
    assert entry["content"] == {"html": "<p>Great <b>post</b>!</p>", "text": "Great post!"}
    assert "name" not in entry
    assert dt.datetime.fromisoformat(entry["published"]) == dt.datetime(2026, 5, 2, 8, tzinfo=dt.UTC)
    received, verified = (
        dt.datetime.fromisoformat(entry["wm-received"]),
        dt.datetime.fromisoformat(entry["wm-verified"]),
    )
    assert received <= verified
    stored = receiver.store.get(url, TARGET)
    assert stored is not None and stored.response.in_reply_to == TARGET and stored.response.platform == "web"


@pytest.mark.parametrize(
    ("prop", "kind", "wm_property"),
    [
        ("like-of", "like", "like-of"),
        ("repost-of", "repost", "repost-of"),
        ("bookmark-of", "bookmark", "bookmark-of"),
    ],
)
def test_likes_reposts_and_bookmarks_are_classified(
    receiver: Receiver, source: LoopbackServer, prop: str, kind: str, wm_property: str
) -> None:
    url = serve_page(source, f"/{kind}", entry_page(prop, content=""))
    accept_and_settle(receiver, url)
    [entry] = children(receiver, target=TARGET)
    assert entry["wm-property"] == wm_property and entry[wm_property] == TARGET
    assert entry["author"]["name"] == "Alice Example"
    assert receiver.store.get(url, TARGET).response.type == kind  # type: ignore[union-attr]


def test_a_link_elsewhere_on_the_page_is_a_mention(receiver: Receiver, source: LoopbackServer) -> None:
    page = entry_page(
        "in-reply-to", target="https://other.example/post", content=f'<p>Also see <a href="{TARGET}">this</a>.</p>'
    )
    url = serve_page(source, "/mention", page)
    accept_and_settle(receiver, url)
    stored = receiver.store.get(url, TARGET)
    assert stored is not None and stored.response.type == "mention"
    assert stored.response.in_reply_to == "https://other.example/post"
    assert children(receiver)[0]["wm-property"] == "mention-of"


def test_a_source_that_does_not_link_the_target_is_not_stored(receiver: Receiver, source: LoopbackServer) -> None:
    page = f"""<html><body><p>The text names {TARGET} but never links it.</p>
    <!-- <a href="{TARGET}">in a comment</a> --><a href="{TARGET}extra">a longer URL</a>
    <script>var a = '<a href="{TARGET}">';</script></body></html>"""
    url = serve_page(source, "/nolink", page)
    accept_and_settle(receiver, url)
    assert receiver.store.get(url, TARGET) is None
    assert receiver.store.jobs(url, TARGET)[0].result == "source does not link to the target"
    assert children(receiver) == [] and children(receiver, since="2000-01-01T00:00:00Z") == []


def test_json_and_plain_text_sources_are_mentions_when_they_name_the_target(
    receiver: Receiver, source: LoopbackServer
) -> None:
    source.route(
        "/data.json", Reply(200, json.dumps({"links": [{"href": TARGET}]}), [("Content-Type", "application/json")])
    )
    source.route("/note.txt", Reply(200, f"See {TARGET}.\n", [("Content-Type", "text/plain")]))
    source.route("/longer.txt", Reply(200, f"See {TARGET}more\n", [("Content-Type", "text/plain")]))
    for path in ("/data.json", "/note.txt", "/longer.txt"):
        accept_and_settle(receiver, source.url(path))
    assert {e["wm-source"]: e["wm-property"] for e in children(receiver)} == {
        source.url("/data.json"): "mention-of",
        source.url("/note.txt"): "mention-of",
    }
    assert children(receiver)[0]["author"]["name"] == "127.0.0.1"


def test_a_titled_post_in_a_feed_takes_its_author_from_the_representative_h_card(source: LoopbackServer) -> None:
    page = f"""<html><head><link rel="me" href="https://bob.example/"></head><body>
    <div class="h-card"><a class="u-url p-name" href="https://bob.example/">Bob</a></div>
    <div class="h-feed"><article class="h-entry"><h1 class="p-name">On hello</h1>
    <div class="e-content">I <a href="{TARGET}">read this</a>.</div>
    <time class="dt-published" datetime="2026-05-03 09:00">3 May</time></article></div></body></html>"""
    url = serve_page(source, "/feed", page)
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    client = HttpClient(NetworkSettings(allow_private_addresses=True, timeout=5))
    verdict = verify(client, url, TARGET, now=now)
    assert verdict.outcome == "accept" and verdict.response is not None
    response = verdict.response
    assert (response.type, response.name, response.content_text) == ("mention", "On hello", "I read this.")
    assert (response.author.name, response.author.url) == ("Bob", "https://bob.example/")
    assert response.published == dt.datetime(2026, 5, 3, 9, tzinfo=dt.UTC) and response.verified == now


# --- updates, deletes, idempotency, the since query ----------------------------------------------


def test_a_resent_webmention_updates_the_one_entry(receiver: Receiver, source: LoopbackServer) -> None:
    url = serve_page(source, "/reply", entry_page(content="<p>First version</p>"))
    accept_and_settle(receiver, url)
    first = children(receiver, target=TARGET)[0]
    serve_page(source, "/reply", entry_page(content="<p>Second version</p>"))
    accept_and_settle(receiver, url)
    [entry] = children(receiver, target=TARGET)
    assert entry["content"]["text"] == "Second version"
    assert entry["wm-received"] == first["wm-received"]
    assert dt.datetime.fromisoformat(entry["wm-verified"]) >= dt.datetime.fromisoformat(first["wm-verified"])
    assert len(receiver.store.mentions(since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))) == 1


def test_the_same_pair_sent_twice_is_one_mention(receiver: Receiver, source: LoopbackServer) -> None:
    url = serve_page(source, "/reply", entry_page())
    assert send(receiver.url, url, TARGET).status == 202
    assert send(receiver.url, url, TARGET).status == 202
    wait_for(lambda: settled(receiver, url), "both requests to be settled")
    assert [job.status for job in receiver.store.jobs(url, TARGET)] == ["done", "done"]
    assert len(children(receiver)) == 1
    assert len(children(receiver, since="2000-01-01T00:00:00Z")) == 1


def test_a_source_answering_410_deletes_the_mention_and_since_reports_it(
    receiver: Receiver, source: LoopbackServer
) -> None:
    url = serve_page(source, "/reply", entry_page(content="<p>Soon gone</p>"))
    accept_and_settle(receiver, url)
    before_delete = children(receiver)[0]["wm-verified"]
    source.route("/reply", Reply(410, "gone", HTML))
    accept_and_settle(receiver, url)
    assert children(receiver, target=TARGET) == [] and children(receiver) == []
    [tombstone] = children(receiver, since=before_delete)
    assert tombstone["deleted"] is True and tombstone["wm-source"] == url and tombstone["wm-target"] == TARGET
    assert "content" not in tombstone and tombstone["author"] == {"type": "card"}  # withdrawn content is not kept
    assert "deleted" in receiver.store.jobs(url, TARGET)[-1].result


def test_a_source_that_no_longer_links_deletes_the_mention(receiver: Receiver, source: LoopbackServer) -> None:
    url = serve_page(source, "/reply", entry_page())
    accept_and_settle(receiver, url)
    serve_page(source, "/reply", entry_page(target="https://elsewhere.example/"))
    accept_and_settle(receiver, url)
    assert children(receiver) == []
    [tombstone] = children(receiver, since="2000-01-01T00:00:00Z")
    assert tombstone["deleted"] is True
    assert receiver.store.jobs(url, TARGET)[-1].result == "source does not link to the target; deleted the mention"
    serve_page(source, "/reply", entry_page())  # linked again: the tombstone comes back to life
    accept_and_settle(receiver, url)
    assert [e.get("deleted") for e in children(receiver, since="2000-01-01T00:00:00Z")] == [None]


def test_the_api_filters_by_target_and_since(receiver: Receiver, source: LoopbackServer) -> None:
    other = "https://example.com/2026/05/other/"
    first = serve_page(source, "/one", entry_page())
    accept_and_settle(receiver, first)
    second = serve_page(source, "/two", entry_page("like-of", target=other))
    accept_and_settle(receiver, second, other)
    assert [e["wm-source"] for e in children(receiver, target=TARGET)] == [first]
    assert [e["wm-source"] for e in children(receiver, target=other)] == [second]
    assert [e["wm-source"] for e in children(receiver)] == [first, second]
    cut = children(receiver, target=other)[0]["wm-verified"]
    assert [e["wm-source"] for e in children(receiver, since=cut)] == [second]
    assert children(receiver, since="2999-01-01T00:00:00Z") == []
    assert children(receiver, target="https://example.com/nothing/") == []


# --- the queue: rate limit, retries, surviving a kill --------------------------------------------


def test_the_rate_limit_answers_429_with_retry_after(start: Callable[..., Receiver], source: LoopbackServer) -> None:
    receiver = start("\n[webmention]\nrate_limit = 2\n")
    assert send(receiver.url, source.url("/a"), TARGET).status == 202
    assert send(receiver.url, source.url("/b"), TARGET).status == 202
    third = send(receiver.url, source.url("/c"), TARGET)
    assert third.status == 429
    assert 1 <= int(third.headers["retry-after"]) <= 60
    assert len(receiver.store.jobs()) == 2
    other_host = f"http://localhost:{source.port}/d"
    assert send(receiver.url, other_host, TARGET).status == 202


def test_a_temporary_failure_is_retried_later(receiver: Receiver, source: LoopbackServer) -> None:
    answers = iter([Reply(503, "busy"), Reply(200, entry_page(), HTML)])
    source.route("/reply", lambda received: next(answers))
    url = source.url("/reply")
    assert send(receiver.url, url, TARGET).status == 202
    wait_for(lambda: settled(receiver, url), "the retry to verify the source")
    [job] = receiver.store.jobs(url, TARGET)
    assert (job.status, job.attempts, job.result) == ("done", 1, "verified reply")
    assert len([r for r in source.received if r.path == "/reply"]) == 2
    assert len(children(receiver)) == 1


def test_a_source_that_keeps_failing_is_given_up(receiver: Receiver, source: LoopbackServer) -> None:
    source.route("/reply", Reply(503, "busy"))
    url = source.url("/reply")
    accept_and_settle(receiver, url)
    [job] = receiver.store.jobs(url, TARGET)
    assert job.status == "failed" and job.result == "gave up after 3 attempts: source answered 503"
    assert len(source.received) == 3 and children(receiver) == []


def test_a_source_on_a_private_address_is_refused_without_retries(tmp_path: Path, source: LoopbackServer) -> None:
    config = site_config(tmp_path / "site")
    guarded = start_receiver(replace(config, network=NetworkSettings()))  # allow_private_addresses = false
    try:
        url = serve_page(source, "/reply", entry_page())
        accept_and_settle(guarded, url)
        [job] = guarded.store.jobs(url, TARGET)
        assert (job.status, job.attempts) == ("failed", 0) and job.result.startswith("refused: 127.0.0.1 is a loopback")
        assert source.received == [] and guarded.store.get(url, TARGET) is None
    finally:
        guarded.stop()


def test_the_store_is_wal_and_versioned(tmp_path: Path) -> None:
    store = Store(tmp_path / "db" / "receiver.sqlite3")
    store.enqueue("https://alice.example/r", TARGET)
    store.close()
    with sqlite3.connect(tmp_path / "db" / "receiver.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        assert db.execute("SELECT source, status, attempts FROM queue").fetchall() == [
            ("https://alice.example/r", "pending", 0)
        ]


def test_a_kill_between_202_and_verification_loses_nothing(tmp_path: Path, source: LoopbackServer) -> None:
    site = write_site(tmp_path / "site")
    db = tmp_path / "receiver.sqlite3"
    release = threading.Event()
    source.raw("/reply", lambda handler: release.wait(WAIT))  # the first fetch hangs until the kill
    url = source.url("/reply")
    first = ReceiverProcess(site, db)
    try:
        assert send(first.url, url, TARGET).status == 202
        wait_for(lambda: any(r.path == "/reply" for r in source.received), "the worker to start fetching the source")
        first.process.kill()  # SIGKILL: no cleanup of any kind
        first.process.wait(timeout=WAIT)
    finally:
        first.close()
        release.set()
    store = Store(db)
    assert [(job.status, job.attempts) for job in store.jobs(url, TARGET)] == [("pending", 0)]
    store.close()

    serve_page(source, "/reply", entry_page())
    second = ReceiverProcess(site, db)
    try:
        entries = wait_for(lambda: children_at(second.url), "the restarted receiver to verify the mention")
        assert [(e["wm-source"], e["wm-property"]) for e in entries] == [(url, "in-reply-to")]
        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(timeout=WAIT) == 0
        assert second.lines.get(timeout=WAIT) == "Stopped.\n"
    finally:
        second.close()


def children_at(base_url: str) -> list[dict]:
    return mentions(base_url).json()["children"]
