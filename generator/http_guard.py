"""The private-address guard and the connection layer under the HTTP client.

Unless `[network] allow_private_addresses` is set, a connection to a loopback, private, link-local
or otherwise non-public address is refused on the address each socket actually connected to, so
DNS rebinding cannot slip past the client's check before connecting. A request a proxy would carry
is refused too (its peer cannot be checked). A `Deadline` shuts down every connection of one
request once its total time is up.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from generator.config import NetworkSettings
from generator.errors import NetworkError, Problem
from generator.redaction import redact  # the one way a URL is shown

ALLOW_HINT = "set [network] allow_private_addresses = true to allow it"

IPAddress = IPv4Address | IPv6Address
AddressRule = Callable[[IPAddress], "str | None"]  # what kind of forbidden address this is, or None

_SHARED = ip_network("100.64.0.0/10")
_NAT64 = ip_network("64:ff9b::/96")


def classify_address(ip: IPAddress) -> str | None:
    """The kind of non-public address `ip` is ("a loopback address"), or None if it is public."""
    if isinstance(ip, IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return classify_address(embedded)
    kinds = (
        (ip.is_loopback, "a loopback address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip in _SHARED, "a shared (carrier-grade NAT) address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a public address"),
    )
    return next((kind for forbidden, kind in kinds if forbidden), None)


def refusal(host: str, ip: IPAddress, kind: str) -> str:
    """Why a request to `host` (at `ip`, an address of `kind`) is refused, and how to allow it."""
    try:
        literal = ip_address(host.strip("[]").partition("%")[0]) == ip
    except ValueError:
        literal = False
    if literal:
        return f"refused: {host} is {kind}; {ALLOW_HINT}"
    return f"refused: {host} resolves to {ip}, {kind}; {ALLOW_HINT}"


# --- the connection-level guard and the total deadline ----------------------------------------


class Deadline:
    """Shuts down every connection of one request() call once its total time is up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._token = _current_deadline.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _current_deadline.reset(self._token)

    @property
    def message(self) -> str:
        """What a request cut off by this deadline failed with."""
        return f"took longer than {round(self.seconds, 3)} s in total"

    def watch(self, conn: HTTPConnection) -> None:
        """Shut `conn` down when the time is up (at once if it already is)."""
        with self._lock:
            self._connections.append(conn)
            if self.expired:
                _shutdown(conn)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for conn in self._connections:
                _shutdown(conn)


_current_deadline: ContextVar[Deadline | None] = ContextVar("homepost_http_deadline", default=None)


def _shutdown(conn: HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked in another thread
        except OSError:
            pass


if TYPE_CHECKING:  # the mixin is only ever combined with an urllib3 connection (see _pool_classes)
    _Connection = HTTPConnection
else:
    _Connection = object


class _GuardedConnection(_Connection):
    """Mixin for urllib3 connections: check the peer after connecting; obey the deadline."""

    rule: AddressRule | None = None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        peer = ip_address(sock.getpeername()[0].partition("%")[0])
        kind = self.rule(peer) if self.rule else None
        deadline = _current_deadline.get()
        if kind or (deadline and deadline.expired):
            sock.close()
            if kind:
                raise NetworkError(Problem(self.host, refusal(self.host, peer, kind)))
            raise TimeoutError("deadline passed")
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline = _current_deadline.get()
        if deadline:
            deadline.watch(self)
        super().request(*args, **kwargs)


def _pool_classes(rule: AddressRule | None) -> dict[str, type[HTTPConnectionPool]]:
    def guarded(pool: type[HTTPConnectionPool], conn: type[HTTPConnection]) -> type[HTTPConnectionPool]:
        attrs = {"rule": staticmethod(rule) if rule else None}
        conn_cls = type(f"Guarded{conn.__name__}", (_GuardedConnection, conn), attrs)
        return type(f"Guarded{pool.__name__}", (pool,), {"ConnectionCls": conn_cls})

    return {"http": guarded(HTTPConnectionPool, HTTPConnection), "https": guarded(HTTPSConnectionPool, HTTPSConnection)}


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections refuse peers the rule forbids (None: allow all)."""

    def __init__(self, rule: AddressRule | None, **kwargs: Any) -> None:
        self.rule = rule
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.rule)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send through a guarded connection; refuse a request a proxy would carry (its peer cannot be checked)."""
        if self.rule and select_proxy(request.url or "", proxies or {}):
            message = f"refused: a proxy hides where the request goes, so it cannot be checked; {ALLOW_HINT}"
            raise NetworkError(Problem(redact(request.url or ""), message))
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


def guard_session(
    session: requests.Session, network: NetworkSettings, *, rule: AddressRule = classify_address
) -> requests.Session:
    """Mount the guarded adapter on `session` (any requests.Session, e.g. an OAuth one) and return it."""
    adapter = GuardedAdapter(None if network.allow_private_addresses else rule)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False  # environment proxies would bypass the guard; .netrc would add credentials
    return session
