"""The schema of `site.toml`: each table's keys, their types and the checks on their values."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.config.settings import PERMALINK_TOKENS, PLATFORMS

Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Option:
    """One key of the schema: its type, whether it is required and an extra check."""

    types: tuple[type, ...]
    expected: str
    required: bool = False
    check: Check | None = None


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "expected an http(s) URL"
    if parts.query or parts.fragment:
        return "expected an http(s) URL without query or fragment"
    return None


def _url_or_empty(value: str) -> str | None:
    return _http_url(value) if value else None


def _url_list(value: list) -> str | None:
    if not all(isinstance(v, str) and _http_url(v) is None for v in value):
        return "expected a list of http(s) URLs"
    return None


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"expected an IANA time zone such as 'Europe/Berlin', got {value!r}"
    return None


def _permalink(value: str) -> str | None:
    if not value.startswith("/") or not value.endswith("/"):
        return "expected a path that starts and ends with '/', such as '/{year}/{month}/{slug}/'"
    try:
        value.format(year="2024", month="01", day="01", slug="slug")
    except ValueError:
        return "expected every '{' to close with '}' around a placeholder such as {slug}"
    except (KeyError, IndexError):
        pass  # an unknown placeholder: named below
    tokens = re.findall(r"{([^{}]*)}", value)
    unknown = [t for t in tokens if t not in PERMALINK_TOKENS]
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}}; expected one of " + ", ".join(
            "{" + t + "}" for t in PERMALINK_TOKENS
        )
    if "slug" not in tokens:
        return "expected the pattern to contain {slug}"
    return None


def _pygments_style(value: str) -> str | None:
    from pygments.styles import get_all_styles

    styles = sorted(get_all_styles())
    if value in styles:
        return None
    hint = difflib.get_close_matches(value, styles, n=1)
    return f"unknown Pygments style {value!r}" + (f"; did you mean '{hint[0]}'?" if hint else "")


def _endpoint(value: str) -> str | None:
    """An http(s) URL, query allowed (endpoints may carry one), no fragment."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "expected an http(s) URL"
    return "expected a URL without a fragment" if parts.fragment else None


def _iso_date(value: str | dt.date) -> str | None:
    if isinstance(value, dt.date):
        return None
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"expected a date such as 2026-01-01, got {value!r}"
    return None


