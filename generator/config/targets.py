"""The settings of syndication: `[syndication]` and its targets, `[syndication.<name>]`.

Declared like those of `settings`: each field a key of site.toml, written once with `setting()`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, ClassVar

from generator.config import checks
from generator.config.declare import Found, TableRules, named, setting, tables

PLATFORMS = ("mastodon", "bluesky", "tumblr", "micropub")
PUBLIC_APPVIEW = "https://public.api.bsky.app"
PLATFORM_NEEDS = {"mastodon": "instance", "bluesky": "handle", "tumblr": "blog", "micropub": "endpoint"}
URL_KEYS = ("instance", "service", "appview", "endpoint", "api")
CREDENTIAL_KEYS = (
    *("token", "password", "app_password", "access_token", "refresh_token", "client_id", "client_secret"),
    *("consumer_key", "consumer_secret", "oauth_token", "oauth_token_secret", "secret"),
)


def _target_secret(name: str, secret: str) -> str | None:
    if secret not in CREDENTIAL_KEYS:
        return None
    return checks.secret_message(name, "password" if "password" in secret else "token")


def _target_needs(values: dict[str, Any], name: str, data: dict[str, Any]) -> Found:
    """The key each platform needs, and https unless `[network] allow_private_addresses`."""
    if "platform" not in values:
        return
    needed = PLATFORM_NEEDS[values["platform"]]
    if needed not in data["syndication"][name]:  # written but wrong: said already
        yield needed, f"required for platform {values['platform']!r}"
        return
    network = data.get("network")
    if isinstance(network, dict) and network.get("allow_private_addresses") is True:
        return
    for url_key in URL_KEYS:
        if str(values.get(url_key, "")).startswith("http://"):
            yield url_key, "expected an https URL (plain http only with [network] allow_private_addresses = true)"


def _base(url: str) -> str:
    return url.rstrip("/")


@dataclass(frozen=True)
class TargetSettings:
    """`[syndication.<name>]`: one account on one platform that posts are copied to."""

    TOML: ClassVar[TableRules] = TableRules(secret=_target_secret, check=_target_needs)

    name: str = named()
    platform: str = setting(
        doc="the platform", choices=PLATFORMS, expected="one of " + ", ".join(repr(p) for p in PLATFORMS)
    )
    instance: str = setting(
        "",
        "Mastodon (and compatible servers): base URL of the instance",
        expected='the instance\'s base URL, such as "https://mastodon.social"',
        check=checks.base_url,
        convert=_base,
    )
    service: str = setting(
        "https://bsky.social",
        "Bluesky: the PDS that holds the account",
        expected='the PDS base URL, such as "https://bsky.social"',
        check=checks.base_url,
        convert=_base,
    )
    handle: str = setting(
        "",
        "Bluesky: the account's handle",
        expected='a handle such as "alice.bsky.social"',
        check=checks.handle,
        convert=lambda handle: handle.lstrip("@"),
    )
    appview: str = setting(
        PUBLIC_APPVIEW,
        "Bluesky: where threads, likes and reposts are read",
        expected="an AppView base URL",
        check=checks.base_url,
        convert=_base,
    )
    blog: str = setting(
        "",
        "Tumblr: the blog's name (`example` or `example.tumblr.com`)",
        expected='a blog name such as "example" or "example.tumblr.com"',
        check=checks.blog,
        convert=lambda blog: blog.removesuffix(".tumblr.com"),
    )
    endpoint: str = setting(
        "",
        "Micropub: the endpoint URL",
        expected="the Micropub endpoint URL",
        check=checks.endpoint,
    )
    api: str = setting(
        "https://api.tumblr.com",
        "Tumblr: base URL of the API (for tests and proxies)",
        expected="a base URL",
        check=checks.base_url,
        convert=_base,
    )
    visibility: str = setting("public", "Mastodon: who sees the copies", choices=("public", "unlisted", "private"))
    content_warning: bool = setting(True, "use the post's `content_warning` where the platform has them")
    since: str = setting(
        "",
        "posts published before this date never go to this target",
        expected="a date such as 2026-01-01",
        accepts=checks.DATE,
        check=checks.iso_date,
        convert=checks.date_text,
        shown="unset",
    )

    @property
    def base_url(self) -> str:
        """The URL of the account's server: instance, service, API or endpoint."""
        return {"mastodon": self.instance, "bluesky": self.service, "tumblr": self.api, "micropub": self.endpoint}[
            self.platform
        ]


def _default_targets(values: dict[str, Any], name: str, data: dict[str, Any]) -> Found:
    """Every name in `default` is one of the targets (written: a target's own problems are said on it)."""
    names = [target for target in data["syndication"] if target != "default"]
    for unknown in [d for d in values.get("default", ()) if d not in names]:
        hint = difflib.get_close_matches(unknown, names, n=1)
        if hint:
            more = f"; did you mean '{hint[0]}'?"
        else:
            more = f"; expected one of {', '.join(names)}" if names else f"; define it as [syndication.{unknown}]"
        yield "default", f"unknown target {unknown!r}{more}"


def _names(value: list[Any]) -> str | None:
    return None if all(isinstance(v, str) for v in value) else "expected a list of target names"


@dataclass(frozen=True)
class SyndicationSettings:
    """`[syndication]`: the targets and where posts go unless they say otherwise."""

    TOML: ClassVar[TableRules] = TableRules(check=_default_targets)

    targets: tuple[TargetSettings, ...] = tables(
        "a syndication target: see [Syndication](#syndication-posse)",
        name=r"[a-z0-9][a-z0-9_-]*",
        rule="a lower-case name of letters, digits, '-' and '_'",
        rest=True,
    )
    default: tuple[str, ...] = setting(
        (),
        "the targets every post goes to unless its front matter says otherwise",
        expected="a list of target names",
        check=_names,
    )

    def target(self, name: str) -> TargetSettings | None:
        """The target called `name`, if there is one."""
        return next((t for t in self.targets if t.name == name), None)
