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

from generator.digest import quick_digest
from generator.incremental.versions import versions
from generator.model import Paginator, Post, Site, Taxonomy, Term
from generator.pipeline.related import RelatedPosts


class Fingerprints:
    """Digests of posts and template values, each post described once per build.

    Values are written out as text that says each value's kind and length before its content
    (a post, by a digest of its fields), so that no two different lists of values give the same
    text; a page's fingerprint is a digest of its values' text.
    """

    def __init__(self, site_inputs: str):
        self.site_inputs = site_inputs
        self._memo: dict[Any, Any] = {}  # id of a post, term or taxonomy -> its text
        self._seen: list[Post] = []  # the posts met while fingerprinting one page

    def page(self, template: str, info: Any, context: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
        """The fingerprint of one rendered page, and the sources of the posts it covers.

        One short digest rather than the parts themselves: hashing the parts (a kilobyte or
        two a page) costs less than keeping, loading and saving them in the output manifest.
        """
        seen: list[Post] = []
        self._seen = seen
        names = sorted(context)
        plain = repr(tuple(vars(info).values()))  # strings, numbers, dicts and the like: their repr says it all
        text = "".join(
            [self._names(template, *names), f"r{len(plain)}:", plain, *[self.value(context[key]) for key in names]]
        )
        fingerprint = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        return fingerprint, tuple(dict.fromkeys([post.source for post in seen]))

    def _names(self, *names: str) -> str:
        """The site's inputs, a template's name and the names of its values, written once."""
        known = self._memo.get(names)
        if known is None:
            known = self._memo[names] = self.value((self.site_inputs, *names))
        return known

    def post(self, post: Post) -> str:
        """A digest of a post as pages show it (33 characters).

        Its terms are not in it: they follow from its taxonomy names, which its fingerprint covers,
        and the site's terms, which the site's inputs cover (every digest goes with those).
        """
        known = self._memo.get(id(post))
        if known is None:
            if post.scheduled or post.conversation is not None or post.syndication:
                conversation = quick_digest(repr(post.conversation)) if post.conversation is not None else ""
                known = "p" + quick_digest(post.fingerprint, post.scheduled, conversation, post.syndication)
            else:  # as it was read: its fingerprint says it all
                known = "q" + post.fingerprint
            self._memo[id(post)] = known
        return known

    def in_site(self, post: Post) -> tuple[str, str]:
        """A post's digests together with the site-wide inputs: the stamp of its kept fragments."""
        return (self.site_inputs, self.post(post))

    def value(self, value: Any) -> str:
        """The text that stands for one value given to a template."""
        kind = type(value)
        if kind is Post:
            self._seen.append(value)
            return self.post(value)
        if kind is str:
            return f"s{len(value)}:{value}"
        if kind is list or kind is tuple:
            memo, seen, parts = self._memo, self._seen, []
            for item in value:  # mostly posts: their digests looked up here, without a call each
                if type(item) is Post:
                    seen.append(item)
                    parts.append(memo.get(id(item)) or self.post(item))
                else:
                    parts.append(self.value(item))
            return f"l{len(value)}:" + "".join(parts)
        if value is None:
            return "n"
        if kind is RelatedPosts:  # found only now: pages an edit does not reach never ask
            return self.value(value.found)
        if kind is Term or kind is Taxonomy:
            known = self._memo.get(id(value))
            if known is None:
                known = self._memo[id(value)] = self.value(_term_or_taxonomy(value))
            return known
        if kind is Paginator:
            return f"g{value.number}:{value.count}:{self.value(value.base_path)}:{self.value(value.later)}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.value((kind.__name__, *(getattr(value, f.name) for f in dataclasses.fields(value))))
        text = repr(value)  # numbers, dates, dicts: their repr says it all
        return f"r{len(text)}:{text}"


def _term_or_taxonomy(value: Term | Taxonomy) -> str:
    if isinstance(value, Term):  # not its posts: a term page is given the posts it shows
        return quick_digest("term", value.taxonomy, value.name, value.path, value.url, value.count, repr(value.feeds))
    terms = [(term.name, term.path, term.count) for term in value.terms]
    return quick_digest("taxonomy", value.key, value.title, value.path, value.url, value.feeds, repr(terms))


def site_structure(site_inputs: str, site: Site, gone: tuple[str, ...]) -> str:
    """A digest of all that the site's pages are made of besides the posts they show.

    The site-wide inputs, where every post and page is (each one's `place`: URL, date, terms...),
    the deleted posts and each show's own fields. While it stays the same, a page's fingerprint
    changes only with the digests of the posts it covers (see dependencies.py).
    """
    shows = [repr(dataclasses.replace(show, episodes=[])) for show in site.shows]
    places = ["".join([post.place for post in site.posts]), "".join([page.place for page in site.pages])]
    return quick_digest(site_inputs, repr(gone), *shows, *places)


def site_inputs(config_text: str, base_url: str, template_dirs: tuple[Path, ...], theme: Path, site: Site) -> str:
    """A digest of what every page depends on: configuration, templates, strings, navigation, terms."""
    parts = [versions(), config_text, base_url]
    for folder in (*template_dirs, theme / "strings.toml"):
        files = sorted(folder.rglob("*")) if folder.is_dir() else [folder] if folder.is_file() else []
        parts += [f"{file}:{file.read_bytes()!r}" for file in files if file.is_file()]
    parts += [f"menu:{page.title}:{page.path}:{page.weight}" for page in site.menu]
    for show in site.shows:  # templates may link any show and its episodes (the `shows` global)
        parts += [f"show:{show.key}:{show.path}:{show.feed_url}"] + [
            f"episode:{post.path}:{post.title}" for post in show.episodes
        ]
    for taxonomy in site.taxonomies:
        parts.append(f"taxonomy:{taxonomy.key}:{taxonomy.title}:{taxonomy.path}:{taxonomy.feeds}")
        parts += [f"term:{term.name}:{term.path}" for term in taxonomy.terms]
    return quick_digest(*parts)
