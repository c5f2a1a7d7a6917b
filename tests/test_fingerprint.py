"""Fingerprints: equal inputs give equal digests in any build; any difference a page could show gives another."""

from __future__ import annotations

import dataclasses

from generator.incremental.fingerprint import Fingerprints
from generator.model import Paginator, Post
from generator.render import PageInfo


def post(name: str, **changes) -> Post:
    made = Post(
        source=f"posts/{name}.md",
        kind="post",
        title=name,
        slug=name,
        date=None,
        updated=None,
        html="<p>x</p>",
        summary_html="",
        summary_text="",
        path=f"/{name}/",
        url=f"https://e.example/{name}/",
        dest=f"{name}/index.html",
        uid=name,
        fingerprint=f"digest-of-{name}",
    )
    return dataclasses.replace(made, **changes)


INFO = PageInfo("term", "/tags/a/", "https://e.example/tags/a/", title="A")


def test_the_same_inputs_give_the_same_fingerprint_in_another_build() -> None:
    context = {"posts": [post("one"), post("two")], "paginator": Paginator(1, 2, "/tags/a/")}
    again = {"posts": [post("one"), post("two")], "paginator": Paginator(1, 2, "/tags/a/")}
    assert Fingerprints("site").page("term.html", INFO, context) == Fingerprints("site").page("term.html", INFO, again)
    assert Fingerprints("site").page("term.html", INFO, context)[1] == ("posts/one.md", "posts/two.md")


def test_every_difference_a_page_could_show_changes_its_fingerprint() -> None:
    base = {"posts": [post("one"), post("two")], "title": "ab", "note": None}
    variants = [
        {**base, "posts": [post("two"), post("one")]},  # order
        {**base, "posts": [post("one")]},
        {**base, "posts": [post("one"), post("two", fingerprint="edited")]},
        {**base, "posts": [post("one"), post("two", scheduled=True)]},
        {**base, "title": "a", "note": "b"},  # no two lists of values make the same bytes
        {**base, "note": "None"},  # text is not the value None
        {**base, "note": 0},
        {**base, "extra": None},
    ]
    seen = {Fingerprints("site").page("term.html", INFO, base)[0]}
    for context in variants:
        seen.add(Fingerprints("site").page("term.html", INFO, context)[0])
    seen.add(Fingerprints("site").page("list.html", INFO, base)[0])
    seen.add(Fingerprints("other site").page("term.html", INFO, base)[0])
    seen.add(Fingerprints("site").page("term.html", dataclasses.replace(INFO, title="B"), base)[0])
    assert len(seen) == len(variants) + 4


def test_a_fingerprint_is_a_short_digest() -> None:
    many = {"posts": [post(f"p{n}") for n in range(500)]}
    fingerprint, sources = Fingerprints("site").page("archive.html", INFO, many)
    assert isinstance(fingerprint, str) and len(fingerprint) == 32
    assert sources == tuple(f"posts/p{n}.md" for n in range(500))
