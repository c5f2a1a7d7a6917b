"""The platforms Homepost syndicates to and backfeeds from: one folder each, all of the same shape.

`base` is the protocol every platform implements (`Platform`, `AuthIO`, the values that pass
between a platform and the engines, `PlatformError` and `reply_error`, the one path from an HTTP
answer to an error). Each `<name>/` folder holds three modules: `client` (the platform's API: requests,
and how it words its errors), `syndicate` (the `<Name>Platform` class and `authorize`, for
`homepost auth`) and `backfeed` (what answered a copy, read back as Responses). `PLATFORMS` below
is the whole registry: a platform's name -> the module and class that implement it, imported only
when a target of that platform is used. The platform-independent engines that use them live in
generator.syndication (`homepost syndicate`) and generator.backfeed (`homepost backfeed`).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from generator.config import TargetSettings
from generator.credentials import TargetCredentials
from generator.http import HttpClient
from generator.platforms.base import AuthIO, Platform

PLATFORMS: dict[str, tuple[str, str]] = {  # platform -> (its syndicate module, its Platform class)
    "mastodon": ("generator.platforms.mastodon.syndicate", "MastodonPlatform"),
    "bluesky": ("generator.platforms.bluesky.syndicate", "BlueskyPlatform"),
    "tumblr": ("generator.platforms.tumblr.syndicate", "TumblrPlatform"),
    "micropub": ("generator.platforms.micropub.syndicate", "MicropubPlatform"),
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
