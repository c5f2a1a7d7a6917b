"""Fitting a post into a platform's limits: graphemes, URL weights, hashtags, never a cut word.

Lengths are counted in grapheme clusters (what a reader sees as one character: an emoji with its
modifiers, a letter with its accents, one CJK character), as Mastodon and Bluesky count them.
Text is shortened at a sentence or word boundary where one is near, at a grapheme boundary for
scripts written without spaces (CJK), and the link home is always kept whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

import regex

ELLIPSIS = "…"
URL = re.compile(r"https?://[^\s<>\"]+")
_BREAKABLE = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Extended_Pictographic}]"
)  # no spaces needed between
_WORD_GAP = " \n\t"

Measure = Callable[[str], int]


def graphemes(text: str) -> list[str]:
    """The grapheme clusters of `text`."""
    return regex.findall(r"\X", text)


def grapheme_length(text: str) -> int:
    """How many characters a reader sees."""
    return len(graphemes(text))


def url_weighted(weight: int) -> Measure:
    """A measure counting every URL as `weight` characters (Mastodon: characters_reserved_per_url)."""

    def weigh(match: re.Match[str]) -> str:  # trailing punctuation is not part of the URL, as Mastodon counts
        url = match.group()
        bare = url.rstrip(".,;:!?)]'\"")
        return "x" * weight + url[len(bare) :]

    def measure(text: str) -> int:
        return grapheme_length(URL.sub(weigh, text))

    return measure


def utf8_length(text: str) -> int:
    """Bytes in UTF-8."""
    return len(text.encode("utf-8"))


def hashtag(tag: str) -> str | None:
    """`#tag` for a tag ("Open Web" -> "#OpenWeb", "播客" -> "#播客"), or None if nothing usable is left."""
    words = regex.findall(r"[\p{L}\p{N}_]+", unicodedata.normalize("NFC", tag))
    if not words:
        return None
    if len(words) == 1:
        return "#" + words[0]
    return "#" + "".join(w[:1].upper() + w[1:] for w in words)


def shorten(text: str, budget: int, measure: Measure = grapheme_length) -> str:
    """`text` cut to fit `budget` (the ellipsis included), at the best boundary near the end."""
    if measure(text) <= budget:
        return text
    clusters = graphemes(text)
    low, high = 0, len(clusters)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if measure("".join(clusters[:mid]).rstrip() + ELLIPSIS) <= budget:
            low = mid
        else:
            high = mid - 1
    if low == 0:
        return ""
    cut = _boundary(clusters, low)
    return "".join(clusters[:cut]).rstrip(" \n\t,;:、，；：.。…") + ELLIPSIS  # never ".…" after a sentence


def _boundary(clusters: Sequence[str], limit: int) -> int:
    """Where to cut at or before `limit`: after a sentence, else at a space or between CJK characters or emoji."""
    floor = max(1, int(limit * 0.6))  # do not throw away more than 40% to find a nicer boundary
    for index in range(limit, floor - 1, -1):
        end = clusters[index - 1]
        if end in "。！？" or (end in ".!?" and (index == len(clusters) or clusters[index] in _WORD_GAP)):
            return index
    for index in range(limit, floor - 1, -1):
        if index < len(clusters) and clusters[index] in _WORD_GAP:
            return index
        if _BREAKABLE.match(clusters[index - 1]) or (index < len(clusters) and _BREAKABLE.match(clusters[index])):
            return index
    return limit  # one very long word: cut it rather than lose everything


def fit(
    body: str, link: str, tags: Sequence[str], limit: int, measure: Measure = grapheme_length, sep: str = "\n\n"
) -> tuple[str, list[str]]:
    """`body`, the link home and hashtags within `limit`: tags go first when room runs out, then the
    body is shortened; the link is always kept. Returns the text and notes on what was adapted."""
    notes: list[str] = []
    tags = [t for t in (hashtag(tag) for tag in tags) if t]
    tags = list(dict.fromkeys(tags))

    def compose(text: str, kept: list[str]) -> str:
        parts = [p for p in (text.strip(), link, " ".join(kept)) if p]
        return sep.join(parts)

    kept = list(tags)
    while kept and measure(compose(body, kept)) > limit:
        kept.pop()
    if len(kept) < len(tags):
        notes.append(f"left out {len(tags) - len(kept)} of {len(tags)} hashtags")
    if measure(compose(body, kept)) <= limit:
        return compose(body, kept), notes
    fixed = measure(compose("", kept)) + (measure(sep) if body.strip() else 0)
    short = shorten(body.strip(), max(limit - fixed, 0), measure)
    notes.append(f"text shortened to fit {limit} characters")
    return compose(short, kept), notes
