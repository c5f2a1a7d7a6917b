"""What the file-based importers (Hugo, Jekyll, Pelican) share: front matter, keys, links, copied files."""

from __future__ import annotations

import datetime as dt
import json
import posixpath
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from generator.importers.model import CopiedFile, Entry, ImportedSite, link_mark
from generator.text import slugify

MARKDOWN = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")
IMAGE = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif")
_MORE = re.compile(r"[ \t]*\n*[ \t]*<!--\s*more\s*-->[ \t]*\n*")
# Foreign keys Homepost reads today under another name, or as they are.
KEYS = {
    "title": "title",
    "date": "date",
    "lastmod": "updated",
    "last_modified_at": "updated",
    "updated": "updated",
    "modified": "updated",
    "summary": "summary",
    "description": "summary",
    "excerpt": "summary",
    "tags": "tags",
    "categories": "categories",
    "category": "categories",
    "series": "series",
    "aliases": "aliases",
    "redirect_from": "aliases",
    "draft": "draft",
    "lang": "lang",
    "weight": "weight",
    "menu": "menu",
    "toc": "toc",
}
IGNORED = {
    "layout",
    "slug",
    "url",
    "permalink",
    "publishdate",
    "expirydate",
    "published",
    "images",
    "image",
    "featured_image",
    "cover",
    "excerpt_separator",
    "status",
    "type",
    "author",
    "authors",
    "comments",
    "share",
}


def split_front_matter(text: str) -> tuple[dict[str, Any], str, int, str | None]:
    """(front matter, body, the body's first line, an error) of a file with YAML, TOML or JSON front matter."""
    text = text.lstrip("\ufeff")
    for fence, load in (("---", yaml.safe_load), ("+++", tomllib.loads)):
        if text.startswith(fence + "\n") or text.startswith(fence + "\r\n"):
            end = re.search(rf"^{re.escape(fence)}[ \t]*\r?$", text[len(fence) + 1 :], re.M)
            if end is None:
                return {}, text, 1, f"front matter opened with {fence} is never closed"
            head = text[len(fence) + 1 : len(fence) + 1 + end.start()]
            body = text[len(fence) + 1 + end.end() :].lstrip("\r\n")
            try:
                data = load(head) or {}
            except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
                return {}, body, 1, f"front matter could not be read ({' '.join(str(exc).split())[:200]})"
            first = text.count("\n", 0, len(text) - len(body)) + 1
            return (data if isinstance(data, dict) else {}), body, first, None
    if text.startswith("{"):
        try:
            data, end_at = json.JSONDecoder().raw_decode(text)
        except ValueError as exc:
            return {}, text, 1, f"JSON front matter could not be read ({exc})"
        body = text[end_at:].lstrip("\r\n")
        return (data if isinstance(data, dict) else {}), body, text.count("\n", 0, end_at) + 2, None
    return {}, text, 1, None


def key_line(text: str, key: str) -> int | None:
    """The line where front matter key `key` is set, for the report."""
    match = re.search(rf"^\s*\"?{re.escape(key)}\"?\s*[:=]", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else None


def as_list(value: Any, split: bool = False) -> list[str]:
    """A front matter value as a list of strings (a string split on spaces when `split`, else one item)."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v not in (None, "")]
    if isinstance(value, str) and split:
        return value.split()
    return [str(value)]


def as_date(value: Any) -> dt.datetime | None:
    """A front matter date as a datetime (aware when it names an offset); None when it is not one."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        text = re.sub(r"^(\S+ \S+) ?([+-]\d\d):?(\d\d)$", r"\1\2:\3", text)
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    return None


def image_of(data: Mapping[str, Any]) -> str | None:
    """The cover image under any of the usual keys (`image`, `images[0]`, `featured_image`, `cover.image`)."""
    cover = data.get("cover")
    images: list[str | None] = [*as_list(data.get("images")), None]
    for value in (
        data.get("image"),
        images[0],
        data.get("featured_image"),
        cover.get("image") if isinstance(cover, dict) else None,
    ):
        if isinstance(value, str) and value:
            return value
    return None


def convert_front(
    data: Mapping[str, Any], text: str, file: str, site: ImportedSite, split: bool = False
) -> dict[str, Any]:
    """Foreign front matter in Homepost's keys; keys it has no place for are noted with their line."""
    front: dict[str, Any] = {}
    for key, value in data.items():
        lower = str(key).lower()
        target = KEYS.get(lower)
        if target in ("tags", "categories", "aliases"):
            front[target] = list(dict.fromkeys([*front.get(target, []), *as_list(value, split)]))
        elif target == "series":
            front[target] = (as_list(value) or [""])[0]
        elif target in ("date", "updated"):
            moment = as_date(value)
            if moment is not None:
                front[target] = moment
            else:
                site.note(file, key_line(text, str(key)), f"{key}: {str(value)[:40]!r} is not a date; left out")
        elif target == "draft":
            front["draft"] = value is True or str(value).lower() == "true"
        elif target is not None:
            front[target] = value
        elif lower not in IGNORED:
            site.note(file, key_line(text, str(key)), f"front matter key {key!r} not converted")
    front["aliases"] = [a if a.startswith("/") else "/" + a for a in front.get("aliases", [])]
    if not front["aliases"]:
        del front["aliases"]
    if image := image_of(data):
        front["image"] = image
    return {k: v for k, v in front.items() if v not in ("", [], None) or k == "draft"}


def more(body: str) -> str:
    """`<!--more-->` in any spacing written as Homepost reads it."""
    return _MORE.sub("\n\n<!-- more -->\n\n", body, count=1)


def resolver(entries: list[Entry], keys: Callable[[Entry], Iterable[str]]) -> Callable[[str], str | None]:
    """A function turning a reference (a path or a name, as `keys` lists them) into a link to that entry.

    The link is a mark (`link_mark`) that the writer makes relative once every entry's file is final.
    """
    table: dict[str, int] = {}
    for index, entry in enumerate(entries):
        for key in keys(entry):
            table.setdefault(key.strip("/").lower(), index)

    def resolve(reference: str) -> str | None:
        ref, _, anchor = reference.strip().partition("#")
        ref = ref.strip("/")
        found = table.get(ref.lower(), table.get(posixpath.splitext(ref)[0].lower()))
        return None if found is None else link_mark(found) + (f"#{anchor}" if anchor else "")

    return resolve


def copy_tree(folder: Path, dest: str, site: ImportedSite, skip: Callable[[Path], bool] = lambda p: False) -> None:
    """Every file under `folder` (symbolic links left out) to be copied under `dest` in the new site."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and not skip(path):
            site.files.append(CopiedFile(path, posixpath.join(dest, path.relative_to(folder).as_posix())))


def read_text(path: Path, site: ImportedSite, file: str) -> str | None:
    """A source file's text; None (noted) when it is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        site.note(file, None, "not UTF-8 text: skipped")
        site.count("skipped")
        return None


def safe_segment(text: str) -> str:
    """`text` when it can name one file or URL segment as it is, else its slug (a remote string is never a path)."""
    bad = (
        text in ("", ".", "..") or any(ch in text for ch in "/\\") or any(ord(ch) < 32 or ord(ch) == 127 for ch in text)
    )
    return slugify(text) if bad or len(text.encode()) > 200 else text


def last_segment(path: str) -> str:
    """The last segment of a URL path without `.html` (`/2024/05/x/` and `/x.html` give `x`)."""
    segment = path.rstrip("/").rsplit("/", 1)[-1]
    return safe_segment(re.sub(r"\.html?$", "", segment)) if segment else ""


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """A time as naive UTC (a naive one taken as it is), so aware and naive times compare."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment
