"""The checks on the values of site.toml's keys: each returns what was expected, or None when the value is fine."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PERMALINK_TOKENS = ("year", "month", "day", "slug", "title", "category")
DATE = (str, dt.date)  # what a date key accepts: a TOML date, or a string holding one


def http_url(value: str) -> str | None:
    """An http(s) URL without query or fragment."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "expected an http(s) URL"
    if parts.query or parts.fragment:
        return "expected an http(s) URL without query or fragment"
    return None


def url_or_empty(value: str) -> str | None:
    """An http(s) URL, or nothing."""
    return http_url(value) if value else None


def url_list(value: list) -> str | None:
    """A list of http(s) URLs."""
    if not all(isinstance(v, str) and http_url(v) is None for v in value):
        return "expected a list of http(s) URLs"
    return None


def timezone(value: str) -> str | None:
    """An IANA time zone name."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"expected an IANA time zone such as 'Europe/Berlin', got {value!r}"
    return None


def permalink(value: str) -> str | None:
    """A permalink pattern: a path ending in '/' or '.html' with known placeholders, {slug} or {title} among them."""
    if not value.startswith("/") or not value.endswith(("/", ".html")):
        return "expected a path that starts with '/' and ends with '/' or '.html', such as '/{year}/{month}/{slug}/'"
    unknown = _placeholders(value, PERMALINK_TOKENS)
    if unknown:
        return unknown
    tokens = re.findall(r"{([^{}]*)}", value)
    if "slug" not in tokens and "title" not in tokens:
        return "expected the pattern to contain {slug} or {title}"
    return None


def path_pattern(value: str, token: str) -> str | None:
    """A URL path pattern holding `{token}`, ending in '/' or '.html'."""
    if not value.strip("/"):
        return "expected a URL path"
    if not value.endswith(("/", ".html")):
        return f"expected a path that ends with '/' or '.html', such as '/page/{{{token}}}/'"
    unknown = _placeholders(value, (token,))
    if unknown:
        return unknown
    return None if "{" + token + "}" in value else f"expected the pattern to contain {{{token}}}"


def pagination_path(value: str) -> str | None:
    """`[build] pagination_path`: a path pattern with {n}."""
    return path_pattern(value, "n")


def taxonomy_path(value: str) -> str | None:
    """A taxonomy's path: a folder such as 'tags', or a pattern with {term} inside a folder ('/tags/{term}.html')."""
    if "{" not in value:
        return path_segment(value)
    problem = path_pattern(value, "term")
    if problem:
        return problem
    if "/" not in value.strip("/").split("{term}")[0]:
        return "expected {term} inside a folder, such as '/tags/{term}/' or '/tags/{term}.html'"
    return None


def _placeholders(value: str, known: tuple[str, ...]) -> str | None:
    """What is wrong with the placeholders of a pattern: unbalanced braces, an unknown name."""
    try:
        value.format(**dict.fromkeys(known, "x"))
    except ValueError:
        return "expected every '{' to close with '}' around a placeholder such as {slug}"
    except (KeyError, IndexError):
        pass  # an unknown placeholder: named below
    unknown = [t for t in re.findall(r"{([^{}]*)}", value) if t not in known]
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}}; expected one of " + ", ".join("{" + t + "}" for t in known)
    return None


def pygments_style(value: str) -> str | None:
    """The name of an installed Pygments style, with a hint for a near miss."""
    from pygments.styles import get_all_styles

    styles = sorted(get_all_styles())
    if value in styles:
        return None
    hint = difflib.get_close_matches(value, styles, n=1)
    return f"unknown Pygments style {value!r}" + (f"; did you mean '{hint[0]}'?" if hint else "")


def endpoint(value: str) -> str | None:
    """An http(s) URL, query allowed (endpoints may carry one), no fragment."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "expected an http(s) URL"
    return "expected a URL without a fragment" if parts.fragment else None


def date_text(value: str | dt.date) -> str:
    """The ISO date of a date key's value."""
    return str(value)[:10]


def iso_date(value: str | dt.date) -> str | None:
    """A TOML date, or a string holding one."""
    if isinstance(value, dt.date):
        return None
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"expected a date such as 2026-01-01, got {value!r}"
    return None


