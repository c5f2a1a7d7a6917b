"""Keeping old URLs: .html permalinks, {category}, {title}, a post's own `url:`, path patterns, the list of old URLs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SiteFactory
from tests.helpers import SITE_TOML, build, png_bytes

HTML_PERMALINK = SITE_TOML.replace("[build]\n", '[build]\npermalink = "/{year}/{month}/{slug}.html"\n')

POSTS: dict[str, str | bytes] = {
    "content/posts/2026-01-10-hello.md": "---\ntitle: Hello World\ndate: 2026-01-10\ntags: [期权]\n"
    "categories: [Money Talk]\n---\n\nSee [the other](2026-01-12-other.md).\n",
    "content/posts/2026-01-12-other.md": "---\ntitle: Other\ndate: 2026-01-12\ntags: [期权]\n---\n\nBack to "
    "[hello](2026-01-10-hello.md).\n",
}


def read(public: Path, rel: str) -> str:
    return (public / rel).read_text(encoding="utf-8")


def built(make_site: SiteFactory, config: str, files: dict[str, str | bytes]) -> Path:
    site = make_site(files, config=config)
    result = build(site)
    assert result.exit_code == 0, result.output
    return site / "public"


def test_html_permalink_writes_the_file_and_every_link_names_it(make_site: SiteFactory) -> None:
    public = built(make_site, HTML_PERMALINK, POSTS)
    assert (public / "2026/01/hello.html").is_file()
    assert not (public / "2026/01/hello").exists()
    url = "https://example.org/2026/01/hello.html"
    home = read(public, "index.html")
    assert 'href="/2026/01/hello.html"' in home or f'href="{url}"' in home
    assert "/2026/01/hello/" not in home
    post = read(public, "2026/01/hello.html")
    assert f'<link rel="canonical" href="{url}">' in post
    assert f'<meta property="og:url" content="{url}">' in post
    assert 'href="/2026/01/other.html"' in post  # the Markdown link, and prev/next
    assert f"<loc>{url}</loc>" in read(public, "sitemap.xml")
    assert f"<link>{url}</link>" in read(public, "feed.xml")
    items = json.loads(read(public, "feed.json"))["items"]
    assert url in [item["url"] for item in items]
    assert "/2026/01/hello.html" in read(public, "tags/期权/index.html")


@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        ("/{category}/{slug}.html", "money-talk/hello.html"),
        ("/{year}/{title}/", "2026/hello-world/index.html"),
        ("/{category}/{year}/{slug}/", "money-talk/2026/hello/index.html"),
    ],
)
def test_category_and_title_placeholders(make_site: SiteFactory, pattern: str, path: str) -> None:
    public = built(make_site, SITE_TOML.replace("[build]\n", f'[build]\npermalink = "{pattern}"\n'), POSTS)
    assert (public / path).is_file()
    assert "/" + path.removesuffix("index.html") in read(public, "index.html")


def test_a_post_without_a_category_leaves_that_part_out_with_a_warning(make_site: SiteFactory) -> None:
    site = make_site(POSTS, config=SITE_TOML.replace("[build]\n", '[build]\npermalink = "/{category}/{slug}.html"\n'))
    result = build(site)
    assert result.exit_code == 0, result.output
    assert (site / "public/other.html").is_file() and (site / "public/money-talk/hello.html").is_file()
    assert "warning: content/posts/2026-01-12-other.md: no category for {category} in the permalink" in result.output


@pytest.mark.parametrize("key", ["url", "permalink"])
def test_front_matter_url_sets_the_address(make_site: SiteFactory, key: str) -> None:
    files = {
        **POSTS,
        "content/posts/2026-01-12-other.md": f"---\ntitle: Other\ndate: 2026-01-12\n{key}: /archives/42.html\n---\n\n",
    }
    public = built(make_site, SITE_TOML, files)
    assert (public / "archives/42.html").is_file()
    assert 'href="/archives/42.html"' in read(public, "2026/01/hello/index.html")
    assert "https://example.org/archives/42.html" in read(public, "sitemap.xml")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "archives/42.html",
            "expected a path under the site such as '/old/post/' or '/old/post.html', got 'archives/42.html'",
        ),
        ("/archives/42.php", "expected a path ending in '/' or '.html', got '/archives/42.php'"),
        ("/a/../b/", "expected a path under the site such as '/old/post/' or '/old/post.html', got '/a/../b/'"),
    ],
)
def test_a_bad_front_matter_url_names_file_line_and_key(make_site: SiteFactory, value: str, expected: str) -> None:
    files = {"content/posts/2026-01-12-other.md": f"---\ntitle: Other\nurl: {value}\ndate: 2026-01-12\n---\n\nHi.\n"}
    site = make_site(files)
    result = build(site)
    assert result.exit_code != 0
    assert f"content/posts/2026-01-12-other.md:3: url: {expected}" in result.output
    assert "Traceback" not in result.output


def test_two_posts_claiming_one_address_is_an_error_naming_both(make_site: SiteFactory) -> None:
    files = {
        "content/posts/2026-01-10-hello.md": "---\ntitle: A\ndate: 2026-01-10\nurl: /same.html\n---\n\nA.\n",
        "content/posts/2026-01-12-other.md": "---\ntitle: B\ndate: 2026-01-12\npermalink: /same.html\n---\n\nB.\n",
    }
    result = build(make_site(files))
    assert result.exit_code != 0
    assert "content/posts/2026-01-10-hello.md" in result.output
    assert "content/posts/2026-01-12-other.md" in result.output
    assert "/same.html" in result.output


def test_taxonomy_and_pagination_paths_are_patterns(make_site: SiteFactory) -> None:
    config = (
        SITE_TOML.replace("posts_per_page = 2", 'posts_per_page = 1\npagination_path = "/page/{n}.html"')
        + '\n[taxonomies.tags]\npath = "/tags/{term}.html"\n'
    )
    public = built(make_site, config, POSTS)
    term = read(public, "tags/期权.html")
    assert "/2026/01/hello/" in term and 'href="/tags/%E6%9C%9F%E6%9D%83/page/2.html"' in term
    assert (public / "tags/期权/page/2.html").is_file()
    assert (public / "page/2.html").is_file() and 'href="/page/2.html"' in read(public, "index.html")
    assert 'href="/tags/%E6%9C%9F%E6%9D%83.html"' in read(public, "2026/01/hello/index.html")
    assert 'href="/tags/%E6%9C%9F%E6%9D%83.html"' in read(public, "tags/index.html")
    feed = read(public, "tags/期权/feed.xml")  # a term at NAME.html has its feeds in NAME/
    assert "<link>https://example.org/tags/%E6%9C%9F%E6%9D%83.html</link>" in feed
    assert 'href="https://example.org/tags/%E6%9C%9F%E6%9D%83/feed.xml" rel="self"' in feed  # as the page links it
    assert 'href="https://example.org/tags/%E6%9C%9F%E6%9D%83/feed.xml"' in term
    assert "https://example.org/tags/%E6%9C%9F%E6%9D%83.html" in read(public, "sitemap.xml")


@pytest.mark.parametrize(
    ("build_line", "table", "expected"),
    [
        ('pagination_path = "/page/"', "", "build.pagination_path: expected the pattern to contain {n}"),
        ('pagination_path = "/p/{m}/"', "", "build.pagination_path: unknown placeholder {m}; expected one of {n}"),
        ("", '[taxonomies.tags]\npath = "/{term}/"\n', "taxonomies.tags.path: expected {term} inside a folder"),
        ("", '[taxonomies.tags]\npath = "/tags/{name}/"\n', "taxonomies.tags.path: unknown placeholder {name}"),
    ],
)
def test_bad_path_patterns_are_named(make_site: SiteFactory, build_line: str, table: str, expected: str) -> None:
    config = SITE_TOML.replace("[build]\n", f"[build]\n{build_line}\n") + table
    result = build(make_site(POSTS, config=config))
    assert result.exit_code != 0
    assert f"site.toml: {expected}" in result.output


ALIASES = """\
# old address, new one
/old/hello.php posts/2026-01-10-hello.md
/archives/12/ /2026/01/other/
not-a-path /2026/01/other/
/lonely
"""


def test_the_list_of_old_urls_makes_redirect_pages_and_host_rules(make_site: SiteFactory) -> None:
    site = make_site({**POSTS, "data/aliases.txt": ALIASES})
    result = build(site)
    assert result.exit_code == 0, result.output
    public = site / "public"
    assert "https://example.org/2026/01/hello/" in read(public, "old/hello.php/index.html")
    assert "https://example.org/2026/01/other/" in read(public, "archives/12/index.html")
    assert "/old/hello.php /2026/01/hello/ 301" in read(public, "_redirects")
    assert "/archives/12/ /2026/01/other/ 301" in read(public, "_redirects")
    assert "location = /archives/12/ { return 301 /2026/01/other/; }" in read(public, "_nginx.conf")
    assert "warning: data/aliases.txt:4: expected 'OLD_PATH NEW_PATH_OR_SOURCE.md'" in result.output
    assert "warning: data/aliases.txt:5: expected" in result.output
    assert "https://example.org/archives/12/" not in read(public, "sitemap.xml")


def test_an_old_url_whose_target_does_not_exist_is_an_error(make_site: SiteFactory) -> None:
    site = make_site({**POSTS, "data/aliases.txt": "/old/ posts/missing.md\n"})
    result = build(site)
    assert result.exit_code != 0
    assert "data/aliases.txt:1: 'posts/missing.md' is not a published post or page" in result.output


@pytest.mark.parametrize("change", ["category", "url"])
def test_a_post_that_moves_leaves_a_tombstone_at_its_old_url(make_site: SiteFactory, change: str) -> None:
    config = SITE_TOML.replace("[build]\n", '[build]\npermalink = "/{category}/{slug}.html"\n')
    site = make_site(POSTS, config=config)
    assert build(site).exit_code == 0
    public, source = site / "public", site / "content/posts/2026-01-10-hello.md"
    assert (public / "money-talk/hello.html").is_file()
    edited = "categories: [Essays]" if change == "category" else "categories: [Money Talk]\nurl: /essays/hello.html"
    source.write_text(source.read_text(encoding="utf-8").replace("categories: [Money Talk]", edited), encoding="utf-8")
    result = build(site)
    assert result.exit_code == 0, result.output
    assert 'href="/essays/hello.html"' in read(public, "index.html")
    assert "/money-talk/hello.html" not in read(public, "index.html")
    assert "/money-talk/hello.html /money-talk/hello.html 410!" in read(public, "_redirects")
    assert "error_page 410 /money-talk/hello.html; return 410;" in read(public, "_nginx.conf")
    assert (public / "money-talk/hello.html").is_file()  # the tombstone the host serves with 410
    assert "https://example.org/money-talk/hello.html" not in read(public, "sitemap.xml")


def test_page_permalink_ending_in_html(make_site: SiteFactory) -> None:
    config = SITE_TOML.replace("[build]\n", '[build]\npage_permalink = "/{slug}.html"\n')
    files = {**POSTS, "content/pages/about.md": "---\ntitle: About\nmenu: true\n---\n\nMe.\n"}
    public = built(make_site, config, files)
    assert (public / "about.html").is_file() and not (public / "about").exists()
    assert 'href="/about.html"' in read(public, "index.html")
    assert "<loc>https://example.org/about.html</loc>" in read(public, "sitemap.xml")


def test_url_and_permalink_that_disagree_are_an_error(make_site: SiteFactory) -> None:
    files = {
        "content/posts/2026-01-12-other.md": "---\ntitle: B\ndate: 2026-01-12\nurl: /a/\npermalink: /b/\n---\n\nB.\n"
    }
    result = build(make_site(files))
    assert result.exit_code != 0
    assert "content/posts/2026-01-12-other.md:5: permalink: expected one of `url:` and `permalink:`" in result.output


def test_newer_and_older_links_follow_an_html_permalink(make_site: SiteFactory) -> None:
    public = built(make_site, HTML_PERMALINK, POSTS)
    older = read(public, "2026/01/hello.html")
    newer = read(public, "2026/01/other.html")
    assert 'href="/2026/01/other.html"' in older and 'href="/2026/01/hello.html"' in newer
    assert "/2026/01/other/" not in older and "/2026/01/hello/" not in newer


def test_an_edited_list_of_old_urls_is_followed_by_the_next_build(make_site: SiteFactory) -> None:
    site = make_site({**POSTS, "data/aliases.txt": "/one/ /2026/01/hello/\n"})
    assert build(site).exit_code == 0
    public = site / "public"
    assert (public / "one/index.html").is_file()
    (site / "data/aliases.txt").write_text("/two.html posts/2026-01-12-other.md\n", encoding="utf-8")
    result = build(site)
    assert result.exit_code == 0, result.output
    assert not (public / "one").exists()
    assert "https://example.org/2026/01/other/" in read(public, "two.html")
    assert read(public, "_redirects").splitlines()[1:] == ["/two.html /2026/01/other/ 301"]


def test_a_bundle_at_an_html_address_keeps_its_files_in_the_folder_beside_it(make_site: SiteFactory) -> None:
    files: dict[str, str | bytes] = {
        "content/posts/2026-01-05-trip/index.md": "---\ntitle: Trip\n---\n\n![p](photo.png)\n",
        "content/posts/2026-01-05-trip/photo.png": png_bytes(2, 2),
    }
    public = built(make_site, HTML_PERMALINK, files)
    assert (public / "2026/01/trip/photo.png").is_file()
    assert '<img src="/2026/01/trip/photo.png"' in read(public, "2026/01/trip.html")
