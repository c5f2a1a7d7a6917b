"""Reading aids the theme adds to a post's page: its table of contents and labelled scrolling tables.

Both are read from the post's rendered HTML (the Markdown engines give h2-h4 headings their ids),
so they work alike with every engine and with headings written as HTML.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

_HEADING = re.compile(r"<h([2-4])\b([^>]*)>(.*?)</h\1\s*>", re.IGNORECASE | re.DOTALL)
_ID = re.compile(r"""(?:^|\s)id\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\b[^>]*\bclass\s*=\s*[\"']?header-anchor[^>]*>.*?</a\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SCROLLING_TABLE = '<table tabindex="0">'


@dataclass
class TocItem:
    """One heading in a table of contents, with the headings under it."""

    level: int  # 2, 3 or 4
    anchor: str  # the heading's id
    text: str  # plain text
    children: list[TocItem] = field(default_factory=list)


def headings(content_html: str) -> list[TocItem]:
    """The h2-h4 headings of a post's HTML that have an id, in order (without children)."""
    found = []
    for match in _HEADING.finditer(content_html):
        ids = _ID.search(match.group(2))
        if ids is None:
            continue
        anchor = html.unescape(next(group for group in ids.groups() if group is not None))
        text = " ".join(html.unescape(_TAG.sub("", _ANCHOR.sub("", match.group(3)))).split())
        if anchor and text:
            found.append(TocItem(int(match.group(1)), anchor, text))
    return found


def _at_least(count: int, content_html: str) -> bool:
    """Whether the HTML has `count` h2-h4 elements or more (headings() finds no more than these)."""
    for number, _ in enumerate(_HEADING.finditer(content_html), start=1):
        if number >= count:
            return True
    return False


def nest(items: list[TocItem]) -> list[TocItem]:
    """The headings as a tree: each one under the nearest heading of a higher level before it."""
    roots: list[TocItem] = []
    parents: list[TocItem] = []
    for item in items:
        while parents and parents[-1].level >= item.level:
            parents.pop()
        (parents[-1].children if parents else roots).append(item)
        parents.append(item)
    return roots


def table_of_contents(post: Any, min_headings: int) -> list[TocItem]:
    """The table of contents of a post's page; empty when it gets none.

    `toc: true` in the front matter asks for one, `toc: false` refuses it; otherwise a post has
    one when it has at least `min_headings` headings (0: never unless asked).
    """
    wanted = post.extra.get("toc")
    if wanted is False or post.kind != "post":
        return []
    if wanted is not True and not (min_headings and _at_least(min_headings, post.content_html)):
        return []
    found = headings(post.content_html)
    if wanted is True:
        return nest(found) if found else []
    return nest(found) if min_headings and len(found) >= min_headings else []


def label_tables(content_html: str, label: str) -> Markup:
    """The HTML with an accessible name on each table that scrolls sideways, for keyboard users."""
    if _SCROLLING_TABLE not in content_html:
        return Markup(content_html)
    named = f'<table tabindex="0" aria-label="{html.escape(label)}">'
    return Markup(content_html.replace(_SCROLLING_TABLE, named))
