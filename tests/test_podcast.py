"""Podcasting end to end: episodes measured from real audio, the show's feed, pages, and Apple's checks."""

from __future__ import annotations

import io
import json
import struct
import wave
import zlib
from pathlib import Path

import feedparser
import mf2py
import pytest
from lxml import etree

from tests.conftest import SiteFactory
from tests.helpers import SITE_TOML, build

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
}

SHOW = """
[podcasts.talk]
title = "Talk Show"
description = "A show for tests."
author = "Ada Writer"
owner_email = "ada@example.org"
artwork = "podcast/cover.png"
categories = ["Society & Culture > Documentary", "technology"]
explicit = false
funding = [{ url = "https://example.org/support/", text = "Support us" }]
"""


def wav_bytes(seconds: float = 2.0, rate: int = 8000) -> bytes:
    """A real WAV file of silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def png_bytes(width: int, height: int, alpha: bool = False) -> bytes:
    """A flat-colour PNG (RGB, or RGBA with `alpha`)."""
    pixel = b"\x20\x40\x80\xff" if alpha else b"\x20\x40\x80"
    raw = b"".join(b"\x00" + pixel * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


EPISODE = """\
---
title: First episode
date: 2026-02-03 10:00
audio: talk.wav
episode: 1
season: 1
tags: [podcasting]
transcript: talk.vtt
chapters:
  - {start: "0:00", title: Hello}
  - {start: 1, title: Goodbye}
persons:
  - {name: Ada Writer, role: host, href: "https://example.org/"}
  - {name: Guest Person, role: guest}
---

