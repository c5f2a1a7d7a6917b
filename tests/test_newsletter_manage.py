"""Newsletter commands: subscribers, import (Mailchimp, Substack, Buttondown, Ghost), export, preview, test, tokens."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from generator.newsletter.store import NewsletterStore
from generator.newsletter.tokens import confirm_token, read_token
from generator.webmention.receiver.store import Store
from tests.helpers import NOW, run_cli
from tests.smtp_sink import SinkServer
from tests.test_newsletter_send import make_site

DB = Path(".homepost") / "receiver.sqlite3"


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path, 2525)


def cli(site: Path, *args: str):
    return run_cli("newsletter", *args, "--site", str(site), now=NOW)


def test_subscribers_counts_and_lists_redacted_unless_asked(site):
    result = cli(site, "subscribers")
    assert result.exit_code == 0 and "0 pending, 6 confirmed, 0 unsubscribed." in result.output
    listed = cli(site, "subscribers", "--list")
    assert "r…@mail.test" in listed.output and "reader1@mail.test" not in listed.output
    shown = cli(site, "subscribers", "--show-addresses")
    assert "reader1@mail.test" in shown.output


def test_add_and_remove(site):
    assert (
        "Added the address as confirmed."
        in run_cli("newsletter", "subscribers", "add", "New@Mail.test", "--site", str(site)).output
    )
    assert (
        "Already subscribed."
        in run_cli("newsletter", "subscribers", "add", "new@mail.TEST", "--site", str(site)).output
    )
    removed = run_cli("newsletter", "subscribers", "remove", "NEW@mail.test", "--site", str(site))
    assert "Unsubscribed the address." in removed.output
    assert "0 pending, 6 confirmed, 1 unsubscribed." in cli(site, "subscribers").output
    bad = run_cli("newsletter", "subscribers", "add", "nope", "--site", str(site))
    assert bad.exit_code == 1 and "not an email address" in bad.output


@pytest.mark.parametrize(
    "name, text, expected",
    [
        (
            "subscribed_members_export_1.csv",
            "Email Address,First Name,OPTIN_TIME,CONFIRM_TIME\n"
            "a@m.test,A,2024-01-01,2024-01-01\nb@m.test,B,2024-01-01,\n",
            {"a@m.test": "confirmed", "b@m.test": "confirmed"},
        ),
        (
            "unsubscribed_members_export.csv",
            "Email Address,OPTIN_TIME,UNSUB_TIME\nc@m.test,2024-01-01,2024-02-01\n",
            {"c@m.test": "unsubscribed"},
        ),
        (
            "substack.csv",
            "email,active_subscription,expiry,plan,email_disabled,created_at\na@s.test,false,,free,false,2024\nb@s.test,false,,free,true,2024\n",
            {"a@s.test": "confirmed", "b@s.test": "unsubscribed"},
        ),
        (
            "buttondown.csv",
            "email,subscriber_type,creation_date\na@b.test,regular,2024\nb@b.test,unactivated,2024\nc@b.test,unsubscribed,2024\n",
            {"a@b.test": "confirmed", "b@b.test": "pending", "c@b.test": "unsubscribed"},
        ),
        (
            "buttondown-api.csv",
            "id,email_address,creation_date,notes,type\n1,d@b.test,2024,,premium\n2,e@b.test,2024,,removed\n",
            {"d@b.test": "confirmed", "e@b.test": "unsubscribed"},
        ),
        (
            "ghost.csv",
            "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels\n"
            "1,a@g.test,A,,true,,,2024,,\n2,b@g.test,B,,false,,,2024,,\n",
            {"a@g.test": "confirmed", "b@g.test": "unsubscribed"},
        ),
        ("plain.csv", "email\na@p.test\nnot-an-address\n", {"a@p.test": "pending"}),
    ],
)
def test_import_confirms_only_when_the_file_says_so(site, tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run_cli("newsletter", "import", str(path), "--site", str(site))
    assert result.exit_code == 0, result.output
    store = NewsletterStore(Store(site / DB))
    found = {s.address: s.state for s in store.subscribers() if s.address in expected}
    store.store.close()
    assert found == expected
    if name == "plain.csv":
        assert "skipped 1 line without a valid address (lines 3)" in result.output


def test_an_import_never_brings_back_an_address_that_left(site, tmp_path):
    run_cli("newsletter", "subscribers", "remove", "reader1@mail.test", "--site", str(site))
    path = tmp_path / "ghost.csv"
    path.write_text("email,subscribed_to_emails\nreader1@mail.test,true\n", encoding="utf-8")
    run_cli("newsletter", "import", str(path), "--site", str(site))
    assert "0 pending, 5 confirmed, 1 unsubscribed." in cli(site, "subscribers").output


def test_import_of_a_file_without_an_email_column_names_the_file(site, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name,phone\nA,1\n", encoding="utf-8")
    result = run_cli("newsletter", "import", str(path), "--site", str(site))
    assert result.exit_code == 1 and "people.csv" in result.output and "email column" in result.output


def test_export_writes_every_subscriber(site, tmp_path):
    out = tmp_path / "out.csv"
    result = run_cli("newsletter", "export", str(out), "--site", str(site))
    assert result.exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "email,state,origin,created,confirmed_at,bounces" and len(lines) == 7
    assert out.stat().st_mode & 0o077 == 0


def test_preview_writes_the_eml_and_html(site, tmp_path):
    result = cli(
        site, "preview", "content/posts/2026-03-05-中文标题/index.md", "--out", str(tmp_path / "p"), "--no-open"
    )
    assert result.exit_code == 0, result.output
    eml = next((tmp_path / "p").glob("*.eml"))
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == "中文标题的文章"
    html = next((tmp_path / "p").glob("*.html")).read_text(encoding="utf-8")
    assert "第一段文字" in html and '<html lang="zh"' in html


def test_test_sends_one_email_to_the_address(tmp_path):
    with SinkServer() as server:
        site = make_site(tmp_path, server.port)
        result = cli(site, "test", "me@mail.test")
        assert result.exit_code == 0, result.output
        assert [str(m["Subject"]) for m in server.sink.to("me@mail.test")] == ["[test] 中文标题的文章"]


def test_send_without_the_database_says_where_it_looked(site):
    (site / DB).unlink()
    result = cli(site, "send")
    assert result.exit_code == 1 and "no receiver database here" in result.output


def test_send_and_test_name_the_missing_setting_without_a_traceback(site):
    toml = (site / "site.toml").read_text(encoding="utf-8")
    (site / "site.toml").write_text(toml.replace('from = "Ada <ada@example.org>"', ""), encoding="utf-8")
    for command in (("send",), ("test", "me@mail.test")):
        result = cli(site, *command)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "site.toml: newsletter.from: required: the address emails come from" in result.output
        assert "newsletter failed with 1 error." in result.output


def test_test_refuses_a_malformed_address(site):
    result = cli(site, "test", "nope")
    assert (
        result.exit_code == 1
        and "ADDRESS: " in result.output
        and "newsletter test failed with 1 error." in result.output
    )


def test_a_confirm_token_expires_and_a_forged_one_is_refused():
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    token = confirm_token("secret", 7, "nonce1234", now)
    read = read_token("secret", token)
    assert read and read.subscriber == 7 and read.expires == now + dt.timedelta(hours=48)
    assert read_token("other", token) is None
    assert read_token("secret", token.replace("c.7.", "c.8.")) is None


def test_the_theme_shows_the_subscribe_form_on_posts_the_home_page_and_subscribe(site):
    from tests.helpers import build

    result = build(site)
    assert result.exit_code == 0, result.output
    out = site / "public"
    for page in ("index.html", "2026/01/first-post/index.html", "subscribe/index.html"):
        text = (out / page).read_text(encoding="utf-8")
        assert 'action="https://hooks.example.org/subscribe"' in text, page
        assert '<label for="subscribe-email">' in text and 'id="subscribe-email" name="email" type="email"' in text
        assert (
            'autocomplete="email"' in text
            and 'name="email_confirm"' in text
            and "<script" not in text.split("<form")[1]
        )
    assert "reader1@mail.test" not in "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*.html")
    )


def test_without_the_newsletter_there_is_no_form(site):
    from tests.helpers import build

    (site / "site.toml").write_text((site / "site.toml").read_text().replace("enabled = true", "enabled = false"))
    build(site)
    assert not (site / "public" / "subscribe").exists()
    assert "subscribe-form" not in (site / "public" / "index.html").read_text(encoding="utf-8")


def test_the_database_is_made_readable_by_its_owner_only(site):
    (site / DB).chmod(0o644)
    cli(site, "subscribers")
    assert (site / DB).stat().st_mode & 0o077 == 0


def test_a_confirm_link_older_than_48_hours_confirms_nothing(tmp_path):
    now = [dt.datetime(2026, 6, 1, tzinfo=dt.UTC)]
    store = NewsletterStore(Store(tmp_path / "db.sqlite3", clock=lambda: now[0]))
    pending = store.subscribe("late@mail.test")
    token = confirm_token(store.secret(), pending.id, pending.nonce, now[0])
    now[0] += dt.timedelta(hours=49)
    assert store.confirm(token) is False and store.counts()["pending"] == 1
    now[0] -= dt.timedelta(hours=2)
    assert store.confirm(token) is True and store.confirm(token) is False
    store.store.close()
