"""Pelican's Markdown metadata: `Key: value` lines at the top of a file, read as front matter.

A file is read so when it has no `---`/`+++` front matter and its first line is `Title: ...` (in
any case). The block ends at the first blank line (or the first line that is neither `Key: value`
nor an indented continuation, as Python-Markdown's meta extension reads it). Keys are read in lower
case; `Tags` (and `Authors`) are comma-separated lists; `Status: draft` is a draft; `Status: hidden`
is not published for a post (Homepost lists every post it publishes) and published unlisted for a
page (pages are in the menu only with `menu: true`); `Save_as` and `URL` are ignored, with a warning.
"""

from __future__ import annotations

import re
from typing import Any

from generator.errors import Problem

_FIRST = re.compile(r"[ ]{0,3}title[ \t]*:", re.IGNORECASE)
_KEY = re.compile(r"[ ]{0,3}(?P<key>[A-Za-z0-9_-]+)[ \t]*:[ \t]*(?P<value>.*)")
_MORE = re.compile(r"(?:[ ]{4,}|\t)(?P<value>.*)")  # a continuation line
LISTS = ("tags", "authors")  # comma-separated, as Pelican documents them
IGNORED = ("save_as", "url")  # where Pelican writes the file: Homepost's permalink decides


def is_pelican(text: str) -> bool:
    """Whether `text` (without `---`/`+++` front matter) starts with Pelican's `Title:` line."""
    return _FIRST.match(text) is not None


def header_block(text: str) -> tuple[dict[str, str], dict[str, int], int]:
    """The `Key: value` lines at the top of `text`, as Python-Markdown's meta extension reads them:
    (value of each key in lower case, its 1-based line, the index of the first line after them)."""
    lines = text.split("\n")
    data: dict[str, str] = {}
    key_lines: dict[str, int] = {}
    key = ""
    index = 0  # the line being read; at the end, the first that is not a header
    while index < len(lines):
        more = _MORE.match(lines[index]) if key else None
        found = None if more else _KEY.fullmatch(lines[index])
        if more:
            data[key] = f"{data[key]} {more.group('value').strip()}".strip()
        elif found:
            key = found.group("key").lower()
            data[key], key_lines[key] = found.group("value").strip(), index + 1
        else:
            break
        index += 1
    return data, key_lines, index


def read_headers(
    text: str, file: str, kind: str, warnings: list[Problem]
) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """(data, line of each key, body, line where the body starts) of a file with Pelican's headers.

    `kind` is "post" or "page" (for `Status: hidden`); what was read in a way to tell is added to `warnings`.
    """
    headers, key_lines, index = header_block(text)
    data: dict[str, Any] = dict(headers)
    lines = text.split("\n")
    if index < len(lines) and not lines[index].strip():
        index += 1  # the blank line that ends the block
    for name in LISTS:
        if isinstance(data.get(name), str):
            data[name] = [part.strip() for part in re.split(r"[,;]", data[name]) if part.strip()]
    _status(data, key_lines, file, kind, warnings)
    for name in IGNORED:
        if name in data:
            del data[name]
            message = "ignored: the site's permalink decides where a post is written"
            warnings.append(Problem(file, message, line=key_lines.pop(name), key=name))
    return data, key_lines, "\n".join(lines[index:]), index + 1


def _status(data: dict[str, Any], lines: dict[str, int], file: str, kind: str, warnings: list[Problem]) -> None:
    """Pelican's `Status` as Homepost's `draft`."""
    if "status" not in data:
        return
    status, line = str(data.pop("status")).lower(), lines.pop("status")

    def warn(message: str) -> None:
        warnings.append(Problem(file, message, line=line, key="status"))

    if status == "draft":
        data["draft"], lines["draft"] = True, line
    elif status == "hidden" and kind == "post":
        data["draft"], lines["draft"] = True, line
        warn("hidden read as a draft: not published (Homepost lists every post it publishes)")
    elif status == "hidden":
        warn("hidden: published, and shown in the menu only with `menu: true`")
    elif status != "published":
        warn(f"{status!r} read as published; expected draft, hidden or published")
