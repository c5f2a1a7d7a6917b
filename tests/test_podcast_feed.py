"""The podcast feed, the enclosures of the site's own feeds and Apple's categories, read back as
podcast apps and feed readers read them (lxml with namespaces, feedparser). No network."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import json
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from lxml import etree

from generator.config import Config, parse_config
from generator.feeds.blog import FeedSpec, render_feed
from generator.feeds.podcast import episode_guid, podcast_feed, podcast_guid
from generator.model import Episode, Image, Person, Post, Show
from generator.podcast_categories import APPLE_CATEGORIES, parse_category

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
FEED_URL = "https://example.org/podcasts/talk/feed.xml"
AUDIO = "https://example.org/audio/first.mp3"
ENCLOSURE = {"url": AUDIO, "length": "4812345", "type": "audio/mpeg"}
SHOW_GUID = str(uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), "example.org/podcasts/talk/feed.xml"))
BERLIN = ZoneInfo("Europe/Berlin")

SITE = """\
[site]
title = "Test Site"
url = "https://example.org/"
language = "en"
timezone = "Europe/Berlin"
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return parse_config(SITE, tmp_path)


def make_episode(name: str, **changes: object) -> Episode:
    episode = Episode(
        show="talk",
        guid=episode_guid(SHOW_GUID, name),
        audio_url=f"https://example.org/audio/{name}.mp3",
        audio_src=f"/audio/{name}.mp3",
        audio_length=4_812_345,
        audio_type="audio/mpeg",
        duration=1805,
    )
    return dataclasses.replace(episode, **changes)


def make_post(
    slug: str, date: dt.datetime, episode: Episode | None, title: str | None = "An episode", **changes: object
) -> Post:
    url = f"https://example.org/{date:%Y/%m}/{slug}/"
    post = Post(
        source=f"posts/{slug}.md",
        kind="post",
        title=title,
        slug=slug,
        date=date,
        updated=None,
        html=f'<p>Notes of {slug}, <a href="/about/">a link</a>, <img src="/images/{slug}.png" alt=""></p>',
        summary_html=f"<p>Summary of {slug}.</p>",
        summary_text=f"Summary of {slug}.",
        path=url.removeprefix("https://example.org"),
        url=url,
        dest=f"{date:%Y/%m}/{slug}/index.html",
        uid=f"tag:example.org,{date:%Y-%m-%d}:posts/{slug}",
        episode=episode,
    )
    return dataclasses.replace(post, **changes)


def make_show(episodes: list[Post], **changes: object) -> Show:
    show = Show(
        key="talk",
        title="Talk & Tea",
        description="Conversations about the web, over tea.",
        author="Ada Writer",
        owner_name="Ada Writer",
        owner_email="ada@example.org",
        language="en-GB",
        artwork=Image(src="/podcasts/talk/cover.jpg", url="https://example.org/podcasts/talk/cover.jpg"),
        categories=(("Society & Culture", "Documentary"), ("Technology", None), ("Society & Culture", "Philosophy")),
        explicit=False,
        type="episodic",
        funding=(("https://example.org/support/", "Support the show"),),
        locked=True,
        copyright="© 2026 Ada Writer",
        new_feed_url="",
        guid=SHOW_GUID,
        feed_url=FEED_URL,
        feed_path="podcasts/talk/feed.xml",
        path="/podcasts/talk/",
        url="https://example.org/podcasts/talk/",
        episodes=episodes,
    )
    return dataclasses.replace(show, **changes)


FIRST = make_episode(
    "first",
    number=1,
    season=1,
    explicit=True,
    image=Image(src="/audio/first.jpg", url="https://example.org/audio/first.jpg"),
    transcript_url="https://example.org/audio/first.vtt",
    transcript_type="text/vtt",
    chapters_url="https://example.org/audio/first.chapters.json",
    persons=(
        Person("Ada Writer", href="https://example.org/", img="https://example.org/images/ada.png"),
        Person("Grace Guest", role="guest", group="cast", href="https://grace.example/"),
    ),
)
SECOND = make_episode(
    "second",
    number=2,
    season=1,
    duration=61,
    episode_type="bonus",
    transcript_url="https://example.org/audio/second.srt",  # no type: the feed knows it from the name
)
NOTE = make_episode("note", duration=None)


