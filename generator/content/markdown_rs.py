"""Markdown parsed in Rust (markdown-it-pyrs) and rendered here to exactly the HTML of MarkdownRenderer, faster.

markdown-it-pyrs gives a tree, rendered the way markdown-it-py and its plugins render the same text. Smart quotes,
replacements and task lists are done by markdown-it-py's own code, as its Rust versions differ. A document with
anything not reproduced exactly (an unknown node, an international host name, a rare footnote or lazy-line shape)
is rendered by MarkdownRenderer instead: the output never differs silently. Which documents those are is found
before parsing (markdown_guards), and while rendering: blocks (markdown_rs_blocks), inline content (markdown_rs_inline).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from generator.content.markdown import Link, MarkdownRenderer, Rendered, Resolver, is_more_marker
from generator.content.markdown_guards import Unsupported, parse_quietly, python_only

try:  # the Rust parser, and the parts of markdown-it-py that make the output the same (used by these modules)
    import markdown_it_pyrs
    from markdown_it.rules_core.normalize import NEWLINES_RE, NULL_RE

    from generator.content.markdown_rs_blocks import render_block, render_blocks, table_starts
    from generator.content.markdown_rs_inline import Out

    _AVAILABLE = True
except ImportError:  # not installed, or a markdown-it-py whose insides moved: MarkdownRenderer does the work
    _AVAILABLE = False

log = logging.getLogger(__name__)

_FOOTNOTE_DEF = re.compile(r"^[ \t>*+\-0-9.):~]*\[\^([^\]\s]+)\]:", re.MULTILINE)  # in any container too
_FOOTNOTE_DEF_PREFIX = re.compile(r"^([ \t>*+\-0-9.):~]*)\[\^[^\]\s]+\]:", re.M)
_FOOTNOTE_DEF_NESTED = re.compile(r"^[ \t>*+\-0-9.):~]*\[\^[^\]\s]+\]:[ \t>*+\-0-9.):~]*\[\^[^\]\s]+\]:", re.M)
_FOOTNOTE_DEF_INDENTED = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:(?: {4}|.*\t)", re.MULTILINE)
_BLOCK_LINE = re.compile(rb"\n(?:[ \t>:~*+-]|\d{1,9}[.)]|\[\^)")


def available() -> bool:
    """True when markdown-it-pyrs is installed, so that RustMarkdownRenderer can be used."""
    return _AVAILABLE


class RustMarkdownRenderer:
    """MarkdownRenderer's output from markdown-it-pyrs' parse, or from MarkdownRenderer for what it cannot do."""

    def __init__(self) -> None:
        if not _AVAILABLE:
            raise RuntimeError("markdown-it-pyrs is not installed")
        self._md = markdown_it_pyrs.MarkdownIt("commonmark").enable_many(
            ["table", "strikethrough", "footnote", "deflist"]
        )  # typography, task lists: markdown-it-py's code
        self._python: MarkdownRenderer | None = None
        self.fallbacks = 0  # documents MarkdownRenderer rendered

    def render(self, text: str, doc_id: str, resolve: Resolver) -> Rendered:
        """Render a post body; `doc_id` keeps footnote ids unique when posts share a page."""
        memo: dict[str, Link | Exception] = {}

        def resolve_once(url: str) -> Link:  # after a fallback, no URL is resolved (and warned about) twice
            if url not in memo:
                try:
                    memo[url] = resolve(url)
                except Exception as exc:  # raised again if markdown-it-py resolves it too
                    memo[url] = exc
            found = memo[url]
            if isinstance(found, Exception):
                raise found
            return found

        def resolve_or_fall_back(url: str) -> Link:  # the URL may be text to markdown-it-py: only it may fail
            try:
                return resolve_once(url)
            except Exception as exc:
                raise Unsupported(f"resolving {url!r} failed") from exc

        if "\r" in text or "\0" in text:  # markdown-it-py's normalize rule, so that source positions agree
            text = NULL_RE.sub("\ufffd", NEWLINES_RE.sub("\n", text))
        try:
            reason = python_only(text)
            if reason is not None:
                raise Unsupported(reason)
            try:
                tree = parse_quietly(self._md.tree, text)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException, a BaseException
                raise Unsupported(f"markdown-it-pyrs failed: {type(exc).__name__}") from None
            return Document(text, doc_id, resolve_or_fall_back).render(tree)
        except (Unsupported, RecursionError) as exc:  # a RecursionError: a guard missed a deep document
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


class Document:
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
            render_block(self, node, name, out)
            self.previous = name
            if name == "html_block":
                if cut is None and is_more_marker(node.meta["content"]):
                    cut = start
            elif name == "paragraph" and paragraph is None:
                paragraph = slice(start, len(out))
        if (self.tables or "|" in self.text) and self.tables != table_starts(self.text):  # tables come first
            raise Unsupported("lines that one parser takes for a table and the other does not")
        if "[^" in self.text:
            labels = _FOOTNOTE_DEF.findall(self.text)
            if len(set(labels)) < len(labels):  # markdown-it-py keeps the last, or continues the first lazily
                raise Unsupported("footnote defined twice")
            if not self.refs and labels and (self.text.count("[^") > len(labels) or "^[" in self.text):
                raise Unsupported("unused footnote definitions, which may hold references")
            if any(prefix.strip(" ") or len(prefix) > 3 for prefix in _FOOTNOTE_DEF_PREFIX.findall(self.text)):
                raise Unsupported("footnote definition in a blockquote, list or description")  # lazy lines differ
            if _FOOTNOTE_DEF_NESTED.search(self.text):  # markdown-it-py closes the containers around it oddly
                raise Unsupported("footnote definition in a footnote definition's first line")
            if _FOOTNOTE_DEF_INDENTED.search(self.text):  # markdown-it-pyrs makes a code block of it
                raise Unsupported("footnote definition indented after its colon, or with a tab")
        if self.refs:
            self.number_footnotes()
            out = [piece if type(piece) is str else piece.html for piece in out]
        body = "".join(out)
        if cut is not None:
            return Rendered(body, "".join(out[:cut]), True)
        if paragraph is None and any(ref.key < 0 for ref in self.refs):
            raise Unsupported("inline footnote as the excerpt")  # markdown-it-py takes its paragraph
        return Rendered(body, "".join(out[paragraph]) if paragraph is not None else "", False)

    def span(self, node: Any) -> tuple[int, int]:
        """Where a node is in the UTF-8 text (`self._bytes`)."""
        if node.srcmap is None:
            raise Unsupported(f"{node.name!r} without a source position")
        if not self._bytes:
            self._bytes = self.text.encode()
        return node.srcmap

    def source(self, node: Any) -> str:
        """The Markdown a node was parsed from."""
        start, end = self.span(node)
        try:
            return self._bytes[start:end].decode()
        except UnicodeDecodeError:  # a source position inside a character: it is wrong
            raise Unsupported(f"{node.name!r} with a source position inside a character") from None

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
            raise Unsupported(f"{node.name!r} over lines that could start blocks")

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
        notes: list[tuple[int, bool, Out]] = []
        labels: list[str] = []
        self.depth["footnote"] += 1
        for node in container.children:
            meta, children = node.meta, node.children
            out: Out = []
            if not meta["inline"]:
                labels.append(meta["label"])
            if children and children[0].name == "html_block":  # markdown-it-pyrs keeps the space after the colon
                raise Unsupported("footnote definition starting with HTML")
            render_blocks(self, children, out)
            in_paragraph = bool(children) and children[-1].name == "paragraph"
            notes.append((-meta["def_id"] if meta["inline"] else meta["def_id"], in_paragraph, out))
        self.depth["footnote"] -= 1
        if sorted(labels) != sorted(_FOOTNOTE_DEF.findall(self.text)):  # markdown-it-py keeps the last duplicate
            raise Unsupported("unused, duplicate or nested footnote definition")
        return _Footnotes(self, notes)


class _FootnoteRef:
    """A footnote reference, numbered like markdown-it-py (by position in the text) once all are known."""

    __slots__ = ("html", "key", "pos")

    def __init__(self, pos: int, key: int) -> None:
        self.pos, self.key, self.html = pos, key, ""


class _Footnotes:
    """The footnote section, laid out once references are numbered."""

    def __init__(self, doc: Document, notes: list[tuple[int, bool, Out]]) -> None:
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
