"""generator.http against real servers on loopback; nothing here leaves the machine."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Iterator
from ipaddress import ip_address

import pytest
import requests

from generator import __version__
from generator.config import NetworkSettings
from generator.errors import NetworkError
from generator.http import Headers, HttpClient, Response
from generator.http_guard import classify_address, guard_session
from generator.redaction import redact
from tests.servers import LoopbackServer, Received, Reply

ALLOW_HINT = "set [network] allow_private_addresses = true to allow it"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def open_client(**network: object) -> HttpClient:
    """A client that may reach loopback (our test servers), with other settings as given."""
    return HttpClient(NetworkSettings(**{"allow_private_addresses": True, **network}))  # type: ignore[arg-type]


def failure(excinfo: pytest.ExceptionInfo[NetworkError]) -> tuple[str, str]:
    """(file, message) of the single problem a NetworkError carries."""
    [problem] = excinfo.value.problems
    return problem.file, problem.message


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every address a socket tries to connect to during the test.

    The attempt is recorded and then failed, so even if the guard broke, no packet would leave.
    """
    attempts: list[object] = []

    def connect(sock: socket.socket, address: object) -> None:
        attempts.append(address)
        raise ConnectionRefusedError(111, "connection blocked by the test")

    def connect_ex(sock: socket.socket, address: object) -> int:
        attempts.append(address)
        return 111

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return attempts


# --- the private-address guard ----------------------------------------------------------------


def test_loopback_is_refused_by_default_naming_the_rule(server: LoopbackServer) -> None:
    server.route("/", Reply(200, b"secret"))
    with pytest.raises(NetworkError) as excinfo:
        HttpClient(NetworkSettings()).get(server.url("/"))
    assert failure(excinfo) == (server.url("/"), f"refused: 127.0.0.1 is a loopback address; {ALLOW_HINT}")
    assert server.received == []


def test_loopback_is_allowed_when_configured(server: LoopbackServer) -> None:
    server.route("/", Reply(200, b"hello"))
    response = open_client().get(server.url("/"))
    assert (response.status, response.content, response.url) == (200, b"hello", server.url("/"))


def test_host_name_resolving_to_loopback_is_refused(server: LoopbackServer, connects: list[object]) -> None:
    with pytest.raises(NetworkError) as excinfo:
        HttpClient(NetworkSettings()).get(f"http://localhost:{server.port}/")
    _, message = failure(excinfo)
    assert message.startswith("refused: localhost resolves to ")
    assert message.endswith(f", a loopback address; {ALLOW_HINT}")
    assert connects == [] and server.received == []


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://10.0.0.1/", "10.0.0.1 is a private address"),
        ("http://192.168.1.1/", "192.168.1.1 is a private address"),
        ("https://172.16.5.4/", "172.16.5.4 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://100.64.0.1/", "100.64.0.1 is a shared (carrier-grade NAT) address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]:8080/", "::ffff:127.0.0.1 is a loopback address"),
        ("http://[::ffff:a9fe:a9fe]/", "::ffff:a9fe:a9fe is a link-local address"),
        ("http://[fd00::1]/", "fd00::1 is a private address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://2130706433/", "2130706433 resolves to 127.0.0.1, a loopback address"),  # 127.0.0.1 as a number
    ],
)
def test_private_literal_addresses_are_refused_before_connecting(url: str, kind: str, connects: list[object]) -> None:
    with pytest.raises(NetworkError) as excinfo:
        HttpClient(NetworkSettings(timeout=0.5)).get(url)
    assert failure(excinfo) == (url.split("?")[0], f"refused: {kind}; {ALLOW_HINT}")
    assert connects == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("93.184.215.14", None),
        ("2606:4700:4700::1111", None),
        ("127.8.9.10", "a loopback address"),
        ("10.255.255.255", "a private address"),
        ("172.31.0.1", "a private address"),
        ("172.32.0.1", None),
        ("100.127.255.254", "a shared (carrier-grade NAT) address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a reserved address"),
        ("ff02::1", "a multicast address"),
        ("::", "an unspecified address"),
        ("fc00::1", "a private address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("::ffff:8.8.8.8", None),
        ("2002:7f00:1::", "a loopback address"),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "a link-local address"),  # NAT64 wrapping 169.254.169.254
    ],
)
def test_address_classification(address: str, kind: str | None) -> None:
    assert classify_address(ip_address(address)) == kind


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_guard_checks_the_address_actually_connected_to(server: LoopbackServer, scheme: str) -> None:
    """A plain requests.Session (as OAuth libraries use) is guarded at connect time, after DNS.

    No host-name check runs before connecting here, which is the situation DNS rebinding creates:
    the socket is open, but the peer check closes it before a byte of the request (or, for https,
    of the TLS handshake, which would fail against this plain-HTTP server) is sent.
    """
    server.route("/", Reply(200, b"secret"))
    session = guard_session(requests.Session(), NetworkSettings())
    with pytest.raises(NetworkError) as excinfo:
        session.get(server.url("/").replace("http", scheme, 1), timeout=2)
    assert failure(excinfo) == ("127.0.0.1", f"refused: 127.0.0.1 is a loopback address; {ALLOW_HINT}")
    assert server.received == []


