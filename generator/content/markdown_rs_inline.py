"""Inline content of markdown-it-pyrs' tree, rendered as markdown-it-py renders it (with its own typography code)."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, cast

import mdurl
from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink, normalizeLinkText, validateLink
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.rules_core.replacements import replace_rare, replace_scoped
from markdown_it.rules_core.smartquotes import process_inlines
from markdown_it.token import Token

from generator.content.markdown import Link, image_size
from generator.content.markdown_guards import Unsupported

if TYPE_CHECKING:
    from generator.content.markdown_rs import Document

_TAGS = {"em": ("<em>", "</em>"), "strong": ("<strong>", "</strong>"), "strikethrough": ("<s>", "</s>")}
_PLAIN_URL = re.compile(r"[A-Za-z0-9;/?:@&=+$,\-_.!~*'()#]*")  # normalizeLink returns these unchanged
_ABBREVIATION = re.compile(r"\((?:c|tm|r)\)", re.IGNORECASE)  # replaced by ©, ™, ®
# Lines where the parsers part ways: markdown-it-py ends a paragraph, table or definition list there, or makes a
# setext heading of what precedes; markdown-it-pyrs continues the block (lazily).
_DEFINITION = re.compile(r"\[[^\]]*\]:")
_FOOTNOTE_DEF_LINE = re.compile(r"\n\[\^[^\]\s]+\]:")
_LIST_LINE = re.compile(r"\n(?:[*+-]|\d{1,9}[.)])(?:[ \t]|$)", re.MULTILINE)
_DESCRIPTION_LINE = re.compile(r"\n[:~][ \t]")
_LOOSE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # not between two letters or digits

Out = list[Any]  # HTML pieces: str, or an object whose .html is set once all footnote references are numbered


class _Tok:
    """An inline token as markdown-it-py's typography sees it, and its HTML when it is not text."""

    __slots__ = ("content", "html", "info", "level", "node", "type")

    def __init__(
        self, type: str, level: int, content: str = "", html: Any = "", info: str = "", node: Any = None
    ) -> None:
        self.type, self.level, self.content, self.html, self.info, self.node = type, level, content, html, info, node


def inline_nodes(doc: Document, nodes: Any, out: Out) -> None:
    """Render the content of a paragraph, cell or term: straight from the tree unless it needs typography."""
    start, refs = len(out), len(doc.refs)
    texts: list[str] = []
    _direct(doc, nodes, out, texts)
    lead = out[start] if len(out) > start else None  # a link followed by a colon: a reference definition?
    if type(lead) is str and lead[:3] == "<a " and nodes[0].name == "link":
        end = doc.span(nodes[0])[1]
        if doc._bytes[end : end + 1] == b":":
            raise Unsupported("paragraph that looks like a link reference definition")
    if texts:
        text = "".join(texts)
        if "[" in text or "\n" in text or "`" in text or "*" in text or "~~" in text:
            check_text(doc, text)
        if _typographic(text) or "&" in text or "<" in text or ">" in text:  # start again, with tokens
            del out[start:], doc.refs[refs:]
            emit(inline_tokens(doc, nodes), out)


def _direct(doc: Document, nodes: Any, out: Out, texts: list[str]) -> None:
    """Render inline nodes, collecting their text, which is left unescaped (so inline_nodes checks it)."""
    append = out.append
    for node in nodes:
        name = node.name
        if name == "text":
            content = node.meta["content"]
            texts.append(content)
            append(content)
        elif name == "softbreak" or name == "hardbreak":
            texts.append("\n")
            append("\n" if name == "softbreak" else "<br />\n")
        elif name in _TAGS:
            opening, closing = _TAGS[name]
            append(opening)
            _direct(doc, node.children, out, texts)
            append(closing)
        elif name == "link":
            append(_link_open(doc, node.meta))
            _direct(doc, node.children, out, texts)
            append("</a>")
        else:
            toks: list[_Tok] = []
            _flatten(doc, [node], toks, 0)
            texts.extend([tok.content for tok in toks if tok.type == "text"])
            emit(toks, out)


