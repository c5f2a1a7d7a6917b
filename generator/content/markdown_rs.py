"""Markdown parsed in Rust (markdown-it-pyrs) and rendered here to exactly the HTML of MarkdownRenderer, faster.

markdown-it-pyrs gives a tree, rendered the way markdown-it-py and its plugins render the same text. Smart quotes,
replacements and task lists are done by markdown-it-py's own code, as its Rust versions differ. A document with
anything not reproduced exactly (an unknown node, an international host name, a rare footnote or lazy-line shape)
is rendered by MarkdownRenderer instead: the output never differs silently.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any, cast

from generator.content.markdown import (
    MORE_MARKER,
    Link,
    MarkdownRenderer,
    Rendered,
    Resolver,
    highlight_code,
    image_size,
)
from generator.content.markdown_guards import parse_quietly, python_only
from generator.text import slugify

try:  # the Rust parser, and the parts of markdown-it-py that make the output the same
    import markdown_it_pyrs
    import mdurl
    from markdown_it import MarkdownIt
    from markdown_it.common.normalize_url import normalizeLink, normalizeLinkText, validateLink
    from markdown_it.common.utils import escapeHtml
    from markdown_it.rules_core import StateCore
    from markdown_it.rules_core.normalize import NEWLINES_RE, NULL_RE
    from markdown_it.rules_core.replacements import replace_rare, replace_scoped
    from markdown_it.rules_core.smartquotes import process_inlines
    from markdown_it.token import Token
    from mdit_py_plugins.anchors.index import unique_slug
except ImportError:  # not installed, or a markdown-it-py whose insides moved: MarkdownRenderer does the work
    markdown_it_pyrs = None

log = logging.getLogger(__name__)

_PLUGINS = ["table", "strikethrough", "footnote", "deflist"]  # typography and task lists: markdown-it-py's code
_INLINE = frozenset({"text", "softbreak", "hardbreak", "text_special", "em", "strong", "strikethrough", "link",
                     "autolink", "code_inline", "html_inline", "image", "footnote_ref", "footnote_inline",
                     "footnote_ref_anchor", "raw"})  # fmt: skip
_TAGS = {"em": ("<em>", "</em>"), "strong": ("<strong>", "</strong>"), "strikethrough": ("<s>", "</s>")}
# renderToken starts these on a new line after the hidden paragraph of a tight list item
_NEWLINE_AFTER_HIDDEN = frozenset({"paragraph", "heading", "lheading", "blockquote", "bullet_list", "ordered_list",
                                   "hr", "definition_list"})  # fmt: skip
_CHECKED = '<input class="task-list-item-checkbox" checked="checked" disabled="disabled" type="checkbox">'
_CHECKBOX = {"[ ] ": '<input class="task-list-item-checkbox" disabled="disabled" type="checkbox">',
             "[x] ": _CHECKED, "[X] ": _CHECKED}  # fmt: skip
_PLAIN_URL = re.compile(r"[A-Za-z0-9;/?:@&=+$,\-_.!~*'()#]*")  # normalizeLink returns these unchanged
_ABBREVIATION = re.compile(r"\((?:c|tm|r)\)", re.IGNORECASE)  # replaced by ©, ™, ®
_FENCE_END = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
_FOOTNOTE_DEF = re.compile(r"^[ \t>*+\-0-9.)]*\[\^([^\]\s]+)\]:", re.MULTILINE)  # in any container too
_FOOTNOTE_DEF_INDENTED = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:(?: {4}|.*\t)", re.MULTILINE)
# Lines where the parsers part ways: markdown-it-py ends a paragraph, table or definition list there, or makes a
# setext heading of what precedes; markdown-it-pyrs continues the block (lazily).
_DEFINITION = re.compile(r"\[[^\]]*\]:")
_FOOTNOTE_DEF_LINE = re.compile(r"\n\[\^[^\]\s]+\]:")
_LIST_LINE = re.compile(r"\n(?:[*+-]|\d{1,9}[.)])(?:[ \t]|$)", re.MULTILINE)
_DESCRIPTION_LINE = re.compile(r"\n[:~][ \t]")
_UNDERLINE = re.compile(rb"\n[ \t>]*(?:-+|=+)[ \t]*(?:\n|$)")  # in any container
_ROW_BLOCK = re.compile(r" {0,3}(?:[*+-](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)|>|#{1,6}(?:[ \t]|$)|```|~~~|<[A-Za-z/!?])")
_DELIMITER_ROW = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*")
_PREFIX = re.compile(r"^(?:[ \t]*>)*")  # of a line in blockquotes
_CONTAINERS = frozenset({"blockquote", "bullet_list", "ordered_list", "definition_list"})
_BLOCK_LINE = re.compile(rb"\n(?:[ \t>:~*+-]|\d{1,9}[.)]|\[\^)")

Out = list[Any]  # HTML pieces: str, or an object whose .html is set once all footnote references are numbered


def available() -> bool:
    """True when markdown-it-pyrs is installed, so that RustMarkdownRenderer can be used."""
    return markdown_it_pyrs is not None


class _Unsupported(Exception):
    """The document holds something not rendered exactly like markdown-it-py here."""


class RustMarkdownRenderer:
    """MarkdownRenderer's output from markdown-it-pyrs' parse, or from MarkdownRenderer for what it cannot do."""

    def __init__(self) -> None:
        if markdown_it_pyrs is None:
            raise RuntimeError("markdown-it-pyrs is not installed")
        self._md = markdown_it_pyrs.MarkdownIt("commonmark").enable_many(_PLUGINS)
        self._python: MarkdownRenderer | None = None
        self.fallbacks = 0  # documents MarkdownRenderer rendered

    def render(self, text: str, doc_id: str, resolve: Resolver) -> Rendered:
        """Render a post body; `doc_id` keeps footnote ids unique when posts share a page."""
        memo: dict[str, Link] = {}

        def resolve_once(url: str) -> Link:  # after a fallback, no URL is resolved (and warned about) twice
            if url not in memo:
                memo[url] = resolve(url)
            return memo[url]

        if "\r" in text or "\0" in text:  # markdown-it-py's normalize rule, so that source positions agree
            text = NULL_RE.sub("\ufffd", NEWLINES_RE.sub("\n", text))
        try:
            reason = python_only(text)
            if reason is not None:
                raise _Unsupported(reason)
            try:
                tree = parse_quietly(self._md.tree, text)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException, a BaseException
                raise _Unsupported(f"markdown-it-pyrs failed: {type(exc).__name__}") from None
            return _Document(text, doc_id, resolve_once).render(tree)
        except (_Unsupported, RecursionError) as exc:  # a RecursionError: a guard missed a deep document
            self.fallbacks += 1
            log.debug("%s: rendered by markdown-it-py: %s", doc_id, exc)
            return self.python.render(text, doc_id, resolve_once)

    def render_inline(self, text: str, resolve: Resolver) -> str:
        """Render one line of Markdown (a summary from the front matter) without a paragraph."""
        return self.python.render_inline(text, resolve)

    @property
    def python(self) -> MarkdownRenderer:
        """The pure-Python engine, created when first needed."""
        if self._python is None:
            self._python = MarkdownRenderer()
        return self._python


class _Document:
    """One render: the text, the resolver, heading slugs, footnotes, and the blocks around the current one."""

    def __init__(self, text: str, doc_id: str, resolve: Resolver) -> None:
        self.text, self.resolve = text, resolve
        self.prefix = f"-{doc_id}-" if isinstance(doc_id, str) else ""  # as the footnote plugin has it
        self.slugs: set[str] = set()
        self.refs: list[_FootnoteRef] = []
        self.numbers: dict[int, int] = {}  # footnote -> number, in order of first reference
        self.counts: dict[int, int] = {}  # footnote -> references
        self.depth = {"blockquote": 0, "dl": 0, "footnote": 0}
        self.previous = ""  # the block before the current one
        self.tables = 0
        self._bytes = b""

    def render(self, root: Any) -> Rendered:
        """HTML of the whole document and of its excerpt."""
        out: Out = []
        cut = paragraph = None  # where <!-- more --> starts, where the first paragraph is, in `out`
        for node in root.children:
            name, start = node.name, len(out)
            if name == "footnote_container":
                out.append(self.footnotes(node))
                continue
            _block(self, node, name, out)
            self.previous = name
            if name == "html_block":
                if cut is None and node.meta["content"].strip() == MORE_MARKER:
                    cut = start
            elif name == "paragraph" and paragraph is None:
                paragraph = slice(start, len(out))
        if (self.tables or "|" in self.text) and self.tables != _table_starts(self.text):  # tables come first
            raise _Unsupported("lines that one parser takes for a table and the other does not")
        if "[^" in self.text:
            labels = _FOOTNOTE_DEF.findall(self.text)
            if len(set(labels)) < len(labels):  # markdown-it-py keeps the last, or continues the first lazily
                raise _Unsupported("footnote defined twice")
            if not self.refs and labels and (self.text.count("[^") > len(labels) or "^[" in self.text):
                raise _Unsupported("unused footnote definitions, which may hold references")
            if _FOOTNOTE_DEF_INDENTED.search(self.text):  # markdown-it-pyrs makes a code block of it
                raise _Unsupported("footnote definition indented after its colon, or with a tab")
        if self.refs:
            self.number_footnotes()
            out = [piece if type(piece) is str else piece.html for piece in out]
        body = "".join(out)
        if cut is not None:
            return Rendered(body, "".join(out[:cut]), True)
        if paragraph is None and any(ref.key < 0 for ref in self.refs):
            raise _Unsupported("inline footnote as the excerpt")  # markdown-it-py takes its paragraph
        return Rendered(body, "".join(out[paragraph]) if paragraph is not None else "", False)

    def span(self, node: Any) -> tuple[int, int]:
        """Where a node is in the UTF-8 text (`self._bytes`)."""
        if node.srcmap is None:
            raise _Unsupported(f"{node.name!r} without a source position")
        if not self._bytes:
            self._bytes = self.text.encode()
        return node.srcmap

    def source(self, node: Any) -> str:
        """The Markdown a node was parsed from."""
        start, end = self.span(node)
        try:
            return self._bytes[start:end].decode()
        except UnicodeDecodeError:  # a source position inside a character: it is wrong
            raise _Unsupported(f"{node.name!r} with a source position inside a character") from None

    def at_end(self, node: Any) -> bool:
        """Whether a block ends a text without a final line break (markdown-it-pyrs then adds one)."""
        return not self.text.endswith("\n") and self.span(node)[1] == len(self._bytes)

    def check_lines(self, node: Any) -> None:
        """Refuse a code span or inline HTML over lines that could start a block, or are indented.

        markdown-it-py keeps more indentation there, and ends a paragraph before some lines that markdown-it-pyrs
        takes as its lazy continuation.
        """
        start, end = self.span(node)
        if self._bytes.find(b"\n", start, end) >= 0 and _BLOCK_LINE.search(self._bytes, start, end):
            raise _Unsupported(f"{node.name!r} over lines that could start blocks")

    def footnote_ref(self, node: Any, pos: int) -> _FootnoteRef:
        """Stand in for a footnote reference until all references are known."""
        meta = node.meta
        ref = _FootnoteRef(pos, meta["def_id"] if "label" in meta else -meta["def_id"])  # < 0: inline footnote
        self.refs.append(ref)
        return ref

    def number_footnotes(self) -> None:
        """Number footnotes by first reference, as markdown-it-py does (markdown-it-pyrs by definition)."""
        for ref in sorted(self.refs, key=lambda ref: ref.pos):
            number = self.numbers.setdefault(ref.key, len(self.numbers) + 1)
            sub = self.counts.get(ref.key, 0)
            self.counts[ref.key] = sub + 1
            ident = f"{self.prefix}{number}"
            refid, caption = (f"{ident}:{sub}", f"{number}:{sub}") if sub and ref.key > 0 else (ident, number)
            ref.html = f'<sup class="footnote-ref"><a href="#fn{ident}" id="fnref{refid}">[{caption}]</a></sup>'

    def footnotes(self, container: Any) -> _Footnotes:
        """The footnote definitions, rendered now and laid out once their references are numbered."""
        notes, labels = [], []
        self.depth["footnote"] += 1
        for node in container.children:
            meta, children, out = node.meta, node.children, []
            if not meta["inline"]:
                labels.append(meta["label"])
            if children and children[0].name == "html_block":  # markdown-it-pyrs keeps the space after the colon
                raise _Unsupported("footnote definition starting with HTML")
            _blocks(self, children, out)
            in_paragraph = bool(children) and children[-1].name == "paragraph"
            notes.append((-meta["def_id"] if meta["inline"] else meta["def_id"], in_paragraph, out))
        self.depth["footnote"] -= 1
        if sorted(labels) != sorted(_FOOTNOTE_DEF.findall(self.text)):  # markdown-it-py keeps the last duplicate
            raise _Unsupported("unused, duplicate or nested footnote definition")
        return _Footnotes(self, notes)


class _FootnoteRef:
    """A footnote reference, numbered like markdown-it-py (by position in the text) once all are known."""

    __slots__ = ("html", "key", "pos")

    def __init__(self, pos: int, key: int) -> None:
        self.pos, self.key, self.html = pos, key, ""


class _Footnotes:
    """The footnote section, laid out once references are numbered."""

    def __init__(self, doc: _Document, notes: list[tuple[int, bool, Out]]) -> None:
        self.doc, self.notes = doc, notes

    @property
    def html(self) -> str:
        """The footnotes in order of first reference, each with one back-reference per reference."""
        doc = self.doc
        parts = ['<hr class="footnotes-sep" />\n<section class="footnotes">\n<ol class="footnotes-list">\n']
        for key, in_paragraph, out in sorted(self.notes, key=lambda note: doc.numbers[note[0]]):
            ident = f"{doc.prefix}{doc.numbers[key]}"
            backrefs = "".join(
                f' <a href="#fnref{ident}{f":{sub}" if sub else ""}" class="footnote-backref">\u21a9\ufe0e</a>'
                for sub in range(doc.counts[key] if key > 0 else 1)
            )
            html = "".join(piece if type(piece) is str else piece.html for piece in out)
            html = html[:-5] + backrefs + "</p>\n" if in_paragraph else html + backrefs  # inside the last <p>
            parts.append(f'<li id="fn{ident}" class="footnote-item">{html}</li>\n')
        return "".join(parts) + "</ol>\n</section>\n"


# --- inline content ------------------------------------------------------------------------------------------------


class _Tok:
    """An inline token as markdown-it-py's typography sees it, and its HTML when it is not text."""

    __slots__ = ("content", "html", "info", "level", "node", "type")

    def __init__(
        self, type: str, level: int, content: str = "", html: Any = "", info: str = "", node: Any = None
    ) -> None:
        self.type, self.level, self.content, self.html, self.info, self.node = type, level, content, html, info, node


