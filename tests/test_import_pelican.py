"""`homepost import pelican`: `Key: value` headers, `{filename}` and `{static}` links, ARTICLE_URL kept."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers import run_cli, write_files
from tests.import_helpers import FIXTURES, built, front, imported, old_urls, unanswered

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
