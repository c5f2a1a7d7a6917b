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
    """Digests of posts and template values, each post encoded once per build.

    Values are encoded as bytes that say their kind and length before their content, so that
    no two different lists of values give the same bytes; a page's fingerprint is a digest of
    its values' bytes.
    """

    def __init__(self, site_inputs: str):
        self.site_inputs = site_inputs
        self._memo: dict[Any, Any] = {}  # id of a post, term or taxonomy -> its bytes

    def page(self, template: str, info: Any, context: dict[str, Any]) -> str:
        """The fingerprint of one rendered page: a digest of what it is made from.

        One short digest rather than the parts themselves: hashing the parts (a kilobyte or
        two a page) costs less than keeping, loading and saving them in the output manifest.
        """
        plain = repr(tuple(vars(info).values())).encode("utf-8", "surrogatepass")  # strings, numbers, dicts
        parts = [self._names(template, *sorted(context)), b"r%d:%s" % (len(plain), plain)]
        parts += [self.value(context[key]) for key in sorted(context)]
        return hashlib.blake2b(b"".join(parts), digest_size=16).hexdigest()

    def _names(self, *names: str) -> bytes:
        """The site's inputs, a template's name and the names of its values, encoded once."""
        known = self._memo.get(names)
        if known is None:
            known = self._memo[names] = self.value((self.site_inputs, *names))
        return known

    def post(self, post: Post) -> bytes:
        """What stands for every field of a post that a template or feed could show."""
        known = self._memo.get(id(post))
        if known is None:
            terms = [self._term_place(term) for terms in post.terms.values() for term in terms]
            conversation = quick_digest(repr(post.conversation)) if post.conversation is not None else ""
            parts = [post.fingerprint, "scheduled" if post.scheduled else "", conversation,
                     str(len(post.syndication)), *post.syndication, *terms]  # fmt: skip
            data = "".join([f"{len(part)}:{part}" for part in parts]).encode("utf-8", "surrogatepass")
            known = self._memo[id(post)] = b"p%d:%s" % (len(data), data)
        return known

    def in_site(self, post: Post) -> tuple[str, bytes]:
        """A post's digests together with the site-wide inputs: the stamp of its kept fragments."""
        return (self.site_inputs, self.post(post))

    def value(self, value: Any) -> bytes:
        """The bytes that stand for one value given to a template."""
        kind = type(value)
        if kind is Post:
            return self.post(value)
        if kind is str:
            data = value.encode("utf-8", "surrogatepass")
            return b"s%d:%s" % (len(data), data)
        if kind is list or kind is tuple:
            return b"l%d:%s" % (len(value), b"".join([self.value(v) for v in value]))
        if value is None:
            return b"n"
        if kind is Term or kind is Taxonomy:
            known = self._memo.get(id(value))
            if known is None:
                known = self._memo[id(value)] = self.value(_term_or_taxonomy(value))
            return known
        if kind is Paginator:
            return self.value((value.number, value.count, value.base_path))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.value((kind.__name__, *(getattr(value, f.name) for f in dataclasses.fields(value))))
        data = repr(value).encode("utf-8", "surrogatepass")  # numbers, dates, dicts: their repr says it all
        return b"r%d:%s" % (len(data), data)

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
