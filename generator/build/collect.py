"""Group what was read into the site: taxonomies and their terms, yearly archives."""

from __future__ import annotations

import logging
from itertools import groupby
from urllib.parse import quote

from generator.config import Config
from generator.content.reader import Content
from generator.feeds import FEED_FILES
from generator.model import Post, Site, Taxonomy, Term
from generator.text import slugify

log = logging.getLogger(__name__)


def collect_site(config: Config, content: Content) -> Site:
    """Assemble the site from its content: taxonomies, terms and archives."""
    taxonomies = [_taxonomy(config, settings.key, settings.title, settings.path, settings.feeds, content.posts)
                  for settings in config.taxonomies]  # fmt: skip
    years = [(year, list(posts)) for year, posts in groupby(content.posts, key=lambda p: _year(p))]
    return Site(
        posts=content.posts,
        pages=content.pages,
        taxonomies=taxonomies,
        static_files=content.static_files,
        years=years,
    )


def _year(post: Post) -> int:
    assert post.date is not None  # every post has a date
    return post.date.year


def _taxonomy(config: Config, key: str, title: str, path: str, feeds: bool, posts: list[Post]) -> Taxonomy:
    taxonomy = Taxonomy(key=key, title=title, path=config.path_url(f"{path}/"), url=config.abs_url(f"{path}/"), feeds=feeds)
    terms: dict[str, Term] = {}
    for post in posts:
        post_terms: list[Term] = []
        seen: set[str] = set()
        for name in post.taxonomy_names.get(key, ()):
            slug = slugify(name, config.build.transliterate)
            if not slug:
                log.warning("content/%s: %s %r has no letters or digits to make a URL of; ignored", post.source, key, name)
                continue
            if slug in seen:
                continue
            seen.add(slug)
            term = terms.get(slug)
            if term is None:
                term_path = quote(f"{path}/{slug}/")
                term = terms[slug] = Term(
                    taxonomy=key,
                    name=name,
                    slug=slug,
                    path=config.path_url(term_path),
                    url=config.abs_url(term_path),
                    feeds={fmt: config.path_url(term_path + file) for fmt, file in FEED_FILES.items()} if feeds else {},
                )
            term.posts.append(post)
            post_terms.append(term)
        post.terms[key] = post_terms
    taxonomy.terms = sorted(terms.values(), key=lambda t: (t.name.casefold(), t.slug))
    return taxonomy

