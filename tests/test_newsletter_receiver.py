"""Subscribing, confirming and unsubscribing through the real receiver, with a real HTTP client and SMTP sink."""

from __future__ import annotations

import http.client
import logging
import re
from urllib.parse import urlencode, urlsplit

import pytest

from generator.newsletter.send import send_newsletter
from generator.newsletter.smtp import SmtpConnection
from generator.newsletter.store import NewsletterStore
from generator.pipeline.build import read_site
from tests.helpers import NOW, write_files
from tests.receiver_helpers import FORM, call, site_config, start_receiver, wait_for
from tests.sites import BLOG
from tests.smtp_sink import SinkServer

READER = "Reader.One@Mail.test"


@pytest.fixture
def running(tmp_path):
    with SinkServer() as sink:
        extra = (
            '\n[webmention]\nendpoint = "https://hooks.example.com/webmention"\n[newsletter]\nenabled = true\n'
            f'from = "Ada <ada@example.com>"\nhost = "127.0.0.1"\nport = {sink.port}\nsecurity = "none"\n'
            "rate = 0\nsince = 2026-01-01\n"
        )
        write_files(tmp_path, BLOG)
        config = site_config(tmp_path, extra)
        receiver = start_receiver(config, tmp_path / "receiver.sqlite3")
        try:
            yield config, receiver, sink
        finally:
            receiver.stop()


def subscribe(url: str, address: str, **extra: str):
    return call(url, "POST", "/subscribe", urlencode({"email": address, **extra}).encode(), {"Content-Type": FORM})


