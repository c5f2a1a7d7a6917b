"""The site's static ActivityPub documents: discovery, the actor, the outbox, each post's object, the host rules."""

from __future__ import annotations

import dataclasses
import fnmatch
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import mf2py
import pytest

from generator.config import load_config
from generator.fediverse import urls
from generator.fediverse.documents import PAGE_SIZE, PUBLIC
from generator.pipeline.build import BuildOptions, BuildResult, build_site
from tests.fedify_peer import FedifyPeer
from tests.helpers import NOW, SITE_TOML, png_bytes, run_cli, write_files
from tests.servers import LoopbackServer, Received, Reply, static_site
from tests.sites import BLOG
from tests.test_podcast import SHOW, wav_bytes

FEDIVERSE = """
[webmention]
endpoint = "https://example.org/receiver/webmention"

[fediverse]
enabled = true
username = "ada"
summary = "Essays & <notes>"
header = "images/header.png"
"""
HOSTILE = """\
---
date: 2026-04-01 10:00
tags: [Fediverse Tests]
content_warning: Spoilers ahead
in_reply_to: https://mastodon.example/@bob/110000
---

Hello <script>alert("x")</script> **world**, see [the first post](/2026/01/first-post/).

<img src="/images/pixel.png" alt="a pixel" width="1" height="1" onerror="alert(1)">
"""


def build(site: Path) -> BuildResult:
    return build_site(site, BuildOptions(now=NOW))


def doc(site: Path, rel: str) -> dict:
    return json.loads((site / "public" / rel).read_text(encoding="utf-8"))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_files(tmp_path, dict(BLOG))
    write_files(
        tmp_path,
        {
            "site.toml": SITE_TOML + FEDIVERSE,
            "content/posts/2026-04-01-hostile.md": HOSTILE,
            "content/images/header.png": png_bytes(3, 1),
        },
    )
    build(tmp_path)
    return tmp_path


def object_file_of(site: Path, source: str) -> str:
    """The output file of the object of the post read from `content/<source>`."""
    for path in (site / "public").rglob(urls.OBJECT_NAME):
        data = json.loads(path.read_text(encoding="utf-8"))
        if source in data["url"]:
            return path.relative_to(site / "public").as_posix()
    raise AssertionError(f"no object for {source}")


def test_webfinger_answers_for_the_handle(site: Path) -> None:
    jrd = doc(site, ".well-known/webfinger")
    assert jrd["subject"] == "acct:ada@example.org"
    assert jrd["aliases"] == ["https://example.org/fediverse/actor.json", "https://example.org/"]
    self_link = next(link for link in jrd["links"] if link["rel"] == "self")
    assert self_link == {
        "rel": "self",
        "type": "application/activity+json",
        "href": "https://example.org/fediverse/actor.json",
    }
    profile = next(link for link in jrd["links"] if link["rel"] == "http://webfinger.net/rel/profile-page")
    assert profile["href"] == "https://example.org/"


def test_host_meta_points_at_webfinger(site: Path) -> None:
    xrd = (site / "public/.well-known/host-meta").read_text(encoding="utf-8")
    assert 'rel="lrdd"' in xrd
    assert 'template="https://example.org/.well-known/webfinger?resource={uri}"' in xrd


def test_nodeinfo_says_what_the_site_is(site: Path) -> None:
    links = doc(site, ".well-known/nodeinfo")
    assert links["links"] == [
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": "https://example.org/nodeinfo-2.1.json"}
    ]
    info = doc(site, "nodeinfo-2.1.json")
    assert info["version"] == "2.1" and info["software"]["name"] == "homepost"
    assert info["protocols"] == ["activitypub"] and info["openRegistrations"] is False
    assert info["usage"]["users"]["total"] == 1
    assert info["usage"]["localPosts"] == len(list((site / "public").rglob(urls.OBJECT_NAME)))


