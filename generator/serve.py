"""A small development server: the built output, served under the site's base path on loopback."""

from __future__ import annotations

import functools
import http.server
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the output folder at the base path, with the site's 404 page for what is missing."""

    base_path = "/"

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        if not path.startswith(self.base_path):
            return os.path.join(self.directory, "\0missing")
        return super().translate_path("/" + path[len(self.base_path) :])

    def send_head(self):  # type: ignore[override]
        path = urlsplit(self.path).path
        if path == "/" and self.base_path != "/":
            self.send_response(302)
            self.send_header("Location", self.base_path)
            self.end_headers()
            return None
        if not os.path.exists(self.translate_path(self.path)):
            return self._not_found()
        return super().send_head()

    def _not_found(self):
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.is_file() else b"Not found"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        log.debug("%s - %s", self.address_string(), format % args)


def make_server(output: Path, host: str, port: int, base_path: str = "/") -> http.server.ThreadingHTTPServer:
    """A threaded HTTP server for `output`, mounted at `base_path`; call serve_forever() on it."""
    handler = type("Handler", (_Handler,), {"base_path": base_path})
    server = http.server.ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(output)))
    server.daemon_threads = True
    return server
