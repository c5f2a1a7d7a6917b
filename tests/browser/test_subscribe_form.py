"""The newsletter's subscribe form as a reader uses it: reached and filled in by keyboard on
/subscribe/, sent to a receiver started by the test, answered with "check your inbox"; the pages
with the form through axe and the Nu Html Checker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from generator.config import load_config
from generator.webmention.receiver import Receiver, ReceiverOptions, WorkerOptions
from tests.browser.checks import axe_problems, send_form_by_keyboard, tab_to, vnu_problems
from tests.browser.conftest import Opener, Served, copy_example, homepost, serve
from tests.smtp_sink import SinkServer

PLACEHOLDER = "https://hooks.homepost.example/subscribe"


@dataclass(frozen=True)
class Subscribing:
    """The example site built with `[newsletter] enabled = true`, its form posting to a receiver."""

    served: Served
    receiver: Receiver
    sink: SinkServer


@pytest.fixture(scope="module")
def subscribing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Subscribing]:
    work = tmp_path_factory.mktemp("subscribing")
    with SinkServer() as sink:
        extra = (
            f'\n[newsletter]\nenabled = true\nendpoint = "{PLACEHOLDER}"\nfrom = "Lin Yue <lin@homepost.example>"\n'
            f'host = "127.0.0.1"\nport = {sink.port}\nsecurity = "none"\n'
        )
        root = copy_example(work / "site", extra)
        options = ReceiverOptions(port=0, db_path=work / "receiver.sqlite3", worker=WorkerOptions(poll_interval=0.05))
        receiver = Receiver(load_config(root), options)
        receiver.start()
        try:
            config = (root / "site.toml").read_text(encoding="utf-8")
            (root / "site.toml").write_text(config.replace(PLACEHOLDER, receiver.url + "subscribe"), encoding="utf-8")
            homepost("build", "--site", str(root))
            served = serve(root / "public", load_config(root).site.url)
            try:
                yield Subscribing(served, receiver, sink)
            finally:
                served.close()
        finally:
            receiver.stop()


def test_a_reader_subscribes_by_keyboard_and_is_asked_to_confirm(open_tab: Opener, subscribing: Subscribing) -> None:
    receiver = subscribing.receiver.url.rstrip("/")
    visit = open_tab(subscribing.served, also=(receiver,))
    visit.goto("/subscribe/")
    page = visit.page
    tab_to(visit, "subscribe-email", "the subscribe form's email field")
    assert page.get_by_label("Email address").get_attribute("autocomplete") == "email"
    page.keyboard.type("robin@mail.test")
    send_form_by_keyboard(visit, f"{receiver}/subscribe")
    assert "Check your inbox" in page.inner_text("body")
    visit.assert_no_problems()
    assert subscribing.receiver.store.query("SELECT state FROM subscribers") == [("pending",)]


def test_the_pages_with_the_form_have_no_accessibility_or_html_errors(
    open_tab: Opener, subscribing: Subscribing, axe_source: str, java: str
) -> None:
    folder = subscribing.served.folder
    post = next(
        p
        for p in sorted(folder.rglob("index.html"))
        if "subscribe-form" in p.read_text(encoding="utf-8") and p.parent.name not in ("subscribe", folder.name)
    )
    paths = ["/", "/subscribe/", "/" + post.parent.relative_to(folder).as_posix() + "/"]
    problems = axe_problems(open_tab(subscribing.served), axe_source, paths)
    assert not problems, "\n".join(problems)
    files = {folder / "index.html": "home", folder / "subscribe" / "index.html": "subscribe", post: "a post"}
    problems = vnu_problems(java, files)
    assert not problems, "\n".join(problems)
