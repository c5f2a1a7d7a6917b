"""Backfeed end to end: a post syndicated to loopback Mastodon and Bluesky fakes, readers answering
there, `homepost backfeed` bringing it home, and the built page showing one threaded conversation."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import mf2py
import pytest

from generator.backfeed.poll import BackfeedOptions, backfeed
from generator.config import load_config
from generator.http import HttpClient
from generator.model import Response, ResponseAuthor
from generator.pipeline.build import read_site
from generator.platforms import make_platform
from generator.sitedata.conversations import dedupe
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import MastodonFake
from tests.helpers import NOW, build, png_bytes, run_cli, theme_script, write_files
from tests.servers import LoopbackServer, Reply, static_site
from tests.sites import two_platform_site_toml

POST = "---\ntitle: Owning your words\ndate: 2026-05-01\n---\nA body that stays home.\n"
PAGE = "public/2026/05/owning/index.html"


class World:
    def __init__(
        self, root: Path, host: LoopbackServer, mastodon: MastodonFake, bluesky: FakeBluesky, pictures: LoopbackServer
    ):
        self.root, self.host, self.mastodon, self.bluesky, self.pictures = root, host, mastodon, bluesky, pictures

    @property
    def status(self) -> str:
        return self.mastodon.posts[0]["id"]

    @property
    def bsky_uri(self) -> str:
        return self.bluesky.posts[0]["uri"]

    def backfeed(self, *args: str):
        return run_cli("backfeed", "--site", str(self.root), *args)

    def page(self) -> str:
        return (self.root / PAGE).read_text()

    def entry(self) -> dict:
        return next(
            i
            for i in mf2py.parse(doc=self.page(), url=self.host.url("/2026/05/owning/"))["items"]
            if "h-entry" in i["type"]
        )


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path / "site"
    with LoopbackServer() as host, MastodonFake() as mastodon, FakeBluesky() as bluesky, LoopbackServer() as pictures:
        host.fallback = static_site(root / "public")
        pictures.route("/kim.png", Reply(200, png_bytes(64, 64), [("Content-Type", "image/png")]))
        write_files(
            root,
            {
                "site.toml": two_platform_site_toml(
                    host.url("/"),
                    mastodon.url,
                    bluesky.handle,
                    bluesky.url,
                    '\n[moderation]\nblock = ["@troll@spam.example"]\n',
                ),
                "content/posts/owning.md": POST,
            },
        )
        monkeypatch.setenv("HOMEPOST_SOCIAL_TOKEN", mastodon.token)
        monkeypatch.setenv("HOMEPOST_SKY_PASSWORD", bluesky.password)
        assert build(root).exit_code == 0
        result = run_cli("syndicate", "--site", str(root))
        assert result.exit_code == 0, result.output
        yield World(root, host, mastodon, bluesky, pictures)


def test_replies_from_both_platforms_become_one_threaded_conversation(world: World) -> None:
    kim = world.mastodon.add_account("kim", "social.example", display_name="Kim", avatar=world.pictures.url("/kim.png"))
    first = world.mastodon.add_reply(world.status, "Lovely post", account=kim)
    world.mastodon.add_reply(first["id"], "Thank you, Kim!", account=world.mastodon.account)
    world.mastodon.add_like(world.status)
    world.mastodon.add_repost(world.status)
    world.bluesky.add_account("carol.bsky.test", "Carol")
    world.bluesky.add_reply(world.bsky_uri, "Hello from Bluesky", by="carol.bsky.test")
    world.bluesky.add_like(world.bsky_uri, by="carol.bsky.test")

    result = world.backfeed()
    assert result.exit_code == 0, result.output
    assert "3 new reply" in result.output and "2 new like" in result.output and "1 new repost" in result.output
    assert "Rebuilt" in result.output

    entry = world.entry()
    replies = entry["properties"]["comment"]
    names = [r["properties"]["author"][0]["properties"]["name"][0] for r in replies]
    assert sorted(names) == ["Carol", "Kim"]  # oldest first, from both platforms
    nested = replies[names.index("Kim")]["properties"]["comment"][0]
    assert nested["properties"]["content"][0]["value"] == "Thank you, Kim!"
    assert len(entry["properties"]["like"]) == 2 and len(entry["properties"]["repost"]) == 1
    page = world.page()
    assert "on Mastodon" in page and "on Bluesky" in page
    kim_picture = kim["avatar"]
    assert kim_picture not in page  # never hotlinked: a copy on the site
    assert re.search(r'src="/avatars/[0-9a-f]{20}\.jpg"', page) and (world.root / "public/avatars").is_dir()
    assert 'src="/assets/avatar.svg"' in page  # the fallback for those without a stored picture

    again = world.backfeed("--force")
    assert again.exit_code == 0 and "Rebuilt" not in again.output and "Polled 2 copies" in again.output


def test_an_edited_reply_updates_and_a_deleted_one_disappears(world: World) -> None:
    reply = world.mastodon.add_reply(world.status, "First thought")
    world.backfeed()
    assert "First thought" in world.page()
    world.mastodon.edit_status(reply["id"], "Second thought")
    assert "1 updated" in world.backfeed("--force").output  # the post is months old: not due again so soon
    assert "Second thought" in world.page() and "First thought" not in world.page()
    world.mastodon.delete_status(reply["id"])
    assert "1 removed" in world.backfeed("--force").output
    assert "Second thought" not in world.page()


def test_a_blocked_account_never_reaches_the_page(world: World) -> None:
    troll = world.mastodon.add_account("troll", "spam.example", display_name="Troll")
    world.mastodon.add_reply(world.status, "buy cheap pills", account=troll)
    world.mastodon.add_reply(world.status, "A fair point")
    world.backfeed()
    page = world.page()
    assert "A fair point" in page and "cheap pills" not in page and "Troll" not in page


XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)><circle/></svg>",
    '<p style="background:url(javascript:alert(1))">css</p>',
    '<iframe src="https://evil.example/"></iframe>',
    "<scr<script>ipt>alert(1)</script>",
    '<a href="data:text/html,<script>alert(1)</script>">d</a>',
    '<img src="https://tracker.example/pixel.gif" width=1 height=1>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]


class _Active(HTMLParser):
    """Every piece of active markup in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "svg", "math", "object", "embed", "style") and not theme_script(tag, attrs):
            self.found.append(tag)
        for name, value in attrs:
            if (
                name.startswith("on")
                or name == "style"
                or (value or "").strip().lower().startswith(("javascript:", "data:"))
            ):
                self.found.append(f"{tag} {name}={value}")
            if tag == "img" and name == "src" and not (value or "").startswith("/"):
                self.found.append(f"remote image {value}")


