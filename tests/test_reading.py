"""The reading aids of the default theme as the build makes them: table of contents, previous and
next posts, related posts by shared tags, the search page and its index."""

from __future__ import annotations

import json
import re
from pathlib import Path

from generator.model import Post, Term
from generator.pipeline.build import BuildOptions, build_site
from generator.pipeline.related import Related, related_posts
from generator.reading import headings, nest
from tests.conftest import SiteFactory
from tests.helpers import NOW, SITE_TOML, build

HEADINGS = "\n\n".join(f"## Part {n}\n\nText {n}.\n\n### Detail {n}\n\nMore." for n in range(1, 3))  # 4 headings


def post(title: str | None, date: str, tags: list[str], body: str = "Some text.", extra: str = "") -> str:
    head = f"title: {title}\n" if title else ""
    return f"---\n{head}date: {date}\ntags: {json.dumps(tags)}\n{extra}---\n\n{body}\n"


def built(make_site: SiteFactory, files: dict[str, str], config: str = SITE_TOML) -> Path:
    site = make_site(files, config=config)
    result = build(site)
    assert result.exit_code == 0, result.output
    return site / "public"


def page(public: Path, path: str) -> str:
    return (public / path.strip("/") / "index.html").read_text(encoding="utf-8")


def toc_of(html: str) -> str | None:
    found = re.search(r'<nav class="toc".*?</nav>', html, re.DOTALL)
    return found.group() if found else None


# --- table of contents ---------------------------------------------------------------------------


def test_a_post_with_enough_headings_gets_a_nested_table_of_contents(make_site: SiteFactory) -> None:
    public = built(make_site, {"content/posts/2026-01-01-long.md": post("Long", "2026-01-01", [], HEADINGS)})
    toc = toc_of(page(public, "2026/01/long"))
    assert toc is not None
    assert 'aria-label="Contents"' in toc and '<h2 class="toc-title">Contents</h2>' in toc
    assert re.search(r'<li><a href="#part-1">Part 1</a>\s*<ol>\s*<li><a href="#detail-1">Detail 1</a></li>', toc)
    assert toc.count("<li>") == 4


def test_a_post_below_the_threshold_has_no_table_of_contents(make_site: SiteFactory) -> None:
    body = "## One\n\nx\n\n## Two\n\ny\n"
    public = built(make_site, {"content/posts/2026-01-01-short.md": post("Short", "2026-01-01", [], body)})
    assert toc_of(page(public, "2026/01/short")) is None


def test_toc_true_asks_for_a_table_of_contents_below_the_threshold(make_site: SiteFactory) -> None:
    body = "## One\n\nx\n\n## Two\n\ny\n"
    public = built(
        make_site, {"content/posts/2026-01-01-short.md": post("Short", "2026-01-01", [], body, "toc: true\n")}
    )
    toc = toc_of(page(public, "2026/01/short"))
    assert toc is not None and '<a href="#one">One</a>' in toc and '<a href="#two">Two</a>' in toc


def test_toc_false_turns_the_table_of_contents_off(make_site: SiteFactory) -> None:
    public = built(
        make_site, {"content/posts/2026-01-01-long.md": post("Long", "2026-01-01", [], HEADINGS, "toc: false\n")}
    )
    assert toc_of(page(public, "2026/01/long")) is None


def test_the_threshold_is_a_site_setting(make_site: SiteFactory) -> None:
    body = "## One\n\nx\n\n## Two\n\ny\n"
    files = {"content/posts/2026-01-01-short.md": post("Short", "2026-01-01", [], body)}
    public = built(make_site, files, config=SITE_TOML + "\n[theme]\ntoc_min_headings = 2\n")
    assert toc_of(page(public, "2026/01/short")) is not None


def test_the_table_of_contents_speaks_the_posts_language(make_site: SiteFactory) -> None:
    public = built(
        make_site,
        {"content/posts/2026-01-01-zh.md": post("长文", "2026-01-01", [], "## 第一节\n\nx\n", "lang: zh\ntoc: true\n")},
    )
    toc = toc_of(page(public, "2026/01/zh"))
    assert toc is not None and 'aria-label="目录"' in toc and '<a href="#第一节">第一节</a>' in toc


