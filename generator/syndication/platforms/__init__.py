"""The platforms Homepost syndicates to: one module each, all of the same shape.

Each module has a `<Name>Platform` class implementing generator.syndication.base.Platform and an
`authorize(target, client, credentials, io)` function for `homepost auth`. This table is the whole
registry; a module is imported when a target of its platform is used.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from generator.config import TargetSettings
from generator.credentials import TargetCredentials
from generator.http import HttpClient
from generator.syndication.base import AuthIO, Platform

PLATFORMS: dict[str, tuple[str, str]] = {  # platform -> (module, class)
    "mastodon": ("generator.syndication.platforms.mastodon", "MastodonPlatform"),
    "bluesky": ("generator.syndication.platforms.bluesky", "BlueskyPlatform"),
    "tumblr": ("generator.syndication.platforms.tumblr", "TumblrPlatform"),
    "micropub": ("generator.syndication.platforms.micropub", "MicropubPlatform"),
}


def _module(platform: str) -> ModuleType:
    return importlib.import_module(PLATFORMS[platform][0])


def make_platform(target: TargetSettings, client: HttpClient, credentials: TargetCredentials) -> Platform:
    """The platform object for one target."""
    cls = getattr(_module(target.platform), PLATFORMS[target.platform][1])
    return cls(target, client, credentials)


def authorize(target: TargetSettings, client: HttpClient, credentials: TargetCredentials, io: AuthIO) -> str:
    """Run the platform's own authorization flow for one target; a one-line summary of who was authorized."""
    return _module(target.platform).authorize(target, client, credentials, io)
