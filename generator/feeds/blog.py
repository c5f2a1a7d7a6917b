"""RSS 2.0 and Atom 1.0 (feedgen) and JSON Feed 1.1 (json) for a list of posts.

A post with audio (an episode) carries it in each: an RSS <enclosure>, an Atom link
rel="enclosure" and a JSON Feed attachment. A note (no title) has none in RSS and JSON Feed,
as readers expect of short posts, unless it has no content either; Atom requires one always.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from feedgen.ext.base import BaseEntryExtension, BaseExtension

from generator import __version__
from generator.config import Config
from generator.content.paths import folder_of
from generator.feeds import FEED_FILES
from generator.feeds.links import absolute_links
from generator.model import Episode, Post
from generator.render import date_format, load_strings, theme_dir, translator
from generator.text import html_to_text, truncate

if TYPE_CHECKING:  # imported where a feed is made: a build that makes none never loads lxml
    from feedgen.feed import FeedGenerator
    from lxml import etree

NOTE_TITLE_LENGTH = 60


@dataclass(frozen=True)
class FeedSpec:
    """One feed: what it is called, the page it belongs to, where it is written, what it holds."""

    title: str
    description: str
    page_url: str  # absolute URL of the HTML page the feed mirrors; its feeds sit beside it
    folder: str  # output folder, relative, "" for the site root
    posts: list[Post]
    updated: dt.datetime  # when nothing is in the feed


def render_feed(config: Config, spec: FeedSpec, fmt: str) -> bytes:
    """One feed of `spec` in one format ("rss", "atom" or "json"), written at spec.folder + FEED_FILES[fmt].

    Its URL is the page's URL and the file name: byte for byte the page's rel=alternate link
    (percent-encoded, for a term in any script), as its self link must be.
    """
    makers = {"rss": _rss, "atom": _atom, "json": _json_feed}
    return makers[fmt](config, spec, folder_of(spec.page_url) + FEED_FILES[fmt])  # a page at NAME.html: in NAME/


def note_title(config: Config, post: Post) -> str:
    """A title for a post without one (Atom requires titles): its text's first words, or, when it
    has no text (empty, or only an image), "Note of <date>" in its language."""
    text = truncate(html_to_text(post.content_html), NOTE_TITLE_LENGTH)
    if text:
        return text
    lang = post.lang or config.site.language
    strings = theme_dir(config) / "strings.toml"
    changed = strings.stat().st_mtime_ns if strings.is_file() else 0  # `homepost serve` builds again after an edit
    return _translator(strings, changed, lang)("note_of", date=date_format(lang, post.date))


def content_html(post: Post) -> str:
    """A post's HTML for a feed: every link and image absolute, resolved against the post's URL."""
    return absolute_links(post.content_html, post.url)


def is_empty(post: Post) -> bool:
    """True for a post with no content at all (RSS and JSON Feed items then need a title)."""
    return not post.content_html.strip()


@functools.lru_cache(maxsize=16)
def _translator(strings: Path, changed: int, lang: str) -> Callable[..., str]:
    return translator(load_strings(strings), lang)


class AtomEnclosureExtension(BaseEntryExtension):
    """<link rel="enclosure" href length type> of an Atom entry, for a post with audio.

    feedgen 1.0's Atom entries drop a link's rel, type and length (an enclosure would come out
    as a plain alternate link), so the link is written here instead of through entry.link().
    """

    def __init__(self) -> None:
        self.episode: Episode | None = None

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        if self.episode is None:
            return entry
        episode = self.episode
        from lxml import etree

        link = etree.Element("link", rel="enclosure", href=episode.audio_url)
        link.set("type", episode.audio_type)
        link.set("length", str(episode.audio_length))
        links = entry.findall("link")
        if links:
            links[-1].addnext(link)
        else:
            entry.append(link)
        return entry


def _latest(spec: FeedSpec) -> dt.datetime:
    dates = [p.last_modified for p in spec.posts if p.last_modified is not None]
    return max(dates) if dates else spec.updated


def _base(config: Config, spec: FeedSpec) -> FeedGenerator:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.title(spec.title)
    fg.description(spec.description or spec.title)
    fg.language(config.site.language)
    fg.generator("Homepost", __version__)
    author = config.site.author
    if author.name:
        fg.author({k: v for k, v in (("name", author.name), ("email", author.email), ("uri", author.url)) if v})
    return fg


def _rss(config: Config, spec: FeedSpec, self_url: str) -> bytes:
    fg = _base(config, spec)
    # feedgen takes the channel <link> from the last link set: the page itself goes last.
    fg.link(href=self_url, rel="self", type="application/rss+xml")
    fg.link(href=spec.page_url, rel="alternate")
    fg.lastBuildDate(_latest(spec))
    for post in reversed(spec.posts):  # feedgen prepends entries
        entry = fg.add_entry()
        if post.title or is_empty(post):  # an item needs a title or a description
            entry.title(post.title or note_title(config, post))
        entry.link(href=post.url)
        entry.guid(post.uid, permalink=False)
        entry.pubDate(post.date)
        if not is_empty(post):
            entry.description(content_html(post))
        if post.episode is not None:
            entry.enclosure(post.episode.audio_url, post.episode.audio_length, post.episode.audio_type)
        for term in _categories(post):
            entry.category(term=term)
    return fg.rss_str(pretty=True)


def _atom(config: Config, spec: FeedSpec, self_url: str) -> bytes:
    fg = _base(config, spec)
    fg.register_extension("atom_enclosure", BaseExtension, AtomEnclosureExtension, atom=True, rss=False)
    fg.id(spec.page_url)
    fg.link(href=spec.page_url, rel="alternate", type="text/html")
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.updated(_latest(spec))
    if config.site.description:
        fg.subtitle(config.site.description)
    for post in reversed(spec.posts):
        entry = fg.add_entry()
        entry.id(post.uid)
        entry.title(post.title or note_title(config, post))
        entry.link(href=post.url, rel="alternate", type="text/html")
        entry.atom_enclosure.episode = post.episode
        entry.published(post.date)
        entry.updated(post.last_modified)
        entry.content(content_html(post), type="html")
        if post.summary_text:
            entry.summary(post.summary_text)
        for term in _categories(post):
            entry.category(term=term)
    return fg.atom_str(pretty=True)


def _json_feed(config: Config, spec: FeedSpec, self_url: str) -> bytes:
    author = config.site.author
    authors = (
        [{k: v for k, v in (("name", author.name), ("url", author.url or config.site.url)) if v}] if author.name else []
    )
    feed: dict = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": spec.title,
        "home_page_url": spec.page_url,
        "feed_url": self_url,
        "language": config.site.language,
    }
    if spec.description:
        feed["description"] = spec.description
    if authors:
        feed["authors"] = authors
    feed["items"] = [_json_item(config, post) for post in spec.posts]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_item(config: Config, post: Post) -> dict:
    item: dict = {"id": post.uid, "url": post.url}
    if post.title or is_empty(post):
        item["title"] = post.title or note_title(config, post)
    item["content_html"] = content_html(post)
    if post.summary_text:
        item["summary"] = post.summary_text
    if post.image is not None:
        item["image"] = post.image.url
    assert post.date is not None
    item["date_published"] = post.date.isoformat()
    if post.updated is not None:
        item["date_modified"] = post.updated.isoformat()
    tags = _categories(post)
    if tags:
        item["tags"] = tags
    if post.lang:
        item["language"] = post.lang
    if post.episode is not None:
        item["attachments"] = [_json_attachment(post.episode)]
    return item


def _json_attachment(episode: Episode) -> dict:
    attachment: dict = {"url": episode.audio_url, "mime_type": episode.audio_type}
    attachment["size_in_bytes"] = episode.audio_length
    if episode.duration is not None:
        attachment["duration_in_seconds"] = episode.duration
    return attachment


def _categories(post: Post) -> list[str]:
    return [term.name for key in ("tags", "categories") for term in post.terms.get(key, [])]
