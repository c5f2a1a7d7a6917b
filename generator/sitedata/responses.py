"""Responses in the site's data folder: one readable JSON file per post, under `data/responses/`.

The file of a post is named after its own URL path (`/2024/05/hello/` -> `2024/05/hello.json`, the
home page -> `index.json`). A remote string (a mention's target) never names a file: it is looked
up among the site's pages (`page_files`, `target_file`) and the page found names the file.
Entries are sorted by time, then id; each is a plain object.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args
from urllib.parse import unquote

from generator.config import Config
from generator.errors import ContentError, Problem
from generator.model import Response, ResponseAuthor, ResponseType, Site
from generator.state import read_json, write_json

log = logging.getLogger(__name__)

RESPONSES_DIR = "responses"
RESPONSE_TYPES: tuple[str, ...] = get_args(ResponseType)
MAX_SEGMENT = 200  # bytes of one path segment: well under every file system's limit on a name


def page_files(config: Config, site: Site) -> dict[str, str]:
    """Every URL a page of the site answers at (its own, its old ones, the home page), mapped to its own URL."""
    pages = {_key(config.site.url): config.site.url}
    for post in site.posts + site.pages:
        pages[_key(post.url)] = post.url
        for alias in post.aliases:
            pages.setdefault(_key(config.abs_url(alias)), post.url)
    return pages


def target_file(config: Config, pages: dict[str, str], target: str) -> Path | None:
    """The data file for responses to `target` (a remote string), or None when it is not a page of the site.

    The target is looked up among the site's pages; the file is named from the page's own URL, never from the target.
    """
    own = pages.get(_key(target)) if isinstance(target, str) and len(target) <= 4000 else None
    return responses_file(config, own) if own else None


def responses_file(config: Config, page_url: str) -> Path | None:
    """The data file of responses to the site's page at `page_url`; None if it is not under the site's URL."""
    base = config.site.url
    bare = page_url.split("#", 1)[0].split("?", 1)[0]
    if not bare.startswith(base) and bare + "/" != base:
        return None
    path = bare[len(base) :].strip("/")
    if path and not all(_plain(segment) for segment in path.split("/")):
        return None
    return config.data_dir / RESPONSES_DIR / f"{path or 'index'}.json"


def _plain(segment: str) -> bool:
    """True for a path segment that names a file inside its folder and nothing else."""
    if segment in ("", ".", "..") or "\\" in segment or "\0" in segment:
        return False
    return len(segment.encode()) <= MAX_SEGMENT


def _key(url: str) -> str:
    """How a page's URL is compared: without query or fragment, percent-decoded, with a trailing slash."""
    bare = unquote(url.split("#", 1)[0].split("?", 1)[0])
    bare = bare.removesuffix("index.html")
    return bare if bare.endswith("/") else bare + "/"


def load_responses(config: Config) -> dict[str, tuple[Response, ...]]:
    """Every stored response, by the absolute URL of the page it answers."""
    folder = config.data_dir / RESPONSES_DIR
    found: dict[str, tuple[Response, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(".json"):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix().removesuffix(".json")
            url = config.site.url if rel == "index" else f"{config.site.url}{rel}/"
            found[url] = tuple(read_responses(path, label=f"data/{RESPONSES_DIR}/{rel}.json"))
    return found


def read_responses(path: Path, *, label: str | None = None) -> list[Response]:
    """The responses stored in one file; ContentError naming it when it is damaged or not a file."""
    try:
        items = read_json(path, [], label=label)
    except (IsADirectoryError, NotADirectoryError):
        what = "is a folder" if path.is_dir() else "is inside something that is not a folder"
        message = f"{what}, not a responses file (left by an older Homepost?); move it away"
        raise ContentError(Problem(label or str(path), message)) from None
    responses = []
    for index, item in enumerate(items):
        try:
            responses.append(response_from_dict(item))
        except (KeyError, TypeError, ValueError) as exc:
            raise ContentError(Problem(label or str(path), f"entry {index + 1}: {exc}")) from None
    return responses


def stored_responses(config: Config, page_url: str) -> list[Response]:
    """The responses stored for one of the site's pages; a file that cannot be read is warned about, and none."""
    path = responses_file(config, page_url)
    if path is None:
        return []
    try:
        return read_responses(path, label=path.relative_to(config.root).as_posix())
    except ContentError as exc:
        log.warning("%s", exc.problems[0])
        return []


def write_responses(path: Path, responses: Iterable[Response]) -> None:
    """Store `responses` in one file (sorted by time then id), or remove the file when there are none."""
    items = sorted(responses, key=lambda r: (_iso(r.published) or "", r.id))
    if not items:
        path.unlink(missing_ok=True)
        return
    write_json(path, [response_to_dict(r) for r in items])


def response_to_dict(response: Response) -> dict[str, Any]:
    """A response as a JSON-ready object (empty fields left out)."""
    author = {k: v for k, v in vars(response.author).items() if v}
    item: dict[str, Any] = {
        "id": response.id,
        "type": response.type,
        "source": response.source,
        "target": response.target,
        "author": author,
        "content_html": response.content_html,
        "content_text": response.content_text,
        "name": response.name,
        "published": _iso(response.published),
        "updated": _iso(response.updated),
        "verified": _iso(response.verified),
        "platform": response.platform,
        "in_reply_to": response.in_reply_to,
        "url": response.url,
    }
    return {k: v for k, v in item.items() if v not in ("", None, {})}


def response_from_dict(item: dict[str, Any]) -> Response:
    """A response from what response_to_dict wrote; ValueError naming the field that is wrong."""
    if not isinstance(item, dict):
        raise TypeError("expected an object")
    kind = item.get("type")
    if kind not in RESPONSE_TYPES:
        raise ValueError(f"type: expected one of {', '.join(RESPONSE_TYPES)}, got {kind!r}")
    for key in ("id", "source", "target"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise ValueError(f"{key}: expected a non-empty string")
    author = item.get("author") or {}
    return Response(
        id=item["id"],
        type=kind,
        source=item["source"],
        target=item["target"],
        author=ResponseAuthor(**{k: str(author.get(k, "")) for k in ("name", "url", "photo", "handle")}),
        content_html=str(item.get("content_html", "")),
        content_text=str(item.get("content_text", "")),
        name=str(item.get("name", "")),
        published=parse_time(item.get("published"), "published"),
        updated=parse_time(item.get("updated"), "updated"),
        verified=parse_time(item.get("verified"), "verified"),
        platform=str(item.get("platform", "web")),
        in_reply_to=str(item.get("in_reply_to", "")),
        url=str(item.get("url", "")),
    )


def parse_time(value: Any, key: str = "time") -> dt.datetime | None:
    """An ISO 8601 time as an aware datetime (UTC when it has no offset), None when absent."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected an ISO 8601 time")
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{key}: expected an ISO 8601 time, got {value[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def time_or_none(value: Any) -> dt.datetime | None:
    """An ISO 8601 time from remote data as an aware datetime (UTC when it names no zone); None when absent or bad."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