def test_guard_refuses_a_proxy_it_cannot_see_through(connects: list[object]) -> None:
    session = guard_session(requests.Session(), NetworkSettings())
    with pytest.raises(NetworkError) as excinfo:
        session.get("http://example.com/?q=1", proxies={"http": "http://proxy.invalid:3128"}, timeout=2)
    assert failure(excinfo)[0] == "http://example.com/"
    assert "proxy" in failure(excinfo)[1] and connects == []


def test_guard_session_allows_private_addresses_when_configured(server: LoopbackServer) -> None:
    server.route("/", Reply(200, b"ok"))
    session = guard_session(requests.Session(), NetworkSettings(allow_private_addresses=True))
    assert session.get(server.url("/"), timeout=2).content == b"ok"


def test_redirect_to_a_forbidden_address_is_refused_at_that_hop() -> None:
    """The first hop is allowed and really served; the redirect target is checked and refused.

    The client's rule forbids only 127.0.0.2, so a loopback server on 127.0.0.1 can stand in for
    a public site while a second server on 127.0.0.2 stands in for the private one.
    """

    def forbid_127_0_0_2(ip: object) -> str | None:
        return "a forbidden address" if str(ip) == "127.0.0.2" else None

    with LoopbackServer("127.0.0.1") as public, LoopbackServer("127.0.0.2") as private:
        private.route("/admin", Reply(200, b"secret"))
        public.route("/go", Reply(302, headers=[("Location", private.url("/admin?token=abc"))]))
        client = HttpClient(NetworkSettings(timeout=2.0), rule=forbid_127_0_0_2)
        with pytest.raises(NetworkError) as excinfo:
            client.get(public.url("/go"))
        assert failure(excinfo) == (private.url("/admin"), f"refused: 127.0.0.2 is a forbidden address; {ALLOW_HINT}")
        assert [r.path for r in public.received] == ["/go"]
        assert private.received == []
        # the same client reaches the allowed server directly
        public.route("/", Reply(200, b"fine"))
        assert client.get(public.url("/")).content == b"fine"


def test_other_schemes_are_refused(connects: list[object]) -> None:
    for url in ("ftp://example.com/file", "file:///etc/passwd", "gopher://127.0.0.1/"):
        with pytest.raises(NetworkError) as excinfo:
            open_client().get(url)
        assert "only http and https are allowed" in failure(excinfo)[1]
    assert connects == []


# --- redirects ----------------------------------------------------------------------------------


def test_redirects_are_followed_resolving_relative_locations(server: LoopbackServer) -> None:
    server.route("/a/start", Reply(302, headers=[("Location", "next")]))
    server.route("/a/next", Reply(301, headers=[("Location", "/final?x=1")]))
    server.route("/final", Reply(200, b"done"))
    response = open_client().get(server.url("/a/start"))
    assert (response.status, response.text, response.url) == (200, "done", server.url("/final?x=1"))
    assert [r.path for r in server.received] == ["/a/start", "/a/next", "/final?x=1"]


def test_redirect_limit_is_enforced(server: LoopbackServer) -> None:
    server.route("/loop", Reply(302, headers=[("Location", "/loop")]))
    with pytest.raises(NetworkError) as excinfo:
        open_client().get(server.url("/loop"), max_redirects=3)
    assert failure(excinfo) == (server.url("/loop"), "too many redirects (more than 3)")
    assert len(server.received) == 4  # the first request and three redirects


def test_redirects_are_not_followed_when_asked(server: LoopbackServer) -> None:
    server.route("/old", Reply(301, headers=[("Location", "/new")]))
    response = open_client().get(server.url("/old"), follow_redirects=False)
    assert (response.status, response.headers["location"]) == (301, "/new")


def test_post_redirected_by_303_becomes_get_but_307_keeps_post(server: LoopbackServer) -> None:
    server.route("/see-other", Reply(303, headers=[("Location", "/landing")]))
    server.route("/temporary", Reply(307, headers=[("Location", "/landing")]))
    server.route("/landing", lambda received: Reply(200, f"{received.method} {received.body.decode()}"))
    client = open_client()
    assert client.post(server.url("/see-other"), data={"source": "s"}).text == "GET "
    assert client.post(server.url("/temporary"), data={"source": "s"}).text == "POST source=s"


