"""The Mastodon platform against a loopback fake of its documented API: text, images, exactly once, errors, auth."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from generator.config import NetworkSettings, TargetSettings
from generator.credentials import TargetCredentials, load_credentials
from generator.http import Headers, HttpClient
from generator.http import Response as HttpResponse
from generator.model import Response, ResponseAuthor
from generator.platforms.base import Copy, Entry, Harvest, Media, PlatformError
from generator.platforms.mastodon import backfeed as mastodon_backfeed
from generator.platforms.mastodon import syndicate as mastodon
from generator.platforms.mastodon.client import next_page
from generator.platforms.mastodon.syndicate import MastodonPlatform, authorize
from generator.ratelimit import retry_after
from generator.syndication.fitting import url_weighted
from tests.fakes.mastodon import OOB, MastodonFake
from tests.helpers import png_bytes

NETWORK = NetworkSettings(allow_private_addresses=True, timeout=2)
LINK = "https://example.org/2026/06/hanami-in-the-park-with-friends/"


@pytest.fixture
def fake() -> Iterator[MastodonFake]:
    with MastodonFake() as server:
        yield server


def make_entry(**changes: object) -> Entry:
    values: dict[str, object] = {
        "url": LINK,
        "title": None,
        "text": "Hello from my own site.",
        "summary": "",
        "html": "<p>Hello from my own site.</p>",
        "tags": (),
        "images": (),
        "content_warning": "",
        "language": "en",
        "published": dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC),
        "key": "homepost:notes/hello:masto",
    }
    return Entry(**{**values, **changes})  # type: ignore[arg-type]


def make_platform(
    fake: MastodonFake, root: Path, *, token: str | None = None, timeout: float = 2, **settings: object
) -> MastodonPlatform:
    target = TargetSettings(name="masto", platform="mastodon", instance=fake.url, **settings)  # type: ignore[arg-type]
    credentials = TargetCredentials(root, "masto")
    credentials.save({"token": token or fake.token})
    client = HttpClient(NetworkSettings(allow_private_addresses=True, timeout=timeout))
    return MastodonPlatform(target, client, credentials, media_poll_wait=0)


def image(root: Path, name: str, alt: str, *, mime: str = "image/png", size: int | None = None) -> Media:
    path = root / name
    data = png_bytes(4, 3)
    path.write_bytes(data)
    return Media(
        path=path, url=f"https://example.org/img/{name}", alt=alt, mime=mime, size=size or len(data), width=4, height=3
    )


# --- text and payload ------------------------------------------------------------------------------


def test_note_goes_out_as_its_text_link_and_hashtags(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    entry = make_entry(tags=("IndieWeb", "Open Web"), language="en-GB")
    draft = platform.render(entry)
    text = f"Hello from my own site.\n\n{LINK}\n\n#IndieWeb #OpenWeb"
    assert draft.text == text
    assert draft.payload == {
        "status": text,
        "visibility": "public",
        "spoiler_text": "",
        "sensitive": False,
        "language": "en",
    }
    assert draft.notes == ()
    copy = platform.create(draft, entry)
    [call] = fake.calls_to("statuses")
    assert call.json() == draft.payload
    assert call.received.headers["Idempotency-Key"] == entry.key
    assert call.received.headers["Authorization"] == f"Bearer {fake.token}"
    [post] = fake.posts
    assert post["text"] == text and post["language"] == "en" and post["visibility"] == "public"
    assert copy == Copy(id=post["id"], url=post["url"])
    assert [t["name"] for t in post["tags"]] == ["indieweb", "openweb"]


def test_article_goes_out_as_title_summary_and_link(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path, visibility="unlisted")
    entry = make_entry(
        title="Why I publish here first",
        summary="Owning the original, sharing copies.",
        text="A long body that is not sent.",
        language="zh-CN",
    )
    draft = platform.render(entry)
    assert draft.text == f"Why I publish here first\n\nOwning the original, sharing copies.\n\n{LINK}"
    assert draft.payload == {
        "status": draft.text,
        "visibility": "unlisted",
        "spoiler_text": "",
        "sensitive": False,
        "language": "zh",
    }
    platform.create(draft, entry)
    assert fake.posts[0]["text"] == draft.text and fake.posts[0]["visibility"] == "unlisted"


def test_cjk_text_is_cut_after_a_sentence_and_keeps_the_link_whole(tmp_path: Path) -> None:
    with MastodonFake(max_characters=40) as fake:
        platform = make_platform(fake, tmp_path)
        entry = make_entry(
            text="今日は良い天気です。散歩に行きました。公園で桜を見ました。とても綺麗でした。", tags=("花見", "Spring")
        )
        draft = platform.render(entry)
        assert draft.text == f"今日は良い天気です…\n\n{LINK}"
        assert draft.notes == ("left out 2 of 2 hashtags", "text shortened to fit 40 characters")
        assert url_weighted(23)(draft.text) <= 40
        platform.create(draft, entry)  # the server counts the same way: no 422
        assert fake.posts[0]["text"].endswith(f"\n\n{LINK}")


def test_emoji_sequences_are_never_split(tmp_path: Path) -> None:
    with MastodonFake(max_characters=30) as fake:
        platform = make_platform(fake, tmp_path)
        entry = make_entry(text="桜🌸👩🏽‍💻🌸👩🏽‍💻🌸👩🏽‍💻🌸👩🏽‍💻")
        draft = platform.render(entry)
        assert draft.text == f"桜🌸👩🏽‍💻🌸…\n\n{LINK}"
        platform.create(draft, entry)
        assert fake.posts[0]["text"] == draft.text


def test_hashtags_that_do_not_fit_are_left_out_first(tmp_path: Path) -> None:
    with MastodonFake(max_characters=60) as fake:
        platform = make_platform(fake, tmp_path)
        draft = platform.render(make_entry(text="Spring is here.", tags=("Hanami", "Cherry Blossoms", "Photography")))
        assert draft.text == f"Spring is here.\n\n{LINK}\n\n#Hanami"
        assert draft.notes == ("left out 2 of 3 hashtags",)


def test_content_warning_is_spoiler_text_and_counts_against_the_limit(tmp_path: Path) -> None:
    with MastodonFake(max_characters=60) as fake:
        platform = make_platform(fake, tmp_path)
        entry = make_entry(
            text="The ending of the film, in detail: everyone survives.", content_warning="Film spoilers"
        )
        draft = platform.render(entry)
        assert draft.payload["spoiler_text"] == "Film spoilers"
        assert draft.text == f"The ending of the…\n\n{LINK}"  # 13 (CW) + 18 + 2 + 23 (URL) <= 60
        assert draft.notes == ("text shortened to fit 47 characters",)
        platform.create(draft, entry)
        assert fake.posts[0]["spoiler_text"] == "Film spoilers" and fake.posts[0]["sensitive"] is True
        off = make_platform(fake, tmp_path, content_warning=False).render(entry)
        assert off.payload["spoiler_text"] == ""
        assert off.text == f"The ending of the film, in detail…\n\n{LINK}"


# --- images ---------------------------------------------------------------------------------------


def test_images_are_uploaded_with_their_alt_text(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    entry = make_entry(images=(image(tmp_path, "cover.png", "A cherry tree in bloom"), image(tmp_path, "park.png", "")))
    draft = platform.render(entry)
    assert [m.alt for m in draft.media] == ["A cherry tree in bloom", ""]
    platform.create(draft, entry)
    uploads = fake.calls_to("media")
    assert len(uploads) == 2
    [post] = fake.posts
    assert [m["description"] for m in post["media_attachments"]] == ["A cherry tree in bloom", None]
    assert fake.calls_to("statuses")[0].json()["media_ids"] == [m["id"] for m in post["media_attachments"]]
    assert fake.media[post["media_attachments"][0]["id"]]["_bytes"] == (tmp_path / "cover.png").read_bytes()


def test_images_the_instance_does_not_take_are_left_out_with_notes(tmp_path: Path) -> None:
    with MastodonFake(max_media=2, image_size_limit=10_000, description_limit=10) as fake:
        platform = make_platform(fake, tmp_path)
        images = (
            image(tmp_path, "a.heic", "HEIC", mime="image/heic"),
            image(tmp_path, "big.png", "Big", size=20_000),
            image(tmp_path, "1.png", "One"),
            image(tmp_path, "2.png", "A rather long description"),
            image(tmp_path, "3.png", "Three"),
        )
        entry = make_entry(images=images)
        draft = platform.render(entry)
        assert [m.path.name for m in draft.media] == ["1.png", "2.png"]
        assert [m.alt for m in draft.media] == ["One", "A rather…"]
        assert draft.notes == (
            "left out a.heic: the server does not take image/heic",
            "left out big.png: 20000 bytes, over the server's 10000",
            "left out 1 image over the limit of 2 per status",
            "alt text of 2.png shortened to 10 characters",
        )
        assert "(left out 1 image over the limit of 2 per status)" in draft.preview()
        platform.create(draft, entry)
        assert [m["description"] for m in fake.posts[0]["media_attachments"]] == ["One", "A rather…"]


def test_images_still_processing_are_polled_until_ready(tmp_path: Path) -> None:
    with MastodonFake(processing_polls=2) as fake:
        platform = make_platform(fake, tmp_path)
        entry = make_entry(images=(image(tmp_path, "cover.png", "Cover"),))
        platform.create(platform.render(entry), entry)
        assert [c.kind for c in fake.calls if c.kind.startswith("media")] == ["media", "media_poll", "media_poll"]
        assert fake.posts[0]["media_attachments"][0]["url"]


def test_an_image_that_never_finishes_processing_is_a_temporary_error(tmp_path: Path) -> None:
    with MastodonFake(processing_polls=50) as fake:
        platform = make_platform(fake, tmp_path)
        platform.media_polls = 2
        entry = make_entry(images=(image(tmp_path, "cover.png", "Cover"),))
        with pytest.raises(PlatformError) as caught:
            platform.create(platform.render(entry), entry)
        assert caught.value.temporary and not caught.value.unknown_outcome
        assert fake.posts == []


# --- limits ---------------------------------------------------------------------------------------


def test_limits_are_read_once_per_run(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    platform.render(make_entry())
    platform.render(make_entry(text="Another"))
    assert len(fake.calls_to("instance")) == 1
    assert "Authorization" not in fake.calls_to("instance")[0].received.headers


def test_limits_fall_back_to_v1_then_to_mastodons_defaults(tmp_path: Path) -> None:
    with MastodonFake(instance_api="v1", max_characters=5000) as fake:
        assert make_platform(fake, tmp_path).limits().max_characters == 5000
    with MastodonFake(instance_api="none") as fake:
        limits = make_platform(fake, tmp_path).limits()
        assert limits.max_characters == 500 and limits.url_weight == 23
        assert limits.max_media == 4 and limits.description_limit == 1500


def test_an_instance_that_is_down_is_a_temporary_error_not_a_guess(fake: MastodonFake, tmp_path: Path) -> None:
    fake.fail_next("instance", status=503)
    with pytest.raises(PlatformError) as caught:
        make_platform(fake, tmp_path).render(make_entry())
    assert caught.value.temporary and "503" in caught.value.message


# --- exactly once ---------------------------------------------------------------------------------


def test_a_timeout_after_the_server_stored_the_status_is_found_not_reposted(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path, timeout=0.5)
    entry = make_entry()
    draft = platform.render(entry)
    fake.stall_after_store("statuses")
    with pytest.raises(PlatformError) as caught:
        platform.create(draft, entry)
    assert caught.value.temporary and caught.value.unknown_outcome
    [post] = fake.posts
    assert platform.find(draft, entry) == Copy(id=post["id"], url=post["url"])
    assert len(fake.posts) == 1


def test_a_retry_with_the_same_idempotency_key_returns_the_same_status(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    entry = make_entry()
    draft = platform.render(entry)
    fake.drop_next("statuses", after_store=True)
    with pytest.raises(PlatformError) as caught:
        platform.create(draft, entry)
    assert caught.value.unknown_outcome
    copy = platform.create(draft, entry)
    assert len(fake.posts) == 1 and copy.id == fake.posts[0]["id"]


def test_a_connection_dropped_before_storing_finds_nothing_and_posts_once(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    entry = make_entry()
    draft = platform.render(entry)
    fake.drop_next("statuses")
    with pytest.raises(PlatformError) as caught:
        platform.create(draft, entry)
    assert caught.value.unknown_outcome and fake.posts == []
    assert platform.find(draft, entry) is None
    platform.create(draft, entry)
    assert len(fake.posts) == 1


def test_find_matches_the_escaped_link_home_exactly(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    other = make_entry(url="https://example.org/p?id=1&lang=en-GB", key="other")
    entry = make_entry(url="https://example.org/p?id=1&lang=en", key="mine")
    platform.create(platform.render(other), other)
    assert platform.find(platform.render(entry), entry) is None
    copy = platform.create(platform.render(entry), entry)
    assert "&amp;lang=en" in fake.posts[1]["content"]
    assert platform.find(platform.render(entry), entry) == copy


def test_find_cannot_tell_when_the_server_fails(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    fake.fail_next("account_statuses", status=503)
    with pytest.raises(PlatformError) as caught:
        platform.find(platform.render(make_entry()), make_entry())
    assert caught.value.temporary and caught.value.unknown_outcome


# --- update and delete ----------------------------------------------------------------------------


def test_update_edits_the_status_in_place(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    assert platform.can_update
    entry = make_entry(images=(image(tmp_path, "cover.png", "Cover"),))
    copy = platform.create(platform.render(entry), entry)
    changed = make_entry(text="Hello again, edited.", images=(image(tmp_path, "cover.png", "Cover, better described"),))
    draft = platform.render(changed)
    updated = platform.update(copy, draft, changed)
    assert updated == copy
    body = fake.calls_to("update")[0].json()
    assert body["status"] == draft.text and body["language"] == "en" and "visibility" not in body
    [post] = fake.posts
    assert post["text"] == f"Hello again, edited.\n\n{LINK}" and post["edited_at"]
    assert [m["description"] for m in post["media_attachments"]] == ["Cover, better described"]


def test_an_edit_keeps_the_media_ids_of_unchanged_images_and_uploads_only_new_ones(
    fake: MastodonFake, tmp_path: Path
) -> None:
    platform = make_platform(fake, tmp_path)
    kept, old = image(tmp_path, "kept.png", "Kept"), image(tmp_path, "old.png", "Old")
    old.path.write_bytes(old.path.read_bytes() + b"\0")  # another image
    entry = make_entry(images=(kept, old))
    copy = platform.create(platform.render(entry), entry)
    first_ids = [m["id"] for m in fake.posts[0]["media_attachments"]]
    assert len(fake.calls_to("media")) == 2 and "media" in copy.extra  # the outbox remembers the status's media ids
    old.path.write_bytes(old.path.read_bytes() + b"changed")  # a changed image is a new one
    changed = make_entry(text="Edited", images=(dataclasses.replace(kept, alt="Kept, described better"), old))
    updated = platform.update(copy, platform.render(changed), changed)
    body = fake.calls_to("update")[0].json()
    assert len(fake.calls_to("media")) == 3  # only the changed image went up again
    assert body["media_ids"][0] == first_ids[0] and body["media_ids"][1] not in first_ids
    assert body["media_attributes"] == [{"id": first_ids[0], "description": "Kept, described better"}]
    assert [m["description"] for m in fake.posts[0]["media_attachments"]] == ["Kept, described better", "Old"]
    again = platform.update(updated, platform.render(changed), changed)  # a second edit uploads nothing
    assert len(fake.calls_to("media")) == 3 and fake.calls_to("update")[1].json()["media_ids"] == body["media_ids"]
    assert again.extra["media"] == updated.extra["media"]


def test_a_content_warning_sends_sensitive_true_on_create_and_on_edit(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    entry = make_entry(content_warning="Spiders", images=(image(tmp_path, "spider.png", "A spider"),))
    copy = platform.create(platform.render(entry), entry)
    assert fake.calls_to("statuses")[0].json()["sensitive"] is True and fake.posts[0]["sensitive"] is True
    changed = make_entry(text="Hello again, edited.", content_warning="Big spiders", images=entry.images)
    platform.update(copy, platform.render(changed), changed)
    body = fake.calls_to("update")[0].json()
    assert body["spoiler_text"] == "Big spiders" and body["sensitive"] is True
    assert fake.posts[0]["sensitive"] is True  # the fake, as the servers do, defaults it to false when not sent


def test_an_html_error_body_is_read_and_a_bad_token_is_caught_by_verify(fake: MastodonFake, tmp_path: Path) -> None:
    fake.html_auth_errors = True
    platform = make_platform(fake, tmp_path)
    TargetCredentials(tmp_path, "masto").save({"token": "not-the-token"})
    with pytest.raises(PlatformError) as caught:
        platform.verify()
    assert caught.value.message.startswith("masto: checking the credentials failed (400: Invalid Bearer token)")
    entry = make_entry()
    with pytest.raises(PlatformError) as caught:
        platform.create(platform.render(entry), entry)
    assert "posting the status failed (400: Invalid Bearer token)" in caught.value.message


def test_delete_removes_the_status_and_a_gone_one_counts_as_deleted(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    entry = make_entry()
    copy = platform.create(platform.render(entry), entry)
    platform.delete(copy)
    assert fake.posts == []
    platform.delete(copy)  # 404: already gone
    assert [c.received.method for c in fake.calls_to("delete")] == ["DELETE", "DELETE"]


# --- errors ---------------------------------------------------------------------------------------


def test_a_server_error_is_temporary_and_stores_nothing(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    entry = make_entry()
    draft = platform.render(entry)
    fake.fail_next("statuses", status=500)
    with pytest.raises(PlatformError) as caught:
        platform.create(draft, entry)
    assert caught.value.temporary and not caught.value.unknown_outcome
    assert "500" in caught.value.message and fake.posts == []
    platform.create(draft, entry)
    assert len(fake.posts) == 1


def test_rate_limit_uses_retry_after(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    fake.fail_next("statuses", status=429, retry_after=120)
    with pytest.raises(PlatformError) as caught:
        platform.create(platform.render(make_entry()), make_entry())
    assert caught.value.temporary and caught.value.retry_after == 120


def test_rate_limit_without_retry_after_uses_the_reset_time(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path)
    fake.fail_next("media", status=429, reset_after=600)
    entry = make_entry(images=(image(tmp_path, "cover.png", "Cover"),))
    with pytest.raises(PlatformError) as caught:
        platform.create(platform.render(entry), entry)
    assert caught.value.temporary and caught.value.retry_after is not None
    assert 500 < caught.value.retry_after <= 600
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    assert retry_after({"X-RateLimit-Reset": "2026-06-01T12:05:00.000000Z"}, now) == 300
    assert retry_after({"Retry-After": "Mon, 01 Jun 2026 12:01:00 GMT"}, now) == 60


def test_a_refused_token_is_permanent_and_says_how_to_fix_it(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path, token="revoked-token-abc123")
    with pytest.raises(PlatformError) as caught:
        platform.create(platform.render(make_entry()), make_entry())
    assert not caught.value.temporary
    assert "homepost auth masto" in caught.value.message and "401" in caught.value.message
    assert "revoked-token-abc123" not in caught.value.message


def test_a_rejected_status_is_permanent_with_the_servers_message(fake: MastodonFake, tmp_path: Path) -> None:
    platform = make_platform(fake, tmp_path, visibility="everyone")
    with pytest.raises(PlatformError) as caught:
        platform.create(platform.render(make_entry()), make_entry())
    assert not caught.value.temporary
    assert (
        caught.value.message
        == "masto: posting the status failed (422: Validation failed: Visibility is not included in the list)"
    )


def test_a_missing_token_says_how_to_get_one(fake: MastodonFake, tmp_path: Path) -> None:
    target = TargetSettings(name="masto", platform="mastodon", instance=fake.url)
    platform = MastodonPlatform(target, HttpClient(NETWORK), TargetCredentials(tmp_path, "masto"))
    draft = platform.render(make_entry())  # a dry run needs no token
    with pytest.raises(PlatformError) as caught:
        platform.create(draft, make_entry())
    assert "homepost auth masto" in caught.value.message and "HOMEPOST_MASTO_TOKEN" in caught.value.message
    assert fake.calls_to("statuses") == []


# --- homepost auth --------------------------------------------------------------------------------


class ScriptedIO:
    """The person at the keyboard: a browser that may or may not open, and answers to prompts."""

    def __init__(
        self, browser: Callable[[str], bool] | None = None, answer: Callable[[str], str] | None = None
    ) -> None:
        self.browser, self.answer = browser, answer
        self.said: list[str] = []
        self.opened: list[str] = []
        self.asked: list[str] = []

    def say(self, message: str) -> None:
        self.said.append(message)

    def ask(self, prompt: str, secret: bool = False) -> str:
        self.asked.append(prompt)
        assert self.answer is not None, prompt
        return self.answer(prompt)

    def open(self, url: str) -> bool:
        self.opened.append(url)
        return self.browser(url) if self.browser else False


def auth_target(fake: MastodonFake) -> TargetSettings:
    return TargetSettings(name="masto", platform="mastodon", instance=fake.url)


def test_auth_with_the_browser_coming_back_to_the_loopback_server(fake: MastodonFake, tmp_path: Path) -> None:
    browser = HttpClient(NETWORK)

    def approve(url: str) -> bool:  # the test plays the browser of a logged-in user who approves
        answer = browser.get(url)  # 302 to http://127.0.0.1:<port>/callback?code=...&state=...
        assert answer.status == 200 and "authorized" in answer.text
        return True

    io = ScriptedIO(browser=approve)
    summary = authorize(auth_target(fake), HttpClient(NETWORK), TargetCredentials(tmp_path, "masto"), io)
    assert summary == f"Authorized @alice@127.0.0.1:{fake.server.port}"
    [app] = fake.apps.values()
    assert app["name"] == "Homepost" and app["scopes"] == [
        "read:accounts",
        "read:statuses",
        "write:statuses",
        "write:media",
    ]
    assert app["redirect_uris"][1] == OOB and re.fullmatch(r"http://127\.0\.0\.1:\d+/callback", app["redirect_uris"][0])
    [url] = io.opened
    assert "code_challenge_method=S256" in url and "state=" in url and io.asked == []
    token_form = fake.calls_to("token")[0].form()
    assert token_form["redirect_uri"] == app["redirect_uris"][0] and token_form["code_verifier"]
    saved = load_credentials(tmp_path)["masto"]
    assert saved == {"client_id": app["client_id"], "client_secret": app["client_secret"], "token": saved["token"]}
    assert fake.tokens[saved["token"]] == {"read:accounts", "read:statuses", "write:statuses", "write:media"}


def test_auth_ignores_a_callback_with_the_wrong_state(fake: MastodonFake, tmp_path: Path) -> None:
    browser = HttpClient(NETWORK)

    def approve(url: str) -> bool:
        callback = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        forged = browser.get(callback + "?code=evil&state=wrong")
        assert forged.status == 400
        browser.get(url)
        return True

    summary = authorize(
        auth_target(fake), HttpClient(NETWORK), TargetCredentials(tmp_path, "masto"), ScriptedIO(approve)
    )
    assert summary.startswith("Authorized @alice@")


def test_auth_out_of_band_when_no_browser_opens(fake: MastodonFake, tmp_path: Path) -> None:
    browser = HttpClient(NETWORK)

    def paste_code(prompt: str) -> str:  # open the address shown, copy the code the instance displays
        url = re.search(r"http://\S+", io.said[-1])
        assert url and "redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob" in url.group()
        page = browser.get(url.group()).text
        found = re.search(r'class="oauth-code" readonly type="text" value="([^"]+)"', page)
        assert found
        return found.group(1)

    io = ScriptedIO(browser=None, answer=paste_code)
    summary = authorize(auth_target(fake), HttpClient(NETWORK), TargetCredentials(tmp_path, "masto"), io)
    assert summary.startswith("Authorized @alice@") and io.asked == ["Authorization code"]
    assert fake.calls_to("token")[0].form()["redirect_uri"] == OOB
    assert TargetCredentials(tmp_path, "masto").get("token") in fake.tokens


def test_auth_falls_back_to_pasting_when_the_browser_never_comes_back(fake: MastodonFake, tmp_path: Path) -> None:
    browser = HttpClient(NETWORK)

    def paste_code(prompt: str) -> str:
        url = re.search(r"http://\S+", io.said[-1])
        assert url
        found = re.search(r'value="([^"]+)"', browser.get(url.group()).text)
        assert found
        return found.group(1)

    io = ScriptedIO(browser=lambda url: True, answer=paste_code)
    authorize(auth_target(fake), HttpClient(NETWORK), TargetCredentials(tmp_path, "masto"), io, wait=0.05)
    assert any("did not come back" in line for line in io.said)
    assert TargetCredentials(tmp_path, "masto").get("token") in fake.tokens


def test_auth_denied_in_the_browser_is_a_permanent_error(fake: MastodonFake, tmp_path: Path) -> None:
    fake.deny = True
    browser = HttpClient(NETWORK)
    io = ScriptedIO(browser=lambda url: browser.get(url).status == 200)
    with pytest.raises(PlatformError) as caught:
        authorize(auth_target(fake), HttpClient(NETWORK), TargetCredentials(tmp_path, "masto"), io)
    assert not caught.value.temporary and "access_denied" in caught.value.message
    assert load_credentials(tmp_path) == {}


def test_auth_with_a_wrong_code_is_refused_without_echoing_secrets(fake: MastodonFake, tmp_path: Path) -> None:
    io = ScriptedIO(answer=lambda prompt: "not-a-real-code")
    with pytest.raises(PlatformError) as caught:
        authorize(auth_target(fake), HttpClient(NETWORK), TargetCredentials(tmp_path, "masto"), io)
    assert not caught.value.temporary and "invalid_grant" not in caught.value.message
    assert "authorization grant is invalid" in caught.value.message
    [app] = fake.apps.values()
    assert app["client_secret"] not in caught.value.message and "not-a-real-code" not in caught.value.message


def test_no_credential_appears_in_any_message_or_log(
    fake: MastodonFake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    browser = HttpClient(NETWORK)
    authorize(
        auth_target(fake),
        HttpClient(NETWORK),
        TargetCredentials(tmp_path, "masto"),
        ScriptedIO(lambda u: browser.get(u).status == 200),
    )
    platform = MastodonPlatform(
        auth_target(fake), HttpClient(NETWORK), TargetCredentials(tmp_path, "masto"), media_poll_wait=0
    )
    entry = make_entry(images=(image(tmp_path, "cover.png", "Cover"),))
    messages: list[str] = []
    for kind, status in (("statuses", 500), ("statuses", 429), ("media", 401), ("statuses", 422)):
        fake.fail_next(kind, status=status, retry_after=5)
        with pytest.raises(PlatformError) as caught:
            platform.create(platform.render(entry), entry)
        messages.append(str(caught.value))
    copy = platform.create(platform.render(entry), entry)
    platform.update(copy, platform.render(entry), entry)
    platform.find(platform.render(entry), entry)
    platform.delete(copy)
    saved = load_credentials(tmp_path)["masto"]
    secrets = [saved["token"], saved["client_secret"], fake.token]
    for text in (caplog.text, *messages, platform.render(entry).preview(), repr(platform.render(entry))):
        for secret in secrets:
            assert secret not in text
    assert mastodon.SCOPES == "read:accounts read:statuses write:statuses write:media"


# --- backfeed: what answered the copy -------------------------------------------------------------


def posted(fake: MastodonFake, root: Path, **settings: object) -> tuple[MastodonPlatform, Copy]:
    platform = make_platform(fake, root, **settings)
    entry = make_entry()
    return platform, platform.create(platform.render(entry), entry)


def test_backfeed_harvests_the_reply_tree_likes_reposts_and_quotes(fake: MastodonFake, tmp_path: Path) -> None:
    platform, copy = posted(fake, tmp_path)
    bob = fake.add_account("bob", "social.example", display_name="Bob Builder")
    carol = fake.add_account("carol")  # an account on the copy's own server
    first = fake.add_reply(copy.id, "Lovely photos!", account=bob)
    second = fake.add_reply(first["id"], "Agreed, the light is great.", account=carol)  # a reply to a reply
    writer = fake.add_reply(first["id"], "Thank you both!", account=fake.account)  # the writer answering
    hidden = fake.add_reply(copy.id, "Only for followers", visibility="private")
    fake.add_reply(hidden["id"], "A public answer to a private reply")  # answers something readers cannot see
    fake.add_reply(copy.id, "A direct message", visibility="direct")
    fake.add_like(copy.id, carol)
    fake.add_repost(copy.id, bob)
    quote = fake.add_quote(copy.id, "Worth reading", account=carol)
    fake.add_quote(copy.id, "Not approved yet", state="pending")
    harvest = platform.responses(copy, LINK, {})
    assert harvest.complete and harvest.state == {}
    assert [(r.type, r.id, r.in_reply_to) for r in harvest.responses] == [
        ("reply", first["url"], ""),
        ("reply", second["url"], first["url"]),
        ("reply", writer["url"], first["url"]),
        ("like", f"{copy.url}#favourited-by-{carol['id']}", ""),
        ("repost", f"{copy.url}#reblogged-by-{bob['id']}", ""),
        ("quote", quote["url"], ""),
    ]
    reply, second_reply, writer_reply, like, repost, quoted = harvest.responses
    assert reply == Response(
        id=first["url"],
        type="reply",
        source=first["url"],
        target=LINK,
        author=ResponseAuthor(
            name="Bob Builder",
            url="https://social.example/@bob",
            handle="@bob@social.example",
            photo="https://social.example/system/accounts/avatars/bob.png",
        ),
        content_html="<p>Lovely photos!</p>",
        content_text="Lovely photos!",
        published=dt.datetime.fromisoformat(first["created_at"]),
        updated=None,
        platform="mastodon",
    )
    host = f"127.0.0.1:{fake.server.port}"
    assert second_reply.author.handle == f"@carol@{host}" and second_reply.author.url == f"{fake.url}/@carol"
    assert writer_reply.author == ResponseAuthor(name="Alice", url=fake.account["url"], handle=f"@alice@{host}")
    assert like.source == carol["url"] and like.author.handle == f"@carol@{host}" and like.content_html == ""
    assert repost.source == bob["url"] and repost.author.name == "Bob Builder"
    assert quoted.source == quote["url"] and quoted.content_text == "Worth reading" and "RE:" not in quoted.content_html
    assert {(r.target, r.platform) for r in harvest.responses} == {(LINK, "mastodon")}
    assert fake.calls_to("context")[0].received.headers["Authorization"] == f"Bearer {fake.token}"


def test_backfeed_sequence_reply_added_edited_deleted(fake: MastodonFake, tmp_path: Path) -> None:
    platform, copy = posted(fake, tmp_path)
    assert platform.responses(copy, LINK, {}) == Harvest(complete=True)
    reply = fake.add_reply(copy.id, "First thought")
    [added] = platform.responses(copy, LINK, {}).responses
    assert added.id == reply["url"] and added.content_text == "First thought" and added.updated is None
    answer = fake.add_reply(reply["id"], "An answer to it")
    fake.edit_status(reply["id"], "Second thought, edited")
    harvest = platform.responses(copy, LINK, {})
    edited = harvest.responses[0]
    assert edited.id == added.id and edited.content_html == "<p>Second thought, edited</p>"
    assert edited.updated is not None and edited.published is not None and edited.updated >= edited.published
    assert harvest.responses[1].id == answer["url"] and harvest.responses[1].in_reply_to == added.id
    fake.delete_status(reply["id"])  # its answer is left outside the thread, as on Mastodon
    assert platform.responses(copy, LINK, {}) == Harvest(responses=(), complete=True)


def test_backfeed_content_is_sanitised(fake: MastodonFake, tmp_path: Path) -> None:
    platform, copy = posted(fake, tmp_path)
    eve = fake.add_account("eve", "evil.example", display_name="Eve\x00 <b>the bold</b>", avatar="javascript:alert(1)")
    eve["url"] = "javascript:alert(2)"
    hostile = (
        '<p>Hi<script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">click</a> '
        '<a href="https://ok.example/" onclick="steal()">fine</a><svg onload="alert(4)"></svg>'
        '<style>body{background:url(javascript:alert(5))}</style><iframe src="https://evil.example/"></iframe>'
    )
    fake.add_reply(copy.id, account=eve, html=hostile, spoiler="<i>spoilers</i>")
    fake.add_like(copy.id, eve)
    reply, like = platform.responses(copy, LINK, {}).responses
    for text in (reply.content_html, reply.content_text):
        for bad in (
            "<script",
            "alert(",
            "onerror",
            "onclick",
            "onload",
            "javascript:",
            "<img",
            "<svg",
            "<style",
            "<iframe",
        ):
            assert bad not in text.lower()
    assert reply.content_html.startswith("<p><strong>CW: &lt;i&gt;spoilers&lt;/i&gt;</strong></p><p>Hi")
    assert '<a href="https://ok.example/" rel="nofollow ugc noopener">fine</a>' in reply.content_html
    assert reply.author == ResponseAuthor(name="Eve <b>the bold</b>", handle="@eve@evil.example")
    assert like.source == copy.url and like.author.url == "" and like.author.photo == ""


def test_backfeed_reads_every_page_within_its_bounds(
    fake: MastodonFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform, copy = posted(fake, tmp_path)
    for _ in range(85):
        fake.add_like(copy.id)
    for _ in range(3):
        fake.add_reply(copy.id, "Hello")
    harvest = platform.responses(copy, LINK, {})
    assert harvest.complete and len([r for r in harvest.responses if r.type == "like"]) == 85
    pages = fake.calls_to("favourited_by")
    assert len(pages) == 2 and "max_id=" in pages[1].received.path and "limit=80" in pages[0].received.path
    monkeypatch.setattr(mastodon_backfeed, "MAX_PAGES", 1)
    monkeypatch.setattr(mastodon_backfeed, "MAX_REPLIES", 2)
    cut = platform.responses(copy, LINK, {})
    assert not cut.complete
    assert [r.type for r in cut.responses].count("like") == 80 and [r.type for r in cut.responses].count("reply") == 2


def test_next_page_stays_on_the_instance() -> None:
    def page(link: str) -> HttpResponse:
        return HttpResponse(
            url="https://masto.example/api/v1/statuses/1/favourited_by?limit=80",
            status=200,
            headers=Headers([("Link", link)]),
            content=b"[]",
        )

    base = "https://masto.example"
    link = (
        '<https://masto.example/api/v1/statuses/1/favourited_by?limit=80&max_id=7>; rel="next", '
        '<https://masto.example/x>; rel="prev"'
    )
    assert next_page(page(link), base) == "/api/v1/statuses/1/favourited_by?limit=80&max_id=7"
    assert next_page(page('<https://masto.example/x?since_id=9>; rel="prev"'), base) is None
    assert next_page(page('<https://evil.example/api/v1/statuses/1/favourited_by>; rel="next"'), base) is None


def test_backfeed_on_a_server_without_quotes_remembers_it(tmp_path: Path) -> None:
    with MastodonFake(quotes=False) as fake:
        platform, copy = posted(fake, tmp_path)
        fake.add_reply(copy.id, "Hi")
        harvest = platform.responses(copy, LINK, {"cursor": "kept"})
        assert harvest.complete and len(harvest.responses) == 1
        assert harvest.state["cursor"] == "kept" and "quotes_absent" in harvest.state
        again = platform.responses(copy, LINK, harvest.state)
        assert again.complete and again.state == harvest.state and len(fake.calls_to("quotes")) == 1
        fake.quotes = True  # the server was upgraded: asked again after QUOTES_RECHECK
        old = {"quotes_absent": "2026-01-01T00:00:00+00:00"}
        assert "quotes_absent" not in platform.responses(copy, LINK, old).state
        assert len(fake.calls_to("quotes")) == 2


def test_backfeed_without_a_token_reads_public_replies_but_is_never_complete(
    fake: MastodonFake, tmp_path: Path
) -> None:
    _, copy = posted(fake, tmp_path)
    fake.add_reply(copy.id, "Public")
    fake.add_reply(copy.id, "Followers only", visibility="private")
    fake.add_like(copy.id)
    fake.add_quote(copy.id, "A quote")
    target = TargetSettings(name="masto", platform="mastodon", instance=fake.url)
    anonymous = MastodonPlatform(target, HttpClient(NETWORK), TargetCredentials(tmp_path / "none", "masto"))
    harvest = anonymous.responses(copy, LINK, {})
    assert [r.type for r in harvest.responses] == ["reply", "like"] and not harvest.complete
    assert all("Authorization" not in c.received.headers for c in fake.calls if c.kind != "statuses")
    assert fake.calls_to("quotes") == []


def test_backfeed_is_incomplete_while_the_server_fetches_remote_replies(fake: MastodonFake, tmp_path: Path) -> None:
    platform, copy = posted(fake, tmp_path)
    fake.add_reply(copy.id, "Hi")
    fake.async_refresh = True
    harvest = platform.responses(copy, LINK, {})
    assert len(harvest.responses) == 1 and not harvest.complete


def test_backfeed_errors(fake: MastodonFake, tmp_path: Path) -> None:
    platform, copy = posted(fake, tmp_path)
    fake.add_reply(copy.id, "Hi")
    fake.fail_next("context", status=429, retry_after=90)
    with pytest.raises(PlatformError) as caught:
        platform.responses(copy, LINK, {})
    assert caught.value.temporary and caught.value.retry_after == 90
    fake.fail_next("favourited_by", status=429, reset_after=120)  # a rate limit on any page stops the harvest
    with pytest.raises(PlatformError) as caught:
        platform.responses(copy, LINK, {})
    assert caught.value.temporary and caught.value.retry_after is not None and 100 < caught.value.retry_after <= 120
    fake.fail_next("context", status=500)
    with pytest.raises(PlatformError) as caught:
        platform.responses(copy, LINK, {})
    assert caught.value.temporary and "500" in caught.value.message
    fake.fail_next("reblogged_by", status=503)  # a list that fails: what was read, not complete
    partial = platform.responses(copy, LINK, {})
    assert not partial.complete and [r.type for r in partial.responses] == ["reply"]
    fake.drop_next("quotes")
    assert not platform.responses(copy, LINK, {}).complete
    fake.delete_status(copy.id)  # the copy is gone: nothing answers it
    assert platform.responses(copy, LINK, {"quotes_absent": "x"}) == Harvest(
        complete=True, state={"quotes_absent": "x"}
    )


def test_backfeed_with_a_refused_token_is_permanent_and_names_no_credential(
    fake: MastodonFake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    platform, copy = posted(fake, tmp_path)
    fake.add_reply(copy.id, "Hi")
    messages: list[str] = []
    for kind, status in (("context", 500), ("context", 429), ("favourited_by", 502), ("quotes", 403)):
        fake.fail_next(kind, status=status, retry_after=5)
        try:
            platform.responses(copy, LINK, {})
        except PlatformError as exc:
            messages.append(str(exc))
    revoked = make_platform(fake, tmp_path, token="revoked-token-abc123")
    with pytest.raises(PlatformError) as caught:
        revoked.responses(copy, LINK, {})
    assert not caught.value.temporary and "homepost auth masto" in caught.value.message
    messages.append(str(caught.value))
    assert len(messages) == 4
    for text in (caplog.text, *messages):
        assert fake.token not in text and "revoked-token-abc123" not in text
