"""What every platform implements, and the values that pass between it and the engines.

The engine (generator/syndication/copies.py) gives a platform an `Entry` (the post, platform-neutral);
the platform `render`s it into a `Draft` (exactly what it would send; a dry run prints this and stops),
then `create`s the copy from the draft. Every request goes through the one HttpClient. Errors are
`PlatformError`: temporary ones (5xx, 429, timeouts) are retried on a later run, permanent ones
(4xx) need the writer; `unknown_outcome` marks a failure after the request may have been stored
(a timeout or a dropped connection after sending), which the engine resolves with `find`. Every
platform's client turns an unsuccessful HTTP answer into a PlatformError through `reply_error`,
passing its `ErrorStyle` (how its error bodies are worded).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from generator.config import TargetSettings
from generator.errors import NetworkError
from generator.http import Response as Reply
from generator.model import Response
from generator.ratelimit import WAIT_STATUSES, retry_after
from generator.redaction import escape, redact_text


@dataclass(frozen=True)
class Media:
    """An image of the post to upload with the copy."""

    path: Path  # the local file
    url: str  # its absolute URL on the site
    alt: str
    mime: str  # image/png, image/jpeg, image/gif, image/webp
    size: int  # bytes
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Entry:
    """A post as every platform sees it: plain facts, no HTML to pick apart."""

    url: str  # the canonical URL: every copy links here
    title: str | None  # None for a note
    text: str  # the content as plain text, paragraphs separated by blank lines
    summary: str  # the summary as plain text
    html: str  # the content as HTML with absolute URLs (for platforms that take HTML)
    tags: tuple[str, ...]
    images: tuple[Media, ...]  # the cover first, then images in the content, each with its alt text
    content_warning: str
    language: str
    published: dt.datetime
    key: str  # stable for this post and target: idempotency key, record key seed
    links: tuple[str, ...] = ()  # absolute URLs linked in the content

    @property
    def is_note(self) -> bool:
        """True for a post without a title."""
        return not self.title


@dataclass(frozen=True)
class Draft:
    """Exactly what a platform would send for one entry."""

    text: str  # the copy's text as readers will see it
    payload: dict[str, Any]  # the request body (or record) that carries it
    media: tuple[Media, ...] = ()  # images to upload first, each with its alt text
    notes: tuple[str, ...] = ()  # what was adapted: "cut to 500 characters", "2 images over the limit left out"

    def preview(self) -> str:
        """What `--dry-run` prints: the text, each image with its alt text, every other field of the payload
        exactly as it would be sent (content warning, language, visibility...), and what was adapted."""
        lines = [self.text]
        lines += [f"[image {m.path.name}: {m.alt or 'no alt text'}]" for m in self.media]
        lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in _fields(self.payload, self.text)]
        lines += [f"({note})" for note in self.notes]
        return "\n".join(lines)


def _fields(payload: dict[str, Any], text: str, prefix: str = "") -> list[tuple[str, Any]]:
    """The payload's fields by dotted name, nested objects opened, the field that only repeats `text` left out."""
    fields: list[tuple[str, Any]] = []
    for key, value in payload.items():
        if isinstance(value, dict) and value:
            fields += _fields(value, text, f"{prefix}{key}.")
        elif value != text and value != [text]:
            fields.append((prefix + key, value))
    return fields


@dataclass(frozen=True)
class Copy:
    """A copy on a platform: its id there and its public URL."""

    id: str
    url: str
    extra: dict[str, str] = field(default_factory=dict)  # platform details worth keeping (a Bluesky cid)


@dataclass(frozen=True)
class Harvest:
    """What answered one copy (backfeed): the responses found, and what to remember for the next poll."""

    responses: tuple[Response, ...] = ()
    complete: bool = False  # True: this is everything that answers the copy now (what is missing was deleted)
    state: dict[str, str] = field(default_factory=dict)  # cursors, ETags, given back on the next poll


