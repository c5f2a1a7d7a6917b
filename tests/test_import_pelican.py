"""`homepost import pelican`: `Key: value` headers, `{filename}` and `{static}` links, ARTICLE_URL kept."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers import run_cli, write_files
from tests.import_helpers import FIXTURES, built, checked, front, imported, old_urls, unanswered

SOURCE = FIXTURES / "pelican"


def test_key_value_headers_become_front_matter(tmp_path: Path) -> None:
    site = imported("pelican", SOURCE, tmp_path / "site")
    first = yaml.safe_load(front(site / "content/posts/first-article.md"))
    assert first["title"] == "My first article" and first["tags"] == ["python", "pelican"]
    assert first["categories"] == ["python"]  # the folder is the category
    assert first["updated"] == "2022-02-05 08:00:00" and first["summary"] == "The very first one."
    assert yaml.safe_load(front(site / "content/posts/draft.md"))["draft"] is True
    assert 'timezone = "Europe/Paris"' in (site / "site.toml").read_text(encoding="utf-8")


def test_filename_and_static_links_are_rewritten(tmp_path: Path) -> None:
    site = imported("pelican", SOURCE, tmp_path / "site")
    first = (site / "content/posts/first-article.md").read_text(encoding="utf-8")
    assert "![Logo](/images/logo.png)" in first and "[the second](second.md)" in first
    assert "[the first](first-article.md)" in (site / "content/posts/second.md").read_text(encoding="utf-8")
    assert (site / "static/images/logo.png").is_file()


def test_article_url_from_pelicanconf_is_kept(tmp_path: Path) -> None:
    site = imported("pelican", SOURCE, tmp_path / "site")
    urls = old_urls(site, "pelican")
    assert "https://pelican.example/2022/my-first-article.html" in urls and "https://pelican.example/about/" in urls
    assert unanswered(built(site), urls) == []


def test_the_report_names_rst_files_and_settings_it_did_not_run(tmp_path: Path) -> None:
    report = (imported("pelican", SOURCE, tmp_path / "site") / "import-report.md").read_text(encoding="utf-8")
    assert "- content/old.rst: .rst content is not converted (Homepost reads Markdown): skipped" in report
    assert "- pelicanconf.py:12: THEME: not a plain value; Pelican's default used" in report  # read, never run
    assert "- content/second.md:5: {filename} link to '/missing.md': no such post; linked to /missing/" in report


def test_the_global_site_option_names_the_site_to_import_into(tmp_path: Path) -> None:
    result = run_cli("--site", str(tmp_path / "mine"), "-q", "import", "pelican", str(SOURCE))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mine/content/posts/first-article.md").is_file()


def test_two_articles_of_one_name_are_both_kept_and_link_to_each_other(tmp_path: Path) -> None:
    write_files(
        tmp_path / "old",
        {
            "content/a/note.md": "Title: Note A\nDate: 2022-01-01\n\nSee [B]({filename}../b/note.md).\n",
            "content/b/note.md": "Title: Note B\nDate: 2022-01-02\n\nSee [A]({filename}/a/note.md).\n",
        },
    )
    site = imported("pelican", tmp_path / "old", tmp_path / "site")
    a, b = (
        (site / "content/posts/note.md").read_text(encoding="utf-8"),
        (site / "content/posts/note-2.md").read_text(encoding="utf-8"),
    )
    assert "title: Note A" in a and "See [B](note-2.md)." in a
    assert "title: Note B" in b and "See [A](note.md)." in b
    assert unanswered(built(site), old_urls(site, "pelican")) == []


def test_slugs_from_file_names_when_pelicanconf_says_so(tmp_path: Path) -> None:
    write_files(
        tmp_path / "old",
        {
            "pelicanconf.py": 'SLUGIFY_SOURCE = "basename"\nSITEURL = "https://p.example"\n',
            "content/my-file.md": "Title: A Title\nDate: 2022-01-01\n\nText.\n",
        },
    )
    site = imported("pelican", tmp_path / "old", tmp_path / "site")
    assert old_urls(site, "pelican") == ["https://p.example/my-file.html", "https://p.example/category/misc.html"]


def test_after_the_build_homepost_check_finds_every_old_url_and_only_the_reported_link_broken(tmp_path: Path) -> None:
    site = imported("pelican", SOURCE, tmp_path / "site")
    toml = (site / "site.toml").read_text(encoding="utf-8")
    assert 'permalink = "/{year}/{slug}.html"' in toml and '[taxonomies.tags]\npath = "/tag/{term}.html"' in toml
    assert "https://pelican.example/tag/python.html" in old_urls(site, "pelican")
    result = run_cli("check", "--site", str(site), "--urls", str(site / "data/import/pelican-urls.txt"))
    assert "old URLs: 7 checked, 0 not answering" in result.output and "links: 35 checked, 1 broken" in result.output
    assert "line 9: link /missing/: no such file" in result.output  # the report names it: linked to /missing/
    assert "linked to /missing/" in (site / "import-report.md").read_text(encoding="utf-8")


def test_a_category_article_url_gives_a_category_html_permalink_and_save_as_variants_redirect(tmp_path: Path) -> None:
    write_files(
        tmp_path / "old",
        {
            "pelicanconf.py": 'SITEURL = "https://cat.example"\nARTICLE_URL = "{category}/{slug}.html"\n'
            'ARTICLE_SAVE_AS = "{category}/{slug}/index.html"\nTAG_URL = "tags/{slug}/"\n',
            "content/python/one.md": "Title: One\nDate: 2022-01-01\nTags: Web Dev\n\nText.\n",
            "content/python/two.md": "Title: Two\nDate: 2022-01-02\n\nText.\n",
            "content/three.md": "Title: Three\nDate: 2022-01-03\nCategory: Life Story\n\nText.\n",
        },
    )
    site = imported("pelican", tmp_path / "old", tmp_path / "site")
    toml = (site / "site.toml").read_text(encoding="utf-8")
    assert 'permalink = "/{category}/{slug}.html"' in toml and "[taxonomies.tags]" not in toml  # /tags/x/ as Homepost's
    assert 'path = "/category/{term}.html"' in toml
    assert all("url" not in yaml.safe_load(front(p)) for p in (site / "content/posts").glob("*.md"))
    assert (site / "data/aliases.txt").read_text(encoding="utf-8") == (
        "/python/one/ posts/one.md\n/python/two/ posts/two.md\n/life-story/three/ posts/three.md\n"
    )
    urls = old_urls(site, "pelican")
    assert "https://cat.example/life-story/three.html" in urls and "https://cat.example/python/one/" in urls
    assert "https://cat.example/tags/web-dev/" in urls
    output = checked(site, "pelican")
    assert f"old URLs: {len(urls)} checked, 0 not answering" in output
    assert "/python/one/ /python/one.html" in (site / "public/_redirects").read_text(encoding="utf-8")  # a 301
