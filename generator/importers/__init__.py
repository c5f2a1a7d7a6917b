"""`homepost import`: a Hugo, Jekyll or Pelican site, or a WordPress export, made into a Homepost site.

Each source has one module (`hugo.py`, `jekyll.py`, `pelican.py`, `wordpress.py`) reading it into
one `ImportedSite` (`model.py`); `writer.py` writes that into the Homepost site, never over a file,
and `import_site` ties them together and returns what it did.
"""

from __future__ import annotations

import datetime as dt
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator.config import CONFIG_NAME, load_config
from generator.errors import HomepostError, Problem
from generator.importers import hugo, jekyll, pelican, wordpress
from generator.importers.model import ImportedSite, Note
from generator.importers.writer import (
    GENERATED,
    REPORT,
    SiteWriter,
    Written,
    comments_file,
    entry_text,
    fill_links,
    keep_old_url,
    nest_page,
    new_path,
    new_site_toml,
    normal_path,
    read_permalinks,
    report_text,
    term_paths,
)
from generator.pipeline.redirects import ALIAS_LIST

Progress = Callable[[int, int], None]  # (entries written, all entries)
Reader = Callable[[Path, "Path | None", dt.datetime], ImportedSite]  # (source, uploads folder, now) -> the site read

READERS: dict[str, Reader] = {
    "hugo": hugo.read_site,
    "jekyll": jekyll.read_site,
    "pelican": pelican.read_site,
    "wordpress": wordpress.read_site,
}
PROGRESS_EVERY = 100


@dataclass
class ImportResult:
    """What an import did: the site, its counts, what was not converted, and which files it wrote."""

    site: Path
    created: bool  # a new site was made
    counts: dict[str, int]
    notes: list[Note]
    files: Written
    report: str  # the report's path, relative to the site
    urls: str  # the list of old URLs, relative to the site
    old_urls: list[str] = field(default_factory=list)


def import_site(
    kind: str,
    source: Path,
    into: Path,
    *,
    now: dt.datetime,
    uploads: Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Read `source` as a `kind` site and write it into the Homepost site `into` (made when it has no site.toml)."""
    if kind not in READERS:
        raise HomepostError(Problem(str(source), f"unknown source kind {kind!r}; expected one of {', '.join(READERS)}"))
    if not source.exists():
        raise HomepostError(Problem(str(source), "does not exist"))
    if uploads is not None and not uploads.is_dir():
        raise HomepostError(Problem(str(uploads), "--uploads: expected a folder"))
    try:
        site = READERS[kind](source, uploads, now)
    except OSError as exc:
        raise HomepostError(Problem(str(exc.filename or source), f"cannot be read ({exc.strerror or exc})")) from None
    writer = SiteWriter(into)
    created = not (into / CONFIG_NAME).exists()
    if created:
        writer.put(CONFIG_NAME, new_site_toml(site).encode())
    config = load_config(into)
    post_pattern, page_pattern = read_permalinks(into)
    counts = dict.fromkeys(("posts", "pages", "drafts", "comments", "images", "own URLs", "aliases", "skipped"), 0)
    for kind_name, n in site.counts.items():
        counts[kind_name] = counts.get(kind_name, 0) + n
    old_urls: list[str] = []
    moved: list[tuple[str, str]] = []  # (another old address, the entry's file under content/)
    used: set[str] = set()
    for entry in site.entries:  # every file's place decided before links between them are made
        entry.old_path = normal_path(entry.old_path)
        nest_page(entry)
        entry.rel = _unused(entry.rel, used)
    for done, entry in enumerate(site.entries, 1):
        fill_links(entry, site.entries)
        path = new_path(entry, post_pattern, page_pattern)
        kept = keep_old_url(entry, path)
        counts["own URLs" if kept == "url" else "aliases"] += bool(kept)
        counts["posts" if entry.kind == "post" else "pages"] += 1
        counts["drafts"] += bool(entry.front.get("draft"))
        counts["comments"] += len(entry.comments)
        writer.put(entry.rel, entry_text(entry).encode())
        if path and (responses := comments_file(config, entry, path)) is not None:
            writer.put(*responses)
        if entry.public and entry.old_path:
            old_urls.append(_old_url(site.url, entry.old_path))
        if entry.public:
            moved += [(old, entry.rel.removeprefix("content/")) for old in entry.moved]
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, len(site.entries))
    for copied in site.files:
        if copied.rel.removeprefix("static/") in GENERATED:
            site.note(copied.rel, None, "Homepost writes its own: not copied")
            counts["skipped"] += 1
            continue
        writer.put(copied.rel, copied.source.read_bytes())
        counts["images"] += copied.rel.lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif"))
    if moved:
        writer.put(f"data/{ALIAS_LIST}", "".join(f"{old} {rel}\n" for old, rel in moved).encode())
        old_urls += [_old_url(site.url, old) for old, _ in moved]
    old_urls += [_old_url(site.url, path) for path in term_paths(site, config)]
    notes = list(site.notes) + [
        Note(rel, None, "exists with other content: not overwritten") for rel in writer.done.kept
    ]
    urls = writer.put_beside(f"data/import/{site.source}-urls.txt", "".join(f"{u}\n" for u in old_urls).encode())
    report = writer.put_beside(REPORT, report_text(site, counts, list(site.notes)).encode())
    return ImportResult(into, created, counts, notes, writer.done, report, urls, old_urls)


def _unused(rel: str, used: set[str]) -> str:
    """`rel`, or `name-2.md`... when another entry of this import already has it."""
    stem, ext = posixpath.splitext(rel)
    name, n = rel, 1
    while name in used:
        n += 1
        name = f"{stem}-{n}{ext}"
    used.add(name)
    return name


def _old_url(base: str, path: str) -> str:
    """An old URL in full when the old site's address is known, else its path."""
    if base.startswith(("http://", "https://")):
        return base.rstrip("/") + path
    return path
