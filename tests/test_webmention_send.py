"""Sending webmentions: what is sent, what is recorded, and what is never sent twice.

The site is served from a loopback server as a static host would serve it (410 for tombstones),
and each target is a loopback page advertising an endpoint that records what it receives.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from generator.config import load_config
from generator.pipeline.build import read_site
from generator.ratelimit import RATE_LIMITS_FILE, RateLimits, host_key
from generator.sitedata.sent import SENT_FILE
from generator.webmention.send import SendOptions, send_webmentions, webmention_client
from tests.helpers import NOW, build, run_cli, write_files
from tests.servers import LoopbackServer, Reply, static_site


class Web:
    """The site's host and a few other sites on loopback."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.host = LoopbackServer()  # serves the built site
        self.other = LoopbackServer()  # the sites the post links to
        self.endpoint_status = 202

    def close(self) -> None:
        self.host.close()
        self.other.close()

    def target(self, path: str, endpoint: str | None = "/endpoint") -> str:
        """A page on the other site; its endpoint (if any) is advertised in a Link header."""
        headers = [("Content-Type", "text/html")] + ([("Link", f'<{endpoint}>; rel="webmention"')] if endpoint else [])
        self.other.route(path, Reply(200, "<p>a page</p>", headers))
        return self.other.url(path)

    def mentions(self) -> list[tuple[str, str]]:
        """The (source, target) pairs the endpoint received, in order."""
        found = []
        for received in self.other.received:
            if received.method == "POST":
                form = parse_qs(received.body.decode())
                found.append((form["source"][0], form["target"][0]))
        return found


@pytest.fixture
def web(tmp_path: Path):
    web = Web(tmp_path / "site")
    web.other.route("/endpoint", lambda r: Reply(web.endpoint_status, b"accepted"))
    config = f"""\
[site]
title = "Sender"
url = "{web.host.url("/")}"

[network]
allow_private_addresses = true
timeout = 2
"""
    write_files(web.root, {"site.toml": config})
    web.host.fallback = static_site(web.root / "public")
    yield web
    web.close()


def post(web: Web, name: str, body: str, front: str = "") -> None:
    write_files(web.root, {f"content/posts/{name}.md": f"---\ntitle: {name}\ndate: 2026-05-01\n{front}---\n{body}\n"})


def send(web: Web, *args: str) -> tuple[int, str]:
    assert build(web.root).exit_code == 0
    result = run_cli("webmention", "send", "--site", str(web.root), *args)
    return result.exit_code, result.output


def record(web: Web) -> dict:
    return json.loads((web.root / "data" / SENT_FILE).read_text())


def test_links_and_cites_are_sent_once_and_recorded(web: Web) -> None:
    a, b, c = web.target("/a"), web.target("/b", endpoint=None), web.target("/c")
    post(web, "hello", f"See [a]({a}), [b]({b}) and [me](/about/).", front=f"in_reply_to: {c}\n")
    code, output = send(web)
    source = web.host.url("/2026/05/hello/")
    assert code == 0, output
    assert sorted(web.mentions()) == [(source, a), (source, c)]
    assert f"no endpoint at {b}" in output
    outcomes = record(web)["sources"][source]["outcomes"]
    assert {t: o["status"] for t, o in outcomes.items()} == {a: "sent", b: "no-endpoint", c: "sent"}
    code, output = send(web)  # nothing changed: nothing is sent
    assert code == 0 and len(web.mentions()) == 2
    assert "Sent 0 webmentions" in output


def test_the_form_is_urlencoded_source_and_target(web: Web) -> None:
    a = web.target("/a")
    post(web, "hello", f"[a]({a})")
    send(web)
    posted = [r for r in web.other.received if r.method == "POST"][0]
    assert posted.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(posted.body.decode()) == {"source": [web.host.url("/2026/05/hello/")], "target": [a]}


def test_an_endpoint_query_string_is_kept_and_discovery_runs_before_every_send(web: Web) -> None:
    a = web.target("/a", endpoint="/endpoint?key=one-time")
    post(web, "hello", f"[a]({a})")
    send(web)
    post(web, "hello", f"[a]({a}) edited")
    send(web)
    gets = [r.path for r in web.other.received if r.method == "GET"]
    posts = [r.path for r in web.other.received if r.method == "POST"]
    assert gets.count("/a") == 2 and posts == ["/endpoint?key=one-time"] * 2


