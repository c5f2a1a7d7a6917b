"""Hypothesis strategies for Markdown documents rich in the constructs where two parsers tend to part ways.

Inline pieces (CJK and emoji beside punctuation and delimiters, emphasis, links, images with markup in their
description, footnotes, HTML and comments, tabs) make lines; lines make blocks (headings, fences, tables with
and without pipes, HTML blocks, footnote and link definitions); blocks nest in blockquotes, lists and
definition lists, and are joined by one or two line breaks, so lazy continuation lines happen too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hypothesis import strategies as st

WORDS = (
    "word alpha b x1 中文 日本語 한국어 😀 🍵 é ß Ünï £ € © → — – … « » ¿ a_b snake_case 2024 (c) ... -- AT&T".split()
)
PUNCTUATION = list("'\".,!?:;()-*_~`[]!<>&\\|#$+=") + ["  ", " "]
URLS = ["/x", "/local.png", "/missing.png", "https://example.com/a?b=c&d", "#anchor", "a b", "<a b>", "/p%20q"]
URLS += ["http://例え.jp/"]
URLS += ["javascript:alert(1)", "mailto:a@b.c", "", "/x 'title'", '/x "title"']
HTML_INLINE = ["<b>", "</b>", '<span class="a">', "<br/>", "<!-- c -->", "<!---->", "<!A b>", "<?php x ?>"]
HTML_INLINE += ["<![CDATA[ y ]]>", "<a href='x'>", "&amp;", "&copy;", "&#35;", "&nbsp;", "&bogus;"]
# Rarer, as each sends the whole document to markdown-it-py: the fast path is what needs the most documents.
RARE = ["<!-- a -- b -->", "<!-->", "<!--->", "<!doctype x>", "^[a [b](/c) d]", "^[中文]", "^[]", "^", "\t"]

BLOCKS = ["***", "---", "- - -", "___", "<!-- more -->", "<div>", "<div>\n*x*\n</div>", "<?x?>", "</p>"]
BLOCKS += ["[ref]: /r 'T'", "[^1]: note", "[^2]: two\n    more", "[^中]: 中文 *x*"]
BLOCKS = BLOCKS * 3 + ["<!-- a -- b -->", "<!-->", "<!doctype html>", "[^1]:\tx"]


def _wrap(inner: st.SearchStrategy[str], left: str, right: str | None = None) -> st.SearchStrategy[str]:
    return inner.map(lambda text: f"{left}{text}{left if right is None else right}")


word = st.sampled_from(WORDS)
plain = st.lists(st.one_of(word, st.sampled_from(PUNCTUATION)), min_size=1, max_size=4).map("".join)
_LEAF_ATOMS = st.one_of(
    plain,
    st.sampled_from(HTML_INLINE * 3 + RARE),
    st.sampled_from(["<https://example.com/x>", "<a@b.co>", "[ref]", "[ref][]", "[^1]", "[^2]", "[^中]"]),
    st.sampled_from(["  \n", "\\\n", "\n", "[ ] ", "[x] ", "*", "_", "[", "]", "![", "~"]),
)


def _atoms(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Inline content one level deeper than `inner`: emphasis, code, links, images and footnotes around it."""
    wrapped = st.one_of(
        *(_wrap(inner, mark) for mark in ("*", "_", "**", "__", "~~")),
        _wrap(plain, "`"),
        _wrap(plain, "``"),
        st.tuples(st.sampled_from(["[", "!["]), inner, st.sampled_from(URLS)).map(
            lambda parts: f"{parts[0]}{parts[1]}]({parts[2]})"
        ),
        st.lists(word, min_size=1, max_size=3).map(lambda words: f"^[note {' '.join(words)}]"),
    )
    return st.lists(st.one_of(_LEAF_ATOMS, _LEAF_ATOMS, wrapped), min_size=1, max_size=4).map(" ".join)


