"""Checks before publishing a podcast: Apple Podcasts' rules, with the file and field of each problem.

Problems that make Apple reject the feed are errors (the build fails); the rest are warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator.config import CONFIG_NAME, Config
from generator.errors import Problem
from generator.model import Site
from generator.pipeline.collect import artwork_file
from generator.podcast_categories import parse_category

DESCRIPTION_BYTES = 4000
ARTWORK_PIXELS = (1400, 3000)
APPLE_AUDIO = ("audio/mpeg", "audio/x-m4a", "audio/mp4", "audio/aac", "video/mp4", "video/x-m4v", "video/quicktime")


@dataclass
class Findings:
    """What the checks found."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def check_podcasts(config: Config, site: Site) -> Findings:
    """Every show and episode against Apple's rules."""
    found = Findings()
    guids: dict[str, str] = {}
    for show, settings in zip(site.shows, config.podcasts, strict=False):
        key = f"podcasts.{show.key}"

        def error(name: str, message: str, key: str = key) -> None:
            found.errors.append(Problem(CONFIG_NAME, message, key=f"{key}.{name}"))

        def warn(name: str, message: str, key: str = key) -> None:
            found.warnings.append(Problem(CONFIG_NAME, message, key=f"{key}.{name}"))

        if not settings.categories:
            error("categories", 'Apple Podcasts requires at least one category, e.g. categories = ["Technology"]')
        for text in settings.categories:
            try:
                parse_category(text)
            except ValueError as exc:
                error("categories", str(exc))
        if settings.explicit is None:
            error("explicit", "Apple Podcasts requires explicit = true or false")
        if not settings.owner_email:
            warn("owner_email", "Apple Podcasts uses the owner's email to verify the show; set owner_email")
        if len(settings.description.encode("utf-8")) > DESCRIPTION_BYTES:
            error(
                "description",
                f"Apple Podcasts allows at most {DESCRIPTION_BYTES} bytes, "
                f"this is {len(settings.description.encode())}",
            )
        _check_artwork(config, settings.artwork, error, warn)
        if not show.episodes:
            warn("title", "the show has no published episode yet; Apple Podcasts refuses an empty feed")
        for post in show.episodes:
            episode = post.episode
            assert episode is not None
            source = f"content/{post.source}"
            if episode.guid in guids:
                found.errors.append(
                    Problem(
                        source, f"episode guid {episode.guid} is also the guid of {guids[episode.guid]}", key="guid"
                    )
                )
            guids[episode.guid] = source
            if episode.audio_type not in APPLE_AUDIO:
                found.warnings.append(
                    Problem(source, f"Apple Podcasts does not play {episode.audio_type}; use MP3 or M4A", key="audio")
                )
            if episode.duration is None:
                found.warnings.append(
                    Problem(
                        source, "no duration: add `duration:` (seconds or 1:23:45) for an audio URL", key="duration"
                    )
                )
    return found


def _check_artwork(config: Config, artwork: str, error, warn) -> None:
    if not artwork:
        error("artwork", "Apple Podcasts requires show artwork: a square JPEG or PNG of 1400 to 3000 pixels")
        return
    if "://" in artwork:
        warn("artwork", "artwork is a URL, so Homepost cannot check its size and format")
        return
    file = artwork_file(config, artwork)
    if file is None:
        error("artwork", f"artwork file not found: {artwork} (a path under the site, in content/ or static/)")
        return
    kind = _image_kind(file)
    if kind not in ("png", "jpeg"):
        error("artwork", f"{artwork} is not a JPEG or PNG image")
        return
    import imagesize  # imported here: only sites with podcasts check artwork

    width, height = imagesize.get(file)
    low, high = ARTWORK_PIXELS
    if width != height:
        error("artwork", f"{artwork} is {width}x{height} pixels; Apple Podcasts requires square artwork")
    elif not low <= width <= high:
        error("artwork", f"{artwork} is {width}x{height} pixels; Apple Podcasts requires {low} to {high} pixels a side")
    if kind == "png" and _png_has_alpha(file):
        warn("artwork", f"{artwork} has an alpha channel; Apple Podcasts asks for RGB artwork")


def _image_kind(file: Path) -> str | None:
    with file.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def _png_has_alpha(file: Path) -> bool:
    with file.open("rb") as handle:
        header = handle.read(26)
    return len(header) == 26 and header[25] in (4, 6)  # colour types with alpha
