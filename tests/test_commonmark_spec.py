"""The CommonMark 0.31.2 spec's 652 examples render byte for byte the same on both Markdown paths.

Not against the spec's expected HTML: Homepost's renderer adds typography, anchors and its own code blocks.
The examples come from the npm package commonmark-spec (tests/browser/package.json, installed by
tools/ci-setup.sh); without it the tests are skipped, except in CI, where they fail.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest

pytest.importorskip("markdown_it_pyrs")

from tests.markdown_helpers import assert_same  # noqa: E402

SPEC = Path(__file__).resolve().parent / "browser" / "node_modules" / "commonmark-spec" / "spec.txt"
EXAMPLES = 652
# as the package's index.js reads them: the fenced examples before "END TESTS", Markdown and HTML parted by "."
_EXAMPLE = re.compile(r"^`{32} example\n([\s\S]*?)^\.\n[\s\S]*?^`{32}$", re.M)


@functools.cache
def spec_examples() -> tuple[str, ...]:
    """The Markdown of every example in the spec, tabs written as tabs again."""
    text = SPEC.read_text(encoding="utf-8").split("\n<!-- END TESTS -->", 1)[0]
    return tuple(markdown.replace("\u2192", "\t") for markdown in _EXAMPLE.findall(text))


def _require_spec() -> None:
    if not SPEC.is_file():
        message = f"{SPEC} is missing: run tools/ci-setup.sh (it installs the npm package commonmark-spec)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_the_spec_has_all_its_examples():
    _require_spec()
    assert len(spec_examples()) == EXAMPLES


@pytest.mark.parametrize("number", range(1, EXAMPLES + 1))
def test_spec_example_renders_the_same_on_both_paths(engines, images, number):
    _require_spec()
    assert_same(engines, images, spec_examples()[number - 1], f"example-{number}")
