"""The receiver's standing attack suite: hostile requests get a safe answer, and slow clients cannot deny service.

Every request goes to a real receiver on loopback. A safe answer is a 4xx (never a 500, never a
hang), an unescaped echo of nothing, and nothing stored that should not be.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from markupsafe import escape

from generator.config import NetworkSettings, load_config
from generator.webmention.receiver import Receiver, ReceiverOptions
from generator.webmention.receiver.guard import ConnectionLimits
from generator.webmention.receiver.moderation import approve
from tests.helpers import SITE_TOML, build, run_cli, theme_script, write_files
from tests.receiver_helpers import FAST, FORM, TARGET, WAIT, Answer, call, mentions, site_config, wait_for

OTHER_CLIENT = "127.0.0.2"  # Linux routes all of 127.0.0.0/8 to loopback: a second client address


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Receiver]]:
    """Start receivers (ConnectionLimits fields as keywords) for a site with comments on; all stopped afterwards."""
    started: list[Receiver] = []

    def run(extra: str = "", trusted_proxy: str | None = None, **limits: float) -> Receiver:
        config = site_config(tmp_path / "site", "\n[comments]\nenabled = true\nrate_limit = 1000\n" + extra)
        options = ReceiverOptions(
            host="127.0.0.1", port=0, worker=FAST, trusted_proxy=trusted_proxy, limits=ConnectionLimits(**limits)
        )  # type: ignore[arg-type]
        receiver = Receiver(config, options)
        receiver.start()
        started.append(receiver)
        return receiver

    yield run
    for receiver in started:
        receiver.stop()


def request_from(address: str, receiver: Receiver, method: str = "GET", path: str = "/api/mentions") -> Answer:
    """One request from a given loopback address."""
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=WAIT, source_address=(address, 0))
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def idle_connections(stack: ExitStack, receiver: Receiver, count: int, first_bytes: bytes = b"") -> list[socket.socket]:
    """`count` connections from 127.0.0.1 that send `first_bytes` and then nothing; closed with the stack."""
    sockets = []
    for _ in range(count):
        sock = stack.enter_context(socket.create_connection(("127.0.0.1", receiver.port), timeout=WAIT))
        if first_bytes:
            sock.sendall(first_bytes)
        sockets.append(sock)
    return sockets


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed the connection (reading gives end of file or a reset)."""
    try:
        sock.settimeout(WAIT)
        while data := sock.recv(4096):
            if data.startswith(b"HTTP/1.1 4") or data.startswith(b"HTTP/1.0 4"):
                continue  # an answer before closing is fine
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


# --- slow and idle clients (issue 17, item 3) ----------------------------------------------------


def test_idle_connections_from_one_address_do_not_deny_service_to_another(start: Callable[..., Receiver]) -> None:
    receiver = start()
    with ExitStack() as stack:
        idle_connections(stack, receiver, 110)
        idle_connections(stack, receiver, 10, b"POST /comment HTTP/1.1\r\nHost: x\r\n")  # slowloris: headers never end
        answer = request_from(OTHER_CLIENT, receiver)
        assert answer.status == 200 and answer.json()["type"] == "feed"


def test_connections_over_the_per_client_cap_are_closed_at_once(start: Callable[..., Receiver]) -> None:
    receiver = start(per_client=5)
    with ExitStack() as stack:
        kept = idle_connections(stack, receiver, 5)
        [extra] = idle_connections(stack, receiver, 1)
        assert closed_by_server(extra)
        assert request_from(OTHER_CLIENT, receiver).status == 200
        kept[0].close()  # one slot free again
        wait_for(lambda: request_from("127.0.0.1", receiver).status == 200, "a free slot for 127.0.0.1")


def test_a_request_whose_headers_never_end_is_cut_off(start: Callable[..., Receiver]) -> None:
    receiver = start(request_timeout=1.0)
    with ExitStack() as stack:
        [slow] = idle_connections(stack, receiver, 1, b"POST /webmention HTTP/1.1\r\n")
        assert closed_by_server(slow)


def test_a_request_trickling_in_a_byte_at_a_time_is_cut_off(start: Callable[..., Receiver]) -> None:
    receiver = start(request_timeout=1.0)
    done = threading.Event()
    with ExitStack() as stack:
        [slow] = idle_connections(stack, receiver, 1, b"POST /comment HTTP/1.1\r\n")

        def trickle() -> None:  # a header byte every 0.1 s: never idle, never finished
            while not done.wait(0.1):
                try:
                    slow.send(b"X")
                except OSError:
                    return

        sender = threading.Thread(target=trickle, daemon=True)
        sender.start()
        try:
            assert closed_by_server(slow)
        finally:
            done.set()
            sender.join(WAIT)


