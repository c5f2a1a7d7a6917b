"""Markdown at the edges: deep nesting, Rust panics and stack overflows, on both paths; a build never crashes."""

from __future__ import annotations

import inspect
import sys

import pytest

pytest.importorskip("markdown_it_pyrs")

from generator.content.markdown import MAX_NESTING, MarkdownRenderer, MarkdownTooDeep  # noqa: E402
from generator.content.markdown_guards import python_only  # noqa: E402
from tests.conftest import SiteFactory  # noqa: E402
from tests.helpers import build  # noqa: E402
from tests.markdown_helpers import Recorder, assert_same  # noqa: E402

DEEP = 100_000
PATHOLOGICAL = {
    "blockquotes": ">" * DEEP + " x",
    "list_markers": "- " * DEEP + "x",
    "ordered_markers": "1. " * DEEP + "x",
    "quoted_lists": "> - " * (DEEP // 2) + "x",
    "definition_markers": "T\n" + ": " * DEEP + "x",
    "open_brackets": "[" * DEEP,
    "nested_brackets": "[" * DEEP + "a" + "]" * DEEP,
    "emphasis_runs": "*" * DEEP + "a" + "*" * DEEP,
    "nested_emphasis": "*a " * (DEEP // 10) + "b*" * (DEEP // 10),
    "nested_images": "![" * (DEEP // 10) + "a" + "](b)" * (DEEP // 10),
    "indented_lists": "".join(" " * (2 * depth) + "- a\n" for depth in range(2000)),
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_documents_render_the_same_on_both_paths(engines, images, name):
    assert_same(engines, images, PATHOLOGICAL[name])


AT_THE_LIMIT = [
    ">" * (MAX_NESTING + 1) + " x",
    "- " * MAX_NESTING + "x",
    "[" * (MAX_NESTING + 1) + "a" + "]" * (MAX_NESTING + 1) + "(b)",
    "".join("  " * depth + "- a\n" for depth in range(MAX_NESTING // 2 + 1)),
    "[^1]: " + "> " * MAX_NESTING + "x",
]


@pytest.mark.parametrize("text", AT_THE_LIMIT)
def test_documents_nested_to_the_limit_are_left_to_markdown_it_py(engines, images, text):
    _, rust = engines
    before = rust.fallbacks
    assert_same(engines, images, text)
    assert rust.fallbacks == before + 1


def test_shallow_documents_keep_the_fast_path():
    shallow = [">" * 10 + " x", "- " * 6 + "x", "[" * 10 + "a" + "]" * 10]
    shallow += ["\n".join("  " * depth + "- a" for depth in range(6))]
    shallow += ["```\n" + " " * 40 + "code\n```", "-" * 60, "| a |\n|---|\n| b |", "*a* " * 400]
    for text in shallow:
        assert python_only(text) is None, text


def test_rust_panic_text_never_reaches_the_terminal(engines, images, capfd, monkeypatch):
    monkeypatch.setenv("RUST_BACKTRACE", "1")
    _, rust = engines
    before = rust.fallbacks
    for text in ("[`", "a ^[a[] b", "^[a[]", "x ^[中文的脚注]"):  # all but the last panic in markdown-it-pyrs 0.4.0
        assert_same(engines, images, text)
    print("after", file=sys.stderr)
    assert rust.fallbacks == before + 4
    assert capfd.readouterr().err == "after\n"


def test_markdown_it_py_out_of_stack_is_a_named_error(images):
    python = MarkdownRenderer()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 40)  # a stack that 15 nested blockquotes overflow
    try:
        with pytest.raises(MarkdownTooDeep, match="nested too deeply"):
            python.render("> " * 15 + "x", "doc", Recorder(images))
    finally:
        sys.setrecursionlimit(limit)


def test_posts_the_fast_path_got_wrong_build(make_site: SiteFactory, capfd):
    site = make_site(
        {
            "content/posts/2024-01-01-tab.md": "---\ntitle: Tab\n---\nTerm\n:\t![](/x.png) — 'quoted'\n",
            "content/posts/2024-01-02-cjk.md": "---\ntitle: CJK\n---\n正文 ^[中文的脚注] and a ^[a[] b\n",
            "content/posts/2024-01-03-deep.md": "---\ntitle: Deep\n---\n" + ">" * DEEP + " x\n",
            "content/posts/2024-01-04-comment.md": "---\ntitle: Comment\n---\nText <!-- TODO -- fix --> here.\n",
        }
    )
    result = build(site)
    assert result.exit_code == 0, result.output
    assert "panicked" not in capfd.readouterr().err
    page = (site / "public/2024/01/comment/index.html").read_text(encoding="utf-8")
    assert "Text <!-- TODO -- fix --> here." in page and "&lt;!--" not in page
