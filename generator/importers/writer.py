"""The Homepost site an import writes: never overwriting a file, the same bytes on a re-run.

Posts and pages with YAML front matter (the old URL as the entry's own `url:` where the new
permalink gives another path, an alias where `url:` cannot say it), taxonomy path patterns in a
new site.toml, other old addresses in `data/aliases.txt`, comments as responses in
`data/responses/`, copied files, the list of old URLs (`data/import/<source>-urls.txt`) and the
report (`import-report.md`).
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from generator.config import CONFIG_NAME, Config
from generator.config.checks import permalink as permalink_problem
from generator.content.paths import site_path_error, title_slug
from generator.importers.model import LINK_MARK, Entry, ImportedSite, Note
from generator.model import Response, ResponseAuthor
from generator.pipeline.collect import taxonomy_paths
from generator.sanitize import clean_html, clean_text, clean_url
from generator.sitedata.responses import response_to_dict, responses_file
from generator.text import html_to_text, slugify

REPORT = "import-report.md"
COUNTED = ("posts", "pages", "drafts", "comments", "images", "own URLs", "aliases", "skipped")
GENERATED = (
    "robots.txt",
    "sitemap.xml",
    "feed.xml",
    "atom.xml",
    "feed.json",
    "404.html",
    "index.html",
)  # Homepost's own
_ORDER = (
    "title",
    "date",
    "updated",
    "slug",
    "url",
    "summary",
    "tags",
    "categories",
    "series",
    "aliases",
    "draft",
    "image",
)


@dataclass
class Written:
    """What writing the site did to its files."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # existed with other content: left as they were


class SiteWriter:
    """Writes files under a site folder, never over a file that holds something else."""

    def __init__(self, root: Path):
        self.root = root
        self.done = Written()

    def put(self, rel: str, data: bytes) -> bool:
        """Write `data` at `rel` unless a file is there; True when the file now holds `data`."""
        path = self.root / rel
        if ".." in rel.split("/") or rel.startswith("/") or "\0" in rel:
            raise ValueError(f"{rel!r} is not a path inside the site")  # names are made safe before: a bug
        if path.exists() or path.is_symlink():
            same = path.is_file() and path.read_bytes() == data
            (self.done.unchanged if same else self.done.kept).append(rel)
            return same
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.done.written.append(rel)
        return True

    def put_beside(self, rel: str, data: bytes) -> str:
        """Write `data` at `rel`, or at `name-2.ext`, `-3`... when another file is there; the name used."""
        stem, ext = posixpath.splitext(rel)
        for n in range(1, 1000):
            name = rel if n == 1 else f"{stem}-{n}{ext}"
            path = self.root / name
            if not path.exists() or (path.is_file() and path.read_bytes() == data):
                self.put(name, data)
                return name
        raise OSError(f"{rel}: too many earlier copies")


def new_site_toml(site: ImportedSite) -> str:
    """The site.toml of a new site made from an imported one."""
    url = site.url if site.url.startswith(("http://", "https://")) else "https://example.com/"
    lines = ["[site]", f"title = {_toml(site.title or 'My site')}", f"url = {_toml(url.rstrip('/') + '/')}"]
    if site.language:
        lines.append(f"language = {_toml(site.language)}")
    lines.append(f"timezone = {_toml(_zone(site.timezone))}")
    if permalink := guess_permalink(site):
        lines += ["", "[build]", f"permalink = {_toml(permalink)}"]
    for key, pattern in site.taxonomy_paths.items():
        if pattern != f"/{key}/{{term}}/":
            lines += ["", f"[taxonomies.{key}]", f"path = {_toml(pattern)}"]
    return "\n".join(lines) + "\n"


def _zone(name: str) -> str:
    """The old site's time zone when it is an IANA name Homepost knows, else UTC."""
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return "UTC"
    return name or "UTC"


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


