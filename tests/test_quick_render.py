"""The dev server's quick render: an edit to one post's text is written to its own page from the
last build's snapshot, and the full build that follows ends with the same bytes as a cold build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.pipeline.build import BuildOptions, BuildResult, build_site
from generator.pipeline.session import BuildSession
from generator.serve.devserver import reload_pages
from tests.helpers import NOW, SITE_TOML, snapshot, write_files
from tests.sites import BLOG

FIRST = "posts/2026-01-10-first-post.md"
FIRST_DEST = "2026/01/first-post/index.html"
ABOUT = "pages/about.md"


class Preview:
    """A site built the way the dev server builds it: cache in memory, a snapshot kept."""

    def __init__(self, root: Path):
        self.root = root
        self.session = BuildSession()
        self.build()

    def build(self) -> BuildResult:
        return self.session.build(self.root, BuildOptions(now=NOW, jobs=1))

    def page(self, dest: str) -> bytes:
        return (self.root / "public" / dest).read_bytes()

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.root / "content" / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def preview(tmp_path: Path) -> Preview:
    root = tmp_path / "site"
    write_files(root, {"site.toml": SITE_TOML, **BLOG})
    return Preview(root)


def cold_output(site: Path, tmp: Path) -> dict[str, bytes]:
    copy = tmp / "cold"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".homepost", "public"))
    build_site(copy, BuildOptions(now=NOW, jobs=1))
    return snapshot(copy / "public")


def test_a_text_edit_is_written_to_its_page_and_the_full_build_leaves_that_file_alone(
    preview: Preview, tmp_path: Path
) -> None:
    preview.edit(FIRST, "The opening paragraph", "The reworded opening")
    assert preview.session.quick_render(FIRST) == FIRST_DEST
    quick = preview.page(FIRST_DEST)
    assert b"The reworded opening" in quick and b"The opening paragraph" not in quick

    result = preview.build()
    assert FIRST_DEST not in result.changed and "feed.xml" in result.changed
    assert preview.page(FIRST_DEST) == quick
    assert snapshot(preview.root / "public") == cold_output(preview.root, tmp_path)


def test_a_new_title_shows_on_the_page_at_once_and_in_the_lists_after_the_full_build(
    preview: Preview, tmp_path: Path
) -> None:
    preview.edit(FIRST, 'title: "First post: \\"hello\\""', "title: A better title")
    assert preview.session.quick_render(FIRST) == FIRST_DEST
    neighbour = "2026/02/a-note/index.html"  # links to it by its title
    assert b"A better title" in preview.page(FIRST_DEST) and b"A better title" not in preview.page(neighbour)
    result = preview.build()
    assert neighbour in result.changed and b"A better title" in preview.page(neighbour)
    assert snapshot(preview.root / "public") == cold_output(preview.root, tmp_path)


def test_a_page_is_rendered_alone_too(preview: Preview) -> None:
    preview.edit(ABOUT, "About", "Regarding")
    dest = preview.session.quick_render(ABOUT)
    assert dest is not None and b"Regarding" in preview.page(dest)


@pytest.mark.parametrize(
    "old, new",
    [
        ("date: 2026-01-10 09:30", "date: 2025-01-10 09:30"),  # its neighbours and archives change
        ("tags: [Python, 随笔]", "tags: [Python]"),  # its tag pages change
        ("categories: [Tech]", "categories: [Tech]\nslug: moved"),  # its URL changes
        ("categories: [Tech]", "categories: [Tech]\ndraft: true"),  # no longer published
        ("categories: [Tech]", "categories: [Tech]\naliases: [/old/]"),  # a new redirect page
        ("date: 2026-01-10 09:30", "date: <soon>"),  # broken: the full build reports it
        ("[link to the note](2026-02-01-a-note.md)", "[a dead link](nowhere.md)"),  # an error too
    ],
)
def test_an_edit_that_changes_more_than_its_own_page_is_left_to_the_full_build(
    preview: Preview, old: str, new: str
) -> None:
    before = snapshot(preview.root / "public")
    preview.edit(FIRST, old, new)
    assert preview.session.quick_render(FIRST) is None
    assert snapshot(preview.root / "public") == before


def test_new_deleted_and_other_files_are_left_to_the_full_build(preview: Preview) -> None:
    write_files(preview.root, {"content/posts/2026-05-01-new.md": "---\ntitle: New\n---\n\nNew.\n"})
    assert preview.session.quick_render("posts/2026-05-01-new.md") is None
    (preview.root / "content" / FIRST).unlink()
    assert preview.session.quick_render(FIRST) is None
    assert preview.session.quick_render("images/pixel.png") is None
    assert preview.session.quick_render("posts/2026-04-01-not-yet.md") is None  # a draft the build skipped


def test_an_edit_undone_before_the_full_build_is_undone_in_the_output(preview: Preview, tmp_path: Path) -> None:
    original = preview.page(FIRST_DEST)
    text = (preview.root / "content" / FIRST).read_text(encoding="utf-8")
    preview.edit(FIRST, "The opening paragraph", "A passing thought")
    assert preview.session.quick_render(FIRST) == FIRST_DEST
    (preview.root / "content" / FIRST).write_text(text, encoding="utf-8")  # undone: the post is as it was built
    preview.build()
    assert preview.page(FIRST_DEST) == original
    assert snapshot(preview.root / "public") == cold_output(preview.root, tmp_path)


def test_open_pages_reload_only_where_their_file_changed() -> None:
    changed = ("2026/01/x/index.html", "feed.xml", "feed.json", "sitemap.xml", "_redirects", "tags/a/index.html")
    assert reload_pages(changed, "/blog/") == ["/blog/2026/01/x/index.html", "/blog/tags/a/index.html"]
    assert reload_pages(("index.html", "assets/style.css"), "/") is None  # what every page uses: all reload
    assert reload_pages((), "/") == []


def test_a_bundle_post_in_chinese_is_rendered_alone_with_its_pictures(preview: Preview, tmp_path: Path) -> None:
    rel = "posts/2026-03-05-中文标题/index.md"
    preview.edit(rel, "第一段文字。", "改过的第一段。")
    dest = preview.session.quick_render(rel)
    assert dest is not None and dest.endswith("/index.html")
    page = preview.page(dest).decode()
    assert "改过的第一段。" in page and 'src="/2026/03/' in page and "photo.png" in page
    preview.build()
    assert snapshot(preview.root / "public") == cold_output(preview.root, tmp_path)