def _inline(doc: _Document, nodes: Any, out: Out) -> None:
    """Render the content of a paragraph, cell or term: straight from the tree unless it needs typography."""
    start, refs, texts = len(out), len(doc.refs), []
    _direct(doc, nodes, out, texts)
    lead = out[start] if len(out) > start else None  # a link followed by a colon: a reference definition?
    if type(lead) is str and lead[:3] == "<a " and nodes[0].name == "link":
        end = doc.span(nodes[0])[1]
        if doc._bytes[end : end + 1] == b":":
            raise _Unsupported("paragraph that looks like a link reference definition")
    if texts:
        text = "".join(texts)
        if text[:1] == "[" or "\n" in text or "`" in text:
            _check_lines(doc, text)
        if _typographic(text) or "&" in text or "<" in text or ">" in text:  # start again, with tokens
            del out[start:], doc.refs[refs:]
            _emit(_tokens(doc, nodes), out)


def _direct(doc: _Document, nodes: Any, out: Out, texts: list[str]) -> None:
    """Render inline nodes, collecting their text, which is left unescaped (so _inline checks it)."""
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
            _emit(toks, out)


def _check_lines(doc: _Document, text: str) -> None:
    """Refuse text (lines joined with "\\n") where markdown-it-py would have found blocks, or code spans."""
    if "`" in text:  # a backtick run left as text: markdown-it-pyrs pairs runs differently after a "["
        raise _Unsupported("backticks outside code spans")
    if text[:1] == "[" and _DEFINITION.match(text):  # markdown-it-py takes more of these as definitions
        raise _Unsupported("paragraph that looks like a link reference definition")
    if "\n" in text:
        if "\n[^" in text and _FOOTNOTE_DEF_LINE.search(text):
            raise _Unsupported("footnote definition continuing a paragraph")
        if doc.depth["blockquote"] and _LIST_LINE.search(text):  # an empty item, a list not starting at 1
            raise _Unsupported("list marker on a line continuing a quoted paragraph")
        if doc.depth["dl"] and _DESCRIPTION_LINE.search(text):
            raise _Unsupported("definition marker on a line continuing a paragraph")


