"""Plan every HTML page of the site: which template, which context, which output file."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from generator.config import Config
from generator.content.paths import folder_of, output_file
from generator.model import Paginator, Post, Site, Term
from generator.pipeline.redirects import ALIAS_LIST
from generator.pipeline.related import RelatedPosts, related_posts
from generator.render import PageInfo


@dataclass
class HtmlPage:
    """One HTML file to render: its template, head information and template context."""

    dest: str  # output path, relative to the output folder
    template: str
    info: PageInfo
    origin: str  # what asked for this page, for error messages
    context: dict[str, Any] = field(default_factory=dict)
    in_sitemap: bool = True
    lastmod: Any = None


@dataclass(frozen=True)
class SeriesInfo:
    """A post's place in its series."""

    term: Term
    posts: list[Post]  # oldest first
    index: int  # 1-based


def plan_pages(config: Config, site: Site, gone: tuple[str, ...] = ()) -> list[HtmlPage]:
    """Every HTML page of the site, in a stable order."""
    pages: list[HtmlPage] = []
    pages += _paginated(config, "", "index.html", "home", site.posts, "home page", title=None)
    related = related_posts(site.posts)
    pages += [_post_page(config, site, index, related.of(post)) for index, post in enumerate(site.posts)]
    pages += [_page(config, page) for page in site.pages]
    for taxonomy in site.taxonomies:
        rel = taxonomy.path.removeprefix(config.site.base_path)
        info = PageInfo("taxonomy", taxonomy.path, taxonomy.url, title=taxonomy.title)
        pages.append(
            HtmlPage(output_file(rel), "taxonomy.html", info, f"taxonomy {taxonomy.key}", {"taxonomy": taxonomy})
        )
        for term in taxonomy.terms:
            term_rel = term.path.removeprefix(config.site.base_path)
            feeds = {fmt: config.site.origin + path for fmt, path in term.feeds.items()}
            pages += _paginated(
                config,
                term_rel,
                "term.html",
                "term",
                term.posts,
                f"{taxonomy.key} {term.name!r}",
                title=term.name,
                feeds=feeds,
                taxonomy=taxonomy,
                term=term,
            )
    pages.append(
        HtmlPage(
            "archive/index.html",
            "archive.html",
            _info(config, "archive", "archive/", "Archive"),
            "archive",
            {"years": site.years},
        )
    )
    for year, posts in site.years:
        pages.append(
            HtmlPage(
                f"{year}/index.html",
                "year.html",
                _info(config, "year", f"{year}/", str(year)),
                f"archive {year}",
                {"year": year, "posts": posts},
            )
        )
    for show in site.shows:
        info = PageInfo(
            "show",
            show.path,
            show.url,
            title=show.title,
            description=show.description,
            image=show.artwork,
            lang=show.language if show.language != config.site.language else None,
            feeds={"rss": show.feed_url},
        )
        pages.append(
            HtmlPage(
                output_file(f"podcasts/{show.key}/"),
                "show.html",
                info,
                f"podcast {show.key}",
                {"show": show},
                lastmod=show.episodes[0].date if show.episodes else None,
            )
        )
    pages.append(
        HtmlPage(
            "search/index.html",
            "search.html",
            _info(config, "search", "search/", None),
            "search page",
            in_sitemap=False,
        )
    )
    pages.append(
        HtmlPage("404.html", "404.html", _info(config, "404", "404.html", "404"), "404 page", in_sitemap=False)
    )
    if config.newsletter.enabled:
        pages.append(
            HtmlPage(
                "subscribe/index.html",
                "subscribe.html",
                _info(config, "subscribe", "subscribe/", "Subscribe"),
                "[newsletter] enabled",
            )
        )
    for post in site.pages + site.posts:
        pages += [_alias_page(config, alias, post, f"content/{post.source} (aliases)") for alias in post.aliases]
    pages += [_alias_page(config, old, post, f"data/{ALIAS_LIST} ({old})") for old, post in site.redirects]
    taken = {page.dest for page in pages}
    for rel in gone:  # deleted posts (site paths): a tombstone the host serves with 410 Gone
        if output_file(rel) not in taken:
            pages.append(
                HtmlPage(
                    output_file(rel),
                    "gone.html",
                    _info(config, "gone", rel, None),
                    "a post published before, now deleted",
                    in_sitemap=False,
                )
            )
    return pages


