"""Blocks of markdown-it-pyrs' tree, rendered as markdown-it-py and its plugins render them (tables, lists, tasks,
definition lists, headings with anchors, code through Pygments)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.anchors.index import unique_slug

from generator.content.markdown import highlight_code
from generator.content.markdown_guards import Unsupported
from generator.content.markdown_rs_inline import Out, check_text, emit, inline_nodes, inline_tokens
from generator.text import slugify

if TYPE_CHECKING:
    from generator.content.markdown_rs import Document

_INLINE = frozenset(
    "text softbreak hardbreak text_special em strong strikethrough link autolink code_inline html_inline image"
    " footnote_ref footnote_inline footnote_ref_anchor raw".split()
)
# renderToken starts these on a new line after the hidden paragraph of a tight list item
_NEWLINE_AFTER_HIDDEN = frozenset(
    "paragraph heading lheading blockquote bullet_list ordered_list hr definition_list".split()
)
_CHECKED = '<input class="task-list-item-checkbox" checked="checked" disabled="disabled" type="checkbox">'
_UNCHECKED = '<input class="task-list-item-checkbox" disabled="disabled" type="checkbox">'
_CHECKBOX = {"[ ] ": _UNCHECKED, "[x] ": _CHECKED, "[X] ": _CHECKED}
_FENCE_END = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
_UNDERLINE = re.compile(rb"\n[ \t>]*(?:-+|=+)[ \t]*(?:\n|$)")  # in any container
_ROW_BLOCK = re.compile(r" {0,3}(?:[*+-](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)|>|#{1,6}(?:[ \t]|$)|```|~~~|<[A-Za-z/!?])")
_DELIMITER_ROW = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*")
_PREFIX = re.compile(r"^(?:[ \t]*>)*")  # of a line in blockquotes
_CONTAINERS = frozenset({"blockquote", "bullet_list", "ordered_list", "definition_list"})


class _Node:
    """A node made here: a task's rewritten paragraph or text, or the label and checkbox (name "raw")."""

    def __init__(self, name: str, children: list[Any] | None = None, html: str = "", content: str = "") -> None:
        self.name, self.children, self.html, self.meta = name, children or [], html, {"content": content}


def render_block(doc: Document, node: Any, name: str, out: Out) -> None:
    handler = _BLOCK.get(name)
    if handler is None:
        raise Unsupported(f"node {name!r}")
    handler(doc, node, out)


def render_blocks(doc: Document, nodes: Any, out: Out) -> None:
    """Render blocks; a run of inline nodes among them is the hidden paragraph of a tight list item."""
    run: list[Any] = []
    doc.previous = ""
    for node in nodes:
        name = node.name
        if name in _INLINE:
            run.append(node)
        elif name != "definition":  # a link reference definition leaves nothing behind
            if run:
                inline_nodes(doc, run, out)
                run, doc.previous = [], "paragraph"
                if name in _NEWLINE_AFTER_HIDDEN:
                    out.append("\n")
            render_block(doc, node, name, out)
            doc.previous = name
    if run:
        inline_nodes(doc, run, out)


def _open(tag: str, children: Any, out: Out, first: str | None = None) -> None:
    """An opening tag, and the newline renderToken adds unless inline content or the closing tag follows."""
    if first is None or first == "definition":
        first = next((name for child in children if (name := child.name) != "definition"), None)
    out.append(tag if first is None or first in _INLINE else tag + "\n")


def _paragraph(tag: str) -> Callable[[Document, Any, Out], None]:
    opening, closing = f"<{tag}>", f"</{tag}>\n"

    def render(doc: Document, node: Any, out: Out) -> None:
        if tag == "p" and _after_container(doc, node):  # markdown-it-pyrs ends a list before a line like "  :-"
            raise Unsupported(f"paragraph right after a {doc.previous}")
        out.append(opening)
        inline_nodes(doc, node.children, out)
        out.append(closing)

    return render


def _heading(doc: Document, node: Any, out: Out) -> None:
    level, toks = node.meta["level"], inline_tokens(doc, node.children)
    content: Out = []
    check_text(doc, "".join([tok.content if tok.type == "text" else _BREAKS.get(tok.type, "") for tok in toks]))
    emit(toks, content)
    if 2 <= level <= 4:  # the anchors plugin: a unique slug, and a permalink
        if doc.depth["footnote"]:  # markdown-it-py would make these slugs in the order of the footnotes
            raise Unsupported("heading in a footnote")
        title = "".join([tok.content for tok in toks if tok.type in ("text", "text_special", "code_inline")])
        slug = escapeHtml(unique_slug(slugify(title), doc.slugs))
        out.extend([f'<h{level} id="{slug}">', *content, f' <a class="header-anchor" href="#{slug}">#</a>'])
    else:
        out.extend([f"<h{level}>", *content])
    out.append(f"</h{level}>\n")