def _tokens(doc: _Document, nodes: Any) -> list[_Tok]:
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
    return ("'" in text or '"' in text or ".." in text or "--" in text or ",," in text or "+-" in text
            or "????" in text or "!!!!" in text or ("(" in text and _ABBREVIATION.search(text) is not None))  # fmt: skip


def _emit(toks: list[_Tok], out: Out) -> None:
    out.extend([escapeHtml(tok.content) if tok.type == "text" else tok.html for tok in toks])


def _label(source: str) -> str:
    """An image's description as written, from its Markdown `![description]...`."""
    depth, index = 0, 1
    while index < len(source):
        char = source[index]
        if char in "`<":  # a code span or tag could hide a bracket
            raise _Unsupported("quote next to an image with code or HTML in its description")
        if char == "[" or char == "]":
            depth += 1 if char == "[" else -1
            if not depth:
                return source[2:index]
        index += 2 if char == "\\" else 1
    raise _Unsupported("image description without its end")


def _flatten(doc: _Document, nodes: Any, toks: list[_Tok], level: int) -> None:
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
            toks.append(_Tok("link_open", level, html=f'<a href="{escapeHtml(_url(doc, node.meta["url"]).url)}">',
                             info="auto"))  # fmt: skip
            toks.append(_Tok("text", level + 1, _autolink_text(node)))
            toks.append(_Tok("link_close", level, html="</a>", info="auto"))
        elif name == "image":
            toks.append(_Tok("image", level, html=_image(doc, node), node=node))
        elif name == "footnote_ref":
            toks.append(_Tok(name, level, html=doc.footnote_ref(node, doc.span(node)[0])))
        elif name == "footnote_inline":  # holds the reference; its definition is with the others
            for child in node.children:
                if child.name != "footnote_ref":
                    raise _Unsupported("nested inline footnote")
                toks.append(_Tok("footnote_ref", level, html=doc.footnote_ref(child, doc.span(node)[0])))
        elif name == "raw":
            toks.append(_Tok("html_inline", level, node.html, node.html))
        elif name != "footnote_ref_anchor":  # back-references are laid out with the footnotes
            raise _Unsupported(f"node {name!r}")