def test_no_hostile_markup_in_a_reply_survives_on_the_page(world: World) -> None:
    for payload in XSS:
        world.mastodon.add_reply(world.status, html=f"<p>{payload}</p>")
    assert world.backfeed().exit_code == 0
    checker = _Active()
    checker.feed(world.page())
    assert checker.found == []
    stored = (world.root / "data/responses/2026/05/owning.json").read_text()
    assert "onerror" not in stored and "javascript:" not in stored and "<script" not in stored


def test_one_platform_failing_does_not_stop_the_other(world: World) -> None:
    world.mastodon.fail_next("context", status=503)
    world.bluesky.add_reply(world.bsky_uri, "Still here")
    result = world.backfeed()
    assert result.exit_code == 1 and "failed social" in result.output
    assert "Still here" in world.page()


def test_a_rate_limit_holds_that_target_in_the_next_runs_while_the_other_is_polled(world: World) -> None:
    config = load_config(world.root)
    site, client = read_site(config, NOW), HttpClient(config.network)
    options = lambda now: BackfeedOptions(now=now, force=True, pull=False, avatars=False)  # noqa: E731
    world.mastodon.fail_next("context", status=429, retry_after=600)
    first = backfeed(config, site, client, make_platform, options(NOW))
    assert [target for target, _, _ in first.failures] == ["social"] and first.polled == 1  # Bluesky was read
    calls = len(world.mastodon.calls)
    later = backfeed(config, site, client, make_platform, options(NOW + dt.timedelta(seconds=60)))  # even with --force
    assert len(world.mastodon.calls) == calls and later.polled == 1 and later.failures == []
    assert [s.line() for s in later.limited] == [
        "social: rate limited until 12:10:00 UTC (Retry-After from the last run); skipped 1 copy"
    ]
    world.mastodon.add_reply(world.status, "Worth the wait")
    done = backfeed(config, site, client, make_platform, options(NOW + dt.timedelta(seconds=600)))
    assert done.polled == 2 and not done.limited and done.changes[world.host.url("/2026/05/owning/")]["new reply"] == 1


def test_the_command_says_a_target_is_rate_limited_and_syndication_honours_it_too(world: World) -> None:
    world.mastodon.fail_next("context", status=429, retry_after=120)
    assert world.backfeed("--no-build").exit_code == 1
    calls = len(world.mastodon.calls)
    result = world.backfeed("--force")
    assert result.exit_code == 1 and len(world.mastodon.calls) == calls
    assert (
        "social: rate limited until" in result.output
        and "(Retry-After from the last run); skipped 1 copy" in result.output
    )
    write_files(world.root, {"content/posts/second.md": POST.replace("Owning your words", "A second post")})
    assert build(world.root).exit_code == 0
    syndicated = run_cli("syndicate", "--site", str(world.root))  # the same account: the same limit
    assert syndicated.exit_code == 1 and "social: rate limited until" in syndicated.output
    assert len(world.mastodon.calls) == calls and len(world.bluesky.posts) == 2


