"""Readers' comments: the form end to end against a real receiver, spam defences, moderation, the API, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from click.testing import CliRunner, Result

from generator.commands.comments import comments as comments_command
from generator.model import Response, ResponseAuthor
from generator.sitedata.responses import write_responses
from generator.webmention.jf2 import response_from_jf2
from generator.webmention.receiver import Receiver, ReceiverOptions, Store
from generator.webmention.receiver.app import AWAITING, COOKIE, PUBLISHED, comment_body_limit
from generator.webmention.receiver.comment_validation import render_markdown
from generator.webmention.receiver.comments import Comment
from generator.webmention.receiver.moderation import approve, block, list_comments, reject, unblock
from generator.webmention.receiver.schema import MIGRATIONS, SCHEMA_VERSION
from tests.receiver_helpers import FAST, FORM, TARGET, Answer, call, mentions, site_config, start_receiver

COMMENTS = "\n[comments]\nenabled = true\n"
OTHER_POST = "https://example.com/2026/05/other/"
ALICE = {"name": "Alice Example", "website": "https://alice.example/", "comment": "Great *post*!"}


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Receiver]]:
    """Start receivers for a tmp_path site with comments on (extra [comments] TOML appended); all stopped afterwards."""
    started: list[Receiver] = []

    def run(
        extra: str = "", *, enabled: bool = True, rate_limit: int = 1000, trusted_proxy: str | None = None
    ) -> Receiver:
        comments = f"{COMMENTS}rate_limit = {rate_limit}\n" if enabled else ""
        config = site_config(tmp_path / "site", comments + extra)
        if trusted_proxy:
            receiver = Receiver(
                config, ReceiverOptions(host="127.0.0.1", port=0, worker=FAST, trusted_proxy=trusted_proxy)
            )
            receiver.start()
        else:
            receiver = start_receiver(config)
        started.append(receiver)
        return receiver

    yield run
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(start: Callable[..., Receiver]) -> Receiver:
    return start()


def post(receiver: Receiver, headers: dict[str, str] | None = None, **fields: str) -> Answer:
    """POST /comment with the form fields given (target defaults to the post)."""
    body = urlencode({"target": TARGET, **fields}).encode()
    return call(receiver.url, "POST", "/comment", body, {"Content-Type": FORM, **(headers or {})})


def follow(receiver: Receiver, answer: Answer) -> Answer:
    """GET the page a 303 from POST /comment leads to."""
    assert answer.status == 303, answer.text
    url = urljoin(receiver.url + "comment", answer.headers["location"])
    parts = urlsplit(url)
    return call(receiver.url, "GET", f"{parts.path}?{parts.query}")


def children(receiver: Receiver, **params: str) -> list[dict]:
    answer = mentions(receiver.url, **params)
    assert answer.status == 200, answer.text
    assert "127.0.0.1" not in answer.text  # no address ever leaves through the API
    return answer.json()["children"]


def only(receiver: Receiver) -> Comment:
    [comment] = receiver.store.comments()
    return comment


# --- the form, end to end ------------------------------------------------------------------------


def test_a_comment_lands_pending_and_the_reader_sees_the_thank_you_page(receiver: Receiver) -> None:
    body = urlencode(
        {
            "target": TARGET,
            "name": "Alice Example",
            "website": "https://alice.example/",
            "comment": "Great post!\r\n\r\nSecond paragraph.",
            "reply_to": "",
            "email_confirm": "",
        }
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(receiver.url + "comment", data=body.encode(), headers={"Content-Type": FORM})
    with opener.open(request, timeout=10) as answer:  # follows the 303 with a GET, as a browser does
        page, final_url = answer.read().decode(), answer.url
    assert final_url == receiver.url + "comment/thanks?" + urlencode({"target": TARGET})
    assert AWAITING in page and f'<a href="{TARGET}">Back to the post</a>' in page
    comment = only(receiver)
    assert (comment.status, comment.target, comment.name, comment.website) == (
        "pending",
        TARGET,
        "Alice Example",
        "https://alice.example/",
    )
    assert comment.markdown == "Great post!\n\nSecond paragraph."
    assert comment.html == "<p>Great post!</p>\n<p>Second paragraph.</p>"
    assert comment.ip == "127.0.0.1" and len(comment.id) == 10 and comment.decided_at is None
    assert children(receiver) == [] and children(receiver, target=TARGET) == []  # pending is not public
    assert children(receiver, since="2000-01-01T00:00:00Z") == []


def test_the_redirect_is_303_and_relative(receiver: Receiver) -> None:
    answer = post(receiver, **ALICE)
    assert answer.status == 303 and answer.headers["location"] == "comment/thanks?" + urlencode({"target": TARGET})
    slash = call(
        receiver.url, "POST", "/comment/", urlencode({"target": TARGET, **ALICE}).encode(), {"Content-Type": FORM}
    )
    assert slash.status == 303 and slash.headers["location"].startswith("thanks?target=")
    page = follow(receiver, answer)
    assert page.status == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_an_approved_comment_appears_in_the_api_as_jf2(receiver: Receiver) -> None:
    post(receiver, **ALICE)
    comment = only(receiver)
    [decision] = approve(receiver.store, [comment.id])
    assert decision.changed and decision.comment is not None and decision.comment.status == "approved"
    approved = decision.comment
    [entry] = children(receiver, target=TARGET)
    source = f"{TARGET}#comment-{comment.id}"
    assert entry == {
        "type": "entry",
        "wm-property": "comment",
        "comment": TARGET,
        "wm-source": source,
        "wm-target": TARGET,
        "url": source,
        "author": {"type": "card", "name": "Alice Example", "url": "https://alice.example/"},
        "content": {"html": "<p>Great <em>post</em>!</p>", "text": "Great *post*!"},
        "published": comment.created.isoformat(),
        "wm-received": comment.created.isoformat(),
        "wm-verified": approved.decided_at.isoformat(),  # type: ignore[union-attr]
        "homepost-platform": "comment",
    }
    assert children(receiver) == [entry]
    assert children(receiver, since=comment.created.isoformat()) == [entry]  # approval time is its change time
    assert children(receiver, since=(approved.decided_at + dt.timedelta(seconds=1)).isoformat()) == []  # type: ignore[operator]
    assert children(receiver, target=OTHER_POST) == []
    pulled = response_from_jf2(entry)  # what `homepost webmention pull` stores
    assert pulled is not None and (pulled.id, pulled.type, pulled.platform) == (source, "comment", "comment")
    assert pulled.author == ResponseAuthor(name="Alice Example", url="https://alice.example/")


def test_comments_and_mentions_share_the_feed_in_time_order(receiver: Receiver) -> None:
    early = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    receiver.store.save(
        Response(
            id="https://bob.example/r", type="reply", source="https://bob.example/r", target=TARGET, verified=early
        ),
        received=early,
    )
    post(receiver, **ALICE)
    approve(receiver.store, [only(receiver).id])
    assert [e["wm-property"] for e in children(receiver, target=TARGET)] == ["in-reply-to", "comment"]
    assert [e["wm-property"] for e in children(receiver, since="2000-01-01T00:00:00Z")] == ["in-reply-to", "comment"]


def test_a_rejected_comment_never_appears_and_one_rejected_after_approval_is_reported_deleted(
    receiver: Receiver,
) -> None:
    post(receiver, **ALICE)
    post(receiver, name="Spammer", comment="Buy things")
    first, spam = receiver.store.comments()
    [decision] = reject(receiver.store, [spam.id])
    assert decision.changed and decision.comment is not None and decision.comment.status == "rejected"
    assert children(receiver, since="2000-01-01T00:00:00Z") == []  # never public: not even a tombstone
    approve(receiver.store, [first.id])
    approved_at = receiver.store.get_comment(first.id).decided_at  # type: ignore[union-attr]
    [withdrawn] = reject(receiver.store, [first.id])
    assert withdrawn.comment is not None and withdrawn.comment.withdrawn
    assert children(receiver, target=TARGET) == [] and children(receiver) == []
    [tombstone] = children(receiver, since=approved_at.isoformat())  # type: ignore[union-attr]
    assert tombstone["deleted"] is True and tombstone["wm-source"] == first.source
    assert tombstone["author"] == {"type": "card"} and "content" not in tombstone
    again = reject(receiver.store, [first.id, "nosuchid00"])
    assert [(d.changed, d.comment is None) for d in again] == [(False, False), (False, True)]
    assert list_comments(receiver.store) == [] and len(list_comments(receiver.store, status=None)) == 2


def test_a_reply_to_an_approved_comment_carries_reply_to(receiver: Receiver) -> None:
    post(receiver, **ALICE)
    parent = only(receiver)
    refused = post(receiver, name="Bob", comment="I agree", reply_to=f"comment-{parent.id}")
    assert refused.status == 400 and "reply_to is not a published comment or response on this post" in refused.text
    approve(receiver.store, [parent.id])
    for reply_to in (f"comment-{parent.id}", parent.id, parent.source):
        assert post(receiver, name="Bob", comment="I agree", reply_to=reply_to).status == 303
    replies = [c for c in receiver.store.comments() if c.name == "Bob"]
    assert [c.reply_to for c in replies] == [parent.source] * 3
    approve(receiver.store, [replies[0].id])
    entries = {e["author"]["name"]: e for e in children(receiver, target=TARGET)}
    assert entries["Bob"]["homepost-in-reply-to"] == parent.source
    pulled_parent, pulled_reply = response_from_jf2(entries["Alice Example"]), response_from_jf2(entries["Bob"])
    assert pulled_reply is not None and pulled_parent is not None
    assert pulled_reply.in_reply_to == pulled_parent.id  # threads once pulled into the data folder
    elsewhere = post(receiver, target=OTHER_POST, name="Bob", comment="Wrong post", reply_to=parent.id)
    assert elsewhere.status == 400


def test_a_reply_may_answer_a_stored_mention_or_a_response_in_the_data_folder(receiver: Receiver) -> None:
    mention = "https://bob.example/reply"
    receiver.store.save(
        Response(id=mention, type="reply", source=mention, target=TARGET), received=dt.datetime.now(dt.UTC)
    )
    write_responses(
        receiver.config.data_dir / "responses/2026/05/hello.json",
        [Response(id="mastodon:109", type="reply", source="https://social.example/@c/109", target=TARGET)],
    )
    assert post(receiver, name="Dee", comment="Yes", reply_to=mention).status == 303
    assert post(receiver, name="Dee", comment="Yes", reply_to="mastodon:109").status == 303
    assert post(receiver, name="Dee", comment="Yes", reply_to="mastodon:110").status == 400
    assert [c.reply_to for c in receiver.store.comments()] == [mention, "mastodon:109"]


# --- spam defences and limits --------------------------------------------------------------------


def test_the_honeypot_answers_like_a_success_and_stores_nothing(start: Callable[..., Receiver]) -> None:
    receiver = start()
    bot = post(receiver, **ALICE, email_confirm="bot@spam.example")
    assert receiver.store.comments() == []
    human = post(receiver, **ALICE)
    assert (bot.status, bot.headers["location"], bot.body) == (human.status, human.headers["location"], human.body)
    assert follow(receiver, bot).body == follow(receiver, human).body
    assert len(receiver.store.comments()) == 1
    careless_bot = post(receiver, name="", comment="", email_confirm="x")  # not even the fields are checked
    assert careless_bot.status == 303 and len(receiver.store.comments()) == 1


def test_the_rate_limit_answers_429_with_retry_after(start: Callable[..., Receiver]) -> None:
    receiver = start(rate_limit=2)
    assert post(receiver, **ALICE).status == 303
    assert post(receiver, **ALICE, headers={"X-Forwarded-For": "203.0.113.7"}).status == 303  # no trusted proxy
    third = post(receiver, **ALICE)
    assert third.status == 429 and 1 <= int(third.headers["retry-after"]) <= 60
    assert "Too many comments" in third.text and third.headers["content-type"].startswith("text/html")
    assert len(receiver.store.comments()) == 2


def test_behind_a_trusted_proxy_the_forwarded_address_counts(start: Callable[..., Receiver]) -> None:
    receiver = start(rate_limit=1, trusted_proxy="127.0.0.1")
    assert post(receiver, **ALICE, headers={"X-Forwarded-For": "203.0.113.7"}).status == 303
    assert post(receiver, **ALICE, headers={"X-Forwarded-For": "203.0.113.7"}).status == 429
    assert post(receiver, **ALICE, headers={"X-Forwarded-For": "2001:db8::1"}).status == 303
    assert post(receiver, **ALICE, headers={"X-Forwarded-For": "2001:db8::2"}).status == 429  # the same /64
    assert [c.ip for c in receiver.store.comments()] == ["203.0.113.7", "2001:db8::1"]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"name": "", "comment": "Hi"}, "name is missing"),
        ({"name": " \t ", "comment": "Hi"}, "name is missing"),
        ({"name": "A", "comment": "  \r\n "}, "comment is missing"),
        ({"name": "A" * 101, "comment": "Hi"}, "name is longer than 100 characters"),
        ({"name": "A", "comment": "x" * 201}, "comment is longer than 200 characters"),
        (
            {"name": "A", "comment": "Hi", "website": "https://a.example/" + "p" * 290},
            "website is longer than 300 characters",
        ),
        ({"name": "A", "comment": "Hi", "website": "javascript:alert(1)"}, "website must be an http or https URL"),
        (
            {"name": "A", "comment": "Hi", "website": 'https://a.example/"><script>'},
            "website must be an http or https URL",
        ),
        ({"name": "A", "comment": "Hi", "target": ""}, "target is missing"),
        ({"name": "A", "comment": "Hi", "target": "https://example.org/2026/05/hello/"}, "target is not on this site"),
        ({"name": "A", "comment": "Hi", "target": "https://example.com.evil/"}, "target is not on this site"),
        (
            {"name": "A", "comment": "Hi", "target": "javascript:alert(1)//https://example.com/"},
            "target is not on this site",
        ),
    ],
)
def test_a_form_to_correct_is_400_with_the_reason(start: Callable[..., Receiver], fields: dict, reason: str) -> None:
    receiver = start("max_length = 200\n")
    answer = post(receiver, **fields)
    assert answer.status == 400 and reason in answer.text, answer.text
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert "<script>" not in answer.text
    assert receiver.store.comments() == []


def test_the_longest_comment_fits_and_a_body_over_the_limit_is_413(start: Callable[..., Receiver]) -> None:
    receiver = start("max_length = 200\n")
    assert post(receiver, name="A", comment="€" * 200).status == 303  # 200 characters, 1800 bytes encoded
    assert post(receiver, name="A", comment="😀" * 200).status == 303
    body = urlencode({"target": TARGET, "name": "A", "comment": "x" * comment_body_limit(200)}).encode()
    answer = call(receiver.url, "POST", "/comment", body, {"Content-Type": FORM})
    assert answer.status == 413
    json_body = call(receiver.url, "POST", "/comment", b'{"name": "A"}', {"Content-Type": "application/json"})
    assert json_body.status == 415
    assert len(receiver.store.comments()) == 2


def test_the_default_limit_fits_under_the_server_limit(receiver: Receiver) -> None:
    limit = receiver.config.comments.max_length
    assert post(receiver, name="A", comment="😀" * limit).status == 303  # ~60 KB: waitress must not cut it first


def test_blocked_authors_are_answered_like_a_success_and_nothing_is_stored(receiver: Receiver) -> None:
    store = receiver.store
    success = post(receiver, name="Carol", comment="First")
    store.decide_comments([only(receiver).id], "rejected")
    block(store, "ip", "127.0.0.0/8")
    blocked = post(receiver, name="Carol", comment="Again")
    assert (blocked.status, blocked.headers["location"], blocked.body) == (
        success.status,
        success.headers["location"],
        success.body,
    )
    assert len(store.comments()) == 1
    assert unblock(store, "ip", "127.0.0.0/8") and not unblock(store, "ip", "127.0.0.0/8")
    block(store, "domain", "Spam.Example")
    for website in ("https://spam.example/", "http://www.SPAM.example/shop"):
        assert post(receiver, name="S", comment="Buy", website=website).status == 303
    assert post(receiver, name="S", comment="Fine", website="https://notspam.example/").status == 303
    block(store, "author", "https://troll.example/me/")
    assert post(receiver, name="T", comment="Hah", website="HTTPS://TROLL.example/me").status == 303
    assert post(receiver, name="T", comment="Other page", website="https://troll.example/other").status == 303
    assert [c.website for c in store.comments()[1:]] == ["https://notspam.example/", "https://troll.example/other"]


def test_a_block_rejects_the_pending_comments_it_matches(receiver: Receiver) -> None:
    post(receiver, name="S", comment="Buy", website="https://shop.spam.example/")
    post(receiver, **ALICE)
    result = block(receiver.store, "domain", "spam.example")
    assert result.added and [c.website for c in result.rejected] == ["https://shop.spam.example/"]
    assert [c.name for c in list_comments(receiver.store)] == ["Alice Example"]
    assert not block(receiver.store, "domain", "https://SPAM.example/").added  # the same block
    with pytest.raises(ValueError, match="not an IP address"):
        block(receiver.store, "ip", "999.1.1.1")


def commenter_cookie(answer: Answer) -> str:
    """The `name=value` of the commenter cookie a 303 from POST /comment sets, after checking its attributes."""
    cookie = answer.headers["set-cookie"]
    pair, *attributes = [part.strip() for part in cookie.split(";")]
    assert pair.startswith(COOKIE + "=") and len(pair) > len(COOKIE) + 40
    assert {"HttpOnly", "SameSite=Lax", f"Max-Age={365 * 24 * 3600}"} <= set(attributes)
    return pair


def test_a_name_and_website_anyone_can_copy_are_not_trusted(start: Callable[..., Receiver]) -> None:
    receiver = start("auto_approve_known = true\n")
    post(receiver, **ALICE)
    approve(receiver.store, [only(receiver).id])
    impostor = post(receiver, name="alice example", website="HTTPS://ALICE.EXAMPLE/", comment="Buy my pills")
    assert AWAITING in follow(receiver, impostor).text
    assert [c.status for c in receiver.store.comments()] == ["approved", "pending"]


def test_auto_approval_is_off_by_default(start: Callable[..., Receiver]) -> None:
    receiver = start()
    cookie = commenter_cookie(post(receiver, **ALICE))
    approve(receiver.store, [only(receiver).id])
    post(receiver, {"Cookie": cookie}, **ALICE)
    assert [c.status for c in receiver.store.comments()] == ["approved", "pending"]


def test_the_secret_cookie_of_an_approved_commenter_is_approved_at_once(start: Callable[..., Receiver]) -> None:
    receiver = start("auto_approve_known = true\n")
    first = post(receiver, **ALICE)
    cookie = commenter_cookie(first)
    assert AWAITING in follow(receiver, first).text
    again = post(receiver, {"Cookie": cookie}, name="Alice", comment="Before approval")
    assert commenter_cookie(again) == cookie  # the browser keeps one token
    approve(receiver.store, [receiver.store.comments()[0].id])
    later = post(receiver, {"Cookie": f"theme=dark; {cookie}"}, name="Alice E.", comment="Me again")
    assert later.headers["location"].endswith("&published=1") and PUBLISHED in follow(receiver, later).text
    forged = post(receiver, {"Cookie": cookie[:-4] + "AAAA"}, **ALICE)
    assert commenter_cookie(forged) != cookie
    assert [c.status for c in receiver.store.comments()] == ["approved", "pending", "approved", "pending"]
    token = cookie.partition("=")[2]
    with sqlite3.connect(receiver.store.path) as db:  # only a hash is kept, and nothing leaves through the API
        assert token not in repr(db.execute("SELECT * FROM comments").fetchall())
    db.close()
    assert token not in mentions(receiver.url).text


def test_the_cookie_is_secure_over_https(start: Callable[..., Receiver]) -> None:
    receiver = start(trusted_proxy="127.0.0.1")
    answer = post(receiver, {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}, **ALICE)
    assert "Secure" in [part.strip() for part in answer.headers["set-cookie"].split(";")]
    assert "Secure" not in post(receiver, **ALICE).headers["set-cookie"]


def test_comments_are_404_unless_enabled(start: Callable[..., Receiver]) -> None:
    receiver = start(enabled=False)
    assert post(receiver, **ALICE).status == 404
    assert call(receiver.url, "GET", "/comment/thanks?target=x").status == 404
    assert receiver.store.comments() == []


def test_other_methods(receiver: Receiver) -> None:
    get = call(receiver.url, "GET", "/comment")
    assert get.status == 405 and get.headers["allow"] == "POST"
    thanks = call(receiver.url, "POST", "/comment/thanks", b"", {"Content-Type": FORM})
    assert thanks.status == 405 and thanks.headers["allow"] == "GET, HEAD"


def test_the_thank_you_page_escapes_and_links_only_to_the_site(receiver: Receiver) -> None:
    def page(target: str) -> str:
        answer = call(receiver.url, "GET", "/comment/thanks?" + urlencode({"target": target}))
        assert answer.status == 200
        return answer.text

    for target in (
        "javascript:alert(1)",
        "https://evil.example/",
        '"><script>alert(1)</script>',
        'https://example.com/x"onmouseover="alert(1)',
    ):
        text = page(target)
        assert "<a " not in text and "<script>" not in text and 'onmouseover="' not in text
    assert f'<a href="{TARGET}">' in page(TARGET + "#comments")


# --- hostile content -----------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1)) and <javascript:alert(1)>",
    "<svg onload=alert(1)><circle/></svg>",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<iframe src=https://evil.example/></iframe>",
    "![x](https://tracker.example/pixel.gif)",
    '[ok](https://fine.example/ "title\\" onclick=\\"alert(1)")',
]


class ActiveMarkup(HTMLParser):
    """Collects what would be active in a browser: dangerous tags, event handlers, styles, non-http links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in (
            "script",
            "svg",
            "img",
            "iframe",
            "style",
            "object",
            "embed",
            "math",
            "form",
            "base",
            "meta",
            "link",
        ):
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "src", "srcdoc", "formaction"):
                self.found.append(f"{tag}[{name}]")
            if name == "href" and not (value or "").lower().startswith(("http://", "https://", "mailto:")):
                self.found.append(f"{tag}[href={value}]")
            if tag == "a" and name == "rel" and value != "nofollow ugc noopener":
                self.found.append(f"a[rel={value}]")


