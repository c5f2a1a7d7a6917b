"""Shared fixtures: small sites written into a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import SITE_TOML, write_files

SiteFactory = Callable[..., Path]

# Fixtures defined in helper modules, available to every test module without importing them by name.
pytest_plugins = ["tests.markdown_helpers", "tests.syndication_world", "tests.fedify_peer"]


@pytest.fixture
def make_site(tmp_path: Path) -> SiteFactory:
    """Write a site (site.toml plus the given files) and return its folder."""

    def make(files: dict[str, str | bytes] | None = None, config: str = SITE_TOML, name: str = "site") -> Path:
        root = tmp_path / name
        write_files(root, {"site.toml": config, **(files or {})})
        return root

    return make