inline = _atoms(_atoms(st.lists(_LEAF_ATOMS, min_size=1, max_size=3).map(" ".join)))
line = st.tuples(inline, st.sampled_from(["", " ", "  ", "\t"])).map("".join)
lines = st.lists(line, min_size=1, max_size=3).map("\n".join)


def _table(rows: list[list[str]], pipes: bool, align: str) -> str:
    width = len(rows[0])
    rows = [(row + [""] * width)[:width] for row in rows]
    cells = [[cell.replace("\n", " ") for cell in row] for row in rows]
    delimiter = [align] * width
    body = [cells[0], delimiter, *cells[1:]]
    if pipes:
        return "\n".join("| " + " | ".join(row) + " |" for row in body)
    return "\n".join(" | ".join(row) if width > 1 else row[0] for row in body)


leaf = st.one_of(
    lines,
    lines,
    st.tuples(st.integers(1, 6), line).map(lambda pair: "#" * pair[0] + " " + pair[1]),
    st.tuples(line, st.sampled_from(["===", "---", "-", "= ="])).map("\n".join),
    st.tuples(st.sampled_from(["```", "~~~", "````", "```python", "``` js x", "~~~ 中"]), lines).map(
        lambda pair: f"{pair[0]}\n{pair[1]}\n{pair[0][:3] if pair[0][0] == '`' else '~~~'}"
    ),
    lines.map(lambda text: "\n".join("    " + part for part in text.split("\n"))),
    st.sampled_from(BLOCKS),
    st.tuples(
        st.lists(st.lists(inline, min_size=1, max_size=3), min_size=1, max_size=3),
        st.booleans(),
        st.sampled_from(["---", ":--", "--:", ":-:", "-"]),
    ).map(lambda parts: _table(*parts)),
    st.tuples(st.sampled_from(["[^1]: ", "[^2]: ", "[ref]: "]), line).map("".join),
)


def _prefix(first: str, rest: str) -> Callable[[str], str]:
    return lambda text: "\n".join(
        (first if index == 0 else rest) + part if part else part for index, part in enumerate(text.split("\n"))
    )


def _containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(st.sampled_from([">", "> ", "> ", " > ", "> ", ">", "> ", " > ", ">\t"]), children).map(
            lambda p: _prefix(p[0], p[0])(p[1])
        ),
        st.tuples(st.sampled_from(["- ", "* ", "+ ", "1. ", "2) ", "-\t", "- [ ] ", "- [x] "]), children).map(
            lambda p: _prefix(p[0], " " * len(p[0].expandtabs(4)))(p[1])
        ),
        st.tuples(st.lists(children, min_size=1, max_size=3), st.sampled_from(["- ", "1. ", "* "])).map(
            lambda p: "\n".join(_prefix(p[1], " " * len(p[1]))(item) for item in p[0])
        ),
        st.tuples(line, st.sampled_from([": ", ":   ", "~ ", ": ", ": ", ":   ", "~ ", ": ", ":\t"]), children).map(
            lambda p: p[0] + "\n" + _prefix(p[1], " " * len(p[1].expandtabs(4)))(p[2])
        ),
        st.tuples(st.sampled_from(["[^1]: ", "[^2]: "]), children).map(lambda p: _prefix(p[0], "    ")(p[1])),
    )


block = st.recursive(leaf, _containers, max_leaves=4)
_document = st.lists(st.tuples(block, st.sampled_from(["\n\n", "\n", "\n\n\n"])), min_size=1, max_size=5).map(
    lambda parts: "".join(text + sep for text, sep in parts)
)


# What sends a document to markdown-it-py whole, made harmless, so that half the documents test the fast path
_TAME = str.maketrans({"\t": " ", "£": "é", "€": "é", "©": "é", "→": "é", "😀": "中", "🍵": "中"})
_TAME_HTML = re.compile(r"<!--(?:->|>)|<!-- a -- b -->|<!doctype|\^\[")


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A Markdown document of a few blocks (a strategy with a short name, for hypothesis' reports)."""
    text = draw(_document)
    return text if draw(st.booleans()) else _TAME_HTML.sub("<!-- c -->", text.translate(_TAME))
