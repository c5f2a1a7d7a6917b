"""Unicode-aware text helpers: slugs, reading time, grapheme-safe truncation, plain text of HTML."""

from __future__ import annotations

import html
import math
import re
import unicodedata
from itertools import filterfalse, islice

import regex
from anyascii import anyascii

# Scripts read character by character rather than word by word: Han (with its iteration marks),
# kana (with the prolonged sound mark ー), Hangul, Bopomofo. Plain `re` ranges: much faster here.
_CJK = (
    "\u1100-\u11ff\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
_LATIN_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SLUG_DROP = regex.compile(r"[^\p{L}\p{M}\p{N}\s_-]+")
_SLUG_SPACE = regex.compile(r"[\s_-]+")
_SLUG_DROP_KEEPING_DOTS = regex.compile(r"[^\p{L}\p{M}\p{N}\s_.-]+")
_DOTS = re.compile(r"\.{2,}")
_GRAPHEME = regex.compile(r"\X")
_TAG = re.compile(r"<[^>]*>")
_BLOCK_END = re.compile(r"</(p|div|h[1-6]|li|blockquote|pre|tr|td|th|dd|dt|figcaption)>|<br\s*/?>", re.I)

WORDS_PER_MINUTE = 220
CJK_CHARS_PER_MINUTE = 400


def slugify(text: str, transliterate: bool = False, keep_dots: bool = False) -> str:
    """A URL slug: lower-case letters and digits of any script joined by '-'.

    CJK and other non-Latin letters are kept (they are percent-encoded only in URLs)
    unless `transliterate` asks for ASCII. `keep_dots` keeps single dots inside (`group-2.0`),
    never at either end and never two together (`..` is never a slug's part).
    """
    text = unicodedata.normalize("NFKC", text)
    if transliterate:
        text = anyascii(text)
    if not keep_dots:
        return _SLUG_SPACE.sub("-", _SLUG_DROP.sub("", text.lower())).strip("-")
    slug = _SLUG_SPACE.sub("-", _SLUG_DROP_KEEPING_DOTS.sub("", text.lower()))
    return _DOTS.sub(".", slug).strip("-.")


def count_words(text: str) -> tuple[int, int]:
    """Count (Latin-style words, CJK characters) in plain text."""
    latin, cjk = _CJK_CHAR.subn(" ", text) if not text.isascii() else (text, 0)
    # A word never spans whitespace, and a run of letters and digits alone is exactly one word
    # (`[^\W_]` is `str.isalnum`): only the other runs ("it's", "well-known,") need the pattern.
    runs = latin.split()
    others = list(filterfalse(str.isalnum, runs))
    return len(runs) - len(others) + _LATIN_WORD.subn("", " ".join(others))[1], cjk  # counted, not collected


def reading_time(text: str) -> int:
    """Minutes to read plain text, counting CJK characters and Latin words at their own speeds."""
    return minutes_to_read(*count_words(text))


def minutes_to_read(words: int, cjk: int) -> int:
    """Minutes to read `words` Latin-style words and `cjk` CJK characters (at least one)."""
    return max(1, math.ceil(words / WORDS_PER_MINUTE + cjk / CJK_CHARS_PER_MINUTE))


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Shorten text to at most `limit` grapheme clusters (ellipsis included), never splitting one.

    Latin text is cut at a word boundary when one is near; CJK text may be cut anywhere.
    """
    if len(text) <= limit:  # never more clusters than code points
        return text
    if text.isascii() and "\r" not in text:  # then every character is a cluster of its own
        clusters = list(text[: limit + 1])
    else:
        clusters = [match.group() for match in islice(_GRAPHEME.finditer(text), limit + 1)]
    if len(clusters) <= limit:
        return text
    marks = _GRAPHEME.findall(ellipsis)
    if limit <= len(marks):
        return "".join(marks[: max(limit, 0)])
    keep = limit - len(marks)
    cut = clusters[:keep]
    if keep < len(clusters) and not clusters[keep].isspace() and not _CJK_CHAR.match(clusters[keep]):
        for back in range(len(cut) - 1, max(len(cut) - 20, 0), -1):
            if cut[back].isspace():
                cut = cut[:back]
                break
    return "".join(cut).rstrip() + ellipsis


def html_to_text(markup: str) -> str:
    """Readable plain text of an HTML fragment, with whitespace collapsed."""
    text = _BLOCK_END.sub(" ", markup)
    text = _TAG.sub("", text)
    return " ".join(html.unescape(text).split())  # str.split's whitespace is the \s of re: three times quicker
