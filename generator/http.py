"""The one HTTP client: timeouts, size caps, User-Agent, redirects, and the private-address guard applied.

Every URL Homepost fetches goes through `HttpClient`. Unless `[network] allow_private_addresses`
is set, a request to a loopback, private, link-local or otherwise non-public address is refused:
before connecting (literal addresses and every address a host name resolves to) here, and again
on the address each socket actually connected to (`generator.http_guard`). Redirects are
followed here, one checked hop at a time. Failures raise NetworkError; HTTP error statuses are
returned as Responses for the caller to judge. No message or log line carries request headers,
bodies, userinfo or query strings.
"""

from __future__ import annotations

import http.client
import json as jsonlib
import logging
import socket
import ssl
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from ipaddress import ip_address
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from generator import __version__
from generator.config import NetworkSettings
from generator.errors import NetworkError, Problem
from generator.http_guard import AddressRule, Deadline, classify_address, guard_session, refusal
from generator.redaction import redact  # the one way a URL is shown

log = logging.getLogger(__name__)

USER_AGENT = f"Homepost/{__version__} (static site generator)"
DEADLINE_FACTOR = 3  # a whole request, redirects and body included, may take this many timeouts
CHUNK_SIZE = 65536
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")
BODY_HEADERS = ("content-type", "content-length", "transfer-encoding")


# --- responses ---------------------------------------------------------------------------------


class Headers(Mapping[str, str]):
    """Case-insensitive response headers; a repeated header reads joined by ", ", get_all() keeps them apart."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs = tuple(pairs)
        self._joined: dict[str, str] = {}
        for name, value in self._pairs:
            key = name.lower()
            self._joined[key] = f"{self._joined[key]}, {value}" if key in self._joined else value

    def __getitem__(self, name: str) -> str:
        return self._joined[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined)

    def __len__(self) -> int:
        return len(self._joined)

    def __repr__(self) -> str:
        return f"Headers({list(self._pairs)!r})"

    def get_all(self, name: str) -> list[str]:
        """Every value sent under `name`, in order."""
        return [value for key, value in self._pairs if key.lower() == name.lower()]


@dataclass(frozen=True)
class Response:
    """A completed HTTP exchange, whatever its status."""

    url: str  # the final URL, after redirects
    status: int
    headers: Headers
    content: bytes = field(repr=False)

    def header_values(self, name: str) -> list[str]:
        """Every value of a header that may be sent several times, such as Link."""
        return self.headers.get_all(name)

    @property
    def text(self) -> str:
        """The body decoded by the Content-Type charset (UTF-8 if none or unknown)."""
        message = Message()
        message["content-type"] = self.headers.get("content-type", "")
        try:
            return self.content.decode(message.get_content_charset() or "utf-8", errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON, or NetworkError."""
        try:
            return jsonlib.loads(self.content)
        except ValueError as exc:
            raise NetworkError(Problem(redact(self.url), f"response is not valid JSON ({exc})")) from None


# --- the client --------------------------------------------------------------------------------

_FAILURES = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)


