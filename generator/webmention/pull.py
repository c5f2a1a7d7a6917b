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
from generator.errors import ConfigError, NetworkError, Problem
from generator.http import HttpClient, redact
from generator.model import Response
from generator.responses import parse_time, read_responses, responses_file, write_responses
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
    ignored: int = 0  # private, malformed, or about pages of another site
    files: list[Path] = field(default_factory=list)  # data files written


def pull_mentions(config: Config, client: HttpClient) -> PullReport:
    """Fetch what changed since the last pull and merge it into `data/responses/`."""
    api = config.webmention.pull_url
    if not api:
        raise ConfigError(Problem("site.toml", "set [webmention] endpoint (or api) to pull mentions", key="webmention.endpoint"))
    cursor_path = config.data_dir / PULL_FILE
    cursor = read_json(cursor_path, {}, label=f"data/{PULL_FILE}")
    if urlsplit(api).path.endswith("/mentions.jf2"):  # webmention.io and services speaking its API
        entries, cursor = _from_webmention_io(config, client, api, cursor)
    else:
        entries, cursor = _from_receiver(client, api, cursor)
    report = merge_entries(config, entries, PullReport(redact(api)))
    write_json(cursor_path, cursor)
    return report


def _from_receiver(client: HttpClient, api: str, cursor: dict[str, Any]) -> tuple[list[dict], dict[str, Any]]:
    params = {"since": cursor["since"]} if cursor.get("api") == api and cursor.get("since") else {}
    entries = _feed(client.get(api, params=params), api)
    stamps = [parse_time(e.get("wm-verified") or e.get("wm-received"), "time") for e in entries if isinstance(e, dict)]
    latest = max((s for s in stamps if s), default=None) or parse_time(params.get("since"))
    return entries, {"api": api, "since": latest.isoformat() if latest else None}


def _from_webmention_io(config: Config, client: HttpClient, api: str, cursor: dict[str, Any]) -> tuple[list[dict], dict[str, Any]]:
    token = credential(config.root, "webmentionio")
    if not token:
        raise ConfigError(Problem("webmention.io", f"no API token: set {env_name('webmentionio')} or put token = \"…\" under [webmentionio] in .homepost/credentials.toml"))
    since_id = int(cursor.get("since_id") or 0) if cursor.get("api") == api else 0
    entries: list[dict] = []
    for page in range(MAX_PAGES):
        params = {"token": token, "since_id": since_id, "per-page": PAGE_SIZE, "page": page, "sort-dir": "up"}
        batch = _feed(client.get(api, params=params), api)
        entries += batch
        if len(batch) < PAGE_SIZE:
            break
    ids = [e.get("wm-id") for e in entries if isinstance(e, dict) and isinstance(e.get("wm-id"), int)]
    return entries, {"api": api, "since_id": max(ids, default=since_id)}


def _feed(answer: Any, api: str) -> list[dict]:
    if answer.status == 401 or answer.status == 403:
        raise NetworkError(Problem(redact(api), f"the API refused the request ({answer.status}); check the token"))
    if answer.status != 200:
        raise NetworkError(Problem(redact(api), f"the API answered {answer.status}"))
    body = answer.json()
    children = body.get("children") if isinstance(body, dict) else None
    if not isinstance(children, list):
        raise NetworkError(Problem(redact(api), "expected a jf2 feed with \"children\""))
    return children


def merge_entries(config: Config, entries: list[dict], report: PullReport) -> PullReport:
    """Merge jf2 entries into the data files of the pages they answer; count what changed."""
    changes: dict[Path, list[tuple[str, Response | str]]] = defaultdict(list)
    for entry in entries:
        gone = withdrawn(entry)
        if gone is not None:
            path = responses_file(config, gone[1])
            if path is not None:
                changes[path].append(("remove", gone[0]))
            continue
        response = response_from_jf2(entry)
        path = responses_file(config, response.target) if response else None
        if response is None or path is None:
            report.ignored += 1
            continue
        changes[path].append(("put", response))
    for path, items in sorted(changes.items()):
        stored = {r.id: r for r in read_responses(path)}
        before = dict(stored)
        for action, value in items:
            if action == "remove":
                stored.pop(str(value), None)
            else:
                assert isinstance(value, Response)
                stored[value.id] = value
        report.added += sum(1 for key in stored if key not in before)
        report.removed += sum(1 for key in before if key not in stored)
        report.updated += sum(1 for key in stored if key in before and stored[key] != before[key])
        if stored != before:
            write_responses(path, stored.values())
            report.files.append(path)
    return report

