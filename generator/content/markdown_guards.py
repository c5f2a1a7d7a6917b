"""Which documents the Rust parse leaves to markdown-it-py, found before parsing; and its panics kept quiet.

Each check is a quick scan of the text (a regular expression, a count) that is true for every document the Rust
path is known to get wrong or to crash on, and for few others: those are rendered by MarkdownRenderer whole.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from typing import Any

from generator.content.markdown import MAX_NESTING

# markdown-it-py stops nesting blocks, and links in links, at MAX_NESTING levels; markdown-it-pyrs goes on,
# recursing until Python's stack or its own runs out. Documents that could come near it are left to Python.
NESTING_COLUMNS = 16  # a block nested 20 deep has at least this many columns of markers and indentation before it
NESTING_BRACKETS = 16  # a link or image nested 20 deep has at least this many "[" open around it
# Emphasis nests without limit on both paths: markdown-it-pyrs overflows its stack turning 50,000 levels into Python
# objects. A paragraph can nest no deeper than half its delimiters, and markdown-it-py goes deep without recursing.
NESTING_DELIMITERS = 1000

# The containers a line can open or continue, from its start: indentation, ">", list and definition markers,
# a footnote label. Each level of nesting takes at least one column of it.
# (after a line break: a pattern starting with a literal is searched for quickly)
_CONTAINER_PREFIX = re.compile(r"\n(?:[ \t>]|(?:[*+\-:~]|[0-9]{1,9}[.)])(?=[ \t\n]|$)|\[\^[^\]\s]+\]:){4,}")
_NOT_BRACKET = re.compile(r"[^\[\]]+")
_BLANK_LINE = re.compile(r"\n[ \t>]*\n")
# an inline footnote starting with a character that is not ASCII (markdown-it-pyrs panics, slicing it within that
# character), empty, or holding brackets (markdown-it-pyrs panics on some, and ends others elsewhere)
_INLINE_FOOTNOTE = re.compile(r"\^\[(?:[^\x00-\x7f]|\]|[^\]]*\[)")
# CommonMark 0.31 counts Unicode symbols (Sc, Sk, Sm, So: "£", "€", emoji) as punctuation beside * _ ~, as
# markdown-it-py does; markdown-it-pyrs counts only the P categories.

# CommonMark 0.31 comments: "<!-->" and "<!--->" are comments, and "--" may appear inside one; declarations may
# start with a lowercase letter. markdown-it-pyrs follows 0.30 in both.
_LOWER_DECLARATION = re.compile(r"<![a-z]")
# a tab right after a blockquote or definition marker (in a list item too): markdown-it-pyrs' source positions go
# wrong there, and it expands the tab before an HTML block
_MARKER_TAB = re.compile(r"^(?:[ \t>*+\-]|\d{1,9}[.)])*(?:>[> ]*|[:~])\t", re.M)


class Unsupported(Exception):
    """The document holds something the Rust path does not render exactly like markdown-it-py."""


def python_only(text: str) -> str | None:
    """Why markdown-it-py must render this document rather than the Rust parse, or None when it need not."""
    if _too_deep(text):
        return f"blocks or links that may nest {MAX_NESTING} deep"
    if "\t" in text and _MARKER_TAB.search(text):
        return "tab after a blockquote or definition marker"
    if "^[" in text and _INLINE_FOOTNOTE.search(text):
        return "inline footnote empty, holding brackets, or starting with a character that is not ASCII"
    if "<!" in text and _html_differs(text):
        return "HTML comment or declaration as CommonMark 0.31 has them"
    if not text.isascii() and _symbol_beside_delimiter(text):
        return "Unicode symbol beside an emphasis delimiter"
    return None


def _too_deep(text: str) -> bool:
    """Whether some line could open blocks nested near MAX_NESTING deep, or some link, image or emphasis could be."""
    for match in _CONTAINER_PREFIX.finditer("\n" + text if text[:1] in " \t>*+-:~0123456789[" else text):
        prefix = match.group()[1:]
        if len(prefix.expandtabs(4)) >= NESTING_COLUMNS and prefix.strip(" \t"):
            return True
    if text.count("*") + text.count("_") + text.count("~") > NESTING_DELIMITERS:
        for block in _BLANK_LINE.split(text):
            if block.count("*") + block.count("_") + block.count("~") > NESTING_DELIMITERS:
                return True
    if text.count("[") < NESTING_BRACKETS:
        return False
    depth = 0
    for bracket in _NOT_BRACKET.sub("", text):
        if bracket == "[":
            depth += 1
            if depth >= NESTING_BRACKETS:
                return True
        elif depth:
            depth -= 1
    return False


def _html_differs(text: str) -> bool:
    """Whether an HTML comment or declaration is one in CommonMark 0.31 and not in 0.30, or ends elsewhere."""
    if _LOWER_DECLARATION.search(text):
        return True
    start = text.find("<!--")
    while start >= 0:
        if text.startswith((">", "->"), start + 4):
            return True
        end = text.find("-->", start + 4)
        if end < 0:
            return False
        body = text[start + 4 : end]
        if "--" in body or body.endswith("-"):
            return True
        start = text.find("<!--", end + 3)
    return False


def _symbol_beside_delimiter(text: str) -> bool:
    for delimiter in "*_~":  # str.find: much quicker than a regular expression over CJK text
        index = text.find(delimiter)
        while index >= 0:
            for char in (text[index - 1 : index] if index else "", text[index + 1 : index + 2]):
                if char > "\x7f" and unicodedata.category(char)[0] == "S":
                    return True
            index = text.find(delimiter, index + 1)
    return False


class _Stderr:
    """A file that takes standard error while markdown-it-pyrs runs: one per process (forks share offsets)."""

    lock = threading.Lock()
    pid = -1
    fd = -1
    file: Any = None


def parse_quietly(parse: Callable[[str], Any], text: str) -> Any:
    """`parse(text)`, keeping the text of a Rust panic off the terminal (Rust's panic hook writes it to fd 2).

    Standard error goes to a temporary file for the call; what was written there is passed on afterwards, unless
    the call raised (a panic: then all of it is dropped, other threads' lines of that moment with it).
    """
    with _Stderr.lock:
        if _Stderr.pid != os.getpid():
            _Stderr.file = tempfile.TemporaryFile()  # noqa: SIM115 (open for the life of the process)
            _Stderr.fd, _Stderr.pid = _Stderr.file.fileno(), os.getpid()
        try:
            saved = os.dup(2)
        except OSError:  # no standard error to protect
            return parse(text)
        os.dup2(_Stderr.fd, 2)
        raised = True
        try:
            result = parse(text)
            raised = False
            return result
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            written = os.lseek(_Stderr.fd, 0, os.SEEK_CUR)
            if written:
                os.lseek(_Stderr.fd, 0, os.SEEK_SET)
                captured = os.read(_Stderr.fd, written)
                os.ftruncate(_Stderr.fd, 0)
                if not raised:
                    os.write(2, captured)
