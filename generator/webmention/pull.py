"""`homepost webmention pull`: new, changed and withdrawn mentions from an API into the data folder.

Reads Homepost's own receiver (`/api/mentions?since=…`, which also reports withdrawn mentions) or
webmention.io (`/api/mentions.jf2?token=…&since_id=…`, page by page). Where it stopped is kept in
`data/webmention/pull.json`, so each run asks only for what is new. Merging is idempotent: a
mention is keyed by its source within the file of the page it answers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator.config import Config
from generator.credentials import credential, env_name
from generator.errors import ConfigError, HomepostError, NetworkError, Problem
from generator.http import HttpClient
from generator.model import Response
from generator.redaction import redact
from generator.sitedata.responses import page_files, parse_time, read_responses, target_file, write_responses
from generator.state import read_json, write_json
from generator.webmention.jf2 import response_from_jf2, withdrawn

log = logging.getLogger(__name__)

PULL_FILE = "webmention/pull.json"
PAGE_SIZE = 100
MAX_PAGES = 1000  # a bound on one run, whatever the server says


@dataclass
class PullReport:
    """What a pull changed."""

    source: str  # the API, redacted
    added: int = 0
    updated: int = 0
    removed: int = 0
    ignored: int = 0  # private or malformed
    files: list[Path] = field(default_factory=list)  # data files written
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (source, target, why): not filed
    held: set[int] = field(default_factory=set)  # entries a local problem kept from being stored: asked for again


def pull_mentions(config: Config, client: HttpClient, pages: dict[str, str] | None = None) -> PullReport:
    """Fetch what changed since the last pull and merge it into `data/responses/` (files of the site's own pages)."""
    api = config.webmention.pull_url
    if not api:
        raise ConfigError(
            Problem("site.toml", "set [webmention] endpoint (or api) to pull mentions", key="webmention.endpoint")
        )
    if pages is None:
        from generator.pipeline.build import read_site

        pages = page_files(config, read_site(config))
    cursor_path = config.data_dir / PULL_FILE
    cursor = read_json(cursor_path, {}, label=f"data/{PULL_FILE}")
    jf2_api = urlsplit(api).path.endswith("/mentions.jf2")  # webmention.io and services speaking its API
    entries = _from_webmention_io(config, client, api, cursor) if jf2_api else _from_receiver(client, api, cursor)
    report = merge_entries(config, entries, PullReport(redact(api)), pages)
    handled = entries[: min(report.held, default=len(entries))]  # the cursor never passes an entry still to store
    next_cursor = _webmention_io_cursor if jf2_api else _receiver_cursor
    write_json(cursor_path, next_cursor(api, cursor, handled))
    return report


def _from_receiver(client: HttpClient, api: str, cursor: dict[str, Any]) -> list[dict]:
    return _feed(client.get(api, params=_since(api, cursor)), api)


def _since(api: str, cursor: dict[str, Any]) -> dict[str, str]:
    return {"since": cursor["since"]} if cursor.get("api") == api and cursor.get("since") else {}


def _receiver_cursor(api: str, cursor: dict[str, Any], handled: list[dict]) -> dict[str, Any]:
    stamps = [_stamp(e) for e in handled if isinstance(e, dict)]
    latest = max((s for s in stamps if s), default=None) or parse_time(_since(api, cursor).get("since"))
    return {"api": api, "since": latest.isoformat() if latest else None}


def _stamp(entry: dict) -> Any:
    try:
        return parse_time(entry.get("wm-verified") or entry.get("wm-received"), "time")
    except ValueError:
        return None


def _from_webmention_io(config: Config, client: HttpClient, api: str, cursor: dict[str, Any]) -> list[dict]:
    token = credential(config.root, "webmentionio")
    if not token:
        raise ConfigError(
            Problem(
                "webmention.io",
                f"no API token: set {env_name('webmentionio')} "
                'or put token = "…" under [webmentionio] in .homepost/credentials.toml',
            )
        )
    since_id = _since_id(api, cursor)
    entries: list[dict] = []
    for page in range(MAX_PAGES):
        params = {"token": token, "since_id": since_id, "per-page": PAGE_SIZE, "page": page, "sort-dir": "up"}
        batch = _feed(client.get(api, params=params), api)
        entries += batch
        if len(batch) < PAGE_SIZE:
            break
    return entries


def _since_id(api: str, cursor: dict[str, Any]) -> int:
    try:
        return int(cursor.get("since_id") or 0) if cursor.get("api") == api else 0
    except (TypeError, ValueError):
        return 0


def _webmention_io_cursor(api: str, cursor: dict[str, Any], handled: list[dict]) -> dict[str, Any]:
    ids = [wm_id for e in handled if isinstance(e, dict) and isinstance(wm_id := e.get("wm-id"), int)]
    return {"api": api, "since_id": max(ids, default=_since_id(api, cursor))}


def _feed(answer: Any, api: str) -> list[dict]:
    if answer.status == 401 or answer.status == 403:
        raise NetworkError(Problem(redact(api), f"the API refused the request ({answer.status}); check the token"))
    if answer.status != 200:
        raise NetworkError(Problem(redact(api), f"the API answered {answer.status}"))
    body = answer.json()
    children = body.get("children") if isinstance(body, dict) else None
    if not isinstance(children, list):
        raise NetworkError(Problem(redact(api), 'expected a jf2 feed with "children"'))
    return children


def merge_entries(config: Config, entries: list[dict], report: PullReport, pages: dict[str, str]) -> PullReport:
    """Merge jf2 entries into the data files of the site's pages they answer; count what changed.

    An entry whose target is not a page of the site is skipped (and reported); an entry whose file
    cannot be read or written (say, a folder an older version left in its place) is held, with a warning.
    """
    changes: dict[Path, list[tuple[int, str, Response | str]]] = defaultdict(list)
    for index, entry in enumerate(entries):
        gone = withdrawn(entry)
        response = None if gone else response_from_jf2(entry)
        change: tuple[int, str, Response | str]
        if gone:
            (source, target), change = gone, (index, "remove", gone[0])
        elif response:
            source, target, change = response.source, response.target, (index, "put", response)
        else:
            report.ignored += 1
            continue
        path = target_file(config, pages, target)
        if path is None:
            report.skipped.append((source, target, "not a page of this site"))
            continue
        changes[path].append(change)
    for path, items in sorted(changes.items()):
        try:
            _merge_file(config, path, items, report)
        except (OSError, HomepostError) as exc:
            why = (
                exc.problems[0]
                if isinstance(exc, HomepostError)
                else f"{_label(config, path)}: {exc.strerror or type(exc).__name__}"
            )
            log.warning("%s; %d mention(s) kept to pull again once it is fixed", why, len(items))
            report.held.update(index for index, _, _ in items)
    return report


def _merge_file(config: Config, path: Path, items: list[tuple[int, str, Response | str]], report: PullReport) -> None:
    stored = {r.id: r for r in read_responses(path, label=_label(config, path))}
    before = dict(stored)
    for _, action, value in items:
        if action == "remove":
            stored.pop(str(value), None)
        else:
            assert isinstance(value, Response)
            stored[value.id] = value
    if stored != before:
        write_responses(path, stored.values())
        report.files.append(path)
    report.added += sum(1 for key in stored if key not in before)
    report.removed += sum(1 for key in before if key not in stored)
    report.updated += sum(1 for key in stored if key in before and stored[key] != before[key])


def _label(config: Config, path: Path) -> str:
    return f"data/{path.relative_to(config.data_dir).as_posix()}"
