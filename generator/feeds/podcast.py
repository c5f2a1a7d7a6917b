"""A show's podcast feed: RSS 2.0 with Apple's iTunes tags and the Podcasting 2.0 namespace.

Built with feedgen; what feedgen lacks is written by the extensions of `podcast_ext`. The output
depends only on the config and the show, never on the time of the build.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from generator import __version__
from generator.config import Config
from generator.content.episodes import episode_guid, podcast_guid
from generator.feeds.blog import content_html, note_title
from generator.feeds.links import absolute_links
from generator.feeds.podcast_ext import (
    ChannelOrderExtension,
    ItunesChannel,
    ItunesEntryExtension,
    ItunesExtension,
    ItunesItem,
    PodcastChannel,
    PodcastIndexEntryExtension,
    PodcastIndexExtension,
    PodcastItem,
)
from generator.model import Episode, Post, Show

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

__all__ = ["episode_guid", "podcast_feed", "podcast_guid"]

TRANSCRIPT_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
}


def podcast_feed(config: Config, show: Show) -> bytes:
    """The RSS feed of one show, its episodes newest first."""
    episodes = sorted(show.episodes, key=_published, reverse=True)
    from feedgen.feed import FeedGenerator  # here: a build without podcasts never loads lxml

    fg = FeedGenerator()
    fg.register_extension("order", ChannelOrderExtension, None, atom=False)
    fg.register_extension("itunes", ItunesExtension, ItunesEntryExtension, atom=False)
    fg.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension, atom=False)

    fg.title(show.title)
    fg.description(show.description or show.title)
    fg.language(show.language or config.site.language)
    # feedgen takes the channel <link> from the last link set: the show's page goes last.
    fg.link(href=show.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=show.url, rel="alternate")
    if show.copyright:
        fg.copyright(show.copyright)
    fg.generator(f"Homepost {__version__}")
    dates = [post.last_modified for post in episodes if post.last_modified is not None]
    if dates:
        fg.lastBuildDate(max(dates))
    else:
        fg.order.undated = True
    fg.itunes.channel = ItunesChannel(
        author=show.author,
        owner_name=show.owner_name,
        owner_email=show.owner_email,
        image=show.artwork.url if show.artwork else "",
        categories=show.categories,
        explicit=show.explicit,
        type=show.type,
        new_feed_url=show.new_feed_url,
    )
    fg.podcastindex.channel = PodcastChannel(
        guid=show.guid or podcast_guid(show.feed_url),
        locked=show.locked,
        locked_owner=show.owner_email,
        funding=show.funding,
    )
    for post in episodes:
        _add_episode(fg, config, show, post)
    return fg.rss_str(pretty=True)


def _published(post: Post) -> dt.datetime:
    if post.date is None:
        raise ValueError(f"{post.source} is an episode without a date")
    return post.date


def _add_episode(fg: FeedGenerator, config: Config, show: Show, post: Post) -> None:
    episode = post.episode
    if episode is None:
        raise ValueError(f"{post.source} is listed in the show {show.key!r} but has no audio")
    entry = fg.add_entry(order="append")
    entry.title(post.title or note_title(config, post))
    entry.link(href=post.url)
    entry.guid(episode.guid, permalink=False)
    entry.pubDate(post.date)
    entry.description(absolute_links(post.summary_html, post.url) if post.summary_html else content_html(post))
    entry.content(content_html(post))
    entry.enclosure(episode.audio_url, episode.audio_length, episode.audio_type)
    image = episode.image or post.image
    entry.itunes.item = ItunesItem(
        duration=episode.duration,
        image=image.url if image else "",
        explicit=episode.explicit,
        episode=episode.number,
        season=episode.season,
        episode_type=episode.episode_type,
    )
    entry.podcastindex.item = PodcastItem(
        season=episode.season,
        episode=episode.number,
        transcripts=_transcripts(episode),
        chapters_url=episode.chapters_url or "",
        persons=episode.persons,
    )


def _transcripts(episode: Episode) -> tuple[tuple[str, str], ...]:
    """(url, type) of the episode's transcript; the type guessed from the file name when unset."""
    if not episode.transcript_url:
        return ()
    suffix = PurePosixPath(urlsplit(episode.transcript_url).path).suffix.lower()
    return ((episode.transcript_url, episode.transcript_type or TRANSCRIPT_TYPES.get(suffix, "text/plain")),)
