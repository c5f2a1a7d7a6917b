"""Feeds that hold up outside the site (GitHub issue 16, part 3): every link and image in an
entry is absolute, and a feed names itself exactly as its page links it, CJK terms included."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from generator.feeds.links import absolute_links
from tests.conftest import SiteFactory
from tests.feedcheck import ATOM, check_feeds, entry_html, links
from tests.helpers import build, png_bytes
from tests.sites import BLOG

ROOT = Path(__file__).resolve().parent.parent
POST_URL = "https://example.org/2026/04/links/"
LINKS = """\
---
title: Links of every kind
date: 2026-04-02 10:00
categories: [中文分类]
tags: [随笔]
---

A footnote[^1], [a sibling](../../03/), [a query](?page=2), [this page]() and [mail](mailto:ada@example.org).

## A heading

![Bundled](photo.png)

<img src="photo.png" srcset="photo.png 1x, /images/pixel.png 2x, https://cdn.example.net/p.png 3x" alt="">
<video src="clip.mp4" poster="photo.png" controls></video>
<audio src="/media/talk.mp3"></audio>
<blockquote cite="../../01/first-post/"><p>Quoted.</p></blockquote>
<img src="//cdn.example.net/scheme-relative.png" alt="">

[^1]: The footnote.
"""


@pytest.fixture(params=["python", "rust"])
def public(request: pytest.FixtureRequest, make_site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test blog with a post linking every way, built with each Markdown engine."""
    if request.param == "rust":
        pytest.importorskip("markdown_it_pyrs")
    monkeypatch.setenv("HOMEPOST_MARKDOWN", request.param)
    bundle = "content/posts/2026-04-02-links/"
    files = {**BLOG, bundle + "index.md": LINKS, bundle + "photo.png": png_bytes(4, 4)}
    site = make_site(files)
    result = build(site)
    assert result.exit_code == 0, result.output
    return site / "public"


def test_no_feed_entry_holds_a_relative_link(public: Path) -> None:
    feeds = {p.relative_to(public).as_posix() for p in check_feeds(public)}
    assert {"feed.xml", "atom.xml", "feed.json", "tags/随笔/feed.xml", "categories/中文分类/atom.xml"} <= feeds


def test_anchors_footnotes_and_relative_paths_resolve_against_the_post(public: Path) -> None:
    for feed in ("feed.xml", "atom.xml", "feed.json"):
        [html] = [h for h in entry_html(public / feed) if "Links of every kind" in h or "A heading" in h]
        found = links(html)
        assert POST_URL + "#a-heading" in found
        assert any(re.fullmatch(re.escape(POST_URL) + r"#fn-[\w-]+", url) for url in found), found
        assert any(re.fullmatch(re.escape(POST_URL) + r"#fnref-[\w-]+", url) for url in found), found
        assert {"https://example.org/2026/03/", POST_URL + "?page=2", POST_URL, "mailto:ada@example.org"} <= set(found)
        assert {POST_URL + "photo.png", POST_URL + "clip.mp4", "https://example.org/media/talk.mp3"} <= set(found)
        assert {"https://example.org/2026/01/first-post/", "https://cdn.example.net/scheme-relative.png"} <= set(found)
        assert (
            f'srcset="{POST_URL}photo.png 1x, https://example.org/images/pixel.png 2x, '
            'https://cdn.example.net/p.png 3x"' in html
        )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<a href="#x">', '<a href="https://example.org/p/#x">'),
        (
            "<a class=x href='#x' title=\"href='#y'\">",
            "<a class=x href='https://example.org/p/#x' title=\"href='#y'\">",
        ),
        ('<img src=a.png alt="">', '<img src=https://example.org/p/a.png alt="">'),
        ('<a href="../q?a=1&amp;b=2">', '<a href="https://example.org/q?a=1&amp;b=2">'),
        ('<img srcset="a.png,b.png 2x">', '<img srcset="https://example.org/p/a.png,b.png 2x">'),
        (
            '<img srcset="a.png 1x,b.png 2x">',
            '<img srcset="https://example.org/p/a.png 1x,https://example.org/p/b.png 2x">',
        ),
        ('<A HREF="/x">', '<A HREF="https://example.org/x">'),
        (
            '<a href="data:,x">&lt;a href="#x"&gt;<code>href="#y"</code>',
            '<a href="data:,x">&lt;a href="#x"&gt;<code>href="#y"</code>',
        ),
        ('<a data-href="#x" href="HTTPS://Example.org/">', '<a data-href="#x" href="HTTPS://Example.org/">'),
    ],
)
def test_absolute_links_rewrites_only_link_attributes_of_tags(html: str, expected: str) -> None:
    assert absolute_links(html, "https://example.org/p/") == expected


