"""The `world` fixture of the syndication tests: a one-post site with Mastodon ("social") and Bluesky ("sky") fakes on
loopback. Registered in conftest.py; a test module that needs a variant defines its own `world(world)`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import MastodonFake
from tests.helpers import write_files
from tests.servers import LoopbackServer, static_site
from tests.sites import two_platform_site_toml

POST = (
    "---\ntitle: Owning your words\ndate: 2026-05-01\ntags: [IndieWeb, 播客]\n"
    "summary: Why the original lives at home.\n---\nA body that stays home. 下了一夜的雨。\n"
)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The site folder, its loopback host, and the Mastodon and Bluesky fakes, credentials in the environment."""
    root = tmp_path / "site"
    with LoopbackServer() as host, MastodonFake() as mastodon, FakeBluesky() as bluesky:
        host.fallback = static_site(root / "public")
        write_files(
            root,
            {
                "site.toml": two_platform_site_toml(host.url("/"), mastodon.url, bluesky.handle, bluesky.url),
                "content/posts/owning.md": POST,
            },
        )
        monkeypatch.setenv("HOMEPOST_SOCIAL_TOKEN", mastodon.token)
        monkeypatch.setenv("HOMEPOST_SKY_PASSWORD", bluesky.password)
        monkeypatch.setenv("HOME", str(tmp_path))
        yield root, host, mastodon, bluesky