def base_url(value: str) -> str | None:
    """A scheme and host, optionally a path: no query, no fragment."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return 'expected a base URL with its scheme, such as "https://example.social"'
    return "expected a base URL without query or fragment" if parts.query or parts.fragment else None


def handle(value: str) -> str | None:
    """A Bluesky handle."""
    ok = re.fullmatch(r"@?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*", value.lower())
    return None if ok else 'expected a handle such as "alice.bsky.social"'


def blog(value: str) -> str | None:
    """A Tumblr blog name."""
    return None if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", value) else 'expected a blog name such as "example"'


def strings(value: list) -> str | None:
    """A list of non-empty strings."""
    return None if all(isinstance(v, str) and v.strip() for v in value) else "expected a list of non-empty strings"


def domains(value: list) -> str | None:
    """A list of domain names."""
    if not all(isinstance(v, str) and re.fullmatch(r"[a-z0-9.-]+\.[a-z0-9-]+", v.lower().strip(".")) for v in value):
        return 'expected a list of domain names such as "spam.example"'
    return None


def positive(value: int) -> str | None:
    """A whole number greater than 0."""
    return None if value > 0 else "expected a whole number greater than 0"


def path_segment(value: str) -> str | None:
    """A URL path under the site, slashes around it ignored."""
    if not re.fullmatch(r"[^/\s]+(/[^/\s]+)*", value.strip("/")):
        return "expected a URL path such as 'tags'"
    return None


NEWSLETTER_PASSWORD = (
    "credentials never go in site.toml (it is published with the site); set the environment variable "
    'HOMEPOST_NEWSLETTER_PASSWORD or put password = "…" under [newsletter] in .homepost/credentials.toml'
)


def secret_message(name: str, kind: str = "token") -> str:
    """The message for a credential written into site.toml, saying where it belongs instead."""
    env = "HOMEPOST_" + re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_" + kind.upper()
    return (
        "credentials never go in site.toml (it is published with the site); set the environment variable "
        f"{env}, or run `homepost auth {name}`, which stores it in .homepost/credentials.toml"
        if kind != "token" or name != "webmentionio"
        else "credentials never go in site.toml (it is published with the site); set the environment variable "
        f'{env} or put token = "…" under [{name}] in .homepost/credentials.toml'
    )


def mailbox(value: str) -> str | None:
    """An address, alone or with a display name ("Alice <alice@example.com>")."""
    from email.utils import parseaddr

    address = parseaddr(value)[1]
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
        return 'expected an email address, alone or as "Name <address@example.com>"'
    return None


def funding(value: list) -> str | None:
    """A list of `{ url, text }` tables, each url http(s)."""
    for item in value:
        if not isinstance(item, dict) or set(item) - {"url", "text"} or not isinstance(item.get("url"), str):
            return 'expected a list of tables such as { url = "https://…", text = "Support the show" }'
        if http_url(item["url"]):
            return f"expected an http(s) URL in funding, got {item['url']!r}"
    return None


def not_negative(value: int) -> str | None:
    """A whole number, 0 or more."""
    return None if value >= 0 else "expected 0 or more"


def seconds(value: float) -> str | None:
    """A number of seconds greater than 0."""
    return None if value > 0 else "expected a number of seconds greater than 0"


def email(value: str) -> str | None:
    """An email address alone."""
    return None if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) else "expected an email address"


def categories(value: list) -> str | None:
    """A list of Apple Podcasts category names."""
    if all(isinstance(c, str) and c.strip() for c in value):
        return None
    return 'expected a list of category names such as "Technology" or "Society & Culture > Documentary"'


def port(value: int) -> str | None:
    """A TCP port number."""
    return None if 0 < value < 65536 else "expected a port number from 1 to 65535"


def branch(value: str) -> str | None:
    """A git branch name."""
    return (
        None
        if re.fullmatch(r"[A-Za-z0-9._/-]+", value) and ".." not in value
        else "expected a branch name such as 'gh-pages'"
    )


def fediverse_username(value: str) -> str | None:
    """A handle's user part: what Mastodon accepts in `@user@host`."""
    if value and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}", value):
        return "expected letters, digits, '_', '.' and '-' (at most 64), such as blog"
    return None