def _link_open(doc: _Document, meta: dict[str, Any]) -> str:
    return f'<a href="{escapeHtml(_url(doc, meta["url"]).url)}"{_title(meta)}>'


def _autolink_text(node: Any) -> str:
    text = node.children[0].meta["markup"]
    return text if "%" not in text and "xn--" not in text.lower() else normalizeLinkText(text)


def _image(doc: _Document, node: Any) -> str:
    meta = node.meta
    link = _url(doc, meta["url"])
    size = ""
    if link.file is not None:
        width, height = image_size(link.file)
        size = (f' width="{width}" height="{height}"' if width is not None else "") + ' loading="lazy" decoding="async"'
    return f'<img src="{escapeHtml(link.url)}" alt="{escapeHtml(_alt(doc, node.children))}"{_title(meta)}{size}>'


def _alt(doc: _Document, nodes: Any, joined: bool = True) -> str:
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
            parts.append(node.meta["content"])
        elif name == "code_inline":
            parts.append("".join([child.meta["content"] for child in node.children]))
        elif name == "softbreak" or name == "hardbreak":
            parts.append("\n")
        elif name == "autolink":
            parts.append(_autolink_text(node))
        elif name in _TAGS or name == "link" or name == "image":
            parts.append(_alt(doc, node.children, joined and name != "image"))
        elif name != "text_special":  # markdown-it-py would still number a footnote reference in there
            raise _Unsupported(f"{name!r} in an image description")
    return "".join(parts)