def check_text(doc: Document, text: str) -> None:
    """Refuse text (lines joined with "\\n") where markdown-it-py would have found blocks, or code spans."""
    if "`" in text:  # a backtick run left as text: markdown-it-pyrs pairs runs differently after a "["
        raise Unsupported("backticks outside code spans")
    if "*" in text or "~~" in text:  # left as text: markdown-it-pyrs pairs delimiters differently around brackets
        raise Unsupported("emphasis or strikethrough delimiters left as text")
    if "_" in text and "[" in text and _LOOSE_UNDERSCORE.search(text):  # likewise, beside a "[" left as text
        raise Unsupported("underscores left as text beside a bracket")
    if text[:1] == "[" and _DEFINITION.match(text):  # markdown-it-py takes more of these as definitions
        raise Unsupported("paragraph that looks like a link reference definition")
    if "\n" in text:
        if "\n[^" in text and _FOOTNOTE_DEF_LINE.search(text):
            raise Unsupported("footnote definition continuing a paragraph")
        if doc.depth["blockquote"] and _LIST_LINE.search(text):  # an empty item, a list not starting at 1
            raise Unsupported("list marker on a line continuing a quoted paragraph")
        if doc.depth["dl"] and _DESCRIPTION_LINE.search(text):
            raise Unsupported("definition marker on a line continuing a paragraph")


def inline_tokens(doc: Document, nodes: Any) -> list[_Tok]:
    """Inline nodes as markdown-it-py's tokens, after its replacements and smart quotes."""
    toks: list[_Tok] = []
    _flatten(doc, nodes, toks, 0)
    if any(tok.type == "text" and _typographic(tok.content) for tok in toks):
        replace_scoped(cast("list[Token]", toks))
        replace_rare(cast("list[Token]", toks))
        if any(tok.type == "text" and ("'" in tok.content or '"' in tok.content) for tok in toks):
            for tok in toks:
                if tok.type == "image":  # a quote next to an image looks at the image's description as written
                    tok.content = _label(doc.source(tok.node))
            process_inlines(cast("list[Token]", toks), _typography())
    return toks


@cache
def _typography() -> StateCore:
    return StateCore("", MarkdownIt("commonmark", {"typographer": True}), {})


def _typographic(text: str) -> bool:
    """Whether markdown-it-py's replacements or smart quotes may change the text (a quick look)."""
    if "'" in text or '"' in text or ".." in text or "--" in text or ",," in text or "+-" in text:
        return True
    return "????" in text or "!!!!" in text or ("(" in text and _ABBREVIATION.search(text) is not None)


def emit(toks: list[_Tok], out: Out) -> None:
    out.extend([escapeHtml(tok.content) if tok.type == "text" else tok.html for tok in toks])


def _label(source: str) -> str:
    """An image's description as written, from its Markdown `![description]...`."""
    depth, index = 0, 1
    while index < len(source):
        char = source[index]
        if char in "`<":  # a code span or tag could hide a bracket
            raise Unsupported("quote next to an image with code or HTML in its description")
        if char == "[" or char == "]":
            depth += 1 if char == "[" else -1
            if not depth:
                return source[2:index]
        index += 2 if char == "\\" else 1
    raise Unsupported("image description without its end")


def _flatten(doc: Document, nodes: Any, toks: list[_Tok], level: int) -> None:
    """Append markdown-it-py's inline tokens for these nodes."""
    for node in nodes:
        name = node.name
        if name == "text":
            content = node.meta["content"]
            if toks and toks[-1].type == "text":  # markdown-it-py joins neighbouring text (fragments_join)
                toks[-1].content += content
            else:
                toks.append(_Tok("text", level, content))
        elif name == "softbreak" or name == "hardbreak":
            toks.append(_Tok(name, level, html="\n" if name == "softbreak" else "<br />\n"))
        elif name in _TAGS or name == "link":
            opening, closing = _TAGS[name] if name in _TAGS else (_link_open(doc, node.meta), "</a>")
            toks.append(_Tok(f"{name}_open", level, html=opening))
            _flatten(doc, node.children, toks, level + 1)
            toks.append(_Tok(f"{name}_close", level, html=closing))
        elif name == "text_special":
            content = node.meta["content"]
            toks.append(_Tok(name, level, content, escapeHtml(content)))
        elif name == "code_inline" or name == "html_inline":
            doc.check_lines(node)
            if name == "code_inline":
                content = "".join([child.meta["content"] for child in node.children])
                if not content.strip(" "):  # markdown-it-pyrs strips spaces even from a code span of only spaces
                    marker = node.meta["marker_len"]
                    content = doc.source(node)[marker:-marker].replace("\n", " ")
                toks.append(_Tok(name, level, content, f"<code>{escapeHtml(content)}</code>"))
            else:
                content = node.meta["content"]
                toks.append(_Tok(name, level, content, content))
        elif name == "autolink":
            href = escapeHtml(_url(doc, node.meta["url"]).url)
            toks.append(_Tok("link_open", level, html=f'<a href="{href}">', info="auto"))
            toks.append(_Tok("text", level + 1, _autolink_text(node)))
            toks.append(_Tok("link_close", level, html="</a>", info="auto"))
        elif name == "image":
            toks.append(_Tok("image", level, html=_image(doc, node), node=node))
        elif name == "footnote_ref":
            toks.append(_Tok(name, level, html=doc.footnote_ref(node, doc.span(node)[0])))
        elif name == "footnote_inline":  # holds the reference; its definition is with the others
            for child in node.children:
                if child.name != "footnote_ref":
                    raise Unsupported("nested inline footnote")
                toks.append(_Tok("footnote_ref", level, html=doc.footnote_ref(child, doc.span(node)[0])))
        elif name == "raw":
            toks.append(_Tok("html_inline", level, node.html, node.html))
        elif name != "footnote_ref_anchor":  # back-references are laid out with the footnotes
            raise Unsupported(f"node {name!r}")