def test_credentials_are_not_carried_to_another_origin() -> None:
    with LoopbackServer() as first, LoopbackServer() as second:
        second.route("/", Reply(200, b"ok"))
        first.route("/same", Reply(302, headers=[("Location", "/here")]))
        first.route("/here", Reply(200, b"ok"))
        first.route("/away", Reply(302, headers=[("Location", second.url("/"))]))
        client = open_client()
        client.get(first.url("/same"), headers={"Authorization": "Bearer t0ken"})
        client.get(first.url("/away"), headers={"Authorization": "Bearer t0ken"})
        assert [r.headers["Authorization"] for r in first.received] == ["Bearer t0ken"] * 3
        assert second.received[0].headers["Authorization"] is None


# --- size caps and timeouts ---------------------------------------------------------------------


def test_declared_content_length_over_the_cap_is_refused_up_front(server: LoopbackServer) -> None:
    def huge_then_stall(handler: object) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n")  # type: ignore[attr-defined]
        server.closing.wait(5)  # never sends the body: reading it would time out

    server.raw("/big", huge_then_stall)
    with pytest.raises(NetworkError) as excinfo:
        open_client(max_bytes=1000, timeout=2.0).get(server.url("/big"))
    assert failure(excinfo)[1] == "response larger than 1000 bytes (Content-Length: 999999999)"


def test_chunked_body_is_cut_off_at_the_cap(server: LoopbackServer) -> None:
    def endless(handler: object) -> None:
        wfile = handler.wfile  # type: ignore[attr-defined]
        wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while not server.closing.is_set():  # stops when the client hangs up
            wfile.write(b"400\r\n" + b"x" * 1024 + b"\r\n")

    server.raw("/endless", endless)
    with pytest.raises(NetworkError) as excinfo:
        open_client(max_bytes=10_000, timeout=2.0).get(server.url("/endless"))
    assert failure(excinfo) == (server.url("/endless"), "response larger than 10000 bytes")


def test_body_within_the_cap_is_read_whole(server: LoopbackServer) -> None:
    server.route("/exact", Reply(200, b"y" * 1000))
    assert len(open_client(max_bytes=1000).get(server.url("/exact")).content) == 1000


