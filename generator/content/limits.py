"""What a content file may be: its size, its characters, its name. Beyond these it is refused
with a named error (or, when it can still be read sensibly, read so with a warning)."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from generator.content.frontmatter import BAD_CHARACTER
from generator.errors import ContentError, Problem

log = logging.getLogger(__name__)

MAX_MARKDOWN_BYTES = 5 * 1024 * 1024
_BAD_NAME = re.compile("[\x00-\x1f\ud800-\udfff\ufffe\uffff]")  # BAD_CHARACTER, and tabs and newlines too
_MB = 1024 * 1024


def read_markdown(path: Path, display: str) -> bytes:
    """The bytes of a Markdown file, refused (before they are read) when over MAX_MARKDOWN_BYTES."""
    with open(path, "rb") as file:
        # Read what the file holds, plus one byte to see that it ended, and never past the limit: asking
        # for the limit itself would make a buffer of 5 MB for every file.
        size = min(os.fstat(file.fileno()).st_size, MAX_MARKDOWN_BYTES)
        data = file.read(size + 1)
        if len(data) > size:  # grown since, or a file that does not tell its size
            data += file.read(MAX_MARKDOWN_BYTES + 1 - len(data))
        if len(data) > MAX_MARKDOWN_BYTES:
            size = os.fstat(file.fileno()).st_size
            raise ContentError(
                Problem(
                    display,
                    f"{size / _MB:.1f} MB is over the limit of {MAX_MARKDOWN_BYTES // _MB} MB for a Markdown file; "
                    "split it",
                )
            )
    return data


def without_control_characters(text: str, display: str) -> str:
    """`text` with each control character (but tab and newlines) read as U+FFFD, with a warning."""
    found = BAD_CHARACTER.search(text)
    if found is None:
        return text
    line = text.count("\n", 0, found.start()) + 1
    text, count = BAD_CHARACTER.subn("\ufffd", text)
    log.warning(
        "%s:%d: %d control character(s) read as U+FFFD (first U+%04X)", display, line, count, ord(found.group())
    )
    return text


def usable_name(rel: str) -> bool:
    """False (with a warning) for a file whose name no URL or output file can hold: control characters, or not UTF-8."""
    if _BAD_NAME.search(rel) is None:
        return True
    log.warning(
        "content/%s: ignored: its name holds control characters or bytes that are not UTF-8; rename it",
        ascii(rel)[1:-1],
    )
    return False