def test_behind_a_trusted_proxy_its_connections_are_not_capped(start: Callable[..., Receiver]) -> None:
    receiver = start(per_client=2, trusted_proxy="127.0.0.1")
    with ExitStack() as stack:
        idle_connections(stack, receiver, 5)
        assert request_from("127.0.0.1", receiver).status == 200


def test_an_idle_connection_is_closed(start: Callable[..., Receiver]) -> None:
    receiver = start(idle_timeout=1)
    with ExitStack() as stack:
        [idle] = idle_connections(stack, receiver, 1)
        assert closed_by_server(idle)


# --- hostile requests: a 4xx, never a 500, nothing stored ----------------------------------------


def raw(receiver: Receiver, data: bytes) -> bytes:
    """Send bytes as they are and read the whole answer (the connection is closed after it)."""
    if b"\r\n" in data:  # ask to close after the answer (a request line alone is HTTP/0.9: it closes anyway)
        first, rest = data.split(b"\r\n", 1)
        data = first + b"\r\nConnection: close\r\n" + rest
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=WAIT) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def post_body(receiver: Receiver, path: str, body: bytes, content_type: str = FORM) -> Answer:
    return call(receiver.url, "POST", path, body, {"Content-Type": content_type})


def assert_refused(answer: Answer, *payloads: str) -> None:
    """A client error that echoes none of the payloads unescaped and shows no traceback."""
    assert 400 <= answer.status < 500, (answer.status, answer.body[:200])
    assert b"Traceback" not in answer.body
    for payload in payloads:
        assert payload.encode() not in answer.body or "<" not in payload


def nothing_stored(receiver: Receiver) -> bool:
    return receiver.store.jobs() == [] and receiver.store.comments() == []


HOSTILE_WEBMENTIONS: dict[str, tuple[bytes, str]] = {
    "json instead of a form": (
        b'{"source": "https://a.example/", "target": "%s"}' % TARGET.encode(),
        "application/json",
    ),
    "multipart": (
        b"--x\r\nContent-Disposition: form-data; name=source\r\n\r\nhttps://a.example/\r\n--x--\r\n",
        "multipart/form-data; boundary=x",
    ),
    "empty body": (b"", FORM),
    "only separators": (b"&&&===&&&", FORM),
    "broken percent-escapes": (b"source=%zz%&target=%%%", FORM),
    "invalid UTF-8": (b"source=https://a.example/\xff\xfe&target=" + TARGET.encode(), FORM),
    "percent-encoded invalid UTF-8": (b"source=https%3A%2F%2F%FF%FE.example%2F&target=" + TARGET.encode(), FORM),
    "UTF-16 body": (("source=https://a.example/&target=" + TARGET).encode("utf-16"), FORM + "; charset=utf-16"),
    "ten thousand fields": (b"&".join([b"a=1"] * 4000), FORM),
    "a field repeated": (urlencode([("source", "https://a.example/")] * 50 + [("target", TARGET)]).encode(), FORM),
    "javascript: source": (urlencode({"source": "javascript:alert(1)//", "target": TARGET}).encode(), FORM),
    "data: source": (
        urlencode({"source": "data:text/html,<script>alert(1)</script>", "target": TARGET}).encode(),
        FORM,
    ),
    "file: source": (urlencode({"source": "file:///etc/passwd", "target": TARGET}).encode(), FORM),
    "gopher: source": (urlencode({"source": "gopher://a.example:70/", "target": TARGET}).encode(), FORM),
    "source with a newline": (
        urlencode({"source": "https://a.example/\r\nSet-Cookie: x=1", "target": TARGET}).encode(),
        FORM,
    ),
    "source with markup": (
        urlencode({"source": 'https://a.example/"><script>alert(1)</script>', "target": TARGET}).encode(),
        FORM,
    ),
    "a very long source": (urlencode({"source": "https://a.example/" + "a" * 2100, "target": TARGET}).encode(), FORM),
    "a bad port": (urlencode({"source": "https://a.example:99999/", "target": TARGET}).encode(), FORM),
    "no host": (urlencode({"source": "https:///path", "target": TARGET}).encode(), FORM),
    "target elsewhere": (urlencode({"source": "https://a.example/", "target": "https://evil.example/"}).encode(), FORM),
    "target with credentials": (
        urlencode({"source": "https://a.example/", "target": "https://x@evil.example/"}).encode(),
        FORM,
    ),
    "oversized": (b"source=https://a.example/&target=" + TARGET.encode() + b"&pad=" + b"a" * 20_000, FORM),
}


