"""Where a URL is written in a Markdown file, for warnings and errors that name the line."""

from __future__ import annotations

import logging
import mimetypes
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote

from generator.config import Config
from generator.content.markdown import Link
from generator.errors import Problem

log = logging.getLogger(__name__)

# Where a destination is written, most telling first: `](url`, a reference `[x]: url`, then any
# place a URL can start (`image: url`, `src="url"`, a word of its own).
_BEFORE = (r"\]\(\s*<?", r"^ {0,3}\[[^\]\n]+\]:[ \t]*\n?[ \t]*<?", r"(?<![^\s(<\"'=:])")
_AFTER = r"(?![^\s)>\"'])"


def line_of(text: str, url: str) -> int | None:
    """The 1-based line of `text` (a whole file, front matter included) where `url` is first written.

    Found in the text itself, not in a parser's tokens, so that both Markdown engines (and front
    matter keys such as `image:`) give the same line. A URL as the parser passes it may be
    percent-encoded: it is looked for as written too.
    """
    for before in _BEFORE:
        for candidate in dict.fromkeys((url, unquote(url))):
            match = re.search(f"{before}({re.escape(candidate)}){_AFTER}", text, re.MULTILINE)
            if match:
                return text.count("\n", 0, match.start(1)) + 1
    return None


def warn_missing_links(root: Path, rel: str, links: Iterable[tuple[str, Link, object]]) -> None:
    """Warn of each local file a post links to that does not exist, with the line where it is written."""
    missing = list(dict.fromkeys(url for url, link, _ in links if link.missing))  # each URL once, whichever engine
    if not missing:
        return
    text = (root / rel).read_text(encoding="utf-8", errors="replace")
    for url in missing:
        log.warning("%s", Problem(f"content/{rel}", f"links to {url!r}, which does not exist", line=line_of(text, url)))


def missing_media(config: Config, rel: str) -> bool:
    """True for a root-relative image, audio or video file (none in content/) in neither static/ nor the theme's."""
    kind = mimetypes.guess_type(rel)[0] or ""
    if not kind.startswith(("image/", "audio/", "video/")):
        return False  # a page's URL, a feed: not a file to look for
    from generator.render import theme_dir  # here: only for a link to a file content/ lacks

    return not any((folder / "static" / rel).is_file() for folder in (config.root, theme_dir(config)))
