"""Rendering one text with both Markdown engines, for the tests that compare them."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.content.markdown import Link, MarkdownRenderer, Rendered
from generator.content.markdown_rs import RustMarkdownRenderer
from tests.helpers import png_bytes

Engines = tuple[MarkdownRenderer, RustMarkdownRenderer]


class Recorder:
    """A resolver that records the URLs it is asked about; local images are real files."""

    def __init__(self, images: Path):
        self.images = images
        self.calls: list[str] = []

    def __call__(self, url: str) -> Link:
        self.calls.append(url)
        if url.endswith("local.png") or url == "/img.png":
            return Link("/pub" + url, self.images / "local.png")
        if url.endswith("missing.png"):
            return Link("/pub" + url, self.images / "missing.png")  # a file that cannot be read
        return Link("/site" + url if url.startswith("/") else url)


@pytest.fixture(scope="module")
def engines() -> Engines:
    """Both engines, shared by a test module's tests."""
    return MarkdownRenderer(), RustMarkdownRenderer()


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with one readable image, local.png (3x2)."""
    folder = tmp_path_factory.mktemp("images")
    (folder / "local.png").write_bytes(png_bytes(3, 2))
    return folder


def assert_same(engines: Engines, images: Path, text: str, doc_id: str = "doc") -> Rendered:
    """Render `text` with both engines and assert the same HTML, excerpt and resolved URLs."""
    python, rust = engines
    expected_calls, calls, fallbacks = Recorder(images), Recorder(images), rust.fallbacks
    expected, rendered = python.render(text, doc_id, expected_calls), rust.render(text, doc_id, calls)
    assert rendered.html == expected.html, f"the engines differ on {text!r}"
    assert rendered.summary_html == expected.summary_html, f"the excerpts differ on {text!r}"
    assert rendered.has_more == expected.has_more
    # each URL once, in any order; a document the fast path hands to markdown-it-py may have had more resolved
    assert len(calls.calls) == len(set(calls.calls)) and set(calls.calls) >= set(expected_calls.calls)
    if not rust.fallbacks > fallbacks:
        assert set(calls.calls) == set(expected_calls.calls)
    return rendered