def test_actor_document(site: Path) -> None:
    config = load_config(site)
    actor = doc(site, urls.ACTOR_FILE)
    assert actor["@context"][:2] == ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
    assert actor["@context"][2]["discoverable"] == "toot:discoverable"
    assert actor["id"] == urls.actor_url(config) == "https://example.org/fediverse/actor.json"
    assert actor["type"] == "Person"
    assert actor["preferredUsername"] == "ada"
    assert actor["name"] == "Test Site"
    assert actor["summary"] == "<p>Essays &amp; &lt;notes&gt;</p>"
    assert actor["url"] == "https://example.org/"
    assert actor["inbox"] == urls.inbox_url(config) == "https://example.org/receiver/fediverse/inbox"
    assert actor["endpoints"]["sharedInbox"] == "https://example.org/receiver/fediverse/shared-inbox"
    assert actor["outbox"] == "https://example.org/fediverse/outbox.json"
    assert actor["followers"] == "https://example.org/fediverse/followers.json"
    assert actor["following"] == "https://example.org/fediverse/following.json"
    key = actor["publicKey"]
    assert key["id"] == urls.key_id(config) and key["owner"] == actor["id"]
    assert key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert actor["icon"] == {"type": "Image", "mediaType": "image/png", "url": "https://example.org/images/ada.png"}
    assert actor["image"]["url"] == "https://example.org/images/header.png"
    assert actor["manuallyApprovesFollowers"] is False and actor["discoverable"] is True
    assert actor["published"] == "2025-12-23T23:00:00Z"  # the oldest post
    assert actor["attachment"][0] == {
        "type": "PropertyValue",
        "name": "mastodon.example",
        "value": '<a href="https://mastodon.example/@ada" rel="me nofollow noopener" target="_blank">'
        "mastodon.example/@ada</a>",
    }
    assert "PRIVATE" not in (site / "public" / urls.ACTOR_FILE).read_text(encoding="utf-8")


def test_note_object_is_sanitised_and_complete(site: Path) -> None:
    config = load_config(site)
    rel = object_file_of(site, "hostile")
    note = doc(site, rel)
    assert note["type"] == "Note"
    assert note["id"] == urls.object_url(config, note["url"]) == "https://example.org/" + rel
    assert note["attributedTo"] == urls.actor_url(config)
    assert note["published"] == "2026-04-01T08:00:00Z"
    assert "updated" not in note and "name" not in note
    assert "<script" not in note["content"] and "alert" not in note["content"]
    assert "<strong>world</strong>" in note["content"]
    assert 'href="https://example.org/2026/01/first-post/"' in note["content"]  # links made absolute
    assert "<img" not in note["content"] and "onerror" not in note["content"]
    assert note["contentMap"] == {"en": note["content"]}
    assert note["summary"] == "Spoilers ahead" and note["sensitive"] is True
    assert note["inReplyTo"] == "https://mastodon.example/@bob/110000"
    assert note["tag"] == [
        {"type": "Hashtag", "href": "https://example.org/tags/fediverse-tests/", "name": "#FediverseTests"}
    ]
    assert note["attachment"] == [
        {
            "type": "Image",
            "mediaType": "image/png",
            "url": "https://example.org/images/pixel.png",
            "name": "a pixel",
            "width": 1,
            "height": 1,
        }
    ]
    assert note["to"] == [PUBLIC] and note["cc"] == ["https://example.org/fediverse/followers.json"]


def test_article_object_has_its_summary_and_the_link_home(site: Path) -> None:
    article = doc(site, object_file_of(site, "first-post"))
    assert article["type"] == "Article"
    assert article["name"] == 'First post: "hello"'
    assert article["summary"] == "A short summary of the first post."
    assert article["sensitive"] is False
    link = f'<a href="{article["url"]}">{article["url"]}</a>'
    assert article["content"].endswith(f"<p>Read the whole post: {link}</p>")
    zh = doc(site, object_file_of(site, "%E4%B8%AD"))  # the Chinese bundle's path starts with 中
    assert "阅读全文：" in zh["content"] and list(zh["contentMap"]) == ["zh"]
    assert {"type": "Image", "mediaType": "image/png", "name": "一张照片"}.items() <= zh["attachment"][0].items()


