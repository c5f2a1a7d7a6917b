"""Which Markdown engine a build uses: the fast path (markdown_rs) where it is installed, else the Python path.

Both give the same HTML (tests/test_commonmark_spec.py, tests/test_markdown_fuzz.py and the corpus in
tests/markdown_corpus/ hold them to it); `HOMEPOST_MARKDOWN=python` chooses the Python path.
"""

from __future__ import annotations

import os

from generator.content.markdown import MarkdownRenderer
from generator.content.markdown_rs import RustMarkdownRenderer, available

MarkdownEngine = MarkdownRenderer | RustMarkdownRenderer


def markdown_engine() -> MarkdownEngine:
    """The renderer a build uses: the Rust parse when markdown-it-pyrs is installed (and
    HOMEPOST_MARKDOWN is not "python"), else markdown-it-py. Both give the same HTML."""
    if available() and os.environ.get("HOMEPOST_MARKDOWN", "").lower() != "python":
        return RustMarkdownRenderer()
    return MarkdownRenderer()