def test_an_edit_tells_targets_linked_now_and_before(web: Web) -> None:
    a, b, c = web.target("/a"), web.target("/b"), web.target("/c")
    post(web, "hello", f"[a]({a}) [b]({b})")
    send(web)
    post(web, "hello", f"[b]({b}) [c]({c})")  # a removed, c added
    send(web)
    source = web.host.url("/2026/05/hello/")
    assert sorted(web.mentions()[2:]) == [(source, a), (source, b), (source, c)]
    send(web)
    assert len(web.mentions()) == 5


def test_a_deleted_post_gets_a_tombstone_with_410_and_tells_its_targets_once(web: Web) -> None:
    a = web.target("/a")
    post(web, "hello", f"[a]({a})")
    send(web)
    (web.root / "content/posts/hello.md").unlink()
    post(web, "other", "no links")
    code, output = send(web)
    public = web.root / "public"
    assert "This post was deleted" in (public / "2026/05/hello/index.html").read_text()
    assert "/2026/05/hello/ /2026/05/hello/ 410!" in (public / "_redirects").read_text()
    assert (
        "location = /2026/05/hello/ { error_page 410 /2026/05/hello/index.html; return 410; }"
        in (public / "_nginx.conf").read_text()
    )
    source = web.host.url("/2026/05/hello/")
    assert web.mentions() == [(source, a), (source, a)]
    assert "(deleted post)" in output
    send(web)
    assert len(web.mentions()) == 2


def test_a_post_that_is_not_live_yet_is_skipped_without_using_a_try(web: Web) -> None:
    a = web.target("/a")
    post(web, "hello", f"[a]({a})")
    web.host.fallback = None  # deployed nowhere: 404
    code, output = send(web)
    assert web.mentions() == [] and "not live" in output
    web.host.fallback = static_site(web.root / "public")
    send(web)
    assert len(web.mentions()) == 1


def test_failures_are_retried_with_backoff_then_given_up(web: Web) -> None:
    a = web.target("/a")
    post(web, "hello", f"[a]({a})")
    assert build(web.root).exit_code == 0
    web.endpoint_status = 503
    config = load_config(web.root)
    client = webmention_client(config)
    posts = read_site(config, NOW).posts

    def attempt(now: dt.datetime):
        return send_webmentions(config, posts, client, SendOptions(now=now))

    first = attempt(NOW)
    assert first.count("failed") == 1 and first.results[0].outcome.next_try == NOW + dt.timedelta(minutes=10)
    assert attempt(NOW + dt.timedelta(minutes=5)).results == []  # not due yet
    later = NOW
    for _ in range(config.webmention.max_tries - 1):
        later += dt.timedelta(days=4)
        report = attempt(later)
    assert report.count("gave-up") == 1 and "gave up after 6 tries" in report.results[0].outcome.error
    assert attempt(later + dt.timedelta(days=30)).results == []
    assert len(web.mentions()) == 6


def test_a_rejection_is_final_for_that_version(web: Web) -> None:
    a = web.target("/a")
    post(web, "hello", f"[a]({a})")
    web.endpoint_status = 400
    code, output = send(web)
    assert "rejected" in output and "400" in output
    send(web)
    assert len(web.mentions()) == 1


def test_a_hanging_endpoint_times_out_and_the_others_are_still_sent(web: Web) -> None:
    web.other.raw("/slow-endpoint", lambda handler: web.other.closing.wait(10))
    slow, fast = web.target("/slow", endpoint="/slow-endpoint"), web.target("/fast")
    post(web, "hello", f"[slow]({slow}) [fast]({fast})")
    code, output = send(web)
    assert code == 1
    assert f"sent {web.host.url('/2026/05/hello/')} -> {fast} (202)" in output
    assert f"failed {web.host.url('/2026/05/hello/')} -> {slow}" in output


