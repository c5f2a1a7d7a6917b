"""The golden site's whole output, byte for byte. Refresh after intended changes: `make golden`."""

from __future__ import annotations

import difflib
from pathlib import Path

from tests.golden import EXPECTED, build_golden
from tests.helpers import snapshot


def test_golden_site_output_matches_expected(tmp_path: Path) -> None:
    build_golden(tmp_path / "out")
    actual, expected = snapshot(tmp_path / "out"), snapshot(EXPECTED)
    assert sorted(actual) == sorted(expected), "files differ; run `make golden` if the change is intended"
    for name in sorted(expected):
        if actual[name] != expected[name]:
            diff = difflib.unified_diff(
                expected[name].decode("utf-8", "replace").splitlines(),
                actual[name].decode("utf-8", "replace").splitlines(),
                f"expected/{name}", f"actual/{name}", lineterm="", n=2,
            )  # fmt: skip
            raise AssertionError("\n".join(list(diff)[:60]) + "\n(run `make golden` if the change is intended)")
