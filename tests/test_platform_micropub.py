"""The Micropub platform against a loopback Micropub server (tests/fakes/micropub.py): what is sent, failures, auth."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.config import NetworkSettings, TargetSettings
from generator.credentials import TargetCredentials, load_credentials
from generator.http import HttpClient
from generator.platforms.base import Copy, Entry, Media, PlatformError
from generator.platforms.micropub.syndicate import MicropubPlatform, authorize
from tests.fakes.micropub import FakeMicropub
from tests.helpers import png_bytes
from tests.servers import Reply

TOKEN = "mp-token-5ecret-value"
NETWORK = NetworkSettings(allow_private_addresses=True, timeout=2)
URL = "https://example.org/notes/2026/hello/"
PUBLISHED = dt.datetime(2026, 5, 4, 10, 30, tzinfo=dt.UTC)


@pytest.fixture
def fake() -> Iterator[FakeMicropub]:
    with FakeMicropub(token=TOKEN) as server:
        yield server


@pytest.fixture(autouse=True)
def no_env_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOMEPOST_BLOG_TOKEN", raising=False)


def target(fake: FakeMicropub | None, **settings: Any) -> TargetSettings:
    endpoint = settings.pop("endpoint") if "endpoint" in settings else fake.endpoint  # type: ignore[union-attr]
    return TargetSettings(name="blog", platform="micropub", endpoint=endpoint, **settings)


def platform(
    fake: FakeMicropub, tmp_path: Path, token: str | None = TOKEN, network: NetworkSettings = NETWORK, **settings: Any
) -> MicropubPlatform:
    credentials = TargetCredentials(tmp_path, "blog")
    if token is not None:
        credentials.save({"token": token})
    return MicropubPlatform(target(fake, **settings), HttpClient(network), credentials)


def image(tmp_path: Path, name: str, alt: str, size: int | None = None) -> Media:
    path = tmp_path / name
    path.write_bytes(png_bytes(3, 2))
    return Media(path, f"https://example.org/images/{name}", alt, "image/png", size or path.stat().st_size, 3, 2)


def entry(**fields: Any) -> Entry:
    values: dict[str, Any] = {
        "url": URL,
        "title": None,
        "text": "Hello from my own site.",
        "summary": "",
        "html": "<p>Hello from my own site.</p>",
        "tags": (),
        "images": (),
        "content_warning": "",
        "language": "en",
        "published": PUBLISHED,
        "key": "k" * 32,
    }
    return Entry(**{**values, **fields})


def sent(fake: FakeMicropub, kind: str) -> list[dict[str, Any]]:
    """The JSON bodies of every request of `kind` the fake received."""
    return [json.loads(r.body) for k, r in fake.requests if k == kind]


def failure(action: Callable[[], object]) -> PlatformError:
    with pytest.raises(PlatformError) as caught:
        action()
    return caught.value


# --- what is sent --------------------------------------------------------------------------------


def test_note_goes_out_as_its_text_and_the_link_home(fake: FakeMicropub, tmp_path: Path) -> None:
    mp = platform(fake, tmp_path)
    draft = mp.render(entry())
    copy = mp.create(draft, entry())

    assert draft.text == f"Hello from my own site.\n\n{URL}"
    html = f'<p>Hello from my own site.</p>\n<p><a href="{URL}">{URL}</a></p>'
    content = {"html": html, "value": f"Hello from my own site.\n\n{URL}"}
    expected = {
        "type": ["h-entry"],
        "properties": {
            "content": [content],
            "published": ["2026-05-04T10:30:00+00:00"],
            "syndication": [URL],
            "mp-slug": ["hello"],
        },
    }
    assert draft.payload == expected
    assert sent(fake, "create") == [expected]
    assert fake.kinds() == ["create"]  # no images: the configuration is not even read
    assert copy == Copy(id=f"{fake.url}/posts/hello", url=f"{fake.url}/posts/hello")
    assert fake.posts[copy.url]["properties"]["content"] == [content]  # a clickable link home, and plain text too
    ((_, received),) = fake.requests
    assert received.headers["Authorization"] == f"Bearer {TOKEN}"
    assert received.headers["Content-Type"] == "application/json"


def test_article_goes_out_with_title_summary_html_and_link_home(fake: FakeMicropub, tmp_path: Path) -> None:
    cover = image(tmp_path, "cover.png", "A lighthouse at dusk")
    inline = image(tmp_path, "chart.png", "Visitors per month")
    article = entry(
        url="https://example.org/posts/why-posse.html",
        title="Why POSSE",
        summary="Own your words & keep them.",
        text="Long text.",
        html=f'<p>Long text.</p>\n<p><img src="{inline.url}" alt="Visitors per month"></p>',
        images=(cover, inline),
        tags=("IndieWeb",),
    )
    fake.media_enabled = False
    mp = platform(fake, tmp_path)
    draft = mp.render(article)
    copy = mp.create(draft, article)

    assert draft.text == "Why POSSE\n\nLong text.\n\nhttps://example.org/posts/why-posse.html"
    assert draft.payload == {
        "type": ["h-entry"],
        "properties": {
            "name": ["Why POSSE"],
            "summary": ["Own your words & keep them."],
            "content": [
                {
                    "html": f'<p>Long text.</p>\n<p><img src="{inline.url}" alt="Visitors per month"></p>\n'
                    '<p><a href="https://example.org/posts/why-posse.html">https://example.org/posts/why-posse.html</a></p>'
                }
            ],
            "category": ["IndieWeb"],
            "published": ["2026-05-04T10:30:00+00:00"],
            "syndication": ["https://example.org/posts/why-posse.html"],
            "featured": [{"value": cover.url, "alt": "A lighthouse at dusk"}],
            "mp-slug": ["why-posse"],
        },
    }
    assert draft.media == (cover,)  # the inline image stays in the HTML, the cover features the article
    assert sent(fake, "create") == [draft.payload]
    assert copy.url == f"{fake.url}/posts/why-posse"
    assert fake.post_type(copy.url) == "article"  # post-type discovery: a cover does not make it a photo post


def test_cjk_and_emoji_text_goes_out_whole_with_the_link(fake: FakeMicropub, tmp_path: Path) -> None:
    # Micropub sets no length limit, so nothing is shortened: every grapheme arrives, the link home whole.
    text = "日本語の長い文章です。" * 40 + " 👩🏽‍💻🇯🇵 家族👨‍👩‍👧‍👦 终于写完了！"
    url = "https://example.org/notes/2026/日記/"
    mp = platform(fake, tmp_path)
    draft = mp.render(entry(text=text, url=url))
    copy = mp.create(draft, entry(text=text, url=url))

    assert draft.text == f"{text}\n\n{url}"
    assert draft.notes == ()
    assert fake.posts[copy.url]["properties"]["content"][0]["value"] == f"{text}\n\n{url}"
    assert fake.posts[copy.url]["properties"]["syndication"] == [url]


def test_tags_become_categories_not_hashtags(fake: FakeMicropub, tmp_path: Path) -> None:
    mp = platform(fake, tmp_path)
    draft = mp.render(entry(tags=("Open Web", "播客", "python")))

    assert draft.payload["properties"]["category"] == ["Open Web", "播客", "python"]
    assert "#" not in draft.text


def test_content_warning_is_a_first_line_and_the_proposed_property(fake: FakeMicropub, tmp_path: Path) -> None:
    mp = platform(fake, tmp_path)
    note = entry(content_warning="spoilers for the finale")
    copy = mp.create(mp.render(note), note)

    properties = fake.posts[copy.url]["properties"]
    assert properties["content"][0]["value"] == f"CW: spoilers for the finale\n\nHello from my own site.\n\n{URL}"
    assert properties["content"][0]["html"].startswith("<p>CW: spoilers for the finale</p>\n<p>Hello")
    assert properties["content-warning"] == ["spoilers for the finale"]

    article = entry(title="Finale", summary="About it.", content_warning="spoilers")
    html = mp.render(article).payload["properties"]["content"][0]["html"]
    assert html.startswith("<p>CW: spoilers</p>\n<p>Hello")


def test_content_warning_is_left_out_when_the_target_turns_it_off(fake: FakeMicropub, tmp_path: Path) -> None:
    draft = platform(fake, tmp_path, content_warning=False).render(entry(content_warning="spoilers"))

    assert draft.text == f"Hello from my own site.\n\n{URL}"
    assert "content-warning" not in draft.payload["properties"]


def test_images_are_uploaded_to_the_media_endpoint_with_their_alt_text(fake: FakeMicropub, tmp_path: Path) -> None:
    first, second = image(tmp_path, "one.png", "A red kite"), image(tmp_path, "two.png", "Two herons")
    mp = platform(fake, tmp_path)
    note = entry(images=(first, second))
    draft = mp.render(note)
    copy = mp.create(draft, note)
    mp.create(mp.render(entry(url="https://example.org/notes/2/", images=(first,))), entry(images=(first,)))

    assert draft.payload["properties"]["photo"] == [
        {"value": first.url, "alt": "A red kite"},
        {"value": second.url, "alt": "Two herons"},
    ]
    uploads = list(fake.files)
    assert [fake.files[u] for u in uploads[:2]] == [
        ("one.png", "image/png", first.path.read_bytes()),
        ("two.png", "image/png", second.path.read_bytes()),
    ]
    assert fake.posts[copy.url]["properties"]["photo"] == [
        {"value": uploads[0], "alt": "A red kite"},
        {"value": uploads[1], "alt": "Two herons"},
    ]
    assert fake.kinds().count("config") == 1  # read once per platform instance
    assert draft.preview().splitlines()[3:5] == ["[image one.png: A red kite]", "[image two.png: Two herons]"]
    assert fake.post_type(copy.url) == "photo"  # a note's images are the post


def test_without_a_media_endpoint_images_go_by_their_site_urls(fake: FakeMicropub, tmp_path: Path) -> None:
    fake.media_enabled = False
    picture = image(tmp_path, "one.png", "A red kite")
    mp = platform(fake, tmp_path)
    copy = mp.create(mp.render(entry(images=(picture,))), entry(images=(picture,)))

    assert fake.posts[copy.url]["properties"]["photo"] == [
        {"value": "https://example.org/images/one.png", "alt": "A red kite"}
    ]
    assert fake.files == {}
    assert "media" not in fake.kinds()


def test_images_over_the_limits_are_left_out_with_notes(fake: FakeMicropub, tmp_path: Path) -> None:
    mp = platform(fake, tmp_path)
    mp.max_images = 2
    big = image(tmp_path, "big.png", "Huge", size=mp.max_image_bytes + 1)
    small = [image(tmp_path, f"{n}.png", f"Picture {n}") for n in range(3)]
    draft = mp.render(entry(images=(big, *small)))

    assert draft.media == tuple(small[:2])
    assert [p["alt"] for p in draft.payload["properties"]["photo"]] == ["Picture 0", "Picture 1"]
    assert draft.notes == ("1 image(s) over 10 MB left out", "1 image(s) over the limit of 2 left out")


def test_an_endpoint_with_a_query_string_keeps_it(fake: FakeMicropub, tmp_path: Path) -> None:
    mp = platform(fake, tmp_path, endpoint=f"{fake.endpoint}?site=blog")
    picture = image(tmp_path, "one.png", "A red kite")
    mp.create(mp.render(entry(images=(picture,))), entry(images=(picture,)))

    config = next(r for k, r in fake.requests if k == "config")
    assert config.path == "/micropub?site=blog&q=config"


# --- exactly once ------------------------------------------------------------------------------


def test_a_create_that_stalls_after_storing_is_found_by_its_link_home(fake: FakeMicropub, tmp_path: Path) -> None:
    fake.stall_after_store("create")
    mp = platform(fake, tmp_path, network=NetworkSettings(allow_private_addresses=True, timeout=0.3))
    draft = mp.render(entry())

    error = failure(lambda: mp.create(draft, entry()))
    assert error.temporary and error.unknown_outcome
    stored = list(fake.posts)
    assert len(stored) == 1

    assert mp.find(draft, entry()) == Copy(id=stored[0], url=stored[0])
    assert len(fake.posts) == 1
    assert "limit=20" in next(r.path for k, r in fake.requests if k == "source")


@pytest.mark.parametrize("after_store", [True, False], ids=["after-store", "before-store"])
def test_a_dropped_connection_is_an_unknown_outcome_that_find_resolves(
    fake: FakeMicropub, tmp_path: Path, after_store: bool
) -> None:
    fake.drop_next("create", after_store=after_store)
    mp = platform(fake, tmp_path)
    draft = mp.render(entry())

    error = failure(lambda: mp.create(draft, entry()))
    assert error.temporary and error.unknown_outcome
    found = mp.find(draft, entry())
    assert list(fake.posts) == ([found.url] if found else [])
    assert (found is not None) is after_store


def test_find_returns_none_when_no_recent_post_links_home(fake: FakeMicropub, tmp_path: Path) -> None:
    mp = platform(fake, tmp_path)
    other = entry(url="https://example.org/notes/2026/hello-again/")
    mp.create(mp.render(other), other)  # links a longer URL that starts like ours

    assert (
        mp.find(
            mp.render(entry(url="https://example.org/notes/2026/hello")),
            entry(url="https://example.org/notes/2026/hello"),
        )
        is None
    )


def test_find_on_a_server_without_the_post_list_holds_the_post_for_the_writer(
    fake: FakeMicropub, tmp_path: Path
) -> None:
    fake.source_list = False
    mp = platform(fake, tmp_path)

    error = failure(lambda: mp.find(mp.render(entry()), entry()))
    assert not error.temporary and error.unknown_outcome
    assert "homepost syndicate --resolve" in error.message and URL in error.message


def test_a_success_without_a_location_is_an_unknown_outcome(fake: FakeMicropub, tmp_path: Path) -> None:
    fake.server.route("/micropub", Reply(200, b"", [("Content-Type", "text/plain")]))
    mp = platform(fake, tmp_path)

    error = failure(lambda: mp.create(mp.render(entry()), entry()))
    assert not error.temporary and error.unknown_outcome


# --- edits and deletes --------------------------------------------------------------------------


def test_update_replaces_content_title_and_tags(fake: FakeMicropub, tmp_path: Path) -> None:
    mp = platform(fake, tmp_path)
    before = entry(title="First title", summary="Old.", tags=("a", "b"), content_warning="old warning")
    copy = mp.create(mp.render(before), before)
    after = entry(title="Better title", summary="", html="<p>New words.</p>", text="New words.")

    assert mp.can_update
    assert mp.update(copy, mp.render(after), after) == copy
    properties = fake.posts[copy.url]["properties"]
    assert properties["name"] == ["Better title"]
    assert properties["content"] == [{"html": f'<p>New words.</p>\n<p><a href="{URL}">{URL}</a></p>'}]
    assert "category" not in properties and "summary" not in properties and "content-warning" not in properties
    assert sent(fake, "update")[0]["delete"] == ["summary", "category", "content-warning"]


def test_delete_removes_the_copy(fake: FakeMicropub, tmp_path: Path) -> None:
    mp = platform(fake, tmp_path)
    copy = mp.create(mp.render(entry()), entry())
    mp.delete(copy)

    assert fake.posts == {}
    assert sent(fake, "delete") == [{"action": "delete", "url": copy.url}]


# --- errors -------------------------------------------------------------------------------------


def test_server_errors_are_temporary(fake: FakeMicropub, tmp_path: Path) -> None:
    mp = platform(fake, tmp_path)
    fake.fail_next("create", status=500)
    gateway = failure(lambda: mp.create(mp.render(entry()), entry()))
    fake.fail_next("/micropub", status=503)
    unavailable = failure(lambda: mp.create(mp.render(entry()), entry()))

    assert gateway.temporary and gateway.unknown_outcome  # a 500 may come after the post was stored
    assert unavailable.temporary and not unavailable.unknown_outcome
    assert "server error" in gateway.message and fake.posts == {}


def test_rate_limits_carry_retry_after(fake: FakeMicropub, tmp_path: Path) -> None:
    fake.fail_next("create", status=429, retry_after=30)
    error = failure(lambda: platform(fake, tmp_path).create(platform(fake, tmp_path).render(entry()), entry()))

    assert error.temporary and error.retry_after == 30.0 and not error.unknown_outcome


def test_a_refused_token_is_permanent_and_says_to_run_auth(fake: FakeMicropub, tmp_path: Path) -> None:
    error = failure(
        lambda: platform(fake, tmp_path, token="wrong").create(
            platform(fake, tmp_path, token="wrong").render(entry()), entry()
        )
    )

    assert not error.temporary
    assert "(401: the access token is not valid)" in error.message and "homepost auth blog" in error.message


def test_a_token_without_the_scope_is_permanent_and_says_to_run_auth(tmp_path: Path) -> None:
    with FakeMicropub(token=TOKEN, scopes=("create",)) as fake:
        mp = platform(fake, tmp_path)
        copy = mp.create(mp.render(entry()), entry())
        error = failure(lambda: mp.delete(copy))

    assert not error.temporary and "the token lacks delete" in error.message and "homepost auth blog" in error.message


def test_a_missing_token_says_how_to_get_one(fake: FakeMicropub, tmp_path: Path) -> None:
    mp = platform(fake, tmp_path, token=None)
    draft = mp.render(entry())  # rendering needs no token: dry runs work without one

    error = failure(lambda: mp.create(draft, entry()))
    assert "homepost auth blog" in error.message and "HOMEPOST_BLOG_TOKEN" in error.message
    assert fake.requests == []


def test_other_refusals_are_permanent_with_the_servers_words(fake: FakeMicropub, tmp_path: Path) -> None:
    fake.fail_next("update", status=400)
    mp = platform(fake, tmp_path)
    copy = mp.create(mp.render(entry()), entry())
    error = failure(lambda: mp.update(copy, mp.render(entry()), entry()))

    assert not error.temporary and error.message == "blog: editing the copy failed (400: failing on cue (400))"


def test_no_credential_reaches_a_message_or_a_log(
    fake: FakeMicropub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mp = platform(fake, tmp_path)
    messages = []
    copy = mp.create(mp.render(entry(images=(image(tmp_path, "one.png", "Kite"),))), entry())
    for status in (500, 429, 401):
        fake.fail_next("update", status=status)
        messages.append(failure(lambda: mp.update(copy, mp.render(entry()), entry())).message)
    fake.fail_next("delete", status=403)
    messages.append(failure(lambda: mp.delete(copy)).message)
    echo = {"error": "invalid_request", "error_description": f"bad token {TOKEN} (Authorization: Bearer {TOKEN})"}
    fake.server.route("/micropub", Reply(400, json.dumps(echo), [("Content-Type", "application/json")]))
    messages.append(failure(lambda: mp.delete(copy)).message)

    assert "[redacted]" in messages[-1]
    for text in [*messages, caplog.text]:
        assert TOKEN not in text


# --- homepost auth ------------------------------------------------------------------------------


class ScriptedIO:
    """The person at the keyboard, with answers ready and a browser that follows redirects."""

    def __init__(self, answers: list[str], browser: Callable[[str], bool] | None = None) -> None:
        self.answers, self.browser = list(answers), browser
        self.asked: list[tuple[str, bool]] = []
        self.said: list[str] = []
        self.opened: list[str] = []

    def say(self, message: str) -> None:
        self.said.append(message)

    def ask(self, prompt: str, secret: bool = False) -> str:
        self.asked.append((prompt, secret))
        return self.answers.pop(0)

    def open(self, url: str) -> bool:
        self.opened.append(url)
        return self.browser(url) if self.browser else False


def browser() -> Callable[[str], bool]:
    """Play the browser: fetch the authorization URL, follow the redirect to the loopback callback."""
    client = HttpClient(NETWORK)
    return lambda url: client.get(url).status == 200


@pytest.mark.parametrize("legacy", [False, True], ids=["metadata", "rel-links"])
def test_auth_signs_in_with_indieauth_and_pkce(tmp_path: Path, legacy: bool, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeMicropub(token=TOKEN, legacy_links=legacy) as fake:
        io = ScriptedIO([fake.site], browser())
        credentials = TargetCredentials(tmp_path, "blog")
        summary = authorize(target(fake), HttpClient(NETWORK), credentials, io)

        assert summary == f"Authorized {fake.site} at {fake.endpoint}"
        assert load_credentials(tmp_path) == {"blog": {"token": TOKEN}}
        (url,) = io.opened
        assert url.startswith(f"{fake.url}/auth?response_type=code&client_id=http%3A%2F%2F127.0.0.1%3A")
        assert "code_challenge_method=S256" in url and "scope=create+update+delete+media" in url
        (form,) = fake.issued
        assert form["grant_type"] == "authorization_code" and form["client_id"].startswith("http://127.0.0.1:")
        assert form["redirect_uri"] == form["client_id"] + "callback"
        assert fake.kinds()[-1] == "config"  # the new token was tried at the endpoint
        assert ("metadata" in fake.kinds()) is not legacy
    assert TOKEN not in caplog.text and all(TOKEN not in line for line in io.said)


def test_auth_without_a_browser_shows_the_address(tmp_path: Path) -> None:
    with FakeMicropub(token=TOKEN) as fake:
        opened: list[str] = []

        class NoBrowserIO(ScriptedIO):
            def say(self, message: str) -> None:
                super().say(message)
                if message.startswith("Open this address"):  # the writer copies it into a browser
                    opened.append(message.splitlines()[-1])
                    browser()(opened[-1])

        io = NoBrowserIO([fake.site])
        assert authorize(target(fake), HttpClient(NETWORK), TargetCredentials(tmp_path, "blog"), io).startswith(
            "Authorized"
        )
        assert opened == io.opened


def test_auth_reports_a_refused_code(tmp_path: Path) -> None:
    with FakeMicropub(token=TOKEN) as fake:
        fake.fail_next("token", status=400)
        error = failure(
            lambda: authorize(
                target(fake),
                HttpClient(NETWORK),
                TargetCredentials(tmp_path, "blog"),
                ScriptedIO([fake.site], browser()),
            )
        )

    assert "refused the code" in error.message
    assert load_credentials(tmp_path) == {}


def test_auth_gives_up_when_the_browser_does_not_come_back(tmp_path: Path) -> None:
    with FakeMicropub(token=TOKEN) as fake:
        io = ScriptedIO([fake.site])  # no browser: the address is shown, nobody follows it
        error = failure(
            lambda: authorize(target(fake), HttpClient(NETWORK), TargetCredentials(tmp_path, "blog"), io, wait=0.05)
        )

    assert "did not come back" in error.message and "paste a token" in error.message
    assert any(line.startswith("Open this address") for line in io.said)
    assert load_credentials(tmp_path) == {}


def test_auth_takes_a_pasted_token_after_checking_it(fake: FakeMicropub, tmp_path: Path) -> None:
    io = ScriptedIO(["", TOKEN])
    summary = authorize(target(fake), HttpClient(NETWORK), TargetCredentials(tmp_path, "blog"), io)

    assert summary == f"Authorized a pasted token at {fake.endpoint}"
    assert io.asked[1][1] is True  # asked as a secret
    assert load_credentials(tmp_path) == {"blog": {"token": TOKEN}}
    assert fake.kinds() == ["config"]


def test_auth_refuses_a_pasted_token_the_endpoint_does_not_accept(fake: FakeMicropub, tmp_path: Path) -> None:
    error = failure(
        lambda: authorize(
            target(fake), HttpClient(NETWORK), TargetCredentials(tmp_path, "blog"), ScriptedIO(["", "nope"])
        )
    )

    assert "homepost auth blog" in error.message and "nope" not in error.message
    assert load_credentials(tmp_path) == {}


def test_verify_asks_for_the_configuration_with_the_token(fake: FakeMicropub, tmp_path: Path) -> None:
    platform(fake, tmp_path).verify()
    assert fake.kinds() == ["config"]
    error = failure(lambda: platform(fake, tmp_path, token="wrong").verify())
    assert not error.temporary and error.needs_auth
    assert error.message.startswith("blog: reading the configuration was refused (401: the access token is not valid)")


# --- a real Micropub server: django-indieweb's endpoint on loopback ------------------------------


def test_a_real_micropub_server_takes_the_copies_as_sent(tmp_path: Path) -> None:
    pytest.importorskip("indieweb", reason="django-indieweb (the test extra) is not installed")
    from tests import real_micropub

    (tmp_path / "server").mkdir()
    process, server = real_micropub.start(tmp_path / "server")
    try:
        mp = platform(fake=None, tmp_path=tmp_path, token=server["token"], endpoint=server["endpoint"])  # type: ignore[arg-type]
        mp.verify()
        note = entry()
        copy = mp.create(mp.render(note), note)
        cover = image(tmp_path, "cover.png", "A lighthouse at dusk")
        home = "https://example.org/posts/why-posse.html"
        article = entry(
            url=home, title="Why POSSE", summary="Own your words.", html="<p>Long text.</p>", images=(cover,)
        )
        article_copy = mp.create(mp.render(article), article)
        stored = source(mp, server, copy.url)
        html = f'<p>Hello from my own site.</p>\n<p><a href="{URL}">{URL}</a></p>'
        assert stored["content"] == [{"html": html, "value": f"Hello from my own site.\n\n{URL}"}]
        featured = source(mp, server, article_copy.url)
        assert "photo" not in featured and featured["featured"][0]["alt"] == "A lighthouse at dusk"  # still an article
        assert featured["featured"][0]["value"].startswith(server["endpoint"].split("/indieweb/")[0])  # uploaded there
        edited = entry(text="Hello again.", html="<p>Hello again.</p>")
        mp.update(copy, mp.render(edited), edited)
        assert source(mp, server, copy.url)["content"][0]["value"].startswith("Hello again.")
        mp.delete(copy)
        wrong = platform(fake=None, tmp_path=tmp_path / "wrong", token="not-the-token", endpoint=server["endpoint"])  # type: ignore[arg-type]
        error = failure(wrong.verify)
        assert (
            "reading the configuration was refused (401: authentication error)" in error.message
        )  # its text/html body
    finally:
        process.kill()
        process.wait()


def source(mp: MicropubPlatform, server: dict[str, str], url: str) -> dict[str, Any]:
    """The properties the server holds for `url` (q=source)."""
    answer = mp.client.get(
        server["endpoint"], params={"q": "source", "url": url}, headers={"Authorization": f"Bearer {server['token']}"}
    )
    assert answer.status == 200, answer.text
    return answer.json()["properties"]