class HttpClient:
    """Fetches URLs under the [network] rules; `session` is the guarded requests.Session it uses."""

    def __init__(
        self, network: NetworkSettings, user_agent: str | None = None, *, rule: AddressRule = classify_address
    ) -> None:
        self.network = network
        self.rule: AddressRule | None = None if network.allow_private_addresses else rule
        self.session = guard_session(requests.Session(), network, rule=rule)
        self.session.headers["User-Agent"] = user_agent or USER_AGENT

    def get(self, url: str, **kwargs: Any) -> Response:
        """GET `url`; see request()."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        """POST to `url`; see request()."""
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Response:
        """PUT to `url`; see request()."""
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Response:
        """DELETE `url`; see request()."""
        return self.request("DELETE", url, **kwargs)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        json: Any = None,
        params: Any = None,
        follow_redirects: bool = True,
        max_redirects: int = 5,
    ) -> Response:
        """Send one request, following redirects; raise NetworkError on any failure but an HTTP status."""
        method, headers = method.upper(), dict(headers or {})
        with Deadline(DEADLINE_FACTOR * self.network.timeout) as deadline:
            for hop in range(max(max_redirects, 0) + 1):
                self._check(url)
                reply = self._send(method, url, headers, data, json, params, deadline)
                if deadline.expired:  # cut off mid-headers, which can read like a complete response
                    reply.close()
                    raise _fail(url, deadline.message)
                target = self.session.get_redirect_target(reply) if follow_redirects else None
                if not target:
                    return self._read(method, url, reply, deadline)
                reply.close()
                log.debug("%s %s -> %d (redirect)", method, redact(url), reply.status_code)
                if hop == max_redirects:
                    raise _fail(url, f"too many redirects (more than {max_redirects})")
                next_url = urljoin(reply.url or url, target)
                if (reply.status_code == 303 and method != "HEAD") or (
                    reply.status_code in (301, 302) and method == "POST"
                ):
                    method, data, json = "GET", None, None
                    headers = {k: v for k, v in headers.items() if k.lower() not in BODY_HEADERS}
                if _origin(next_url) != _origin(url):
                    headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}
                url, params = next_url, None
        raise AssertionError("unreachable")

    def _check(self, url: str) -> None:
        """Refuse a URL by scheme, or (when guarded) by any address its host is or resolves to."""
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port
        except ValueError:
            raise _fail(url, "not a valid URL") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise _fail(url, f"unsupported URL scheme {parts.scheme!r}; only http and https are allowed")
        if not host:
            raise _fail(url, "not a valid URL (no host name)")
        if self.rule is None:
            return
        try:
            addresses = [ip_address(host.partition("%")[0])]
        except ValueError:
            try:
                port = port or (443 if parts.scheme.lower() == "https" else 80)
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError):
                raise _fail(url, f"could not resolve the host name {host}") from None
            addresses = [ip_address(str(info[4][0]).partition("%")[0]) for info in infos]
        for ip in addresses:
            kind = self.rule(ip)
            if kind:
                raise _fail(url, refusal(host, ip, kind))

    def _send(
        self, method: str, url: str, headers: dict[str, str], data: Any, json: Any, params: Any, deadline: Deadline
    ) -> requests.Response:
        timeout = self.network.timeout
        try:
            return self.session.request(
                method,
                url,
                headers=headers,
                data=data,
                json=json,
                params=params,
                allow_redirects=False,
                stream=True,
                timeout=(timeout, timeout),
            )
        except NetworkError as exc:  # refused by the connection guard
            raise _fail(url, exc.problems[0].message) from None
        except _FAILURES as exc:
            raise _fail(url, _describe(exc, timeout, deadline)) from None

    def _read(self, method: str, url: str, reply: requests.Response, deadline: Deadline) -> Response:
        """Read the body of `reply`, at most max_bytes of it."""
        limit = self.network.max_bytes
        too_large = f"response larger than {limit} bytes"
        try:
            length = reply.headers.get("Content-Length", "").strip()
            if method != "HEAD" and length.isdigit() and int(length) > limit:
                raise _fail(url, f"{too_large} (Content-Length: {length})")
            body = bytearray()
            for chunk in reply.iter_content(CHUNK_SIZE):
                body += chunk
                if len(body) > limit:
                    raise _fail(url, too_large)
            if deadline.expired:  # cut off mid-body without a length to notice it by
                raise _fail(url, deadline.message)
        except _FAILURES as exc:
            raise _fail(url, _describe(exc, self.network.timeout, deadline)) from None
        finally:
            reply.close()
        log.debug("%s %s -> %d, %d bytes", method, redact(url), reply.status_code, len(body))
        headers = Headers(reply.raw.headers.iteritems())  # urllib3 keeps repeated headers apart
        return Response(url=reply.url or url, status=reply.status_code, headers=headers, content=bytes(body))


def not_live(client: HttpClient, url: str, expected: tuple[int, ...] = (200,)) -> str | None:
    """None when `url` answers one of `expected`; else why not, for a "deploy first" message."""
    try:
        status = client.get(url).status
    except NetworkError as exc:
        return f"could not fetch it ({exc.problems[0].message})"
    return None if status in expected else f"it answers {status}, expected {expected[0]}; deploy first"


def _fail(url: str, message: str) -> NetworkError:
    return NetworkError(Problem(redact(url), message))


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests and urllib3 nest them deeply)."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "reason", None), current.__cause__, current.__context__, *current.args]


def _describe(exc: BaseException, timeout: float, deadline: Deadline) -> str:
    """A message for a failed request that never quotes the exception (it may hold the URL's query)."""
    if deadline.expired:
        return deadline.message
    causes = list(_chain(exc))
    if any(isinstance(c, requests.ConnectTimeout) for c in causes):
        return f"could not connect within {timeout} s"
    if any(isinstance(c, (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError)) for c in causes):
        return f"timed out after {timeout} s"
    if any(isinstance(c, (urllib3.exceptions.NameResolutionError, socket.gaierror)) for c in causes):
        return "could not resolve the host name"
    for cause in causes:
        if isinstance(cause, ssl.SSLError):
            return f"TLS failed ({getattr(cause, 'verify_message', None) or cause.reason or 'handshake error'})"
    for cause in causes:
        if isinstance(cause, OSError) and cause.strerror:
            return f"connection failed ({cause.strerror})"
    if any(isinstance(c, (http.client.IncompleteRead, requests.exceptions.ChunkedEncodingError)) for c in causes):
        return "connection closed before the response was complete"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "response body could not be decoded"
    return f"request failed ({type(exc).__name__})"