def alternates(html: str) -> dict[str, str]:
    """type -> href of the page's <link rel="alternate">, and "canonical" -> its canonical URL."""
    pattern = r'<link rel="alternate" type="(?P<type>[^"]+)" title="[^"]*" href="(?P<href>[^"]+)">'
    found = {m["type"]: m["href"] for m in re.finditer(pattern, html)}
    found["canonical"] = re.search(r'<link rel="canonical" href="([^"]+)">', html)[1]
    return found


@pytest.mark.parametrize("term", ["tags/随笔", "categories/中文分类"])
def test_a_cjk_terms_feeds_name_themselves_as_its_page_links_them(public: Path, term: str) -> None:
    page = alternates((public / term / "index.html").read_text(encoding="utf-8"))
    canonical = page["canonical"]
    assert canonical.isascii() and canonical.startswith("https://example.org/") and "%E" in canonical
    rss = ElementTree.fromstring((public / term / "feed.xml").read_bytes()).find("channel")
    assert rss.findtext("link") == canonical
    assert rss.find(f"{ATOM}link[@rel='self']").get("href") == page["application/rss+xml"] == canonical + "feed.xml"
    atom = ElementTree.fromstring((public / term / "atom.xml").read_bytes())
    assert atom.findtext(f"{ATOM}id") == atom.find(f"{ATOM}link[@rel='alternate']").get("href") == canonical
    assert atom.find(f"{ATOM}link[@rel='self']").get("href") == page["application/atom+xml"] == canonical + "atom.xml"
    feed = json.loads((public / term / "feed.json").read_text(encoding="utf-8"))
    assert feed["home_page_url"] == canonical
    assert feed["feed_url"] == page["application/feed+json"] == canonical + "feed.json"
    assert f"<loc>{canonical}</loc>" in (public / "sitemap.xml").read_text(encoding="utf-8")


def test_the_example_sites_feeds_hold_up(tmp_path: Path) -> None:
    site = tmp_path / "example"
    site.mkdir()
    shutil.copy(ROOT / "site.toml", site)
    for folder in ("content", "data"):
        shutil.copytree(ROOT / folder, site / folder)
    result = build(site)
    assert result.exit_code == 0, result.output
    feeds = {p.relative_to(site / "public").as_posix() for p in check_feeds(site / "public")}
    assert {"feed.xml", "atom.xml", "feed.json", "podcast.xml"} <= feeds


@pytest.mark.parametrize(
    "base", ["https://e.org/a/b/", "https://e.org/a/b/#old", "https://e.org/a?q=1", "https://e.org/%E4%B8%AD/"]
)
@pytest.mark.parametrize("anchor", ["#x", "#", "#fn-1", "#a&amp;b", "#%E4%B8%AD", " #pad ", "#中文"])
def test_an_in_page_anchor_resolves_as_urljoin_would(base: str, anchor: str) -> None:
    import html
    from urllib.parse import urljoin

    from generator.feeds.links import _resolve

    assert _resolve(base, anchor) == html.escape(urljoin(base, html.unescape(anchor.strip())), quote=True)
