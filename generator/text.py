"""Unicode-aware text helpers: slugs, reading time, grapheme-safe truncation, plain text of HTML."""

from __future__ import annotations

import html
import math
import unicodedata

import regex
from anyascii import anyascii

# Scripts read character by character rather than word by word.
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"
_CJK_CHAR = regex.compile(rf"[{_CJK}]")
_WORD_CHARS = rf"[^\s{_CJK}\p{{P}}\p{{S}}]+"
_LATIN_WORD = regex.compile(rf"{_WORD_CHARS}(?:['’]{_WORD_CHARS})*")
_SLUG_DROP = regex.compile(r"[^\p{L}\p{M}\p{N}\s_-]+")
_SLUG_SPACE = regex.compile(r"[\s_-]+")
_GRAPHEME = regex.compile(r"\X")
_TAG = regex.compile(r"<[^>]*>")
_BLOCK_END = regex.compile(r"</(p|div|h[1-6]|li|blockquote|pre|tr|dd|dt|figcaption)>|<br\s*/?>", regex.I)
_SPACES = regex.compile(r"\s+")

WORDS_PER_MINUTE = 220
CJK_CHARS_PER_MINUTE = 400


def slugify(text: str, transliterate: bool = False) -> str:
    """A URL slug: lower-case letters and digits of any script joined by '-'.

    CJK and other non-Latin letters are kept (they are percent-encoded only in URLs)
    unless `transliterate` asks for ASCII.
    """
    text = unicodedata.normalize("NFKC", text)
    if transliterate:
        text = anyascii(text)
    text = _SLUG_DROP.sub("", text.lower())
    return _SLUG_SPACE.sub("-", text).strip("-")


def count_words(text: str) -> tuple[int, int]:
    """Count (Latin-style words, CJK characters) in plain text."""
    cjk = len(_CJK_CHAR.findall(text))
    words = len(_LATIN_WORD.findall(_CJK_CHAR.sub(" ", text)))
    return words, cjk


def reading_time(text: str) -> int:
    """Minutes to read plain text, counting CJK characters and Latin words at their own speeds."""
    words, cjk = count_words(text)
    return max(1, math.ceil(words / WORDS_PER_MINUTE + cjk / CJK_CHARS_PER_MINUTE))


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Shorten text to at most `limit` grapheme clusters (ellipsis included), never splitting one.

    Latin text is cut at a word boundary when one is near; CJK text may be cut anywhere.
    """
    clusters = _GRAPHEME.findall(text)
    if len(clusters) <= limit:
        return text
    keep = max(limit - len(_GRAPHEME.findall(ellipsis)), 0)
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
    return _SPACES.sub(" ", html.unescape(text)).strip()
