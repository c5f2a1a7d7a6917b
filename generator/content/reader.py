"""Read `content/` into the model: posts, pages and the files that travel with them.

Reading happens in two passes. The first reads every file's front matter and decides its URL,
so that the second, which renders Markdown, can turn links to other posts' `.md` files and to
images into the URLs they will have.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import quote

from generator.config import Config
from generator.content.engine import markdown_engine
from generator.content.limits import read_markdown, usable_name
from generator.content.links import warn_missing_links
from generator.content.markdown import Link
from generator.content.parse import parse_source
from generator.content.paths import folder_of
from generator.content.posts import render_post
from generator.content.publishing import ReadOptions, is_published, left_out
from generator.content.resolve import is_external, resolver
from generator.content.sources import (
    CachedFile,
    FileStat,
    Source,
    file_stat,
    fresh_copy,
    is_index,
    is_markdown,
    outside_links,
    walk_files,
    without_html,
)
from generator.digest import digest
from generator.errors import ContentError, HomepostError, Problem, unexpected
from generator.incremental.parallel import parallel_map
from generator.model import Kind, LeftOut, Post, StaticFile

log = logging.getLogger(__name__)

SECTIONS: dict[str, Kind] = {"posts": "post", "pages": "page"}
HtmlLookup = Callable[[str, str], "str | None"]  # (content file, digest of its bytes) -> its post's stored HTML


@dataclass(frozen=True)
class Content:
    """Everything read from `content/`, before taxonomies and archives are collected."""

    posts: list[Post]  # published, newest first
    pages: list[Post]
    static_files: list[StaticFile]
    cache: dict[str, CachedFile]  # what to remember for the next build
    rendered: int = 0  # how many files had to be rendered (the rest came from the cache)
    cache_changed: bool = True  # whether `cache` differs from what was given
    urls: dict[str, str] = field(default_factory=dict)  # content-relative file -> root-relative URL path
    html: dict[str, tuple[str, str]] = field(default_factory=dict)  # rendered now: file -> (its digest, HTML)
    left_out: LeftOut = LeftOut()  # drafts and scheduled posts not published


def read_content(
    config: Config,
    options: ReadOptions,
    cache: dict[str, CachedFile] | None = None,
    jobs: int = 1,
    stats: dict[str, FileStat] | None = None,
    html: HtmlLookup | None = None,
) -> Content:
    """Read every post, page and static file under the site's content folder.

    `cache` is what a previous build remembered: unchanged files are neither read nor rendered
    again, unless a link they resolved now points elsewhere. Their posts' HTML is kept apart:
    `html(rel, digest)` gives it when a post's `content_html` is first used (a file whose HTML
    is not found there is rendered again then). `jobs` processes render Markdown. `stats` may
    give files' (mtime, size) by path, as the caller just found them.
    """
    reader = _Reader(config, cache or {}, stats or {}, html)
    sources, static_rels = reader.discover(jobs)
    published = [s for s in sources if is_published(s, options)]
    reader.plan_urls(published, static_rels)
    posts, pages, rendered = reader.render_all(published, jobs)
    for post in posts:
        post.scheduled = options.is_future(post.date)
    if reader.problems:
        raise ContentError(reader.problems)
    posts.sort(key=lambda p: (p.date, p.source), reverse=True)
    pages.sort(key=lambda p: p.source)
    old = cache or {}
    changed = rendered > 0 or reader.fresh.keys() != old.keys() or any(old[k] is not v for k, v in reader.fresh.items())
    return Content(
        posts,
        pages,
        reader.static_files,
        reader.fresh,
        rendered,
        changed,
        reader.urls,
        reader.new_html,
        left_out(sources, options),
    )


def read_again(config: Config, options: ReadOptions, content: Content, rel: str) -> Post | None:
    """The post or page in `rel` read and rendered again on its own, its links resolved as in `content`.

    For the dev server's quick render of an edit. None when the file cannot be done alone: it is not
    one of `content`'s published posts or pages, it has a problem, or it is no longer published (the
    full build that follows reports and handles each of these).
    """
    section = rel.split("/", 1)[0]
    if rel not in content.urls or not is_markdown(rel) or section not in SECTIONS:
        return None
    reader = _Reader(config, {}, {})
    reader.urls = content.urls
    try:
        data = read_markdown(reader.root / rel, f"content/{rel}")
        source = parse_source(config, rel, SECTIONS[section], data, reader.problems)
        if source is None or reader.problems or not is_published(source, options):
            return None
        post, _, problems = reader._render_recorded(source)
    except (OSError, HomepostError):
        return None
    if post is None or problems or reader.problems:
        return None
    post.scheduled = options.is_future(post.date)
    return post


class _Reader:
    def __init__(
        self, config: Config, cache: dict[str, CachedFile], stats: dict[str, FileStat], html: HtmlLookup | None = None
    ):
        self.config = config
        self.cache = cache
        self.stats = stats
        self.html = html
        self.fresh: dict[str, CachedFile] = {}
        self.new_html: dict[str, tuple[str, str]] = {}
        self.root = config.content_dir
        self.problems: list[Problem] = []
        self.urls: dict[str, str] = {}  # content-relative file -> root-relative URL path
        self.static_files: list[StaticFile] = []
        self.markdown = markdown_engine()
        self.bundle_dirs: set[str] = set()

    # --- first pass ---------------------------------------------------------------------------

    def discover(self, jobs: int = 1) -> tuple[list[Source], list[str]]:
        """Read the front matter of every Markdown file (over `jobs` processes); list the other files."""
        if not self.root.is_dir():
            self.problems.append(Problem(str(self.root), "content folder not found"))
            return [], []
        found, links = walk_files(self.root, skip=(".", "_"))
        refused = outside_links(self.root, links, self.config.root, "content", self.config.build.allow_outside_symlinks)
        self.problems.extend(refused)
        unread = {p.file.removeprefix("content/") for p in refused}
        files = sorted(rel for rel in found if rel not in unread and usable_name(rel))
        self.bundle_dirs = {
            f.rsplit("/", 1)[0]
            for f in files
            if is_index(f.rsplit("/", 1)[-1]) and f.count("/") >= 2 and f.split("/")[0] in SECTIONS
        }
        texts: list[tuple[str, Kind]] = []
        static_rels: list[str] = []
        for rel in files:
            section = rel.split("/", 1)[0]
            owner = self.bundle_of(rel)
            is_text = is_markdown(rel) and section in SECTIONS and "/" in rel
            if is_text and (owner is None or rel.rsplit("/", 1)[0] == owner and is_index(rel.rsplit("/", 1)[1])):
                texts.append((rel, SECTIONS[section]))
            elif is_markdown(rel):  # never published as it is: its source is the writer's, not the reader's
                where = "in a bundle beside its index" if is_text else "outside posts/ and pages/"
                log.warning("content/%s: a Markdown file %s: not published", rel, where)
            else:
                static_rels.append(rel)
        changed = [item for item in texts if not self._unchanged(item[0])]
        read = dict(zip(changed, parallel_map(self._read_source, changed, jobs), strict=True))
        sources: list[Source] = []
        for item in texts:
            rel = item[0]
            if rel in self.fresh:  # unchanged: straight from the cache
                sources.append(self.fresh[rel].source)
                _warn(self.fresh[rel].warnings)
                continue
            source, entry, problems, warnings = read[item]
            _warn(warnings)
            self.problems.extend(problems)
            if entry is not None:
                self.fresh[rel] = entry
            if source is not None:
                sources.append(source)
        return sources, static_rels

    def _unchanged(self, rel: str) -> bool:
        """True (and the cache entry kept) when the file's size and mtime are as cached."""
        old = self.cache.get(rel)
        if old is None:
            return False
        path = f"{self.root}/{rel}"  # as input_signature names it
        stat = self.stats.get(path)
        if stat is None:
            info = os.stat(path)
            stat = (info.st_mtime_ns, info.st_size)
        if old.stat == stat:
            self.fresh[rel] = old
            return True
        return False

    def bundle_of(self, rel: str) -> str | None:
        """The bundle folder a file belongs to (the nearest folder above it with an index.md)."""
        folder = rel
        while "/" in folder:
            folder = folder.rsplit("/", 1)[0]
            if folder in self.bundle_dirs:
                return folder
        return None

    def _read_source(
        self, item: tuple[str, Kind]
    ) -> tuple[Source | None, CachedFile | None, list[Problem], tuple[Problem, ...]]:
        """The first pass over one changed file (runs in a worker): its Source, cache entry, problems and warnings.

        A file only touched (same bytes) keeps its cached entry with the new mtime.
        """
        rel, kind = item
        path = self.root / rel
        try:
            info = path.stat()
            stat = (info.st_mtime_ns, info.st_size)
            data = read_markdown(path, f"content/{rel}")
            content = digest(data)
            old = self.cache.get(rel)
            if old is not None and old.content == content:  # touched, not changed
                return old.source, replace(old, stat=stat), [], old.warnings
            problems: list[Problem] = []
            warnings: list[Problem] = []
            source = parse_source(self.config, rel, kind, data, problems, warnings)
        except HomepostError as exc:
            return None, None, exc.problems, ()
        except OSError as exc:  # gone since the folder was listed, or unreadable
            return None, None, [Problem(f"content/{rel}", f"cannot be read: {exc.strerror or exc}")], ()
        except Exception as exc:  # a bug, or input nobody foresaw: name the file rather than crash
            log.debug("reading content/%s", rel, exc_info=True)
            return None, None, [unexpected(f"content/{rel}", exc)], ()
        entry = (
            CachedFile(stat, content, replace(source, meta=None, body=None), warnings=tuple(warnings))
            if source is not None and not problems
            else None
        )
        return source, entry, problems, tuple(warnings)

    def plan_urls(self, sources: list[Source], static_rels: list[str]) -> None:
        """Decide the URL of every post and file, so that links between them can be resolved."""
        bundles = {s.bundle_dir: s for s in sources if s.bundle_dir}
        for source in sources:
            entry = self.fresh.get(source.rel)
            if entry is not None and entry.source is source and entry.post is not None:
                self.urls[source.rel] = entry.post.path  # made from the same site path, in the same configuration
            else:
                self.urls[source.rel] = self.config.path_url(quote(source.site_path))
        for rel in static_rels:
            folder = self.bundle_of(rel)
            if folder is None:
                dest = rel
            elif folder in bundles:
                dest = folder_of(bundles[folder].site_path).lstrip("/") + rel[len(folder) + 1 :]
            else:
                continue  # a file of an unpublished bundle: a draft's pictures stay private
            self.static_files.append(StaticFile(str(self.root / rel), dest))
            self.urls[rel] = self.config.path_url(quote(dest))

    # --- second pass --------------------------------------------------------------------------

    def render_all(self, sources: list[Source], jobs: int) -> tuple[list[Post], list[Post], int]:
        """Every published file as a Post: from the cache when still valid, else rendered."""
        done: dict[str, Post] = {}
        todo: list[Source] = []
        for source in sources:
            entry = self.fresh.get(source.rel)
            if entry is not None and entry.post is not None and self._links_hold(source, entry.links):
                post = done[source.rel] = fresh_copy(entry.post)
                post.html_loader = self._cached_html  # see Post.content_html
                warn_missing_links(self.root, source.rel, entry.links)
            else:
                todo.append(source)
        for source, (made, links, problems) in zip(todo, parallel_map(self._render_recorded, todo, jobs), strict=True):
            self.problems.extend(problems)
            if made is None:
                continue
            warn_missing_links(self.root, source.rel, links)
            done[source.rel] = fresh_copy(made)
            entry = self.fresh.get(source.rel)
            if entry is not None:  # a new entry, never the old one changed in place: the cache saves what is new
                self.fresh[source.rel] = replace(entry, post=without_html(made), links=links)
                self.new_html[source.rel] = (entry.content, made.content_html)
        posts = [done[s.rel] for s in sources if s.rel in done and s.kind == "post"]
        pages = [done[s.rel] for s in sources if s.rel in done and s.kind == "page"]
        return posts, pages, len(todo)

    def _cached_html(self, rel: str) -> str:
        """The HTML of a post that came from the cache: as stored, else rendered again."""
        entry = self.fresh[rel]
        html = self.html(rel, entry.content) if self.html is not None else None
        if html is None:
            log.debug("content/%s: its HTML is not in the cache; rendering it again", rel)
            post, _, problems = self._render_recorded(entry.source)
            if post is None:
                raise ContentError(problems)
            html = post.content_html
        return html

    def _render_recorded(self, source: Source) -> tuple[Post | None, tuple, list[Problem]]:
        """Render one file, noting every URL it resolved (runs in a worker process)."""
        links: list[tuple[str, Link, FileStat | None]] = []
        resolve_base = resolver(self.config, self.urls, source)

        def resolve(url: str) -> Link:
            link = resolve_base(url)
            if not is_external(url):  # an external URL resolves the same way whatever the site holds
                links.append((url, link, file_stat(link.file)))
            return link

        try:
            if source.meta is None or source.body is None:  # from the cache: the file as it is now
                source = self._reread(source)
            post = render_post(self.config, self.markdown, source, self.urls[source.rel], resolve)
            return post, tuple(links), []
        except HomepostError as exc:
            return None, (), exc.problems
        except Exception as exc:  # a bug, or input nobody foresaw: name the file rather than crash
            log.debug("rendering content/%s", source.rel, exc_info=True)
            return None, (), [unexpected(f"content/{source.rel}", exc)]

    def _links_hold(self, source: Source, links: tuple[tuple[str, Link, FileStat | None], ...]) -> bool:
        """True when every URL a cached render resolved still resolves the same way."""
        if not links:
            return True
        resolve = resolver(self.config, self.urls, source)
        for url, link, stat in links:
            try:
                if resolve(url) != link or file_stat(link.file) != stat:
                    return False
            except HomepostError:
                return False
        return True

    def _reread(self, cached: Source) -> Source:
        """A cached (unchanged) file read again for its front matter and body, to be rendered anew."""
        problems: list[Problem] = []
        data = read_markdown(self.root / cached.rel, f"content/{cached.rel}")
        source = parse_source(self.config, cached.rel, cached.kind, data, problems)
        if source is None or problems:
            raise HomepostError(problems or [Problem(f"content/{cached.rel}", "could not be read again")])
        return source


def _warn(warnings: tuple[Problem, ...]) -> None:
    """Give the warnings of how a file was read (in this process, so that the build records them)."""
    for warning in warnings:
        log.warning("%s", warning)
