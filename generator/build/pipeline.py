"""The build orchestrator: every stage is one visible call, in order, on typed objects."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote

from generator.build.collect import collect_site
from generator.build.pages import HtmlPage, plan_pages
from generator.build.writer import OutputPlan, check_output_dir, write_output
from generator.config import Config, load_config
from generator.content.markdown import highlight_css
from generator.content.reader import ReadOptions, read_content
from generator.errors import BuildError, HomepostError, Problem
from generator.feeds.blog import FeedSpec, render_feeds
from generator.feeds.sitemap import robots_txt, sitemap_xml
from generator.model import Site
from generator.render import Renderer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildOptions:
    """What the user asked for on the command line."""

    output: Path | None = None  # default: [build] output under the site folder
    drafts: bool = False
    future: bool = False
    base_url: str | None = None  # serve the site from another URL (the dev server)
    now: dt.datetime | None = None  # the moment that decides which scheduled posts are out


@dataclass(frozen=True)
class BuildResult:
    """What a build did, for the CLI to report."""

    output: Path
    posts: int
    pages: int
    files: int
    seconds: float


def build_site(site_dir: Path, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Build the site in `site_dir`; on any error the previous output is left untouched."""
    started = time.perf_counter()
    config = load_config(site_dir)
    if options.base_url:
        config = config.with_url(options.base_url)
    output = options.output or config.root / config.build.output
    check_output_dir(output, config.root)
    now = options.now or dt.datetime.now(tz=config.site.tz)

    content = read_content(config, ReadOptions(now=now, drafts=options.drafts, future=options.future))
    log.info("read %d posts, %d pages and %d other files", len(content.posts), len(content.pages), len(content.static_files))
    site = collect_site(config, content)
    renderer = Renderer(config, site)
    pages = plan_pages(config, site)

    plan = OutputPlan()
    plan_static_files(plan, config, renderer, site)
    for page in pages:
        plan.claim(page.dest, page.origin)
    plan_feeds(plan, config, site, now)
    plan.add_bytes("sitemap.xml", sitemap_xml(sitemap_entries(config, pages)), "sitemap")
    plan.add_bytes("robots.txt", robots_txt(config.abs_url("sitemap.xml")), "robots.txt")
    if plan.problems:
        raise BuildError(plan.problems)
    render_pages(plan, renderer, pages)
    log.info("rendered %d pages with theme %s", len(pages), renderer.theme)

    write_output(output, plan)
    return BuildResult(output, len(site.posts), len(site.pages), len(plan), time.perf_counter() - started)


def plan_static_files(plan: OutputPlan, config: Config, renderer: Renderer, site: Site) -> None:
    """Theme assets, then the site's static/ over them, then the files that live beside content."""
    for dest, source in _walk(renderer.theme / "static"):
        plan.add_copy(dest, source, f"theme {config.build.theme}", weak=True)
    style = config.build
    css = highlight_css(style.highlight_style, style.highlight_style_dark).encode()
    plan.add_bytes("assets/pygments.css", css, f"theme {config.build.theme}", weak=True)
    for dest, source in _walk(config.root / "static"):
        plan.add_copy(dest, source, f"static/{dest}")
    for file in site.static_files:
        plan.add_copy(file.dest, Path(file.source), f"content/{Path(file.source).relative_to(config.content_dir).as_posix()}")


def plan_feeds(plan: OutputPlan, config: Config, site: Site, now: dt.datetime) -> None:
    """The site's feeds, and one set per term of every taxonomy that wants them."""
    limit = config.build.feed_items
    specs = [FeedSpec(config.site.title, config.site.description, config.site.url, "", site.posts[:limit], now)]
    for taxonomy in site.taxonomies:
        if not taxonomy.feeds:
            continue
        for term in taxonomy.terms:
            folder = term.path.removeprefix(config.site.base_path)
            title = f"{config.site.title}: {term.name}"
            specs.append(FeedSpec(title, config.site.description, term.url, unquote(folder), term.posts[:limit], now))
    for spec in specs:
        for dest, data in render_feeds(config, spec).items():
            plan.add_bytes(dest, data, f"feed of {spec.page_url}")


def render_pages(plan: OutputPlan, renderer: Renderer, pages: list[HtmlPage]) -> None:
    """Render every page, reporting each distinct template problem once with the pages it hit."""
    failures: dict[Problem, list[str]] = {}
    for page in pages:
        try:
            html = renderer.render(page.template, page.info, **page.context)
        except HomepostError as exc:
            for problem in exc.problems:
                failures.setdefault(problem, []).append(page.info.path)
            continue
        plan.contents[page.dest] = html.encode("utf-8")
    if failures:
        problems = []
        for problem, paths in failures.items():
            more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
            problems.append(replace(problem, message=f"{problem.message} (rendering {paths[0]}{more})"))
        raise BuildError(problems)


def sitemap_entries(config: Config, pages: list[HtmlPage]) -> list[tuple[str, dt.datetime | None]]:
    """Absolute URL and last change of every page that belongs in the sitemap."""
    return [(page.info.url, page.lastmod) for page in pages if page.in_sitemap]


def _walk(folder: Path) -> list[tuple[str, Path]]:
    if not folder.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                path = Path(dirpath) / name
                found.append((path.relative_to(folder).as_posix(), path))
    return found