def episodes() -> list[Post]:
    """Three episodes, out of order: the feed must put them newest first."""
    return [
        make_post("first", dt.datetime(2026, 1, 10, 9, 30, tzinfo=BERLIN), FIRST),
        make_post(
            "second",
            dt.datetime(2026, 7, 2, 18, 0, tzinfo=BERLIN),
            SECOND,
            title="Second: tea & talk",
            image=Image(src="/images/second.png", url="https://example.org/images/second.png"),
        ),
        make_post(
            "note",
            dt.datetime(2026, 3, 1, 8, 0, tzinfo=ZoneInfo("America/New_York")),
            NOTE,
            title=None,
            html="<p>A short audio note about feeds.</p>",
            summary_html="",
        ),
    ]


def posts_by_slug() -> dict[str, Post]:
    return {post.slug: post for post in episodes()}


def parse(feed: bytes) -> etree._Element:
    root = etree.fromstring(feed)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.find("channel")


def item_of(channel: etree._Element, guid: str) -> etree._Element:
    [item] = [i for i in channel.findall("item") if i.findtext("guid") == guid]
    return item


# --- podcast:guid and episode guids --------------------------------------------------------------


def test_podcast_guid_matches_the_namespace_examples() -> None:
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


def test_podcast_guid_ignores_scheme_and_trailing_slash() -> None:
    expected = str(uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), "example.org/podcasts/talk"))
    assert podcast_guid("https://example.org/podcasts/talk/") == expected
    assert podcast_guid("http://example.org/podcasts/talk") == expected
    assert podcast_guid(FEED_URL) == SHOW_GUID


def test_episode_guid_is_a_uuid5_in_the_show_namespace() -> None:
    guid = episode_guid(SHOW_GUID, "posts/first.md")
    assert guid == str(uuid.uuid5(uuid.UUID(SHOW_GUID), "posts/first.md"))
    assert uuid.UUID(guid).version == 5
    assert episode_guid(SHOW_GUID, "posts/first.md") == guid
    assert episode_guid(SHOW_GUID, "posts/second.md") != guid
    assert episode_guid(podcast_guid("https://other.example/feed.xml"), "posts/first.md") != guid


# --- the channel ---------------------------------------------------------------------------------


def test_channel_has_the_tags_apple_requires(config: Config) -> None:
    channel = parse(podcast_feed(config, make_show(episodes())))
    first = channel[0]
    assert first.tag == f"{{{NS['atom']}}}link", "atom:link rel=self comes first"
    assert (first.get("rel"), first.get("href"), first.get("type")) == ("self", FEED_URL, "application/rss+xml")
    assert len(channel.findall("atom:link", NS)) == 1
    assert channel.findtext("title") == "Talk & Tea"
    assert channel.findtext("link") == "https://example.org/podcasts/talk/"
    assert channel.findtext("description") == "Conversations about the web, over tea."
    assert channel.findtext("language") == "en-GB"
    assert channel.findtext("copyright") == "© 2026 Ada Writer"
    assert channel.findtext("generator").startswith("Homepost ")
    # the newest episode's date, in its own offset: never the time of the build
    assert channel.findtext("lastBuildDate") == "Thu, 02 Jul 2026 18:00:00 +0200"


def test_channel_itunes_tags(config: Config) -> None:
    channel = parse(podcast_feed(config, make_show(episodes())))
    assert channel.findtext("itunes:author", namespaces=NS) == "Ada Writer"
    owner = channel.find("itunes:owner", NS)
    assert owner.findtext("itunes:name", namespaces=NS) == "Ada Writer"
    assert owner.findtext("itunes:email", namespaces=NS) == "ada@example.org"
    [image] = channel.findall("itunes:image", NS)
    assert image.get("href") == "https://example.org/podcasts/talk/cover.jpg"
    assert channel.findtext("itunes:explicit", namespaces=NS) == "false"
    assert channel.findtext("itunes:type", namespaces=NS) == "episodic"
    assert channel.find("itunes:new-feed-url", NS) is None
    categories = channel.findall("itunes:category", NS)
    assert [c.get("text") for c in categories] == ["Society & Culture", "Technology"]
    assert [c.get("text") for c in categories[0].findall("itunes:category", NS)] == ["Documentary", "Philosophy"]
    assert categories[1].findall("itunes:category", NS) == []


