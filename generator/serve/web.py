"""The dev server's HTTP side: the output under the site's base path, the reload script in every
HTML response, and a stream of server-sent events telling open pages about each build.

The script is added at serve time, never written into the output. Each HTML file is read and
injected once per build, then answered from memory until the next build replaces it.
"""

from __future__ import annotations

import html
import http.server
import io
import json
import logging
import queue
import re
import socket
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from generator.errors import Problem

log = logging.getLogger(__name__)

EVENTS_PATH = "/__homepost/events"
CLIENT_PATH = "/__homepost/client.js"
CLIENT_JS = Path(__file__).with_name("client.js").read_bytes()
RETRY_MS = 1000  # how soon a page reconnects after losing the stream (the server restarted)


@dataclass(frozen=True)
class Shown:
    """What the server shows: the last good build, and the latest build's problems if it failed."""

    build_id: str  # "" until a build succeeds; pages carry it, so a stale page knows to reload
    base_path: str
    problems: tuple[Problem, ...] = ()
    error_page: bytes = b""  # answers every missing page while problems are shown


def _gone(output: Path) -> set[str]:
    """Paths the build's `_redirects` marks 410 Gone (tombstones of deleted posts)."""
    try:
        lines = (output / "_redirects").read_text(encoding="utf-8").splitlines()
    except OSError:
        return set()
    return {parts[0] for parts in (line.split() for line in lines) if len(parts) == 3 and parts[2].startswith("410")}


def script_tag(build_id: str) -> bytes:
    """The tag injected before </body>: loads the client, which knows the build it was served with."""
    return f'<script src="{CLIENT_PATH}" data-build="{html.escape(build_id)}"></script>\n'.encode()


def inject(page: bytes, tag: bytes) -> bytes:
    """`page` with `tag` before its last </body>, or at the end when it has none."""
    at = page.lower().rfind(b"</body")
    return page + tag if at < 0 else page[:at] + tag + page[at:]


