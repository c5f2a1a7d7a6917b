"""End to end: build a small blog with the CLI and read the output as readers and machines do."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import feedparser
import mf2py
import pytest

from tests.conftest import SiteFactory
from tests.helpers import SITE_TOML, build, write_files
from tests.sites import BLOG


@pytest.fixture
def blog(make_site: SiteFactory) -> Path:
    """The test blog, built once per test; returns the output folder."""
    site = make_site(BLOG)
    result = build(site)
    assert result.exit_code == 0, result.output
    return site / "public"


def page(public: Path, path: str) -> str:
    return (public / path.strip("/") / "index.html").read_text(encoding="utf-8")


def when(values: list[str]) -> str:
    """The one datetime of an mf2 property, normalised (mf2py writes offsets as +0100)."""
    [value] = values
    return dt.datetime.fromisoformat(value).isoformat()


def entries(html: str, url: str) -> list[dict]:
    items = mf2py.parse(doc=html, url=url)["items"]
    found = []
    for item in items:
        found += (
            [item] if "h-entry" in item["type"] else [c for c in item.get("children", []) if "h-entry" in c["type"]]
        )
    return found


def test_post_page_is_an_h_entry_with_every_property(blog: Path) -> None:
    url = "https://example.org/2026/01/first-post/"
    [entry] = entries(page(blog, "2026/01/first-post"), url)
    props = entry["properties"]
    assert props["name"] == ['First post: "hello"']
    assert props["url"] == [url]
    assert when(props["published"]) == "2026-01-10T09:30:00+01:00"
    assert set(props["category"]) >= {"Python", "随笔", "Tech"}
    assert "The footnote text." in props["content"][0]["html"]
    author = props["author"][0]
    assert "h-card" in author["type"]
    assert author["properties"]["name"] == ["Ada Writer"]
    assert author["properties"]["url"] == ["https://example.org/"]
    photo = author["properties"]["photo"][0]
    assert (photo["value"] if isinstance(photo, dict) else photo) == "https://example.org/images/ada.png"


def test_updated_post_carries_dt_updated(blog: Path) -> None:
    [entry] = entries(page(blog, "2025/12/old-one"), "https://example.org/2025/12/old-one/")
    assert when(entry["properties"]["updated"]) == "2026-01-02T10:00:00+01:00"
    assert when(entry["properties"]["published"]) == "2025-12-24T00:00:00+01:00"


def test_note_has_no_name_and_no_heading(blog: Path) -> None:
    html = page(blog, "2026/02/a-note")
    [entry] = entries(html, "https://example.org/2026/02/a-note/")
    assert "name" not in entry["properties"]
    article = html.split('class="h-entry', 1)[1].split("</article>", 1)[0]
    headings = [h for h in article.split("<h")[1:] if h[0] in "123456"]
    assert all('class="visually-hidden"' in h.split(">", 1)[0] for h in headings), "a note shows a visible heading"
    assert "今天下雨" in entry["properties"]["content"][0]["value"]


def test_home_has_representative_h_card_rel_me_and_h_feed(blog: Path) -> None:
    parsed = mf2py.parse(doc=page(blog, ""), url="https://example.org/")
    cards = [i for i in parsed["items"] if "h-card" in i["type"]]
    assert cards, "no top-level h-card on the home page"
    card = cards[0]["properties"]
    assert card["name"] == ["Ada Writer"]
    assert "https://example.org/" in card["url"] and card["uid"] == ["https://example.org/"]
    assert set(parsed["rels"]["me"]) == {"https://mastodon.example/@ada", "https://github.com/ada"}
    feeds = [i for i in parsed["items"] if "h-feed" in i["type"]]
    assert feeds and all("h-entry" in c["type"] for c in feeds[0]["children"])


def test_drafts_and_scheduled_posts_are_left_out(blog: Path) -> None:
    assert not (blog / "2026/04/not-yet").exists()
    assert not (blog / "2026/12/scheduled").exists()
    everything = "".join(
        p.read_text(encoding="utf-8") for p in blog.rglob("*") if p.suffix in (".html", ".xml", ".json")
    )
    assert "Not Yet" not in everything and "Scheduled" not in everything


def test_drafts_flag_and_future_flag_include_them(make_site: SiteFactory) -> None:
    site = make_site(BLOG)
    assert build(site, "--drafts", "--future").exit_code == 0
    assert (site / "public/2026/04/not-yet/index.html").is_file()
    assert (site / "public/2026/12/scheduled/index.html").is_file()


def test_scheduled_post_appears_once_its_date_has_come(make_site: SiteFactory) -> None:
    site = make_site(BLOG)
    assert build(site, now=dt.datetime(2026, 12, 1, 8, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))).exit_code == 0
    assert (site / "public/2026/12/scheduled/index.html").is_file()


def test_rss_feed_parses_with_ids_dates_links_and_self(blog: Path) -> None:
    feed = feedparser.parse((blog / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.link == "https://example.org/"
    assert any(link.rel == "self" and link.href == "https://example.org/feed.xml" for link in feed.feed.links)
    first = next(e for e in feed.entries if e.get("title") == 'First post: "hello"')
    assert first.link == "https://example.org/2026/01/first-post/"
    assert first.id == "tag:example.org,2026-01-10:posts/2026-01-10-first-post"
    assert first.published == "Sat, 10 Jan 2026 09:30:00 +0100"
    assert 'src="https://example.org/images/pixel.png"' in first.description
    note = next(e for e in feed.entries if "今天下雨" in e.description)
    assert "title" not in note or not note.title


def test_atom_feed_gives_notes_a_derived_title(blog: Path) -> None:
    feed = feedparser.parse((blog / "atom.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.id == "https://example.org/"
    assert any(link.rel == "self" and link.href == "https://example.org/atom.xml" for link in feed.feed.links)
    note = next(e for e in feed.entries if "今天下雨" in e.content[0].value)
    assert note.title.startswith("今天下雨。A short note")
    first = next(e for e in feed.entries if e.title == 'First post: "hello"')
    assert first.updated == "2026-01-10T09:30:00+01:00"
    assert first.link == "https://example.org/2026/01/first-post/"


def test_json_feed_is_version_1_1_with_items(blog: Path) -> None:
    feed = json.loads((blog / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "https://example.org/feed.json"
    assert feed["home_page_url"] == "https://example.org/"
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == len(set(ids)) == 5
    note = next(i for i in feed["items"] if "今天下雨" in i["content_html"])
    assert "title" not in note and note["language"] == "zh"
    assert note["date_published"] == "2026-02-01T08:00:00+08:00"
    cjk = next(i for i in feed["items"] if i.get("title") == "中文标题的文章")
    assert cjk["url"] == "https://example.org/2026/03/%E4%B8%AD%E6%96%87%E6%A0%87%E9%A2%98/"
    assert cjk["image"] == cjk["url"] + "photo.png"


def test_feed_ids_do_not_change_when_the_title_does(make_site: SiteFactory) -> None:
    site = make_site(BLOG)
    build(site)
    before = json.loads((site / "public/feed.json").read_text(encoding="utf-8"))
    post = site / "content/posts/2026-01-10-first-post.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace('title: "First post: \\"hello\\""', "title: Renamed"), encoding="utf-8"
    )
    assert build(site).exit_code == 0
    after = json.loads((site / "public/feed.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in before["items"]] == [i["id"] for i in after["items"]]
    assert any(i.get("title") == "Renamed" for i in after["items"])


def test_every_tag_has_a_page_and_three_feeds(blog: Path) -> None:
    for tag in ("python", "随笔"):
        assert (blog / "tags" / tag / "index.html").is_file()
        feed = feedparser.parse((blog / "tags" / tag / "feed.xml").read_bytes())
        assert not feed.bozo and feed.entries
    python = feedparser.parse((blog / "tags/python/atom.xml").read_bytes())
    assert {e.title for e in python.entries} == {'First post: "hello"', "中文标题的文章"}
    assert "随笔" in (blog / "tags/index.html").read_text(encoding="utf-8")


def test_home_page_is_paginated(blog: Path) -> None:
    assert (blog / "page/2/index.html").is_file() and (blog / "page/3/index.html").is_file()
    assert not (blog / "page/4").exists()
    home = page(blog, "")
    assert 'href="/page/2/"' in home and 'rel="next"' in home


def test_cjk_slug_is_readable_on_disk_and_percent_encoded_in_links(blog: Path) -> None:
    assert (blog / "2026/03/中文标题/index.html").is_file()
    assert 'href="/2026/03/%E4%B8%AD%E6%96%87%E6%A0%87%E9%A2%98/"' in page(blog, "")


def test_bundle_files_stay_next_to_the_post_with_size_and_lazy_loading(blog: Path) -> None:
    assert (blog / "2026/03/中文标题/photo.png").is_file()
    html = page(blog, "2026/03/中文标题")
    assert 'width="40" height="30" loading="lazy"' in html
    assert (
        '<meta property="og:image" content="https://example.org/2026/03/%E4%B8%AD%E6%96%87%E6%A0%87%E9%A2%98/photo.png">'
        in html
    )


def test_language_is_declared_on_the_page_and_on_foreign_posts(blog: Path) -> None:
    assert '<html lang="en">' in page(blog, "2026/01/first-post")
    assert '<html lang="zh">' in page(blog, "2026/03/中文标题")
    home = page(blog, "")
    assert 'lang="zh"' in home.split("<main", 1)[1]


def test_links_to_other_posts_markdown_files_become_their_urls(blog: Path) -> None:
    assert '<a href="/2026/02/a-note/">link to the note</a>' in page(blog, "2026/01/first-post")


def test_aliases_become_redirect_pages(blog: Path) -> None:
    html = page(blog, "old/path")
    assert 'http-equiv="refresh"' in html and "https://example.org/2025/12/old-one/" in html
    assert '<link rel="canonical" href="https://example.org/2025/12/old-one/">' in html


def test_series_pages_list_the_parts_in_order(blog: Path) -> None:
    html = page(blog, "2025/12/part-two")
    assert html.index("The Old One") < html.index("Part Two", html.index("The Old One"))
    assert (blog / "series/trilogy/index.html").is_file()


def test_archive_years_sitemap_robots_and_404(blog: Path) -> None:
    archive = page(blog, "archive")
    assert "2026" in archive and "2025" in archive
    assert (blog / "2025/index.html").is_file()
    sitemap = (blog / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.org/2026/01/first-post/</loc><lastmod>2026-01-10T09:30:00+01:00</lastmod>" in sitemap
    assert "old/path" not in sitemap and "404" not in sitemap
    assert (blog / "robots.txt").read_text() == "User-agent: *\nAllow: /\n\nSitemap: https://example.org/sitemap.xml\n"
    assert "<html" in (blog / "404.html").read_text(encoding="utf-8")


def test_open_graph_and_twitter_meta_for_link_previews(blog: Path) -> None:
    html = page(blog, "2026/01/first-post")
    assert '<meta property="og:title" content="First post: &#34;hello&#34;">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:description" content="A short summary of the first post.">' in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_site_templates_and_static_files_override_the_theme(make_site: SiteFactory) -> None:
    site = make_site(
        {
            **BLOG,
            "templates/page.html": '{% extends "base.html" %}{% block content %}CUSTOM {{ post.title }}{% endblock %}',
            "static/assets/style.css": "body { color: red }",
        }
    )
    assert build(site).exit_code == 0
    assert "CUSTOM About" in page(site / "public", "about")
    assert (site / "public/assets/style.css").read_text() == "body { color: red }"


def test_base_url_with_a_path_prefixes_every_link_but_not_the_output(make_site: SiteFactory) -> None:
    site = make_site(
        BLOG, config=SITE_TOML.replace('url = "https://example.org/"\ndesc', 'url = "https://example.org/blog"\ndesc')
    )
    assert build(site).exit_code == 0
    home = page(site / "public", "")
    assert 'href="/blog/2026/02/a-note/"' in home and 'href="/blog/assets/style.css"' in home
    assert (site / "public/2026/01/first-post/index.html").is_file()
    feed = feedparser.parse((site / "public/feed.xml").read_bytes())
    assert feed.entries[0].link.startswith("https://example.org/blog/")
    first = page(site / "public", "2026/01/first-post")
    assert 'src="/blog/images/pixel.png"' in first


def test_output_option_writes_elsewhere(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site(BLOG)
    assert build(site, "--output", str(tmp_path / "out")).exit_code == 0
    assert (tmp_path / "out/index.html").is_file() and not (site / "public").exists()


def test_output_that_would_replace_the_site_is_refused(make_site: SiteFactory) -> None:
    site = make_site(BLOG)
    result = build(site, "--output", str(site))
    assert result.exit_code == 1
    assert "would replace the site's own files" in result.output
    assert (site / "content/pages/about.md").is_file()


def test_raw_html_in_the_authors_content_is_kept(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/2026-01-01-raw.md": '---\ntitle: Raw\n---\n\n<aside class="custom">Hi</aside>\n'})
    assert build(site).exit_code == 0
    assert '<aside class="custom">Hi</aside>' in page(site / "public", "2026/01/raw")


def test_summary_line_reports_counts(make_site: SiteFactory) -> None:
    result = build(make_site(BLOG))
    assert result.output.startswith("Built 5 posts and 1 page: ")


def test_quiet_prints_nothing_on_success(make_site: SiteFactory) -> None:
    from tests.helpers import run_cli

    site = make_site(BLOG)
    assert run_cli("-q", "build", "--site", str(site)).output == ""


def test_static_files_beside_content_are_copied_through(blog: Path) -> None:
    assert (blog / "images/pixel.png").read_bytes() == BLOG["content/images/pixel.png"]


def test_files_of_a_draft_bundle_are_not_published(make_site: SiteFactory) -> None:
    site = make_site(
        {
            "content/posts/2026-01-01-secret/index.md": "---\ntitle: Secret\ndraft: true\n---\n\nx\n",
            "content/posts/2026-01-01-secret/plan.pdf": b"%PDF-1.4",
        }
    )
    write_files(site, {})
    assert build(site).exit_code == 0
    assert not list((site / "public").rglob("plan.pdf"))


def test_a_content_file_may_replace_a_theme_asset(make_site: SiteFactory) -> None:
    site = make_site({**BLOG, "content/favicon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})
    assert build(site).exit_code == 0
    assert (site / "public/favicon.svg").read_text() == "<svg xmlns='http://www.w3.org/2000/svg'/>"


def test_verbose_reports_the_stages(make_site: SiteFactory) -> None:
    from tests.helpers import run_cli

    result = run_cli("-v", "build", "--site", str(make_site(BLOG)))
    assert "read 5 posts, 1 pages and 3 other files (6 rendered, the rest cached)" in result.output
    assert "made 48 files, wrote 48 changed, removed 0" in result.output
