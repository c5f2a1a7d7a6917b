"""Markdown to HTML: CommonMark plus the extensions writers expect, with Pygments highlighting."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from generator.text import slugify

MORE_MARKER = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)  # `<!--more-->` too, as Hugo and Jekyll write it
MAX_NESTING = 20  # markdown-it-py's maxNesting in the commonmark preset: deeper blocks and links are not parsed


@dataclass(frozen=True)
class Link:
    """Where a URL written in Markdown really points."""

    url: str  # the URL to put in the page
    file: Path | None = None  # the local file behind it, when there is one
    missing: bool = False  # a local file it names does not exist (the reader warns, with the line)


# Resolves a URL as written in a post to the URL to publish and the local file behind it.
Resolver = Callable[[str], Link]


@dataclass(frozen=True)
class Rendered:
    """A post's body as HTML, and its excerpt."""

    html: str
    summary_html: str
    has_more: bool  # the author marked the excerpt with <!-- more -->


class MarkdownTooDeep(Exception):
    """A document nested so deeply that rendering it ran out of Python's stack (the build names the file)."""


class MarkdownRenderer:
    """One configured markdown-it parser, reused for every file of a build."""

    def __init__(self) -> None:
        md = MarkdownIt("commonmark", {"html": True, "typographer": True, "maxNesting": MAX_NESTING})
        md.enable(["table", "strikethrough", "replacements", "smartquotes"])
        md.use(footnote_plugin).use(tasklists_plugin, label=True).use(deflist_plugin)
        md.use(anchors_plugin, min_level=2, max_level=4, slug_func=slugify, permalink=True, permalinkSymbol="#")
        md.add_render_rule("fence", _render_fence)
        md.add_render_rule("code_block", _render_fence)
        md.add_render_rule("image", _render_image)
        md.add_render_rule("table_open", _render_table_open)
        md.core.ruler.push("homepost_urls", _resolve_urls)
        self._md = md

    def render(self, text: str, doc_id: str, resolve: Resolver) -> Rendered:
        """Render a post body; `doc_id` keeps footnote ids unique when posts share a page."""
        env: EnvType = {"docId": doc_id, "resolve": resolve}
        try:  # markdown-it-py limits nesting (maxNesting, 20 levels): this is a safety net, never seen to catch
            tokens = self._md.parse(text, env)
            body = self._md.renderer.render(tokens, self._md.options, env)
            cut = _more_index(tokens)
            summary_tokens = tokens[:cut] if cut is not None else _first_paragraph(tokens)
            summary = self._md.renderer.render(summary_tokens, self._md.options, env) if summary_tokens else ""
        except RecursionError:
            raise MarkdownTooDeep(f"Markdown nested too deeply to render (more than {MAX_NESTING} levels)") from None
        return Rendered(body, summary, cut is not None)

    def render_inline(self, text: str, resolve: Resolver) -> str:
        """Render one line of Markdown (a summary from the front matter) without a paragraph."""
        env: EnvType = {"resolve": resolve}
        return self._md.renderer.render(self._md.parseInline(text, env), self._md.options, env)


def _more_index(tokens: list[Token]) -> int | None:
    for index, token in enumerate(tokens):
        if token.type == "html_block" and token.level == 0 and is_more_marker(token.content):
            return index
    return None


def is_more_marker(html: str) -> bool:
    """Whether an HTML block is the excerpt break: `<!-- more -->`, with or without spaces, in any case."""
    return MORE_MARKER.fullmatch(html.strip()) is not None


def _first_paragraph(tokens: list[Token]) -> list[Token]:
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0:
            return tokens[index : index + 3]
    return []


def _render_fence(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return highlight_code(tokens[idx].info, tokens[idx].content)


def highlight_code(info: str, code: str) -> str:
    """A code block as HTML: highlighted by Pygments when the info string names a language it knows."""
    language = info.strip().split(maxsplit=1)[0] if info.strip() else ""
    if language:
        from pygments import highlight  # imported here: most builds render no code block at all

        lexer = _lexer(language)
        if lexer is not None:
            # tabindex: a block that scrolls sideways must be reachable from the keyboard
            return highlight(code, lexer, _formatter()).replace("<pre>", '<pre tabindex="0">', 1)
    css = f' class="language-{html.escape(language)}"' if language else ""
    return f'<div class="highlight"><pre tabindex="0"><code{css}>{html.escape(code)}</code></pre></div>\n'


@functools.lru_cache(maxsize=256)
def _lexer(language: str) -> Any:
    """Pygments' lexer for a language name, or None; looked up once (a lookup scans every lexer)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return None


@functools.cache
def _formatter() -> Any:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(cssclass="highlight", wrapcode=True)


def _resolve_urls(state: StateCore) -> None:
    """Turn every link and image URL into the URL it will have once published, once per parse.

    Local images also learn their size, so the browser can reserve their space.
    """
    resolve: Resolver = state.env["resolve"]
    stack = list(state.tokens)
    while stack:
        token = stack.pop()
        if token.children:
            stack.extend(token.children)
        attr = "href" if token.type == "link_open" else "src" if token.type == "image" else None
        if attr is None:
            continue
        url = str(token.attrs.get(attr, ""))
        if not url or url.startswith("#"):
            continue
        link = resolve(url)
        token.attrSet(attr, link.url)
        if token.type == "image" and link.file is not None:
            width, height = image_size(link.file)
            if width is not None and height is not None:
                token.attrSet("width", str(width))
                token.attrSet("height", str(height))
            token.attrSet("loading", "lazy")
            token.attrSet("decoding", "async")


def _render_table_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A table that scrolls sideways on a phone must be reachable from the keyboard."""
    return "<table" + self.renderAttrs(tokens[idx].copy(attrs={**tokens[idx].attrs, "tabindex": "0"})) + ">\n"


def _render_image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    attrs = {**token.attrs, "alt": self.renderInlineAsText(token.children or [], options, env)}
    return "<img" + self.renderAttrs(token.copy(attrs=attrs)) + ">"


def image_size(path: Path | None) -> tuple[int, int] | tuple[None, None]:
    """Width and height of a local image, or (None, None) when there is none or they cannot be read."""
    if path is None:
        return None, None
    import imagesize  # imported here: most builds measure no image

    try:
        width, height = imagesize.get(path)
    except (OSError, ValueError):
        return None, None
    return (int(width), int(height)) if width > 0 and height > 0 else (None, None)


def highlight_css(light: str, dark: str) -> str:
    """Pygments stylesheet: the light style by default, the dark one under prefers-color-scheme."""
    from pygments.formatters import HtmlFormatter

    light_css = HtmlFormatter(style=light).get_style_defs(".highlight")
    dark_css = HtmlFormatter(style=dark).get_style_defs(".highlight")
    indented = "\n".join("  " + line for line in dark_css.splitlines())
    return f"{light_css}\n@media (prefers-color-scheme: dark) {{\n{indented}\n}}\n"
