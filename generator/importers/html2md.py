"""WordPress HTML as Markdown where nothing is lost, else kept as HTML (raw HTML is Markdown too).

Paragraphs, links, emphasis, headings, lists, images, code and blockquotes convert; any other
element or attribute keeps the whole post as HTML. `<!-- wp:... -->` block comments are dropped and
`<!--more-->` becomes Homepost's `<!-- more -->`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

MORE = "<!-- more -->"
_KEEP_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "code": set(), "pre": set()}
_INLINE = {"a", "em", "i", "strong", "b", "code", "img", "br"}
_BLOCK = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "figure"}
_VOID = {"img", "br", "hr"}
_ESCAPE = re.compile(r"([\\`*_\[\]<>])")


@dataclass
class _Node:
    tag: str  # "" for text
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node] = field(default_factory=list)
    text: str = ""


class _Tree(HTMLParser):
    """The HTML as a tree; `lossy` when it holds anything Markdown cannot say."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]
        self.lossy = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open an element; one Markdown cannot say (or an attribute it would lose) makes the tree lossy."""
        if tag not in _INLINE | _BLOCK | {"hr"}:
            self.lossy = True
        kept = {}
        for name, value in attrs:
            if name == "class" and all(c.startswith("wp-") for c in (value or "").split()):
                continue  # WordPress's own styling hooks
            if name not in _KEEP_ATTRS.get(tag, set()):
                self.lossy = True
            kept[name] = value or ""
        node = _Node(tag, kept)
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        """Close the nearest open element of this name (HTML in the wild leaves some open)."""
        if tag == "figure" and [c.tag for c in self.stack[-1].children if c.tag or c.text.strip()] != ["img"]:
            self.lossy = True  # a figure is an image, or HTML (a caption, a gallery)
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        """Text, kept as it is until it is written."""
        self.stack[-1].children.append(_Node("", text=data))


def drop_block_comments(markup: str) -> str:
    """WordPress's `<!-- wp:... -->` comments removed, `<!--more-->` written as Homepost reads it."""
    markup = re.sub(r"<!--\s*more\s*(.*?)-->", MORE, markup)
    return re.sub(r"\n?<!--\s*/?wp:.*?-->\n?", "\n", markup, flags=re.S)


def html_to_markdown(markup: str) -> tuple[str, bool]:
    """`markup` as Markdown and True, or the HTML as it was (block comments dropped) and False."""
    markup = drop_block_comments(markup)
    parts = markup.split(MORE)
    if "<" not in markup.replace(MORE, ""):
        return markup.strip() + "\n", True
    converted = []
    for part in parts:
        tree = _Tree()
        tree.feed(part)
        tree.close()
        if tree.lossy:
            return markup.strip() + "\n", False
        converted.append(_blocks(tree.root.children).strip())
    return f"\n\n{MORE}\n\n".join(converted) + "\n", True


def _blocks(nodes: list[_Node]) -> str:
    out: list[str] = []
    inline: list[_Node] = []

    def flush() -> None:
        text = _inline(inline).strip()
        if text:
            out.extend(p.strip() for p in re.split(r"\n\s*\n", text) if p.strip())
        inline.clear()

    for node in nodes:
        if node.tag in _BLOCK or node.tag == "hr":
            flush()
            out.append(_block(node))
        else:
            inline.append(node)
    flush()
    return "\n\n".join(b for b in out if b)


def _block(node: _Node) -> str:
    tag = node.tag
    if tag == "p":
        return _inline(node.children).strip()
    if tag == "hr":
        return "---"
    if tag == "figure":
        return _inline([c for c in node.children if c.tag])
    if tag[0] == "h" and tag[1:].isdigit():
        return "#" * int(tag[1:]) + " " + " ".join(_inline(node.children).split())
    if tag in ("ul", "ol"):
        items = [c for c in node.children if c.tag == "li"]
        lines = []
        for number, item in enumerate(items, 1):
            marker = f"{number}. " if tag == "ol" else "- "
            body = _blocks(item.children).replace("\n", "\n" + " " * len(marker))
            lines.append(marker + body)
        return "\n".join(lines)
    if tag == "blockquote":
        return "\n".join(("> " + line).rstrip() for line in _blocks(node.children).split("\n"))
    if tag == "pre":
        code = node.children[0] if len(node.children) == 1 and node.children[0].tag == "code" else node
        text = _text(code)
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
        return f"{fence}\n{text.strip(chr(10))}\n{fence}"
    return _inline(node.children)


def _text(node: _Node) -> str:
    return node.text if not node.tag else "".join(_text(c) for c in node.children)


def _inline(nodes: list[_Node]) -> str:
    out = []
    for node in nodes:
        if not node.tag:
            out.append(_ESCAPE.sub(r"\\\1", re.sub(r"[ \t]+", " ", node.text)))
        elif node.tag in ("em", "i"):
            out.append(f"*{_inline(node.children)}*")
        elif node.tag in ("strong", "b"):
            out.append(f"**{_inline(node.children)}**")
        elif node.tag == "code":
            text = _text(node)
            tick = "``" if "`" in text else "`"
            out.append(f"{tick}{text}{tick}")
        elif node.tag == "br":
            out.append("\\\n")
        elif node.tag == "a":
            title = f' "{node.attrs["title"]}"' if node.attrs.get("title") else ""
            out.append(f"[{_inline(node.children)}](<{node.attrs.get('href', '')}>{title})")
        elif node.tag == "img":
            title = f' "{node.attrs["title"]}"' if node.attrs.get("title") else ""
            alt = _ESCAPE.sub(r"\\\1", node.attrs.get("alt", ""))
            out.append(f"![{alt}](<{node.attrs.get('src', '')}>{title})")
        else:
            out.append(_blocks([node]))
    return "".join(out)
