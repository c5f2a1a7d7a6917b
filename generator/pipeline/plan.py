"""The output plan: every file of the site, each with what it is made from and how to make it.

Pages are rendered, feeds and copies made, only when the writer finds their fingerprint changed.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from urllib.parse import unquote

from generator.config import Config
from generator.content.episodes import chapters_json
from generator.content.markdown import highlight_css
from generator.content.paths import folder_of
from generator.content.sources import outside_links, walk_files
from generator.digest import quick_digest
from generator.errors import BuildError, ContentError
from generator.feeds import FEED_FILES
from generator.feeds.blog import FeedSpec, render_feed
from generator.feeds.podcast import podcast_feed
from generator.feeds.sitemap import robots_txt, sitemap_xml
from generator.incremental.dependencies import LastPages
from generator.incremental.fingerprint import Fingerprints
from generator.incremental.store import Dependencies
from generator.model import Site
from generator.pipeline.fediverse import plan_fediverse
from generator.pipeline.hosting import host_files
from generator.pipeline.pages import HtmlPage
from generator.pipeline.related import search_fingerprint, search_index
from generator.pipeline.writer import OutputPlan
from generator.render import Renderer
from generator.sitedata.avatars import AVATARS_DIR


def plan_output(
    config: Config,
    renderer: Renderer,
    site: Site,
    pages: list[HtmlPage],
    gone: tuple[str, ...],
    now: dt.datetime,
    fingerprints: Fingerprints,
    earlier: LastPages,
) -> tuple[OutputPlan, Dependencies]:
    """Every file of the output, and what its pages are made from; BuildError if two claim one path."""
    plan = OutputPlan()
    plan_static_files(plan, config, renderer, site)
    dependencies = plan_pages_output(plan, renderer, pages, fingerprints, earlier)
    plan_feeds(plan, config, site, now, fingerprints)
    plan_podcasts(plan, config, site, fingerprints)
    plan_fediverse(plan, config, site, fingerprints, renderer.strings)
    search = quick_digest(fingerprints.site_inputs, search_fingerprint(site.posts))
    plan.add("search/index.json", "search index", search, functools.partial(search_index, site.posts))
    plan.add_bytes("sitemap.xml", sitemap_xml(sitemap_entries(pages)), "sitemap")
    for name, data in host_files(config, gone, site.redirects).items():
        plan.add_bytes(name, data, "host rules (deleted posts, Webmention Link header)", weak=True)
    plan.add_bytes("robots.txt", robots_txt(config.abs_url("sitemap.xml")), "robots.txt")
    if plan.problems:
        raise BuildError(plan.problems)
    return plan, dependencies


def plan_static_files(plan: OutputPlan, config: Config, renderer: Renderer, site: Site) -> None:
    """Theme assets, then the site's static/ over them, then the files that live beside content."""
    theme = f"theme {config.build.theme}"
    for dest, source in _walk(renderer.theme / "static", renderer.theme, f"{theme} static", where="the theme's folder"):
        plan.add_copy(dest, source, theme, weak=True)
    light, dark = config.build.highlight_style, config.build.highlight_style_dark  # made only when the styles change
    plan.add(
        "assets/pygments.css",
        theme,
        quick_digest("pygments", light, dark),
        lambda: highlight_css(light, dark).encode(),
        weak=True,
    )
    for dest, source in _walk(config.root / "static", config.root, "static", config.build.allow_outside_symlinks):
        plan.add_copy(dest, source, f"static/{dest}")
    avatars = config.data_dir / AVATARS_DIR  # responders' pictures, never hotlinked
    for dest, source in _walk(avatars, config.data_dir, f"data/{AVATARS_DIR}"):
        plan.add_copy(f"{AVATARS_DIR}/{dest}", source, f"data/{AVATARS_DIR}/{dest}")
    for file in site.static_files:
        plan.add_copy(
            file.dest, Path(file.source), f"content/{Path(file.source).relative_to(config.content_dir).as_posix()}"
        )


def plan_pages_output(
    plan: OutputPlan, renderer: Renderer, pages: list[HtmlPage], fingerprints: Fingerprints, last: LastPages
) -> Dependencies:
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
            folder = unquote(folder_of(term.path).removeprefix(config.site.base_path))  # "x.html": beside, in "x/"
            title = f"{config.site.title}: {term.name}"
            specs.append(FeedSpec(title, config.site.description, term.url, folder, term.posts[:limit], now))
    for spec in specs:
        posts = fingerprints.value(spec.posts)
        updated = spec.updated.isoformat() if not spec.posts else ""
        for fmt, name in FEED_FILES.items():
            fingerprint = quick_digest(
                fingerprints.site_inputs, fmt, spec.title, spec.description, spec.page_url, spec.folder, posts, updated
            )
            plan.add(
                spec.folder + name,
                f"feed of {spec.page_url}",
                fingerprint,
                functools.partial(render_feed, config, spec, fmt),
            )


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
            plan.add_bytes(
                post.episode.chapters_file, chapters_json(post.episode.chapters), f"content/{post.source} (chapters)"
            )


def sitemap_entries(pages: list[HtmlPage]) -> list[tuple[str, dt.datetime | None]]:
    """Absolute URL and last change of every page that belongs in the sitemap."""
    return [(page.info.url, page.lastmod) for page in pages if page.in_sitemap]


def _walk(
    folder: Path, inside: Path, label: str, allow: bool = False, where: str = "the site folder"
) -> list[tuple[str, Path]]:
    """The files to copy from `folder`; ContentError for symbolic links resolving outside `inside`."""
    found, links = walk_files(folder)
    refused = outside_links(folder, links, inside, label, allow, where)
    if refused:
        raise ContentError(refused)
    return [(rel, folder / rel) for rel in found]