_FOLDERS = ("/{year}/{month}/{day}/{slug}", "/{year}/{month}/{slug}", "/{year}/{slug}", "/{slug}", "/{category}/{slug}")
PERMALINKS = tuple(p + end for end in ("/", ".html") for p in _FOLDERS)


def guess_permalink(site: ImportedSite) -> str | None:
    """The permalink giving most old post URLs: the importer's own (first among equals), else the usual ones.

    Of patterns giving as many, one without `{category}` is preferred (no warning for posts without one)."""
    own = [site.permalink] if site.permalink and permalink_problem(site.permalink) is None else []
    candidates = list(dict.fromkeys([*own, *PERMALINKS]))
    posts = [e for e in site.entries if e.kind == "post" and e.public and e.old_path]
    scores = {p: sum(new_path(e, p, "") == e.old_path for e in posts) for p in candidates}
    best = max(candidates, key=lambda p: (scores[p], "{category}" not in p or p in own))
    return best if scores[best] else None


def read_permalinks(root: Path) -> tuple[str, str]:
    """The site's post and page permalink patterns as site.toml sets them (else the defaults)."""
    try:
        build = tomllib.loads((root / CONFIG_NAME).read_text(encoding="utf-8")).get("build", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        build = {}
    return str(build.get("permalink", "/{year}/{month}/{slug}/")), str(build.get("page_permalink", "/{slug}/"))


def new_path(entry: Entry, post_pattern: str, page_pattern: str) -> str:
    """The path Homepost will give `entry`, relative to the site's root (as `content.paths` fills a pattern)."""
    categories = entry.front.get("categories") or []
    title = str(entry.front.get("title") or "")
    values = {
        "slug": entry.slug,
        "title": (title_slug(title, False) if title else "") or entry.slug,
        "category": slugify(str(categories[0])) if categories else "",
    }
    if entry.date is not None:
        values.update(year=f"{entry.date.year:04d}", month=f"{entry.date.month:02d}", day=f"{entry.date.day:02d}")
    try:
        path = (post_pattern if entry.kind == "post" else page_pattern).format(**values)
    except (KeyError, IndexError, ValueError):
        return ""
    return re.sub("/{2,}", "/", path)


def normal_path(path: str | None) -> str | None:
    """An old path as a browser asks for it: dot segments resolved (RFC 3986), doubled slashes joined."""
    if not path:
        return path
    made = posixpath.normpath("/" + path.lstrip("/"))
    made = "/" + made.lstrip("/")  # normpath keeps a leading "//"
    return made + "/" if path.endswith("/") and made != "/" else made


def nest_page(entry: Entry) -> None:
    """A page whose old path has folders (`/guides/setup/`) goes in those folders, so its URL stays the same."""
    old = entry.old_path or ""
    segments = old.strip("/").split("/")
    if entry.kind != "page" or not old.endswith("/") or len(segments) < 2 or entry.rel.endswith("/index.md"):
        return
    if all(segment and slugify(segment) == segment for segment in segments):
        entry.rel = "content/pages/" + "/".join(segments) + ".md"
        entry.slug = "/".join(segments)
        entry.front.pop("slug", None)


def keep_old_url(entry: Entry, path: str) -> str:
    """Keep the old path where Homepost gives the entry another: its own `url:` when one can say it, else an alias.

    Returns what was written: "url", "alias" or "" (nothing: the same path, or none to keep)."""
    old = entry.old_path
    if not entry.public or not old or old.rstrip("/") == path.rstrip("/") or not old.startswith("/") or "//" in old:
        return ""
    if ".." in old.split("/") or any(ord(ch) < 32 for ch in old):
        return ""  # no path under the site: nothing a redirect page could answer
    if site_path_error(old) is None and "url" not in entry.front:
        entry.front["url"] = old
        return "url"
    aliases = list(entry.front.get("aliases") or [])
    if old in aliases:
        return ""
    entry.front["aliases"] = [*aliases, old]
    return "alias"


def front_matter(front: dict[str, Any]) -> str:
    """YAML front matter with Homepost's keys first, dates written as Homepost reads them."""
    ordered = {k: front[k] for k in _ORDER if k in front} | {k: v for k, v in front.items() if k not in _ORDER}
    for key, value in ordered.items():
        if isinstance(value, dt.datetime):
            ordered[key] = _date(value)
    dumped = yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
    return f"---\n{dumped}---\n"


def _date(moment: dt.datetime) -> str:
    if moment.tzinfo is None and moment.time() == dt.time():
        return moment.date().isoformat()
    return moment.isoformat(sep=" ")


def fill_links(entry: Entry, entries: list[Entry]) -> None:
    """The converters' link marks in an entry made relative .md links, now that every file's place is final."""

    def relative(match: re.Match[str]) -> str:
        target = entries[int(match.group(1))].rel
        return posixpath.relpath(target, posixpath.dirname(entry.rel)).replace(" ", "%20")

    entry.body = LINK_MARK.sub(relative, entry.body)


def entry_text(entry: Entry) -> str:
    """The whole file of an entry: front matter, a blank line, the body."""
    return front_matter(entry.front) + "\n" + entry.body.strip("\n") + "\n"


def comments_file(config: Config, entry: Entry, path: str) -> tuple[str, bytes] | None:
    """The responses file of an entry's approved comments, as `homepost backfeed` would store them."""
    if not entry.comments:
        return None
    url = config.abs_url(path)
    file = responses_file(config, url)
    if file is None:
        return None
    ids = {c.id for c in entry.comments}
    items = []
    for comment in entry.comments:
        content = clean_html(comment.html)
        response = Response(
            id=f"imported-comment-{comment.id}",
            type="comment",
            source=f"{url}#comment-wp{comment.id}",
            target=url,
            author=ResponseAuthor(name=clean_text(comment.author, 200), url=clean_url(comment.author_url)),
            content_html=content,
            content_text=html_to_text(content),
            published=comment.published,
            platform="comment",
            in_reply_to=f"imported-comment-{comment.parent}" if comment.parent in ids else "",
            url=clean_url(comment.old_url),
        )
        items.append(response)
    items.sort(key=lambda r: (r.published.isoformat() if r.published else "", r.id))
    data = json.dumps([response_to_dict(r) for r in items], ensure_ascii=False, indent=2) + "\n"
    return file.relative_to(config.root).as_posix(), data.encode()


def report_text(site: ImportedSite, counts: dict[str, int], notes: list[Note]) -> str:
    """The report: counts per kind, then every construct not converted with its file and line."""
    lines = [f"# Import from {site.source}", "", "| kind | count |", "|---|---|"]
    lines += [f"| {kind} | {counts.get(kind, 0)} |" for kind in COUNTED]
    lines += [f"| {kind} | {n} |" for kind, n in sorted(counts.items()) if kind not in COUNTED]
    lines += ["", f"## Not converted ({len(notes)})", ""]
    lines += [f"- {note}" for note in notes] or ["Nothing: everything was converted."]
    return "\n".join(lines) + "\n"


def term_paths(site: ImportedSite, config: Config) -> list[str]:
    """The old addresses of the term pages (tags, categories) of public posts, where the site's config keeps them.

    A taxonomy whose old pattern the site does not use (an import into an existing site) is noted instead."""
    found: list[str] = []
    for key, pattern in site.taxonomy_paths.items():
        setting = next((t.path for t in config.taxonomies if t.key == key), None)
        if setting is None or "/" + taxonomy_paths(setting)[1] != pattern:
            site.note(
                CONFIG_NAME,
                None,
                f"old {key} pages ({pattern}) not kept: set [taxonomies.{key}] path = {_toml(pattern)}",
            )
            continue
        names = {str(n) for e in site.entries if e.kind == "post" and e.public for n in e.front.get(key) or []}
        found += sorted({pattern.replace("{term}", slug) for n in names if (slug := site.term_slug(n))})
    return found