def active(html: str) -> list[str]:
    parser = ActiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.found


def test_no_payload_of_the_xss_corpus_survives_as_active_markup(start: Callable[..., Receiver]) -> None:
    receiver = start()
    for payload in XSS:
        assert post(receiver, name=payload[:100], comment=payload).status == 303, payload
    ids = [c.id for c in receiver.store.comments()]
    assert len(ids) == len(XSS)
    approve(receiver.store, ids)
    for comment in receiver.store.comments():
        assert active(comment.html) == [], (comment.markdown, comment.html)
    entries = children(receiver, target=TARGET)
    assert len(entries) == len(XSS)
    for entry in entries:
        assert active(entry["content"]["html"]) == [], entry
        assert "content" in entry and "<" not in entry["author"].get("url", "")
    names = {e["author"]["name"] for e in entries}
    assert "<script>alert(1)</script>" in names  # a name is text: kept as typed, escaped wherever shown
    assert all(name not in e["content"]["html"] for e in entries for name in names if "<" in name)
    raw = mentions(receiver.url, target=TARGET)
    assert raw.headers["content-type"] == "application/json" and raw.headers["x-content-type-options"] == "nosniff"


def test_markdown_is_rendered_safely_with_links_marked_ugc() -> None:
    assert render_markdown("Hi *there*, see [my post](https://a.example/p) `code`\n\n- one\n- two") == (
        '<p>Hi <em>there</em>, see <a href="https://a.example/p" rel="nofollow ugc noopener">my post</a> '
        "<code>code</code></p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    )
    assert render_markdown("<b>bold?</b>") == "<p>&lt;b&gt;bold?&lt;/b&gt;</p>"  # raw HTML is text
    assert render_markdown("![alt](https://t.example/i.png)") == (
        '<p>!<a href="https://t.example/i.png" rel="nofollow ugc noopener">alt</a></p>'
    )
    assert render_markdown("https://a.example/") == "<p>https://a.example/</p>"  # no linkify


# --- the database --------------------------------------------------------------------------------


def test_a_version_1_database_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "receiver.sqlite3"
    with sqlite3.connect(path) as db:  # what the first receiver wrote
        db.executescript(MIGRATIONS[1])
        db.execute(
            "INSERT INTO queue (source, target, received, next_attempt) VALUES (?, ?, ?, ?)",
            ("https://alice.example/r", TARGET, "2026-05-01T00:00:00.000000+00:00", "2026-05-01T00:00:00.000000+00:00"),
        )
        data = json.dumps(
            {"id": "https://alice.example/r", "type": "reply", "source": "https://alice.example/r", "target": TARGET}
        )
        db.execute(
            "INSERT INTO mentions VALUES (?, ?, ?, ?, ?, ?, 0)",
            ("https://alice.example/r", TARGET, data, *["2026-05-01T00:00:00.000000+00:00"] * 3),
        )
        db.execute("PRAGMA user_version = 1")
    db.close()
    store = Store(path)
    try:
        assert [(j.source, j.status) for j in store.jobs()] == [("https://alice.example/r", "pending")]
        assert [m.response.type for m in store.mentions(target=TARGET)] == ["reply"]
        assert store.comments() == [] and store.blocks() == []
        assert store.add_block("ip", "203.0.113.9")
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"queue", "mentions", "comments", "blocks"} <= tables
    db.close()
    Store(path).close()  # opening again changes nothing