def link_in(message, pattern: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(pattern, text).group(0)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


class Lines(logging.Handler):
    """Every record of a logger, formatted, whatever the CLI did to the logging tree before."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def newsletter_log():
    logger, handler = logging.getLogger("generator.newsletter"), Lines()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_subscribe_confirm_and_one_click_unsubscribe(running, newsletter_log):
    config, receiver, sink = running
    answer = subscribe(receiver.url, READER)
    assert answer.status == 200 and "Check your inbox" in answer.text
    message = wait_for(lambda: sink.sink.to(READER) and sink.sink.to(READER)[0], "the confirmation email")
    assert "Confirm" in str(message["Subject"])
    confirm = link_in(message, r"https://hooks\.example\.com/subscribe/confirm\?token=\S+")
    assert "Reader" not in confirm and "mail.test" not in confirm
    shown = call(receiver.url, "GET", path_of(confirm))
    assert shown.status == 200 and '<form method="post"' in shown.text
    store = NewsletterStore(receiver.store)
    assert store.counts()["pending"] == 1  # a GET (a mail scanner) confirms nothing
    done = call(receiver.url, "POST", path_of(confirm), b"", {"Content-Type": FORM})
    assert done.status == 200 and "You are subscribed" in done.text
    assert store.counts()["confirmed"] == 1
    again = call(receiver.url, "POST", path_of(confirm), b"", {"Content-Type": FORM})
    assert again.status == 400  # single use
    report = send_newsletter(config, store, read_site(config, NOW), SmtpConnection(config.newsletter, None))
    assert report.sent == 3  # the posts published since 2026-01-01
    issue = [m for m in sink.sink.to(READER) if m["List-Unsubscribe"]][0]
    unsubscribe = re.match(r"<(https://[^>]+)>", str(issue["List-Unsubscribe"])).group(1)
    assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = call(receiver.url, "POST", path_of(unsubscribe), b"List-Unsubscribe=One-Click", {"Content-Type": FORM})
    assert one_click.status == 200 and "no more emails" in one_click.text
    assert store.counts() == {"pending": 0, "confirmed": 0, "unsubscribed": 1}
    assert newsletter_log and not any("mail.test" in line.lower() for line in newsletter_log)


def test_the_answer_is_the_same_whatever_the_address_state(running):
    config, receiver, sink = running
    store = NewsletterStore(receiver.store)
    store.subscribe("known@mail.test", origin="cli", confirmed=True)
    answers = [subscribe(receiver.url, address) for address in ("new@mail.test", "known@mail.test", "new@mail.test")]
    answers.append(subscribe(receiver.url, "bot@mail.test", email_confirm="x"))  # the honeypot
    assert len({(a.status, a.body) for a in answers}) == 1
    wait_for(lambda: sink.sink.to("new@mail.test"), "the confirmation email")
    assert store.counts() == {"pending": 1, "confirmed": 1, "unsubscribed": 0}  # the honeypot stored nothing
    assert sink.sink.to("known@mail.test") == []


def test_a_bad_address_is_400_and_too_many_requests_429(running):
    config, receiver, sink = running
    bad = subscribe(receiver.url, "not an address")
    assert bad.status == 400 and "not an email address" in bad.text and "not an address" not in bad.text
    statuses = [subscribe(receiver.url, f"r{n}@mail.test").status for n in range(12)]
    assert statuses[-1] == 429


def test_one_click_unsubscribe_accepts_a_multipart_body_and_a_forged_token_is_refused(running):
    config, receiver, sink = running
    from generator.newsletter.compose import NewsletterLinks
    from generator.newsletter.tokens import unsubscribe_token

    store = NewsletterStore(receiver.store)
    subscriber = store.subscribe("one@mail.test", origin="cli", confirmed=True)
    url = NewsletterLinks(config).unsubscribe(unsubscribe_token(store.secret(), subscriber.id, subscriber.nonce))
    forged = call(receiver.url, "POST", path_of(url).replace("token=u.", "token=u.9"), b"", {"Content-Type": FORM})
    assert forged.status == 400 and store.counts()["confirmed"] == 1
    body = b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n'
    answer = call(receiver.url, "POST", path_of(url), body, {"Content-Type": "multipart/form-data; boundary=XyZ"})
    assert answer.status == 200 and store.counts()["unsubscribed"] == 1


def test_a_confirmation_refused_for_now_is_tried_again_later(running):
    config, receiver, sink = running
    sink.sink.faults.temporary.add("later@mail.test")
    assert subscribe(receiver.url, "later@mail.test").status == 200
    rows = wait_for(
        lambda: [r for r in receiver.store.query("SELECT status, attempts, result FROM newsletter_mail") if r[1]],
        "the postponed confirmation",
    )
    assert rows == [("pending", 1, "451 4.3.0 try again later")] and sink.sink.to("later@mail.test") == []
    with receiver.store.transaction() as db:  # the backoff has passed
        db.execute("UPDATE newsletter_mail SET next_attempt = '2000-01-01'")
    receiver.mailer.wake()
    wait_for(lambda: sink.sink.to("later@mail.test"), "the confirmation on the second try")
    assert len(sink.sink.to("later@mail.test")) == 1


def test_a_subscription_is_queued_before_the_answer_and_survives_a_kill_9(tmp_path):
    from tests.receiver_helpers import ReceiverProcess, write_site

    with SinkServer() as sink:
        site = write_site(
            tmp_path / "site",
            '\n[webmention]\nendpoint = "https://hooks.example.com/webmention"\n'
            f'[newsletter]\nenabled = true\nfrom = "Ada <ada@example.com>"\nhost = "127.0.0.1"\n'
            f'port = {sink.port}\nsecurity = "none"\n',
        )
        killed = ReceiverProcess(site, tmp_path / "receiver.sqlite3", fault="subscribe.queued")
        try:
            with pytest.raises((http.client.HTTPException, OSError)):  # the process dies before it answers
                subscribe(killed.url, "crash@mail.test")
        finally:
            killed.close()
        assert killed.process.returncode == -9 and sink.sink.received == []
        again = ReceiverProcess(site, tmp_path / "receiver.sqlite3")
        try:
            message = wait_for(lambda: sink.sink.to("crash@mail.test"), "the confirmation after the restart")
            assert "Confirm" in str(message[0]["Subject"])
            assert "crash@mail.test" not in "".join(killed.log + again.log)
        finally:
            again.close()