@pytest.mark.parametrize("name", HOSTILE_WEBMENTIONS)
def test_a_hostile_webmention_is_refused_and_nothing_is_queued(start: Callable[..., Receiver], name: str) -> None:
    receiver = start()
    body, content_type = HOSTILE_WEBMENTIONS[name]
    answer = post_body(receiver, "/webmention", body, content_type)
    assert_refused(answer, "<script>")
    assert "set-cookie" not in answer.headers
    assert nothing_stored(receiver)


SQLISH = ["'; DROP TABLE queue; --", '" OR 1=1 --', "Robert'); DROP TABLE comments;--", "%27%20OR%20%271%27=%271"]


def test_sql_looking_input_is_stored_as_text(start: Callable[..., Receiver]) -> None:
    receiver = start()
    for text in SQLISH:
        source = "https://a.example/?q=" + quote(text)
        assert (
            post_body(receiver, "/webmention", urlencode({"source": source, "target": TARGET}).encode()).status == 202
        )
        form = {"target": TARGET, "name": text, "comment": text}
        assert post_body(receiver, "/comment", urlencode(form).encode()).status == 303
    assert [job.source for job in receiver.store.jobs()] == ["https://a.example/?q=" + quote(t) for t in SQLISH]
    assert [(c.name, c.markdown) for c in receiver.store.comments()] == [(t, t) for t in SQLISH]
    assert mentions(receiver.url, target="' OR 1=1 --").json()["children"] == []
    assert mentions(receiver.url, since="2026-01-01T00:00:00Z' OR '1'='1").status == 400


HOSTILE_COMMENTS = {
    "no target": {"name": "A", "comment": "x"},
    "target elsewhere": {"target": "https://evil.example/", "name": "A", "comment": "x"},
    "javascript: target": {"target": "javascript:alert(1)", "name": "A", "comment": "x"},
    "javascript: website": {"target": TARGET, "name": "A", "comment": "x", "website": "javascript:alert(1)"},
    "data: website": {
        "target": TARGET,
        "name": "A",
        "comment": "x",
        "website": "data:text/html,<script>alert(1)</script>",
    },
    "a name of control characters": {"target": TARGET, "name": "\x00\x01\u202e", "comment": "x"},
    "a very long name": {"target": TARGET, "name": "A" * 101, "comment": "x"},
    "a comment too long": {"target": TARGET, "name": "A", "comment": "x" * 5001},
    "reply_to markup": {"target": TARGET, "name": "A", "comment": "x", "reply_to": '"><script>alert(1)</script>'},
    "a very long target": {"target": TARGET + "a" * 2100, "name": "A", "comment": "x"},
    "website with markup": {
        "target": TARGET,
        "name": "A",
        "comment": "x",
        "website": 'https://a.example/"onmouseover="x',
    },
}


@pytest.mark.parametrize("name", HOSTILE_COMMENTS)
def test_a_hostile_comment_is_refused_and_nothing_is_stored(start: Callable[..., Receiver], name: str) -> None:
    receiver = start()
    answer = post_body(receiver, "/comment", urlencode(HOSTILE_COMMENTS[name]).encode())
    assert answer.status == 400 and "<script>" not in answer.text
    assert nothing_stored(receiver)


@pytest.mark.parametrize("body", [b"name=\xff\xfe&comment=x", b"&".join([b"a=1"] * 4000), b"comment=" + b"x" * 200_000])
def test_unreadable_or_oversized_comment_forms_are_refused(start: Callable[..., Receiver], body: bytes) -> None:
    receiver = start()
    assert_refused(post_body(receiver, "/comment", body))
    assert nothing_stored(receiver)


RAW_REQUESTS = {
    "a header with a bare newline": b"GET /api/mentions HTTP/1.1\r\nHost: x\r\nX-A: 1\nInjected: 2\r\n\r\n",
    "a header without a colon": b"GET /api/mentions HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
    "a control character in the path": b"GET /api/mentions\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    "a non-number content length": b"POST /webmention HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    "two content lengths": b"POST /webmention HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    "a negative content length": b"POST /webmention HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "a content length over the limit": b"POST /comment HTTP/1.1\r\nHost: x\r\nContent-Type: "
    + FORM.encode()
    + b"\r\nContent-Length: 99999999999\r\n\r\nname=a",
    "a bad chunk size": b"POST /webmention HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"zz\r\nab\r\n0\r\n\r\n",
    "a request line of 100 KB": b"GET /api/mentions?target=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "headers of 100 KB": b"GET /api/mentions HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 100_000 + b"\r\n\r\n",
    "a thousand headers": b"GET /api/mentions HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-%d: 1\r\n" % i for i in range(1000))
    + b"\r\n",
    "an unknown method": b"BREW /webmention HTTP/1.1\r\nHost: x\r\n\r\n",
    "an absolute URL to another host": b"GET http://evil.example/api/mentions HTTP/1.1\r\nHost: x\r\n\r\n",
    "a path traversal": b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    "HTTP/0.9": b"GET /api/mentions\r\n\r\n",
}


