"""Absolute URLs in a post's HTML, as feed readers need them.

A reader resolves a relative URL against the feed, not the post: an in-page anchor (a heading's
permalink, a footnote) or a bundle's `photo.png` would point nowhere. Every URL-valued attribute
of every tag (`href`, `src`, each `srcset` candidate, `poster`...) is resolved against the post's
URL; the rest of the HTML is left byte for byte as it was.
"""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import urljoin

URL_ATTRIBUTES = frozenset({"href", "src", "srcset", "poster", "cite", "data", "action", "longdesc", "background"})

# A start tag (a quoted value may hold ">"), then its attributes matched one by one, so that a value
# holding `href=` is never taken for an attribute. Text holds no `<` followed by a letter: it is escaped.
_TAG = re.compile(
    r"""<(?:a|area|audio|base|blockquote|body|del|embed|form|frame|iframe|image|img|input|ins|link|object|q|script"""
    r"""|source|table|td|th|track|video)(?=[\s/>])(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""",
    re.IGNORECASE,
)  # only the elements that may carry one of URL_ATTRIBUTES: the pattern passes over the many <p>, <em>, <span>
_ATTRIBUTE = re.compile(r"""(\s)([^\s"'>/=]+)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+)""")
_MAY_HAVE_URL = re.compile(r"(?:href|src|srcset|poster|cite|data|action|longdesc|background)\s*=", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# A srcset candidate's URL: after the start or a comma, up to whitespace, without trailing commas.
_SRCSET_URL = re.compile(r"(?:^|(?<=,))(\s*)(\S*?[^\s,])(?=,*(?:\s|$))")


@functools.lru_cache(maxsize=8192)  # a post is in several feeds (site, each of its terms, 3 formats)
def absolute_links(content: str, base: str) -> str:
    """`content` with every relative URL in a tag's attributes resolved against `base` (the post's URL)."""
    if "<" not in content:
        return content
    attribute = functools.partial(_attribute, base)

    def tag(match: re.Match[str]) -> str:
        text = match.group()
        return _ATTRIBUTE.sub(attribute, text) if _MAY_HAVE_URL.search(text) else text  # most tags have no URL

    return _TAG.sub(tag, content)


def _attribute(base: str, match: re.Match[str]) -> str:
    name = match.group(2).lower()
    if name not in URL_ATTRIBUTES:
        return match.group()
    value = match.group(4)
    quote = value[0] if value[0] in "\"'" else ""
    text = value[1:-1] if quote else value
    if name == "srcset":
        resolved = _SRCSET_URL.sub(lambda m: m.group(1) + _resolve(base, m.group(2)), text)
    else:
        resolved = _resolve(base, text)
    return f"{match.group(1)}{match.group(2)}{match.group(3)}{quote}{resolved}{quote}"


def _resolve(base: str, value: str) -> str:
    """One attribute value (HTML-escaped) made absolute; one with a scheme is kept as it is."""
    stripped = value.strip()
    if _SCHEME.match(stripped):
        return value
    if (
        stripped.startswith("#") and len(stripped) > 1
    ):  # an in-page anchor (headings, footnotes: most links in a post), as urljoin makes it
        return html.escape(base.partition("#")[0] + html.unescape(stripped), quote=True)
    return html.escape(urljoin(base, html.unescape(stripped)), quote=True)
