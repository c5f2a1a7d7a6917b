"""Group what was read into the site: taxonomies and their terms, yearly archives, podcast shows."""

from __future__ import annotations

import logging
from itertools import groupby
from pathlib import Path
from urllib.parse import quote, unquote

from generator.config import Config, PodcastSettings
from generator.content.episodes import show_feed_path, show_guid
from generator.content.markdown import image_size
from generator.content.paths import folder_of
from generator.content.reader import Content
from generator.feeds import FEED_FILES
from generator.model import Image, Post, Show, Site, Taxonomy, Term
from generator.pipeline.redirects import alias_list
from generator.podcast_categories import parse_category
from generator.text import slugify

log = logging.getLogger(__name__)


def collect_site(config: Config, content: Content) -> Site:
    """Assemble the site from its content: taxonomies, terms and archives."""
    taxonomies = [
        _taxonomy(config, settings.key, settings.title, settings.path, settings.feeds, content.posts)
        for settings in config.taxonomies
    ]
    years = [(year, list(posts)) for year, posts in groupby(content.posts, key=lambda p: _year(p))]
    return Site(
        posts=content.posts,
        pages=content.pages,
        taxonomies=taxonomies,
        static_files=content.static_files,
        years=years,
        shows=[_show(config, settings, content.posts) for settings in config.podcasts],
        redirects=alias_list(config, content.posts + content.pages),
    )


def _show(config: Config, settings: PodcastSettings, posts: list[Post]) -> Show:
    """A show with its episodes, newest first; Apple's rules are checked separately."""
    author = config.site.author
    categories = []
    for text in settings.categories:
        try:
            categories.append(parse_category(text))
        except ValueError:
            categories.append((text, None))  # reported by the checks before publishing
    return Show(
        key=settings.key,
        title=settings.title,
        description=settings.description,
        author=settings.author or author.name,
        owner_name=settings.owner_name or settings.author or author.name,
        owner_email=settings.owner_email,
        language=settings.language or config.site.language,
        artwork=_artwork(config, settings.artwork, settings.title),
        categories=tuple(categories),
        explicit=bool(settings.explicit),
        type=settings.type,
        funding=settings.funding,
        locked=settings.locked,
        copyright=settings.copyright,
        new_feed_url=settings.new_feed_url,
        guid=show_guid(config, settings.key),
        feed_url=config.abs_url(show_feed_path(settings.key)),
        feed_path=show_feed_path(settings.key),
        path=config.path_url(f"podcasts/{settings.key}/"),
        url=config.abs_url(f"podcasts/{settings.key}/"),
        episodes=[p for p in posts if p.episode is not None and p.episode.show == settings.key],
    )


def artwork_file(config: Config, artwork: str) -> Path | None:
    """The local file of a show's artwork (a path under the site: in content/ or static/), if any."""
    if not artwork or "://" in artwork:
        return None
    for folder in (config.content_dir, config.root / "static"):
        candidate = folder / unquote(artwork.lstrip("/"))
        if candidate.is_file():
            return candidate
    return None


def _artwork(config: Config, artwork: str, title: str) -> Image | None:
    if not artwork:
        return None
    if "://" in artwork:
        return Image(artwork, artwork, title)
    file = artwork_file(config, artwork)
    return Image(config.path_url(artwork), config.abs_url(artwork), title, *image_size(file))


def _year(post: Post) -> int:
    assert post.date is not None  # every post has a date
    return post.date.year


def taxonomy_paths(path: str) -> tuple[str, str]:
    """The site path (no leading '/') of a taxonomy's index and the pattern of its terms' pages, from its `path`:
    "tags" -> ("tags/", "tags/{term}/"); "/tags/{term}.html" -> ("tags/", "tags/{term}.html")."""
    if "{term}" not in path:
        return f"{path}/", f"{path}/{{term}}/"
    pattern = path.lstrip("/")
    return pattern.split("{term}")[0].rsplit("/", 1)[0] + "/", pattern


def _taxonomy(config: Config, key: str, title: str, path: str, feeds: bool, posts: list[Post]) -> Taxonomy:
    index, term_pattern = taxonomy_paths(path)
    taxonomy = Taxonomy(key=key, title=title, path=config.path_url(index), url=config.abs_url(index), feeds=feeds)
    terms: dict[str, Term] = {}
    slugs: dict[str, str] = {}  # name -> slug: a site has far fewer names than posts
    for post in posts:
        names = post.taxonomy_names.get(key)
        if not names:  # most posts, for most taxonomies
            post.terms[key] = []
            continue
        post_terms: list[Term] = []
        seen: set[str] = set()
        for name in names:
            slug = slugs.get(name)
            if slug is None:
                slug = slugs[name] = slugify(name, config.build.transliterate)
            if not slug:
                log.warning(
                    "content/%s: %s %r has no letters or digits to make a URL of; ignored", post.source, key, name
                )
                continue
            if slug in seen:
                continue
            seen.add(slug)
            term = terms.get(slug)
            if term is None:
                term_path = quote(term_pattern.replace("{term}", slug))
                feed_folder = folder_of(term_path)
                term = terms[slug] = Term(
                    taxonomy=key,
                    name=name,
                    slug=slug,
                    path=config.path_url(term_path),
                    url=config.abs_url(term_path),
                    feeds={fmt: config.path_url(feed_folder + file) for fmt, file in FEED_FILES.items()}
                    if feeds
                    else {},
                )
            term.posts.append(post)
            post_terms.append(term)
        post.terms[key] = post_terms
    taxonomy.terms = sorted(terms.values(), key=lambda t: (t.name.casefold(), t.slug))
    return taxonomy
