"""Every platform in the registry has the same shape, and its HTTP errors take the one path in base.py.

Each platform is a folder with `client`, `syndicate` and `backfeed` modules; its class implements
every method of the Platform protocol. An HTTP error from each platform's fake server
(tests/fakes/*) becomes a PlatformError through `generator.platforms.base.reply_error`, with the
same classes for the same statuses and the one Retry-After reader.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from generator.config import NetworkSettings, TargetSettings
from generator.credentials import TargetCredentials
from generator.http import HttpClient
from generator.platforms import PLATFORMS, make_platform
from generator.platforms import base as platform_base
from generator.platforms.base import Entry, Platform, PlatformError
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import MastodonFake
from tests.fakes.micropub import FakeMicropub
from tests.fakes.tumblr import FakeTumblr

NETWORK = NetworkSettings(allow_private_addresses=True, timeout=2)
ENTRY = Entry(
    url="https://example.org/notes/hello/",
    title=None,
    text="Hello.",
    summary="",
    html="<p>Hello.</p>",
    tags=(),
    images=(),
    content_warning="",
    language="en",
    published=dt.datetime(2026, 5, 4, tzinfo=dt.UTC),
    key="k" * 32,
)
PROTOCOL_METHODS = ("verify", "render", "create", "find", "update", "delete", "responses")


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_every_platform_is_a_folder_of_client_syndicate_and_backfeed(name: str) -> None:
    module_path, class_name = PLATFORMS[name]
    assert module_path == f"generator.platforms.{name}.syndicate"
    sides = ("client", "syndicate", "backfeed")
    client, syndicate, backfeed = (importlib.import_module(f"generator.platforms.{name}.{side}") for side in sides)
    assert callable(getattr(syndicate, "authorize", None)) and callable(getattr(backfeed, "harvest", None))
    assert client.reply_error is platform_base.reply_error  # the one HTTP-to-error path, behind each client's
    parameters = ["response", "name", "action", "secrets", "unknown_outcome"]
    assert list(inspect.signature(client.http_error).parameters) == parameters
    assert isinstance(client.ERRORS, platform_base.ErrorStyle)  # how the platform words its errors
    cls = getattr(syndicate, class_name)
    for method in PROTOCOL_METHODS:
        ours, theirs = inspect.signature(getattr(cls, method)), inspect.signature(getattr(Platform, method))
        assert list(ours.parameters) == list(theirs.parameters), f"{class_name}.{method}{ours} is not {theirs}"
    assert isinstance(cls.can_update, bool) and isinstance(cls.can_backfeed, bool)


# --- one HTTP-to-error path ----------------------------------------------------------------------


Fail = Callable[..., None]  # fail_next(status=..., retry_after=...): the next call that `act` makes fails so
Act = Callable[[], object]  # one call of the platform that reads an answer of its server


def _mastodon(stack: ExitStack, root: Path) -> tuple[Platform, Fail, Act]:
    fake = stack.enter_context(MastodonFake())
    TargetCredentials(root, "masto").save({"token": fake.token})
    target = TargetSettings(name="masto", platform="mastodon", instance=fake.url)
    platform = make_platform(target, HttpClient(NETWORK), TargetCredentials(root, "masto"))
    return platform, partial(fake.fail_next, "/api/v1/accounts/verify_credentials"), platform.verify


def _bluesky(stack: ExitStack, root: Path) -> tuple[Platform, Fail, Act]:
    fake = stack.enter_context(FakeBluesky())
    TargetCredentials(root, "bsky").save({"password": fake.password})
    target = TargetSettings(name="bsky", platform="bluesky", service=fake.url, handle=fake.handle, appview=fake.url)
    platform = make_platform(target, HttpClient(NETWORK), TargetCredentials(root, "bsky"))
    return platform, partial(fake.fail_next, "com.atproto.server.getSession"), platform.verify


def _tumblr(stack: ExitStack, root: Path) -> tuple[Platform, Fail, Act]:
    fake = stack.enter_context(FakeTumblr())
    TargetCredentials(root, "tumblr").save(fake.credentials())
    target = TargetSettings(name="tumblr", platform="tumblr", blog=fake.blog, api=fake.url)
    platform = make_platform(target, HttpClient(NETWORK), TargetCredentials(root, "tumblr"))
    return platform, partial(fake.fail_next, "/v2/user/info"), platform.verify


def _micropub(stack: ExitStack, root: Path) -> tuple[Platform, Fail, Act]:
    fake = stack.enter_context(FakeMicropub(token="mp-token"))
    TargetCredentials(root, "blog").save({"token": "mp-token"})
    target = TargetSettings(name="blog", platform="micropub", endpoint=fake.endpoint)
    platform = make_platform(target, HttpClient(NETWORK), TargetCredentials(root, "blog"))
    fake.fail_next("config", status=404)  # no media endpoint: the create that follows is one request
    return platform, partial(fake.fail_next, "create"), lambda: platform.create(platform.render(ENTRY), ENTRY)


FAKES = {"mastodon": _mastodon, "bluesky": _bluesky, "tumblr": _tumblr, "micropub": _micropub}


@pytest.fixture(params=sorted(PLATFORMS))
def world(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A platform of the registry against its fake, how to make its next answer fail, the call that reads
    it, and the errors `reply_error` made (spied on in the platform's client module)."""
    for name in ("MASTO", "BSKY", "TUMBLR", "BLOG"):
        for key in ("TOKEN", "PASSWORD", "SESSION", "CONSUMER_KEY", "CONSUMER_SECRET", "TOKEN_SECRET"):
            monkeypatch.delenv(f"HOMEPOST_{name}_{key}", raising=False)
    made: list[PlatformError] = []

    def spy(*args: Any, **kwargs: Any) -> PlatformError:
        made.append(platform_base.reply_error(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(importlib.import_module(f"generator.platforms.{request.param}.client"), "reply_error", spy)
    with ExitStack() as stack:
        yield World(*FAKES[request.param](stack, tmp_path), made)


@dataclass(frozen=True)
class World:
    platform: Platform
    fail_next: Fail
    act: Act
    made: list[PlatformError]

    def error(self, **cue: Any) -> PlatformError:
        """The PlatformError the platform raises when its server answers as `cue` says; checked to be the one
        `reply_error` made."""
        self.fail_next(**cue)
        with pytest.raises(PlatformError) as caught:
            self.act()
        assert self.made and caught.value is self.made[-1]
        return caught.value


def test_a_server_error_with_retry_after_is_temporary_and_waits(world: World) -> None:
    error, name = world.error(status=503, retry_after=30), world.platform.target.name
    assert error.temporary and error.retry_after == 30.0 and not error.needs_auth
    assert error.message.startswith(f"{name}: ") and "failed with a server error (503: " in error.message


def test_a_rate_limit_is_temporary_and_waits(world: World) -> None:
    error = world.error(status=429, retry_after=45)
    assert error.temporary and error.retry_after == 45.0 and "was rate-limited (429: " in error.message


def test_a_refusal_asks_for_homepost_auth(world: World) -> None:
    error, name = world.error(status=403), world.platform.target.name
    assert not error.temporary and error.needs_auth and error.retry_after is None
    assert error.message.endswith(f"run `homepost auth {name}`")


def test_a_bad_request_is_permanent(world: World) -> None:
    error = world.error(status=400)
    assert not error.temporary and not error.needs_auth and " failed (400: " in error.message


def test_an_undecided_error_keeps_the_failure_and_marks_the_outcome_unknown() -> None:
    error = PlatformError("social: reading the latest statuses was rate-limited", temporary=True, retry_after=30.0)
    undecided = error.undecided("cannot tell whether a copy exists: ")
    assert undecided.unknown_outcome and not error.unknown_outcome  # a new error, the first one left as it was
    assert undecided.message == "cannot tell whether a copy exists: " + error.message
    assert undecided.temporary and undecided.retry_after == 30.0