def test_edited_post_says_when(site: Path) -> None:
    old = doc(site, object_file_of(site, "old-one"))
    assert old["updated"] == "2026-01-02T09:00:00Z"


def test_outbox_pages_newest_first(tmp_path: Path) -> None:
    files = dict(BLOG)
    for n in range(PAGE_SIZE + 3):
        files[f"content/posts/2024-01-{1 + n:02d}-n{n}.md"] = f"---\ntitle: Number {n}\n---\n\nText {n}.\n"
    write_files(tmp_path, files)
    write_files(tmp_path, {"site.toml": SITE_TOML + FEDIVERSE})
    build(tmp_path)
    config = load_config(tmp_path)
    total = len(list((tmp_path / "public").rglob(urls.OBJECT_NAME)))
    outbox = doc(tmp_path, urls.OUTBOX_FILE)
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == total
    assert outbox["id"] == urls.document_url(config, urls.OUTBOX_FILE)
    assert outbox["first"] == urls.document_url(config, urls.outbox_page_file(1))
    assert outbox["last"] == urls.document_url(config, urls.outbox_page_file(2))
    first, last = doc(tmp_path, urls.outbox_page_file(1)), doc(tmp_path, urls.outbox_page_file(2))
    assert first["type"] == "OrderedCollectionPage" and first["partOf"] == outbox["id"]
    assert len(first["orderedItems"]) == PAGE_SIZE and first["next"] == last["id"] and last["prev"] == first["id"]
    assert len(last["orderedItems"]) == total - PAGE_SIZE
    dates = [item["published"] for item in first["orderedItems"] + last["orderedItems"]]
    assert dates == sorted(dates, reverse=True)
    create = first["orderedItems"][0]
    assert create["type"] == "Create" and create["actor"] == urls.actor_url(config)
    embedded = create["object"]
    own = doc(tmp_path, unquote(urls.object_url(config, embedded["url"]).removeprefix(config.site.url)))
    assert embedded == {key: value for key, value in own.items() if key != "@context"}
    assert create["to"] == [PUBLIC]


def test_followers_and_following_say_only_how_many(site: Path) -> None:
    for file in (urls.FOLLOWERS_FILE, urls.FOLLOWING_FILE):
        collection = doc(site, file)
        assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 0
        assert "orderedItems" not in collection and "first" not in collection


def test_pages_link_their_objects_and_show_the_handle(site: Path) -> None:
    config = load_config(site)
    home = (site / "public/index.html").read_text(encoding="utf-8")
    parsed = mf2py.parse(doc=home, url=config.site.url)
    assert parsed["rel-urls"][urls.actor_url(config)]["type"] == "application/activity+json"
    assert "@ada@example.org" in home
    note_object = object_file_of(site, "hostile")
    page = site / "public" / note_object.replace(urls.OBJECT_NAME, "index.html")
    html = page.read_text(encoding="utf-8")
    parsed = mf2py.parse(doc=html, url=config.site.url)
    alternate = urls.object_url(config, parsed["items"][0]["properties"]["url"][0])
    assert parsed["rel-urls"][alternate] == {"text": "", "rels": ["alternate"], "type": "application/activity+json"}
    assert alternate == "https://example.org/" + note_object
    assert '<code class="fediverse-handle" translate="no">@ada@example.org</code>' in html
    zh_page = site / "public" / object_file_of(site, "a-note").replace(urls.OBJECT_NAME, "index.html")
    assert "用你的 Mastodon" in zh_page.read_text(encoding="utf-8")