@pytest.mark.parametrize("name", RAW_REQUESTS)
def test_a_malformed_request_gets_a_safe_answer(start: Callable[..., Receiver], name: str) -> None:
    receiver = start()
    answer = raw(receiver, RAW_REQUESTS[name])
    assert answer, "the connection was closed without an answer"
    assert status_of(answer) < 500 and b"Traceback" not in answer, answer[:300]  # odd but harmless ones may be read
    assert b"\r\nInjected:" not in answer
    assert nothing_stored(receiver)
    assert request_from(OTHER_CLIENT, receiver).status == 200  # and the receiver still serves


def test_query_strings_of_odd_encodings_are_answered(start: Callable[..., Receiver]) -> None:
    receiver = start()
    for query in (
        "target=%FF%FE",
        "target=\xff".encode("latin-1").decode("latin-1"),
        "since=%00",
        "since=" + "9" * 500,
        "&".join(["target=x"] * 1000),
        "target=" + quote("<script>alert(1)</script>"),
    ):
        answer = call(receiver.url, "GET", "/api/mentions?" + quote(query, safe="=&%"))
        assert answer.status in (200, 400) and b"<script>" not in answer.body, (query[:40], answer.status)


# --- loopback and private sources ----------------------------------------------------------------

PRIVATE_SOURCES = [
    "http://127.0.0.1:9/reply",
    "http://localhost:9/reply",
    "http://[::1]:9/reply",
    "http://10.0.0.1/reply",
    "http://192.168.1.1/reply",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0:9/reply",
    "http://2130706433:9/reply",
    "http://[::ffff:127.0.0.1]:9/reply",
    "http://0x7f.0.0.1:9/reply",
]


def test_loopback_and_private_sources_are_never_fetched(tmp_path: Path) -> None:
    config = site_config(tmp_path / "site")
    guarded = Receiver(
        replace(config, network=NetworkSettings(timeout=2)), ReceiverOptions(host="127.0.0.1", port=0, worker=FAST)
    )
    guarded.start()
    try:
        for url in PRIVATE_SOURCES:
            assert (
                post_body(guarded, "/webmention", urlencode({"source": url, "target": TARGET}).encode()).status == 202
            )
        wait_for(lambda: all(job.status != "pending" for job in guarded.store.jobs()), "every source to be settled")
        for job in guarded.store.jobs():
            assert job.status == "failed" and job.attempts == 0, (job.source, job.result)
        assert guarded.store.mentions() == []
    finally:
        guarded.stop()


# --- XSS in comments: sanitised when stored and again at display, every field escaped ----------------

XSS_NAME = '<script>alert("name")</script>'
XSS_COMMENTS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<svg onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]


def test_hostile_comments_are_sanitised_and_escaped_on_the_built_page(tmp_path: Path) -> None:
    root = tmp_path / "site"
    site_toml = (
        SITE_TOML + "\n[network]\nallow_private_addresses = true\n\n[comments]\nenabled = true\nrate_limit = 1000\n"
    )
    write_files(
        root, {"site.toml": site_toml, "content/posts/hello.md": "---\ntitle: Hello\ndate: 2026-05-01\n---\nBody.\n"}
    )
    post_url = "https://example.org/2026/05/hello/"
    receiver = Receiver(load_config(root), ReceiverOptions(host="127.0.0.1", port=0, worker=FAST))
    receiver.start()
    try:
        for payload in XSS_COMMENTS:
            form = {"target": post_url, "name": XSS_NAME, "website": "https://a.example/", "comment": payload}
            assert post_body(receiver, "/comment", urlencode(form).encode()).status == 303
        approve(receiver.store, [c.id for c in receiver.store.comments()])
        assert receiver.store.comments(), "no comment was accepted"
        (root / "site.toml").write_text(site_toml + f'\n[webmention]\nendpoint = "{receiver.endpoint}"\n')
        assert run_cli("webmention", "pull", "--site", str(root)).exit_code == 0
    finally:
        receiver.stop()
    result = build(root)
    assert result.exit_code == 0, result.output
    page = (root / "public/2026/05/hello/index.html").read_text(encoding="utf-8")
    assert str(escape(XSS_NAME)) in page and len(re.findall("reply-content", page)) == len(XSS_COMMENTS)
    markup = StartTags()
    markup.feed(page)
    theirs = [(tag, attrs) for tag, attrs in markup.found if not theme_script(tag, attrs)]
    assert not {"script", "svg", "math", "iframe", "style", "object", "embed"} & {tag for tag, _ in theirs}
    for tag, attrs in theirs:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction"):
                assert not (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:")), (tag, value)


class StartTags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))