def _link_open(doc: Document, meta: dict[str, Any]) -> str:
    return f'<a href="{escapeHtml(_url(doc, meta["url"]).url)}"{_title(meta)}>'


def _autolink_text(node: Any) -> str:
    text = node.children[0].meta["markup"]
    return text if "%" not in text and "xn--" not in text.lower() else normalizeLinkText(text)


def _image(doc: Document, node: Any) -> str:
    _check_description(doc.source(node))
    meta = node.meta
    link = _url(doc, meta["url"])
    size = ""
    if link.file is not None:
        width, height = image_size(link.file)
        size = (f' width="{width}" height="{height}"' if width is not None else "") + ' loading="lazy" decoding="async"'
    return f'<img src="{escapeHtml(link.url)}" alt="{escapeHtml(_alt(doc, node.children))}"{_title(meta)}{size}>'


def _check_description(source: str) -> None:
    """Refuse an image whose description markdown-it-pyrs parses its own way (`source` is its `![...]...`)."""
    if source[2:3] in ("_", "*"):  # markdown-it-pyrs sees the "[" before it: the run may close, rule of 3 and all
        run = len(source) - 2 - len(source[2:].lstrip(source[2]))
        if not source[2 + run : 3 + run].isalnum():
            raise Unsupported("image description starting with emphasis delimiters before punctuation")


def _alt(doc: Document, nodes: Any, joined: bool = True) -> str:
    """An image description as plain text (markdown-it-py's renderInlineAsText).

    markdown-it-py joins escapes and entities (text_special) into the text of an image's description, but not of
    an image's within it, where renderInlineAsText then leaves them out.
    """
    parts = []
    for node in nodes:
        name = node.name
        if name in ("link", "image", "autolink"):
            _url(doc, node.meta["url"])  # resolved all the same, as markdown-it-py does (and may fail)
        if name == "text" or name == "html_inline" or (name == "text_special" and joined):
            content = node.meta["content"]
            if name == "text" and "`" in content:  # markdown-it-pyrs pairs backtick runs differently in there
                raise Unsupported("backticks left as text in an image description")
            parts.append(content)
        elif name == "code_inline":
            parts.append("".join([child.meta["content"] for child in node.children]))
        elif name == "softbreak" or name == "hardbreak":
            parts.append("\n")
        elif name == "autolink":
            parts.append(_autolink_text(node))
        elif name in _TAGS or name == "link" or name == "image":
            parts.append(_alt(doc, node.children, joined and name != "image"))
        elif name != "text_special":  # markdown-it-py would still number a footnote reference in there
            raise Unsupported(f"{name!r} in an image description")
    return "".join(parts)


@lru_cache(maxsize=4096)
def _normalize(url: str) -> str:
    """markdown-it-py's normalizeLink of a destination, from the one markdown-it-pyrs percent-encoded."""
    if not _PLAIN_URL.fullmatch(url):
        host = mdurl.parse(mdurl.decode(url), slashes_denote_host=True).hostname
        if host and (not host.isascii() or ":" in host or "%" in host):
            raise Unsupported("international or IPv6 host name, which markdown-it-py writes its own way")
        url = normalizeLink(url)
    if not validateLink(url):  # markdown-it-pyrs checks too: never publish a javascript: link
        raise Unsupported(f"unsafe URL {url!r}")
    return url


def _url(doc: Document, url: str) -> Link:
    """The published URL of a link destination, and the local file behind it."""
    href = _normalize(url)
    return Link(href) if not href or href.startswith("#") else doc.resolve(href)


def _title(meta: dict[str, Any]) -> str:
    title = meta.get("title")
    return f' title="{escapeHtml(title)}"' if title else ""
