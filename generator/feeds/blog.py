"""RSS 2.0 and Atom 1.0 (feedgen) and JSON Feed 1.1 (json) for a list of posts.

A post with audio (an episode) carries it in each: an RSS <enclosure>, an Atom link
rel="enclosure" and a JSON Feed attachment.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from feedgen.ext.base import BaseEntryExtension, BaseExtension

from generator import __version__
from generator.config import Config
from generator.feeds import FEED_FILES
from generator.model import Episode, Post
from generator.text import html_to_text, truncate

if TYPE_CHECKING:  # imported where a feed is made: a build that makes none never loads lxml
    from feedgen.feed import FeedGenerator
    from lxml import etree

NOTE_TITLE_LENGTH = 60
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src|poster|cite)=["\'])/(?!/)')


@dataclass(frozen=True)
class FeedSpec:
    """One feed: what it is called, the page it belongs to, where it is written, what it holds."""

    title: str
    description: str
    page_url: str  # absolute URL of the HTML page the feed mirrors
    folder: str  # output folder, relative, "" for the site root
    posts: list[Post]
    updated: dt.datetime  # when nothing is in the feed


def render_feed(config: Config, spec: FeedSpec, fmt: str) -> bytes:
    """One feed of `spec` in one format ("rss", "atom" or "json"), written at spec.folder + FEED_FILES[fmt]."""
    makers = {"rss": _rss, "atom": _atom, "json": _json_feed}
    return makers[fmt](config, spec, config.abs_url(spec.folder + FEED_FILES[fmt]))


@functools.lru_cache(maxsize=8192)  # a post is in several feeds (site, each of its terms, 3 formats)
def absolutize(html: str, origin: str) -> str:
    """Make root-relative links and images absolute, as feed readers need."""
    return _ROOT_RELATIVE.sub(lambda m: f"{m.group(1)}{origin}/", html)


def note_title(post: Post) -> str:
    """A title for a post without one, from its text (for Atom, which requires titles)."""
    text = truncate(html_to_text(post.content_html), NOTE_TITLE_LENGTH)
    return text or (post.date.strftime("%Y-%m-%d %H:%M") if post.date else post.slug)


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
        if post.title:
            entry.title(post.title)
        entry.link(href=post.url)
        entry.guid(post.uid, permalink=False)
        entry.pubDate(post.date)
        entry.description(absolutize(post.content_html, config.site.origin))
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
        entry.title(post.title or note_title(post))
        entry.link(href=post.url, rel="alternate", type="text/html")
        entry.atom_enclosure.episode = post.episode
        entry.published(post.date)
        entry.updated(post.last_modified)
        entry.content(absolutize(post.content_html, config.site.origin), type="html")
        if post.summary_text:
            entry.summary(post.summary_text)
        for term in _categories(post):
            entry.category(term=term)
    return fg.atom_str(pretty=True)


def _json_feed(config: Config, spec: FeedSpec, self_url: str) -> bytes:
    author = config.site.author
    authors = [{k: v for k, v in (("name", author.name), ("url", author.url or config.site.url)) if v}] if author.name else []
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
    if post.title:
        item["title"] = post.title
    item["content_html"] = absolutize(post.content_html, config.site.origin)
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
