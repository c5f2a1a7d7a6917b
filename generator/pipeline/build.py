"""The build orchestrator: every stage is one visible call, in order, on typed objects."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from generator.backfeed.avatars import AVATARS_DIR
from generator.backfeed.threads import conversation, stored_avatars
from generator.incremental import store as cache
from generator.pipeline.collect import collect_site
from generator.pipeline.podcast_checks import check_podcasts
from generator.incremental.store import Dependencies
from generator.incremental.dependencies import LastPages
from generator.incremental.fingerprint import Fingerprints, site_inputs, site_structure
from generator.pipeline.hosting import host_files
from generator.pipeline.notices import recording_warnings
from generator.pipeline.pages import HtmlPage, dest_of, plan_pages
from generator.incremental.quick import Snapshot
from generator.pipeline.related import search_fingerprint, search_index
from generator.pipeline.swap import OutputTree, building, staging_dir
from generator.pipeline.writer import (
    OutputPlan,
    Present,
    Progress,
    check_output_dir,
    missing_files,
    prepare_output,
    write_output,
)
from generator.config import CONFIG_NAME, Config, load_config
from generator.content.episodes import chapters_json
from generator.content.markdown import highlight_css
from generator.content.reader import Content, ReadOptions, read_content
from generator.content.sources import outside_links, walk_files
from generator.digest import digest, quick_digest
from generator.errors import BuildError, ContentError
from generator.feeds import FEED_FILES
from generator.feeds.blog import FeedSpec, render_feed
from generator.feeds.podcast import podcast_feed
from generator.feeds.sitemap import robots_txt, sitemap_xml
from generator.incremental.fragments import FragmentStore
from generator.model import LeftOut, Response, Site
from generator.responses import load_responses
from generator.syndication.outbox import Outbox
from generator.webmention.sent import SentState
from generator.incremental.parallel import MIN_ITEMS, default_jobs, meanwhile
from generator.render import Renderer, theme_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildOptions:
    """What the user asked for on the command line."""

    output: Path | None = None  # default: [build] output under the site folder
    drafts: bool = False
    future: bool = False
    base_url: str | None = None  # serve the site from another URL (the dev server)
    now: dt.datetime | None = None  # the moment that decides which scheduled posts are out
    jobs: int = 0  # processes for rendering; 0 means one per core
    use_cache: bool = True  # False: read and render everything (the cache is still refreshed)
    progress: Progress | None = None
    memory: cache.MemoryCache | None = None  # keep the cache here instead of on disk (the dev server)
    snapshot: bool = False  # return what the build knew, for quick renders of edits (the dev server)
    swap: bool = True  # stage the output and swap it in whole (swap.py); False: write in place (the dev server)


@dataclass(frozen=True)
class BuildResult:
    """What a build did, for the CLI to report."""

    output: Path
    posts: int
    pages: int
    files: int  # files in the output
    written: int  # files whose content changed on disk
    removed: int
    rendered: int  # Markdown files rendered (the rest came from the cache)
    seconds: float
    made: tuple[str, ...] = ()  # output files made again (rendered or copied); the rest were up to date
    changed: tuple[str, ...] = ()  # output files written or removed
    snapshot: Snapshot | None = field(default=None, repr=False)  # when asked for
    left_out: LeftOut = LeftOut()  # drafts and scheduled posts not published
    warnings: tuple[str, ...] = ()  # every warning the build logged


def build_site(site_dir: Path, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Build the site in `site_dir`; only what changed is rendered and written.

    On any error the previous output is left untouched.
    """
    with _collector_paused(), recording_warnings() as warnings, contextlib.ExitStack() as held:
        return _build(site_dir, options, warnings, held)


