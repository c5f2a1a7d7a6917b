"""Fingerprints: a digest of everything one output file is made from.

A page's fingerprint covers the site-wide inputs (configuration, templates, theme strings,
navigation, the list of terms) and the values its template is given: each post by a digest of
all its fields, a term by its name, place and count, a list by its members. Editing one post's
body therefore changes the fingerprints of exactly the pages that show that post.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

from generator.build.cache import VERSIONS
from generator.digest import quick_digest
from generator.model import Paginator, Post, Site, Taxonomy, Term


class Fingerprints:
    """Digests of posts and template values, each post described once per build.

    Values are written out as text that says each value's kind and length before its content
    (a post, by a digest of its fields), so that no two different lists of values give the same
    text; a page's fingerprint is a digest of its values' text.
    """

    def __init__(self, site_inputs: str):
        self.site_inputs = site_inputs
        self._memo: dict[Any, Any] = {}  # id of a post, term or taxonomy -> its text

    def page(self, template: str, info: Any, context: dict[str, Any]) -> str:
        """The fingerprint of one rendered page: a digest of what it is made from.

        One short digest rather than the parts themselves: hashing the parts (a kilobyte or
        two a page) costs less than keeping, loading and saving them in the output manifest.
        """
        names = sorted(context)
        plain = repr(tuple(vars(info).values()))  # strings, numbers, dicts and the like: their repr says it all
        text = "".join([self._names(template, *names), f"r{len(plain)}:", plain, *[self.value(context[key]) for key in names]])
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def _names(self, *names: str) -> str:
        """The site's inputs, a template's name and the names of its values, written once."""
        known = self._memo.get(names)
        if known is None:
            known = self._memo[names] = self.value((self.site_inputs, *names))
        return known

    def post(self, post: Post) -> str:
        """A digest of every field of a post that a template or feed could show (33 characters)."""
        known = self._memo.get(id(post))
        if known is None:
            terms = [self._term_place(term) for terms in post.terms.values() for term in terms]
            conversation = quick_digest(repr(post.conversation)) if post.conversation is not None else ""
            parts = [post.fingerprint, "scheduled" if post.scheduled else "", conversation,
                     str(len(post.syndication)), *post.syndication, *terms]  # fmt: skip
            text = "".join([f"{len(part)}:{part}" for part in parts])  # each part's length first: unambiguous
            known = self._memo[id(post)] = "p" + hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        return known

    def in_site(self, post: Post) -> tuple[str, str]:
        """A post's digests together with the site-wide inputs: the stamp of its kept fragments."""
        return (self.site_inputs, self.post(post))

    def value(self, value: Any) -> str:
        """The text that stands for one value given to a template."""
        kind = type(value)
        if kind is Post:
            return self.post(value)
        if kind is str:
            return f"s{len(value)}:{value}"
        if kind is list or kind is tuple:
            return f"l{len(value)}:" + "".join([self.value(v) for v in value])
        if value is None:
            return "n"
        if kind is Term or kind is Taxonomy:
            known = self._memo.get(id(value))
            if known is None:
                known = self._memo[id(value)] = self.value(_term_or_taxonomy(value))
            return known
        if kind is Paginator:
            return f"g{value.number}:{value.count}:{self.value(value.base_path)}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.value((kind.__name__, *(getattr(value, f.name) for f in dataclasses.fields(value))))
        text = repr(value)  # numbers, dates, dicts: their repr says it all
        return f"r{len(text)}:{text}"

    def _term_place(self, term: Term) -> str:
        """A term as a post shows it: its name and place (not its posts, whose number changes)."""
        key = ("place", id(term))
        known = self._memo.get(key)
        if known is None:
            known = self._memo[key] = f"{term.taxonomy}:{term.name}:{term.path}"
        return known


def _term_or_taxonomy(value: Term | Taxonomy) -> str:
    if isinstance(value, Term):  # not its posts: a term page is given the posts it shows
        return quick_digest("term", value.taxonomy, value.name, value.path, value.url, value.count, repr(value.feeds))
    terms = [(term.name, term.path, term.count) for term in value.terms]
    return quick_digest("taxonomy", value.key, value.title, value.path, value.url, value.feeds, repr(terms))


def site_inputs(config_text: str, base_url: str, template_dirs: tuple[Path, ...], theme: Path, site: Site) -> str:
    """A digest of what every page depends on: configuration, templates, strings, navigation, terms."""
    parts = [VERSIONS, config_text, base_url]
    for folder in (*template_dirs, theme / "strings.toml"):
        files = sorted(folder.rglob("*")) if folder.is_dir() else [folder] if folder.is_file() else []
        parts += [f"{file}:{file.read_bytes()!r}" for file in files if file.is_file()]
    parts += [f"menu:{page.title}:{page.path}:{page.weight}" for page in site.menu]
    for show in site.shows:  # templates may link any show and its episodes (the `shows` global)
        parts += [f"show:{show.key}:{show.path}:{show.feed_url}"] + [f"episode:{post.path}:{post.title}" for post in show.episodes]
    for taxonomy in site.taxonomies:
        parts.append(f"taxonomy:{taxonomy.key}:{taxonomy.title}:{taxonomy.path}:{taxonomy.feeds}")
        parts += [f"term:{term.name}:{term.path}" for term in taxonomy.terms]
    return quick_digest(*parts)