def sse_event(event: str, data: object) -> bytes:
    """One server-sent event; JSON keeps the data on a single line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def problems_json(problems: tuple[Problem, ...]) -> list[dict[str, object]]:
    """Problems as the client shows them: the whole line, and its parts for anyone who wants them."""
    return [
        {"text": str(p), "file": p.file, "line": p.line, "column": p.column, "key": p.key, "message": p.message}
        for p in problems
    ]


def error_page(problems: tuple[Problem, ...], build_id: str) -> bytes:
    """The page shown while no build has succeeded: the problems, readable without the script too."""
    items = "\n".join(f"<li><pre>{html.escape(str(p))}</pre></li>" for p in problems)
    page = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Build failed · Homepost</title>\n</head>\n<body>\n<main>\n<h1>Build failed</h1>\n"
        f"<ul>\n{items}\n</ul>\n<p>Fix the file and save: the site rebuilds and this page reloads.</p>\n"
        "</main>\n</body>\n</html>\n"
    )
    return inject(page.encode(), script_tag(build_id))


class SiteServer(http.server.ThreadingHTTPServer):
    """A threaded HTTP server for one output folder, told by its owner what each build produced."""

    daemon_threads = True

    def __init__(self, output: Path, host: str, port: int, base_path: str = "/", keepalive: float = 15.0):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.output = output
        self.keepalive = keepalive
        self.shown = Shown("", base_path)
        self._lock = threading.Lock()
        self._pages: dict[Path, bytes] = {}  # HTML with the script, for the current build
        self._streams: set[queue.Queue[bytes | None]] = set()
        self._closed = False
        super().__init__((host, port), _Handler)

    # --- what the owner tells it -----------------------------------------------------------

    def show_build(self, build_id: str, base_path: str, pages: list[str] | None = None) -> None:
        """A build succeeded: serve it, and tell open pages to reload: all of them, or those at
        `pages` (URL paths of the HTML files that changed, such as /blog/2024/05/hi/index.html)."""
        with self._lock:
            self.shown = Shown(build_id, base_path)
            self._pages.clear()
        self._publish(sse_event("reload", {"build": build_id, "pages": pages}))

    def show_problems(self, problems: list[Problem], base_path: str = "") -> None:
        """A build failed: keep serving the last good output, and show the problems on every open page.

        `base_path` (when site.toml could be read) is taken only while no build has succeeded yet.
        """
        found = tuple(problems)
        with self._lock:
            shown = self.shown
            if base_path and not shown.build_id:
                shown = replace(shown, base_path=base_path)
            self.shown = replace(shown, problems=found, error_page=error_page(found, shown.build_id))
        self._publish(sse_event("build-error", {"problems": problems_json(found)}))

    def close_streams(self) -> None:
        """End every event stream (the server is stopping); pages reconnect when it is back."""
        with self._lock:
            self._closed = True
            streams = list(self._streams)
        for stream in streams:
            stream.put(None)

    # --- what the handler asks -------------------------------------------------------------

    def page(self, file: Path, shown: Shown) -> bytes:
        """The HTML file with the reload script, read and injected once per build."""
        cached = self._pages.get(file)
        if cached is not None and self.shown.build_id == shown.build_id:
            return cached
        data = inject(file.read_bytes(), script_tag(shown.build_id))
        with self._lock:
            if self.shown.build_id == shown.build_id:  # not a page read just before a newer build
                self._pages[file] = data
        return data

    def subscribe(self) -> queue.Queue[bytes | None]:
        stream: queue.Queue[bytes | None] = queue.Queue()
        with self._lock:
            if self._closed:
                stream.put(None)
            self._streams.add(stream)
        return stream

    def unsubscribe(self, stream: queue.Queue[bytes | None]) -> None:
        with self._lock:
            self._streams.discard(stream)

    def _publish(self, message: bytes) -> None:
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            stream.put(message)


class _Slice(io.RawIOBase):
    """The next `length` bytes of an open file, then end of file."""

    def __init__(self, handle: io.BufferedReader, length: int):
        self.handle, self.remaining = handle, length

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self.handle.read(size)
        self.remaining -= len(data)
        return data

    def close(self) -> None:
        self.handle.close()
        super().close()


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Files under the base path (HTML with the script), the site's 404 page, and the event stream."""

    server: SiteServer

    def __init__(self, request: socket.socket, client_address: tuple[str, int], server: SiteServer):
        super().__init__(request, client_address, server, directory=str(server.output))

    def do_GET(self) -> None:
        if urlsplit(self.path).path == EVENTS_PATH:
            self._stream_events()
        else:
            super().do_GET()

    def translate_path(self, path: str) -> str:
        """The file for a URL path under the base path; outside it, a name that never exists."""
        path = urlsplit(path).path
        base = self.server.shown.base_path
        if not path.startswith(base):
            return str(Path(self.directory) / "\0missing")
        return super().translate_path("/" + path[len(base) :])

    def send_head(self):  # returns a file object or None, as the base class does
        shown = self.server.shown
        url = urlsplit(self.path)
        if url.path == CLIENT_PATH:
            return self._send_bytes(200, CLIENT_JS, "text/javascript; charset=utf-8")
        if url.path == EVENTS_PATH:  # HEAD
            return self._send_bytes(200, b"", "text/event-stream")
        if url.path == "/" and shown.base_path != "/":
            self.send_response(302)
            self.send_header("Location", shown.base_path)
            self.end_headers()
            return None
        if not url.path.startswith(shown.base_path):
            return self._not_found(shown)
        file = Path(self.translate_path(self.path))
        if file.is_dir():
            if not url.path.endswith("/"):
                return super().send_head()  # the base class redirects to the path with a slash
            file = file / "index.html"
        if not file.is_file():
            return self._not_found(shown)
        if file.suffix in (".html", ".htm"):
            status = 410 if url.path in _gone(Path(self.directory)) else 200  # as the host rules say
            try:
                return self._send_bytes(status, self.server.page(file, shown), "text/html; charset=utf-8")
            except FileNotFoundError:  # swapped away by a build in this very moment
                return self._not_found(shown)
        if self.headers.get("Range"):
            return self._send_range(file, self.headers["Range"])
        return super().send_head()

    def _send_range(self, file: Path, header: str):
        """A single byte range (RFC 9110), so players can seek audio: 206, or 416 when unsatisfiable."""
        size = file.stat().st_size
        match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
        if not match or match.groups() == ("", ""):
            return super().send_head()  # not a single byte range: send the whole file
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:  # the last N bytes
            start, end = max(size - int(last), 0), size - 1
        if start >= size or start > end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        handle = file.open("rb")
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(file)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return _Slice(handle, end - start + 1)

    def _not_found(self, shown: Shown) -> io.BytesIO:
        if shown.error_page and not shown.build_id:
            return self._send_bytes(500, shown.error_page, "text/html; charset=utf-8")
        page = Path(self.directory) / "404.html"
        try:
            return self._send_bytes(404, self.server.page(page, shown), "text/html; charset=utf-8")
        except FileNotFoundError:
            return self._send_bytes(404, b"Not found", "text/plain; charset=utf-8")

    def _send_bytes(self, status: int, body: bytes, content_type: str) -> io.BytesIO:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def _stream_events(self) -> None:
        """Hello (the current build and problems), then every build's news, with keep-alive comments."""
        stream = self.server.subscribe()
        self.close_connection = True
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.end_headers()
            shown = self.server.shown
            hello = sse_event("hello", {"build": shown.build_id, "problems": problems_json(shown.problems)})
            self.wfile.write(f"retry: {RETRY_MS}\n\n".encode() + hello)
            while True:
                try:
                    message = stream.get(timeout=self.server.keepalive)
                except queue.Empty:
                    message = b": keep-alive\n\n"
                if message is None:
                    break
                self.wfile.write(message)
        except OSError:  # the page went away
            pass
        finally:
            self.server.unsubscribe(stream)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # the stdlib's names
        log.debug("%s - %s", self.address_string(), format % args)
