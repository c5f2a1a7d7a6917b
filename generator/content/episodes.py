"""The podcast side of a post: `audio:` and the episode keys of its front matter.

A local audio file is measured here (duration with mutagen, size from the file, MIME type from
its format), so nobody types byte counts or durations by hand.
"""

from __future__ import annotations

import difflib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.config import Config
from generator.content.markdown import Link
from generator.errors import ContentError, Problem
from generator.model import Chapter, Episode, Person

EPISODE_KEYS = (
    "audio",
    "audio_length",
    "audio_type",
    "duration",
    "podcast",
    "episode",
    "season",
    "episode_type",
    "explicit",
    "transcript",
    "chapters",
    "persons",
    "guid",
)
EPISODE_TYPES = ("full", "trailer", "bonus")
AUDIO_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/x-m4a",
    ".mp4": "video/mp4",
    ".m4v": "video/x-m4v",
    ".mov": "video/quicktime",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/opus",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
}
TRANSCRIPT_TYPES = {".vtt": "text/vtt", ".srt": "application/x-subrip"}
FEED_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")  # podcastindex.org's, for podcast:guid
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_TIME = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")
_CUE_TIME = re.compile(r"(?:(\d+):)?(\d{2}):(\d{2})[.,](\d{3})\s*-->")


def show_feed_path(key: str) -> str:
    """Where a show's feed is written (and the URL its podcast:guid is made from)."""
    return f"podcasts/{key}/feed.xml"


def podcast_guid(feed_url: str) -> str:
    """podcast:guid of a feed: UUIDv5 of its URL without scheme and trailing slashes."""
    return str(uuid.uuid5(FEED_NAMESPACE, _SCHEME.sub("", feed_url.strip()).rstrip("/")))


def episode_guid(show_guid: str, name: str) -> str:
    """A stable episode guid: UUIDv5 of `name` in the show's own namespace (its podcast:guid)."""
    return str(uuid.uuid5(uuid.UUID(show_guid), name))


def show_guid(config: Config, key: str) -> str:
    """The podcast:guid of a show, from its feed URL."""
    return podcast_guid(config.abs_url(show_feed_path(key)))