@pytest.mark.parametrize("sent", [b"", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"])
def test_a_stalled_server_times_out(server: LoopbackServer, sent: bytes) -> None:
    def stall(handler: object) -> None:
        handler.wfile.write(sent)  # type: ignore[attr-defined]
        server.closing.wait(5)

    server.raw("/stall", stall)
    with pytest.raises(NetworkError) as excinfo:
        open_client(timeout=0.3).get(server.url("/stall"))
    assert failure(excinfo) == (server.url("/stall"), "timed out after 0.3 s")


@pytest.mark.parametrize(
    "head",
    [b"HTTP/1.1 200 OK\r\nX-Drip: ", b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"],
    ids=["headers", "body"],
)
def test_a_slow_drip_cannot_outlast_the_total_deadline(server: LoopbackServer, head: bytes) -> None:
    """One byte every 20 ms never trips the 0.2 s read timeout, but the 3 x 0.2 s deadline ends it."""

    def drip(handler: object) -> None:
        wfile = handler.wfile  # type: ignore[attr-defined]
        wfile.write(head)
        for _ in range(150):  # about 3 s, so a broken deadline fails the test instead of hanging it
            if server.closing.wait(0.02):
                break
            wfile.write(b"a")

    server.raw("/drip", drip)
    with pytest.raises(NetworkError) as excinfo:
        open_client(timeout=0.2).get(server.url("/drip"))
    assert failure(excinfo) == (server.url("/drip"), "took longer than 0.6 s in total")


def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError) as excinfo:
        open_client(timeout=1.0).get(f"http://127.0.0.1:{port}/")
    assert failure(excinfo)[1] == "connection failed (Connection refused)"


# --- what is sent and what comes back -----------------------------------------------------------


def test_user_agent_names_homepost_and_can_be_overridden(server: LoopbackServer) -> None:
    server.route("/", Reply(200))
    open_client().get(server.url("/"))
    HttpClient(NetworkSettings(allow_private_addresses=True), user_agent="Custom/1.0").get(server.url("/"))
    default, custom = (r.headers["User-Agent"] for r in server.received)
    assert default.startswith(f"Homepost/{__version__} ") and "http" not in default
    assert custom == "Custom/1.0"


def test_several_link_headers_are_all_available(server: LoopbackServer) -> None:
    links = ['<https://a.example/webmention>; rel="webmention"', "<https://a.example/me,too>; rel=me"]
    server.route("/", Reply(200, headers=[("Link", links[0]), ("Content-Type", "text/html"), ("Link", links[1])]))
    response = open_client().get(server.url("/"))
    assert response.header_values("link") == links
    assert response.header_values("LINK") == links
    assert response.headers["Link"] == ", ".join(links)
    assert response.header_values("X-Missing") == []


def test_error_statuses_are_returned_not_raised(server: LoopbackServer) -> None:
    server.route("/gone", Reply(410, b"gone"))
    server.route("/slow-down", Reply(429, headers=[("Retry-After", "120")]))
    client = open_client()
    assert (client.get(server.url("/missing")).status, client.get(server.url("/gone")).text) == (404, "gone")
    assert client.get(server.url("/slow-down")).headers["retry-after"] == "120"


def test_methods_headers_and_bodies_are_sent(server: LoopbackServer) -> None:
    server.route("/api", lambda r: Reply(201, r.body, [("Content-Type", "application/json")]))
    client = open_client()
    response = client.post(server.url("/api"), json={"a": 1}, params={"q": "x y"}, headers={"X-Test": "1"})
    assert (response.status, response.json()) == (201, {"a": 1})
    client.put(server.url("/api"), data=b"raw")
    client.delete(server.url("/api"))
    assert [(r.method, r.path) for r in server.received] == [
        ("POST", "/api?q=x+y"),
        ("PUT", "/api"),
        ("DELETE", "/api"),
    ]
    assert server.received[0].headers["X-Test"] == "1"


def test_text_is_decoded_by_the_declared_charset(server: LoopbackServer) -> None:
    server.route("/latin", Reply(200, "café".encode("latin-1"), [("Content-Type", "text/html; charset=ISO-8859-1")]))
    server.route("/plain", Reply(200, "café".encode(), [("Content-Type", "text/html")]))
    server.route("/bad", Reply(200, b"caf\xe9", [("Content-Type", "text/plain; charset=no-such-charset")]))
    client = open_client()
    assert [client.get(server.url(p)).text for p in ("/latin", "/plain", "/bad")] == ["café", "café", "caf\ufffd"]


def test_invalid_json_is_a_network_error() -> None:
    response = Response("https://example.com/api?key=k", 200, Headers([("Content-Type", "text/html")]), b"<html>")
    with pytest.raises(NetworkError) as excinfo:
        response.json()
    assert failure(excinfo)[0] == "https://example.com/api"


# --- secrets stay out of errors and logs --------------------------------------------------------


def test_redact_drops_userinfo_query_and_fragment() -> None:
    assert redact("https://user:pw@example.com:8443/a/b?token=t#frag") == "https://example.com:8443/a/b"
    assert redact("http://[::1]:80/x?y") == "http://[::1]:80/x"


def test_errors_and_logs_never_show_passwords_tokens_or_queries(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="generator.http")
    secrets = ("hunter2", "YWxpY2U6aHVudGVyMg", "Bearer-s3cr3t", "qs-token")  # the middle one is alice:hunter2 in Basic
    url = server.url("/stall?token=qs-token").replace("http://", "http://alice:hunter2@")
    server.raw("/stall", lambda handler: server.closing.wait(5))
    server.route("/ok", Reply(200, b"fine"))
    headers = {"Authorization": "Bearer-s3cr3t"}
    errors: list[NetworkError] = []
    for client in (HttpClient(NetworkSettings(timeout=0.3)), open_client(timeout=0.3)):  # refused; timed out
        with pytest.raises(NetworkError) as excinfo:
            client.get(url, headers=headers)
        errors.append(excinfo.value)
    open_client().get(server.url("/ok?token=qs-token"), headers=headers)
    assert [e.problems[0].file for e in errors] == [server.url("/stall")] * 2
    assert "loopback" in str(errors[0]) and "timed out" in str(errors[1])
    shown = caplog.text + "".join("".join(traceback.format_exception(e)) for e in errors)
    assert f"GET {server.url('/ok')} -> 200, 4 bytes" in caplog.text
    assert not [secret for secret in secrets if secret in shown]
    assert server.received[-1].headers["Authorization"] == "Bearer-s3cr3t"  # it was sent, just never shown


def test_server_records_requests(server: LoopbackServer) -> None:
    """The fixture itself: what the server saw is what the client sent."""
    server.route("/echo", lambda r: Reply(200, r.body))
    assert open_client().post(server.url("/echo"), data=b"ping").content == b"ping"
    assert server.received == [Received("POST", "/echo", server.received[0].headers, b"ping")]
