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

import re
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
            reply = (
                Reply(404, b"not found") if route is None else route if isinstance(route, Reply) else route(received)
            )
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


# The types a static host gives the files of a built site (browsers refuse a stylesheet or script
# served as application/octet-stream); anything else is application/octet-stream.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _ranged(body: bytes, kind: str, asked: str | None) -> Reply:
    """The whole file, or the one byte range a `Range: bytes=a-b` header asks for (as audio players
    ask when they seek), with the headers a static host sends."""
    match = _RANGE.fullmatch(asked.strip()) if asked else None
    if match is None or match.groups() == ("", ""):
        return Reply(200, body, [("Content-Type", kind), ("Accept-Ranges", "bytes")])
    first, last, size = *match.groups(), len(body)
    if first:  # bytes=a- or bytes=a-b
        start, end = int(first), min(int(last or size - 1), size - 1)
    else:  # bytes=-n: the last n bytes
        start, end = max(size - int(last), 0), size - 1
    if start >= size or start > end:
        return Reply(416, b"", [("Content-Range", f"bytes */{size}")])
    headers = [("Content-Type", kind), ("Accept-Ranges", "bytes"), ("Content-Range", f"bytes {start}-{end}/{size}")]
    return Reply(206, body[start : end + 1], headers)


def static_site(folder: Path) -> Callable[[Received], Reply]:
    """An answer serving a built site from `folder` as a static host would: index.html for folders,
    404 for missing files, 410 for the paths its `_redirects` marks gone, each file with its
    Content-Type (CONTENT_TYPES), and byte ranges for a request with a Range header."""

    def answer(received: Received) -> Reply:
        path = unquote(urlsplit(received.path).path)
        redirects = folder / "_redirects"
        if redirects.is_file():
            for line in redirects.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if len(parts) == 3 and not line.startswith("#") and parts[0] == path and parts[2].startswith("410"):
                    return Reply(
                        410,
                        (folder / path.lstrip("/") / "index.html").read_bytes(),
                        [("Content-Type", "text/html; charset=utf-8")],
                    )
        file = folder / path.lstrip("/")
        if file.is_dir():
            file = file / "index.html"
        if ".." in path.split("/") or not file.is_file():
            return Reply(404, b"not found", [("Content-Type", "text/plain")])
        kind = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
        return _ranged(file.read_bytes(), kind, received.headers.get("Range"))

    return answer
