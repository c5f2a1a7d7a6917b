"""`homepost newsletter send` against a real SMTP server on loopback (aiosmtpd), through its faults and a kill -9."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from generator.newsletter.store import NewsletterStore
from generator.webmention.receiver.store import Store
from tests.helpers import NOW, SITE_TOML, run_cli, write_files
from tests.sites import BLOG
from tests.smtp_sink import SinkServer

ROOT = Path(__file__).resolve().parent.parent
READERS = [f"reader{n}@mail.test" for n in range(1, 7)]
SUBJECTS = ['First post: "hello"', "中文标题的文章"]  # the posts published since 2026-01-10 with a title, and the note
POSTS = 3  # first post, the note, the CJK post


def make_site(root: Path, port: int, extra: str = "") -> Path:
    """The test blog with the newsletter on, sending to the sink, and six confirmed readers."""
    toml = (
        SITE_TOML + '\n[webmention]\nendpoint = "https://hooks.example.org/webmention"\n[newsletter]\nenabled = true\n'
        f'from = "Ada <ada@example.org>"\nsince = 2026-01-05\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f"rate = 0\n{extra}"
    )
    write_files(root, {**BLOG, "site.toml": toml})
    store = NewsletterStore(Store(root / ".homepost" / "receiver.sqlite3"))
    for address in READERS:
        store.subscribe(address, origin="cli", confirmed=True)
    store.store.close()
    return root


def send(site: Path, *args: str):
    return run_cli("newsletter", "send", "--site", str(site), *args, now=NOW)


@pytest.fixture
def server():
    with SinkServer() as running:
        yield running


def counts(server: SinkServer) -> Counter:
    return Counter((rcpt, str(message["Subject"])) for rcpt, message in server.sink.received)


def test_every_confirmed_reader_gets_each_new_post_once(tmp_path, server):
    site = make_site(tmp_path, server.port)
    result = send(site)
    assert result.exit_code == 0, result.output
    assert f"sent {len(READERS) * POSTS} emails" in result.output
    found = counts(server)
    assert len(found) == len(READERS) * POSTS and set(found.values()) == {1}
    again = send(site)
    assert "sent 0 emails" in again.output
    assert len(server.sink.received) == len(READERS) * POSTS


def test_the_email_is_multipart_with_rfc8058_headers_and_safe_html(tmp_path, server):
    site = make_site(tmp_path, server.port)
    send(site)
    message = next(m for m in server.sink.to(READERS[0]) if m["Subject"] == SUBJECTS[0])
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    for header in ("Message-ID", "Date", "List-Id", "Reply-To", "From", "To"):
        assert message[header], header
    unsubscribe = str(message["List-Unsubscribe"])
    assert re.fullmatch(
        r"<https://hooks\.example\.org/unsubscribe\?token=[^>]+>, <mailto:ada@example\.org\?subject=unsubscribe>",
        unsubscribe,
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "reader1" not in unsubscribe
    html = message.get_body(("html",)).get_content()
    assert "<script" not in html.lower() and "<link" not in html.lower() and "<style" not in html.lower()
    images = re.findall(r"<img\b[^>]*>", html)
    assert images and all(re.search(r'src="https://', i) and " alt=" in i and " width=" in i for i in images)
    assert "https://example.org/2026/01/first-post/" in html
    assert "Unsubscribe" in html and unsubscribe[1:].split(">")[0].replace("&", "&amp;") in html


def test_a_cjk_subject_round_trips(tmp_path, server):
    site = make_site(tmp_path, server.port)
    send(site)
    message = next(m for m in server.sink.to(READERS[0]) if "中文" in str(m["Subject"]))
    assert message["Subject"] == "中文标题的文章"
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw.lower() and "中文标题".encode() not in raw.split(b"\n\n", 1)[0]


def test_faults_neither_skip_nor_repeat(tmp_path, server):
    site = make_site(tmp_path, server.port, "max_bounces = 2\n")
    server.sink.faults.refuse_connect = 1
    first = send(site)
    assert first.exit_code == 1 and "421" in first.output and server.sink.received == []
    server.sink.faults.temporary.add(READERS[1])
    server.sink.faults.permanent.add(READERS[2])
    server.sink.faults.drop_at_data.add(READERS[3])
    second = send(site)
    assert second.exit_code == 0, second.output
    assert (
        "1 to retry later (4xx)" in second.output and "2 bounced" in second.output
    )  # then unsubscribed: the third post is not tried
    assert "1 unsubscribed by bounces" in second.output
    owed = [r for r in READERS if r != READERS[2]]
    found = counts(server)
    assert set(found.values()) == {1}
    assert len([k for k in found if k[0] == READERS[1]]) == POSTS - 1  # one post waits for a later run
    store = NewsletterStore(Store(site / ".homepost" / "receiver.sqlite3"))
    with store.store.transaction() as db:  # the backoff has passed
        db.execute("UPDATE newsletter_outbox SET next_attempt = '2000-01-01' WHERE state = 'retry'")
    store.store.close()
    third = send(site)
    assert third.exit_code == 0, third.output
    found = counts(server)
    assert set(found.values()) == {1} and len(found) == len(owed) * POSTS
    assert all(r != READERS[2] for r, _ in found)
    for output in (first.output, second.output, third.output):
        assert not any(reader in output for reader in READERS)


def test_a_refused_message_stops_the_run_with_the_servers_reply(tmp_path, server):
    site = make_site(tmp_path, server.port)
    server.sink.faults.reject_message = True
    result = send(site)
    assert result.exit_code == 1 and "554 5.7.1 message refused" in result.output
    server.sink.faults.reject_message = False
    assert send(site).exit_code == 0
    assert set(counts(server).values()) == {1} and len(counts(server)) == len(READERS) * POSTS


@pytest.mark.parametrize("fault", ["recorded:4", "delivered:4", "handing:4"])
def test_a_kill_9_mid_run_then_a_rerun_reaches_everyone_once(tmp_path, server, fault):
    site = make_site(tmp_path, server.port)
    command = [sys.executable, "-m", "generator", "newsletter", "send", "--site", str(site)]
    env = {**os.environ, "HOMEPOST_NEWSLETTER_FAULT": fault, "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
    killed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL
    env.pop("HOMEPOST_NEWSLETTER_FAULT")
    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    found = counts(server)
    assert set(found.values()) == {1}
    expected = len(READERS) * POSTS - (
        1 if fault.startswith("handing") else 0
    )  # the one unknown outcome is not repeated
    assert len(found) == expected
    if fault.startswith("handing"):
        assert "1 of unknown outcome" in rerun.stdout
    assert not any(reader in rerun.stdout + rerun.stderr + killed.stdout + killed.stderr for reader in READERS)


def test_dry_run_writes_eml_files_and_records_nothing(tmp_path, server):
    site = make_site(tmp_path, server.port)
    out = tmp_path / "dry"
    result = send(site, "--dry-run", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.eml"))
    assert len(files) == len(READERS) * POSTS and server.sink.received == []
    assert not any("@" in f.name for f in files)
    assert send(site).exit_code == 0 and len(server.sink.received) == len(READERS) * POSTS


def test_the_first_run_without_since_sends_nothing_older(tmp_path, server):
    site = make_site(tmp_path, server.port)
    toml = (site / "site.toml").read_text().replace("since = 2026-01-05\n", "")
    (site / "site.toml").write_text(toml)
    result = send(site)
    assert "First run" in result.output and server.sink.received == []


def test_the_publish_step_sends_once_and_skips_clearly(tmp_path, server):
    from generator.config import load_config
    from generator.newsletter.publishing import publish_step

    site = make_site(tmp_path, server.port)
    config = load_config(site)
    state, _, reason, _ = publish_step(config, NOW, dry_run=False)
    assert (state, reason) == ("done", f"sent {len(READERS) * POSTS} emails")
    assert publish_step(config, NOW, dry_run=False)[::2] == ("unchanged", "no new posts to mail")
    assert len(server.sink.received) == len(READERS) * POSTS
    (site / ".homepost" / "receiver.sqlite3").rename(site / "elsewhere.sqlite3")
    state, _, reason, _ = publish_step(config, NOW, dry_run=False)
    assert state == "skipped" and reason.startswith("no receiver database here")
    (site / "site.toml").write_text((site / "site.toml").read_text().replace("enabled = true", "enabled = false"))
    assert publish_step(load_config(site), NOW, dry_run=False)[::2] == (
        "skipped",
        "the newsletter is not enabled ([newsletter] enabled = false)",
    )


def test_a_weekly_digest_sends_one_email_per_ended_week(tmp_path, server):
    site = make_site(tmp_path, server.port, 'digest = "weekly"\nmode = "excerpt"\n')
    write_files(
        site, {"content/posts/2026-03-06-same-week.md": "---\ntitle: Same Week\ndate: 2026-03-06 09:00\n---\n\nMore.\n"}
    )
    result = send(site)
    assert result.exit_code == 0, result.output
    subjects = sorted({str(m["Subject"]) for m in server.sink.to(READERS[0])})
    assert subjects == ["Test Site: 2026-W02", "Test Site: 2026-W05", "Test Site: 2026-W10"]
    week10 = next(m for m in server.sink.to(READERS[0]) if str(m["Subject"]).endswith("W10"))
    text = week10.get_body(("plain",)).get_content()
    assert (
        "中文标题的文章" in text
        and "Same Week" in text
        and "Read the whole post" in week10.get_body(("html",)).get_content()
    )
    assert len(server.sink.received) == len(READERS) * 3


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only
def test_the_password_comes_from_the_environment_and_a_wrong_one_stops_the_run(tmp_path, monkeypatch):
    with SinkServer(login=("ada", "s3cret-pass")) as server:
        site = make_site(tmp_path, server.port, 'username = "ada"\n')
        monkeypatch.setenv("HOMEPOST_NEWSLETTER_PASSWORD", "wrong-pass")
        refused = send(site)
        assert refused.exit_code == 1 and "refused the login of 'ada'" in refused.output
        assert "wrong-pass" not in refused.output and server.sink.received == []
        monkeypatch.setenv("HOMEPOST_NEWSLETTER_PASSWORD", "s3cret-pass")
        accepted = send(site)
        assert accepted.exit_code == 0, accepted.output
        assert len(server.sink.received) == len(READERS) * POSTS


def test_an_email_gmail_would_clip_gets_a_warning(tmp_path, server):
    site = make_site(tmp_path, server.port)
    write_files(
        site,
        {
            "content/posts/2026-05-01-long.md": "---\ntitle: Long\ndate: 2026-05-01\n---\n\n"
            + "Words and more words. " * 6000
        },
    )
    result = send(site, "content/posts/2026-05-01-long.md")
    assert result.exit_code == 0, result.output
    assert result.output.count("Gmail clips emails over 102 KB") == 1 and 'mode = "excerpt"' in result.output