def _base_url(value: str) -> str | None:
    """A scheme and host, optionally a path: no query, no fragment."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "expected a base URL with its scheme, such as \"https://example.social\""
    return "expected a base URL without query or fragment" if parts.query or parts.fragment else None


def _handle(value: str) -> str | None:
    ok = re.fullmatch(r"@?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*", value.lower())
    return None if ok else "expected a handle such as \"alice.bsky.social\""


def _blog(value: str) -> str | None:
    return None if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", value) else "expected a blog name such as \"example\""


def _strings(value: list) -> str | None:
    return None if all(isinstance(v, str) and v.strip() for v in value) else "expected a list of non-empty strings"


def _domains(value: list) -> str | None:
    if not all(isinstance(v, str) and re.fullmatch(r"[a-z0-9.-]+\.[a-z0-9-]+", v.lower().strip(".")) for v in value):
        return "expected a list of domain names such as \"spam.example\""
    return None


def _positive(value: int) -> str | None:
    return None if value > 0 else "expected a whole number greater than 0"


def _choice(*choices: str) -> Check:
    def check(value: str) -> str | None:
        if value in choices:
            return None
        return "expected one of " + ", ".join(repr(c) for c in choices)

    return check


def _path_segment(value: str) -> str | None:
    if not re.fullmatch(r"[^/\s]+(/[^/\s]+)*", value.strip("/")):
        return "expected a URL path such as 'tags'"
    return None


STR, BOOL, INT = (str,), (bool,), (int,)
SCHEMA: dict[str, dict[str, Option]] = {
    "site": {
        "title": Option(STR, "a string", required=True),
        "url": Option(STR, "an http(s) URL", required=True, check=_http_url),
        "description": Option(STR, "a string"),
        "language": Option(STR, "a language tag such as 'en' or 'zh-CN'"),
        "timezone": Option(STR, "an IANA time zone name", check=_timezone),
        "author": Option((dict,), "a table"),
    },
    "site.author": {
        "name": Option(STR, "a string"),
        "url": Option(STR, "an http(s) URL", check=_url_or_empty),
        "email": Option(STR, "an email address"),
        "avatar": Option(STR, "a URL or a path under the site"),
        "me": Option((list,), "a list of http(s) URLs", check=_url_list),
    },
    "build": {
        "output": Option(STR, "a folder name"),
        "permalink": Option(STR, "a permalink pattern", check=_permalink),
        "page_permalink": Option(STR, "a permalink pattern", check=_permalink),
        "posts_per_page": Option(INT, "a whole number", check=_positive),
        "feed_items": Option(INT, "a whole number", check=_positive),
        "slug_source": Option(STR, "'filename' or 'title'", check=_choice("filename", "title")),
        "transliterate": Option(BOOL, "true or false"),
        "theme": Option(STR, "a theme name or folder"),
        "highlight_style": Option(STR, "a Pygments style name", check=_pygments_style),
        "highlight_style_dark": Option(STR, "a Pygments style name", check=_pygments_style),
        "allow_outside_symlinks": Option(BOOL, "true or false"),
    },
    "theme": {
        "toc_min_headings": Option(INT, "a whole number (0: only posts with toc: true)", check=lambda v: None if v >= 0 else "expected 0 or more"),
    },
    "taxonomies.*": {
        "title": Option(STR, "a string"),
        "path": Option(STR, "a URL path", check=_path_segment),
        "feeds": Option(BOOL, "true or false"),
        "enabled": Option(BOOL, "true or false"),
    },
    "podcasts.*": {
        "title": Option(STR, "a string", required=True),
        "description": Option(STR, "a string", required=True),
        "author": Option(STR, "a string"),
        "owner_name": Option(STR, "a string"),
        "owner_email": Option(STR, "an email address", check=lambda v: None if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v) else "expected an email address"),
        "language": Option(STR, "a language tag"),
        "artwork": Option(STR, "a path under the site or an http(s) URL"),
        "categories": Option((list,), "a list of Apple Podcasts categories", check=lambda v: None if all(isinstance(c, str) and c.strip() for c in v) else "expected a list of category names such as \"Technology\" or \"Society & Culture > Documentary\""),
        "explicit": Option(BOOL, "true or false"),
        "type": Option(STR, "'episodic' or 'serial'", check=_choice("episodic", "serial")),
        "funding": Option((list,), "a list of tables with url and text", check=lambda v: _funding(v)),
        "locked": Option(BOOL, "true or false"),
        "copyright": Option(STR, "a string"),
        "new_feed_url": Option(STR, "an http(s) URL", check=_http_url),
    },
    "network": {
        "allow_private_addresses": Option(BOOL, "true or false"),
        "timeout": Option((int, float), "a number of seconds", check=lambda v: None if v > 0 else "expected a number of seconds greater than 0"),
        "max_bytes": Option(INT, "a number of bytes", check=_positive),
    },
    "webmention": {
        "endpoint": Option(STR, "an http(s) URL", check=_endpoint),
        "api": Option(STR, "an http(s) URL", check=_endpoint),
        "concurrency": Option(INT, "a whole number", check=_positive),
        "max_tries": Option(INT, "a whole number", check=_positive),
        "rate_limit": Option(INT, "a whole number of webmentions a minute", check=_positive),
        "blocklist": Option((list,), "a list of domain names", check=_domains),
        "webmentionio_token": Option((object,), "no credentials", check=lambda v: secret_message("webmentionio")),
        "token": Option((object,), "no credentials", check=lambda v: secret_message("webmentionio")),
    },
    "syndication.*": {
        "platform": Option(STR, "one of " + ", ".join(repr(p) for p in PLATFORMS), required=True, check=_choice(*PLATFORMS)),
        "instance": Option(STR, "the instance's base URL, such as \"https://mastodon.social\"", check=_base_url),
        "service": Option(STR, "the PDS base URL, such as \"https://bsky.social\"", check=_base_url),
        "handle": Option(STR, "a handle such as \"alice.bsky.social\"", check=_handle),
        "appview": Option(STR, "an AppView base URL", check=_base_url),
        "blog": Option(STR, "a blog name such as \"example\" or \"example.tumblr.com\"", check=_blog),
        "endpoint": Option(STR, "the Micropub endpoint URL", check=_endpoint),
        "api": Option(STR, "a base URL", check=_base_url),
        "visibility": Option(STR, "'public', 'unlisted' or 'private'", check=_choice("public", "unlisted", "private")),
        "content_warning": Option(BOOL, "true or false"),
        "since": Option((str, dt.date), "a date such as 2026-01-01", check=_iso_date),
    },
    "comments": {
        "enabled": Option(BOOL, "true or false"),
        "endpoint": Option(STR, "an http(s) URL", check=_endpoint),
        "rate_limit": Option(INT, "a whole number of comments a minute", check=_positive),
        "max_length": Option(INT, "a whole number of characters", check=_positive),
        "auto_approve_known": Option(BOOL, "true or false"),
    },
    "newsletter": {
        "enabled": Option(BOOL, "true or false"),
        "name": Option(STR, "a string"),
        "from": Option(STR, "a name and address such as \"Alice <alice@example.com>\"", check=lambda v: _mailbox(v)),
        "reply_to": Option(STR, "an email address", check=lambda v: _mailbox(v)),
        "endpoint": Option(STR, "an http(s) URL", check=_endpoint),
        "mode": Option(STR, "'full' or 'excerpt'", check=_choice("full", "excerpt")),
        "digest": Option(STR, "'each', 'daily' or 'weekly'", check=_choice("each", "daily", "weekly")),
        "since": Option((str, dt.date), "a date such as 2026-01-01", check=_iso_date),
        "host": Option(STR, "an SMTP server's host name"),
        "port": Option(INT, "a port number", check=lambda v: None if 0 < v < 65536 else "expected a port number from 1 to 65535"),
        "security": Option(STR, "'starttls', 'tls' or 'none'", check=_choice("starttls", "tls", "none")),
        "username": Option(STR, "a user name"),
        "rate": Option(INT, "a whole number of messages a minute (0: no limit)", check=lambda v: None if v >= 0 else "expected 0 or more"),
        "max_bounces": Option(INT, "a whole number", check=_positive),
        "password": Option((object,), "no credentials", check=lambda v: NEWSLETTER_PASSWORD),
    },
    "moderation": {
        "block": Option((list,), "a list of domains, @handles or author URLs", check=_strings),
        "words": Option((list,), "a list of words", check=_strings),
        "hide": Option((list,), "a list of response ids or URLs", check=_strings),
    },
    "backfeed": {
        "recent_days": Option(INT, "a whole number of days", check=_positive),
        "older_every_hours": Option(INT, "a whole number of hours", check=_positive),
        "max_age_days": Option(INT, "a whole number of days (0: no limit)", check=lambda v: None if v >= 0 else "expected 0 or more"),
    },
    "deploy": {
        "method": Option(STR, "'rsync', 'git' or 'command'", required=True, check=_choice("rsync", "git", "command")),
        "target": Option(STR, "a folder or host:path for rsync"),
        "delete": Option(BOOL, "true or false"),
        "repository": Option(STR, "a git remote URL or path"),
        "branch": Option(STR, "a branch name", check=lambda v: None if re.fullmatch(r"[A-Za-z0-9._/-]+", v) and ".." not in v else "expected a branch name such as 'gh-pages'"),
        "message": Option(STR, "a commit message"),
        "command": Option(STR, "a shell command"),
        "wait": Option(INT, "a whole number of seconds", check=lambda v: None if v >= 0 else "expected 0 or more"),
    },
}
TOP_LEVEL = ("site", "build", "theme", "taxonomies", "network", "podcasts", "webmention", "syndication", "comments", "newsletter", "moderation", "backfeed", "deploy")
CREDENTIAL_KEYS = (
    "token", "password", "app_password", "access_token", "refresh_token", "client_id", "client_secret",
    "consumer_key", "consumer_secret", "oauth_token", "oauth_token_secret", "secret",
)  # fmt: skip
NEWSLETTER_PASSWORD = (
    "credentials never go in site.toml (it is published with the site); set the environment variable "
    'HOMEPOST_NEWSLETTER_PASSWORD or put password = "…" under [newsletter] in .homepost/credentials.toml'
)
PLATFORM_NEEDS = {"mastodon": "instance", "bluesky": "handle", "tumblr": "blog", "micropub": "endpoint"}


def secret_message(name: str, kind: str = "token") -> str:
    """The message for a credential written into site.toml, saying where it belongs instead."""
    env = "HOMEPOST_" + re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_" + kind.upper()
    return (
        "credentials never go in site.toml (it is published with the site); set the environment variable "
        f"{env}, or run `homepost auth {name}`, which stores it in .homepost/credentials.toml"
        if kind != "token" or name != "webmentionio"
        else "credentials never go in site.toml (it is published with the site); set the environment variable "
        f"{env} or put token = \"…\" under [{name}] in .homepost/credentials.toml"
    )


def _mailbox(value: str) -> str | None:
    """An address, alone or with a display name ("Alice <alice@example.com>")."""
    from email.utils import parseaddr

    address = parseaddr(value)[1]
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
        return "expected an email address, alone or as \"Name <address@example.com>\""
    return None


def _funding(value: list) -> str | None:
    for item in value:
        if not isinstance(item, dict) or set(item) - {"url", "text"} or not isinstance(item.get("url"), str):
            return "expected a list of tables such as { url = \"https://…\", text = \"Support the show\" }"
        if _http_url(item["url"]):
            return f"expected an http(s) URL in funding, got {item['url']!r}"
    return None