@lru_cache(maxsize=4096)
def _normalize(url: str) -> str:
    """markdown-it-py's normalizeLink of a destination, from the one markdown-it-pyrs percent-encoded."""
    if not _PLAIN_URL.fullmatch(url):
        host = mdurl.parse(mdurl.decode(url), slashes_denote_host=True).hostname
        if host and (not host.isascii() or ":" in host or "%" in host):
            raise _Unsupported("international or IPv6 host name, which markdown-it-py writes its own way")
        url = normalizeLink(url)
    if not validateLink(url):  # markdown-it-pyrs checks too: never publish a javascript: link
        raise _Unsupported(f"unsafe URL {url!r}")
    return url


def _url(doc: _Document, url: str) -> Link:
    """The published URL of a link destination, and the local file behind it."""
    href = _normalize(url)
    return Link(href) if not href or href.startswith("#") else doc.resolve(href)


def _title(meta: dict[str, Any]) -> str:
    title = meta.get("title")
    return f' title="{escapeHtml(title)}"' if title else ""


# --- blocks --------------------------------------------------------------------------------------------------------


class _Node:
    """A node made here: a task's rewritten paragraph or text, or the label and checkbox (name "raw")."""

    def __init__(self, name: str, children: list[Any] | None = None, html: str = "", content: str = "") -> None:
        self.name, self.children, self.html, self.meta = name, children or [], html, {"content": content}