@contextlib.contextmanager
def _collector_paused():
    """Run without Python's cycle collector, which would walk the whole cache (a million objects)
    again and again while it loads; what the build leaves behind is collected once at the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(site_dir: Path, options: BuildOptions, warnings: list[str], held: contextlib.ExitStack) -> BuildResult:
    started = time.perf_counter()
    config = load_config(site_dir)
    gone = gone_paths(config)  # site paths of every post ever told about; those not built now are gone
    public_url = config.site.url
    if options.base_url:
        config = config.with_url(options.base_url)
    output = (options.output or config.root / config.build.output).resolve()
    check_output_dir(output, config.root)
    staging = staging_dir(output, config.private_dir) if options.swap else None
    tree = OutputTree(output, staging) if staging is not None else None
    if staging is not None:
        held.enter_context(building(output, staging))  # until the build returns
    now = options.now or dt.datetime.now(tz=config.site.tz)
    jobs = options.jobs or default_jobs()
    config_text = (config.root / CONFIG_NAME).read_text(encoding="utf-8")
    store = _cache_for(config, options, output, digest(cache.VERSIONS, config_text, config.site.url))

    stats: dict[str, tuple[int, int]] = {}  # every input file's (mtime, size), for the reader too
    signature = input_signature(config, options, output, config_text, stats)
    # The cache's records of the output hold only for the tree they were saved for: not a tree an older
    # Homepost left, nor one a build swapped in before it was killed.
    cached = options.use_cache and (tree is None or tree.cached())
    last = store.load("last-build") if cached else None
    if last is not None and nothing_changed(last, signature, now, output):
        log.info("nothing changed since the last build")
        seconds = time.perf_counter() - started
        counts = (last.posts, last.pages, len(last.files), 0, 0, 0, seconds)
        return BuildResult(output, *counts, left_out=last.left_out, warnings=tuple(warnings))

    # Meanwhile another process brings the spare tree in line with the output (swap.py) and looks for
    # the files of the last build that are gone from the output; not for the dev server, whose process has threads.
    checked = frozenset(last.files) if last is not None and last.output == str(output) else frozenset()
    look_aside = options.memory is None and len(checked) >= MIN_ITEMS
    with meanwhile(functools.partial(prepare_output, output, checked, staging), jobs if look_aside else 1) as checking:
        known = store.load("content") if options.use_cache else None
        read = ReadOptions(now=now, drafts=options.drafts, future=options.future)
        content = read_content(config, read, cache=known, jobs=jobs, stats=stats, html=store.html)
        log.info("read %d posts, %d pages and %d other files (%d rendered, the rest cached)",
                 len(content.posts), len(content.pages), len(content.static_files), content.rendered)  # fmt: skip
        # The content cache is final now: another process saves it while this one plans and writes (not
        # the dev server's, which lives in this process, nor a few files, saved sooner here than forked).
        save = functools.partial(_save_content, store, content) if content.cache_changed or known is None else _nothing
        aside = options.memory is None and content.rendered >= MIN_ITEMS
        with meanwhile(save, jobs if aside else 1) as saving:
            site = collect_site(config, content)
            attach_responses(config, site, load_responses(config))
            attach_copies(site, Outbox.load(config.data_dir), public_url=public_url, url=config.site.url)
            findings = check_podcasts(config, site)
            for warning in findings.warnings:
                log.warning("%s", warning)
            if findings.errors:
                raise BuildError(findings.errors)
            renderer = Renderer(config, site, bytecode_dir=config.root / cache.CACHE_DIR / "templates")
            pages = plan_pages(config, site, gone)
            tombstones = {page.dest for page in pages if page.info.kind == "gone"}
            gone = tuple(rel for rel in gone if dest_of(rel) in tombstones)  # not those published again
            fingerprints = Fingerprints(site_inputs(config_text, config.site.url, renderer.template_dirs, renderer.theme, site))
            renderer.fragments = FragmentStore(store.load("fragments") if options.use_cache else None, fingerprints.in_site)

            previous = store.load("output") if cached else None
            structure = site_structure(fingerprints.site_inputs, site, gone)
            earlier = LastPages(structure, fingerprints, site.posts + site.pages, previous)

            plan = OutputPlan()
            plan_static_files(plan, config, renderer, site)
            dependencies = plan_pages_output(plan, renderer, pages, fingerprints, earlier)
            plan_feeds(plan, config, site, now, fingerprints)
            plan_podcasts(plan, config, site, fingerprints)
            search = quick_digest(fingerprints.site_inputs, search_fingerprint(site.posts))
            plan.add("search/index.json", "search index", search, functools.partial(search_index, site.posts))
            plan.add_bytes("sitemap.xml", sitemap_xml(sitemap_entries(pages)), "sitemap")
            for name, data in host_files(config, gone).items():
                plan.add_bytes(name, data, "host rules (deleted posts, Webmention Link header)", weak=True)
            plan.add_bytes("robots.txt", robots_txt(config.abs_url("sitemap.xml")), "robots.txt")
            if plan.problems:
                raise BuildError(plan.problems)

            present = Present(output, checked, checking.result())
            written = write_output(output, plan, previous, jobs=jobs, progress=options.progress, harvest=renderer.fragments.take_new,
                                   before_fork=renderer.preload, present=present, staging=staging)  # fmt: skip
    for fragments in written.harvested:
        renderer.fragments.absorb(fragments)
    log.info("made %d files, wrote %d changed, removed %d", len(written.made), len(written.written), len(written.removed))
    written.manifest.dependencies = dependencies
    store.save("output", written.manifest)
    store.save("fragments", renderer.fragments.current(site.posts + site.pages))
    if not saving.ok:
        log.warning("the content cache could not be saved: the next build reads every file again")
    upcoming = [e.source.date for e in content.cache.values() if e.source.date and e.source.date > now]
    record = cache.LastBuild(signature, min(upcoming, default=None), str(output), sorted(plan.outputs), len(site.posts), len(site.pages))
    record.left_out, record.warned = content.left_out, bool(warnings)
    store.save("last-build", record)
    if tree is not None:
        tree.settle()
    snapshot = Snapshot(config, read, content, site, renderer, pages, output, store) if options.snapshot else None
    result = BuildResult(output, len(site.posts), len(site.pages), len(plan), len(written.written), len(written.removed),
                         content.rendered, time.perf_counter() - started, written.made,
                         written.written + written.removed, snapshot)  # fmt: skip
    return dataclasses.replace(result, left_out=content.left_out, warnings=tuple(warnings))


def _save_content(store: cache.BuildCache, content: Content) -> None:
    store.save_html(content.html, content.cache)  # before the entries whose HTML it holds
    store.save("content", content.cache)


def _nothing() -> None:
    pass


def read_site(config: Config, now: dt.datetime | None = None, jobs: int = 0) -> Site:
    """The published site as `homepost build` sees it, for commands that act on posts (send, syndicate).

    It reads through the public build's content cache, so after a build nothing is rendered again.
    """
    now = now or dt.datetime.now(tz=config.site.tz)
    config_text = (config.root / CONFIG_NAME).read_text(encoding="utf-8")
    output = (config.root / config.build.output).resolve()
    store = cache.BuildCache(config.root / cache.CACHE_DIR, output, digest(cache.VERSIONS, config_text, config.site.url))
    content = read_content(config, ReadOptions(now=now), cache=store.load("content"), jobs=jobs or default_jobs(), html=store.html)
    return collect_site(config, content)


def gone_paths(config: Config) -> tuple[str, ...]:
    """Site paths (without the base path) of every post the webmention record knows: a tombstone
    is made for each one no page of this build claims (it was deleted, or its URL changed)."""
    base = config.site.url
    return tuple(url.removeprefix(base) for url in SentState.load(config.data_dir).sources if url.startswith(base))


def attach_responses(config: Config, site: Site, responses: dict[str, tuple[Response, ...]]) -> None:
    """Give each post and page the responses stored for its URL (and its old URLs), and their conversation."""
    avatars = stored_avatars(config.data_dir)
    for post in site.posts + site.pages:
        found = list(responses.get(post.url, ()))
        for alias in post.aliases:
            found += responses.get(config.abs_url(alias), ())
        if not found:  # most posts
            post.responses, post.conversation = (), None
            continue
        post.responses = tuple(sorted(found, key=lambda r: (r.published or _EPOCH, r.id)))
        post.conversation = conversation(config, post.responses, avatars)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def attach_copies(site: Site, outbox: Outbox, public_url: str, url: str) -> None:
    """Add each post's copies from the syndication outbox to its `syndication` links (u-syndication)."""
    if not outbox.records:
        return
    for post in site.posts:
        public = public_url + post.url.removeprefix(url)  # the outbox knows posts by their public URL
        copies = tuple(record.url for _, record in outbox.copies(public))
        if copies:
            post.syndication = tuple(dict.fromkeys(post.syndication + copies))