def test_channel_explicit_serial_and_new_feed_url(config: Config) -> None:
    show = make_show(episodes(), explicit=True, type="serial", new_feed_url="https://new.example/feed.xml")
    channel = parse(podcast_feed(config, show))
    assert channel.findtext("itunes:explicit", namespaces=NS) == "true"
    assert channel.findtext("itunes:type", namespaces=NS) == "serial"
    assert channel.findtext("itunes:new-feed-url", namespaces=NS) == "https://new.example/feed.xml"


def test_channel_podcasting_2_0_tags(config: Config) -> None:
    channel = parse(podcast_feed(config, make_show(episodes())))
    assert channel.findtext("podcast:guid", namespaces=NS) == SHOW_GUID
    locked = channel.find("podcast:locked", NS)
    assert (locked.text, locked.get("owner")) == ("yes", "ada@example.org")
    [funding] = channel.findall("podcast:funding", NS)
    assert (funding.get("url"), funding.text) == ("https://example.org/support/", "Support the show")


def test_unlocked_show_without_owner_email(config: Config) -> None:
    channel = parse(podcast_feed(config, make_show(episodes(), locked=False, owner_email="", funding=())))
    locked = channel.find("podcast:locked", NS)
    assert (locked.text, locked.get("owner")) == ("no", None)
    assert channel.find("itunes:owner/itunes:email", NS) is None
    assert channel.findtext("itunes:owner/itunes:name", namespaces=NS) == "Ada Writer"
    assert channel.findall("podcast:funding", NS) == []


def test_show_language_defaults_to_the_site_language(config: Config) -> None:
    channel = parse(podcast_feed(config, make_show(episodes(), language="")))
    assert channel.findtext("language") == "en"


# --- the items -----------------------------------------------------------------------------------


def test_items_are_newest_first_with_title_link_guid_and_date(config: Config) -> None:
    channel = parse(podcast_feed(config, make_show(episodes())))
    items = channel.findall("item")
    assert [i.findtext("guid") for i in items] == [SECOND.guid, NOTE.guid, FIRST.guid]
    first = item_of(channel, FIRST.guid)
    assert first.findtext("title") == "An episode"
    assert first.findtext("link") == "https://example.org/2026/01/first/"
    assert first.find("guid").get("isPermaLink") == "false"
    assert first.findtext("pubDate") == "Sat, 10 Jan 2026 09:30:00 +0100"
    assert email.utils.parsedate_to_datetime(first.findtext("pubDate")) == posts_by_slug()["first"].date
    note = item_of(channel, NOTE.guid)
    assert note.findtext("pubDate") == "Sun, 01 Mar 2026 08:00:00 -0500"
    assert note.findtext("title") == "A short audio note about feeds."  # a note gets a derived title


def test_item_guid_stays_when_the_title_changes(config: Config) -> None:
    posts = episodes()
    renamed = [dataclasses.replace(posts[0], title="A new title", url="https://example.org/renamed/"), *posts[1:]]
    before = item_of(parse(podcast_feed(config, make_show(posts))), FIRST.guid)
    after = item_of(parse(podcast_feed(config, make_show(renamed))), FIRST.guid)
    assert (before.findtext("title"), after.findtext("title")) == ("An episode", "A new title")
    assert before.findtext("guid") == after.findtext("guid") == FIRST.guid


def test_item_enclosure_duration_and_content(config: Config) -> None:
    channel = parse(podcast_feed(config, make_show(episodes())))
    first = item_of(channel, FIRST.guid)
    [enclosure] = first.findall("enclosure")
    assert enclosure.attrib == ENCLOSURE
    assert first.findtext("itunes:duration", namespaces=NS) == "1805"
    assert item_of(channel, SECOND.guid).findtext("itunes:duration", namespaces=NS) == "61"
    assert item_of(channel, NOTE.guid).find("itunes:duration", NS) is None
    assert first.findtext("description") == "<p>Summary of first.</p>"
    content = first.findtext("content:encoded", namespaces=NS)
    assert 'href="https://example.org/about/"' in content and 'src="https://example.org/images/first.png"' in content
    # without a summary, the description is the whole content
    assert item_of(channel, NOTE.guid).findtext("description") == "<p>A short audio note about feeds.</p>"


