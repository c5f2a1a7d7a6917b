"""feedgen extensions for podcast feeds: Apple's iTunes tags and the Podcasting 2.0 namespace.

feedgen 1.0 ships a 'podcast' extension, but it only knows explicit yes/no/clean (Apple now
wants true/false) and a category list from before 2019, and nothing of podcastindex.org's
namespace. These classes write the tags themselves. Each extension holds one frozen value
(`fg.itunes.channel = ItunesChannel(...)`, `entry.itunes.item = ItunesItem(...)`) and adds
its elements in `extend_rss`, after feedgen has written its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from feedgen.ext.base import BaseEntryExtension, BaseExtension

from generator.model import Person

if TYPE_CHECKING:
    from lxml import etree

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
CHAPTERS_TYPE = "application/json+chapters"


def _add(parent: etree._Element, ns: str, tag: str, text: str | None = None, /, **attrs: str) -> etree._Element:
    """Append <ns:tag attrs>text</ns:tag> to parent; attributes with empty values are left out.

    Positional-only parameters, so that an attribute may be called `text` (itunes:category).
    """
    from lxml import etree  # here: a build without podcasts never loads lxml

    element = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: v for k, v in attrs.items() if v})
    if text is not None:
        element.text = text
    return element


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _channel(rss: etree._Element) -> etree._Element:
    channel = rss.find("channel")
    assert channel is not None, "feedgen writes <channel> before calling extensions"
    return channel


# --- Apple (itunes:) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItunesChannel:
    """The show's tags in Apple's namespace."""

    author: str = ""
    owner_name: str = ""
    owner_email: str = ""
    image: str = ""  # absolute URL of the square artwork
    categories: tuple[tuple[str, str | None], ...] = ()  # Apple's spelling, (category, subcategory)
    explicit: bool = False
    type: str = "episodic"  # or serial
    new_feed_url: str = ""


@dataclass(frozen=True)
class ItunesItem:
    """One episode's tags in Apple's namespace."""

    duration: int | None = None  # whole seconds
    image: str = ""
    explicit: bool | None = None  # None: as the show says
    episode: int | None = None
    season: int | None = None
    episode_type: str = "full"  # full, trailer or bonus


class ItunesExtension(BaseExtension):
    """<itunes:*> tags of the channel."""

    def __init__(self) -> None:
        self.channel = ItunesChannel()

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES_NS}

    def extend_rss(self, rss: etree._Element) -> etree._Element:
        show, channel = self.channel, _channel(rss)
        if show.author:
            _add(channel, ITUNES_NS, "author", show.author)
        if show.owner_name or show.owner_email:
            owner = _add(channel, ITUNES_NS, "owner")
            if show.owner_name:
                _add(owner, ITUNES_NS, "name", show.owner_name)
            if show.owner_email:
                _add(owner, ITUNES_NS, "email", show.owner_email)
        if show.image:
            _add(channel, ITUNES_NS, "image", href=show.image)
        for name, subs in _grouped(show.categories):
            category = _add(channel, ITUNES_NS, "category", text=name)
            for sub in subs:
                _add(category, ITUNES_NS, "category", text=sub)
        _add(channel, ITUNES_NS, "explicit", _bool(show.explicit))
        _add(channel, ITUNES_NS, "type", show.type)
        if show.new_feed_url:
            _add(channel, ITUNES_NS, "new-feed-url", show.new_feed_url)
        return rss


def _grouped(categories: tuple[tuple[str, str | None], ...]) -> list[tuple[str, list[str]]]:
    """Subcategories gathered under their category, in the order first given."""
    groups: dict[str, list[str]] = {}
    for name, sub in categories:
        subs = groups.setdefault(name, [])
        if sub and sub not in subs:
            subs.append(sub)
    return list(groups.items())


class ItunesEntryExtension(BaseEntryExtension):
    """<itunes:*> tags of an item."""

    def __init__(self) -> None:
        self.item = ItunesItem()

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        episode = self.item
        if episode.duration is not None:
            _add(entry, ITUNES_NS, "duration", str(int(episode.duration)))
        if episode.image:
            _add(entry, ITUNES_NS, "image", href=episode.image)
        if episode.explicit is not None:
            _add(entry, ITUNES_NS, "explicit", _bool(episode.explicit))
        if episode.episode is not None:
            _add(entry, ITUNES_NS, "episode", str(episode.episode))
        if episode.season is not None:
            _add(entry, ITUNES_NS, "season", str(episode.season))
        if episode.episode_type:
            _add(entry, ITUNES_NS, "episodeType", episode.episode_type)
        return entry


# --- Podcasting 2.0 (podcast:) -----------------------------------------------------------------


@dataclass(frozen=True)
class PodcastChannel:
    """The show's tags in the podcastindex.org namespace 1.0."""

    guid: str = ""
    locked: bool | None = None
    locked_owner: str = ""  # email that may prove ownership when the feed moves
    funding: tuple[tuple[str, str], ...] = ()  # (url, text)


@dataclass(frozen=True)
class PodcastItem:
    """One episode's tags in the podcastindex.org namespace 1.0."""

    season: int | None = None
    episode: int | None = None
    transcripts: tuple[tuple[str, str], ...] = ()  # (url, MIME type)
    chapters_url: str = ""
    persons: tuple[Person, ...] = ()


class PodcastIndexExtension(BaseExtension):
    """<podcast:*> tags of the channel."""

    def __init__(self) -> None:
        self.channel = PodcastChannel()

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss: etree._Element) -> etree._Element:
        show, channel = self.channel, _channel(rss)
        if show.guid:
            _add(channel, PODCAST_NS, "guid", show.guid)
        if show.locked is not None:
            _add(channel, PODCAST_NS, "locked", "yes" if show.locked else "no", owner=show.locked_owner)
        for url, text in show.funding:
            _add(channel, PODCAST_NS, "funding", text, url=url)
        return rss


class PodcastIndexEntryExtension(BaseEntryExtension):
    """<podcast:*> tags of an item."""

    def __init__(self) -> None:
        self.item = PodcastItem()

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        episode = self.item
        if episode.season is not None:
            _add(entry, PODCAST_NS, "season", str(episode.season))
        if episode.episode is not None:
            _add(entry, PODCAST_NS, "episode", str(episode.episode))
        for url, mime in episode.transcripts:
            _add(entry, PODCAST_NS, "transcript", url=url, type=mime)
        if episode.chapters_url:
            _add(entry, PODCAST_NS, "chapters", url=episode.chapters_url, type=CHAPTERS_TYPE)
        for person in episode.persons:
            attrs = {"role": person.role, "group": person.group, "href": person.href, "img": person.img}
            _add(entry, PODCAST_NS, "person", person.name, **attrs)
        return entry


# --- what feedgen's channel gets wrong for podcasts ---------------------------------------------


class ChannelOrderExtension(BaseExtension):
    """Puts atom:link rel=self first in the channel, where validators look for it; with
    `undated`, drops the lastBuildDate feedgen fills with the current time (output must not
    depend on when it is built)."""

    def __init__(self) -> None:
        self.undated = False

    def extend_rss(self, rss: etree._Element) -> etree._Element:
        channel = _channel(rss)
        for link in channel.findall(f"{{{ATOM_NS}}}link"):
            if link.get("rel") == "self":
                channel.insert(0, link)
                break
        if self.undated:
            for element in channel.findall("lastBuildDate"):
                channel.remove(element)
        return rss