def _cache_for(config: Config, options: BuildOptions, output: Path, key: str) -> cache.BuildCache:
    """The cache of this output folder: the caller's memory, or files in .homepost/cache/."""
    disk = cache.BuildCache(config.root / cache.CACHE_DIR, output, key)
    if options.memory is not None:
        options.memory.bind(disk)
        return options.memory
    return disk


def input_signature(config: Config, options: BuildOptions, output: Path, config_text: str,
                    stats: dict[str, tuple[int, int]] | None = None) -> str:  # fmt: skip
    """A digest of everything a build reads: each file's name, size and mtime, the configuration, the options.

    `stats`, if given, receives each file's (mtime, size) by path.
    """
    files: list[str] = []
    found: dict[str, tuple[int, int]] = {} if stats is None else stats
    for folder in (config.content_dir, config.root / "templates", config.root / "static", theme_dir(config), config.data_dir):
        files.append(f"folder:{folder}")
        _stat_files(str(folder), files, found)
    # One text of all files (a path holds no NUL), hashed at once: 10,000 parts one by one cost more.
    return quick_digest(config_text, config.site.url, str(output), repr((options.drafts, options.future)), "\0".join(files))


def _stat_files(folder: str, parts: list[str], stats: dict[str, tuple[int, int]]) -> None:
    """Add "path:size:mtime" of each file under `folder` to `parts`, in a stable order; (mtime, size) to `stats`."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:  # missing or unreadable: as os.walk, and the reader, pass it by
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _stat_files(entry.path, parts, stats)
        else:
            info = entry.stat()
            parts.append(f"{entry.path}:{info.st_size}:{info.st_mtime_ns}")
            stats[entry.path] = (info.st_mtime_ns, info.st_size)


def nothing_changed(last: cache.LastBuild, signature: str, now: dt.datetime, output: Path) -> bool:
    """True when the inputs are as the last build left them, no scheduled post came due, the output is whole,
    and the last build gave no warnings (a build gives its warnings every time, for `build --strict`)."""
    if last.warned or last.signature != signature or last.output != str(output):
        return False
    if isinstance(last.next_change, dt.datetime) and now >= last.next_change:
        return False
    return not missing_files(output, last.files)


def plan_static_files(plan: OutputPlan, config: Config, renderer: Renderer, site: Site) -> None:
    """Theme assets, then the site's static/ over them, then the files that live beside content."""
    theme = f"theme {config.build.theme}"
    for dest, source in _walk(renderer.theme / "static", renderer.theme, f"{theme} static", where="the theme's folder"):
        plan.add_copy(dest, source, theme, weak=True)
    light, dark = config.build.highlight_style, config.build.highlight_style_dark  # made only when the styles change
    plan.add("assets/pygments.css", theme, quick_digest("pygments", light, dark), lambda: highlight_css(light, dark).encode(), weak=True)
    for dest, source in _walk(config.root / "static", config.root, "static", config.build.allow_outside_symlinks):
        plan.add_copy(dest, source, f"static/{dest}")
    avatars = config.data_dir / AVATARS_DIR  # responders' pictures, never hotlinked
    for dest, source in _walk(avatars, config.data_dir, f"data/{AVATARS_DIR}"):
        plan.add_copy(f"{AVATARS_DIR}/{dest}", source, f"data/{AVATARS_DIR}/{dest}")
    for file in site.static_files:
        plan.add_copy(file.dest, Path(file.source), f"content/{Path(file.source).relative_to(config.content_dir).as_posix()}")


