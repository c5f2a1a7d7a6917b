"""What may reach a terminal or a log: secrets redacted, remote text unable to lie.

`redact` is the one way a URL is shown: without userinfo, query or fragment. `redact_text` does the
same inside free text (a message that quotes a URL, a header): userinfo goes, the values of query
parameters with sensitive names (`token`, `key`, `secret`, `password`, `signature`...) become
`[redacted]`, and so do `Authorization`-style header values, bearer tokens and JWTs. `escape` writes
control characters as visible escapes: bidi overrides (U+202E can make a log line read backwards),
other C0/C1 controls and line breaks, so that a remote string stays one honest line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

REDACTED = "[redacted]"
SENSITIVE_NAMES = (
    r"(?:access_?token|refresh_?token|token|api_?key|key|secret|client_secret|password|passwd|pass|pwd"
    r"|auth|sig|signature|code|session|credential|jwt)"
)
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key")

# a sensitive query value ends at the next parameter, white space, a quote, or an escape `escape` wrote
_QUERY_VALUE = re.compile(rf"([?&;](?:[\w.-]*[_-])?{SENSITIVE_NAMES}=)[^&#\s;\"'<>\\]*", re.IGNORECASE)
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@?#]*@", re.IGNORECASE)
_HEADER = re.compile(r"\b((?:proxy-)?authorization|cookie|set-cookie|x-api-key)(\s*[:=]\s*)[^\r\n,;]+", re.IGNORECASE)
_BEARER = re.compile(r"\b(bearer\s+)(?=\S*[\d_-])\S{12,}|\b(basic\s+)[A-Za-z0-9+/=]{8,}", re.IGNORECASE)
_JWT = re.compile(r"eyJ[\w-]*\.[\w-]*\.?[\w-]*")
# C0 and C1 controls, DEL, and the bidi controls (embeddings, overrides, isolates, marks)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def redact(url: str) -> str:
    """The URL without userinfo, query or fragment: safe for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(invalid URL)"
    if not parts.netloc:
        return "(URL without a host)"
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def redact_text(text: str) -> str:
    """`text` with userinfo of URLs, sensitive query values, credential headers and bearer tokens redacted."""
    text = _USERINFO.sub(r"\1", text)
    text = _QUERY_VALUE.sub(rf"\1{REDACTED}", text)
    text = _HEADER.sub(rf"\1\2{REDACTED}", text)
    text = _BEARER.sub(lambda m: (m.group(1) or m.group(2)) + REDACTED, text)
    return _JWT.sub(REDACTED, text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of `headers` with the values of credential headers redacted."""
    return {name: REDACTED if name.lower() in CREDENTIAL_HEADERS else value for name, value in headers.items()}


def escape(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with bidi controls, other control characters and (unless kept) line breaks as visible escapes."""

    def visible(match: re.Match[str]) -> str:
        char = match.group()
        if keep_newlines and char == "\n":
            return char
        return _NAMED.get(char) or f"\\u{ord(char):04x}"

    return _CONTROL.sub(visible, text)


def for_terminal(text: str) -> str:
    """A remote string made safe to print on one line: secrets redacted, controls escaped."""
    return escape(redact_text(str(text)))


def log_message(msg: object, args: tuple[object, ...] | Mapping[str, object] | None) -> str:
    """A log record's message: its arguments (remote strings, mostly) escaped onto one line, then the whole
    line's controls escaped (line breaks the code itself wrote are kept) and its secrets redacted."""
    if args:
        if isinstance(args, Mapping):  # logging passes a lone Mapping argument on as it is, not only a dict
            args = {key: _one_line(value) for key, value in args.items()}
        else:
            args = tuple(_one_line(arg) for arg in args)
        try:
            text = str(msg) % args
        except (TypeError, ValueError):
            text = f"{msg} {args}"
    else:
        text = str(msg)
    return escape(redact_text(text), keep_newlines=True)


def _one_line(value: object) -> object:
    return value if isinstance(value, (int, float)) else escape(str(value))  # numbers stay numbers for %d


class SafeFormatter(logging.Formatter):
    """A logging Formatter whose messages are made safe by `log_message` (for handlers the CLI does not install)."""

    def format(self, record: logging.LogRecord) -> str:
        copy = logging.makeLogRecord(record.__dict__)  # other handlers see the record as it was
        copy.msg, copy.args = log_message(record.msg, record.args), None
        return super().format(copy)