def test_headings_written_as_html_count_by_their_own_id_and_text() -> None:
    html = (
        '<h2 data-id="no" id="yes">Hello <em>world</em> <a class="header-anchor" href="#yes">#</a></h2>'
        "<h3>No id</h3><h4 id='deep'>Deep &amp; low</h4><h5 id=\"five\">Five</h5>"
    )
    assert [(h.level, h.anchor, h.text) for h in headings(html)] == [
        (2, "yes", "Hello world"),
        (4, "deep", "Deep & low"),
    ]
    [top] = nest(headings(html))
    assert [child.anchor for child in top.children] == ["deep"]


def test_headings_without_an_id_do_not_count_toward_the_threshold(make_site: SiteFactory) -> None:
    body = "\n\n".join(f"## Part {n}\n\nText {n}." for n in range(1, 4)) + "\n\n<h2>Written as HTML</h2>\n"
    public = built(make_site, {"content/posts/2026-01-01-html.md": post("HTML", "2026-01-01", [], body)})
    html = page(public, "2026/01/html")
    assert "<h2>Written as HTML</h2>" in html and html.count('<h2 id="part-') == 3
    assert toc_of(html) is None  # four h2 elements, three with an id: below the default threshold of four


def test_a_toc_that_is_not_true_or_false_is_an_error_naming_file_and_line(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/2026-01-01-x.md": post("X", "2026-01-01", [], "x", "toc: maybe\n")})
    result = build(site)
    assert result.exit_code != 0
    assert "content/posts/2026-01-01-x.md:5: toc: expected true or false" in result.output


def test_a_bad_threshold_names_the_key(make_site: SiteFactory) -> None:
    site = make_site({}, config=SITE_TOML + "\n[theme]\ntoc_min_headings = -1\n")
    result = build(site)
    assert result.exit_code != 0 and "theme.toc_min_headings: expected 0 or more" in result.output


# --- tables, lists -------------------------------------------------------------------------------


def test_a_table_that_scrolls_has_a_label_for_keyboard_users(make_site: SiteFactory) -> None:
    body = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    public = built(make_site, {"content/posts/2026-01-01-t.md": post("T", "2026-01-01", [], body)})
    assert '<table tabindex="0" aria-label="Table (scroll sideways to see all of it)">' in page(public, "2026/01/t")


def test_list_entries_have_no_read_more_link(make_site: SiteFactory) -> None:
    public = built(
        make_site, {"content/posts/2026-01-01-a.md": post("A", "2026-01-01", [], "One.\n\n<!-- more -->\n\nTwo.")}
    )
    home = (public / "index.html").read_text(encoding="utf-8")
    assert '<a class="u-url" href="/2026/01/a/">A</a>' in home
    assert "Read more" not in home and "more-link" not in home


# --- previous and next ---------------------------------------------------------------------------


def test_previous_and_next_posts_link_with_rel_and_titles(make_site: SiteFactory) -> None:
    public = built(
        make_site,
        {
            "content/posts/2026-01-01-a.md": post("Alpha", "2026-01-01", []),
            "content/posts/2026-01-02-b.md": post("Beta", "2026-01-02", []),
            "content/posts/2026-01-03-c.md": post("Gamma", "2026-01-03", []),
        },
    )
    middle = page(public, "2026/01/b")
    assert re.search(r'<a href="/2026/01/a/" rel="prev">.*?Older post.*?Alpha</span></a>', middle)
    assert re.search(r'<a href="/2026/01/c/" rel="next">.*?Newer post.*?Gamma</span></a>', middle)
    assert 'rel="next"' not in page(public, "2026/01/c")


def test_a_note_without_text_is_named_by_its_date_in_the_links(make_site: SiteFactory) -> None:
    public = built(
        make_site,
        {
            "content/posts/2026-01-01-a.md": post(None, "2026-01-01", [], ""),
            "content/posts/2026-01-02-b.md": post("Beta", "2026-01-02", []),
        },
    )
    assert re.search(r'rel="prev">.*?Note of 1 January 2026</span></a>', page(public, "2026/01/b"))


# --- related posts -------------------------------------------------------------------------------


def related_of(html: str) -> list[str]:
    found = re.search(r'<nav class="related".*?</nav>', html, re.DOTALL)
    return re.findall(r'<a href="([^"]+)"', found.group()) if found else []


def test_related_posts_share_tags_most_shared_first_then_newest(make_site: SiteFactory) -> None:
    public = built(
        make_site,
        {
            "content/posts/2026-01-01-me.md": post("Me", "2026-01-01", ["a", "b", "c"]),
            "content/posts/2026-01-02-one.md": post("One", "2026-01-02", ["a"]),
            "content/posts/2026-01-03-two.md": post("Two", "2026-01-03", ["a", "b"]),
            "content/posts/2026-01-04-three.md": post("Three", "2025-12-01", ["a", "b", "c"]),
            "content/posts/2026-01-05-new.md": post("New", "2026-01-05", ["c"]),
            "content/posts/2026-01-06-none.md": post("None", "2026-01-06", ["z"]),
        },
    )
    assert related_of(page(public, "2026/01/me")) == [
        "/2025/12/three/",
        "/2026/01/two/",
        "/2026/01/new/",
        "/2026/01/one/",
    ]
    assert "Related posts" in page(public, "2026/01/me")


def test_a_post_sharing_no_tag_shows_no_related_posts(make_site: SiteFactory) -> None:
    public = built(
        make_site,
        {
            "content/posts/2026-01-01-a.md": post("A", "2026-01-01", ["x"]),
            "content/posts/2026-01-02-b.md": post("B", "2026-01-02", ["y"]),
            "content/posts/2026-01-03-c.md": post("C", "2026-01-03", []),
        },
    )
    for path in ("2026/01/a", "2026/01/b", "2026/01/c"):
        assert related_of(page(public, path)) == [] and 'class="related"' not in page(public, path)


def _post(n: int, tags: list[str]) -> Post:
    post = Post(
        f"p{n}.md", "post", f"P{n}", f"p{n}", None, None, "", "", "", f"/p{n}/", f"u{n}", f"p{n}/index.html", str(n)
    )
    post.terms = {"tags": [Term("tags", name, name, f"/tags/{name}/", "") for name in tags]}
    return post


def test_an_edit_build_finds_related_posts_only_for_the_pages_it_reaches(make_site: SiteFactory, monkeypatch) -> None:
    files = {
        f"content/posts/2026-01-{n:02d}-p{n}.md": post(f"P{n}", f"2026-01-{n:02d}", ["x"], "Text.")
        for n in range(1, 21)
    }
    site = make_site(files)
    options = BuildOptions(now=NOW, jobs=1)
    build_site(site, options)
    asked: list[str] = []
    find = Related.__getitem__
    monkeypatch.setattr(Related, "__getitem__", lambda self, source: asked.append(source) or find(self, source))
    source = site / "content/posts/2026-01-10-p10.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    build_site(site, options)
    assert (
        "posts/2026-01-10-p10.md" in asked and len(set(asked)) < 10
    )  # the edited post and pages that show it, not all 20


def test_related_posts_show_at_most_five() -> None:
    posts = [_post(n, ["common"]) for n in range(10)]
    related = related_posts(posts)
    assert [p.source for p in related["p0.md"]] == ["p1.md", "p2.md", "p3.md", "p4.md", "p5.md"]


def test_a_tag_on_every_post_is_looked_through_only_so_far() -> None:
    """At 10,000 posts a tag on all of them must not cost 10,000 looks per post: only the tag's newest
    `scan` posts are candidates, while a rarer shared tag still finds an older post."""
    posts = [_post(n, ["common"]) for n in range(200)] + [_post(200, ["common", "rare"])]
    posts[0].terms["tags"].append(Term("tags", "rare", "rare", "/tags/rare/", ""))
    related = related_posts(posts, scan=10)
    assert related["p0.md"][0].source == "p200.md"  # two shared tags, found through the rare one
    assert {p.source for p in related["p100.md"]} <= {f"p{n}.md" for n in range(11)}


# --- search ---------------------------------------------------------------------------------------


SEARCHED = {
    "content/posts/2026-01-01-a.md": post("Alpha", "2026-01-01", ["x", "随笔"], "今天下雨了，我们去看电影。"),
    "content/posts/2026-01-02-b.md": post(None, "2026-01-02", [], "A note " + "word " * 200),
}


def test_the_search_index_holds_each_posts_title_url_date_tags_and_text(make_site: SiteFactory) -> None:
    public = built(make_site, SEARCHED)
    data = json.loads((public / "search/index.json").read_text(encoding="utf-8"))
    assert data["posts"][1] == {
        "t": "Alpha",
        "u": "/2026/01/a/",
        "d": "2026-01-01",
        "g": ["x", "随笔"],
        "x": "今天下雨了，我们去看电影。",
    }
    note = data["posts"][0]
    assert (
        note["t"] == "" and note["u"] == "/2026/01/b/" and len(note["x"]) <= 300 and note["x"].startswith("A note word")
    )


def test_the_search_index_is_compact_and_keeps_cjk_text_whole_for_substring_search(make_site: SiteFactory) -> None:
    raw = (built(make_site, SEARCHED) / "search/index.json").read_bytes()
    assert b": " not in raw and b", " not in raw  # no spaces between values
    assert "下雨".encode() in raw  # the text as written (not escaped, not split into words): a substring finds it


def test_the_search_index_is_the_same_for_the_same_site(make_site: SiteFactory) -> None:
    one = (built(make_site, SEARCHED) / "search/index.json").read_bytes()
    other = make_site(SEARCHED, name="other")
    assert build(other).exit_code == 0
    assert (other / "public/search/index.json").read_bytes() == one


def test_the_search_index_is_made_again_only_when_what_it_holds_changes(make_site: SiteFactory) -> None:
    files = {"content/posts/2026-01-01-a.md": post("Alpha", "2026-01-01", ["x"], "First paragraph.\n\nSecond one.")}
    site = make_site(files)
    options = BuildOptions(now=NOW, jobs=1)
    assert "search/index.json" in build_site(site, options).made
    source = site / "content/posts/2026-01-01-a.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nA third paragraph, past the summary.\n", encoding="utf-8")
    made = build_site(site, options).made
    assert "2026/01/a/index.html" in made and "search/index.json" not in made
    source.write_text(source.read_text(encoding="utf-8").replace("Alpha", "Beta"), encoding="utf-8")
    assert "search/index.json" in build_site(site, options).made
    assert json.loads((site / "public/search/index.json").read_text(encoding="utf-8"))["posts"][0]["t"] == "Beta"


