"""How a post's page names each copy: by platform and account ("Mastodon (@me@example.social)"), not by host.

The label comes from the site's syndication targets and the copy's URL alone (the build reads no
credentials and asks no server): a copy on a target's server is named after that target's platform
and the account its URL shows; copies added by hand in front matter are named as well as their URL
allows (a Bluesky or Tumblr address, a fediverse `/@user` path), else by their host.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from generator.config import TargetSettings

PLATFORM_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "tumblr": "Tumblr", "micropub": "Micropub"}


def copy_label(targets: Iterable[TargetSettings], url: str) -> str:
    """The words a page links a copy with: "Mastodon (@me@example.social)", "Bluesky (@me.bsky.social)",
    "Tumblr (me)", a Micropub copy's site ("example.net"), else the URL's host."""
    parts = urlsplit(url)
    netloc = parts.netloc.lower().rsplit("@", 1)[-1]
    host = (parts.hostname or "").removeprefix("www.")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    for target in targets:
        server = urlsplit(target.base_url).netloc.lower()
        if target.platform == "mastodon" and server and netloc == server:
            return f"Mastodon ({_fediverse(segments, netloc) or netloc})"
        if target.platform == "micropub" and netloc == server:
            return netloc.removeprefix("www.")  # the copy's site is its account
    if host == "bsky.app" and len(segments) >= 2 and segments[0] == "profile":
        return f"Bluesky (@{segments[1]})"
    if host.endswith(".tumblr.com"):
        return f"Tumblr ({host.removesuffix('.tumblr.com')})"
    if host == "tumblr.com" and segments:
        return f"Tumblr ({segments[0]})"
    return _fediverse(segments, host) or host


def _fediverse(segments: list[str], server: str) -> str:
    """`@user@server` from a path such as /@user/123, /@user@server/posts/123/ (Takahē) or /users/user/statuses/123."""
    if segments and segments[0].startswith("@") and len(segments[0]) > 1:
        return segments[0] if "@" in segments[0][1:] else f"{segments[0]}@{server}"
    if len(segments) >= 2 and segments[0] == "users":
        return f"@{segments[1]}@{server}"
    return ""