def test_host_rules_serve_the_right_types(site: Path) -> None:
    headers = (site / "public/_headers").read_text(encoding="utf-8").splitlines()
    for path, media_type in (
        ("/.well-known/webfinger", "application/jrd+json"),
        ("/.well-known/host-meta", "application/xrd+xml"),
        ("/.well-known/nodeinfo", "application/json"),
        ("/fediverse/*", "application/activity+json"),
        ("/*activity.json", "application/activity+json"),
    ):
        at = headers.index(path)
        assert headers[at + 1 : at + 3] == [f"  Content-Type: {media_type}", "  Access-Control-Allow-Origin: *"]
    nginx = (site / "public/_nginx.conf").read_text(encoding="utf-8")
    assert "location = /.well-known/webfinger { types { } default_type application/jrd+json;" in nginx
    assert (
        r"location ~ ^/(fediverse/.*\.json|.*activity\.json)$ { types { } default_type application/activity+json;"
        in nginx
    )
    assert "location = /nodeinfo-2.1.json { types { } default_type 'application/json; profile=" in nginx
    assert nginx.count('add_header Access-Control-Allow-Origin "*" always;') == 5


def test_a_site_without_fediverse_writes_none_of_it(tmp_path: Path) -> None:
    write_files(tmp_path, {**BLOG, "site.toml": SITE_TOML})
    build(tmp_path)
    out = tmp_path / "public"
    assert not (out / "fediverse").exists() and not (out / ".well-known").exists()
    assert not (out / "nodeinfo-2.1.json").exists()
    assert not list(out.rglob(urls.OBJECT_NAME))
    assert not (tmp_path / ".homepost/fediverse").exists()  # no key made either
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "activity+json" not in home and "fediverse" not in home


def test_editing_a_post_remakes_its_object_and_outbox_page_only(site: Path) -> None:
    note = site / "content/posts/2026-04-01-hostile.md"
    note.write_text(HOSTILE.replace("**world**", "**everyone**"), encoding="utf-8")
    result = build(site)
    fediverse = sorted(
        rel
        for rel in result.changed
        if rel.endswith(urls.OBJECT_NAME) or rel.startswith((urls.DOCUMENTS, ".well-known/", "nodeinfo"))
    )
    assert fediverse == sorted([object_file_of(site, "hostile"), urls.outbox_page_file(1)])
    assert "everyone" in doc(site, object_file_of(site, "hostile"))["content"]


def as_headers_say(folder: Path) -> Callable[[Received], Reply]:
    """The built site served as a static host reading its `_headers` would: each file with the types set there."""
    rules: list[tuple[str, str]] = []
    pattern = ""
    for line in (folder / "_headers").read_text(encoding="utf-8").splitlines():
        if line.startswith("/"):
            pattern = line
        elif line.strip().lower().startswith("content-type:"):
            rules.append((pattern, line.split(":", 1)[1].strip()))
    serve = static_site(folder)

    def answer(received: Received) -> Reply:
        reply = serve(received)
        path = unquote(urlsplit(received.path).path)
        types = [kind for glob, kind in rules if fnmatch.fnmatchcase(path, glob)]
        if reply.status != 200 or not types:
            return reply
        headers = [(name, value) for name, value in reply.headers if name.lower() != "content-type"]
        return dataclasses.replace(reply, headers=[*headers, ("Content-Type", types[-1])])

    return answer


