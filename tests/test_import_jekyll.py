"""`homepost import jekyll`: _posts and _drafts, Liquid converted, static files copied, old URLs kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from generator.importers.jekyll import STYLES, old_path
from tests.helpers import write_files
from tests.import_helpers import FIXTURES, built, checked, front, imported, old_urls, unanswered

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


def test_after_the_build_homepost_check_finds_every_old_url_and_no_broken_link(tmp_path: Path) -> None:
    site = imported("jekyll", SOURCE, tmp_path / "site")
    hello = yaml.safe_load(front(site / "content/posts/2023-05-01-hello-world.md"))
    assert hello["url"] == "/news/personal/2023/05/01/hello-world/"  # two categories: no pattern says it
    output = checked(site, "jekyll")
    assert "old URLs: 4 checked, 0 not answering" in output and "links: 44 checked, 0 broken" in output


def test_the_date_style_gives_a_category_html_permalink_and_url_for_a_post_it_does_not_fit(tmp_path: Path) -> None:
    post = "---\ntitle: {0}\ncategories: {1}\n---\nText.\n"
    write_files(
        tmp_path / "old",
        {
            "_config.yml": "url: https://date.example\n",  # the default style: date
            "_posts/2024-02-09-one.md": post.format("One", "Web"),
            "_posts/2024-02-10-two.md": post.format("Two", "[]"),
            "_posts/2024-02-11-three.md": post.format("Three", "web dev"),
        },
    )
    site = imported("jekyll", tmp_path / "old", tmp_path / "site")
    assert 'permalink = "/{category}/{year}/{month}/{day}/{slug}.html"' in (site / "site.toml").read_text(
        encoding="utf-8"
    )
    assert "url" not in yaml.safe_load(front(site / "content/posts/2024-02-09-one.md"))
    assert "url" not in yaml.safe_load(front(site / "content/posts/2024-02-10-two.md"))  # no category: left out
    three = yaml.safe_load(front(site / "content/posts/2024-02-11-three.md"))
    assert three["url"] == "/web/dev/2024/02/11/three.html" and "aliases" not in three
    assert old_urls(site, "jekyll") == [
        "https://date.example/web/2024/02/09/one.html",
        "https://date.example/2024/02/10/two.html",
        "https://date.example/web/dev/2024/02/11/three.html",
    ]
    assert "old URLs: 3 checked, 0 not answering" in checked(site, "jekyll")


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