def _block(doc: _Document, node: Any, name: str, out: Out) -> None:
    handler = _BLOCK.get(name)
    if handler is None:
        raise _Unsupported(f"node {name!r}")
    handler(doc, node, out)


def _blocks(doc: _Document, nodes: Any, out: Out) -> None:
    """Render blocks; a run of inline nodes among them is the hidden paragraph of a tight list item."""
    run: list[Any] = []
    doc.previous = ""
    for node in nodes:
        name = node.name
        if name in _INLINE:
            run.append(node)
        elif name != "definition":  # a link reference definition leaves nothing behind
            if run:
                _inline(doc, run, out)
                run, doc.previous = [], "paragraph"
                if name in _NEWLINE_AFTER_HIDDEN:
                    out.append("\n")
            _block(doc, node, name, out)
            doc.previous = name
    if run:
        _inline(doc, run, out)


def _open(tag: str, children: Any, out: Out, first: str | None = None) -> None:
    """An opening tag, and the newline renderToken adds unless inline content or the closing tag follows."""
    if first is None or first == "definition":
        first = next((name for child in children if (name := child.name) != "definition"), None)
    out.append(tag if first is None or first in _INLINE else tag + "\n")


def _paragraph(tag: str) -> Callable[[_Document, Any, Out], None]:
    opening, closing = f"<{tag}>", f"</{tag}>\n"

    def render(doc: _Document, node: Any, out: Out) -> None:
        out.append(opening)
        _inline(doc, node.children, out)
        out.append(closing)

    return render


def _heading(doc: _Document, node: Any, out: Out) -> None:
    level, toks, content = node.meta["level"], _tokens(doc, node.children), []
    _check_lines(doc, "".join([tok.content if tok.type == "text" else _BREAKS.get(tok.type, "") for tok in toks]))
    _emit(toks, content)
    if 2 <= level <= 4:  # the anchors plugin: a unique slug, and a permalink
        if doc.depth["footnote"]:  # markdown-it-py would make these slugs in the order of the footnotes
            raise _Unsupported("heading in a footnote")
        title = "".join([tok.content for tok in toks if tok.type in ("text", "text_special", "code_inline")])
        slug = escapeHtml(unique_slug(slugify(title), doc.slugs))
        out.extend([f'<h{level} id="{slug}">', *content, f' <a class="header-anchor" href="#{slug}">#</a>'])
    else:
        out.extend([f"<h{level}>", *content])
    out.append(f"</h{level}>\n")


