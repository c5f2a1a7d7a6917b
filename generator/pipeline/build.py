"""The build: its stages, read top to bottom, each a function on typed values.

read -> collect -> attach site data -> plan -> render -> write. What makes it incremental (the
cache, fingerprints, work done meanwhile in another process) is behind `BuildState`; what only the
dev server needs (a cache in memory, another base URL, the last good build) behind `BuildSession`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.config import CONFIG_NAME, Config, load_config
from generator.content.paths import output_file
from generator.content.publishing import ReadOptions
from generator.content.reader import Content, read_content
from generator.errors import BuildError
from generator.incremental.fingerprint import Fingerprints, site_inputs, site_structure
from generator.incremental.fragments import FragmentStore
from generator.incremental.parallel import default_jobs
from generator.incremental.quick import Snapshot
from generator.incremental.state import BuildState
from generator.incremental.store import CACHE_DIR, Dependencies, LastBuild, disk_store
from generator.model import LeftOut, Site
from generator.pipeline import attach
from generator.pipeline.collect import collect_site
from generator.pipeline.notices import recording_warnings
from generator.pipeline.pages import HtmlPage, plan_pages
from generator.pipeline.plan import plan_output
from generator.pipeline.podcast_checks import check_podcasts
from generator.pipeline.published import PublishedRecord, record_published
from generator.pipeline.swap import OutputTree, building, staging_dir
from generator.pipeline.writer import (
    OutputPlan,
    Prepared,
    Present,
    Progress,
    WriteResult,
    check_output_dir,
    prepare_output,
    write_output,
)
from generator.render import Renderer, template_dirs, theme_dir
from generator.sitedata import load_site_data

if TYPE_CHECKING:
    from generator.pipeline.session import BuildSession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildOptions:
    """What the user asked for on the command line."""

    output: Path | None = None  # default: [build] output under the site folder
    drafts: bool = False
    future: bool = False
    now: dt.datetime | None = None  # the moment that decides which scheduled posts are out
    jobs: int = 0  # processes for rendering; 0 means one per core
    use_cache: bool = True  # False: read and render everything (the cache is still refreshed)
    progress: Progress | None = None
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
    left_out: LeftOut = LeftOut()  # drafts and scheduled posts not published
    warnings: tuple[str, ...] = ()  # every warning the build logged


@dataclass(frozen=True)
class Target:
    """What this build makes, and where: the configuration (as served), the output folder, the moment."""

    config: Config  # with the dev server's base URL, when it builds
    public: Config  # the site's own configuration (its public URL)
    config_text: str  # site.toml as read
    output: Path
    staging: Path | None  # where the output is made before it is swapped in whole (None: in place)
    read: ReadOptions  # the moment, drafts, scheduled posts
    jobs: int

    @property
    def tree(self) -> OutputTree | None:
        """The output and its spare tree, when the build swaps them."""
        return OutputTree(self.output, self.staging) if self.staging is not None else None


@dataclass(frozen=True)
class Attached:
    """What the attach stage learnt besides what it put on the posts: every post ever published."""

    gone: tuple[str, ...]  # site paths of every post ever published (some are built again now)
    published: PublishedRecord  # the build's own record, read once: extended when this build is in place


@dataclass(frozen=True)
class Planned:
    """The site's HTML pages, and the deleted posts that get a tombstone among them."""

    pages: list[HtmlPage]
    gone: tuple[str, ...]  # site paths of deleted posts not published again


@dataclass(frozen=True)
class Rendering:
    """Every output file with how to make it (pages rendered only when their inputs changed)."""

    renderer: Renderer
    fragments: FragmentStore
    plan: OutputPlan
    dependencies: Dependencies  # what the pages are made from, for the next build