def test_old_posts_are_polled_less_often_and_new_copies_at_once(world: World) -> None:
    config = load_config(world.root)
    site = read_site(config, NOW)
    client = HttpClient(config.network)
    later = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)  # the post is two months old: not recent
    first = backfeed(config, site, client, make_platform, BackfeedOptions(now=later, pull=False, avatars=False))
    assert first.polled == 2  # never polled before: at once, whatever its age
    soon = backfeed(
        config,
        site,
        client,
        make_platform,
        BackfeedOptions(now=later + dt.timedelta(hours=1), pull=False, avatars=False),
    )
    assert soon.polled == 0 and soon.not_due == 2
    day = backfeed(
        config,
        site,
        client,
        make_platform,
        BackfeedOptions(now=later + dt.timedelta(hours=25), pull=False, avatars=False),
    )
    assert day.polled == 2
    state = json.loads((world.root / "data/backfeed/state.json").read_text())
    assert set(state["copies"][world.host.url("/2026/05/owning/")]) == {"social", "sky"}


def test_the_same_like_and_reply_relayed_by_a_webmention_are_shown_once() -> None:
    author = ResponseAuthor("Kim", "https://social.example/@kim")
    api_like = Response(
        "m#fav-1", "like", "https://social.example/@kim", "https://home/p/", author, platform="mastodon"
    )
    relayed_like = Response("https://brid.gy/like/1", "like", "https://brid.gy/like/1", "https://home/p/", author)
    api_reply = Response(
        "https://social.example/@kim/1",
        "reply",
        "https://social.example/@kim/1",
        "https://home/p/",
        author,
        content_text="Lovely post",
        platform="mastodon",
    )
    relayed_reply = Response(
        "https://brid.gy/comment/1",
        "reply",
        "https://brid.gy/comment/1",
        "https://home/p/",
        author,
        content_text="Lovely  post",
    )
    assert dedupe([relayed_like, api_like, relayed_reply, api_reply]) == [api_like, api_reply]


class _Form(HTMLParser):
    """The comment form of a page: its action and its fields' names."""

    def __init__(self) -> None:
        super().__init__()
        self.action, self.fields, self.inside = "", {}, False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and values.get("id") == "comment-form":
            self.action, self.inside = values.get("action") or "", True
        elif self.inside and tag in ("input", "textarea", "select") and values.get("name"):
            self.fields[values["name"]] = values.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def test_a_readers_comment_goes_through_the_form_moderation_and_pull_into_the_thread(tmp_path: Path) -> None:
    import urllib.parse
    import urllib.request

    from generator.webmention.receiver import Receiver, ReceiverOptions, WorkerOptions

    root = tmp_path / "site"
    base = (
        '[site]\ntitle = "Home"\nurl = "https://home.example/"\n\n'
        "[network]\nallow_private_addresses = true\n\n[comments]\nenabled = true\n"
    )
    write_files(root, {"site.toml": base, "content/posts/owning.md": POST})
    receiver = Receiver(
        load_config(root),
        ReceiverOptions(port=0, db_path=tmp_path / "r.sqlite3", worker=WorkerOptions(poll_interval=0.05)),
    )
    receiver.start()
    try:
        write_files(root, {"site.toml": base + f'\n[webmention]\nendpoint = "{receiver.endpoint}"\n'})
        assert build(root).exit_code == 0
        form = _Form()
        form.feed((root / PAGE).read_text())
        assert form.action == receiver.endpoint.removesuffix("/webmention") + "/comment"
        assert set(form.fields) == {"target", "name", "website", "comment", "email_confirm"}

        def submit(**fields: str) -> str:
            body = urllib.parse.urlencode({**form.fields, **fields}).encode()
            with urllib.request.urlopen(
                urllib.request.Request(form.action, body), timeout=5
            ) as answer:  # follows the 303
                return answer.read().decode()

        thanks = submit(name="Robin", website="https://robin.example/", comment="Nice **work**")
        assert "awaits moderation" in thanks
        db = str(tmp_path / "r.sqlite3")
        listed = run_cli("comments", "--db", db)
        comment_id = listed.output.split()[0]
        assert run_cli("comments", "approve", "--db", db, comment_id).exit_code == 0
        assert "1 new" in run_cli("webmention", "pull", "--site", str(root)).output
        assert build(root).exit_code == 0
        form = _Form()
        form.feed((root / PAGE).read_text())
        assert "reply_to" in form.fields  # now there is something to answer
        page = (root / PAGE).read_text()
        parent = re.search(r"<option value=\"([^\"]+)\">Robin: Nice \*\*work\*\*</option>", page)
        assert parent is not None
        submit(name="Sam", comment="Agreed with Robin", reply_to=parent.group(1))
        sam = run_cli("comments", "--db", db).output.split()[0]
        run_cli("comments", "approve", "--db", db, sam)
        run_cli("webmention", "pull", "--site", str(root))
        assert build(root).exit_code == 0
        entry = next(
            i
            for i in mf2py.parse(doc=(root / PAGE).read_text(), url="https://home.example/")["items"]
            if "h-entry" in i["type"]
        )
        [robin] = entry["properties"]["comment"]
        assert robin["properties"]["author"][0]["properties"]["name"] == ["Robin"]
        assert "<strong>work</strong>" in robin["properties"]["content"][0]["html"]
        assert robin["properties"]["comment"][0]["properties"]["content"][0]["value"] == "Agreed with Robin"
        assert f'id="comment-{comment_id}"' in (root / PAGE).read_text()
    finally:
        receiver.stop()