def plan_pages_output(plan: OutputPlan, renderer: Renderer, pages: list[HtmlPage], fingerprints: Fingerprints,
                      last: LastPages) -> Dependencies:  # fmt: skip
    """Every HTML page, to be rendered only if its fingerprint changed; what the pages are made from.

    A page none of whose inputs changed since the last build keeps that build's fingerprint
    without being fingerprinted again (see dependencies.py).
    """
    covers: dict[str, tuple[str, ...]] = {}
    known = last.covers
    for page in pages:
        dest = page.dest
        fingerprint = last.fingerprint(dest)
        if fingerprint is None:
            fingerprint, covers[dest] = fingerprints.page(page.template, page.info, page.context)
        else:
            covers[dest] = known[dest]
        plan.add(dest, page.origin, fingerprint, functools.partial(_render_page, renderer, page))
    return last.dependencies(covers)


def _render_page(renderer: Renderer, page: HtmlPage) -> bytes:
    return renderer.render(page.template, page.info, **page.context).encode("utf-8")


def plan_feeds(plan: OutputPlan, config: Config, site: Site, now: dt.datetime, fingerprints: Fingerprints) -> None:
    """The site's feeds, and one set per term of every taxonomy that wants them."""
    limit = config.build.feed_items
    specs = [FeedSpec(config.site.title, config.site.description, config.site.url, "", site.posts[:limit], now)]
    for taxonomy in site.taxonomies:
        if not taxonomy.feeds:
            continue
        for term in taxonomy.terms:
            folder = unquote(term.path.removeprefix(config.site.base_path))
            title = f"{config.site.title}: {term.name}"
            specs.append(FeedSpec(title, config.site.description, term.url, folder, term.posts[:limit], now))
    for spec in specs:
        posts = fingerprints.value(spec.posts)
        updated = spec.updated.isoformat() if not spec.posts else ""
        for fmt, name in FEED_FILES.items():
            fingerprint = quick_digest(fingerprints.site_inputs, fmt, spec.title, spec.description, spec.page_url, spec.folder, posts, updated)
            plan.add(spec.folder + name, f"feed of {spec.page_url}", fingerprint, functools.partial(render_feed, config, spec, fmt))