def _alias_page(config: Config, alias: str, post: Post, origin: str) -> HtmlPage:
    """A redirect page at an old site path to `post`."""
    info = _info(config, "alias", quote(alias.lstrip("/")), None)
    return HtmlPage(output_file(alias), "alias.html", info, origin, {"target": post.url}, in_sitemap=False)


def _info(config: Config, kind: str, rel: str, title: str | None, **extra: Any) -> PageInfo:
    return PageInfo(
        kind, config.path_url(rel), config.abs_url(rel), title=title, description=config.site.description, **extra
    )


def _paginated(
    config: Config,
    rel: str,
    template: str,
    kind: str,
    posts: list[Post],
    origin: str,
    title: str | None,
    feeds: dict[str, str] | None = None,
    **context: Any,
) -> list[HtmlPage]:
    per_page = config.build.posts_per_page
    count = max(1, -(-len(posts) // per_page))
    result = []
    for number in range(1, count + 1):
        paginator = Paginator(number, count, config.path_url(rel), _later_pages(config, rel))
        page_rel = paginator.path.removeprefix(config.site.base_path)
        info = _info(config, kind, page_rel, title, feeds=feeds or {})
        chunk = posts[(number - 1) * per_page : number * per_page]
        result.append(
            HtmlPage(output_file(page_rel), template, info, origin, {"posts": chunk, "paginator": paginator, **context})
        )
    return result


def _later_pages(config: Config, rel: str) -> str:
    """Where the pages after the first of the list at `rel` go: `[build] pagination_path` under its folder."""
    folder = folder_of(config.path_url(rel))
    return folder + config.build.pagination_path.lstrip("/")


def _post_page(config: Config, site: Site, index: int, related: RelatedPosts) -> HtmlPage:
    post = site.posts[index]
    newer = site.posts[index - 1] if index > 0 else None
    older = site.posts[index + 1] if index + 1 < len(site.posts) else None
    series = None
    for term in post.terms.get("series", [])[:1]:
        ordered = list(reversed(term.posts))
        series = SeriesInfo(
            term, ordered, next(n for n, p in enumerate(ordered, 1) if p is post)
        )  # not ==: every field
    return HtmlPage(
        post.dest,
        "post.html",
        _own_info(post),
        f"content/{post.source}",
        {"post": post, "newer": newer, "older": older, "series": series, "related": related},
        lastmod=post.last_modified,
    )


def _page(config: Config, page: Post) -> HtmlPage:
    return HtmlPage(
        page.dest, "page.html", _own_info(page), f"content/{page.source}", {"post": page}, lastmod=page.last_modified
    )


def _own_info(post: Post) -> PageInfo:
    """The head information of a post's or a page's own page."""
    if post.kind == "post":
        return PageInfo(
            "post",
            post.path,
            post.url,
            title=post.title,
            description=post.summary_text,
            type="article",
            image=post.image,
            lang=post.lang,
        )
    return PageInfo(
        "page", post.path, post.url, title=post.title, description=post.summary_text, image=post.image, lang=post.lang
    )


def own_page_with(page: HtmlPage, post: Post) -> HtmlPage:
    """A post's (or a page's) own `page` showing `post` instead: an edited copy with the same place in the site."""
    old = page.context["post"]
    context = {**page.context, "post": post}
    series = context.get("series")
    if series is not None:
        context["series"] = replace(series, posts=[post if p is old else p for p in series.posts])
    return replace(page, info=_own_info(post), context=context, lastmod=post.last_modified)
