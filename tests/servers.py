"""Real HTTP servers on loopback for tests: per-test routes, every request recorded.

    with LoopbackServer() as server:
        server.route("/feed", Reply(200, b"<rss/>", [("Content-Type", "application/rss+xml")]))
        server.route("/echo", lambda received: Reply(200, received.body))
        server.raw("/stall", lambda handler: server.closing.wait(2))   # write (or withhold) bytes yourself
        client.get(server.url("/feed"))
        assert server.received[0].headers["User-Agent"].startswith("Homepost/")

Unknown paths answer 404. Raw writers get the BaseHTTPRequestHandler and write to `handler.wfile`;
they should stop when `server.closing` is set. A client going away mid-write is not an error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    method: str
    path: str  # with the query string
    headers: Message  # case-insensitive: headers["user-agent"]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """A response to send; Content-Length is added unless given."""

    status: int = 200
    body: bytes | str = b""
    headers: Sequence[tuple[str, str]] = ()


Answer = Reply | Callable[[Received], Reply]
Writer = Callable[[BaseHTTPRequestHandler], object]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def _dispatch(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        received = Received(self.command, self.path, self.headers, self.rfile.read(length) if length else b"")
        owner.received.append(received)
        route = owner.routes.get(urlsplit(self.path).path, owner.fallback)
        try:
            if isinstance(route, _Raw):
                self.close_connection = True
                route.writer(self)
                return
            reply = Reply(404, b"not found") if route is None else route if isinstance(route, Reply) else route(received)
            self._send(reply)
        except OSError:  # the client went away, which several tests make it do
            self.close_connection = True

    def _send(self, reply: Reply) -> None:
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if not any(name.lower() in ("content-length", "transfer-encoding") for name, _ in reply.headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _dispatch


@dataclass(frozen=True)
class _Raw:
    writer: Writer


class _Server(ThreadingHTTPServer):
    owner: LoopbackServer


class LoopbackServer:
    """A ThreadingHTTPServer on a free port of `host` (127.0.0.1 by default), served from a thread."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Answer | _Raw] = {}
        self.fallback: Answer | None = None  # answers paths without a route (None: 404)
        self.received: list[Received] = []
        self.closing = threading.Event()
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.owner = self
        self.host: str = self._httpd.server_address[0]  # type: ignore[assignment]
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        """Absolute URL of `path` on this server."""
        return f"http://{self.host}:{self.port}{path}"

    def route(self, path: str, answer: Answer) -> None:
        """Answer requests for `path` (any method, any query) with a Reply or a function of the request."""
        self.routes[path] = answer

    def raw(self, path: str, writer: Writer) -> None:
        """Let `writer` produce the whole response for `path`, byte by byte if it likes."""
        self.routes[path] = _Raw(writer)

    def close(self) -> None:
        """Stop serving; raw writers see `closing` set."""
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def static_site(folder: Path) -> Callable[[Received], Reply]:
    """An answer serving a built site from `folder` as a static host would: index.html for folders,
    404 for missing files, and 410 for the paths its `_redirects` marks gone."""

    def answer(received: Received) -> Reply:
        path = unquote(urlsplit(received.path).path)
        redirects = folder / "_redirects"
        if redirects.is_file():
            for line in redirects.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if len(parts) == 3 and not line.startswith("#") and parts[0] == path and parts[2].startswith("410"):
                    return Reply(410, (folder / path.lstrip("/") / "index.html").read_bytes(), [("Content-Type", "text/html; charset=utf-8")])
        file = folder / path.lstrip("/")
        if file.is_dir():
            file = file / "index.html"
        if ".." in path.split("/") or not file.is_file():
            return Reply(404, b"not found", [("Content-Type", "text/plain")])
        kind = "text/html; charset=utf-8" if file.suffix == ".html" else "application/octet-stream"
        return Reply(200, file.read_bytes(), [("Content-Type", kind)])

    return answer
