"""`homepost import jekyll`: _posts and _drafts, Liquid converted, static files copied, old URLs kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from generator.importers.jekyll import STYLES, old_path
from tests.import_helpers import FIXTURES, built, front, imported, old_urls, unanswered

SOURCE = FIXTURES / "jekyll"


def test_posts_drafts_and_unpublished_posts_are_written_with_their_front_matter(tmp_path: Path) -> None:
    site = imported("jekyll", SOURCE, tmp_path / "site")
    hello = yaml.safe_load(front(site / "content/posts/2023-05-01-hello-world.md"))
    assert hello["date"] == "2023-05-01 09:30:00+02:00"
    assert hello["categories"] == ["news", "personal"] and hello["tags"] == [
        "intro",
        "jekyll",
    ]  # space-separated strings
    assert (
        yaml.safe_load(front(site / "content/posts/2023-06-02-second.md"))["date"] == "2023-06-02"
    )  # a .markdown file
    assert yaml.safe_load(front(site / "content/posts/2023-07-03-hidden.md"))["draft"] is True  # published: false
    assert yaml.safe_load(front(site / "content/posts/an-idea.md"))["draft"] is True  # from _drafts/
    folder = yaml.safe_load(front(site / "content/posts/2023-08-04-in-a-folder.md"))
    assert folder["categories"] == ["blog", "travel"]
    assert (site / "static/assets/images/pic.png").is_file()


def test_liquid_tags_become_markdown(tmp_path: Path) -> None:
    site = imported("jekyll", SOURCE, tmp_path / "site")
    hello = (site / "content/posts/2023-05-01-hello-world.md").read_text(encoding="utf-8")
    assert "The code is at someone/old-blog." in hello  # {{ site.repository }}
    assert '```ruby\ndef hi\n  puts "hi"\nend\n```' in hello
    second = (site / "content/posts/2023-06-02-second.md").read_text(encoding="utf-8")
    assert "[the first post](2023-05-01-hello-world.md)" in second and "[about](../pages/about.md)" in second
    assert "[the picture](/assets/images/pic.png)" in second  # {% link %} to a file copied as it is
    assert "{{ not liquid }}" in second and "raw" not in second
    assert "The excerpt.\n\n<!-- more -->\n\n" in second  # its excerpt_separator


def test_every_old_url_answers_after_the_build(tmp_path: Path) -> None:
    site = imported("jekyll", SOURCE, tmp_path / "site")
    urls = old_urls(site, "jekyll")
    assert urls == [
        "https://jekyll.example/news/personal/2023/05/01/hello-world/",  # permalink: pretty, categories in the path
        "https://jekyll.example/custom/second-post/",  # the post's own permalink
        "https://jekyll.example/about/",
        "https://jekyll.example/blog/travel/2023/08/04/in-a-folder/",
    ]
    public = built(site)
    assert unanswered(public, urls) == []
    assert not (public / "2023/07/hidden").exists() and not (public / "robots.txt").read_text().startswith("plain")


def test_the_report_lists_liquid_it_could_not_convert(tmp_path: Path) -> None:
    report = (imported("jekyll", SOURCE, tmp_path / "site") / "import-report.md").read_text(encoding="utf-8")
    assert "- _posts/2023-05-01-hello-world.md:19: Liquid tag {% include %} not converted" in report
    assert "- static/robots.txt: Homepost writes its own: not copied" in report
    assert "- _projects/thing.md: in _projects/ (a collection?): not imported" in report


@pytest.mark.parametrize(
    "style,expected",
    [
        ("date", "/web/dev/2024/02/09/my-post.html"),
        ("pretty", "/web/dev/2024/02/09/my-post/"),
        ("ordinal", "/web/dev/2024/040/my-post.html"),
        ("none", "/web/dev/my-post.html"),
        ("/blog/:year/:i_month/:i_day/:title/", "/blog/2024/2/9/my-post/"),
    ],
)
def test_permalink_styles_and_patterns_give_the_old_path(style: str, expected: str) -> None:
    date = dt.datetime(2024, 2, 9, 8, 30)
    assert old_path(STYLES.get(style, style), date, "my-post", ["Web", "dev"]) == expected
