"""Tumblr: NPF posts rendered and sent to a loopback fake of the API v2, OAuth 1.0a signed, failing on cue."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from generator.config import NetworkSettings, TargetSettings
from generator.credentials import TargetCredentials
from generator.http import HttpClient
from generator.model import ResponseAuthor
from generator.platforms.base import Copy, Entry, Harvest, Media, PlatformError
from generator.platforms.tumblr import backfeed as tumblr_backfeed
from generator.platforms.tumblr.syndicate import TumblrPlatform, authorize, blog_host, split_block
from tests.fakes.tumblr import FakeTumblr

URL = "https://example.org/notes/2024/hello/"
NETWORK = NetworkSettings(allow_private_addresses=True, timeout=2)


@pytest.fixture
def fake() -> Iterator[FakeTumblr]:
    with FakeTumblr() as server:
        yield server


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(NETWORK)


def platform(fake: FakeTumblr, root: Path, client: HttpClient, save: bool = True, **settings: object) -> TumblrPlatform:
    target = TargetSettings(name="tumblr", platform="tumblr", blog=fake.blog, api=fake.url, **settings)  # type: ignore[arg-type]
    credentials = TargetCredentials(root, "tumblr")
    if save:
        credentials.save(fake.credentials())
    return TumblrPlatform(target, client, credentials)


def entry(**overrides: object) -> Entry:
    values: dict[str, object] = {
        "url": URL,
        "title": None,
        "text": "Hello from my site.",
        "summary": "",
        "html": "",
        "tags": (),
        "images": (),
        "content_warning": "",
        "language": "en",
        "published": dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
        "key": "k" * 32,
    }
    values.update(overrides)
    return Entry(**values)  # type: ignore[arg-type]


def home_block(url: str = URL) -> dict[str, object]:
    return {"type": "text", "text": url, "formatting": [{"start": 0, "end": len(url), "type": "link", "url": url}]}


def image(tmp_path: Path, name: str, alt: str, mime: str = "image/png", size: int | None = None) -> Media:
    path = tmp_path / name
    data = b"\x89PNG\r\n\x1a\n" + name.encode() if mime == "image/png" else b"\xff\xd8\xff" + name.encode()
    path.write_bytes(data)
    return Media(path, f"https://example.org/{name}", alt, mime, size if size is not None else len(data), 640, 480)


# --- native formatting -----------------------------------------------------------------------------


def test_note_goes_out_as_its_paragraphs_then_the_link_home(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    tumblr = platform(fake, tmp_path, client)
    post = entry(text="Hello from my site.\n\nRead the spec (https://spec.example/a).", tags=("IndieWeb", "open web"))
    draft = tumblr.render(post)
    spec = "https://spec.example/a"
    content = [
        {"type": "text", "text": "Hello from my site."},
        {
            "type": "text",
            "text": f"Read the spec ({spec}).",
            "formatting": [{"start": 15, "end": 37, "type": "link", "url": spec}],
        },
        home_block(),
    ]
    assert draft.payload == {"content": content, "state": "published", "tags": "IndieWeb,open web", "source_url": URL}
    assert draft.text == f"Hello from my site.\n\nRead the spec ({spec}).\n\n{URL}\n\n#IndieWeb #open web"
    assert draft.notes == ()

    copy = tumblr.create(draft, post)
    assert copy == Copy(id=copy.id, url=f"https://example.tumblr.com/post/{copy.id}")
    (stored,) = fake.posts.values()
    assert stored["id_string"] == copy.id
    assert stored["content"] == content
    assert stored["tags"] == ["IndieWeb", "open web"]
    assert stored["source_url"] == URL
    (sent,) = fake.requests("create")
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.body) == draft.payload


def test_article_goes_out_as_title_summary_and_a_link_card(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    tumblr = platform(fake, tmp_path, client)
    post = entry(
        title="Why I left the silo",
        text="Long text.",
        summary="A long look at owning your words.\n\nAnd why it matters.",
    )
    draft = tumblr.render(post)
    assert draft.payload["content"] == [
        {"type": "text", "subtype": "heading1", "text": "Why I left the silo"},
        {"type": "text", "text": "A long look at owning your words."},
        {"type": "text", "text": "And why it matters."},
        {
            "type": "link",
            "url": URL,
            "title": "Why I left the silo",
            "description": "A long look at owning your words. And why it matters.",
        },
    ]
    assert draft.text == f"Why I left the silo\n\nA long look at owning your words.\n\nAnd why it matters.\n\n{URL}"
    tumblr.create(draft, post)
    (stored,) = fake.posts.values()
    assert stored["content"][-1]["url"] == URL


def test_cjk_and_emoji_card_text_is_shortened_whole_graphemes(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    summary = "静的サイトで自分の言葉を持つ" * 9 + "👩🏽‍💻" * 10  # 126 + 40 code points, no sentence end
    title = "自分のサイト🏳️‍🌈" * 20
    draft = platform(fake, tmp_path, client).render(entry(title=title, summary=summary))
    card = draft.payload["content"][-1]
    assert card["url"] == URL
    assert card["description"] == "静的サイトで自分の言葉を持つ" * 9 + "👩🏽‍💻" * 3 + "…"  # 126 + 12 + 1 code points
    assert card["title"] == "自分のサイト🏳️‍🌈" * 13 + "自分のサイト…"  # 130 + 6 + 1: the next flag (4) would not fit
    assert draft.payload["content"][1]["text"] == summary  # the text blocks keep it all
    assert draft.text.endswith(f"\n\n{URL}")


def test_a_paragraph_over_the_block_limit_is_split_between_graphemes(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    family = "👨‍👩‍👧‍👦"  # seven code points, one grapheme
    paragraph = "言葉" * 2000 + family * 20
    draft = platform(fake, tmp_path, client).render(entry(text=paragraph))
    first, second = "言葉" * 2000 + family * 13, family * 7  # 4000 + 91 code points; one more family would be 4098
    assert draft.payload["content"] == [{"type": "text", "text": first}, {"type": "text", "text": second}, home_block()]
    assert draft.notes == ("a paragraph over 4096 characters split in 2 blocks",)
    assert split_block(("word " * 1000).strip(), 4096) == [("word " * 819).strip(), ("word " * 181).strip()]


def test_tags_become_the_posts_tags(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tags = ("#IndieWeb", "indieweb", "cats, dogs", "  spaced   out ") + tuple(f"t{n}" for n in range(30))
    draft = platform(fake, tmp_path, client).render(entry(tags=tags))
    kept = ["IndieWeb", "cats dogs", "spaced out"] + [f"t{n}" for n in range(27)]
    assert draft.payload["tags"] == ",".join(kept)
    assert draft.text.endswith("\n\n" + " ".join(f"#{t}" for t in kept))
    assert draft.notes == ("left out 3 of 33 tags (Tumblr keeps 30)",)


def test_content_warning_goes_first_with_the_rest_under_keep_reading(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    post = entry(content_warning="spiders")
    draft = platform(fake, tmp_path, client).render(post)
    assert draft.payload["content"] == [
        {"type": "text", "text": "CW: spiders"},
        {"type": "text", "text": "Hello from my site."},
        home_block(),
    ]
    assert draft.payload["layout"] == [
        {"type": "rows", "display": [{"blocks": [0]}, {"blocks": [1]}, {"blocks": [2]}], "truncate_after": 0}
    ]
    assert draft.text.startswith("CW: spiders\n\n")
    assert any("community labels" in note for note in draft.notes)
    platform(fake, tmp_path, client).create(draft, post)
    (stored,) = fake.posts.values()
    assert stored["layout"] == draft.payload["layout"]

    quiet = platform(fake, tmp_path, client, content_warning=False).render(post)
    assert "layout" not in quiet.payload and "CW" not in quiet.text


def test_images_are_uploaded_with_their_alt_text(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    photos = (image(tmp_path, "cover.png", "A red door"), image(tmp_path, "cat.jpg", "A cat asleep", mime="image/jpeg"))
    post = entry(images=photos)
    tumblr = platform(fake, tmp_path, client)
    draft = tumblr.render(post)
    assert draft.payload["content"][:2] == [
        {
            "type": "image",
            "media": [{"type": "image/png", "identifier": "image-1", "width": 640, "height": 480}],
            "alt_text": "A red door",
        },
        {
            "type": "image",
            "media": [{"type": "image/jpeg", "identifier": "image-2", "width": 640, "height": 480}],
            "alt_text": "A cat asleep",
        },
    ]
    assert draft.media == photos

    copy = tumblr.create(draft, post)
    assert [(u.identifier, u.filename, u.content_type, u.data) for u in fake.uploads] == [
        ("image-1", "cover.png", "image/png", photos[0].path.read_bytes()),
        ("image-2", "cat.jpg", "image/jpeg", photos[1].path.read_bytes()),
    ]
    (sent,) = fake.requests("create")
    assert sent.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    stored = fake.posts[copy.id]["content"]
    assert [b["alt_text"] for b in stored[:2]] == ["A red door", "A cat asleep"]
    assert stored[0]["media"][0]["url"].startswith("https://64.media.tumblr.com/")


def test_images_over_the_limits_are_left_out_and_noted(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    small = [image(tmp_path, f"p{n}.png", f"photo {n}") for n in range(31)]
    big = image(tmp_path, "big.png", "too big", size=10_000_001)
    vector = Media(tmp_path / "logo.svg", "https://example.org/logo.svg", "logo", "image/svg+xml", 100)
    draft = platform(fake, tmp_path, client).render(entry(images=(big, vector, *small)))
    assert draft.media == tuple(small[:30])
    assert sum(b["type"] == "image" for b in draft.payload["content"]) == 30
    assert draft.notes == (
        "left out big.png: over 10 MB",
        "left out logo.svg: Tumblr takes JPEG, PNG, GIF, WebP",
        "left out 1 image over Tumblr's 30 per post",
    )


def test_render_never_writes_and_needs_no_credentials(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    platform(fake, tmp_path, client, save=False).render(
        entry(title="T", summary="S", images=(image(tmp_path, "a.png", "a"),))
    )
    assert fake.server.received == []


# --- exactly once ----------------------------------------------------------------------------------


def test_a_stall_after_store_is_an_unknown_outcome_that_find_resolves(fake: FakeTumblr, tmp_path: Path) -> None:
    tumblr = platform(fake, tmp_path, HttpClient(NetworkSettings(allow_private_addresses=True, timeout=0.3)))
    post = entry()
    draft = tumblr.render(post)
    fake.stall_after_store("create")
    with pytest.raises(PlatformError) as caught:
        tumblr.create(draft, post)
    assert caught.value.temporary and caught.value.unknown_outcome
    (stored,) = fake.posts.values()
    assert tumblr.find(draft, post) == Copy(
        id=stored["id_string"], url=f"https://example.tumblr.com/post/{stored['id_string']}"
    )
    assert len(fake.posts) == 1


def test_a_dropped_connection_is_an_unknown_outcome(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client)
    post = entry()
    fake.drop_next("create")
    with pytest.raises(PlatformError) as caught:
        tumblr.create(tumblr.render(post), post)
    assert caught.value.temporary and caught.value.unknown_outcome
    assert tumblr.find(tumblr.render(post), post) is None  # nothing was stored: safe to post again
    tumblr.create(tumblr.render(post), post)
    assert len(fake.posts) == 1


def test_find_matches_by_link_home_only(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client)
    other = entry(url="https://example.org/other/")
    tumblr.create(tumblr.render(other), other)
    post = entry(title="An article", summary="Summary.")
    assert tumblr.find(tumblr.render(post), post) is None
    copy = tumblr.create(tumblr.render(post), post)
    assert tumblr.find(tumblr.render(post), post) == copy
    (listed,) = fake.requests("list")[-1:]
    assert parse_qs(urlsplit(listed.path).query) == {"npf": ["true"], "limit": ["20"]}


def test_find_pages_back_to_when_the_post_was_published(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client)
    post = entry()
    copy = tumblr.create(tumblr.render(post), post)
    for _ in range(45):
        fake.add_post(source_url="https://elsewhere.example/")
    assert tumblr.find(tumblr.render(post), post) == copy
    assert [parse_qs(urlsplit(r.path).query).get("offset") for r in fake.requests("list")] == [None, ["20"], ["40"]]


def test_find_stops_at_posts_older_than_the_entry(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    now = dt.datetime.now(dt.UTC)
    for _ in range(25):
        fake.add_post(timestamp=int((now - dt.timedelta(days=10)).timestamp()))
    post = entry(published=now)
    assert platform(fake, tmp_path, client).find(platform(fake, tmp_path, client).render(post), post) is None
    assert len(fake.requests("list")) == 1


def test_find_that_cannot_see_far_enough_back_holds_the_post(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    for _ in range(100):
        fake.add_post()  # all newer than the entry, none linking home
    tumblr = platform(fake, tmp_path, client)
    with pytest.raises(PlatformError) as caught:
        tumblr.find(tumblr.render(entry()), entry())
    assert caught.value.unknown_outcome and not caught.value.temporary
    assert "100 latest posts" in caught.value.message


def test_find_that_cannot_list_reports_an_unknown_outcome(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client)
    fake.fail_next("list", status=503)
    with pytest.raises(PlatformError) as caught:
        tumblr.find(tumblr.render(entry()), entry())
    assert caught.value.temporary and caught.value.unknown_outcome


def test_update_edits_the_copy_in_place(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client)
    post = entry()
    copy = tumblr.create(tumblr.render(post), post)
    changed = entry(text="Hello again, edited.", tags=("edits",))
    assert tumblr.update(copy, tumblr.render(changed), changed) == copy
    assert list(fake.posts) == [copy.id]
    assert fake.posts[copy.id]["content"][0] == {"type": "text", "text": "Hello again, edited."}
    assert fake.posts[copy.id]["tags"] == ["edits"]
    (edit,) = fake.requests("edit")
    assert edit.method == "PUT" and urlsplit(edit.path).path == f"/v2/blog/example.tumblr.com/posts/{copy.id}"


def test_delete_removes_the_copy_and_tolerates_one_already_gone(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    tumblr = platform(fake, tmp_path, client)
    post = entry()
    copy = tumblr.create(tumblr.render(post), post)
    tumblr.delete(copy)
    assert fake.posts == {} and fake.deleted == [copy.id]
    tumblr.delete(copy)  # 404 now: already gone
    (first, _) = fake.requests("delete")
    assert (
        first.headers["Content-Type"] == "application/x-www-form-urlencoded" and first.body == f"id={copy.id}".encode()
    )


# --- errors ----------------------------------------------------------------------------------------


def test_a_500_is_temporary(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client)
    fake.fail_next("create", status=500)
    with pytest.raises(PlatformError) as caught:
        tumblr.create(tumblr.render(entry()), entry())
    assert caught.value.temporary and not caught.value.unknown_outcome
    assert "500" in caught.value.message
    tumblr.create(tumblr.render(entry()), entry())
    assert len(fake.posts) == 1


def test_a_429_waits_for_retry_after_or_the_reset(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client)
    fake.fail_next("create", status=429, retry_after=30)
    with pytest.raises(PlatformError) as caught:
        tumblr.create(tumblr.render(entry()), entry())
    assert caught.value.temporary and caught.value.retry_after == 30.0
    assert "Limit Exceeded" in caught.value.message
    fake.fail_next("create", status=429)  # no Retry-After: X-Ratelimit-Perhour-Remaining 0, reset in 1800 s
    with pytest.raises(PlatformError) as caught:
        tumblr.create(tumblr.render(entry()), entry())
    assert caught.value.retry_after == 1800.0
    assert fake.posts == {}


def test_a_used_up_daily_limit_is_temporary(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client)
    fake.fail_next("create", status=403, code=8023)
    with pytest.raises(PlatformError) as caught:
        tumblr.create(tumblr.render(entry()), entry())
    assert caught.value.temporary and "daily" in caught.value.message


def test_a_401_is_permanent_and_says_to_run_homepost_auth(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client)
    fake.revoke()
    with pytest.raises(PlatformError) as caught:
        tumblr.create(tumblr.render(entry()), entry())
    assert not caught.value.temporary
    assert "homepost auth tumblr" in caught.value.message and "Unable to authorize" in caught.value.message


def test_other_4xx_are_permanent_with_tumblrs_message(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client)
    fake.fail_next("create", status=400, code=8001)
    with pytest.raises(PlatformError) as caught:
        tumblr.create(tumblr.render(entry()), entry())
    assert not caught.value.temporary
    assert caught.value.message == "tumblr: POST /v2/blog/example.tumblr.com/posts failed (400: Bad Request (8001))"


def test_missing_credentials_say_how_to_get_them(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client, save=False)
    with pytest.raises(PlatformError) as caught:
        tumblr.create(tumblr.render(entry()), entry())
    assert "homepost auth tumblr" in caught.value.message and "HOMEPOST_TUMBLR_CONSUMER_KEY" in caught.value.message
    assert fake.server.received == []


def test_blog_identifiers() -> None:
    def host(blog: str) -> str:
        return blog_host(TargetSettings(name="t", platform="tumblr", blog=blog))

    assert host("example") == "example.tumblr.com"
    assert host("example.tumblr.com") == "example.tumblr.com"
    assert host("https://www.davidslog.com/") == "www.davidslog.com"
    with pytest.raises(PlatformError, match="no blog set"):
        host("")


# --- homepost auth ---------------------------------------------------------------------------------


class ScriptedIO:
    """Answers prompts by matching text; `browser` plays the browser."""

    def __init__(
        self, answers: dict[str, str | Callable[[], str]], browser: Callable[[str], bool] | None = None
    ) -> None:
        self.answers, self.browser = answers, browser
        self.said: list[str] = []
        self.asked: list[tuple[str, bool]] = []
        self.opened: list[str] = []

    def say(self, message: str) -> None:
        self.said.append(message)

    def ask(self, prompt: str, secret: bool = False) -> str:
        self.asked.append((prompt, secret))
        answer = next(value for key, value in self.answers.items() if key in prompt)
        return answer() if callable(answer) else answer

    def open(self, url: str) -> bool:
        self.opened.append(url)
        return self.browser(url) if self.browser else False


def test_authorize_end_to_end_through_the_loopback_callback(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    target = TargetSettings(name="tumblr", platform="tumblr", blog=fake.blog, api=fake.url)
    credentials = TargetCredentials(tmp_path, "tumblr")
    io = ScriptedIO(
        {"consumer key": fake.consumer_key, "consumer secret": fake.consumer_secret},
        browser=lambda url: client.get(url).status == 200,
    )  # follows the redirect to the callback
    assert authorize(target, client, credentials, io, oauth_base=fake.url) == "Authorized alice on tumblr"
    assert io.asked == [(io.asked[0][0], False), (io.asked[1][0], True)]  # the secret is asked hidden
    assert io.opened[0].startswith(f"{fake.url}/oauth/authorize?oauth_token=rt-1")
    assert {k: credentials.get(k) for k in fake.credentials()} == fake.credentials()
    assert fake.request_tokens == {}  # the request token was exchanged, once
    assert (tmp_path / ".homepost/credentials.toml").stat().st_mode & 0o777 == 0o600
    tumblr = TumblrPlatform(target, client, credentials)
    tumblr.create(tumblr.render(entry()), entry())
    assert len(fake.posts) == 1


def test_authorize_falls_back_to_a_pasted_verifier(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    target = TargetSettings(name="tumblr", platform="tumblr", blog=fake.blog, api=fake.url)
    credentials = TargetCredentials(tmp_path, "tumblr")
    credentials.save({"consumer_key": fake.consumer_key, "consumer_secret": fake.consumer_secret})

    def paste() -> str:  # the writer opened the address elsewhere and copies the verifier from where it landed
        address = next(m.split(": ", 1)[1] for m in io.said if "oauth/authorize" in m)
        return client.get(address, follow_redirects=False).headers["Location"]  # pasted whole

    io = ScriptedIO({"oauth_verifier": paste})
    assert authorize(target, client, credentials, io, oauth_base=fake.url, wait=0.05) == "Authorized alice on tumblr"
    assert [prompt for prompt, _ in io.asked] == [io.asked[0][0]]  # the stored app keys were not asked again
    assert credentials.get("oauth_token") == fake.token


def test_authorize_with_a_wrong_consumer_secret_fails_cleanly(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    target = TargetSettings(name="tumblr", platform="tumblr", blog=fake.blog, api=fake.url)
    credentials = TargetCredentials(tmp_path, "tumblr")
    io = ScriptedIO({"consumer key": fake.consumer_key, "consumer secret": "not-the-secret"})
    with pytest.raises(PlatformError) as caught:
        authorize(target, client, credentials, io, oauth_base=fake.url)
    assert not caught.value.temporary and "oauth/apps" in caught.value.message
    assert "not-the-secret" not in caught.value.message and fake.consumer_key not in caught.value.message
    assert credentials.get("oauth_token") is None


def test_no_credential_reaches_a_message_or_the_log(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    target = TargetSettings(name="tumblr", platform="tumblr", blog=fake.blog, api=fake.url)
    credentials = TargetCredentials(tmp_path, "tumblr")
    io = ScriptedIO(
        {"consumer key": fake.consumer_key, "consumer secret": fake.consumer_secret},
        browser=lambda url: client.get(url).status == 200,
    )
    messages = [authorize(target, client, credentials, io, oauth_base=fake.url)]
    tumblr = TumblrPlatform(target, client, credentials)
    post = entry(images=(image(tmp_path, "a.png", "alt"),))
    draft = tumblr.render(post)
    copy = tumblr.create(draft, post)
    tumblr.find(draft, post)
    tumblr.update(copy, draft, post)
    for kind, status in (("create", 500), ("create", 429), ("list", 503), ("edit", 400)):
        fake.fail_next(kind, status=status)
    fake.stall_after_store("delete", seconds=0)
    for call in (
        lambda: tumblr.create(draft, post),
        lambda: tumblr.create(draft, post),
        lambda: tumblr.find(draft, post),
        lambda: tumblr.update(copy, draft, post),
        lambda: tumblr.delete(copy),
    ):
        with pytest.raises(PlatformError) as caught:
            call()
        messages.append(str(caught.value))
    fake.revoke()
    with pytest.raises(PlatformError) as caught:
        tumblr.create(draft, post)
    messages.append(str(caught.value))
    assert any("debug" == r.levelname.lower() for r in caplog.records)
    for secret in (fake.consumer_key, fake.consumer_secret, fake.token.removeprefix("revoked-"), fake.token_secret):
        assert secret not in caplog.text
        assert all(secret not in message for message in messages)
        assert secret not in repr(draft) and secret not in draft.preview()


# --- backfeed: the notes of a copy -----------------------------------------------------------------


def posted(fake: FakeTumblr, tmp_path: Path, client: HttpClient, **settings: object) -> tuple[TumblrPlatform, Copy]:
    """A platform and a copy made through it."""
    tumblr = platform(fake, tmp_path, client, **settings)
    return tumblr, tumblr.create(tumblr.render(entry()), entry())


def avatar(name: str) -> str:
    digest = hashlib.sha1(name.encode()).hexdigest()
    return f"https://64.media.tumblr.com/avatar_{digest[:12]}_64.pnj"


def when(stamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(stamp, dt.UTC)


def test_harvest_of_a_seeded_post_has_every_kind_with_exact_ids(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    tumblr, copy = posted(fake, tmp_path, client)
    bob = fake.add_reply(copy.id, "bob", "Nice post!\n\nReally.", timestamp=1_717_000_001)
    carol = fake.add_reply(copy.id, "carol", "agreed", timestamp=1_717_000_002, mention="bob")  # a reply to bob's
    mine = fake.add_reply(copy.id, fake.blog, "Thank you both", timestamp=1_717_000_003)  # the writer answers
    fake.add_like(copy.id, "dave", timestamp=1_717_000_004)
    erin = fake.add_reblog(copy.id, "erin", tags=("indieweb",), timestamp=1_717_000_005)
    frank = fake.add_quote(copy.id, "frank", "So true", timestamp=1_717_000_006)
    found = tumblr.responses(copy, URL, {})
    assert found.complete and found.state == {}
    by_id = {r.id: r for r in found.responses}
    assert [(r.type, r.id, r.source) for r in found.responses] == [
        ("reply", f"{copy.url}#reply-bob-{bob}", f"{copy.url}#reply-bob-{bob}"),
        ("reply", f"{copy.url}#reply-carol-{carol}", f"{copy.url}#reply-carol-{carol}"),
        ("reply", f"{copy.url}#reply-example-{mine}", f"{copy.url}#reply-example-{mine}"),
        ("like", f"{copy.url}#liked-by-dave", "https://dave.tumblr.com/"),
        ("repost", f"https://erin.tumblr.com/post/{erin}", f"https://erin.tumblr.com/post/{erin}"),
        ("quote", f"https://frank.tumblr.com/post/{frank}", f"https://frank.tumblr.com/post/{frank}"),
    ]
    assert all(
        r.in_reply_to == "" and r.target == URL and r.platform == "tumblr" and r.updated is None
        for r in found.responses
    )
    reply = by_id[f"{copy.url}#reply-bob-{bob}"]
    assert reply.author == ResponseAuthor(name="bob", url="https://bob.tumblr.com/", photo=avatar("bob"), handle="@bob")
    assert reply.content_html == "<p>Nice post!</p><p>Really.</p>" and reply.content_text == "Nice post!\n\nReally."
    assert reply.published == when(bob)
    assert by_id[f"{copy.url}#reply-carol-{carol}"].content_text == "@bob agreed"  # Tumblr's replies are flat
    assert by_id[f"{copy.url}#reply-example-{mine}"].author.handle == "@example"
    quote = by_id[f"https://frank.tumblr.com/post/{frank}"]
    assert quote.content_html == "<p>So true</p>" and quote.published == when(1_717_000_006)
    assert by_id[f"https://erin.tumblr.com/post/{erin}"].content_html == ""
    modes = [parse_qs(urlsplit(r.path).query)["mode"] for r in fake.requests("notes")]
    assert modes == [["conversation"], ["rollup"]]
    assert all(r.headers["Authorization"].startswith("OAuth ") for r in fake.requests("notes"))


def test_pages_are_followed_along_links_next(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr, copy = posted(fake, tmp_path, client)
    fake.notes_page = 2
    replies = [fake.add_reply(copy.id, f"reader{n}", f"reply {n}") for n in range(5)]
    for n in range(3):
        fake.add_like(copy.id, f"fan{n}")
    found = tumblr.responses(copy, URL, {})
    assert found.complete
    assert sorted(r.id for r in found.responses if r.type == "reply") == sorted(
        f"{copy.url}#reply-reader{n}-{stamp}" for n, stamp in enumerate(replies)
    )
    assert sorted(r.id for r in found.responses if r.type == "like") == [
        f"{copy.url}#liked-by-fan{n}" for n in range(3)
    ]
    queries = [parse_qs(urlsplit(r.path).query) for r in fake.requests("notes")]
    assert [q["mode"][0] for q in queries] == ["conversation"] * 3 + ["rollup"] * 2
    assert queries[1]["before_timestamp"] == [str(replies[3] * 1_000_000)]  # microseconds, as the next link said
    assert queries[4]["before_timestamp"] == [str(replies[-1] + 2)]


def test_a_page_limit_makes_the_harvest_incomplete(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    tumblr, copy = posted(fake, tmp_path, client)
    monkeypatch.setattr(tumblr_backfeed, "MAX_PAGES", 2)
    fake.notes_page = 1
    for n in range(3):
        fake.add_like(copy.id, f"fan{n}")
    found = tumblr.responses(copy, URL, {})
    assert not found.complete
    assert [r.id for r in found.responses] == [f"{copy.url}#liked-by-fan1", f"{copy.url}#liked-by-fan2"]  # the newest


def test_a_reply_added_edited_and_deleted_across_runs(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr, copy = posted(fake, tmp_path, client)
    assert tumblr.responses(copy, URL, {}) == Harvest(responses=(), complete=True)
    stamp = fake.add_reply(copy.id, "bob", "First thought")
    (added,) = tumblr.responses(copy, URL, {}).responses
    assert added.id == f"{copy.url}#reply-bob-{stamp}" and added.content_text == "First thought"
    fake.edit_reply(copy.id, "bob", stamp, "Second thought")
    (edited,) = tumblr.responses(copy, URL, {}).responses
    assert edited.id == added.id and edited.content_html == "<p>Second thought</p>"
    assert edited.published == added.published and edited.updated is None  # Tumblr shows no edit time
    fake.delete_reply(copy.id, "bob", stamp)
    assert tumblr.responses(copy, URL, {}) == Harvest(responses=(), complete=True)


def test_remote_text_and_urls_come_out_inert(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr, copy = posted(fake, tmp_path, client)
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)"> <a href="javascript:alert(3)">x</a>'
    fake.add_reply(copy.id, "mallory", attack)
    fake.add_quote(copy.id, "mallory2", attack)
    fake.add_like(copy.id, "mallory3")
    fake.notes[copy.id][-1].update(
        blog_url="javascript:alert(4)", avatar_url={"64": "javascript:alert(5)"}, blog_title="M\x00 <b>"
    )
    fake.add_like(copy.id, "<script>")  # not a blog name: left out
    found = tumblr.responses(copy, URL, {})
    reply, quote, like = sorted(found.responses, key=lambda r: r.type)[::-1][:3]
    escaped = (
        '<p>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror="alert(2)"&gt; '
        '&lt;a href="javascript:alert(3)"&gt;x&lt;/a&gt;</p>'
    )
    for response in (reply, quote):
        assert response.content_html == escaped and response.content_text == attack
        assert (
            "<script" not in response.content_html
            and "<img" not in response.content_html
            and "<a" not in response.content_html
        )
    assert like.author == ResponseAuthor(
        name="M <b>",
        url="https://mallory3.tumblr.com/",
        photo="https://api.tumblr.com/v2/blog/mallory3.tumblr.com/avatar/64",
        handle="@mallory3",
    )
    assert like.source == "https://mallory3.tumblr.com/"
    assert len(found.responses) == 3


def test_harvest_errors(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr, copy = posted(fake, tmp_path, client)
    fake.add_reply(copy.id, "bob", "hi")
    fake.fail_next("notes", status=429, retry_after=30)
    with pytest.raises(PlatformError) as caught:
        tumblr.responses(copy, URL, {})
    assert caught.value.temporary and caught.value.retry_after == 30.0
    fake.fail_next("notes", status=500)
    with pytest.raises(PlatformError) as caught:
        tumblr.responses(copy, URL, {})
    assert caught.value.temporary and caught.value.retry_after is None and "500" in caught.value.message
    fake.fail_next("notes:rollup", status=429)  # after the replies were read: still wait
    with pytest.raises(PlatformError) as caught:
        tumblr.responses(copy, URL, {})
    assert caught.value.retry_after == 1800.0
    fake.fail_next("notes:rollup", status=503)  # after the replies were read: keep them, say it is not all
    partial = tumblr.responses(copy, URL, {})
    assert [r.type for r in partial.responses] == ["reply"] and not partial.complete
    fake.revoke()
    with pytest.raises(PlatformError) as caught:
        tumblr.responses(copy, URL, {})
    assert not caught.value.temporary and "homepost auth tumblr" in caught.value.message


def test_a_copy_that_is_gone_has_an_empty_complete_harvest(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    tumblr, copy = posted(fake, tmp_path, client)
    fake.add_like(copy.id, "dave")
    tumblr.delete(copy)
    assert tumblr.responses(copy, URL, {"kept": "x"}) == Harvest(responses=(), complete=True, state={})


def test_notes_need_only_the_consumer_key(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    target = TargetSettings(name="tumblr", platform="tumblr", blog=fake.blog, api=fake.url)
    post_id = fake.add_post(URL)
    fake.add_like(post_id, "dave")
    credentials = TargetCredentials(tmp_path, "tumblr")
    credentials.save({"consumer_key": fake.consumer_key})
    copy = Copy(id=post_id, url=f"https://{fake.host}/post/{post_id}")
    found = TumblrPlatform(target, client, credentials).responses(copy, URL, {})
    assert [r.id for r in found.responses] == [f"{copy.url}#liked-by-dave"] and found.complete
    for received in fake.requests("notes"):
        assert "Authorization" not in received.headers
        assert parse_qs(urlsplit(received.path).query)["api_key"] == [fake.consumer_key]
    assert any("/notes" in r.getMessage() for r in caplog.records)
    assert fake.consumer_key not in caplog.text
    fake.consumer_key = "another-key"  # the app's key no longer works
    with pytest.raises(PlatformError) as caught:
        TumblrPlatform(target, client, credentials).responses(copy, URL, {})
    assert not caught.value.temporary and "ck-fake-consumer" not in caught.value.message


def test_notes_without_a_consumer_key_say_how_to_get_one(fake: FakeTumblr, tmp_path: Path, client: HttpClient) -> None:
    tumblr = platform(fake, tmp_path, client, save=False)
    with pytest.raises(PlatformError) as caught:
        tumblr.responses(Copy(id="1", url=f"https://{fake.host}/post/1"), URL, {})
    assert "homepost auth tumblr" in caught.value.message and "HOMEPOST_TUMBLR_CONSUMER_KEY" in caught.value.message
    assert fake.server.received == []


def test_no_credential_reaches_a_backfeed_message_or_the_log(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tumblr, copy = posted(fake, tmp_path, client)
    fake.add_reply(copy.id, "bob", "hi")
    messages = []
    for kind, status in (("notes", 429), ("notes", 500), ("notes", 401), ("notes", 403)):
        fake.fail_next(kind, status=status)
        with pytest.raises(PlatformError) as caught:
            tumblr.responses(copy, URL, {})
        messages.append(str(caught.value))
    fake.drop_next("notes")
    with pytest.raises(PlatformError) as caught:
        tumblr.responses(copy, URL, {})
    messages.append(str(caught.value))
    tumblr.responses(copy, URL, {})
    TargetCredentials(tmp_path, "tumblr").save({"oauth_token": "", "oauth_token_secret": ""})
    unsigned = platform(fake, tmp_path, client, save=False)
    unsigned.responses(copy, URL, {})
    assert "api_key=[redacted]" in caplog.text
    for secret in (fake.consumer_key, fake.consumer_secret, fake.token, fake.token_secret):
        assert secret not in caplog.text
        assert all(secret not in message for message in messages)


def test_verify_checks_the_token_once_with_user_info_and_a_refusal_says_run_auth(
    fake: FakeTumblr, tmp_path: Path, client: HttpClient
) -> None:
    platform(fake, tmp_path, client).verify()  # good keys: no error
    assert len(fake.requests("user")) == 1
    fake.revoke()
    with pytest.raises(PlatformError) as caught:
        platform(fake, tmp_path, client, save=False).verify()
    assert not caught.value.temporary and caught.value.needs_auth
    assert caught.value.message.startswith("tumblr: GET /v2/user/info was refused (401: ")
