"""What a build tells the writer: the summary line's left-out posts, warnings with file and line, --strict."""

from __future__ import annotations

import pytest

from generator.content.links import line_of
from tests.conftest import SiteFactory
from tests.helpers import build, png_bytes

POST = "---\ntitle: A\ndate: 2026-05-01\n---\n\nFirst paragraph.\n\n"


def test_summary_counts_drafts_and_scheduled_posts_left_out(make_site: SiteFactory) -> None:
    site = make_site(
        {
            "content/posts/a.md": POST,
            "content/posts/d1.md": "---\ntitle: D1\ndate: 2026-05-02\ndraft: true\n---\nx\n",
            "content/pages/d2.md": "---\ntitle: D2\ndraft: true\n---\nx\n",
            "content/posts/s1.md": "---\ntitle: S1\ndate: 2026-12-24 10:00\n---\nx\n",
            "content/posts/s2.md": "---\ntitle: S2\ndate: 2027-01-01\n---\nx\n",
        }
    )
    for _ in range(2):  # the second build has nothing to do, and says the same
        result = build(site)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Built 1 post and 0 pages: ")
        assert result.output.rstrip().endswith("; 2 drafts and 2 scheduled left out (next on 2026-12-24)")


def test_summary_says_nothing_of_what_was_included(make_site: SiteFactory) -> None:
    site = make_site(
        {"content/posts/a.md": POST, "content/posts/d.md": "---\ntitle: D\ndate: 2026-05-02\ndraft: true\n---\nx\n"}
    )
    result = build(site, "--drafts")
    assert result.exit_code == 0 and "left out" not in result.output


def test_one_scheduled_post(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/a.md": POST, "content/posts/s.md": "---\ntitle: S\ndate: 2026-07-01\n---\nx\n"})
    assert build(site).output.rstrip().endswith("; 1 scheduled left out (next on 2026-07-01)")


MISSING = POST + "A line.\n\n![a cat](cat.png) and ![](/images/nope.jpg)\n\n" + "[there](other-post.md)\n"


@pytest.mark.parametrize("engine", ["python", "rust"])
def test_missing_images_are_warned_with_file_and_line(
    make_site: SiteFactory, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine == "rust":
        pytest.importorskip("markdown_it_pyrs")
    monkeypatch.setenv("HOMEPOST_MARKDOWN", engine)
    site = make_site({"content/posts/a.md": POST + "A line.\n\n![a cat](cat.png) and\n![](/images/nope.jpg)\n"})
    result = build(site)
    assert result.exit_code == 0, result.output
    assert "warning: content/posts/a.md:10: links to 'cat.png', which does not exist" in result.output
    assert "warning: content/posts/a.md:11: links to '/images/nope.jpg', which does not exist" in result.output


def test_a_missing_image_is_warned_again_by_a_build_with_nothing_to_do(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/a.md": POST + "![a cat](cat.png)\n"})
    build(site)
    again = build(site)
    assert "warning: content/posts/a.md:8: links to 'cat.png', which does not exist" in again.output


def test_images_that_exist_are_not_warned(make_site: SiteFactory) -> None:
    text = POST + "![](cat.png) ![](/images/me.png) ![](/logo.png) [feed](/feed.xml) [about](/about/)\n"
    picture = png_bytes(2, 2)
    files = {"content/posts/a.md": text, "content/posts/cat.png": picture, "content/images/me.png": picture}
    site = make_site({**files, "static/logo.png": picture})
    result = build(site)
    assert result.exit_code == 0 and "warning" not in result.output, result.output


@pytest.mark.parametrize("engine", ["python", "rust"])
def test_a_link_to_a_missing_post_names_the_line(
    make_site: SiteFactory, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine == "rust":
        pytest.importorskip("markdown_it_pyrs")
    monkeypatch.setenv("HOMEPOST_MARKDOWN", engine)
    site = make_site({"content/posts/a.md": POST + "Some\ntext [there](other-post.md).\n"})
    result = build(site)
    assert result.exit_code == 1
    assert (
        "error: content/posts/a.md:9: links to 'other-post.md', which is not a published post or page" in result.output
    )


def test_a_missing_cover_image_names_its_front_matter_line(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-05-01\nimage: cover.jpg\n---\nText.\n"})
    assert "warning: content/posts/a.md:4: links to 'cover.jpg', which does not exist" in build(site).output


def test_strict_makes_a_warning_fail_the_build(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/a.md": POST + "![a cat](cat.png)\n"})
    for _ in range(2):  # and again when nothing changed
        result = build(site, "--strict")
        assert result.exit_code == 1
        assert "warning: content/posts/a.md:8: links to 'cat.png'" in result.output
        assert "Build failed: 1 warning, and --strict makes warnings errors." in result.output


def test_strict_counts_warnings_even_when_quiet(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/a.md": POST + "![a cat](cat.png)\n"})
    result = build(site, "--strict", "-q")
    assert result.exit_code == 1 and "1 warning" in result.output and "cat.png" not in result.output


def test_strict_passes_a_clean_build(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/a.md": POST})
    assert build(site, "--strict").exit_code == 0


def test_the_line_is_where_the_url_is_a_destination_not_where_it_is_mentioned() -> None:
    text = (
        "---\nimage: cover.jpg\n---\nSee cat.png below, and `[x](dog.png)`?\n\n"
        "![a cat](cat.png)\n\n[ref]:\n  <caf%C3%A9.png>\n"
    )
    assert line_of(text, "cat.png") == 6
    assert line_of(text, "cover.jpg") == 2
    assert line_of(text, "caf%C3%A9.png") == 9
    assert line_of("![](café.png)", "caf%C3%A9.png") == 1  # as the parser passes it, percent-encoded
    assert line_of(text, "cat.jpg") is None