_BREAKS = {"softbreak": "\n", "hardbreak": "\n"}


def _container(tag: str) -> Callable[[_Document, Any, Out], None]:
    """A block of blocks, or of a tight item's inline content: blockquote, definition list or description."""

    def render(doc: _Document, node: Any, out: Out) -> None:
        children = node.children
        _open(f"<{tag}>", children, out)
        doc.depth[tag] = doc.depth.get(tag, 0) + 1
        _blocks(doc, children, out)
        doc.depth[tag] -= 1
        out.append(f"</{tag}>\n")

    return render


def _list(tag: str) -> Callable[[_Document, Any, Out], None]:
    def render(doc: _Document, node: Any, out: Out) -> None:
        start = node.meta["start"] if tag == "ol" else 1
        index, tasks = len(out), False
        out.append("")
        for item in node.children:
            children = item.children
            first = children[0].name if children else None
            task = _task(doc, children, first) if children else None
            if task is not None:
                children, first, tasks = task, task[0].name, True
            _open('<li class="task-list-item">' if task else "<li>", children, out, first)
            _blocks(doc, children, out)
            out.append("</li>\n")
        attrs = (f' start="{start}"' if start != 1 else "") + (' class="contains-task-list"' if tasks else "")
        out[index] = f"<{tag}{attrs}>\n"
        out.append(f"</{tag}>\n")

    return render


def _task(doc: _Document, children: list[Any], name: str | None) -> list[Any] | None:
    """A list item's children with the task-list plugin's label and checkbox, when it is a task."""
    first = children[0]
    if name == "text":  # tight: the item's first paragraph is hidden
        lead, run, loose = first, children, False
    elif name == "paragraph":
        run, loose = first.children, True
        lead, name = run[0], run[0].name
    elif name == "definition" and len(children) > 1:
        children = [child for child in children if child.name != "definition"]
        return _task(doc, children, children[0].name) if children else None
    else:
        return None
    if name != "text":
        if name == "link" and doc.source(lead)[:3] in ("[x]", "[X]"):
            raise _Unsupported("task-list item starting with a link [x]")
        return None
    content = lead.meta["content"]
    mark = content[:4]
    if mark[:3] not in ("[ ]", "[x]", "[X]"):
        return None
    if len(content) == 3:  # the line ends after "[ ]": the plugin sees what follows there, as written
        if len(run) < 2 or run[1].name not in _BREAKS:
            return None
        mark += doc.source(run[1])[:1]
    if mark[3] not in " \t\n\v\f\r":
        return None
    end = len(run) if loose else next((i for i, node in enumerate(run) if node.name not in _INLINE), len(run))
    label = _Node("raw", html="<label>" + _CHECKBOX.get(mark, ""))
    inline = [label, _Node("text", content=content[3:]), *run[1:end], _Node("raw", html="</label>")]
    return [_Node("paragraph", inline), *children[1:]] if loose else inline + run[end:]


def _table(doc: _Document, node: Any, out: Out) -> None:
    if doc.previous in _CONTAINERS:  # unless a blank line parts them, markdown-it-py may continue the container
        start = doc.span(node)[0]
        line = doc._bytes.rfind(b"\n", 0, start) + 1
        if doc._bytes[doc._bytes.rfind(b"\n", 0, max(line - 1, 0)) + 1 : line].strip(b" \t\n>"):
            raise _Unsupported(f"table right after a {doc.previous}")
    doc.tables += 1
    start = doc.span(node)[0]
    end = doc._bytes.find(b"\n", start)
    if b"|" not in doc._bytes[start : end if end >= 0 else None]:
        raise _Unsupported("table without a pipe in its first row")  # markdown-it-py needs one
    aligns = node.meta["alignments"]
    out.append('<table tabindex="0">\n')
    for part in node.children:
        section = part.name
        if section not in ("thead", "tbody"):
            raise _Unsupported(f"node {section!r} in a table")
        cell = "th" if section == "thead" else "td"
        tags = [f'<{cell} style="text-align:{align}">' if align != "none" else f"<{cell}>" for align in aligns]
        out.append(f"<{section}>\n")
        for row in part.children:
            if section == "tbody" and _ROW_BLOCK.match(line := doc.source(row)) and not line.lstrip().startswith("|"):
                raise _Unsupported("table row that markdown-it-py takes as the start of a block")
            out.append("<tr>\n")
            cells = row.children
            for index, tag in enumerate(tags):
                out.append(tag)
                if index < len(cells):
                    _inline(doc, cells[index].children, out)
                out.append(f"</{cell}>\n")
            out.append("</tr>\n")
        out.append(f"</{section}>\n")
    out.append("</table>\n")


