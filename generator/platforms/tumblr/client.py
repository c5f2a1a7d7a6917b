"""Tumblr's API v2 at the HTTP level: OAuth 1.0a signing, the response envelope, errors, uploads.

Every request is signed with HMAC-SHA1 by oauthlib's `Client` (what requests-oauthlib uses) and
sent through the one HttpClient. Form-encoded bodies are signed with the request; JSON and
multipart bodies are not (only the URL and the oauth parameters are), as Tumblr expects. Answers
come in Tumblr's envelope, `{"meta": {"status", "msg"}, "response": ..., "errors": [...]}`, and
failures become PlatformErrors whose messages never carry a credential. Reads at the API-key level
(`Api.read`, the notes of a post) are signed when a token is at hand, else carry `api_key`, kept out
of urllib3's request log. The signed steps of the three-legged authorization (request token, then
access token) are here too; the browser comes back to generator.syndication.loopback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3
from oauthlib.common import urldecode
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER, Client

from generator.errors import NetworkError
from generator.http import HttpClient, Response
from generator.platforms.base import (
    ErrorStyle,
    PlatformError,
    body_words,
    clean_message,
    reply_error,
    server_reason,
)
from generator.ratelimit import retry_after
from generator.redaction import redact_text

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
QUOTA_WAIT = 3600.0  # seconds a used-up daily limit waits when it names no reset
QUOTA_CODES = {8004, 8011, 8022, 8023}  # 403 subcodes for a used-up daily limit: wait, not re-authorize
APPS_PAGE = "https://www.tumblr.com/oauth/apps"


@dataclass(frozen=True)
class Keys:
    """OAuth 1.0a credentials: the app's consumer key and secret, and a token with its secret."""

    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    token_secret: str | None = field(default=None, repr=False)

    def secrets(self) -> tuple[str, ...]:
        """Every value here, to keep them out of messages."""
        return tuple(v for v in (self.consumer_key, self.consumer_secret, self.token, self.token_secret) if v)


class _DropDebug(logging.Filter):
    """oauthlib logs signature base strings (with the consumer key and token) at DEBUG: drop those."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def _quiet_oauthlib() -> None:
    for name in ("oauthlib.oauth1.rfc5849", "oauthlib.oauth1.rfc5849.signature"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropDebug) for f in logger.filters):
            logger.addFilter(_DropDebug())


class _HideApiKey(logging.Filter):
    """urllib3 logs every request line, query string and all, at DEBUG: blank out an api_key there."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if "api_key=" in message:
            record.msg, record.args = redact_text(message), ()
        return True


def _hide_api_key() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _HideApiKey) for f in logger.filters):
        logger.addFilter(_HideApiKey())


def sign(
    keys: Keys,
    method: str,
    url: str,
    form: Mapping[str, str] | None = None,
    *,
    callback: str | None = None,
    verifier: str | None = None,
) -> tuple[dict[str, str], str | None]:
    """The Authorization header for a request, and the form body (signed with it) when there is one."""
    _quiet_oauthlib()
    client = Client(
        keys.consumer_key,
        client_secret=keys.consumer_secret,
        resource_owner_key=keys.token,
        resource_owner_secret=keys.token_secret,
        callback_uri=callback,
        verifier=verifier,
        signature_method=SIGNATURE_HMAC_SHA1,
        signature_type=SIGNATURE_TYPE_AUTH_HEADER,
    )
    if form:
        _, headers, body = client.sign(url, method, body=dict(form), headers={"Content-Type": FORM})
        return {"Authorization": headers["Authorization"]}, body
    _, headers, _ = client.sign(url, method)
    return {"Authorization": headers["Authorization"]}, None


