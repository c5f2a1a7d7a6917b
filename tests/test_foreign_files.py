"""Sites as Hugo, Jekyll and Pelican writers keep them, built as they are: other Markdown file
endings, Pelican's headers, expiry dates taken down with a tombstone, slugs that keep their dots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from generator.text import slugify
from tests.conftest import SiteFactory
from tests.helpers import NOW, build
from tests.test_published import recorded, tombstoned

POST = "---\ntitle: {title}\ndate: 2026-01-0{day}\n---\n\nText of {title}.\n"


def output_files(site: Path) -> set[str]:
    return {p.relative_to(site / "public").as_posix() for p in (site / "public").rglob("*") if p.is_file()}


@pytest.mark.parametrize("suffix", [".markdown", ".mdown", ".mkd"])
def test_other_markdown_endings_are_posts_and_their_source_is_not_published(
    make_site: SiteFactory, suffix: str
) -> None:
    site = make_site(
        {
            f"content/posts/2026-01-02-long-ending{suffix}": POST.format(title="Long ending", day=2),
            f"content/pages/about{suffix}": "---\ntitle: About me\n---\n\nAbout.\n",
            f"content/posts/bundle/index{suffix}": POST.format(title="Bundle", day=3),
            "content/posts/bundle/cat.txt": "a cat",
        }
    )
    result = build(site)
    assert result.exit_code == 0, result.output
    files = output_files(site)
    assert "2026/01/long-ending/index.html" in files
    assert "Text of Long ending." in (site / "public/2026/01/long-ending/index.html").read_text(encoding="utf-8")
    assert "about/index.html" in files
    assert "2026/01/bundle/index.html" in files and "2026/01/bundle/cat.txt" in files
    assert not [f for f in files if f.endswith(suffix)]


def test_markdown_outside_posts_and_pages_is_not_published_and_is_warned_of(make_site: SiteFactory) -> None:
    site = make_site(
        {
            "content/posts/2026-01-02-a.md": POST.format(title="A", day=2),
            "content/notes.markdown": "# Notes\n",
            "content/posts/bundle/index.md": POST.format(title="Bundle", day=3),
            "content/posts/bundle/draft-part.md": "More text.\n",
            "content/posts/bundle/cat.txt": "a cat",
        }
    )
    result = build(site)
    assert result.exit_code == 0, result.output
    files = output_files(site)
    assert "notes.markdown" not in files and "2026/01/bundle/draft-part.md" not in files
    assert "2026/01/bundle/cat.txt" in files
    assert "warning: content/notes.markdown: a Markdown file outside posts/ and pages/: not published" in result.output
    assert (
        "warning: content/posts/bundle/draft-part.md: a Markdown file in a bundle beside its index: not published"
        in (result.output)
    )


def test_a_link_to_a_markdown_file_of_another_ending_is_its_url(make_site: SiteFactory) -> None:
    site = make_site(
        {
            "content/posts/2026-01-02-a.markdown": POST.format(title="A", day=2),
            "content/posts/2026-01-03-b.md": "---\ntitle: B\ndate: 2026-01-03\n---\n\nSee [A](2026-01-02-a.markdown).",
        }
    )
    assert build(site).exit_code == 0
    assert 'href="/2026/01/a/"' in (site / "public/2026/01/b/index.html").read_text(encoding="utf-8")


def test_a_pelican_file_builds_with_its_cjk_title(make_site: SiteFactory) -> None:
    text = "Title: 期权入门\nDate: 2026-01-04 10:00\nTags: 期权, python\nSlug: options\n\nThe body.\n"
    site = make_site({"content/posts/options.md": text})
    result = build(site)
    assert result.exit_code == 0, result.output
    page = (site / "public/2026/01/options/index.html").read_text(encoding="utf-8")
    assert "期权入门" in page and "The body." in page and "Title:" not in page
    assert (site / "public/tags/期权/index.html").exists()


def test_how_a_file_was_read_is_warned_of_by_every_build(make_site: SiteFactory) -> None:
    text = "---\ntitle: T\ndate: 2026-01-02\ntag: x\n---\n\nText.\n"
    files: dict[str, str | bytes] = {
        f"content/posts/2026-01-0{n}-p{n}.md": POST.format(title=n, day=n) for n in range(3, 9)
    }
    site = make_site({**files, "content/posts/2026-01-02-typo.md": text})
    warning = "content/posts/2026-01-02-typo.md:4: tag: unknown key, kept for templates; did you mean `tags`?"
    for _ in range(2):  # the second build reads the file from the cache
        result = build(site, "--strict")
        assert result.exit_code == 1
        assert f"warning: {warning}" in result.output


def test_a_past_expiry_date_takes_the_post_down_with_a_tombstone(make_site: SiteFactory) -> None:
    expiring = "---\ntitle: Sale\ndate: 2026-01-02\nexpiryDate: 2026-07-01\n---\n\nOn sale now.\n"
    site = make_site(
        {"content/posts/2026-01-01-kept.md": POST.format(title="Kept", day=1), "content/posts/sale.md": expiring}
    )
    assert build(site).exit_code == 0  # NOW is June 2026: still for sale
    assert "2026/01/sale/" in recorded(site)
    assert not tombstoned(site, "2026/01/sale/")
    result = build(site, now=NOW + dt.timedelta(days=60))
    assert result.exit_code == 0, result.output
    assert tombstoned(site, "2026/01/sale/")
    assert not tombstoned(site, "2026/01/kept/")
    assert "On sale now." not in (site / "public/index.html").read_text(encoding="utf-8")


def test_a_post_expired_before_it_was_ever_published_is_not_published(make_site: SiteFactory) -> None:
    expired = "---\ntitle: Gone\ndate: 2026-01-02\nexpirydate: 2026-02-01\n---\n\nGone text.\n"
    site = make_site(
        {"content/posts/2026-01-01-kept.md": POST.format(title="Kept", day=1), "content/posts/gone.md": expired}
    )
    assert build(site).exit_code == 0
    assert not (site / "public/2026/01/gone").exists()
    assert "2026/01/gone/" not in recorded(site)


def test_a_future_publish_date_schedules_the_post(make_site: SiteFactory) -> None:
    later = "---\ntitle: Later\ndate: 2026-01-02\npublishDate: 2026-09-01\n---\n\nNot yet.\n"
    site = make_site(
        {"content/posts/2026-01-01-kept.md": POST.format(title="Kept", day=1), "content/posts/later.md": later}
    )
    assert build(site).exit_code == 0
    assert not (site / "public/2026/09/later").exists() and not (site / "public/2026/01/later").exists()
    assert build(site, now=NOW + dt.timedelta(days=120)).exit_code == 0
    assert (site / "public/2026/09/later/index.html").exists()


# --- slugs keep their dots ----------------------------------------------------------------------------


def test_a_slug_keeps_the_dots_of_its_file_name(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/2026-01-02-group-2.0.md": POST.format(title="Group", day=2)})
    assert build(site).exit_code == 0
    assert (site / "public/2026/01/group-2.0/index.html").exists()


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("group-2.0", "group-2.0"),
        ("Version 2.0.1 released", "version-2.0.1-released"),
        (".hidden.", "hidden"),
        ("a..b", "a.b"),
        ("..", ""),
        ("../../etc", "etc"),
        ("v1.2 版本", "v1.2-版本"),
    ],
)
def test_slugify_keeping_dots(text: str, slug: str) -> None:
    assert slugify(text, keep_dots=True) == slug


def test_slugify_without_keeping_dots_is_unchanged() -> None:
    assert slugify("group-2.0") == "group-20"