def build_site(
    site_dir: Path, options: BuildOptions = BuildOptions(), session: BuildSession | None = None
) -> BuildResult:
    """Build the site in `site_dir`; only what changed is rendered and written.

    On any error the previous output is left untouched. `session`: the dev server's (see session.py).
    """
    with _collector_paused(), recording_warnings() as warnings, contextlib.ExitStack() as held:
        started = time.perf_counter()
        target = setup(site_dir, options, session, held)
        state = open_state(target, options, session)
        last = state.unchanged(target.read.now)
        if last is not None:
            log.info("nothing changed since the last build")
            return _unchanged(target, last, time.perf_counter() - started, warnings)
        # Meanwhile the spare tree is brought in line with the output, and the files of the last build looked for.
        with state.checking(lambda checked: prepare_output(target.output, checked, target.staging)) as checking:
            content = read(target, state)
            with state.saving(content):  # the content cache, final now
                site = collect(target.config, content)
                attached = attach_site_data(target, site)
                planned = plan(target.config, site, attached.gone)
                rendering = render(target, site, planned, state)
                written = write(target, rendering, state, checking.result(), options.progress)
        record = state.record(content, site, rendering.plan.outputs, target.read.now, bool(warnings))
        fragments, posts = rendering.fragments, site.posts + site.pages
        state.finish(written.manifest, rendering.dependencies, fragments, posts, record)
        if target.tree is not None:
            target.tree.settle()
        if session is None and not (options.drafts or options.future):  # the public site, as published
            record_published(attached.published, target.public, site)
        if session is not None:
            known = (
                target.config,
                target.read,
                content,
                site,
                rendering.renderer,
                planned.pages,
                target.output,
                state.store,
            )
            session.keep(Snapshot(*known))
        return _result(target, site, rendering.plan, content, written, time.perf_counter() - started, warnings)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Run without Python's cycle collector, which would walk the whole cache (a million objects)
    again and again while it loads; what the build leaves behind is collected once at the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def setup(site_dir: Path, options: BuildOptions, session: BuildSession | None, held: contextlib.ExitStack) -> Target:
    """The configuration, the output folder (held until the build ends, when it is swapped), the moment."""
    public = load_config(site_dir)
    config = session.served(public) if session is not None else public
    output = (options.output or config.root / config.build.output).resolve()
    check_output_dir(output, config.root)
    staging = staging_dir(output, config.private_dir) if options.swap else None
    if staging is not None:
        held.enter_context(building(output, staging))  # until the build returns
    now = options.now or dt.datetime.now(tz=config.site.tz)
    config_text = (config.root / CONFIG_NAME).read_text(encoding="utf-8")
    read = ReadOptions(now=now, drafts=options.drafts, future=options.future)
    return Target(config, public, config_text, output, staging, read, options.jobs or default_jobs())


def open_state(target: Target, options: BuildOptions, session: BuildSession | None) -> BuildState:
    """The cache of this output folder (the session's memory, or files in .homepost/cache/) and what it knows."""
    config, tree = target.config, target.tree
    store = disk_store(config.root, target.output, target.config_text, config.site.url)
    if session is not None:
        store = session.store(store)
    # The cache's records of the output hold only for the tree they were saved for: not a tree an older
    # Homepost left, nor one a build swapped in before it was killed.
    trusted = tree is None or tree.cached()
    read = (options.drafts, options.future)
    forks = session is None  # the dev server's process has threads: it forks no work to do meanwhile
    use_cache, jobs = options.use_cache, target.jobs
    return BuildState.open(config, store, target.output, target.config_text, read, trusted, use_cache, forks, jobs)


def read(target: Target, state: BuildState) -> Content:
    """Read stage: every post, page and static file (those unchanged from the cache)."""
    known = state.content_cache()
    html = state.store.html
    content = read_content(target.config, target.read, cache=known, jobs=target.jobs, stats=state.stats, html=html)
    counts = (len(content.posts), len(content.pages), len(content.static_files), content.rendered)
    log.info("read %d posts, %d pages and %d other files (%d rendered, the rest cached)", *counts)
    return content


def collect(config: Config, content: Content) -> Site:
    """Collect stage: the site (taxonomies, archives, shows) from the content; its podcasts checked."""
    site = collect_site(config, content)
    findings = check_podcasts(config, site)
    for warning in findings.warnings:
        log.warning("%s", warning)
    if findings.errors:
        raise BuildError(findings.errors)
    return site