def plan_podcasts(plan: OutputPlan, config: Config, site: Site, fingerprints: Fingerprints) -> None:
    """Each show's feed (also at /podcast.xml when the site has one show) and generated chapters files."""
    for show in site.shows:
        fingerprint = quick_digest(fingerprints.site_inputs, "podcast", fingerprints.value(show))
        make = functools.partial(podcast_feed, config, show)
        plan.add(show.feed_path, f"podcast {show.key}", fingerprint, make)
        if len(site.shows) == 1:
            plan.add("podcast.xml", f"podcast {show.key}", fingerprint, make)
    for post in site.posts:
        if post.episode is not None and post.episode.chapters_file:
            plan.add_bytes(post.episode.chapters_file, chapters_json(post.episode.chapters), f"content/{post.source} (chapters)")


def sitemap_entries(pages: list[HtmlPage]) -> list[tuple[str, dt.datetime | None]]:
    """Absolute URL and last change of every page that belongs in the sitemap."""
    return [(page.info.url, page.lastmod) for page in pages if page.in_sitemap]


def _walk(folder: Path, inside: Path, label: str, allow: bool = False,
          where: str = "the site folder") -> list[tuple[str, Path]]:  # fmt: skip
    """The files to copy from `folder`; ContentError for symbolic links resolving outside `inside`."""
    found, links = walk_files(folder)
    refused = outside_links(folder, links, inside, label, allow, where)
    if refused:
        raise ContentError(refused)
    return [(rel, folder / rel) for rel in found]