def test_item_itunes_tags(config: Config) -> None:
    channel = parse(podcast_feed(config, make_show(episodes())))
    first, second, note = (item_of(channel, e.guid) for e in (FIRST, SECOND, NOTE))
    assert first.find("itunes:image", NS).get("href") == "https://example.org/audio/first.jpg"
    assert second.find("itunes:image", NS).get("href") == "https://example.org/images/second.png"  # the post's image
    assert note.find("itunes:image", NS) is None
    assert first.findtext("itunes:explicit", namespaces=NS) == "true"
    assert second.find("itunes:explicit", NS) is None  # as the show says
    assert first.findtext("itunes:episode", namespaces=NS) == "1"
    assert first.findtext("itunes:season", namespaces=NS) == "1"
    assert second.findtext("itunes:episode", namespaces=NS) == "2"
    assert first.findtext("itunes:episodeType", namespaces=NS) == "full"
    assert second.findtext("itunes:episodeType", namespaces=NS) == "bonus"
    assert note.find("itunes:episode", NS) is None and note.find("itunes:season", NS) is None


def test_item_podcasting_2_0_tags(config: Config) -> None:
    channel = parse(podcast_feed(config, make_show(episodes())))
    first, second, note = (item_of(channel, e.guid) for e in (FIRST, SECOND, NOTE))
    assert first.findtext("podcast:season", namespaces=NS) == "1"
    assert first.findtext("podcast:episode", namespaces=NS) == "1"
    assert second.findtext("podcast:episode", namespaces=NS) == "2"
    [transcript] = first.findall("podcast:transcript", NS)
    assert transcript.attrib == {"url": "https://example.org/audio/first.vtt", "type": "text/vtt"}
    # no type given: known from the file name
    srt = second.find("podcast:transcript", NS)
    assert srt.attrib == {"url": "https://example.org/audio/second.srt", "type": "application/x-subrip"}
    chapters = first.find("podcast:chapters", NS)
    assert chapters.get("url") == "https://example.org/audio/first.chapters.json"
    assert chapters.get("type") == "application/json+chapters"
    host, guest = first.findall("podcast:person", NS)
    assert host.text == "Ada Writer"
    assert host.attrib == {
        "role": "host",
        "group": "cast",
        "href": "https://example.org/",
        "img": "https://example.org/images/ada.png",
    }
    assert guest.text == "Grace Guest"
    assert guest.attrib == {"role": "guest", "group": "cast", "href": "https://grace.example/"}
    for tag in ("season", "episode", "transcript", "chapters", "person"):
        assert note.find(f"podcast:{tag}", NS) is None


def test_feedparser_reads_the_feed_and_its_enclosures(config: Config) -> None:
    feed = feedparser.parse(podcast_feed(config, make_show(episodes())))
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Talk & Tea"
    assert feed.feed.link == "https://example.org/podcasts/talk/"
    assert any(link.rel == "self" and link.href == FEED_URL for link in feed.feed.links)
    assert feed.feed.author == "Ada Writer"
    assert feed.feed.image.href == "https://example.org/podcasts/talk/cover.jpg"
    first = next(e for e in feed.entries if e.id == FIRST.guid)
    [enclosure] = first.enclosures
    assert (enclosure.href, enclosure.length, enclosure.type) == (AUDIO, "4812345", "audio/mpeg")
    assert first.itunes_duration == "1805"


def test_output_is_the_same_on_every_call(config: Config) -> None:
    assert podcast_feed(config, make_show(episodes())) == podcast_feed(config, make_show(episodes()))
    empty = make_show([])
    assert podcast_feed(config, empty) == podcast_feed(config, empty)
    channel = parse(podcast_feed(config, empty))
    assert channel.find("lastBuildDate") is None  # nothing to date it by, and never "now"
    assert channel.findall("item") == []


# --- enclosures in the site's own feeds ----------------------------------------------------------


@pytest.fixture
def spec() -> FeedSpec:
    posts = [
        make_post("first", dt.datetime(2026, 1, 10, 9, 30, tzinfo=BERLIN), FIRST),
        make_post("plain", dt.datetime(2026, 1, 5, 9, 30, tzinfo=BERLIN), None, title="No audio"),
    ]
    return FeedSpec("Test Site", "", "https://example.org/", "", posts, dt.datetime(2026, 6, 1, tzinfo=dt.UTC))


