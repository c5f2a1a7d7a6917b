"""The golden site's whole output, byte for byte. Refresh after intended changes: `make golden`."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.golden import EXPECTED, build_golden
from tests.helpers import snapshot

ENGINES = ["default", pytest.param("python", id="markdown-it-py only")]


@pytest.mark.parametrize("engine", ENGINES)
def test_golden_site_output_matches_expected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    """Whichever Markdown engine renders (the Rust parse when installed, or markdown-it-py), the same bytes."""
    monkeypatch.setenv("HOMEPOST_MARKDOWN", engine)
    build_golden(tmp_path / "out")
    actual, expected = snapshot(tmp_path / "out"), snapshot(EXPECTED)
    assert sorted(actual) == sorted(expected), "files differ; run `make golden` if the change is intended"
    for name in sorted(expected):
        if actual[name] != expected[name]:
            diff = difflib.unified_diff(
                expected[name].decode("utf-8", "replace").splitlines(),
                actual[name].decode("utf-8", "replace").splitlines(),
                f"expected/{name}",
                f"actual/{name}",
                lineterm="",
                n=2,
            )
            raise AssertionError("\n".join(list(diff)[:60]) + "\n(run `make golden` if the change is intended)")
