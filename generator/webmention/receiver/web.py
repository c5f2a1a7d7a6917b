"""What the receiver's routes share for reading a query string and answering in JSON or HTML."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from generator.config import Config

MAX_FIELDS = 20  # form fields or query parameters of one request
CSP = ("Content-Security-Policy", "default-src 'none'; form-action 'self'")

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
Headers = list[tuple[str, str]]


def query_params(environ: Environ) -> dict[str, list[str]] | None:
    """The query string's parameters (invalid UTF-8 replaced), or None when there are more than MAX_FIELDS."""
    query = environ.get("QUERY_STRING", "").encode("latin-1", "replace").decode("utf-8", "replace")
    try:
        return parse_qs(query, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        return None


def json_answer(status: str, value: Any) -> tuple[str, Headers, bytes]:
    """`value` as a JSON answer that any site's scripts may read."""
    body = json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8")
    return status, [("Content-Type", "application/json"), ("Access-Control-Allow-Origin", "*")], body


def html_page(
    config: Config, status: str, title: str, message: str, extra_html: str = ""
) -> tuple[str, Headers, bytes]:
    """A small self-contained page: the title and message escaped, then `extra_html` (the caller's own markup)."""
    page = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · {html.escape(config.site.title)}</title></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n<p>{html.escape(message)}</p>\n{extra_html}</body></html>\n"
    )
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        CSP,
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
    ]
    return status, headers, page.encode("utf-8")
