"""The receiver's standing attack suite: hostile requests get a safe answer, and slow clients cannot deny service.

Every request goes to a real receiver on loopback. A safe answer is a 4xx (never a 500, never a
hang), an unescaped echo of nothing, and nothing stored that should not be.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from generator.webmention.receiver import Receiver, ReceiverOptions
from generator.webmention.receiver.guard import ConnectionLimits
from tests.receiver_helpers import FAST, WAIT, Answer, site_config, wait_for

OTHER_CLIENT = "127.0.0.2"  # Linux routes all of 127.0.0.0/8 to loopback: a second client address


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Receiver]]:
    """Start receivers (ConnectionLimits fields as keywords) for a site with comments on; all stopped afterwards."""
    started: list[Receiver] = []

    def run(extra: str = "", **limits: float) -> Receiver:
        config = site_config(tmp_path / "site", "\n[comments]\nenabled = true\nrate_limit = 1000\n" + extra)
        options = ReceiverOptions(host="127.0.0.1", port=0, worker=FAST, limits=ConnectionLimits(**limits))  # type: ignore[arg-type]
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


def test_an_idle_connection_is_closed(start: Callable[..., Receiver]) -> None:
    receiver = start(idle_timeout=1)
    with ExitStack() as stack:
        [idle] = idle_connections(stack, receiver, 1)
        assert closed_by_server(idle)
