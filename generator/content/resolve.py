"""How a URL written in a content file becomes the URL it is published as."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from generator.config import Config
from generator.content.links import line_of, missing_media
from generator.content.markdown import Link
from generator.content.sources import Source, is_markdown
from generator.errors import ContentError, Problem

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def resolver(config: Config, urls: dict[str, str], source: Source) -> Callable[[str], Link]:
    """How URLs written in `source` become published URLs, `urls` giving each content file's URL path."""
    root = config.content_dir
    folder = PurePosixPath(source.rel).parent
    display = f"content/{source.rel}"

    def resolve(url: str) -> Link:
        if is_external(url):
            return Link(url)
        parts = urlsplit(url)
        suffix = (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
        if url.startswith("/"):
            rel = unquote(parts.path).lstrip("/")
            local = root / rel
            if local.is_file():
                return Link(config.path_url(parts.path) + suffix, local)
            return Link(config.path_url(parts.path) + suffix, missing=missing_media(config, rel))
        rel = os.path.normpath((folder / unquote(parts.path)).as_posix()).replace(os.sep, "/")
        if rel in urls:
            local = root / rel
            return Link(urls[rel] + suffix, None if is_markdown(rel) else local)
        if is_markdown(rel):
            line = line_of((root / source.rel).read_text(encoding="utf-8", errors="replace"), url)
            raise ContentError(Problem(display, f"links to {url!r}, which is not a published post or page", line=line))
        return Link(url, missing=True)

    return resolve


def is_external(url: str) -> bool:
    """True for a URL left as written: empty, a fragment or query of the page itself, or one with a scheme or host."""
    return not url or url.startswith(("#", "//", "?")) or _SCHEME.match(url) is not None