def test_fedify_reads_the_actor_and_the_posts(tmp_path: Path, fedify_peer: FedifyPeer) -> None:
    """A real ActivityPub implementation parses our actor, a note and an article, and finds a post from its page."""
    with LoopbackServer() as host:
        toml = SITE_TOML.replace("https://example.org/", host.url("/"))
        write_files(tmp_path, {**BLOG, "site.toml": toml + FEDIVERSE, "content/posts/2026-04-01-hostile.md": HOSTILE})
        build(tmp_path)
        host.fallback = as_headers_say(tmp_path / "public")
        config = load_config(tmp_path)
        actor = fedify_peer.lookup(urls.actor_url(config))
        assert actor["ok"], actor.get("error")
        assert actor["type"] == "Person" and actor["id"] == urls.actor_url(config)
        assert actor["json"]["preferredUsername"] == "ada"
        assert actor["json"]["inbox"] == urls.inbox_url(config)
        assert actor["publicKeyId"] == urls.key_id(config) and actor["publicKeyOwner"] == actor["id"]
        assert actor["json"]["outbox"] == urls.document_url(config, urls.OUTBOX_FILE)
        note_file = object_file_of(tmp_path, "hostile")
        note = fedify_peer.lookup(host.url("/" + note_file))
        assert note["ok"], note.get("error")
        assert note["type"] == "Note" and note["attributedTo"] == urls.actor_url(config)
        assert "<strong>world</strong>" in note["json"]["content"] and note["json"]["sensitive"] is True
        assert note["json"]["inReplyTo"] == "https://mastodon.example/@bob/110000"
        # pasting a post's address: Fedify follows the page's rel=alternate to the object
        page = host.url("/" + object_file_of(tmp_path, "first-post").removesuffix(urls.OBJECT_NAME))
        article = fedify_peer.lookup(page)
        assert article["ok"], article.get("error")
        assert article["type"] == "Article" and article["json"]["name"] == 'First post: "hello"'
        assert article["id"] == urls.object_url(config, page)


def test_a_site_under_a_folder_is_warned_about_well_known(tmp_path: Path) -> None:
    toml = SITE_TOML.replace('url = "https://example.org/"', 'url = "https://example.org/blog/"', 1)
    write_files(tmp_path, {**BLOG, "site.toml": toml + FEDIVERSE})
    result = build(tmp_path)
    assert any("/.well-known/webfinger" in warning and "/blog/" in warning for warning in result.warnings)
    jrd = doc(tmp_path, ".well-known/webfinger")
    assert jrd["links"][0]["href"] == "https://example.org/blog/fediverse/actor.json"


def test_an_endpoint_that_is_not_a_receivers_gives_no_inbox_beside_it_and_a_warning(tmp_path: Path) -> None:
    config = FEDIVERSE.replace("https://example.org/receiver/webmention", "https://example.org/hooks/wm")
    write_files(tmp_path, {**BLOG, "site.toml": SITE_TOML + config})
    result = build(tmp_path)
    assert any("[fediverse] enabled without a receiver" in warning for warning in result.warnings)
    assert doc(tmp_path, urls.ACTOR_FILE)["inbox"] == urls.INBOX_ROUTE  # not a guess at https://example.org/hooks/


def test_an_unusable_key_in_the_environment_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(tmp_path, {**BLOG, "site.toml": SITE_TOML + FEDIVERSE})
    monkeypatch.setenv("HOMEPOST_FEDIVERSE_KEY", "not a key")
    result = run_cli("--site", str(tmp_path), "build")
    assert result.exit_code == 1
    assert "HOMEPOST_FEDIVERSE_KEY" in result.output and "RSA private key" in result.output
    assert "Traceback" not in result.output and "not a key" not in result.output


def test_an_episode_attaches_its_audio(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "site.toml": SITE_TOML + FEDIVERSE + SHOW,
            "content/podcast/cover.png": png_bytes(1400, 1400),
            "content/posts/2026-02-03-first/index.md": "---\ntitle: First episode\ndate: 2026-02-03\n"
            "audio: a.wav\n---\n\nNotes.\n",
            "content/posts/2026-02-03-first/a.wav": wav_bytes(1.0),
        },
    )
    build(tmp_path)
    article = doc(tmp_path, object_file_of(tmp_path, "first"))
    assert article["attachment"] == [
        {
            "type": "Document",
            "mediaType": "audio/wav",
            "url": "https://example.org/2026/02/first/a.wav",
            "name": "First episode",
        }
    ]