def test_a_dry_run_discovers_but_sends_and_records_nothing(web: Web) -> None:
    a = web.target("/a")
    post(web, "hello", f"[a]({a})")
    code, output = send(web, "--dry-run")
    assert code == 0 and web.mentions() == []
    assert f"would send {web.host.url('/2026/05/hello/')} -> {a} via {web.other.url('/endpoint')}" in output
    assert not (web.root / "data" / SENT_FILE).exists()


def test_private_addresses_are_refused_unless_allowed(web: Web) -> None:
    a = web.target("/a")
    post(web, "hello", f"[a]({a})")
    text = (
        (web.root / "site.toml")
        .read_text()
        .replace("allow_private_addresses = true", "allow_private_addresses = false")
    )
    (web.root / "site.toml").write_text(text)
    code, output = send(web, "--no-check-live")
    assert code == 1 and web.mentions() == []
    assert "allow_private_addresses" in output


def test_list_prints_each_target_with_its_endpoint_and_state(web: Web) -> None:
    a, b = web.target("/a"), web.target("/b", endpoint=None)
    post(web, "hello", f"[a]({a}) [b]({b})")
    send(web)
    result = run_cli("webmention", "list", "--site", str(web.root), "--json")
    rows = {row["target"]: row for row in json.loads(result.output)}
    assert rows[a]["endpoint"] == web.other.url("/endpoint") and rows[a]["sent"] is True
    assert rows[b]["endpoint"] is None and rows[b]["status"] == "no-endpoint"
    text = run_cli("webmention", "list", "--site", str(web.root)).output
    assert f"{web.host.url('/2026/05/hello/')} (posts/hello.md)" in text and "no endpoint" in text


def test_a_damaged_record_is_reported_with_file_and_line(web: Web) -> None:
    write_files(web.root, {f"data/{SENT_FILE}": '{"sources": {\n  "x": oops\n}}'})
    post(web, "hello", "text")
    for result in (build(web.root), run_cli("webmention", "send", "--site", str(web.root))):
        assert result.exit_code == 1
        assert f"data/{SENT_FILE}:2:" in result.output and "invalid JSON" in result.output


@pytest.fixture
def elsewhere():
    """A second site the post links, on another port (another host to the rate limits)."""
    with LoopbackServer() as server:
        server.route(
            "/c", Reply(200, "<p>c</p>", [("Content-Type", "text/html"), ("Link", '</endpoint>; rel="webmention"')])
        )
        server.route("/endpoint", Reply(202, b"accepted"))
        yield server


def test_a_hosts_retry_after_holds_it_across_runs_while_other_hosts_are_sent(
    web: Web, elsewhere: LoopbackServer
) -> None:
    write_files(web.root, {"site.toml": (web.root / "site.toml").read_text() + "\n[webmention]\nconcurrency = 1\n"})
    a, b, c = web.target("/a"), web.target("/b"), elsewhere.url("/c")
    post(web, "hello", f"[a]({a}) [b]({b}) [c]({c})")
    web.other.route("/endpoint", Reply(429, b"slow down", [("Retry-After", "600")]))
    assert build(web.root).exit_code == 0
    config = load_config(web.root)
    posts, client = read_site(config, NOW).posts, webmention_client(config)
    run = lambda now, dry_run=False: send_webmentions(config, posts, client, SendOptions(now=now, dry_run=dry_run))  # noqa: E731
    host = web.other.url("/")[len("http://") : -1]

    first = run(NOW)
    assert sorted((r.task.target, r.outcome.status) for r in first.results) == sorted(
        [(a, "failed"), (c, "sent")]
    )  # b: not tried
    assert [s.line() for s in first.limited] == [
        f"{host}: rate limited until 12:10:00 UTC (Retry-After from this run); skipped 1 webmention"
    ]
    web.other.route("/endpoint", Reply(202, b"accepted"))
    seen = len(web.other.received)
    later = run(NOW + dt.timedelta(seconds=60))  # a minute later: the host is not contacted at all
    assert later.results == [] and len(web.other.received) == seen
    said = [s.line() for s in later.limited]
    assert said == [f"{host}: rate limited until 12:10:00 UTC (Retry-After from the last run); skipped 1 webmention"]
    assert [
        s.line() for s in run(NOW + dt.timedelta(seconds=60), dry_run=True).limited
    ] == said  # a dry run says the same
    done = run(NOW + dt.timedelta(seconds=600))
    assert (
        sorted((r.task.target, r.outcome.status) for r in done.results) == [(a, "sent"), (b, "sent")]
        and not done.limited
    )
    source = web.host.url("/2026/05/hello/")
    assert web.mentions() == [(source, a), (source, a), (source, b)]  # the 429, then each once
    assert [r.method for r in elsewhere.received] == ["GET", "POST"]  # the other host: once, in the first run