def multipart(payload: dict[str, Any], files: Iterable[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body: the NPF JSON in a `json` part, then each (identifier, filename, type, data)."""
    fields: list[tuple[str, Any]] = [  # the JSON part has no filename (None), which urllib3's types do not allow
        ("json", (None, json.dumps(payload, ensure_ascii=False), "application/json"))
    ]
    fields += [(identifier, (filename, data, mime)) for identifier, filename, mime, data in files]
    return urllib3.encode_multipart_formdata(fields)


def error_words(response: Response) -> str:
    """What Tumblr said went wrong: errors[].detail or title (with its code), else meta.msg, else any body's text."""
    try:
        data = response.json()
    except NetworkError:
        data = None
    parts: list[str] = []
    if isinstance(data, dict):
        for error in data.get("errors") or []:
            if isinstance(error, dict) and (error.get("detail") or error.get("title")):
                text, code = str(error.get("detail") or error.get("title")), error.get("code")
                parts.append(f"{text} ({code})" if code else text)
        meta = data.get("meta")
        if not parts and isinstance(meta, dict) and meta.get("msg"):
            parts.append(str(meta["msg"]))
    return "; ".join(parts) or body_words(response)  # OAuth answers are plain text


def error_codes(response: Response) -> set[int]:
    """The subcodes in errors[].code."""
    try:
        data = response.json()
    except NetworkError:
        return set()
    errors = data.get("errors") if isinstance(data, dict) else None
    return {e["code"] for e in errors or [] if isinstance(e, dict) and isinstance(e.get("code"), int)}


ERRORS = ErrorStyle(words=error_words, default_wait=60.0)  # a 429 naming neither Retry-After nor a reset waits a minute


def http_error(
    response: Response, name: str, action: str, *, secrets: Iterable[str] = (), unknown_outcome: bool = False
) -> PlatformError:
    """The PlatformError for a non-2xx answer of the API: a used-up daily limit waits (for its reset, else an
    hour); the rest through the one path (`reply_error`)."""
    if response.status == 403 and error_codes(response) & QUOTA_CODES:
        said = server_reason(response, secrets, error_words)
        wait = retry_after(response.headers, dt.datetime.now(dt.UTC))
        wait = QUOTA_WAIT if wait is None else wait
        return PlatformError(f"{name}: a daily Tumblr limit is used up ({said})", temporary=True, retry_after=wait)
    return reply_error(response, name, action, style=ERRORS, secrets=secrets, unknown_outcome=unknown_outcome)


class Api:
    """Signed calls to one Tumblr API base URL, each answer checked against the envelope."""

    def __init__(self, client: HttpClient, base: str, keys: Keys, name: str) -> None:
        self.client, self.base, self.keys, self.name = client, base.rstrip("/"), keys, name

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        upload: tuple[bytes, str] | None = None,
        unknown_outcome: bool = False,
        absent_ok: bool = False,
    ) -> dict[str, Any] | None:
        """The `response` of one call; None for a 404 when `absent_ok`. `unknown_outcome`: a lost answer
        leaves the outcome unknown (the call creates)."""
        url = self.base + path + ("?" + urlencode(params) if params else "")
        headers, body = sign(self.keys, method, url, form)
        data: bytes | str | None = body
        if upload is not None:
            data, headers["Content-Type"] = upload
        elif json_body is not None:
            data, headers["Content-Type"] = (
                json.dumps(json_body, ensure_ascii=False).encode("utf-8"),
                "application/json",
            )
        elif form:
            headers["Content-Type"] = FORM
        try:
            response = self.client.request(method, url, headers=headers, data=data, follow_redirects=False)
        except NetworkError as exc:
            where = "; the post may have been stored" if unknown_outcome else ""
            raise PlatformError(
                f"{self.name}: {clean_message(exc.problems[0].message, self.keys.secrets())}{where}",
                temporary=True,
                unknown_outcome=unknown_outcome,
            ) from None
        if absent_ok and response.status == 404:
            return None
        return self._answer(response, unknown_outcome, f"{method} {path}")

    def read(self, path: str, params: Mapping[str, str]) -> dict[str, Any] | None:
        """GET a method at the API-key level: OAuth-signed with a token, else with `api_key`; None for 404/410."""
        signed = bool(self.keys.token and self.keys.token_secret and self.keys.consumer_secret)
        query = dict(params) if signed else {**params, "api_key": self.keys.consumer_key}
        url = f"{self.base}{path}?{urlencode(query)}"
        if not signed:
            _hide_api_key()
        headers = sign(self.keys, "GET", url)[0] if signed else {}
        try:
            response = self.client.request("GET", url, headers=headers, follow_redirects=False)
        except NetworkError as exc:
            raise PlatformError(
                f"{self.name}: {clean_message(exc.problems[0].message, self.keys.secrets())}", temporary=True
            ) from None
        if response.status in (404, 410):
            return None
        return self._answer(response, False, f"GET {path}")

    def _answer(self, response: Response, unknown_outcome: bool, action: str) -> dict[str, Any]:
        """The `response` member of a 2xx answer's envelope; a PlatformError for anything else."""
        if not 200 <= response.status < 300:
            raise http_error(response, self.name, action, secrets=self.keys.secrets())
        try:
            envelope = response.json()
        except NetworkError:
            raise PlatformError(
                f"{self.name}: Tumblr answered {response.status} without JSON",
                temporary=True,
                unknown_outcome=unknown_outcome,
            ) from None
        answer = envelope.get("response") if isinstance(envelope, dict) else None
        return answer if isinstance(answer, dict) else {}


# --- the three-legged authorization -----------------------------------------------------------


def oauth_step(
    client: HttpClient, url: str, keys: Keys, *, callback: str | None = None, verifier: str | None = None
) -> dict[str, str]:
    """POST a signed request to an OAuth endpoint (request_token, access_token); its form-encoded answer."""
    headers, _ = sign(keys, "POST", url, callback=callback, verifier=verifier)
    step = urlsplit(url).path.rsplit("/", 1)[-1]
    try:
        response = client.post(url, headers=headers, follow_redirects=False)
    except NetworkError as exc:
        raise PlatformError(f"tumblr {step}: {clean_message(exc.problems[0].message)}", temporary=True) from None
    said = server_reason(response, keys.secrets(), error_words)
    if response.status in (400, 401, 403):
        hint = (
            f"check the consumer key and secret of your app at {APPS_PAGE}"
            if step == "request_token"
            else "authorize again"
        )
        raise PlatformError(f"tumblr {step}: Tumblr refused the request ({said}); {hint}", temporary=False)
    if response.status != 200:
        raise PlatformError(
            f"tumblr {step}: Tumblr answered {response.status} ({said})", temporary=response.status >= 500
        )
    try:
        values = dict(urldecode(response.text.strip()))
    except ValueError:
        raise PlatformError(f"tumblr {step}: the answer was not form-encoded", temporary=False) from None
    if not values.get("oauth_token") or not values.get("oauth_token_secret"):
        raise PlatformError(f"tumblr {step}: the answer had no oauth_token", temporary=False)
    return values