class PlatformError(Exception):
    """A platform call failed. The message never contains credentials."""

    def __init__(
        self, message: str, *, temporary: bool, retry_after: float | None = None, unknown_outcome: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.temporary = temporary  # worth retrying later (5xx, 429, timeouts)
        self.retry_after = retry_after  # seconds the platform asked to wait (Retry-After of a 429 or 503)
        self.unknown_outcome = unknown_outcome  # the request may have been stored before it failed

    def undecided(self, prefix: str = "") -> PlatformError:
        """The same failure with its outcome unknown (a `find` that could not look), `prefix` before its message."""
        message = prefix + self.message
        return PlatformError(message, temporary=self.temporary, retry_after=self.retry_after, unknown_outcome=True)

    @property
    def needs_auth(self) -> bool:
        """True when the credentials are missing or refused: every platform's message then says `homepost auth`."""
        return "homepost auth" in self.message


MESSAGE_LIMIT = 200  # characters of a server's words worth repeating in a message
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_message(text: str, secrets: Iterable[str] = (), limit: int = MESSAGE_LIMIT) -> str:
    """A server's words made fit for a PlatformError: every secret, and anything that looks like a Bearer
    token or a JWT, blanked out, control characters and runs of white space made one space, cut to `limit`."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):  # the longest first: one may hold another
        text = text.replace(secret, "[redacted]")
    text = escape(redact_text(re.sub(r"\s+", " ", _CONTROL.sub(" ", text)).strip()))  # bidi controls made visible
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.IGNORECASE | re.DOTALL)


def body_words(response: Reply) -> str:
    """What a server said went wrong, whatever its Content-Type, not yet cleaned: JSON `error_description`, else
    `error`, else `message`, else the body's text with tags stripped and entities decoded ("" when nothing)."""
    try:
        data = response.json()
    except (NetworkError, RecursionError):
        data = None
    if isinstance(data, dict):
        said = [data[key] for key in ("error_description", "error", "message") if isinstance(data.get(key), str)]
        said = [text for text in said if text]
        return said[0] if said else ""
    if isinstance(data, str):
        return data
    return html.unescape(_TAG.sub(" ", response.text))


def server_words(response: Reply, secrets: Iterable[str] = ()) -> str:
    """`body_words` cleaned by `clean_message` ("" when nothing)."""
    return clean_message(body_words(response), secrets)


def server_reason(response: Reply, secrets: Iterable[str] = (), words: Callable[[Reply], str] = body_words) -> str:
    """What the server said went wrong (as `words` reads the body), cleaned of `secrets`; `HTTP <status>` when
    it said nothing."""
    return clean_message(words(response), secrets) or f"HTTP {response.status}"


@dataclass(frozen=True)
class ErrorStyle:
    """The platform's own part of `reply_error`: how its error answers are worded, and what they mean."""

    words: Callable[[Reply], str] = body_words  # what the answer's body says went wrong, before cleaning
    default_wait: float | None = None  # seconds a 429 waits when it names no time (Retry-After or a reset)
    stored_after: tuple[int, ...] = (500, 502, 504)  # statuses after which a create may have been stored


PLAIN = ErrorStyle()


def reply_error(
    response: Reply,
    name: str,
    action: str,
    *,
    style: ErrorStyle = PLAIN,
    secrets: Iterable[str] = (),
    unknown_outcome: bool = False,
) -> PlatformError:
    """The PlatformError for an unsuccessful HTTP answer, in the server's own words (as `style.words` reads
    them, cleaned of `secrets`): 429 and 5xx temporary, waiting as long as a 429 or 503 asks (the one
    Retry-After reader, generator.ratelimit), 401 and 403 asking for `homepost auth`, other 4xx permanent.
    `unknown_outcome`: the request may have been stored before a server error (`style.stored_after`)."""
    status = response.status
    reason = f"{status}: {server_reason(response, secrets, style.words)}"
    wait = retry_after(response.headers, dt.datetime.now(dt.UTC)) if status in WAIT_STATUSES else None
    if status == 429:
        wait = style.default_wait if wait is None else wait
        return PlatformError(f"{name}: {action} was rate-limited ({reason})", temporary=True, retry_after=wait)
    if status in (401, 403):
        return PlatformError(f"{name}: {action} was refused ({reason}); run `homepost auth {name}`", temporary=False)
    if status >= 500:
        unknown = unknown_outcome and status in style.stored_after
        message = f"{name}: {action} failed with a server error ({reason})"
        return PlatformError(message, temporary=True, retry_after=wait, unknown_outcome=unknown)
    return PlatformError(f"{name}: {action} failed ({reason})", temporary=False)


class Platform(Protocol):
    """One platform account. Constructed with its settings, the HTTP client and its credentials."""

    target: TargetSettings
    can_update: bool  # False where the platform has no edits (Bluesky)
    can_backfeed: bool  # False where nothing answering a copy can be read (Micropub: replies come as webmentions)

    def verify(self) -> None:
        """Check the credentials with one authenticated read (once per run, before posting); PlatformError
        in the server's words when they are missing or refused."""
        ...

    def render(self, entry: Entry) -> Draft:
        """The native copy of `entry` for this platform; may read the server's limits, never writes."""
        ...

    def create(self, draft: Draft, entry: Entry) -> Copy:
        """Post the copy (uploading its media first); idempotent by `entry.key` where the platform allows."""
        ...

    def find(self, draft: Draft, entry: Entry) -> Copy | None:
        """The copy an earlier create may have made (by its key, or by its link home), or None.

        Raises PlatformError(unknown_outcome=True) when the platform cannot tell.
        """
        ...

    def update(self, copy: Copy, draft: Draft, entry: Entry) -> Copy:
        """Edit the copy to match the post (only where can_update)."""
        ...

    def delete(self, copy: Copy) -> None:
        """Delete the copy."""
        ...

    def responses(self, copy: Copy, post_url: str, state: dict[str, str]) -> Harvest:
        """Everything that answers the copy (replies with their whole tree, likes, reposts, quotes), as Responses.

        Each Response: a stable unique `id`, `source` a URL a reader can follow, `target` = `post_url`,
        `in_reply_to` = the id of the response it answers (empty when it answers the copy), content
        sanitised with generator.sanitize.clean_html, `platform` the platform's name.
        """
        ...


class Credentials(Protocol):
    """Reading and storing one target's credentials (generator.credentials, bound to a site and a name)."""

    def get(self, key: str) -> str | None:
        """A credential (the environment first, then .homepost/credentials.toml)."""
        ...

    def save(self, values: dict[str, str]) -> None:
        """Store values for this target in .homepost/credentials.toml, keeping the others."""
        ...


class AuthIO(Protocol):
    """How `homepost auth` talks to the person at the keyboard (the CLI implements it; tests script it)."""

    def say(self, message: str) -> None:
        """Show a line."""
        ...

    def ask(self, prompt: str, secret: bool = False) -> str:
        """Ask for a line of input (hidden when `secret`)."""
        ...

    def open(self, url: str) -> bool:
        """Open `url` in a browser; False when that is not possible (then `say` it instead)."""
        ...


def json_object(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (answers are read defensively: any member may be missing)."""
    return value if isinstance(value, dict) else {}


def missing_credential(target: TargetSettings, key: str = "token") -> PlatformError:
    """The error for a target without credentials, saying how to get them."""
    from generator.credentials import env_name

    return PlatformError(
        f"no {key} for {target.name}: run `homepost auth {target.name}` or set {env_name(target.name, key)}",
        temporary=False,
    )


__all__ = [
    "AuthIO",
    "Copy",
    "Credentials",
    "Draft",
    "Entry",
    "ErrorStyle",
    "Harvest",
    "Media",
    "Platform",
    "PlatformError",
    "body_words",
    "clean_message",
    "json_object",
    "missing_credential",
    "reply_error",
    "server_reason",
    "server_words",
]
