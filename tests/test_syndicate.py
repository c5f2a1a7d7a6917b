"""The syndication orchestrator: one copy per (post, target) through any sequence of failures.

The platform here is a small in-process implementation of the Platform protocol that stores
copies and fails on cue (the platform modules have their own tests against loopback fakes of
the real APIs); the site is real, built and served on loopback for the "is it live" check.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import mf2py
import pytest

from generator.backfeed.poll import BackfeedOptions, backfeed
from generator.config import TargetSettings, load_config
from generator.http import Headers, HttpClient
from generator.http import Response as HttpResponse
from generator.pipeline.build import read_site
from generator.platforms import make_platform
from generator.platforms.base import Copy, Draft, Entry, PlatformError, reply_error, server_words
from generator.sitedata.labels import copy_label
from generator.sitedata.outbox import OUTBOX_FILE
from generator.syndication.copies import SyndicateOptions, resolve, syndicate
from tests.helpers import NOW, build, run_cli, write_files
from tests.servers import LoopbackServer, static_site


class Crash(BaseException):
    """The process dies in the middle of a call."""


class Shelf:
    """What one in-process platform holds, and the failures it is told to produce."""

    def __init__(self) -> None:
        self.copies: dict[str, str] = {}  # key -> text
        self.failures: list[
            str
        ] = []  # for the next create calls: temporary, slow-down, refused, stored-then-timeout, crash
        self.find_fails = False
        self.refuse = False  # verify() refuses the credentials
        self.verified = 0  # verify() calls
        self.can_update = True
        self.calls: list[str] = []
        self.deleted: list[str] = []


class InProcess:
    """An in-process Platform."""

    def __init__(self, shelf: Shelf) -> None:
        self.shelf = shelf
        self.can_update = shelf.can_update
        self.can_backfeed = True

    def verify(self) -> None:
        self.shelf.verified += 1
        if self.shelf.refuse:
            raise PlatformError("social: checking the credentials failed (400: Invalid Bearer token)", temporary=False)

    def render(self, entry: Entry) -> Draft:
        text = f"{entry.title or entry.text}\n\n{entry.url}"
        return Draft(text, {"status": text})

    def create(self, draft: Draft, entry: Entry) -> Copy:
        self.shelf.calls.append("create")
        failure = self.shelf.failures.pop(0) if self.shelf.failures else None
        if failure == "temporary":
            raise PlatformError("the platform answered 503", temporary=True)
        if failure == "slow-down":
            raise PlatformError("rate limited (429)", temporary=True, retry_after=600)
        if failure == "signed-out":
            raise PlatformError(
                "no token for social: run `homepost auth social` or set HOMEPOST_SOCIAL_TOKEN", temporary=False
            )
        if failure == "refused":
            raise PlatformError("the platform answered 422: text too long", temporary=False)
        self.shelf.copies[entry.key] = draft.text
        if failure == "stored-then-timeout":
            raise PlatformError("timed out after sending", temporary=True, unknown_outcome=True)
        if failure == "crash":
            raise Crash()
        return self._copy(entry.key)

    def find(self, draft: Draft, entry: Entry) -> Copy | None:
        self.shelf.calls.append("find")
        if self.shelf.find_fails:
            raise PlatformError("this platform cannot look up earlier posts", temporary=False, unknown_outcome=True)
        return self._copy(entry.key) if entry.key in self.shelf.copies else None

    def update(self, copy: Copy, draft: Draft, entry: Entry) -> Copy:
        self.shelf.calls.append("update")
        self.shelf.copies[entry.key] = draft.text
        return copy

    def delete(self, copy: Copy) -> None:
        self.shelf.calls.append("delete")
        self.shelf.deleted.append(copy.id)

    def _copy(self, key: str) -> Copy:
        return Copy(key, f"https://social.example/@me/{key[:8]}")


CONFIG = """\
[site]
title = "Syndicated"
url = "{url}"

[network]
allow_private_addresses = true

[syndication]
default = ["social"]

[syndication.social]
platform = "micropub"
endpoint = "https://social.example/micropub"

