"""The one-shot loopback server `homepost auth` sends the browser back to after the writer approves.

It listens on a free port of 127.0.0.1 and takes the query parameters of the first request to
/callback that proves it answers this authorization: OAuth 2 (Mastodon, IndieAuth) by the `state`
sent out with it, OAuth 1.0a (Tumblr) by the request token in `oauth_token`, there together with
an `oauth_verifier`. Anything else gets a 400 (or a 404 off /callback) and changes nothing. The
browser is answered with a short page saying the tab can be closed; nothing is logged, since the
query carries the code or the verifier. `error_reason` words a refusal for a PlatformError.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from generator.platforms.base import MESSAGE_LIMIT, clean_message

log = logging.getLogger(__name__)

PATH = "/callback"
_PAGE = "<!doctype html><meta charset=utf-8><title>Homepost</title><p>{}</p>"
_APPROVED = "Homepost is authorized. You can close this tab and go back to the terminal."
_DENIED = "Homepost was not authorized. You can close this tab and go back to the terminal."
_UNEXPECTED = "This is not the authorization Homepost is waiting for."


class LoopbackCallback:
    """A one-shot HTTP server on 127.0.0.1 that receives the browser's redirect after authorization.

    `match` names the query parameter that must carry the `expected` value (set with `expect`
    before the browser is sent off); `required` names one that must be there too, if any.
    """

    def __init__(self, match: str = "state", *, required: str | None = None) -> None:
        self.match = match
        self.required = required
        self.expected: str | None = None
        self.params: dict[str, str] | None = None
        self._arrived = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, match: str = "state", *, required: str | None = None) -> LoopbackCallback | None:
        """A listening callback server, or None when none can be started here (the caller asks for a paste)."""
        try:
            return cls(match, required=required)
        except OSError as exc:
            log.info("no loopback redirect for the browser (%s); its answer will be pasted instead", exc.strerror)
            return None

    @property
    def base_url(self) -> str:
        """This server's root URL (with its slash): IndieAuth takes it as a loopback client_id."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def redirect_uri(self) -> str:
        """Where the authorization server sends the browser back to."""
        return f"http://127.0.0.1:{self.port}{PATH}"

    def expect(self, value: str) -> None:
        """Accept only a redirect whose `match` parameter is `value`."""
        self.expected = value

    def wait(self, timeout: float) -> dict[str, str] | None:
        """The accepted redirect's query parameters, or None if none came within `timeout` seconds."""
        return self.params if self._arrived.wait(timeout) else None

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _receive(self, params: dict[str, str]) -> bool:
        """Keep `params` when they are the awaited redirect (the first such); whether they were."""
        with self._lock:
            awaited = (
                not self._arrived.is_set()
                and self.expected is not None
                and params.get(self.match) == self.expected
                and (self.required is None or bool(params.get(self.required)))
            )
            if awaited:
                self.params = params
                self._arrived.set()
            return awaited


def error_reason(params: Mapping[str, str], limit: int = MESSAGE_LIMIT) -> str:
    """Why a redirect brought no code, fit for a message: its `error_description` or `error`."""
    return clean_message(params.get("error_description") or params.get("error") or "no code", limit=limit)


class _Server(HTTPServer):
    owner: LoopbackCallback


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # the query holds the code or verifier
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        params = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if parts.path != PATH:
            self._answer(404, "Not found.")
        elif self.server.owner._receive(params):
            self._answer(200, _DENIED if "error" in params else _APPROVED)
        else:
            self._answer(400, _UNEXPECTED)

    def _answer(self, status: int, message: str) -> None:
        body = _PAGE.format(message).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