_BREAKS = {"softbreak": "\n", "hardbreak": "\n"}


def _container(tag: str) -> Callable[[Document, Any, Out], None]:
    """A block of blocks, or of a tight item's inline content: blockquote, definition list or description."""

    def render(doc: Document, node: Any, out: Out) -> None:
        children = node.children
        _open(f"<{tag}>", children, out)
        doc.depth[tag] = doc.depth.get(tag, 0) + 1
        render_blocks(doc, children, out)
        doc.depth[tag] -= 1
        out.append(f"</{tag}>\n")

    return render


def _list(tag: str) -> Callable[[Document, Any, Out], None]:
    def render(doc: Document, node: Any, out: Out) -> None:
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
            render_blocks(doc, children, out)
            out.append("</li>\n")
        attrs = (f' start="{start}"' if start != 1 else "") + (' class="contains-task-list"' if tasks else "")
        out[index] = f"<{tag}{attrs}>\n"
        out.append(f"</{tag}>\n")

    return render


def _task(doc: Document, children: list[Any], name: str | None) -> list[Any] | None:
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
            raise Unsupported("task-list item starting with a link [x]")
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


def _after_container(doc: Document, node: Any) -> bool:
    """Whether the block follows a container on the next line, which markdown-it-py may continue (lazily)."""
    if doc.previous not in _CONTAINERS:
        return False
    start = doc.span(node)[0]
    line = doc._bytes.rfind(b"\n", 0, start) + 1
    return bool(doc._bytes[doc._bytes.rfind(b"\n", 0, max(line - 1, 0)) + 1 : line].strip(b" \t\n>"))


def _table(doc: Document, node: Any, out: Out) -> None:
    if _after_container(doc, node):
        raise Unsupported(f"table right after a {doc.previous}")
    doc.tables += 1
    start = doc.span(node)[0]
    end = doc._bytes.find(b"\n", start)
    header = doc._bytes[start : end if end >= 0 else None]
    if b"|" not in header:
        raise Unsupported("table without a pipe in its first row")  # markdown-it-py needs one
    if _ROW_BLOCK.match(header.decode(errors="replace")) and not header.lstrip().startswith(b"|"):
        raise Unsupported("table whose first row markdown-it-py takes as the start of a block")
    aligns = node.meta["alignments"]
    out.append('<table tabindex="0">\n')
    for part in node.children:
        section = part.name
        if section not in ("thead", "tbody"):
            raise Unsupported(f"node {section!r} in a table")
        cell = "th" if section == "thead" else "td"
        tags = [f'<{cell} style="text-align:{align}">' if align != "none" else f"<{cell}>" for align in aligns]
        out.append(f"<{section}>\n")
        for row in part.children:
            if section == "tbody" and _ROW_BLOCK.match(line := doc.source(row)) and not line.lstrip().startswith("|"):
                raise Unsupported("table row that markdown-it-py takes as the start of a block")
            out.append("<tr>\n")
            cells = row.children
            for index, tag in enumerate(tags):
                out.append(tag)
                if index < len(cells):
                    inline_nodes(doc, cells[index].children, out)
                out.append(f"</{cell}>\n")
            out.append("</tr>\n")
        out.append(f"</{section}>\n")
    out.append("</table>\n")


def _definition_list(doc: Document, node: Any, out: Out) -> None:
    start = doc.span(node)[0]  # markdown-it-py tries setext headings first: is the paragraph underlined?
    blank = doc._bytes.find(b"\n\n", start)
    if _UNDERLINE.search(doc._bytes, start, blank if blank >= 0 else len(doc._bytes)):
        raise Unsupported("definition list before a setext underline")
    _DL(doc, node, out)


_DL = _container("dl")


def table_starts(text: str) -> int:
    """How many lines with a pipe are followed by a table's delimiter row (in any container)."""
    lines = [_PREFIX.sub("", line) for line in text.split("\n")]
    starts, index = 0, 0
    while index < len(lines) - 1:
        if "|" in lines[index] and _DELIMITER_ROW.fullmatch(lines[index + 1]):
            starts, index = starts + 1, index + 2
        else:
            index += 1
    return starts


def _html_block(doc: Document, node: Any, out: Out) -> None:
    content = node.meta["content"]
    out.append(content[:-1] if doc.at_end(node) else content)


def _code(doc: Document, node: Any, out: Out) -> None:
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
        raise Unsupported("fence at the end of a nested block")  # a container's prefix hides the closing fence
    return fence is not None and fence[1][0] == meta["marker"] and len(fence[1]) >= meta["marker_len"]


_BLOCK: dict[str, Callable[[Document, Any, Out], None]] = {
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