Show notes with a [link](https://example.net/).
"""

VTT = "WEBVTT\n\n00:00.000 --> 00:01.000\nHello <b>there</b>.\n\n00:01.000 --> 00:02.000\nGoodbye.\n"


@pytest.fixture
def files() -> dict[str, str | bytes]:
    return {
        "content/podcast/cover.png": png_bytes(1400, 1400),
        "content/posts/2026-02-03-first/index.md": EPISODE,
        "content/posts/2026-02-03-first/talk.wav": wav_bytes(2.0),
        "content/posts/2026-02-03-first/talk.vtt": VTT,
        "content/posts/2026-01-01-trailer/index.md": (
            "---\ntitle: Trailer\ndate: 2026-01-01\naudio: t.wav\nepisode_type: trailer\n---\n\nSoon.\n"
        ),
        "content/posts/2026-01-01-trailer/t.wav": wav_bytes(1.0),
    }


def site_with(make_site: SiteFactory, files: dict, show: str = SHOW, name: str = "site") -> Path:
    return make_site(files, config=SITE_TOML + show, name=name)


def built(make_site: SiteFactory, files: dict) -> Path:
    site = site_with(make_site, files)
    result = build(site)
    assert result.exit_code == 0, result.output
    return site / "public"


def channel(public: Path, path: str = "podcasts/talk/feed.xml") -> etree._Element:
    return etree.fromstring((public / path).read_bytes()).find("channel")


def test_feed_has_apple_and_podcasting_2_tags(make_site: SiteFactory, files: dict) -> None:
    public = built(make_site, files)
    ch = channel(public)
    self_link = ch.find("atom:link", NS)
    assert self_link.get("rel") == "self" and self_link.get("href") == "https://example.org/podcasts/talk/feed.xml"
    assert ch.findtext("title") == "Talk Show" and ch.findtext("link") == "https://example.org/podcasts/talk/"
    assert ch.findtext("itunes:explicit", namespaces=NS) == "false"
    assert ch.find("itunes:image", NS).get("href") == "https://example.org/podcast/cover.png"
    assert ch.find("itunes:owner/itunes:email", NS).text == "ada@example.org"
    top = [c.get("text") for c in ch.findall("itunes:category", NS)]
    assert top == ["Society & Culture", "Technology"]
    assert ch.find("itunes:category/itunes:category", NS).get("text") == "Documentary"
    import uuid

    expected_guid = str(
        uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), "example.org/podcasts/talk/feed.xml")
    )
    assert ch.findtext("podcast:guid", namespaces=NS) == expected_guid
    assert ch.find("podcast:funding", NS).get("url") == "https://example.org/support/"


def test_episode_is_measured_from_the_audio_file(make_site: SiteFactory, files: dict) -> None:
    public = built(make_site, files)
    items = channel(public).findall("item")
    assert [i.findtext("title") for i in items] == ["First episode", "Trailer"]
    first = items[0]
    enclosure = first.find("enclosure")
    audio = public / "2026/02/first/talk.wav"
    assert audio.is_file()
    assert enclosure.get("url") == "https://example.org/2026/02/first/talk.wav"
    assert enclosure.get("length") == str(audio.stat().st_size) and enclosure.get("type") == "audio/wav"
    assert first.findtext("itunes:duration", namespaces=NS) == "2"
    assert (
        first.findtext("itunes:episode", namespaces=NS) == "1"
        and first.findtext("podcast:season", namespaces=NS) == "1"
    )
    assert items[1].findtext("itunes:episodeType", namespaces=NS) == "trailer"
    assert first.find("podcast:transcript", NS).get("url") == "https://example.org/2026/02/first/talk.vtt"
    assert first.find("podcast:chapters", NS).get("url") == "https://example.org/2026/02/first/chapters.json"
    persons = {p.text: p.get("role") for p in first.findall("podcast:person", NS)}
    assert persons == {"Ada Writer": "host", "Guest Person": "guest"}
    assert first.findtext("pubDate") == "Tue, 03 Feb 2026 10:00:00 +0100"


def test_chapters_list_becomes_a_podcasting_2_json_file(make_site: SiteFactory, files: dict) -> None:
    public = built(make_site, files)
    chapters = json.loads((public / "2026/02/first/chapters.json").read_text())
    assert chapters == {
        "version": "1.2.0",
        "chapters": [{"startTime": 0.0, "title": "Hello"}, {"startTime": 1.0, "title": "Goodbye"}],
    }


def test_guid_survives_a_title_slug_and_date_change(make_site: SiteFactory, files: dict) -> None:
    public = built(make_site, files)
    before = [i.findtext("guid") for i in channel(public).findall("item")]
    changed = EPISODE.replace("title: First episode", "title: Renamed\nslug: renamed").replace(
        "2026-02-03 10:00", "2026-02-04 11:00"
    )
    site = site_with(make_site, {**files, "content/posts/2026-02-03-first/index.md": changed}, name="changed")
    assert build(site).exit_code == 0
    after = [i.findtext("guid") for i in channel(site / "public").findall("item")]
    assert before == after and len(set(after)) == 2


def test_single_show_site_also_has_podcast_xml(make_site: SiteFactory, files: dict) -> None:
    public = built(make_site, files)
    assert (public / "podcast.xml").read_bytes() == (public / "podcasts/talk/feed.xml").read_bytes()


def test_feed_parses_with_feedparser(make_site: SiteFactory, files: dict) -> None:
    feed = feedparser.parse((built(make_site, files) / "podcasts/talk/feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.entries[0].enclosures[0].href.endswith("talk.wav")


def test_episode_appears_in_the_site_feeds_with_its_enclosure(make_site: SiteFactory, files: dict) -> None:
    public = built(make_site, files)
    rss = etree.fromstring((public / "feed.xml").read_bytes())
    assert rss.find("channel/item/enclosure").get("url") == "https://example.org/2026/02/first/talk.wav"
    atom = feedparser.parse((public / "atom.xml").read_bytes())
    first = next(e for e in atom.entries if e.title == "First episode")
    assert any(link.rel == "enclosure" and link.type == "audio/wav" and int(link.length) > 0 for link in first.links)
    item = next(i for i in json.loads((public / "feed.json").read_text())["items"] if i.get("title") == "First episode")
    assert item["attachments"][0]["url"].endswith("talk.wav") and item["attachments"][0]["mime_type"] == "audio/wav"


def test_episode_page_has_player_chapters_transcript_and_u_audio(make_site: SiteFactory, files: dict) -> None:
    public = built(make_site, files)
    html = (public / "2026/02/first/index.html").read_text(encoding="utf-8")
    assert "<audio" in html and "talk.wav" in html
    assert "talk.wav#t=1" in html  # a chapter seeks the audio, without JavaScript
    assert "Hello there." in html and "Goodbye." in html  # the transcript, tags dropped
    [entry] = [
        i for i in mf2py.parse(doc=html, url="https://example.org/2026/02/first/")["items"] if "h-entry" in i["type"]
    ]
    assert any(str(a).endswith("talk.wav") for a in entry["properties"]["audio"])
    show = (public / "podcasts/talk/index.html").read_text(encoding="utf-8")
    assert "First episode" in show and "Trailer" in show and "https://example.org/podcasts/talk/feed.xml" in show


def failed(make_site: SiteFactory, files: dict, show: str = SHOW) -> str:
    result = build(site_with(make_site, files, show))
    assert result.exit_code == 1, result.output
    return result.output


@pytest.mark.parametrize(
    "show,message",
    [
        (
            SHOW.replace('categories = ["Society & Culture > Documentary", "technology"]\n', ""),
            "site.toml: podcasts.talk.categories: Apple Podcasts requires at least one category",
        ),
        (
            SHOW.replace("explicit = false\n", ""),
            "site.toml: podcasts.talk.explicit: Apple Podcasts requires explicit = true or false",
        ),
        (SHOW.replace('"technology"', '"Technolgy"'), "site.toml: podcasts.talk.categories: "),
        (
            SHOW.replace('artwork = "podcast/cover.png"\n', ""),
            "site.toml: podcasts.talk.artwork: Apple Podcasts requires show artwork",
        ),
        (
            SHOW.replace('description = "A show for tests."', f'description = "{"x" * 4001}"'),
            "site.toml: podcasts.talk.description: Apple Podcasts allows at most 4000 bytes",
        ),
    ],
    ids=["no category", "no explicit", "unknown category", "no artwork", "long description"],
)
def test_show_problems_apple_rejects_are_errors(make_site: SiteFactory, files: dict, show: str, message: str) -> None:
    assert message in failed(make_site, files, show)


@pytest.mark.parametrize(
    "cover,message",
    [
        (png_bytes(1400, 1000), "is 1400x1000 pixels; Apple Podcasts requires square artwork"),
        (png_bytes(1000, 1000), "is 1000x1000 pixels; Apple Podcasts requires 1400 to 3000 pixels a side"),
        (b"GIF89a" + b"\x00" * 100, "is not a JPEG or PNG image"),
    ],
    ids=["not square", "too small", "not png or jpeg"],
)
def test_bad_artwork_is_an_error(make_site: SiteFactory, files: dict, cover: bytes, message: str) -> None:
    output = failed(make_site, {**files, "content/podcast/cover.png": cover})
    assert f"site.toml: podcasts.talk.artwork: podcast/cover.png {message}" in output


def test_missing_owner_email_and_alpha_are_warnings(make_site: SiteFactory, files: dict) -> None:
    site = site_with(
        make_site,
        {**files, "content/podcast/cover.png": png_bytes(1400, 1400, alpha=True)},
        SHOW.replace('owner_email = "ada@example.org"\n', ""),
    )
    result = build(site)
    assert result.exit_code == 0, result.output
    assert "warning: site.toml: podcasts.talk.owner_email:" in result.output
    assert "warning: site.toml: podcasts.talk.artwork: podcast/cover.png has an alpha channel" in result.output


def test_missing_audio_and_not_audio_are_errors(make_site: SiteFactory, files: dict) -> None:
    gone = {k: v for k, v in files.items() if not k.endswith("talk.wav")}
    assert "content/posts/2026-02-03-first/index.md:4: audio: audio file not found: talk.wav" in failed(make_site, gone)


def test_a_file_that_is_not_audio_is_an_error(make_site: SiteFactory, files: dict) -> None:
    junk = {**files, "content/posts/2026-02-03-first/talk.wav": b"this is not audio at all" * 10}
    assert "talk.wav is not an audio file Homepost can read" in failed(make_site, junk)


def test_duplicate_guid_is_an_error(make_site: SiteFactory, files: dict) -> None:
    twin = files["content/posts/2026-01-01-trailer/index.md"].replace("episode_type: trailer", "episode: 1\nseason: 1")
    output = failed(make_site, {**files, "content/posts/2026-01-01-trailer/index.md": twin})
    assert (
        "content/posts/2026-01-01-trailer/index.md: guid: episode guid" in output
        or "content/posts/2026-02-03-first/index.md: guid: episode guid" in output
    )


def test_audio_url_needs_length_and_type(make_site: SiteFactory, files: dict) -> None:
    remote = "---\ntitle: Remote\ndate: 2026-01-05\naudio: https://cdn.example.net/e.mp3\n---\n\nx\n"
    output = failed(make_site, {**files, "content/posts/2026-01-05-remote.md": remote})
    assert "content/posts/2026-01-05-remote.md:4: audio: an audio URL needs `audio_length:`" in output


def test_unknown_show_gets_a_hint(make_site: SiteFactory, files: dict) -> None:
    typo = EPISODE.replace("episode: 1\n", "episode: 1\npodcast: tlak\n")
    output = failed(make_site, {**files, "content/posts/2026-02-03-first/index.md": typo})
    assert "podcast: no show 'tlak' in site.toml; did you mean 'talk'?" in output


def test_two_shows_each_get_a_feed_and_episodes_must_name_theirs(make_site: SiteFactory, files: dict) -> None:
    second = SHOW.replace("[podcasts.talk]", "[podcasts.music]").replace('title = "Talk Show"', 'title = "Music Show"')
    assert "this site has several shows; say which with `podcast:` (talk, music)" in failed(
        make_site, files, SHOW + second
    )
    named = {
        k: (v.replace("---\n\n", "podcast: talk\n---\n\n", 1) if k.endswith("index.md") else v)
        for k, v in files.items()
    }
    named["content/posts/2026-01-01-trailer/index.md"] = named["content/posts/2026-01-01-trailer/index.md"].replace(
        "podcast: talk", "podcast: music"
    )
    site = site_with(make_site, named, SHOW + second, name="two")
    assert build(site).exit_code == 0
    public = site / "public"
    assert [i.findtext("title") for i in channel(public).findall("item")] == ["First episode"]
    assert [i.findtext("title") for i in channel(public, "podcasts/music/feed.xml").findall("item")] == ["Trailer"]
    assert not (public / "podcast.xml").exists()


def test_each_shows_problems_name_that_show(make_site: SiteFactory, files: dict) -> None:
    # check_podcasts reports through functions made for each show in a loop: each must keep its own show's key
    second = (
        SHOW.replace("[podcasts.talk]", "[podcasts.music]")
        .replace('title = "Talk Show"', 'title = "Music Show"')
        .replace("explicit = false\n", "")
    )
    named = {
        k: (v.replace("---\n\n", "podcast: talk\n---\n\n", 1) if k.endswith("index.md") else v)
        for k, v in files.items()
    }
    output = failed(make_site, named, SHOW + second)
    assert "site.toml: podcasts.music.explicit: Apple Podcasts requires explicit = true or false" in output
    assert "podcasts.talk.explicit" not in output