def test_the_search_page_works_without_scripts_through_a_search_engine(make_site: SiteFactory) -> None:
    public = built(make_site, SEARCHED)
    html = page(public, "search")
    assert '<form class="search-form" role="search" action="https://duckduckgo.com/" method="get"' in html
    assert '<input type="hidden" name="sites" value="example.org">' in html
    assert 'formaction="https://www.google.com/search"' in html and 'name="as_sitesearch" value="example.org"' in html
    assert "Scripts are off, so this form searches example.org with a search engine." in html
    assert 'data-index="/search/index.json"' in html
    assert "<title>Search · " in html


def test_every_page_links_the_search_page_and_loads_the_script_deferred(make_site: SiteFactory) -> None:
    home = (built(make_site, SEARCHED) / "index.html").read_text(encoding="utf-8")
    assert '<a href="/search/">Search</a>' in home
    assert re.search(r'<script src="/assets/reading.js" defer data-copy="Copy"', home)
    assert "<script>" not in home  # nothing inline: a strict Content-Security-Policy allows the page


def test_the_search_page_speaks_the_sites_language(make_site: SiteFactory) -> None:
    public = built(make_site, SEARCHED, config=SITE_TOML.replace('language = "en"', 'language = "zh"'))
    html = page(public, "search")
    assert "<title>搜索 · " in html and "脚本未启用" in html