def test_a_503_with_an_http_date_holds_the_host_until_that_date(web: Web) -> None:
    a = web.target("/a")
    post(web, "hello", f"[a]({a})")
    web.other.route("/endpoint", Reply(503, b"maintenance", [("Retry-After", "Mon, 01 Jun 2026 12:05:00 GMT")]))
    assert build(web.root).exit_code == 0
    config = load_config(web.root)
    send_webmentions(config, read_site(config, NOW).posts, webmention_client(config), SendOptions(now=NOW))
    limits = RateLimits.load(web.root / ".homepost")
    key = host_key(web.other.url("/endpoint"))
    assert (
        limits.get(key, NOW + dt.timedelta(seconds=299)) is not None
        and limits.get(key, NOW + dt.timedelta(seconds=300)) is None
    )


def test_the_command_says_a_host_is_rate_limited_and_exits_1_until_the_record_says_otherwise(web: Web) -> None:
    a, b = web.target("/a"), web.target("/b")
    post(web, "one", f"[a]({a})")
    web.other.route("/endpoint", Reply(429, b"slow down", [("Retry-After", "120")]))
    code, output = send(web)
    assert code == 1 and "failed" in output
    post(web, "two", f"[b]({b})")
    seen = len(web.other.received)
    code, output = send(web)
    assert code == 1 and len(web.other.received) == seen
    assert "rate limited until" in output and "(Retry-After from the last run); skipped 1 webmention" in output
    assert "1 held back by a rate limit" in output
    (web.root / ".homepost" / RATE_LIMITS_FILE).unlink()  # forget it, as the README says
    web.other.route("/endpoint", Reply(202, b"accepted"))
    code, output = send(web)
    assert code == 0, output
    assert web.mentions()[-1] == (web.host.url("/2026/05/two/"), b)


def test_a_target_that_asks_to_wait_during_discovery_is_tried_again_not_written_off(web: Web) -> None:
    a = web.other.url("/busy")
    web.other.route("/busy", Reply(429, b"slow down", [("Retry-After", "120")]))
    post(web, "hello", f"[a]({a})")
    assert build(web.root).exit_code == 0
    config = load_config(web.root)
    posts, client = read_site(config, NOW).posts, webmention_client(config)
    first = send_webmentions(config, posts, client, SendOptions(now=NOW))
    assert [(r.task.target, r.outcome.status, r.outcome.code) for r in first.results] == [(a, "failed", 429)]
    limits = RateLimits.load(web.root / ".homepost")
    assert limits.get(host_key(a), NOW + dt.timedelta(seconds=119)) is not None  # its host is held for the wait
    web.target("/busy")  # the page is back, with its endpoint
    later = send_webmentions(
        config, posts, client, SendOptions(now=NOW + dt.timedelta(hours=1))
    )  # past wait and backoff
    assert [(r.task.target, r.outcome.status) for r in later.results] == [(a, "sent")]
    assert web.mentions() == [(web.host.url("/2026/05/hello/"), a)]


def test_a_target_failing_with_5xx_during_discovery_is_not_no_endpoint(web: Web) -> None:
    a = web.other.url("/down")
    web.other.route("/down", Reply(502, b"bad gateway"))
    post(web, "hello", f"[a]({a})")
    assert build(web.root).exit_code == 0
    config = load_config(web.root)
    report = send_webmentions(config, read_site(config, NOW).posts, webmention_client(config), SendOptions(now=NOW))
    assert [(r.outcome.status, r.outcome.error) for r in report.results] == [
        ("failed", "discovery: the target answered 502")
    ]