[syndication.other]
platform = "micropub"
endpoint = "https://other.example/micropub"
"""


class World:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.host = LoopbackServer()
        self.host.fallback = static_site(root / "public")
        write_files(root, {"site.toml": CONFIG.format(url=self.host.url("/"))})
        self.shelves = {"social": Shelf(), "other": Shelf()}

    def post(self, name: str, body: str = "Body.", front: str = "title: Hello\n") -> str:
        write_files(self.root, {f"content/posts/{name}.md": f"---\n{front}date: 2026-05-01\n---\n{body}\n"})
        return self.host.url(f"/2026/05/{name}/")

    def run(self, now: dt.datetime = NOW, **options):
        assert build(self.root).exit_code == 0
        config = load_config(self.root)
        make = lambda target, client, credentials: InProcess(self.shelves[target.name])  # noqa: E731
        return syndicate(
            config, read_site(config, NOW), HttpClient(config.network), make, SyndicateOptions(now=now, **options)
        )

    def outbox(self) -> dict:
        path = self.root / "data" / OUTBOX_FILE
        return json.loads(path.read_text()) if path.exists() else {}


@pytest.fixture
def world(tmp_path: Path):
    world = World(tmp_path / "site")
    yield world
    world.host.close()


def actions(report) -> list[tuple[str, str]]:
    return [(o.target, o.action) for o in report.outcomes]


def test_a_post_is_copied_once_and_the_page_links_the_copy(world: World) -> None:
    url = world.post("hello")
    assert actions(world.run()) == [("social", "created")]
    assert actions(world.run()) == []
    shelf = world.shelves["social"]
    assert len(shelf.copies) == 1 and shelf.calls == ["create"]
    record = world.outbox()["copies"][url]["social"]
    assert record["state"] == "done" and record["url"].startswith("https://social.example/@me/")
    assert build(world.root).exit_code == 0
    page = (world.root / "public/2026/05/hello/index.html").read_text()
    entry = next(i for i in mf2py.parse(doc=page, url=url)["items"] if "h-entry" in i["type"])
    assert entry["properties"]["syndication"] == [record["url"]]
    assert f'rel="syndication" href="{record["url"]}"' in page


def test_a_crash_between_the_call_and_the_record_makes_no_second_copy(world: World) -> None:
    url = world.post("hello")
    world.shelves["social"].failures = ["crash"]
    with pytest.raises(Crash):
        world.run()
    assert world.outbox()["copies"][url]["social"]["state"] == "pending"
    assert actions(world.run()) == [("social", "found")]
    assert len(world.shelves["social"].copies) == 1 and world.shelves["social"].calls == ["create", "find"]
    assert world.outbox()["copies"][url]["social"]["state"] == "done"


def test_a_timeout_after_the_copy_was_stored_is_found_not_repeated(world: World) -> None:
    world.post("hello")
    world.shelves["social"].failures = ["stored-then-timeout"]
    assert actions(world.run()) == [("social", "unknown")]
    assert actions(world.run()) == [("social", "found")]
    assert len(world.shelves["social"].copies) == 1


def test_an_interrupted_call_that_stored_nothing_is_made_on_the_next_run(world: World) -> None:
    world.post("hello")
    shelf = world.shelves["social"]
    shelf.failures = ["stored-then-timeout"]
    world.run()
    shelf.copies.clear()  # the platform never kept it
    assert actions(world.run()) == [("social", "created")]
    assert shelf.calls == ["create", "find", "create"] and len(shelf.copies) == 1


def test_a_platform_that_cannot_tell_holds_the_post_for_the_writer(world: World) -> None:
    url = world.post("hello")
    shelf = world.shelves["social"]
    shelf.failures, shelf.find_fails = ["stored-then-timeout"], True
    world.run()
    assert actions(world.run()) == [("social", "held")]
    assert actions(world.run()) == [("social", "held")] and shelf.calls.count("create") == 1
    resolve(load_config(world.root), "social", url, "https://social.example/@me/by-hand")
    assert actions(world.run()) == []
    assert world.outbox()["copies"][url]["social"]["url"] == "https://social.example/@me/by-hand"


def test_resolving_as_not_posted_posts_on_the_next_run(world: World) -> None:
    url = world.post("hello")
    shelf = world.shelves["social"]
    shelf.failures, shelf.find_fails = ["stored-then-timeout"], True
    world.run()
    world.run()
    shelf.copies.clear()
    result = run_cli("syndicate", "--site", str(world.root), "--resolve", url, "--only", "social", "--not-posted")
    assert result.exit_code == 0 and "will be posted on the next run" in result.output
    assert actions(world.run()) == [("social", "created")] and len(shelf.copies) == 1


def test_temporary_failures_wait_seconds_then_longer(world: World) -> None:
    url = world.post("hello")
    shelf = world.shelves["social"]
    shelf.failures = ["temporary", "temporary"]
    assert actions(world.run()) == [("social", "failed")]
    first = dt.datetime.fromisoformat(world.outbox()["copies"][url]["social"]["next_try"])
    assert first - NOW == dt.timedelta(seconds=15)
    assert actions(world.run(NOW + dt.timedelta(seconds=5))) == [("social", "waiting")]
    assert actions(world.run(NOW + dt.timedelta(seconds=20))) == [("social", "failed")]
    second = dt.datetime.fromisoformat(world.outbox()["copies"][url]["social"]["next_try"])
    assert second - (NOW + dt.timedelta(seconds=20)) == dt.timedelta(minutes=1)
    assert actions(world.run(NOW + dt.timedelta(minutes=5))) == [("social", "created")]
    assert len(shelf.copies) == 1


def test_a_rate_limit_stops_that_target_in_this_run_and_the_next_until_retry_after(world: World) -> None:
    world.post("one", front="title: One\nsyndicate: [social, other]\n")
    world.post("two", front="title: Two\nsyndicate: [social, other]\n")
    shelf = world.shelves["social"]
    shelf.failures = ["slow-down"]
    report = world.run()
    assert actions(report) == [("social", "failed"), ("social", "waiting"), ("other", "created"), ("other", "created")]
    assert shelf.calls == ["create"] and report.failed
    assert [s.line() for s in report.limited] == [
        "social: rate limited until 12:10:00 UTC (Retry-After from this run); skipped 1 post"
    ]
    records = {url: r["social"]["state"] for url, r in world.outbox()["copies"].items() if "social" in r}
    assert list(records.values()) == ["failed"]  # newest first: "two" was tried, "one" was not recorded at all
    url = next(iter(records))
    assert url.endswith("/two/") and dt.datetime.fromisoformat(
        world.outbox()["copies"][url]["social"]["next_try"]
    ) - NOW == dt.timedelta(seconds=600)

    world.post("three", front="title: Three\nsyndicate: [social, other]\n")
    later = world.run(NOW + dt.timedelta(seconds=60))  # a minute later: nothing goes to that target
    assert shelf.calls == ["create"] and actions(later).count(("social", "waiting")) == 3
    assert ("other", "created") in actions(later) and later.failed
    assert [s.line() for s in later.limited] == [
        "social: rate limited until 12:10:00 UTC (Retry-After from the last run); skipped 2 posts"
    ]
    assert world.run(NOW + dt.timedelta(seconds=60), dry_run=True).limited == later.limited  # a dry run says the same
    assert sorted(actions(world.run(NOW + dt.timedelta(seconds=600)))) == [("social", "created")] * 3
    assert len(shelf.copies) == 3 and shelf.calls == ["create"] * 4  # nothing twice, nothing lost


def test_a_refusal_is_not_retried_until_the_post_changes(world: World) -> None:
    world.post("hello")
    shelf = world.shelves["social"]
    shelf.failures = ["refused"]
    assert actions(world.run()) == [("social", "rejected")]
    assert actions(world.run()) == [("social", "rejected")] and shelf.calls == ["create"]
    world.post("hello", body="Shorter.")
    assert actions(world.run()) == [("social", "created")]


def test_one_target_failing_does_not_stop_another(world: World) -> None:
    world.post("hello", front="title: Hello\nsyndicate: [social, other]\n")
    world.shelves["social"].failures = ["temporary"]
    assert sorted(actions(world.run())) == [("other", "created"), ("social", "failed")]


def test_an_edit_updates_the_copy_once(world: World) -> None:
    world.post("hello")
    world.run()
    world.post("hello", front="title: Hello again\n")
    assert actions(world.run()) == [("social", "updated")]
    assert actions(world.run()) == []
    assert list(world.shelves["social"].copies.values()) == [f"Hello again\n\n{world.host.url('/2026/05/hello/')}"]


def test_a_platform_without_edits_says_so_once(world: World) -> None:
    world.shelves["social"].can_update = False
    world.post("hello")
    world.run()
    world.post("hello", front="title: Hello again\n")
    report = world.run()
    assert actions(report) == [("social", "cannot edit")] and "has no edits" in report.outcomes[0].message
    assert actions(world.run()) == []


def test_deleted_posts_keep_their_copies_unless_asked(world: World) -> None:
    url = world.post("hello")
    world.post("other")
    world.run()
    (world.root / "content/posts/hello.md").unlink()
    assert actions(world.run()) == [("social", "removed")]
    assert actions(world.run(delete_removed=True)) == [("social", "deleted")]
    assert world.outbox()["copies"][url]["social"]["state"] == "deleted"
    assert actions(world.run(delete_removed=True)) == []


def test_a_dry_run_posts_and_records_nothing(world: World) -> None:
    world.post("hello")
    report = world.run(dry_run=True)
    assert actions(report) == [("social", "would create")]
    assert report.outcomes[0].preview.startswith("Hello\n\nhttp://127.0.0.1:")
    assert world.shelves["social"].calls == [] and world.outbox() == {}


def test_front_matter_chooses_targets_or_none(world: World) -> None:
    world.post("none", front="title: None\nsyndicate: false\n")
    world.post("both", front="title: Both\nsyndicate: [other]\n")
    assert actions(world.run()) == [("other", "created")]


def test_an_unknown_target_in_front_matter_names_file_and_line(world: World) -> None:
    world.post("hello", front="title: Hello\nsyndicate: [mastodn]\n")
    result = build(world.root)
    assert result.exit_code == 1
    assert (
        "content/posts/hello.md:3: syndicate: unknown syndication target 'mastodn'; expected one of social, other"
        in result.output
    )


def test_a_post_that_is_not_live_is_skipped_without_a_call(world: World) -> None:
    world.post("hello")
    world.host.fallback = None
    report = world.run()
    assert actions(report) == [("social", "not live")] and report.failed  # it waits: the exit code is 1
    assert world.shelves["social"].calls == [] and world.outbox() == {}


def test_refused_credentials_stop_the_target_once_before_posting_and_mark_no_post(world: World) -> None:
    world.post("one")
    world.post("two")
    shelf = world.shelves["social"]
    shelf.refuse = True
    report = world.run()
    assert actions(report) == [("social", "failed")] and report.failed
    assert "(400: Invalid Bearer token); nothing was sent to social" in report.outcomes[0].message
    assert shelf.verified == 1 and shelf.calls == [] and world.outbox() == {}  # nothing pending, nothing rejected
    shelf.refuse = False
    assert sorted(actions(world.run())) == [("social", "created"), ("social", "created")]  # no --retry needed
    assert shelf.verified == 2  # once per run


def test_missing_credentials_stop_the_target_and_the_post_goes_out_once_signed_in(world: World) -> None:
    world.post("one")
    world.post("two")
    shelf = world.shelves["social"]
    shelf.failures = ["signed-out"]
    report = world.run()
    assert actions(report) == [("social", "failed")] and "homepost auth social" in report.outcomes[0].message
    assert shelf.calls == ["create"]  # not tried again for the other post in the same run
    assert sorted(actions(world.run())) == [("social", "created"), ("social", "created")]  # no --retry needed


def test_a_new_targets_first_run_copies_only_the_newest_posts_until_asked_for_all(world: World) -> None:
    for day in range(1, 6):
        world.post(f"post-{day}", front=f"title: Post {day}\n")
        text = (world.root / f"content/posts/post-{day}.md").read_text().replace("2026-05-01", f"2026-05-0{day}")
        (world.root / f"content/posts/post-{day}.md").write_text(text)
    report = world.run()
    assert sorted(actions(report)) == [("social", "created")] * 3 + [("social", "held back")] * 2
    made = {o.post for o in report.outcomes if o.action == "created"}
    assert made == {world.host.url(f"/2026/05/post-{day}/") for day in (3, 4, 5)}  # the newest
    assert actions(world.run()) == []  # the older ones stay home
    assert sorted(actions(world.run(backlog=True))) == [("social", "created")] * 2
    assert len(world.shelves["social"].copies) == 5


def test_since_keeps_older_posts_home(world: World) -> None:
    config = (
        (world.root / "site.toml")
        .read_text()
        .replace(
            'endpoint = "https://social.example/micropub"',
            'endpoint = "https://social.example/micropub"\nsince = 2026-05-03',
        )
    )
    (world.root / "site.toml").write_text(config)
    for day in (2, 3):
        world.post(f"post-{day}")
        text = (world.root / f"content/posts/post-{day}.md").read_text().replace("2026-05-01", f"2026-05-0{day}")
        (world.root / f"content/posts/post-{day}.md").write_text(text)
    report = world.run()
    assert [(o.post, o.action) for o in report.outcomes] == [(world.host.url("/2026/05/post-3/"), "created")]


def test_backfeed_does_not_count_micropub_copies_as_polled(world: World) -> None:
    world.post("hello")
    assert actions(world.run()) == [("social", "created")]  # "social" is a Micropub target
    config = load_config(world.root)
    options = BackfeedOptions(now=NOW, pull=False, avatars=False)
    report = backfeed(config, read_site(config, NOW), HttpClient(config.network), make_platform, options)
    assert report.polled == 0 and report.not_due == 0 and report.failures == []  # nothing to poll, nothing asked


def test_copies_are_labelled_by_platform_and_account_not_by_host() -> None:
    targets = (
        TargetSettings("takahe", "mastodon", instance="http://127.0.0.1:8000"),
        TargetSettings("indiekit", "micropub", endpoint="http://127.0.0.1:3000/micropub"),
    )
    assert copy_label(targets, "http://127.0.0.1:8000/@me@example.social/posts/123/") == "Mastodon (@me@example.social)"
    assert copy_label(targets, "http://127.0.0.1:8000/@me/123") == "Mastodon (@me@127.0.0.1:8000)"
    assert copy_label(targets, "http://127.0.0.1:3000/notes/2026/05/abc/") == "127.0.0.1:3000"  # the Micropub site
    assert copy_label((), "https://bsky.app/profile/me.bsky.social/post/3kq2x7") == "Bluesky (@me.bsky.social)"
    assert copy_label((), "https://me.tumblr.com/post/123") == "Tumblr (me)"
    assert copy_label((), "https://social.example/@linyue/1122") == "@linyue@social.example"  # front matter copies too
    assert copy_label((), "https://www.example.net/x") == "example.net"


def reply(status: int, body: str, kind: str) -> HttpResponse:
    return HttpResponse(
        url="https://social.example/api",
        status=status,
        headers=Headers([("Content-Type", kind)]),
        content=body.encode(),
    )


def test_error_bodies_of_any_type_give_the_servers_words() -> None:
    html = (
        "<html><head><style>p{}</style></head><body><h1>Invalid Bearer token</h1>\n<p>Try &amp; again</p></body></html>"
    )
    assert server_words(reply(400, html, "text/html")) == "Invalid Bearer token Try & again"
    assert (
        server_words(reply(400, '{"error": "invalid_request", "error_description": "no url"}', "application/json"))
        == "no url"
    )
    assert (
        server_words(reply(400, '{"error": "InvalidToken", "message": "Bad token"}', "application/json"))
        == "InvalidToken"
    )
    assert server_words(reply(500, "Upstream \x1b[31mdown\x1b[0m " + "x" * 400, "text/plain")).endswith("…")
    assert (
        server_words(reply(401, "token sk-123456789012345 refused", "text/plain"), ["sk-123456789012345"])
        == "token [redacted] refused"
    )
    error = reply_error(reply(400, html, "text/html; charset=utf-8"), "social", "posting the status")
    assert (
        error.message == "social: posting the status failed (400: Invalid Bearer token Try & again)"
        and not error.temporary
    )
    assert reply_error(reply(503, "", "text/html"), "social", "posting the status").message.endswith("(503: HTTP 503)")
    refused = reply_error(reply(401, "", "text/plain"), "social", "posting the status")
    assert refused.needs_auth and not refused.temporary
