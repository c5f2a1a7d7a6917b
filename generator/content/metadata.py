"""Front matter values checked and converted: dates with time zones, lists of terms, images."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from generator.content.episodes import EPISODE_KEYS
from generator.content.foreign import read_foreign
from generator.content.frontmatter import FrontMatter
from generator.content.paths import MAX_NAME_BYTES, site_path_error
from generator.errors import Problem
from generator.model import CiteKind

KNOWN_KEYS = (
    "title",
    "date",
    "updated",
    "slug",
    "summary",
    "draft",
    "lang",
    "aliases",
    "image",
    "menu",
    "weight",
    "id",
    "in_reply_to",
    "like_of",
    "repost_of",
    "bookmark_of",
    "syndicate",
    "syndication",
    "content_warning",
    "expires",
    "url",
    "permalink",
)
READ_KEYS = (*KNOWN_KEYS, *EPISODE_KEYS, "toc")  # every key Homepost reads (the rest is `extra`)
CITE_KEYS: dict[str, CiteKind] = {
    "in_reply_to": "in-reply-to",
    "like_of": "like-of",
    "repost_of": "repost-of",
    "bookmark_of": "bookmark-of",
}
_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[-_]")
DATE_FORMATS = "2024-12-06, 2024-12-06 14:30, or ISO 8601 with an offset (2024-12-06T14:30:00+08:00)"


@dataclass(frozen=True)
class ImageRef:
    """A cover image as written in the front matter, before its URL is resolved."""

    src: str
    alt: str = ""


@dataclass
class Meta:
    """The checked front matter of one file."""

    title: str | None = None
    date: dt.datetime | None = None
    updated: dt.datetime | None = None
    slug: str | None = None
    summary: str | None = None
    draft: bool = False
    lang: str | None = None
    aliases: tuple[str, ...] = ()
    image: ImageRef | None = None
    menu: bool = False
    weight: int = 0
    uid: str | None = None
    taxonomies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cites: tuple[tuple[CiteKind, str], ...] = ()  # (kind, url): in-reply-to, like-of, repost-of, bookmark-of
    syndicate: tuple[str, ...] | None = None  # target names; None: the site's default
    syndication: tuple[str, ...] = ()  # URLs of copies made elsewhere
    content_warning: str = ""
    expires: dt.datetime | None = None  # after it the post is taken down (Hugo's expiryDate)
    url: str | None = None  # its own site path, from `url:` (Hugo) or `permalink:` (Jekyll)
    extra: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # line of each front matter key, for messages


class _Checker:
    def __init__(self, fm: FrontMatter, file: str, problems: list[Problem]):
        self.fm, self.file, self.problems = fm, file, problems

    def fail(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, message, line=self.fm.line_of(key), key=self.fm.name_of(key)))

    def string(self, key: str) -> str | None:
        value = self.fm.data.get(key)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.fail(key, f"expected a string, got {type(value).__name__}")
            return None
        return value.strip() or None

    def boolean(self, key: str) -> bool:
        value = self.fm.data.get(key, False)
        if not isinstance(value, bool):
            self.fail(key, "expected true or false")
            return False
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.fm.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
            self.fail(key, "expected a list of strings")
            return ()
        return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))

    def fits_a_file_name(self, key: str, values: Iterable[str]) -> None:
        """Fail when a part of a value between '/' is too long to name the folder it becomes."""
        longest = max((len(part.encode("utf-8")) for value in values for part in value.split("/")), default=0)
        if longest > MAX_NAME_BYTES:
            self.fail(
                key, f"{longest} bytes between two '/', more than the {MAX_NAME_BYTES} a file name may have; shorten it"
            )

    def date(self, key: str, tz: ZoneInfo) -> dt.datetime | None:
        value = self.fm.data.get(key)
        if value is None:
            return None
        parsed = parse_date(value, tz)
        if parsed is None:
            self.fail(key, f"{value!r} is not a date; write it as {DATE_FORMATS}")
        return parsed


def parse_date(value: Any, tz: ZoneInfo) -> dt.datetime | None:
    """A timezone-aware datetime from a front matter value; naive values are in `tz`."""
    if isinstance(value, dt.datetime):
        result = value
    elif isinstance(value, dt.date):
        result = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            result = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return result if result.tzinfo is not None else result.replace(tzinfo=tz)


def date_from_filename(name: str, tz: ZoneInfo) -> dt.datetime | None:
    """The date of a file named like 2024-05-01-title.md, if it is one."""
    match = _DATE_PREFIX.match(name)
    if not match:
        return None
    try:
        year, month, day = (int(g) for g in match.groups())
        return dt.datetime(year, month, day, tzinfo=tz)
    except ValueError:
        return None


def missing_date_message(name: str) -> str:
    """What to say of a post without a date whose file name (without .md) gives none."""
    match = _DATE_PREFIX.match(name)
    if match:
        try:
            dt.date(*(int(g) for g in match.groups()))
        except ValueError as exc:
            wrong = f"the file name starts with {name[:10]}, which is not a valid date ({exc})"
            return f"required for posts: {wrong}; fix the name or add `date:` ({DATE_FORMATS})"
    return "required for posts: add `date: 2024-05-01` or name the file 2024-05-01-slug.md"


def strip_date_prefix(name: str) -> str:
    """The file name without a leading YYYY-MM-DD- date."""
    return _DATE_PREFIX.sub("", name)


def check_meta(
    fm: FrontMatter,
    file: str,
    tz: ZoneInfo,
    taxonomies: tuple[str, ...],
    problems: list[Problem],
    targets: tuple[str, ...] = (),
) -> Meta:
    """Check the front matter of one file, adding every problem to `problems`."""
    read_foreign(fm, file, taxonomies, READ_KEYS, lambda new, old: _later(new, old, tz))
    check = _Checker(fm, file, problems)
    meta = Meta(
        title=check.string("title"),
        date=check.date("date", tz),
        updated=check.date("updated", tz),
        slug=check.string("slug"),
        summary=check.string("summary"),
        draft=check.boolean("draft"),
        lang=check.string("lang"),
        aliases=check.strings("aliases"),
        menu=check.boolean("menu"),
        uid=check.string("id"),
        expires=check.date("expires", tz),
    )
    if meta.slug is not None and ("/" in meta.slug or meta.slug in (".", "..")):
        check.fail("slug", "expected a single URL segment without '/'")
    if meta.lang is not None and not re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", meta.lang):
        check.fail("lang", f"expected a language tag such as 'en' or 'zh-Hans', got {meta.lang!r}")
    weight = fm.data.get("weight", 0)
    if isinstance(weight, int) and not isinstance(weight, bool):
        meta.weight = weight
    else:
        check.fail("weight", "expected a whole number")
    for alias in meta.aliases:
        if not alias.startswith("/") or "//" in alias or ".." in alias.split("/"):
            check.fail("aliases", f"expected paths under the site such as '/old/post/', got {alias!r}")
    meta.url = _own_url(check)
    meta.image = _image(check)
    meta.cites = _cites(check)
    meta.syndicate = _syndicate(check, targets)
    meta.syndication = tuple(url for kind, url in _urls(check, {"syndication": ""}))
    meta.content_warning = check.string("content_warning") or ""
    for key in taxonomies:
        meta.taxonomies[key] = check.strings(key)
    for key, values in [("slug", [meta.slug or ""]), ("aliases", meta.aliases), *meta.taxonomies.items()]:
        check.fits_a_file_name(key, values)
    if "toc" in fm.data:  # read by the theme from `extra`: a table of contents, or none
        check.boolean("toc")
    meta.extra = {k: v for k, v in fm.data.items() if k not in KNOWN_KEYS and k not in taxonomies}
    meta.lines = dict(fm.lines)
    return meta


def _later(new: Any, old: Any, tz: ZoneInfo) -> bool:
    """Whether date value `new` is after date value `old` (False when either is not a date)."""
    first, second = parse_date(new, tz), parse_date(old, tz)
    return first is not None and second is not None and first > second


def _own_url(check: _Checker) -> str | None:
    """`url:` (Hugo) or `permalink:` (Jekyll): the site path of the post, ending in '/' or '.html'."""
    given = [(key, check.string(key)) for key in ("url", "permalink") if key in check.fm.data]
    if len(given) == 2 and given[0][1] != given[1][1]:
        check.fail("permalink", "expected one of `url:` and `permalink:`, not both with different paths")
    for key, value in given:
        problem = site_path_error(value) if value is not None else None
        if problem:
            check.fail(key, problem)
            return None
    return given[0][1] if given else None


def _image(check: _Checker) -> ImageRef | None:
    value = check.fm.data.get("image")
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return ImageRef(value.strip())
    if isinstance(value, dict) and isinstance(value.get("src"), str) and isinstance(value.get("alt", ""), str):
        unknown = set(value) - {"src", "alt"}
        if not unknown:
            return ImageRef(value["src"].strip(), value.get("alt", "").strip())
    check.fail("image", "expected a path or URL, or a table with 'src' and 'alt'")
    return None


def _cites(check: _Checker) -> tuple[tuple[CiteKind, str], ...]:
    """`in_reply_to`, `like_of`, `repost_of`, `bookmark_of`: each an http(s) URL or a list of them."""
    return _urls(check, CITE_KEYS)


_Kind = TypeVar("_Kind", bound=str)


def _urls(check: _Checker, keys: dict[str, _Kind]) -> tuple[tuple[_Kind, str], ...]:
    """(kind, URL) for each http(s) URL under each key (a URL or a list of them)."""
    found: list[tuple[_Kind, str]] = []
    for key, kind in keys.items():
        for url in check.strings(key):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
                check.fail(key, f"expected an http(s) URL or a list of them, got {url!r}")
                continue
            found.append((kind, url))
    return tuple(found)


def _syndicate(check: _Checker, targets: tuple[str, ...]) -> tuple[str, ...] | None:
    """`syndicate`: false (nowhere), true (the default targets), or a list of target names."""
    value = check.fm.data.get("syndicate")
    if value is None or value is True:
        return None
    if value is False:
        return ()
    names = check.strings("syndicate")
    for name in names:
        if name not in targets:
            known = ", ".join(targets) if targets else "none: add a [syndication.<name>] table to site.toml"
            check.fail("syndicate", f"unknown syndication target {name!r}; expected one of {known}")
    return names
