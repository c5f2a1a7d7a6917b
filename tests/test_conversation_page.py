"""The conversation under a post as the default theme writes it: who liked and reposted, by name and
with the counts per platform; replies threaded with what they answer; mentions with their author;
and no "Responses" heading over a post that has none. (tests/browser/test_reading.py looks at it.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import mf2py

from tests.helpers import SITE_TOML, build

POST = "content/posts/hello.md"
URL = "https://example.org/2026/05/hello/"
PAGE = "public/2026/05/hello/index.html"
ENDPOINT = '\n[webmention]\nendpoint = "https://webmention.io/example.org/webmention"\n'


def response(id: str, type: str, who: str, platform: str = "web", **extra: str) -> dict:
    """A stored response to the post, by `who`."""
    author = {"name": who, "url": f"https://{who.lower().replace(' ', '')}.example/"}
    return {
        "id": id,
        "type": type,
        "source": f"https://src.example/{id}",
        "target": URL,
        "author": author,
        "platform": platform,
        **extra,
    }


def page(make_site, responses: list[dict], lang: str = "en", config: str = ENDPOINT) -> str:
    """The post's page, built with `responses` stored for it."""
    front = f"---\ntitle: Hello\ndate: 2026-05-01\nlang: {lang}\n---\nBody.\n"
    files = {POST: front, "data/responses/2026/05/hello.json": json.dumps(responses)}
    root: Path = make_site(files, config=SITE_TOML + config)
    result = build(root)
    assert result.exit_code == 0, result.output
    return (root / PAGE).read_text(encoding="utf-8")


def text(html: str) -> str:
    """What a reader sees of `html`: its text without tags or attributes, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def entry(html: str) -> dict:
    return next(i for i in mf2py.parse(doc=html, url=URL)["items"] if "h-entry" in i["type"])


def test_a_post_without_responses_shows_the_webmention_form_without_a_responses_heading(make_site) -> None:
    html = page(make_site, [])
    assert 'id="webmention-source"' in html
    assert 'autocomplete="url"' in html
    assert "Responses" not in text(html)
    assert 'class="responses responses-none"' in html


def test_a_post_without_responses_but_with_comments_gives_the_comment_form_a_top_level_heading(make_site) -> None:
    html = page(make_site, [], config=ENDPOINT + "\n[comments]\nenabled = true\n")
    assert '<h2 class="comment-form-title">Leave a comment</h2>' in html
    assert "Responses" not in text(html)
    assert 'autocomplete="name"' in html and 'id="comment-website" name="website" type="url"' in html


def test_likes_and_reposts_show_who_by_name_and_the_counts_per_platform(make_site) -> None:
    html = page(
        make_site,
        [
            response("l1", "like", "Ana Costa", "mastodon"),
            response("l2", "like", "Bo", "mastodon"),
            response("l3", "like", "Cleo", "bluesky"),
            response("r1", "repost", "Dana", "web"),
        ],
    )
    shown = text(html)
    assert "Responses" in shown
    assert "3 likes · 2 on Mastodon, 1 on Bluesky" in shown
    assert "Ana Costa" in shown and "Bo" in shown and "Cleo" in shown
    assert "1 repost Dana" in shown  # one platform, the web: no count per platform to add
    assert 'title="' not in html.split('id="responses"', 1)[1]  # names are text, not hover titles
    likes = entry(html)["properties"]["like"]
    assert [like["properties"]["author"][0]["properties"]["name"] for like in likes] == [
        ["Ana Costa"],
        ["Bo"],
        ["Cleo"],
    ]
    [repost] = entry(html)["properties"]["repost"]
    assert repost["properties"]["url"] == ["https://src.example/r1"]


def test_a_long_row_of_likes_names_the_first_and_shows_the_rest_as_faces_named_in_alt_text(make_site) -> None:
    html = page(make_site, [response(f"l{i:02}", "like", f"Liker {i:02}") for i in range(15)])
    shown = text(html)
    assert "15 likes" in shown and "Liker 00" in shown and "Liker 11" in shown
    assert "Liker 12" not in shown and 'alt="Liker 12"' in html and 'alt="Liker 14"' in html
    assert len(entry(html)["properties"]["like"]) == 15


def test_a_mention_names_its_author_after_by_in_english_and_in_chinese(make_site) -> None:
    mention = response("m1", "mention", "Mara Lind", name="On recording in the rain")
    assert "On recording in the rain by Mara Lind" in text(page(make_site, [mention]))
    html = page(make_site, [mention], lang="zh")
    assert "On recording in the rain （作者：Mara Lind）" in text(html)
    [cited] = entry(html)["properties"]["mention"]
    assert cited["properties"]["author"][0]["properties"]["name"] == ["Mara Lind"]


def test_a_reply_to_a_reply_is_nested_under_it_and_says_whom_it_answers(make_site) -> None:
    html = page(
        make_site,
        [
            response("a", "reply", "Alice", "mastodon", content_text="First!", published="2026-05-02T10:00:00+00:00"),
            response(
                "b",
                "reply",
                "Bob",
                "bluesky",
                content_text="Second.",
                in_reply_to="a",
                published="2026-05-02T11:00:00+00:00",
            ),
        ],
    )
    [alice] = entry(html)["properties"]["comment"]
    assert alice["properties"]["author"][0]["properties"]["name"] == ["Alice"]
    [bob] = alice["properties"]["comment"]
    assert bob["properties"]["content"][0]["value"] == "Second."
    parent = re.search(r'<li class="p-comment h-cite reply reply-mastodon" id="([^"]+)">', html)
    assert parent is not None
    assert f'<p class="reply-context"><a href="#{parent.group(1)}">Replying to Alice</a></p>' in html
    shown = text(html)
    assert "2 replies" in shown and "Alice Mastodon" in shown and "Bob Bluesky" in shown


def test_a_reply_whose_url_names_a_fragment_of_this_post_gets_that_id_and_a_hostile_one_none(make_site) -> None:
    html = page(
        make_site,
        [
            response("a", "comment", "Alice", "comment", url=f"{URL}#comment-123"),
            response("b", "comment", "Bob", "comment", url=f'{URL}#comment-9"><script>x</script>'),
            response("c", "reply", "Carol", url="https://elsewhere.example/post#comment-7"),
            response("d", "comment", "Dan", "comment", url=f"{URL}#comment-123"),  # taken: its own id
        ],
    )
    ids = re.findall(r'<li class="p-comment[^"]*" id="([^"]*)"', html)
    assert ids[0] == "comment-123" and ids.count("comment-123") == 1 and len(set(ids)) == 4
    assert "comment-7" not in ids and not any("script" in i or "comment-9" in i for i in ids)
    assert "<script>x" not in html