def _definition_list(doc: _Document, node: Any, out: Out) -> None:
    start = doc.span(node)[0]  # markdown-it-py tries setext headings first: is the paragraph underlined?
    blank = doc._bytes.find(b"\n\n", start)
    if _UNDERLINE.search(doc._bytes, start, blank if blank >= 0 else len(doc._bytes)):
        raise _Unsupported("definition list before a setext underline")
    _DL(doc, node, out)


_DL = _container("dl")


def _table_starts(text: str) -> int:
    """How many lines with a pipe are followed by a table's delimiter row (in any container)."""
    lines = [_PREFIX.sub("", line) for line in text.split("\n")]
    starts, index = 0, 0
    while index < len(lines) - 1:
        if "|" in lines[index] and _DELIMITER_ROW.fullmatch(lines[index + 1]):
            starts, index = starts + 1, index + 2
        else:
            index += 1
    return starts


def _html_block(doc: _Document, node: Any, out: Out) -> None:
    content = node.meta["content"]
    out.append(content[:-1] if doc.at_end(node) else content)


def _code(doc: _Document, node: Any, out: Out) -> None:
    meta = node.meta
    content = meta["content"]
    if node.name == "fence" and doc.at_end(node) and not _closed(doc.source(node), meta):
        content = content[:-1]  # markdown-it-py ends it with the text, dropping a last line of only spaces
        last = content.rfind("\n") + 1
        if not content[last:].strip(" \t"):
            content = content[:last]
    out.append(highlight_code(meta.get("info", ""), content))  # Pygments, as MarkdownRenderer


def _closed(source: str, meta: dict[str, Any]) -> bool:
    """Whether the Markdown of a fence ends with its closing fence."""
    lines = source.split("\n")
    fence = _FENCE_END.fullmatch(lines[-1]) if len(lines) > 1 else None
    if fence is None and len(lines) > 1 and _FENCE_END.fullmatch(lines[-1].lstrip(" >-*+.)0123456789")):
        raise _Unsupported("fence at the end of a nested block")  # a container's prefix hides the closing fence
    return fence is not None and fence[1][0] == meta["marker"] and len(fence[1]) >= meta["marker_len"]


_BLOCK: dict[str, Callable[[_Document, Any, Out], None]] = {
    "paragraph": _paragraph("p"),
    "heading": _heading,
    "lheading": _heading,
    "blockquote": _container("blockquote"),
    "bullet_list": _list("ul"),
    "ordered_list": _list("ol"),
    "hr": lambda doc, node, out: out.append("<hr />\n"),
    "fence": _code,
    "code_block": _code,
    "html_block": _html_block,
    "definition": lambda doc, node, out: None,  # a link reference definition leaves nothing behind
    "table": _table,
    "definition_list": _definition_list,
    "definition_term": _paragraph("dt"),
    "definition_description": _container("dd"),
}


def markdown_engine() -> MarkdownRenderer | RustMarkdownRenderer:
    """The renderer a build uses: the Rust parse when markdown-it-pyrs is installed (and
    HOMEPOST_MARKDOWN is not "python"), else markdown-it-py. Both give the same HTML."""
    if available() and os.environ.get("HOMEPOST_MARKDOWN", "").lower() != "python":
        return RustMarkdownRenderer()
    return MarkdownRenderer()
