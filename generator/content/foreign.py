"""Front matter as Hugo, Jekyll and Pelican writers write it, read as Homepost's keys.

One table, ALIASES, says which foreign key becomes which Homepost key and how its value is read.
A Homepost key written beside its foreign alias wins, with a warning naming the one ignored. Term
lists written as one string (`tags: python web`, `tags: python, web`) are split, with a warning
saying how; an unknown key close to a known one (`tag`, `catgories`) is a warning with a did-you-mean.
Every warning (kept in `FrontMatter.warnings`, for the build to give) names the file and line,
and says how the input was read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from generator.content.frontmatter import FrontMatter
from generator.errors import Problem

TYPO_CUTOFF = 0.8  # difflib's similarity from which an unknown key is taken for a typo of a known one


def _unchanged(value: Any) -> Any:
    return value


def _negated(value: Any) -> Any:
    """`published: false` is `draft: true`; anything but a boolean is left for `draft`'s own check."""
    return not value if isinstance(value, bool) else value


def _cover_image(value: Any) -> Any:
    """Hugo themes' `cover: {image: x.png, alt: ...}` (or a plain path) as Homepost's `image`; without one, none."""
    if isinstance(value, dict):
        if not isinstance(value.get("image"), str):
            return None  # `cover: {hidden: true}` and the like: the theme's settings, no image
        alt = value.get("alt") or value.get("caption") or ""
        return {"src": value["image"], "alt": alt} if isinstance(alt, str) and alt else _path(value["image"])
    return _path(value)


def _first(value: Any) -> Any:
    """Hugo's `images: [a.png, b.png]`: the first is the cover (an empty list: none)."""
    return _path(value[0] if value else None) if isinstance(value, list) else _path(value)


def _path(value: Any) -> Any:
    """An image path, or None for an empty one (themes write `featured_image: ""`)."""
    return None if isinstance(value, str) and not value.strip() else value


def _one_term(value: Any) -> Any:
    """Jekyll's and Pelican's `category`: one name (a list is read as it is)."""
    return [value] if isinstance(value, str) else value


@dataclass(frozen=True)
class Alias:
    """A foreign front matter key: the Homepost key it becomes and how its value is read."""

    key: str
    read: Callable[[Any], Any] = _unchanged
    later: bool = False  # a date that replaces the Homepost key's when later (Hugo's publishDate), without a warning


# Foreign key (lower case: Hugo's keys are case-insensitive) -> what it becomes.
ALIASES: dict[str, Alias] = {
    "lastmod": Alias("updated"),  # Hugo
    "last_modified_at": Alias("updated"),  # Jekyll (jekyll-last-modified-at)
    "modified": Alias("updated"),  # Pelican
    "description": Alias("summary"),  # Hugo
    "excerpt": Alias("summary"),  # Jekyll
    "published": Alias("draft", _negated),  # Jekyll
    "publishdate": Alias("date", later=True),  # Hugo: a future one schedules the post
    "expirydate": Alias("expires"),  # Hugo: a past one takes the post down
    "redirect_from": Alias("aliases"),  # Jekyll (jekyll-redirect-from)
    "cover": Alias("image", _cover_image),  # Hugo themes (PaperMod)
    "featured_image": Alias("image", _path),  # Hugo and Jekyll themes
    "images": Alias("image", _first),  # Hugo
    "category": Alias("categories", _one_term),  # Jekyll, Pelican
}


def read_foreign(
    fm: FrontMatter, file: str, taxonomies: tuple[str, ...], known: Iterable[str], is_later: Callable[[Any, Any], bool]
) -> FrontMatter:
    """`fm` with foreign keys read as Homepost's, term strings split and typos warned of (in place, and returned).

    `is_later(a, b)` says whether date value `a` is after date value `b` (for Hugo's publishDate).
    """
    homepost = {*known, *taxonomies}
    for written in list(fm.data):
        name = str(written).lower()
        alias = Alias(name) if name in homepost else ALIASES.get(name)  # Hugo's `Title` is `title`
        if alias is None or written == alias.key:
            continue
        value, line = fm.data.pop(written), fm.lines.pop(written, None)
        if alias.key in fm.data and alias.later:
            if not is_later(value, fm.data[alias.key]):
                continue  # published before its date: the date stands
        elif alias.key in fm.data:
            fm.warnings.append(
                Problem(file, f"ignored: `{alias.key}` is also set, and is used", line=line, key=written)
            )
            continue
        fm.data[alias.key] = alias.read(value)
        fm.written[alias.key] = written
        if line is not None:
            fm.lines[alias.key] = line
    for key in SPLIT_TERMS:  # Jekyll's own list keys; a series (or any other taxonomy) is one name
        if key in taxonomies:
            _split_terms(fm, file, key)
    _warn_typos(fm, file, [*homepost, *ALIASES])
    return fm


SPLIT_TERMS = ("tags", "categories")  # a string of several terms is read as a list only for these
_COMMA = re.compile(r"\s*[,，、]\s*")  # full-width commas too, as CJK writers type them


def _split_terms(fm: FrontMatter, file: str, key: str) -> None:
    """A string of several terms (`python, web` or Jekyll's `python web`) read as a list, with a warning."""
    value = fm.data.get(key)
    if not isinstance(value, str):
        return
    if _COMMA.search(value.strip(" ,")):
        terms, how = [t for t in _COMMA.split(value) if t], "separated by commas"
    elif len(value.split()) > 1:
        terms, how = value.split(), "separated by spaces, as Jekyll reads them"
    else:
        return
    fm.data[key] = terms
    shown = ", ".join(repr(t) for t in terms)
    message = f"a string read as a list of {len(terms)} {how}: {shown}; write a list"
    fm.warnings.append(Problem(file, message, line=fm.line_of(key), key=key))


def _warn_typos(fm: FrontMatter, file: str, known: list[str]) -> None:
    for written in fm.data:
        name = str(written)
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=TYPO_CUTOFF)
        if close:
            message = f"unknown key, kept for templates; did you mean `{close[0]}`?"
            fm.warnings.append(Problem(file, message, line=fm.line_of(name), key=name))