def attach_site_data(target: Target, site: Site) -> Attached:
    """Attach-site-data stage: responses and copies onto the posts; the site paths of every post ever
    published (by the build's own record, and the webmention record's): those not built now are gone."""
    data, public_url = load_site_data(target.public), target.public.site.url
    attach.attach_site_data(target.config, site, data, public_url)
    published = PublishedRecord.load(target.public)
    return Attached(attach.gone_paths(public_url, data, published.paths), published)


def plan(config: Config, site: Site, gone: tuple[str, ...]) -> Planned:
    """Plan stage: every HTML page, tombstones for the deleted posts among them."""
    pages = plan_pages(config, site, gone)
    tombstones = {page.dest for page in pages if page.info.kind == "gone"}
    return Planned(pages, tuple(rel for rel in gone if output_file(rel) in tombstones))  # not those published again


def render(target: Target, site: Site, planned: Planned, state: BuildState) -> Rendering:
    """Render stage: the renderer, and every output file with its fingerprint and how to make it."""
    config = target.config
    inputs = site_inputs(target.config_text, config.site.url, template_dirs(config), theme_dir(config), site)
    fingerprints = Fingerprints(inputs)
    fragments = state.fragments(fingerprints)
    renderer = Renderer(config, site, bytecode_dir=config.root / CACHE_DIR / "templates", fragments=fragments)
    structure = site_structure(fingerprints.site_inputs, site, planned.gone)
    earlier = state.earlier(structure, fingerprints, site.posts + site.pages)
    now = target.read.now
    output, dependencies = plan_output(config, renderer, site, planned.pages, planned.gone, now, fingerprints, earlier)
    return Rendering(renderer, fragments, output, dependencies)


def write(
    target: Target, rendering: Rendering, state: BuildState, prepared: Prepared | None, progress: Progress | None
) -> WriteResult:
    """Write stage: the files whose fingerprint changed, made (over forked workers) and written."""
    present = Present(target.output, state.checked, prepared)
    renderer, fragments = rendering.renderer, rendering.fragments
    written = write_output(
        target.output,
        rendering.plan,
        state.previous,
        jobs=target.jobs,
        progress=progress,
        harvest=fragments.take_new,
        before_fork=renderer.preload,
        present=present,
        staging=target.staging,
    )
    for new in written.harvested:
        fragments.absorb(new)
    counts = (len(written.made), len(written.written), len(written.removed))
    log.info("made %d files, wrote %d changed, removed %d", *counts)
    return written


def _result(
    target: Target,
    site: Site,
    plan: OutputPlan,
    content: Content,
    written: WriteResult,
    seconds: float,
    warnings: list[str],
) -> BuildResult:
    changed = written.written + written.removed
    counts = (len(site.posts), len(site.pages), len(plan), len(written.written), len(written.removed), content.rendered)
    return BuildResult(target.output, *counts, seconds, written.made, changed, content.left_out, tuple(warnings))


def _unchanged(target: Target, last: LastBuild, seconds: float, warnings: list[str]) -> BuildResult:
    counts = (last.posts, last.pages, len(last.files), 0, 0, 0, seconds)
    return BuildResult(target.output, *counts, left_out=last.left_out, warnings=tuple(warnings))


def read_site(config: Config, now: dt.datetime | None = None, jobs: int = 0) -> Site:
    """The published site as `homepost build` sees it, for commands that act on posts (send, syndicate).

    It reads through the public build's content cache, so after a build nothing is rendered again.
    """
    now = now or dt.datetime.now(tz=config.site.tz)
    config_text = (config.root / CONFIG_NAME).read_text(encoding="utf-8")
    output = (config.root / config.build.output).resolve()
    store = disk_store(config.root, output, config_text, config.site.url)
    known = store.load_content()
    content = read_content(config, ReadOptions(now=now), cache=known, jobs=jobs or default_jobs(), html=store.html)
    return collect_site(config, content)
