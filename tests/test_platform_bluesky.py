"""Bluesky: text, facets, embeds and record keys sent to a loopback PDS; sessions, retries and errors."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.config import NetworkSettings, TargetSettings
from generator.credentials import TargetCredentials, load_credentials
from generator.http import HttpClient
from generator.model import ResponseAuthor
from generator.platforms.base import Copy, Draft, Entry, Media, PlatformError
from generator.platforms.bluesky.client import TID_ALPHABET, encode_tid, is_tid, measure, query, record_key
from generator.platforms.bluesky.syndicate import BlueskyPlatform, authorize
from generator.syndication.fitting import hashtag
from tests.fakes.bluesky import FakeBluesky
from tests.helpers import png_bytes

NETWORK = NetworkSettings(allow_private_addresses=True, timeout=2)
HOME = "https://example.org/notes/2026/hello/"
PUBLISHED = dt.datetime(2026, 5, 30, 9, 15, 42, tzinfo=dt.timezone(dt.timedelta(hours=2)))


@pytest.fixture
def pds() -> Iterator[FakeBluesky]:
    with FakeBluesky() as fake:
        yield fake


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(NETWORK)


@pytest.fixture
def credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pds: FakeBluesky) -> TargetCredentials:
    for key in ("PASSWORD", "SESSION", "TOKEN"):
        monkeypatch.delenv(f"HOMEPOST_BSKY_{key}", raising=False)
    store = TargetCredentials(tmp_path, "bsky")
    store.save({"password": pds.password})
    return store


def target_for(pds: FakeBluesky, **settings: Any) -> TargetSettings:
    return TargetSettings(
        name="bsky", platform="bluesky", service=pds.url, handle=pds.handle, appview=pds.url, **settings
    )


@pytest.fixture
def bsky(pds: FakeBluesky, client: HttpClient, credentials: TargetCredentials) -> BlueskyPlatform:
    return BlueskyPlatform(target_for(pds), client, credentials)


def make_entry(**fields: Any) -> Entry:
    values: dict[str, Any] = {
        "url": HOME,
        "title": None,
        "text": "Hello from my own site.",
        "summary": "",
        "html": "",
        "tags": (),
        "images": (),
        "content_warning": "",
        "language": "en",
        "published": PUBLISHED,
        "key": "notes/2026/hello",
    }
    values.update(fields)
    return Entry(**values)


def image(
    tmp_path: Path, name: str, alt: str, width: int | None = 3, height: int | None = 2, size: int | None = None
) -> Media:
    path = tmp_path / name
    path.write_bytes(png_bytes(3, 2) if size is None else b"\x89PNG" + b"\x00" * (size - 4))
    return Media(
        path=path,
        url=f"https://example.org/img/{name}",
        alt=alt,
        mime="image/png",
        size=path.stat().st_size,
        width=width,
        height=height,
    )


def byte_span(text: str, needle: str, start: int = 0) -> tuple[int, int]:
    """UTF-8 offsets of `needle` in `text`, computed independently of the module."""
    i = text.index(needle, start)
    return len(text[:i].encode()), len(text[: i + len(needle)].encode())


# --- what is sent ------------------------------------------------------------------------------


def test_note_text_record_and_link_card(bsky: BlueskyPlatform, pds: FakeBluesky) -> None:
    entry = make_entry(tags=("IndieWeb", "open web"))
    draft = bsky.render(entry)

    text = f"Hello from my own site.\n\n{HOME}\n\n#IndieWeb #OpenWeb"
    rkey = record_key(PUBLISHED, entry.key)
    assert draft.text == text
    assert draft.payload == {
        "repo": "ada.bsky.test",
        "collection": "app.bsky.feed.post",
        "rkey": rkey,
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": "2026-05-30T07:15:42.000Z",
            "langs": ["en"],
            "facets": [
                {
                    "index": {"byteStart": 25, "byteEnd": 25 + len(HOME)},
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": HOME}],
                },
                {
                    "index": {"byteStart": 27 + len(HOME), "byteEnd": 36 + len(HOME)},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "IndieWeb"}],
                },
                {
                    "index": {"byteStart": 37 + len(HOME), "byteEnd": 45 + len(HOME)},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "OpenWeb"}],
                },
            ],
            "embed": {
                "$type": "app.bsky.embed.external",
                "external": {"uri": HOME, "title": "Hello from my own site.", "description": ""},
            },
        },
    }
    assert draft.media == () and draft.notes == ()

    copy = bsky.create(draft, entry)

    assert [p["value"] for p in pds.posts] == [draft.payload["record"]]
    assert copy == Copy(
        id=f"at://{pds.did}/app.bsky.feed.post/{rkey}",
        url=f"https://bsky.app/profile/ada.bsky.test/post/{rkey}",
        extra={"cid": pds.posts[0]["cid"]},
    )
    sent = json.loads(pds.calls("createRecord")[0].body)
    assert sent["repo"] == pds.did  # the draft names the handle; the call uses the account's DID


def test_article_is_title_summary_link_with_a_card_and_thumbnail(
    bsky: BlueskyPlatform, pds: FakeBluesky, tmp_path: Path
) -> None:
    cover = image(tmp_path, "cover.png", "A lighthouse at dusk", 1200, 630)
    entry = make_entry(
        title="Why I post on my own site",
        summary="Owning your words, in three short points.",
        text="Long article text that is not posted.",
        images=(cover,),
    )

    draft = bsky.render(entry)
    copy = bsky.create(draft, entry)

    assert draft.text == f"Why I post on my own site\n\nOwning your words, in three short points.\n\n{HOME}"
    assert draft.media == (cover,)
    record = pds.posts[0]["value"]
    blob_cid = record["embed"]["external"]["thumb"]["ref"]["$link"]
    thumb = {"$type": "blob", "ref": {"$link": blob_cid}, "mimeType": "image/png", "size": cover.size}
    assert record["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {
            "uri": HOME,
            "title": "Why I post on my own site",
            "description": "Owning your words, in three short points.",
            "thumb": thumb,
        },
    }
    assert pds.blobs[blob_cid] == ("image/png", cover.path.read_bytes())
    assert "thumb" not in draft.payload["record"]["embed"]["external"]  # the draft itself is not changed
    assert draft.notes == ()
    assert copy.id == pds.posts[0]["uri"]


def test_facets_have_utf8_byte_offsets_in_cjk_and_emoji_text(bsky: BlueskyPlatform, pds: FakeBluesky) -> None:
    pds.add_handle("bob.bsky.test", "did:plc:bob")
    link = "https://example.com/a/b?c=1"
    body = (
        f"東京で☕️を飲んだ 👍🏽 家族👨‍👩‍👧‍👦と一緒に。Read {link}. #旅行 with @bob.bsky.test "
        "and @nobody.example (Ünïcode)"
    )
    entry = make_entry(text=body, tags=("Travel", "東京 カフェ"))

    draft = bsky.render(entry)

    text = draft.text
    assert text == f"{body}\n\n{HOME}\n\n#Travel #東京カフェ"
    home_at = text.index(HOME)
    expected = [
        (byte_span(text, link), {"$type": "app.bsky.richtext.facet#link", "uri": link}),
        (byte_span(text, "#旅行"), {"$type": "app.bsky.richtext.facet#tag", "tag": "旅行"}),
        (byte_span(text, "@bob.bsky.test"), {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:bob"}),
        (byte_span(text, HOME, home_at), {"$type": "app.bsky.richtext.facet#link", "uri": HOME}),
        (byte_span(text, "#Travel"), {"$type": "app.bsky.richtext.facet#tag", "tag": "Travel"}),
        (byte_span(text, "#東京カフェ"), {"$type": "app.bsky.richtext.facet#tag", "tag": "東京カフェ"}),
    ]
    facets = draft.payload["record"]["facets"]
    assert facets == [{"index": {"byteStart": s, "byteEnd": e}, "features": [f]} for (s, e), f in expected]
    encoded = text.encode()
    shown = [encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in facets]
    assert shown == [link, "#旅行", "@bob.bsky.test", HOME, "#Travel", "#東京カフェ"]
    assert len(text.encode()) > len(text)  # the sample really is multi-byte

    bsky.create(draft, entry)
    assert pds.posts[0]["value"]["facets"] == facets


def test_long_cjk_text_is_cut_at_a_sentence_and_keeps_the_link(bsky: BlueskyPlatform) -> None:
    entry = make_entry(text="猫が好きです。" * 60)

    draft = bsky.render(entry)

    assert draft.text == "猫が好きです。" * 36 + "猫が好きです…\n\n" + HOME
    assert draft.notes == ("text shortened to fit 300 characters (3000 bytes)",)
    facet = draft.payload["record"]["facets"][0]
    assert draft.text.encode()[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode() == HOME


def test_emoji_text_is_cut_by_its_bytes(bsky: BlueskyPlatform, pds: FakeBluesky) -> None:
    family = "👨‍👩‍👧‍👦"  # one grapheme, 25 bytes
    entry = make_entry(text=f"{family} " * 200)

    draft = bsky.render(entry)

    assert draft.text == f"{family} " * 99 + f"{family}…\n\n{HOME}"
    assert len(draft.text.encode()) <= 3000 and measure(draft.text) <= 300
    bsky.create(draft, entry)  # the fake enforces the lexicon's 300 graphemes and 3000 bytes
    assert pds.posts[0]["value"]["text"] == draft.text


def test_hashtags_that_do_not_fit_go_into_the_records_tags(bsky: BlueskyPlatform) -> None:
    words = "word " * 52  # 260 graphemes: room for the link and one tag
    entry = make_entry(text=words.strip(), tags=("one", "two words", "three", "#one"))

    draft = bsky.render(entry)

    assert draft.text == f"{words.strip()}\n\n{HOME}"
    assert draft.payload["record"]["tags"] == ["one", hashtag("two words")[1:], "three"]  # type: ignore[index]
    assert "3 hashtag(s) that did not fit in the text went into the post's tags" in draft.notes


def test_content_warning_opens_the_text_and_maps_to_a_self_label(
    bsky: BlueskyPlatform, pds: FakeBluesky, client: HttpClient, credentials: TargetCredentials
) -> None:
    draft = bsky.render(make_entry(content_warning="spoilers  for the finale"))
    assert draft.text == f"CW: spoilers for the finale\n\nHello from my own site.\n\n{HOME}"
    assert "labels" not in draft.payload["record"]
    assert draft.notes == (
        "Bluesky has no content warnings: the warning opens the text as 'CW: …', no self-label matches it",
    )

    labelled = bsky.render(make_entry(content_warning="Nudity"))
    assert labelled.text.startswith("CW: Nudity\n\n")
    assert labelled.payload["record"]["labels"] == {
        "$type": "com.atproto.label.defs#selfLabels",
        "values": [{"val": "nudity"}],
    }

    long = bsky.render(make_entry(text="猫が好きです。" * 60, content_warning="cats"))
    assert long.text.startswith("CW: cats\n\n猫が好きです。") and long.text.endswith("…\n\n" + HOME)
    assert measure(long.text) <= 300

    off = BlueskyPlatform(target_for(pds, content_warning=False), client, credentials)
    assert off.render(make_entry(content_warning="Nudity")).text == f"Hello from my own site.\n\n{HOME}"


def test_note_images_with_alt_text_and_limits(bsky: BlueskyPlatform, pds: FakeBluesky, tmp_path: Path) -> None:
    big = image(tmp_path, "big.png", "Too big", size=1_200_000)
    small = [image(tmp_path, f"p{i}.png", f"Photo {i}: a ginkgo leaf 🍂") for i in range(4)]
    unsized = image(tmp_path, "p4.png", "", width=None, height=None)
    entry = make_entry(images=(big, small[0], small[1], unsized, small[2], small[3]))

    draft = bsky.render(entry)

    assert draft.media == (small[0], small[1], unsized, small[2])
    assert draft.notes == ("1 image(s) over Bluesky's 1,000,000 bytes left out", "1 image(s) left out: Bluesky takes 4")
    assert draft.payload["record"]["embed"] == {
        "$type": "app.bsky.embed.images",
        "images": [
            {"alt": "Photo 0: a ginkgo leaf 🍂", "aspectRatio": {"width": 3, "height": 2}},
            {"alt": "Photo 1: a ginkgo leaf 🍂", "aspectRatio": {"width": 3, "height": 2}},
            {"alt": ""},
            {"alt": "Photo 2: a ginkgo leaf 🍂", "aspectRatio": {"width": 3, "height": 2}},
        ],
    }

    bsky.create(draft, entry)

    images = pds.posts[0]["value"]["embed"]["images"]
    assert [i["alt"] for i in images] == [small[0].alt, small[1].alt, "", small[2].alt]
    assert [i.get("aspectRatio") for i in images] == [{"width": 3, "height": 2}] * 2 + [None, {"width": 3, "height": 2}]
    uploaded = [pds.blobs[i["image"]["ref"]["$link"]] for i in images]
    assert uploaded == [("image/png", m.path.read_bytes()) for m in draft.media]
    assert len(pds.calls("uploadBlob")) == 4  # the big one was never sent


def test_render_makes_no_writes(bsky: BlueskyPlatform, pds: FakeBluesky) -> None:
    bsky.render(make_entry(text="Hi @bob.bsky.test", tags=("x",)))
    assert {r.method for r in pds.received} <= {"GET"} and pds.create_session_calls == 0


# --- exactly once ------------------------------------------------------------------------------


def test_record_key_is_a_deterministic_tid(
    bsky: BlueskyPlatform, pds: FakeBluesky, client: HttpClient, credentials: TargetCredentials
) -> None:
    entry = make_entry()
    rkey = bsky.render(entry).payload["rkey"]
    again = BlueskyPlatform(target_for(pds), client, credentials).render(entry).payload["rkey"]

    assert rkey == again and is_tid(rkey) and len(rkey) == 13 and set(rkey) <= set(TID_ALPHABET)
    value = 0
    for char in rkey:
        value = value * 32 + TID_ALPHABET.index(char)
    assert value >> 63 == 0
    assert (value >> 10) // 1_000_000 == int(PUBLISHED.timestamp())  # microseconds within the publication second
    assert record_key(PUBLISHED, "notes/2026/other") != rkey
    assert encode_tid((1724171495793000 << 10) | 512) == "3l25zusnsfck2"  # the example of the atcute TID codec
    assert encode_tid(0) == "2222222222222"  # the spec's TID of zero


def test_stall_after_store_then_retry_makes_exactly_one_record(
    pds: FakeBluesky, credentials: TargetCredentials
) -> None:
    impatient = HttpClient(NetworkSettings(allow_private_addresses=True, timeout=0.5))  # the stall lasts until timeout
    bsky = BlueskyPlatform(target_for(pds), impatient, credentials)
    entry = make_entry()
    draft = bsky.render(entry)
    pds.stall_after_store("createRecord")

    with pytest.raises(PlatformError) as caught:
        bsky.create(draft, entry)
    assert caught.value.temporary and caught.value.unknown_outcome
    assert len(pds.posts) == 1  # stored before the stall

    found = bsky.find(bsky.render(entry), entry)
    assert found is not None and found.id == pds.posts[0]["uri"] and found.extra == {"cid": pds.posts[0]["cid"]}

    retried = bsky.create(bsky.render(entry), entry)  # a retry without find: the PDS answers 500, create finds it
    assert retried == found
    assert len(pds.posts) == 1
    rkeys = {json.loads(r.body)["rkey"] for r in pds.calls("createRecord")}
    assert rkeys == {draft.payload["rkey"]}


def test_dropped_connection_before_store_then_retry(bsky: BlueskyPlatform, pds: FakeBluesky) -> None:
    entry = make_entry()
    draft = bsky.render(entry)
    pds.drop_next("createRecord")

    with pytest.raises(PlatformError) as caught:
        bsky.create(draft, entry)

    assert caught.value.temporary and caught.value.unknown_outcome
    assert bsky.find(draft, entry) is None
    bsky.create(draft, entry)
    assert len(pds.posts) == 1


def test_dropped_connection_after_store_is_found(bsky: BlueskyPlatform, pds: FakeBluesky) -> None:
    entry = make_entry()
    draft = bsky.render(entry)
    pds.drop_next("create", after_store=True)

    with pytest.raises(PlatformError) as caught:
        bsky.create(draft, entry)

    assert caught.value.unknown_outcome
    assert bsky.find(draft, entry) == bsky.create(draft, entry)
    assert len(pds.posts) == 1


def test_find_refuses_a_record_key_holding_another_post(bsky: BlueskyPlatform, pds: FakeBluesky) -> None:
    entry = make_entry()
    bsky.create(bsky.render(entry), entry)
    other = make_entry(published=PUBLISHED + dt.timedelta(microseconds=1000))  # same key and second, other createdAt

    with pytest.raises(PlatformError, match="holds a different post") as caught:
        bsky.find(bsky.render(other), other)
    assert not caught.value.temporary


# --- errors ------------------------------------------------------------------------------------


def test_server_error_is_temporary(bsky: BlueskyPlatform, pds: FakeBluesky) -> None:
    entry = make_entry()
    draft = bsky.render(entry)
    pds.fail_next("createRecord", status=500)

    with pytest.raises(PlatformError) as caught:
        bsky.create(draft, entry)

    assert caught.value.temporary and caught.value.retry_after is None
    assert "(500: InternalServerError: Internal Server Error)" in caught.value.message
    assert pds.posts == []
    bsky.create(draft, entry)
    assert len(pds.posts) == 1


def test_rate_limit_gives_retry_after(bsky: BlueskyPlatform, pds: FakeBluesky, tmp_path: Path) -> None:
    entry = make_entry()
    draft = bsky.render(entry)
    pds.fail_next("createRecord", status=429, retry_after=30)
    with pytest.raises(PlatformError) as caught:
        bsky.create(draft, entry)
    assert caught.value.temporary and caught.value.retry_after == 30

    pds.fail_next("uploadBlob", status=429, reset=time.time() + 600)  # only ratelimit-reset, as Bluesky sends
    photo = make_entry(images=(image(tmp_path, "a.png", "A"),))
    with pytest.raises(PlatformError) as caught:
        bsky.create(bsky.render(photo), photo)
    assert caught.value.temporary and caught.value.retry_after is not None and 0 < caught.value.retry_after <= 600
    assert pds.posts == []


def test_unauthorized_refreshes_then_is_permanent(bsky: BlueskyPlatform, pds: FakeBluesky) -> None:
    entry = make_entry()
    bsky.create(bsky.render(make_entry(key="first")), make_entry(key="first"))
    pds.fail_next("createRecord", status=401, times=2)

    with pytest.raises(PlatformError) as caught:
        bsky.create(bsky.render(entry), entry)

    assert not caught.value.temporary
    assert "`homepost auth bsky`" in caught.value.message
    assert pds.refresh_session_calls == 1 and pds.create_session_calls == 1


def test_wrong_app_password_is_permanent(pds: FakeBluesky, client: HttpClient, credentials: TargetCredentials) -> None:
    credentials.save({"password": "wxyz-wxyz-wxyz-wxyz"})
    bsky = BlueskyPlatform(target_for(pds), client, credentials)
    entry = make_entry()

    with pytest.raises(PlatformError) as caught:
        bsky.create(bsky.render(entry), entry)

    assert not caught.value.temporary and "homepost auth bsky" in caught.value.message


def test_missing_password_says_how_to_get_one(
    pds: FakeBluesky, client: HttpClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOMEPOST_BSKY_PASSWORD", raising=False)
    bsky = BlueskyPlatform(target_for(pds), client, TargetCredentials(tmp_path / "empty", "bsky"))
    with pytest.raises(PlatformError, match="HOMEPOST_BSKY_PASSWORD") as caught:
        bsky.create(bsky.render(make_entry()), make_entry())
    assert not caught.value.temporary


# --- sessions ----------------------------------------------------------------------------------


def test_session_is_reused_across_posts_and_runs(
    bsky: BlueskyPlatform, pds: FakeBluesky, client: HttpClient, credentials: TargetCredentials
) -> None:
    for key in ("a", "b"):
        bsky.create(bsky.render(make_entry(key=key)), make_entry(key=key))
    second_run = BlueskyPlatform(target_for(pds), client, TargetCredentials(credentials.root, "bsky"))
    second_run.create(second_run.render(make_entry(key="c")), make_entry(key="c"))

    assert pds.create_session_calls == 1 and len(pds.posts) == 3
    stored = json.loads(load_credentials(credentials.root)["bsky"]["session"])
    assert stored["did"] == pds.did and stored["accessJwt"] in pds.tokens()


def test_expired_access_token_is_refreshed_not_recreated(
    bsky: BlueskyPlatform, pds: FakeBluesky, client: HttpClient, credentials: TargetCredentials
) -> None:
    bsky.create(bsky.render(make_entry(key="a")), make_entry(key="a"))
    pds.expire_access_token()

    bsky.create(bsky.render(make_entry(key="b")), make_entry(key="b"))
    later = BlueskyPlatform(target_for(pds), client, credentials)  # picks up the refreshed session
    later.delete(Copy(id=pds.posts[0]["uri"], url=""))

    assert pds.create_session_calls == 1 and pds.refresh_session_calls == 1
    assert len(pds.posts) == 1


def test_expired_refresh_token_creates_a_new_session(bsky: BlueskyPlatform, pds: FakeBluesky) -> None:
    bsky.create(bsky.render(make_entry(key="a")), make_entry(key="a"))
    pds.expire_access_token()
    pds.expire_refresh_token()

    bsky.create(bsky.render(make_entry(key="b")), make_entry(key="b"))

    assert pds.refresh_session_calls == 1 and pds.create_session_calls == 2 and len(pds.posts) == 2


# --- update, delete, reads ---------------------------------------------------------------------


def test_update_is_refused_and_delete_removes_the_record(bsky: BlueskyPlatform, pds: FakeBluesky) -> None:
    entry = make_entry()
    draft = bsky.render(entry)
    copy = bsky.create(draft, entry)

    assert bsky.can_update is False
    with pytest.raises(PlatformError, match="cannot be edited") as caught:
        bsky.update(copy, draft, entry)
    assert not caught.value.temporary

    bsky.delete(copy)
    assert pds.posts == [] and pds.deleted == [copy.id]
    assert bsky.find(draft, entry) is None


def test_query_helper_reads_xrpc(bsky: BlueskyPlatform, pds: FakeBluesky, client: HttpClient) -> None:
    assert query(client, pds.url, "com.atproto.identity.resolveHandle", {"handle": pds.handle}) == {"did": pds.did}
    with pytest.raises(PlatformError, match="HandleNotFound") as caught:
        query(client, pds.url, "com.atproto.identity.resolveHandle", {"handle": "nobody.example"})
    assert not caught.value.temporary


# --- auth --------------------------------------------------------------------------------------


class ScriptedIO:
    def __init__(self, answers: list[str]) -> None:
        self.answers, self.said, self.asked = answers, [], []  # type: ignore[var-annotated]

    def say(self, message: str) -> None:
        self.said.append(message)

    def ask(self, prompt: str, secret: bool = False) -> str:
        self.asked.append((prompt, secret))
        return self.answers.pop(0)

    def open(self, url: str) -> bool:
        return False


def test_authorize_checks_and_stores_the_app_password(
    pds: FakeBluesky, client: HttpClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOMEPOST_BSKY_PASSWORD", raising=False)
    credentials = TargetCredentials(tmp_path, "bsky")
    io = ScriptedIO([pds.password])

    summary = authorize(target_for(pds), client, credentials, io)

    assert summary == f"Authorized @ada.bsky.test ({pds.did})"
    assert io.asked == [("App password for @ada.bsky.test", True)]
    assert "App passwords" in io.said[0] and "not your account password" in io.said[0]
    assert credentials.get("password") == pds.password
    assert json.loads(credentials.get("session") or "{}")["did"] == pds.did
    bsky = BlueskyPlatform(target_for(pds), client, credentials)
    bsky.create(bsky.render(make_entry()), make_entry())
    assert pds.create_session_calls == 1  # the session made by authorize is used


def test_authorize_with_a_wrong_password_stores_nothing(
    pds: FakeBluesky, client: HttpClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOMEPOST_BSKY_PASSWORD", raising=False)
    credentials = TargetCredentials(tmp_path, "bsky")
    io = ScriptedIO(["my-account-password"])

    with pytest.raises(PlatformError, match="refused the app password") as caught:
        authorize(target_for(pds), client, credentials, io)

    assert not caught.value.temporary
    assert any("does not look like an app password" in line for line in io.said)
    assert load_credentials(tmp_path) == {}


def test_no_credential_appears_in_errors_logs_or_drafts(
    pds: FakeBluesky,
    client: HttpClient,
    tmp_path: Path,
    credentials: TargetCredentials,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bsky = BlueskyPlatform(target_for(pds), client, credentials)
    messages: list[str] = []
    drafts: list[Draft] = []

    def attempt(entry: Entry) -> None:
        draft = bsky.render(entry)
        drafts.append(draft)
        try:
            copy = bsky.create(draft, entry)
            messages.append(repr(copy))
            bsky.update(copy, draft, entry)
        except PlatformError as exc:
            messages.append(str(exc))

    attempt(make_entry(key="a", images=(image(tmp_path, "a.png", "A"),)))
    pds.expire_access_token()
    attempt(make_entry(key="b"))
    pds.fail_next("createRecord", status=401, times=2)
    attempt(make_entry(key="c"))
    pds.fail_next("createRecord", status=429, retry_after=5)
    attempt(make_entry(key="d"))
    pds.expire_access_token()
    pds.expire_refresh_token()
    pds.password = "zzzz-zzzz-zzzz-zzzz"  # the stored one is now wrong
    attempt(make_entry(key="e"))
    try:
        other = TargetCredentials(tmp_path / "other", "bsky")
        authorize(target_for(pds), client, other, ScriptedIO(["qqqq-qqqq-qqqq-qqqq"]))
    except PlatformError as exc:
        messages.append(str(exc))

    secrets = [*pds.tokens(), "abcd-efgh-ijkl-mnop", "zzzz-zzzz-zzzz-zzzz", "qqqq-qqqq-qqqq-qqqq"]
    assert len(pds.tokens()) >= 6 and len(messages) == 8  # two copies, two update refusals, four errors
    shown = "\n".join([caplog.text, *messages, *(d.preview() for d in drafts)])
    shown += "\n".join(json.dumps(d.payload) for d in drafts)
    shown += "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    for secret in secrets:
        assert secret not in shown
        assert secret.split(".")[-1] not in shown


def test_article_card_skips_an_oversized_cover(bsky: BlueskyPlatform, tmp_path: Path) -> None:
    cover = image(tmp_path, "cover.png", "Huge cover", size=1_000_001)
    other = image(tmp_path, "inline.png", "A chart")
    entry = make_entry(title="Numbers", summary="A chart.", images=(cover, other))

    draft = bsky.render(entry)

    assert draft.media == (other,)
    assert draft.notes == (
        "the first image is over 1,000,000 bytes: the link card shows inline.png",
        "1 other image(s) not attached: an article goes out as a link card",
    )


# --- backfeed ----------------------------------------------------------------------------------

POST_URL = "https://example.org/notes/2026/hello/"
LINK_FACET, MENTION_FACET = "app.bsky.richtext.facet#link", "app.bsky.richtext.facet#mention"


def facet(text: str, needle: str, feature: dict[str, Any]) -> dict[str, Any]:
    start, end = byte_span(text, needle)
    return {"index": {"byteStart": start, "byteEnd": end}, "features": [feature]}


def post_id(uri: str) -> str:
    """The stable id of a reply or quote: its bsky.app URL by DID."""
    did, _, rkey = uri.removeprefix("at://").split("/")
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def post_source(uri: str, handle: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[1]}"


@pytest.fixture
def copy(bsky: BlueskyPlatform) -> Copy:
    entry = make_entry()
    return bsky.create(bsky.render(entry), entry)


def test_backfeed_harvests_the_reply_tree_likes_reposts_and_quotes(
    bsky: BlueskyPlatform, pds: FakeBluesky, copy: Copy
) -> None:
    bob = pds.add_account("bob.bsky.test", name="Bob Builder", avatar="https://cdn.bsky.app/img/avatar/bob@jpeg")
    first = pds.add_reply(copy.id, "Lovely post!", by="bob.bsky.test")
    second = pds.add_reply(first, "Agreed with Bob", by="carol.bsky.test")
    writer = pds.add_reply(second, "Thank you both", by=pds.handle)
    other = pds.add_reply(copy.id, "A second thread", by="dan.bsky.test")
    pds.add_like(copy.id, by="erin.bsky.test")
    pds.add_repost(copy.id, by="frank.bsky.test")
    quote = pds.add_quote(copy.id, "Read this", by="grace.bsky.test")

    harvest = bsky.responses(copy, POST_URL, {})

    assert harvest.complete and harvest.state == {}
    got = {r.id: r for r in harvest.responses}
    erin, frank = pds.handles["erin.bsky.test"], pds.handles["frank.bsky.test"]
    assert [(r.type, r.id, r.in_reply_to) for r in harvest.responses] == [
        ("reply", post_id(first), ""),
        ("reply", post_id(second), post_id(first)),
        ("reply", post_id(writer), post_id(second)),
        ("reply", post_id(other), ""),
        ("like", f"{copy.url}#liked-by-{erin}", ""),
        ("repost", f"{copy.url}#reposted-by-{frank}", ""),
        ("quote", post_id(quote), ""),
    ]
    assert all(r.target == POST_URL and r.platform == "bluesky" and r.updated is None for r in harvest.responses)
    reply = got[post_id(first)]
    assert reply.source == post_source(first, "bob.bsky.test") and bob in reply.id
    assert reply.author == ResponseAuthor(
        name="Bob Builder",
        url="https://bsky.app/profile/bob.bsky.test",
        photo="https://cdn.bsky.app/img/avatar/bob@jpeg",
        handle="@bob.bsky.test",
    )
    assert reply.content_html == "<p>Lovely post!</p>" and reply.content_text == "Lovely post!"
    assert reply.published == dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)  # createdAt, earlier than indexedAt
    mine = got[post_id(writer)]
    assert mine.author.handle == "@ada.bsky.test" and mine.author.url == "https://bsky.app/profile/ada.bsky.test"
    assert mine.source == post_source(writer, "ada.bsky.test") and mine.content_text == "Thank you both"
    like = got[f"{copy.url}#liked-by-{erin}"]
    assert like.source == like.author.url == "https://bsky.app/profile/erin.bsky.test"
    assert like.author.name == "Erin" and like.content_html == "" and like.published is not None
    repost = got[f"{copy.url}#reposted-by-{frank}"]
    assert repost.source == "https://bsky.app/profile/frank.bsky.test" and repost.published is None
    assert got[post_id(quote)].source == post_source(quote, "grace.bsky.test")
    assert got[post_id(quote)].content_html == "<p>Read this</p>"
    thread = pds.calls("getPostThread")[0]
    assert "depth=100" in thread.path and "parentHeight=0" in thread.path


def test_backfeed_follows_a_reply_added_edited_then_deleted(
    bsky: BlueskyPlatform, pds: FakeBluesky, copy: Copy
) -> None:
    assert bsky.responses(copy, POST_URL, {}).responses == ()

    reply = pds.add_reply(copy.id, "First thoughts", by="bob.bsky.test")
    answer = pds.add_reply(reply, "Replying to Bob", by="carol.bsky.test")
    added = bsky.responses(copy, POST_URL, {})
    assert [r.content_text for r in added.responses] == ["First thoughts", "Replying to Bob"] and added.complete

    pds.edit_reply(reply, "Second thoughts")
    edited = bsky.responses(copy, POST_URL, {})
    first = edited.responses[0]
    assert (first.id, first.content_text) == (post_id(reply), "Second thoughts")
    assert first.content_html == "<p>Second thoughts</p>"
    assert edited.responses[0].updated is None  # Bluesky keeps no edit time
    assert edited.responses[0].published == added.responses[0].published

    pds.delete_reply(reply)  # the answer to it is no longer reachable either
    deleted = bsky.responses(copy, POST_URL, {})
    assert deleted.responses == () and deleted.complete
    assert post_id(answer) not in {r.id for r in deleted.responses}


def test_backfeed_reply_html_is_made_inert(bsky: BlueskyPlatform, pds: FakeBluesky, copy: Copy) -> None:
    text = "<script>alert(1)</script> <img src=x onerror=alert(1)> click me or read https://example.com/a?b=1&c=2"
    url = "https://example.com/a?b=1&c=2"
    facets = [
        facet(text, "click me", {"$type": LINK_FACET, "uri": "javascript:alert(1)"}),
        facet(text, url, {"$type": LINK_FACET, "uri": url}),
    ]
    pds.add_account("mallory.bsky.test", name="Mal\x00lory <b>", avatar="javascript:alert(1)")
    pds.add_reply(copy.id, text, by="mallory.bsky.test", facets=facets)

    (reply,) = bsky.responses(copy, POST_URL, {}).responses

    assert reply.content_html == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; click me or read "
        '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
        "https://example.com/a?b=1&amp;c=2</a></p>"
    )
    assert "<script" not in reply.content_html and "<img" not in reply.content_html
    assert "javascript:" not in reply.content_html
    assert reply.content_text == text  # plain text, escaped by the templates
    assert reply.author.photo == "" and reply.author.name == "Mallory <b>"


def test_backfeed_facets_are_read_by_utf8_byte_offsets(bsky: BlueskyPlatform, pds: FakeBluesky, copy: Copy) -> None:
    text = "日本語のテキスト 🎉 https://例え.jp/ページ と @bob.bsky.test へ\n\n二段落目"
    bob = pds.add_account("bob.bsky.test", name="Bob")
    good = [
        facet(text, "https://例え.jp/ページ", {"$type": LINK_FACET, "uri": "https://xn--r8jz45g.jp/%E3%83%9A"}),
        facet(text, "@bob.bsky.test", {"$type": MENTION_FACET, "did": bob}),
    ]
    start = byte_span(text, "🎉")[0]
    elsewhere = [{"$type": LINK_FACET, "uri": "https://x.test/"}]
    broken = [
        {"index": {"byteStart": start + 1, "byteEnd": start + 4}, "features": elsewhere},  # inside the emoji
        {"index": {"byteStart": 0, "byteEnd": 10_000}, "features": elsewhere},  # past the end
        {**good[0], "features": [{"$type": LINK_FACET, "uri": "https://overlap.test/"}]},
    ]
    pds.add_reply(copy.id, text, by="carol.bsky.test", facets=good + broken)

    (reply,) = bsky.responses(copy, POST_URL, {}).responses

    rel = 'rel="nofollow ugc noopener"'
    assert reply.content_html == (
        f'<p>日本語のテキスト 🎉 <a href="https://xn--r8jz45g.jp/%E3%83%9A" {rel}>https://例え.jp/ページ</a> と '
        f'<a href="https://bsky.app/profile/{bob}" {rel}>@bob.bsky.test</a> へ</p>\n<p>二段落目</p>'
    )


def test_backfeed_leaves_out_blocked_hidden_and_withheld_responses(
    bsky: BlueskyPlatform, pds: FakeBluesky, copy: Copy
) -> None:
    kept = pds.add_reply(copy.id, "Visible", by="bob.bsky.test")
    blocked = pds.add_reply(copy.id, "From someone blocked", by="troll.bsky.test")
    hidden = pds.add_reply(copy.id, "Hidden by the writer", by="spam.bsky.test")
    pds.add_reply(hidden, "Under the hidden one", by="bob.bsky.test")
    pds.add_account("shy.bsky.test", name="Shy", labels=("!no-unauthenticated",))
    pds.add_reply(copy.id, "Not for logged-out readers", by="shy.bsky.test")
    pds.add_like(copy.id, by="shy.bsky.test")
    pds.add_quote(copy.id, "Quoting shyly", by="shy.bsky.test")
    pds.add_repost(copy.id, by="carol.bsky.test")
    pds.block_reply(blocked)
    pds.hide_reply(hidden)
    pds.add_account(pds.handle, name="Ada", labels=("!no-unauthenticated",), did=pds.did)
    mine = pds.add_reply(kept, "The writer's own answer stays", by=pds.handle)

    harvest = bsky.responses(copy, POST_URL, {})

    carol = pds.handles["carol.bsky.test"]
    assert [r.id for r in harvest.responses] == [post_id(kept), post_id(mine), f"{copy.url}#reposted-by-{carol}"]
    assert harvest.complete


def test_backfeed_reads_only_the_lists_that_have_something(bsky: BlueskyPlatform, pds: FakeBluesky, copy: Copy) -> None:
    pds.add_reply(copy.id, "Just a reply", by="bob.bsky.test")
    bsky.responses(copy, POST_URL, {})
    assert len(pds.calls("getPostThread")) == 1
    assert pds.calls("getLikes") == pds.calls("getRepostedBy") == pds.calls("getQuotes") == []

    pds.add_like(copy.id, by="carol.bsky.test")
    assert [r.type for r in bsky.responses(copy, POST_URL, {}).responses] == ["reply", "like"]
    assert len(pds.calls("getLikes")) == 1 and pds.calls("getQuotes") == []


def test_backfeed_pages_through_likes_up_to_a_limit(
    bsky: BlueskyPlatform, pds: FakeBluesky, copy: Copy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.platforms.bluesky import backfeed as bluesky_backfeed

    for i in range(250):
        pds.add_like(copy.id, by=f"fan{i}.bsky.test")

    harvest = bsky.responses(copy, POST_URL, {})
    assert len(harvest.responses) == 250 and harvest.complete
    assert ["cursor" in c.path and "limit=100" in c.path for c in pds.calls("getLikes")] == [False, True, True]

    monkeypatch.setattr(bluesky_backfeed, "MAX_PAGES", 2)
    cut = bsky.responses(copy, POST_URL, {})
    assert len(cut.responses) == 200 and not cut.complete


def test_backfeed_depth_limit_and_reply_limit_mark_it_incomplete(
    bsky: BlueskyPlatform, pds: FakeBluesky, copy: Copy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.platforms.bluesky import backfeed as bluesky_backfeed

    subject = copy.id
    for i in range(3):
        subject = pds.add_reply(subject, f"level {i + 1}", by=f"user{i}.bsky.test")
    assert bsky.responses(copy, POST_URL, {}).complete

    monkeypatch.setattr(bluesky_backfeed, "THREAD_DEPTH", 2)
    deep = bsky.responses(copy, POST_URL, {})
    assert [r.content_text for r in deep.responses] == ["level 1", "level 2"] and not deep.complete

    monkeypatch.setattr(bluesky_backfeed, "THREAD_DEPTH", 100)
    monkeypatch.setattr(bluesky_backfeed, "MAX_REPLIES", 1)
    many = bsky.responses(copy, POST_URL, {})
    assert [r.content_text for r in many.responses] == ["level 1"] and not many.complete


def test_backfeed_errors(bsky: BlueskyPlatform, pds: FakeBluesky, copy: Copy) -> None:
    pds.add_reply(copy.id, "A reply", by="bob.bsky.test")
    pds.add_like(copy.id, by="carol.bsky.test")

    pds.fail_next("getPostThread", status=429, retry_after=42)
    with pytest.raises(PlatformError) as caught:
        bsky.responses(copy, POST_URL, {})
    assert caught.value.temporary and caught.value.retry_after == 42

    pds.fail_next("likes", status=429, reset=time.time() + 300)  # only ratelimit-reset, as Bluesky sends
    with pytest.raises(PlatformError) as caught:
        bsky.responses(copy, POST_URL, {})
    assert caught.value.temporary and caught.value.retry_after is not None and 0 < caught.value.retry_after <= 300

    pds.fail_next("thread", status=502)
    with pytest.raises(PlatformError) as caught:
        bsky.responses(copy, POST_URL, {})
    assert caught.value.temporary and "(502: UpstreamFailure" in caught.value.message

    pds.fail_next("thread", status=403)
    with pytest.raises(PlatformError, match="homepost auth bsky") as caught:
        bsky.responses(copy, POST_URL, {})
    assert not caught.value.temporary

    pds.fail_next("getLikes", status=500)  # a list that fails for a while: what was read is kept, not complete
    partial = bsky.responses(copy, POST_URL, {})
    assert [r.type for r in partial.responses] == ["reply"] and not partial.complete

    pds.drop_next("getLikes")
    assert not bsky.responses(copy, POST_URL, {}).complete

    bsky.delete(copy)  # the copy is gone: nothing answers it
    likes_read = len(pds.calls("getLikes"))
    gone = bsky.responses(copy, POST_URL, {})
    assert gone.responses == () and gone.complete
    assert len(pds.calls("getLikes")) == likes_read  # no list read for a copy that is gone

    with pytest.raises(PlatformError, match="not a Bluesky post URI") as caught:
        bsky.responses(Copy(id="https://bsky.app/nothing", url=""), POST_URL, {})
    assert not caught.value.temporary


def test_backfeed_needs_no_credentials_and_shows_none(
    pds: FakeBluesky,
    client: HttpClient,
    copy: Copy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for key in ("PASSWORD", "SESSION"):
        monkeypatch.delenv(f"HOMEPOST_BSKY_{key}", raising=False)
    anonymous = BlueskyPlatform(target_for(pds), client, TargetCredentials(tmp_path / "none", "bsky"))
    pds.add_reply(copy.id, "Hello", by="bob.bsky.test")
    pds.add_like(copy.id, by="carol.bsky.test")
    before = pds.create_session_calls
    messages = [repr(anonymous.responses(copy, POST_URL, {}))]
    for status in (401, 429, 500):
        pds.fail_next("thread", status=status, retry_after=5)
        try:
            anonymous.responses(copy, POST_URL, {})
        except PlatformError as exc:
            messages.append(str(exc))

    assert len(messages) == 4 and "Hello" in messages[0]
    reads = [r for r in pds.received if "/xrpc/app.bsky.feed." in r.path]
    assert reads and all(r.headers.get("Authorization") is None for r in reads)
    assert pds.create_session_calls == before and pds.refresh_session_calls == 0
    shown = "\n".join([caplog.text, *messages, *(f"{r.getMessage()} {r.args}" for r in caplog.records)])
    for secret in [*pds.tokens(), pds.password]:
        assert secret not in shown


def test_verify_checks_the_session_with_get_session(
    pds: FakeBluesky, bsky: BlueskyPlatform, credentials: TargetCredentials
) -> None:
    bsky.verify()  # logs in once with the app password, then getSession answers
    assert pds.create_session_calls == 1
    credentials.save({"password": "wrong-password", "session": ""})
    with pytest.raises(PlatformError) as caught:
        BlueskyPlatform(bsky.target, bsky.client, credentials).verify()
    assert not caught.value.temporary and caught.value.needs_auth