def test_blog_rss_carries_the_enclosure(config: Config, spec: FeedSpec) -> None:
    channel = etree.fromstring(render_feed(config, spec, "rss")).find("channel")
    episode, plain = channel.findall("item")
    assert episode.find("enclosure").attrib == ENCLOSURE
    assert episode.findtext("link") == "https://example.org/2026/01/first/"
    assert plain.find("enclosure") is None
    feed = feedparser.parse(render_feed(config, spec, "rss"))
    assert not feed.bozo, feed.bozo_exception
    assert [e.href for e in feed.entries[0].enclosures] == [AUDIO]


def test_blog_atom_carries_an_enclosure_link_with_length_and_type(config: Config, spec: FeedSpec) -> None:
    atom = render_feed(config, spec, "atom")
    root = etree.fromstring(atom)
    episode, plain = root.findall("atom:entry", NS)
    links = episode.findall("atom:link", NS)
    assert [link.get("rel") for link in links] == [None, "enclosure"]  # the first: feedgen's alternate link
    assert links[0].get("href") == "https://example.org/2026/01/first/"
    assert dict(links[1].attrib) == {
        "rel": "enclosure",
        "href": AUDIO,
        "type": "audio/mpeg",
        "length": "4812345",
    }
    assert [link.get("rel") for link in plain.findall("atom:link", NS)] == [None]
    feed = feedparser.parse(atom)
    assert not feed.bozo, feed.bozo_exception
    assert feed.entries[0].link == "https://example.org/2026/01/first/"
    [enclosure] = feed.entries[0].enclosures
    assert (enclosure.href, enclosure.length, enclosure.type) == (AUDIO, "4812345", "audio/mpeg")
    assert feed.entries[1].enclosures == []


def test_blog_json_feed_carries_an_attachment(config: Config, spec: FeedSpec) -> None:
    feed = json.loads(render_feed(config, spec, "json"))
    episode, plain = feed["items"]
    assert episode["attachments"] == [
        {"url": AUDIO, "mime_type": "audio/mpeg", "size_in_bytes": 4812345, "duration_in_seconds": 1805}
    ]
    assert "attachments" not in plain
    spec.posts[0] = dataclasses.replace(spec.posts[0], episode=NOTE)  # no duration known
    [attachment] = json.loads(render_feed(config, spec, "json"))["items"][0]["attachments"]
    assert "duration_in_seconds" not in attachment


# --- Apple's categories --------------------------------------------------------------------------


def test_categories_are_apples_current_list() -> None:
    assert len(APPLE_CATEGORIES) == 19
    assert "Documentary" in APPLE_CATEGORIES["Society & Culture"]
    assert APPLE_CATEGORIES["Technology"] == () and APPLE_CATEGORIES["True Crime"] == ()
    for name in ("Health & Fitness", "Kids & Family", "Religion & Spirituality", "TV & Film", "Leisure", "Fiction"):
        assert name in APPLE_CATEGORIES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Technology", ("Technology", None)),
        ("technology", ("Technology", None)),
        ("  TV & FILM ", ("TV & Film", None)),
        ("Society & Culture > Documentary", ("Society & Culture", "Documentary")),
        ("society & culture>documentary", ("Society & Culture", "Documentary")),
        ("Education > how to", ("Education", "How To")),
    ],
)
def test_parse_category(text: str, expected: tuple[str, str | None]) -> None:
    assert parse_category(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Technolgy", "unknown Apple Podcasts category 'Technolgy'; did you mean 'Technology'?"),
        ("Health and Fitness", "did you mean 'Health & Fitness'"),
        ("Documentary", "'Documentary' is a subcategory: write 'Society & Culture > Documentary'"),
        ("Society & Culture > Documentry", "unknown subcategory 'Documentry' of 'Society & Culture'; did you mean"),
        ("Technology > Podcasting", "'Technology' has no subcategories"),
        ("Zzz", "expected one of Arts, Business"),
        ("Arts > Books > Poetry", "expected a category such as"),
    ],
)
def test_parse_category_rejects_unknown_names_with_a_hint(text: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_category(text)
    assert message in str(error.value)