@dataclass
class _Reader:
    config: Config
    data: dict[str, Any]
    file: str  # as shown in messages: content/posts/...
    rel: str  # content-relative path of the post
    line_of: Callable[[str], int | None]
    resolve: Callable[[str], Link]

    def fail(self, key: str, message: str) -> ContentError:
        return ContentError(Problem(self.file, message, line=self.line_of(key), key=key))

    def number(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(key, f"expected a whole number, got {value!r}")
        return value

    def seconds(self, key: str, value: Any) -> float:
        """Seconds from 93, 93.5, "1:33" or "1:01:33"."""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
        match = _TIME.match(str(value).strip())
        if not match:
            raise self.fail(key, f"expected seconds or a time such as 1:33 or 1:01:33, got {value!r}")
        hours, minutes, seconds = match.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


def read_episode(
    config: Config,
    data: dict[str, Any],
    file: str,
    rel: str,
    line_of: Callable[[str], int | None],
    resolve: Callable[[str], Link],
    chapters_dest: str,
) -> Episode | None:
    """The Episode of a post whose front matter (`data`) has `audio:`, else None.

    `chapters_dest` is where chapters given as a list are written as Podcasting 2.0 JSON.
    """
    if "audio" not in data:
        stray = [key for key in EPISODE_KEYS if key in data]
        if stray:
            raise ContentError(
                Problem(
                    file,
                    "episode keys need `audio:` (the episode's audio file or URL)",
                    line=line_of(stray[0]),
                    key=stray[0],
                )
            )
        return None
    reader = _Reader(config, data, file, rel, line_of, resolve)
    show = _show(reader)
    url, src, length, mime, duration = _audio(reader)
    episode_type = data.get("episode_type", "full")
    if episode_type not in EPISODE_TYPES:
        raise reader.fail("episode_type", f"expected one of {', '.join(EPISODE_TYPES)}, got {episode_type!r}")
    explicit = data.get("explicit")
    if explicit is not None and not isinstance(explicit, bool):
        raise reader.fail("explicit", "expected true or false")
    number, season = reader.number("episode"), reader.number("season")
    guid = data.get("guid")
    if guid is not None and (not isinstance(guid, (str, int)) or not str(guid).strip()):
        raise reader.fail("guid", "expected a string")
    if guid is None:
        name = (
            f"episode:{season or 0}:{number}"
            if number is not None
            else "file:" + re.sub(r"^\d{4}-\d{2}-\d{2}-", "", rel.removesuffix("/index.md").removesuffix(".md"))
        )
        guid = episode_guid(show_guid(config, show), name)
    transcript_url, transcript_type, cues = _transcript(reader)
    chapters_url, chapters = _chapters(reader, chapters_dest)
    chapters_file = chapters_dest if isinstance(data.get("chapters"), list) else None
    if "duration" in data:
        duration = int(round(reader.seconds("duration", data["duration"])))
    return Episode(
        show=show,
        guid=str(guid).strip(),
        audio_url=url,
        audio_src=src,
        audio_length=length,
        audio_type=mime,
        duration=duration,
        number=number,
        season=season,
        episode_type=episode_type,
        explicit=explicit,
        transcript_url=transcript_url,
        transcript_type=transcript_type,
        transcript_text=cues,
        chapters_url=chapters_url,
        chapters=chapters,
        chapters_file=chapters_file,
        persons=_persons(reader),
    )


def _show(reader: _Reader) -> str:
    shows = [p.key for p in reader.config.podcasts]
    key = reader.data.get("podcast")
    if not shows:
        raise reader.fail("audio", "this site has no show: add a [podcasts.<name>] table to site.toml")
    if key is None:
        if len(shows) > 1:
            raise reader.fail("audio", f"this site has several shows; say which with `podcast:` ({', '.join(shows)})")
        return shows[0]
    if key not in shows:
        hint = difflib.get_close_matches(str(key), shows, n=1)
        raise reader.fail(
            "podcast",
            f"no show {key!r} in site.toml"
            + (f"; did you mean '{hint[0]}'?" if hint else f"; expected one of {', '.join(shows)}"),
        )
    return str(key)


def _audio(reader: _Reader) -> tuple[str, str, int, str, int | None]:
    """(absolute URL, URL for the player, bytes, MIME type, seconds) of the enclosure."""
    audio = reader.data["audio"]
    if not isinstance(audio, str) or not audio.strip():
        raise reader.fail("audio", "expected a file beside the post or an http(s) URL")
    if re.match(r"^https?://", audio):
        length, mime = reader.data.get("audio_length"), reader.data.get("audio_type")
        if isinstance(length, bool) or not isinstance(length, int) or length <= 0:
            raise reader.fail(
                "audio_length" if "audio_length" in reader.data else "audio",
                "an audio URL needs `audio_length:` (its size in bytes)",
            )
        if not isinstance(mime, str) or "/" not in mime:
            raise reader.fail(
                "audio_type" if "audio_type" in reader.data else "audio",
                "an audio URL needs `audio_type:` (e.g. audio/mpeg)",
            )
        duration = (
            int(round(reader.seconds("duration", reader.data["duration"]))) if "duration" in reader.data else None
        )
        return audio, audio, length, mime, duration
    for key in ("audio_length", "audio_type"):
        if key in reader.data:
            raise reader.fail(key, "only for an audio URL: Homepost measures local files itself")
    link = reader.resolve(audio)
    if link.file is None or not link.file.is_file():
        raise reader.fail("audio", f"audio file not found: {audio}")
    unreadable = f"{audio} is not an audio file Homepost can read (MP3, M4A, Ogg, FLAC, WAV)"
    import mutagen  # here: only a site with local audio loads it

    try:
        media = mutagen.File(link.file)
    except mutagen.MutagenError as exc:
        raise reader.fail("audio", f"{unreadable}: {exc}") from None
    if media is None or not getattr(media.info, "length", 0):
        raise reader.fail("audio", unreadable)
    mime = AUDIO_TYPES.get(link.file.suffix.lower()) or (media.mime[0] if media.mime else "application/octet-stream")
    return reader.config.absolute(link.url), link.url, link.file.stat().st_size, mime, int(round(media.info.length))


def _transcript(reader: _Reader) -> tuple[str | None, str | None, tuple[tuple[float, str], ...]]:
    value = reader.data.get("transcript")
    if value is None:
        return None, None, ()
    if not isinstance(value, str) or not value.strip():
        raise reader.fail("transcript", "expected a .vtt or .srt file beside the post, or a URL")
    suffix = Path(value.split("?")[0]).suffix.lower()
    kind = TRANSCRIPT_TYPES.get(suffix)
    if re.match(r"^https?://", value):
        return value, kind or "text/plain", ()
    if kind is None:
        raise reader.fail("transcript", f"expected a .vtt or .srt file, got {value!r}")
    link = reader.resolve(value)
    if link.file is None or not link.file.is_file():
        raise reader.fail("transcript", f"transcript file not found: {value}")
    try:
        text = link.file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise reader.fail("transcript", f"{value} is not UTF-8 text") from None
    return reader.config.absolute(link.url), kind, parse_cues(text)


def parse_cues(text: str) -> tuple[tuple[float, str], ...]:
    """(start seconds, text) of each cue of a WebVTT or SRT file, tags and cue settings dropped."""
    cues = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = block.split("\n")
        for index, line in enumerate(lines):
            match = _CUE_TIME.search(line)
            if match:
                hours, minutes, seconds, millis = match.groups()
                start = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000
                words = " ".join(re.sub(r"<[^>]+>", "", following).strip() for following in lines[index + 1 :]).strip()
                if words:
                    cues.append((start, words))
                break
    return tuple(cues)


def _chapters(reader: _Reader, dest: str) -> tuple[str | None, tuple[Chapter, ...]]:
    value = reader.data.get("chapters")
    if value is None:
        return None, ()
    if isinstance(value, str):
        if re.match(r"^https?://", value):
            return value, ()
        link = reader.resolve(value)
        if link.file is None or not link.file.is_file():
            raise reader.fail("chapters", f"chapters file not found: {value}")
        try:
            data = json.loads(link.file.read_text(encoding="utf-8"))
            items = data["chapters"]
            chapters = tuple(
                Chapter(float(c["startTime"]), str(c.get("title", "")), str(c.get("url", "")), str(c.get("img", "")))
                for c in items
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise reader.fail(
                "chapters", f"{value} is not a Podcasting 2.0 chapters file ({type(exc).__name__}: {exc})"
            ) from None
        return reader.config.absolute(link.url), chapters
    if not isinstance(value, list) or not value:
        raise reader.fail(
            "chapters", 'expected a chapters JSON file, or a list such as [{start: "0:00", title: Intro}]'
        )
    listed: list[Chapter] = []
    for item in value:
        if not isinstance(item, dict) or "start" not in item or not isinstance(item.get("title"), str):
            raise reader.fail("chapters", f'expected each chapter as {{start: "1:33", title: "…"}}, got {item!r}')
        listed.append(
            Chapter(
                reader.seconds("chapters", item["start"]),
                item["title"],
                str(item.get("url", "")),
                str(item.get("img", "")),
            )
        )
    listed.sort(key=lambda c: c.start)
    return reader.config.abs_url(dest), tuple(listed)


def chapters_json(chapters: tuple[Chapter, ...]) -> bytes:
    """A Podcasting 2.0 JSON chapters file (version 1.2.0)."""
    items = []
    for chapter in chapters:
        item: dict[str, Any] = {"startTime": round(chapter.start, 3), "title": chapter.title}
        if chapter.url:
            item["url"] = chapter.url
        if chapter.img:
            item["img"] = chapter.img
        items.append(item)
    return (json.dumps({"version": "1.2.0", "chapters": items}, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _persons(reader: _Reader) -> tuple[Person, ...]:
    value = reader.data.get("persons")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise reader.fail("persons", "expected a list such as [{name: Ada, role: host}]")
    persons = []
    for item in value:
        if isinstance(item, str):
            item = {"name": item}
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("name"), str)
            or set(item) - {"name", "role", "group", "href", "img"}
        ):
            raise reader.fail("persons", f"expected each person as {{name, role, group, href, img}}, got {item!r}")
        persons.append(
            Person(
                item["name"],
                str(item.get("role", "host")),
                str(item.get("group", "cast")),
                str(item.get("href", "")),
                str(item.get("img", "")),
            )
        )
    return tuple(persons)
