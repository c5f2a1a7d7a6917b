"""A read file becomes a Post: its Markdown rendered, its summary, words, reading time and fingerprint."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urljoin

from generator.config import Config
from generator.content.engine import MarkdownEngine
from generator.content.episodes import EPISODE_KEYS, read_episode
from generator.content.markdown import MarkdownTooDeep, Resolver, image_size
from generator.content.paths import folder_of, output_file
from generator.content.sources import SHOWN, Source
from generator.digest import quick_digest
from generator.errors import ContentError, Problem
from generator.model import PLACED, Cite, Image, Post
from generator.text import count_words, html_to_text, minutes_to_read, truncate

SUMMARY_LENGTH = 200


def render_post(config: Config, markdown: MarkdownEngine, source: Source, path: str, resolve: Resolver) -> Post:
    """The Post of a read file (front matter and body): its Markdown rendered, its summary, words and
    reading time, image, episode and fingerprint. `path` is its URL path; `resolve` turns the URLs it
    links to into published ones."""
    meta = source.meta
    assert meta is not None and source.body is not None
    try:
        rendered = markdown.render(source.body, doc_id=source.slug.replace("/", "-"), resolve=resolve)
    except MarkdownTooDeep as exc:
        raise ContentError(Problem(f"content/{source.rel}", str(exc))) from None
    text = html_to_text(rendered.html)
    if meta.summary:
        summary_html = f"<p>{markdown.render_inline(meta.summary, resolve)}</p>"
        summary_text = html_to_text(summary_html)
    else:
        summary_html = rendered.summary_html
        summary_text = truncate(html_to_text(summary_html), SUMMARY_LENGTH)
    words, cjk = count_words(text)
    image = None
    if meta.image is not None:
        link = resolve(meta.image.src)
        size = image_size(link.file)
        # A URL left relative (a missing file) is relative to the post's page, wherever the image is shown.
        image = Image(urljoin(path, link.url), urljoin(config.site.origin + path, link.url), meta.image.alt, *size)
    date = meta.date
    episode = read_episode(
        config,
        meta.extra,
        f"content/{source.rel}",
        source.rel,
        meta.lines.get,
        resolve,
        chapters_dest=folder_of(source.site_path).lstrip("/") + "chapters.json",
    )
    if episode is not None and image is not None:
        episode.image = image
    post = Post(
        source=source.rel,
        kind=source.kind,
        title=meta.title,
        slug=source.slug,
        date=date,
        updated=meta.updated,
        html=rendered.html,
        summary_html=summary_html,
        summary_text=summary_text,
        path=path,
        url=config.site.origin + path,
        dest=output_file(source.site_path),
        uid=meta.uid or _tag_uri(config.site.host, date, source.rel),
        lang=meta.lang,
        draft=meta.draft,
        aliases=meta.aliases,
        image=image,
        reading_time=minutes_to_read(words, cjk),
        word_count=words + cjk,
        taxonomy_names=meta.taxonomies,
        extra={k: v for k, v in meta.extra.items() if k not in EPISODE_KEYS},
        episode=episode,
        cites=tuple(Cite(kind, url) for kind, url in meta.cites),
        syndicate=meta.syndicate,
        syndication=meta.syndication,
        content_warning=meta.content_warning,
        menu=meta.menu,
        weight=meta.weight,
        bundle_dir=source.bundle_dir,
    )
    stamp(post)
    return post


def stamp(post: Post) -> None:
    """Set a post's digests: of where it shows (`place`) and of all that was read (`fingerprint`)."""
    post.place = quick_digest(*[getattr(post, name) for name in PLACED])
    post.fingerprint = quick_digest(post.place, *[getattr(post, name) for name in SHOWN])


def _tag_uri(host: str, date: dt.datetime | None, rel: str) -> str:
    """A tag: URI (RFC 4151) that survives changes of title and slug."""
    day = date.strftime("%Y-%m-%d") if date else "2000-01-01"
    return f"tag:{host},{day}:{quote(rel.removesuffix('.md'))}"
