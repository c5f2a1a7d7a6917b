"""A post made platform-neutral: the Entry every platform module formats in its own way."""

from __future__ import annotations

import mimetypes
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin

from generator.config import Config, TargetSettings
from generator.content.markdown import image_size
from generator.digest import digest
from generator.model import Post, Site
from generator.platforms.base import Entry, Media
from generator.webmention.outgoing import outgoing_links

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_BLOCKS = {
    "p",
    "div",
    "li",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "dt",
    "dd",
    "figure",
    "hr",
    "table",
    "ul",
    "ol",
}
_SKIP = {"script", "style", "template", "sup"}  # footnote markers are noise in a short copy


class _Text(HTMLParser):
    """Plain text of rendered content: paragraphs apart, links as "text (URL)", images collected."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.parts: list[str] = []
        self.images: list[tuple[str, str]] = []  # (src, alt)
        self._href: list[str | None] = []
        self._link_text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "a":
            href = values.get("href") or ""
            self._href.append(urljoin(self.base, href) if href and not href.startswith("#") else None)
            self._link_text.append("")
        elif tag == "img" and values.get("src"):
            self.images.append((values["src"] or "", values.get("alt") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self._href:
            href, text = self._href.pop(), self._link_text.pop().strip()
            if (
                href
                and href.startswith(("http://", "https://"))
                and text
                and text.rstrip("/") not in (href.rstrip("/"), href.split("://", 1)[1].rstrip("/"))
            ):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._link_text:
            self._link_text[-1] += data
        self.parts.append(data)

    def text(self) -> str:
        joined = "".join(self.parts)
        joined = re.sub(r"[ \t]*\n[ \t]*", "\n", joined)
        joined = re.sub(r"\n{3,}", "\n\n", joined)
        return re.sub(r"[ \t]{2,}", " ", joined).strip()


def plain_text(html: str, base: str) -> tuple[str, list[tuple[str, str]]]:
    """The text of `html` and its images (src, alt)."""
    parser = _Text(base)
    parser.feed(html)
    parser.close()
    return parser.text(), parser.images


def absolute_html(config: Config, html: str) -> str:
    """Content HTML with the site's root-relative links and images made absolute, and without comments
    (`<!-- more -->` is the site's own marker, not part of a copy)."""
    html = re.sub(r"<!--.*?-->\n?", "", html, flags=re.DOTALL)
    return re.sub(r'(\s(?:href|src)=")(/(?!/)[^"]*)"', lambda m: f'{m.group(1)}{config.absolute(m.group(2))}"', html)


class EntryMaker:
    """Turns posts into Entries for one site: knows where each of the site's files lives on disk."""

    def __init__(self, config: Config, site: Site) -> None:
        self.config = config
        self.files = {config.path_url(f.dest): Path(f.source) for f in site.static_files}

    def entry(self, post: Post, target: TargetSettings) -> Entry:
        """The Entry of `post` for `target` (its key is stable for this post and target)."""
        text, images = plain_text(post.content_html, post.url)
        cover = [(post.image.src, post.image.alt)] if post.image is not None else []
        media = [m for m in (self.media(src, alt) for src, alt in cover + images) if m is not None]
        unique = list({m.path: m for m in media}.values())
        published = post.date or post.updated
        if published is None:  # every post has a date (the reader requires one): pages are never syndicated
            raise ValueError(f"{post.source}: a post without a date cannot be syndicated")
        return Entry(
            url=post.url,
            title=post.title,
            text=text,
            summary=post.summary_text,
            html=absolute_html(self.config, post.content_html),
            tags=tuple(post.taxonomy_names.get("tags", ())),
            images=tuple(unique),
            content_warning=post.content_warning,
            language=post.lang or self.config.site.language,
            published=published,
            key=digest(post.uid, target.name)[:32],
            links=outgoing_links(post, self.config.site.url),
        )

    def media(self, src: str, alt: str) -> Media | None:
        """The site's own image at `src` (a root-relative URL), or None for remote or unknown files."""
        path = self.files.get(unquote(src)) or self.files.get(src)
        if path is None or not path.is_file():
            return None
        mime = mimetypes.guess_type(path.name)[0] or ""
        if mime not in IMAGE_TYPES:
            return None
        width, height = image_size(path)
        return Media(path, self.config.absolute(src), alt, mime, path.stat().st_size, width, height)
