"""What the built site says about Webmention: the advertised endpoint, what a post answers, the
responses it received (sanitised, with microformats), and pulling mentions into the data folder."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import mf2py
import pytest

from generator.sitedata.responses import read_responses
from tests.helpers import SITE_TOML, build, run_cli, write_files
from tests.servers import LoopbackServer, Reply

POST = "content/posts/hello.md"
URL = "https://example.org/2026/05/hello/"


def site_with(make_site, extra_config: str = "", files: dict | None = None) -> Path:
    front = "---\ntitle: Hello\ndate: 2026-05-01\nin_reply_to: https://other.example/post/1\nlike_of: [https://b.example/x]\n---\nBody.\n"
    return make_site({POST: front, **(files or {})}, config=SITE_TOML + extra_config)


def test_the_endpoint_is_advertised_on_every_page_and_in_the_host_headers(make_site) -> None:
    root = site_with(make_site, '\n[webmention]\nendpoint = "https://webmention.io/example.org/webmention"\n')
    assert build(root).exit_code == 0
    public = root / "public"
    for page in ("index.html", "2026/05/hello/index.html", "archive/index.html"):
        assert (
            '<link rel="webmention" href="https://webmention.io/example.org/webmention">' in (public / page).read_text()
        )
    assert (
        '  Link: <https://webmention.io/example.org/webmention>; rel="webmention"' in (public / "_headers").read_text()
    )
    form = (public / "2026/05/hello/index.html").read_text()
    assert 'action="https://webmention.io/example.org/webmention"' in form and f'name="target" value="{URL}"' in form


def test_no_endpoint_means_no_link_and_no_host_files(make_site) -> None:
    root = site_with(make_site)
    assert build(root).exit_code == 0
    assert 'rel="webmention"' not in (root / "public/2026/05/hello/index.html").read_text()
    assert not (root / "public/_headers").exists() and not (root / "public/_redirects").exists()


def test_what_a_post_answers_is_marked_up_as_h_cite(make_site) -> None:
    root = site_with(make_site)
    assert build(root).exit_code == 0
    parsed = mf2py.parse(doc=(root / "public/2026/05/hello/index.html").read_text(), url=URL)
    entry = next(item for item in parsed["items"] if "h-entry" in item["type"])
    reply = entry["properties"]["in-reply-to"][0]
    assert reply["type"] == ["h-cite"] and reply["properties"]["url"] == ["https://other.example/post/1"]
    assert entry["properties"]["like-of"][0]["properties"]["url"] == ["https://b.example/x"]


def test_a_cite_that_is_not_a_url_is_an_error_naming_the_key(make_site) -> None:
    root = make_site({POST: "---\ntitle: Hello\ndate: 2026-05-01\nin_reply_to: not a url\n---\nBody.\n"})
    result = build(root)
    assert result.exit_code == 1
    assert (
        "content/posts/hello.md:4: in_reply_to: expected an http(s) URL or a list of them, got 'not a url'"
        in result.output
    )


RESPONSES = [
    {
        "id": "https://alice.example/reply",
        "type": "reply",
        "source": "https://alice.example/reply",
        "target": URL,
        "author": {"name": "Alice <b>", "url": "https://alice.example/", "photo": "https://alice.example/a.png"},
        "content_html": '<p>Nice <script>alert(1)</script><a href="javascript:alert(2)" onclick="x()">post</a></p>',
        "published": "2026-05-02T10:00:00+00:00",
    },
    {
        "id": "https://bob.example/like",
        "type": "like",
        "source": "https://bob.example/like",
        "target": URL,
        "author": {"name": "Bob", "url": "https://bob.example/"},
    },
    {
        "id": "https://carol.example/m",
        "type": "mention",
        "source": "https://carol.example/m",
        "target": URL,
        "name": "Carol's post",
    },
]


def test_responses_are_shown_sanitised_with_microformats(make_site) -> None:
    root = site_with(make_site, files={"data/responses/2026/05/hello.json": json.dumps(RESPONSES)})
    assert build(root).exit_code == 0
    html = (root / "public/2026/05/hello/index.html").read_text()
    assert "<script>" not in html and "javascript:" not in html and "onclick" not in html
    assert "Alice &lt;b&gt;" in html
    assert 'href="https://alice.example/reply" rel="nofollow ugc noopener"' in html
    entry = next(i for i in mf2py.parse(doc=html, url=URL)["items"] if "h-entry" in i["type"])
    comment = entry["properties"]["comment"][0]
    assert comment["properties"]["author"][0]["properties"]["name"] == ["Alice <b>"]
    assert comment["properties"]["url"] == ["https://alice.example/reply"]
    like = entry["properties"]["like"][0]
    assert like["properties"]["url"] == ["https://bob.example/like"]
    assert entry["properties"]["mention"][0]["properties"]["name"] == ["Carol's post"]


def test_a_new_response_rebuilds_the_post_page(make_site) -> None:
    root = site_with(make_site)
    assert build(root).exit_code == 0
    page = root / "public/2026/05/hello/index.html"
    assert "Alice" not in page.read_text()
    write_files(root, {"data/responses/2026/05/hello.json": json.dumps(RESPONSES[:1])})
    assert build(root).exit_code == 0
    assert "Alice" in page.read_text()


def test_a_damaged_responses_file_names_file_and_entry(make_site) -> None:
    bad = [{"id": "x", "type": "shout", "source": "https://a.example/", "target": URL}]
    root = site_with(make_site, files={"data/responses/2026/05/hello.json": json.dumps(bad)})
    result = build(root)
    assert result.exit_code == 1
    assert "data/responses/2026/05/hello.json: entry 1: type: expected one of reply, like" in result.output


# --- pulling ---------------------------------------------------------------------------------


def jf2(source: str, prop: str = "in-reply-to", **extra) -> dict:
    return {
        "type": "entry",
        "wm-property": prop,
        "wm-source": source,
        "wm-target": URL,
        "url": source,
        "author": {"type": "card", "name": "Someone", "url": "https://someone.example/"},
        "content": {"html": "<p>hi<script>x</script></p>", "text": "hi"},
        "published": "2026-05-03T00:00:00Z",
        **extra,
    }


@pytest.fixture
def api():
    with LoopbackServer() as server:
        yield server


def pull(root: Path):
    return run_cli("webmention", "pull", "--site", str(root))


def test_pull_from_a_receiver_merges_updates_and_withdrawals(make_site, api: LoopbackServer) -> None:
    config = f'\n[webmention]\nendpoint = "{api.url("/webmention")}"\n\n[network]\nallow_private_addresses = true\n'
    root = site_with(make_site, config)
    feed = {
        "type": "feed",
        "children": [
            jf2("https://a.example/1", **{"wm-verified": "2026-05-03T01:00:00+00:00"}),
            jf2("https://b.example/2", "like-of"),
        ],
    }
    api.route("/api/mentions", lambda r: Reply(200, json.dumps(feed), [("Content-Type", "application/json")]))
    result = pull(root)
    assert result.exit_code == 0, result.output
    assert "2 new, 0 changed, 0 removed" in result.output
    stored = read_responses(root / "data/responses/2026/05/hello.json")
    assert [(r.type, r.source) for r in stored] == [("reply", "https://a.example/1"), ("like", "https://b.example/2")]
    assert all("<script>" not in r.content_html for r in stored)
    feed["children"] = [
        jf2("https://a.example/1", content={"html": "<p>edited</p>", "text": "edited"}),
        {**jf2("https://b.example/2", "like-of"), "deleted": True},
    ]
    result = pull(root)
    assert "0 new, 1 changed, 1 removed" in result.output
    assert "since=2026-05-03T01%3A00%3A00%2B00%3A00" in api.received[-1].path
    [left] = read_responses(root / "data/responses/2026/05/hello.json")
    assert left.content_html == "<p>edited</p>"
    assert build(root).exit_code == 0 and "edited" in (root / "public/2026/05/hello/index.html").read_text()


def test_pull_from_webmention_io_uses_the_token_from_the_environment_and_pages(
    make_site, api: LoopbackServer, monkeypatch
) -> None:
    config = f'\n[webmention]\napi = "{api.url("/api/mentions.jf2")}"\n\n[network]\nallow_private_addresses = true\n'
    root = site_with(make_site, config)
    monkeypatch.setenv("HOMEPOST_WEBMENTIONIO_TOKEN", "s3cret")
    pages = {
        0: [jf2(f"https://a.example/{i}", **{"wm-id": i}) for i in range(100)],
        1: [jf2("https://a.example/last", **{"wm-id": 100})],
    }

    def answer(received):
        query = parse_qs(urlsplit(received.path).query)
        if query.get("token") != ["s3cret"]:
            return Reply(401, "bad token")
        return Reply(200, json.dumps({"type": "feed", "children": pages.get(int(query["page"][0]), [])}))

    api.route("/api/mentions.jf2", answer)
    result = pull(root)
    assert result.exit_code == 0, result.output
    assert "101 new" in result.output and "s3cret" not in result.output
    assert json.loads((root / "data/webmention/pull.json").read_text())["since_id"] == 100
    pull(root)
    assert "since_id=100" in api.received[-1].path


def test_pull_from_webmention_io_without_a_token_says_where_to_put_it(make_site, api: LoopbackServer) -> None:
    root = site_with(make_site, f'\n[webmention]\napi = "{api.url("/api/mentions.jf2")}"\n')
    result = pull(root)
    assert result.exit_code == 1
    assert "HOMEPOST_WEBMENTIONIO_TOKEN" in result.output and ".homepost/credentials.toml" in result.output


def test_a_token_in_site_toml_is_refused_without_echoing_it(make_site) -> None:
    root = site_with(make_site, '\n[webmention]\nwebmentionio_token = "s3cret"\n')
    result = build(root)
    assert result.exit_code == 1
    assert "webmention.webmentionio_token: credentials never go in site.toml" in result.output
    assert "s3cret" not in result.output
