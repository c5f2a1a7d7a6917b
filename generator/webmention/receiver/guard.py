"""Connection limits for the receiver's waitress server, so that slow or idle clients cannot take it down.

waitress serves at most `connection_limit` connections and then stops accepting, whoever holds
them: 101 idle sockets from one address were enough. `ConnectionLimits` sets a larger total and
adds what waitress lacks, through the connection (channel) class it accepts with:

- a cap per client address (per /64 for IPv6, which one household or server holds, as for the
  comment rate limit): a connection over it is answered 429 and closed at once;
- a deadline for one request's headers and body (slowloris), whatever trickle of bytes arrives;
- waitress's own `channel_timeout` for connections that send nothing (idle keep-alives).

Behind a reverse proxy every connection comes from the proxy, whose address is exempt from the
cap; the proxy must cap its clients itself (README: hosting).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from generator.webmention.receiver.comment_validation import rate_key

log = logging.getLogger(__name__)

REFUSAL = (
    b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 39\r\n"
    b"Retry-After: 10\r\nConnection: close\r\n\r\ntoo many connections from your address\n"
)


@dataclass(frozen=True)
class ConnectionLimits:
    """How many connections the receiver holds, per client and in all, and for how long."""

    total: int = 500  # open connections in all (waitress stops accepting beyond)
    per_client: int = 20  # open connections per client address (0: no cap); a browser opens at most 6
    idle_timeout: int = 30  # seconds a connection may send nothing before it is closed
    request_timeout: float = 30.0  # seconds one request's headers and body may take to arrive
    max_header_bytes: int = 32 * 1024  # larger request headers are answered 431

    def waitress_settings(self) -> dict[str, int]:
        """The waitress adjustments these limits set."""
        return {
            "connection_limit": self.total,
            "channel_timeout": self.idle_timeout,
            "cleanup_interval": max(1, min(30, self.idle_timeout // 2)),
            "max_request_header_size": self.max_header_bytes,
        }


def install(socket_map: MutableMapping[int, Any], limits: ConnectionLimits, exempt: str | None = None) -> None:
    """Make every waitress server in `socket_map` accept through a channel enforcing `limits`.

    `exempt`: a trusted proxy's address, not capped ("*": every address, so no cap at all).
    """
    channel = _guarded_channel(limits, exempt)
    for dispatcher in list(socket_map.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = channel  # waitress's handle_accept builds each connection from it


def _guarded_channel(limits: ConnectionLimits, exempt: str | None) -> type[HTTPChannel]:
    per_client = 0 if exempt == "*" else limits.per_client

    class GuardedChannel(HTTPChannel):
        """A waitress connection that refuses itself over the per-client cap and cuts off slow requests."""

        _timed: object = None  # the request parser whose arrival is being timed
        _started = 0.0
        client = ""  # what the cap counts by: the address, or its /64 for IPv6

        def __init__(self, server: BaseWSGIServer, sock: socket.socket, addr: Any, adj: Any, map: Any = None) -> None:
            host = client_host(addr)
            self.client = rate_key(host)
            super().__init__(server, sock, addr, adj, map)
            if per_client and host != exempt and open_from(self._map, self.client) > per_client:
                log.debug("refused a connection from %s: over %d open connections", host, per_client)
                try:
                    sock.send(REFUSAL)
                except OSError:
                    pass  # the client is gone or its buffer is full: closing says enough
                self.will_close = True

        def readable(self) -> bool:
            request = self.request
            if request is not None and limits.request_timeout:
                now = time.monotonic()
                if request is not self._timed:
                    self._timed, self._started = request, now
                elif now - self._started > limits.request_timeout:
                    log.debug(
                        "closed a connection from %s: its request took over %s s to arrive",
                        client_host(self.addr),
                        limits.request_timeout,
                    )
                    self.will_close = True
                    return False
            return bool(super().readable())

    return GuardedChannel


def client_host(addr: Any) -> str:
    """The address part of a socket address ("" for a Unix socket)."""
    return str(addr[0]) if isinstance(addr, tuple) and addr else ""


def open_from(socket_map: MutableMapping[int, Any], client: str) -> int:
    """How many live connections in `socket_map` come from `client` (an address, or an IPv6 /64)."""
    return sum(1 for d in socket_map.values() if getattr(d, "client", None) == client and not d.will_close)