# --- the command line ----------------------------------------------------------------------------


def cli(*args: str) -> Result:
    return CliRunner().invoke(
        comments_command, list(args), obj={"site": Path("."), "quiet": False}, catch_exceptions=False
    )


def test_the_comments_commands(receiver: Receiver) -> None:
    site, db = str(receiver.config.root), str(receiver.store.path)
    assert cli("--site", site).output == "No pending comments.\n"
    post(receiver, **{**ALICE, "comment": "\n  First line of it\nsecond line"})
    post(receiver, name="Spam\x1b[2J", website="https://shop.spam.example/", comment="Buy")
    alice, spam = receiver.store.comments()
    listed = cli("--site", site)  # the database under the site, found through site.toml
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{alice.id}  {alice.created:%Y-%m-%d %H:%M} UTC  {TARGET}  ")
    assert "Alice Example  https://alice.example/  127.0.0.1  First line of it" in lines[0] and "second" not in lines[0]
    assert "\x1b" not in listed.output and "  Spam[2J  " in lines[1]  # control characters never stored
    receiver.store.add_comment(replace(spam, id="evilname00", name="\x1b]0;owned\x07", markdown="\x9b2J"))
    assert "\x1b" not in cli("--db", db).output and "?]0;owned?  " in cli("--db", db).output  # nor printed
    reject(receiver.store, ["evilname00"])
    assert cli("list", "--db", db).output == listed.output

    approved = cli("approve", "--db", db, alice.id)
    assert approved.exit_code == 0 and approved.output == f"approved {alice.id} by Alice Example on {TARGET}\n"
    assert cli("approve", "--db", db, alice.id).output == f"{alice.id} was already approved\n"
    assert cli("--db", db).output.count("\n") == 1
    assert "approved" in cli("list", "--all", "--db", db).output

    unknown = cli("reject", "--db", db, "nosuchid00", spam.id)
    assert unknown.exit_code == 1 and "error: no comment nosuchid00" in unknown.output
    assert receiver.store.get_comment(spam.id).status == "rejected"  # type: ignore[union-attr]
    assert cli("list", "--db", db).output == "No pending comments.\n"

    post(receiver, name="Troll", website="https://troll.example/me", comment="Hah")
    troll = receiver.store.comments(status="pending")[0]
    blocked = cli("block", "--db", db, "--author", "https://TROLL.example/me/")
    assert blocked.exit_code == 0
    assert blocked.output == f"blocked author https://troll.example/me; rejected 1 pending comment: {troll.id}\n"
    assert (
        cli("block", "--db", db, "--ip", "203.0.113.0/24").output
        == "blocked ip 203.0.113.0/24; rejected 0 pending comments\n"
    )
    assert cli("block", "--db", db, "--domain", "spam.example").exit_code == 0
    assert cli("blocks", "--db", db).output.splitlines()[0].startswith("author  https://troll.example/me  (since ")
    assert len(cli("blocks", "--db", db).output.splitlines()) == 3
    assert cli("unblock", "--db", db, "--ip", "203.0.113.0/24").output == "unblocked ip 203.0.113.0/24\n"
    again = cli("unblock", "--db", db, "--ip", "203.0.113.0/24")
    assert again.exit_code == 1 and "ip 203.0.113.0/24 was not blocked" in again.output

    both = cli("block", "--db", db, "--ip", "203.0.113.9", "--domain", "x.example")
    assert both.exit_code == 2 and "give exactly one of --ip, --domain or --author" in both.output
    bad = cli("block", "--db", db, "--ip", "not-an-ip")
    assert bad.exit_code == 2 and "not an IP address or network" in bad.output


def test_the_commands_need_the_receivers_database(tmp_path: Path) -> None:
    site = site_config(tmp_path / "site").root
    answer = cli("list", "--site", str(site))
    assert answer.exit_code == 1 and "no receiver database here" in answer.output
    assert not (site / ".homepost/receiver.sqlite3").exists()


@pytest.mark.parametrize("name", ["", "list", "approve", "reject", "block", "unblock", "blocks"])
def test_every_comments_command_has_help(name: str) -> None:
    command = comments_command.commands.get(name, comments_command)
    assert command.help and command.help.strip()
    assert cli(*([name] if name else []), "--help").exit_code == 0
