"""What a post links to: the targets the sender tells about it.

A post's targets are what it answers in its front matter (in_reply_to, like_of, repost_of,
bookmark_of) followed by every http(s) link in its content, in order, each once. Links to the site
itself are left out (they are the site talking to itself), and so are links that only change the
fragment of the post's own URL.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from generator.model import Post


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = next((value for name, value in attrs if name == "href"), None)
            if href:
                self.hrefs.append(href.strip())


def content_links(html: str, base: str) -> list[str]:
    """Absolute URLs of the <a href> links in `html`, resolved against `base`, in document order."""
    parser = _Anchors()
    parser.feed(html)
    parser.close()
    return [urljoin(base, href) for href in parser.hrefs]


def outgoing_links(post: Post, site_url: str) -> tuple[str, ...]:
    """The Webmention targets of `post`: what it cites, then what its content links, each once."""
    candidates = [cite.url for cite in post.cites] + content_links(post.content_html, post.url)
    site = urlsplit(site_url)
    found: dict[str, None] = {}
    for url in candidates:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        own = parts.hostname == site.hostname and parts.port == site.port and parts.path.startswith(site.path or "/")
        if own:
            continue
        found.setdefault(url, None)
    return tuple(found)
