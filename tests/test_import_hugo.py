"""`homepost import hugo`: posts and pages with their front matter, shortcodes converted, old URLs kept."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import yaml

from generator.importers.hugo import old_path, permalink
from tests.helpers import run_cli, snapshot, write_files
from tests.import_helpers import FIXTURES, built, checked, front, imported, old_urls, unanswered

SOURCE = FIXTURES / "hugo"


def test_toml_and_yaml_front_matter_become_homepost_keys(tmp_path: Path) -> None:
    site = imported("hugo", SOURCE, tmp_path / "site")
    first = yaml.safe_load(front(site / "content/posts/first.md"))
    assert first["title"] == "First post" and first["tags"] == ["hugo", "moving"] and first["categories"] == ["notes"]
    assert first["date"] == "2024-03-01 10:00:00+01:00"
    second = yaml.safe_load(front(site / "content/posts/second.md"))  # from second.markdown
    assert second["updated"] == "2024-04-01" and second["summary"] == "A post written in a .markdown file."
    assert second["slug"] == "group-2.0"
    assert yaml.safe_load(front(site / "content/posts/draft.md"))["draft"] is True
    assert yaml.safe_load(front(site / "content/posts/nihao.md"))["title"] == "你好，世界"
    assert (site / "content/pages/about.md").is_file()
    assert 'title = "Old Hugo Blog"' in (site / "site.toml").read_text(encoding="utf-8")


def test_shortcodes_become_markdown_and_links_to_posts_become_md_links(tmp_path: Path) -> None:
    body = (imported("hugo", SOURCE, tmp_path / "site") / "content/posts/first.md").read_text(encoding="utf-8")
    assert "[the second](second.md)" in body and "[bundle](bundle/index.md)" in body
    assert '<figure><img src="/images/cat.png" alt="A cat"><figcaption>Our cat</figcaption></figure>' in body
    assert '```python\nprint("hi")\n```' in body
    assert "(https://www.youtube.com/watch?v=dQw4w9WgXcQ)" in body
    assert "The first paragraph.\n\n<!-- more -->\n\n" in body


def test_every_old_url_answers_after_the_build(tmp_path: Path) -> None:
    site = imported("hugo", SOURCE, tmp_path / "site")
    urls = old_urls(site, "hugo")
    assert "https://old.example/notes/quick/" in urls  # a section without a permalink pattern
    assert "https://old.example/archives/2019/old-style.html" in urls  # its own url:, kept with its aliases
    assert "https://old.example/guides/setup/" in urls  # a page in a section: in the same folder in the new site
    assert "https://old.example/2024/03/你好世界/" in urls  # the title made the slug, as Hugo does
    assert "https://old.example/2030/01/later/" not in urls  # a future post had no URL yet
    public = built(site)
    assert unanswered(public, urls) == []
    assert (public / "images/cat.png").is_file() and (public / "2024/03/a-bundle/photo.png").is_file()
    assert not (public / "2024/03/not-yet").exists()  # the draft
    assert (public / "old-style/index.html").is_file()  # Hugo's own alias kept


def test_the_report_lists_what_was_not_converted_with_file_and_line(tmp_path: Path) -> None:
    report = (imported("hugo", SOURCE, tmp_path / "site") / "import-report.md").read_text(encoding="utf-8")
    assert "- content/posts/first.md:21: shortcode {{< instagram …}} not converted" in report
    assert "- content/posts/first.md:6: front matter key 'mood' not converted" in report
    assert "| posts | 8 |" in report and "| drafts | 1 |" in report and "| skipped | 1 |" in report


def test_a_rerun_changes_nothing_and_overwrites_nothing(tmp_path: Path) -> None:
    site = imported("hugo", SOURCE, tmp_path / "site")
    before = snapshot(site)
    imported("hugo", SOURCE, site)
    assert snapshot(site) == before
    edited = site / "content/posts/first.md"
    edited.write_text("my own edit\n", encoding="utf-8")
    imported("hugo", SOURCE, site)
    assert edited.read_text(encoding="utf-8") == "my own edit\n"


def test_without_into_a_new_site_is_made_beside_the_source(tmp_path: Path) -> None:
    source = tmp_path / "old-blog"
    shutil.copytree(SOURCE, source)
    result = run_cli("import", "hugo", str(source))
    assert result.exit_code == 0, result.output
    site = tmp_path / "old-blog-homepost"
    assert (site / "site.toml").is_file() and (site / "content/posts/first.md").is_file()
    assert f"Imported 8 posts and 2 pages into the new site {site}" in result.output
    assert f"Report: {site / 'import-report.md'}" in result.output


def test_permalinks_and_ugly_urls_give_hugo_s_old_paths() -> None:
    date = dt.datetime(2024, 2, 9)
    config = {"permalinks": {"posts": "/:year/:month/:day/:slug/", "notes": "/:section/:filename/"}}
    assert old_path({"title": "Hello World"}, "posts", "hello", date, config) == "/2024/02/09/hello-world/"
    assert old_path({"slug": "Custom"}, "notes", "Quick-One", date, config) == "/notes/quick-one/"
    assert old_path({}, "blog", "Post", date, {"uglyurls": True}) == "/blog/post.html"
    assert permalink(config, "posts") == "/{year}/{month}/{day}/{slug}/"
    assert permalink({}, "blog") == "/blog/{slug}/" and permalink({"uglyurls": True}, "blog") == "/blog/{slug}.html"
    ugly = {**config, "uglyurls": True}
    assert permalink(ugly, "posts") == "/{year}/{month}/{day}/{slug}.html"


def test_a_folder_of_another_kind_or_a_broken_file_is_told_and_nothing_crashes(tmp_path: Path) -> None:
    result = run_cli("import", "hugo", str(FIXTURES / "jekyll"), "--into", str(tmp_path / "site"))
    assert (
        result.exit_code == 1
        and f"error: {FIXTURES / 'jekyll'}: not a Hugo site: it has no content/ folder" in result.output
    )
    write_files(
        tmp_path / "old",
        {
            "config.toml": 'permalinks = ["not", "a", "table"]\n',
            "content/posts/bad.md": "---\ntitle: [unclosed\n---\nText.\n",
            "content/posts/good.md": "---\ntitle: Good\ndate: 2024-01-01\n---\nText.\n",
        },
    )
    site = imported("hugo", tmp_path / "old", tmp_path / "site")
    report = (site / "import-report.md").read_text(encoding="utf-8")
    assert "- content/posts/bad.md:1: front matter could not be read" in report and ": skipped" in report
    assert not (site / "content/posts/bad.md").exists() and (site / "content/posts/good.md").is_file()


def test_after_the_build_homepost_check_finds_every_old_url_tag_pages_too_and_no_broken_link(tmp_path: Path) -> None:
    site = imported("hugo", SOURCE, tmp_path / "site")
    assert "https://old.example/tags/moving/" in old_urls(site, "hugo")  # Hugo's tag pages: the same in Homepost
    assert yaml.safe_load(front(site / "content/posts/old-style.md"))["url"] == "/archives/2019/old-style.html"
    output = checked(site, "hugo")
    assert "old URLs: 12 checked, 0 not answering" in output and "links: 42 checked, 0 broken" in output


def test_ugly_urls_give_an_html_permalink_html_tag_pages_and_no_aliases(tmp_path: Path) -> None:
    write_files(
        tmp_path / "old",
        {
            "config.toml": 'baseURL = "https://ugly.example/"\nuglyURLs = true\n',
            "content/posts/one.md": "---\ntitle: One\ndate: 2024-01-02\ntags: [期权, Money Talk]\n---\n"
            'See [two]({{< relref "two.md" >}}).\n',
            "content/posts/two.md": "---\ntitle: Two\ndate: 2024-01-03\ncategories: [notes]\n---\nText.\n",
            "content/about.md": "---\ntitle: About\n---\nMe.\n",
        },
    )
    site = imported("hugo", tmp_path / "old", tmp_path / "site")
    toml = (site / "site.toml").read_text(encoding="utf-8")
    assert 'permalink = "/posts/{slug}.html"' in toml
    assert '[taxonomies.tags]\npath = "/tags/{term}.html"' in toml and 'path = "/categories/{term}.html"' in toml
    assert "aliases" not in "".join(front(p) for p in (site / "content").rglob("*.md"))
    assert "url" not in yaml.safe_load(front(site / "content/posts/one.md"))  # the permalink gives it
    urls = old_urls(site, "hugo")
    assert "https://ugly.example/posts/one.html" in urls and "https://ugly.example/about.html" in urls
    assert "https://ugly.example/tags/期权.html" in urls and "https://ugly.example/tags/money-talk.html" in urls
    assert "old URLs: 6 checked, 0 not answering" in checked(site, "hugo")
