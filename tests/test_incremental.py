"""Incremental and parallel builds give the same bytes as a cold build, and touch only what changed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from generator.incremental import store as cache
from generator.pipeline.build import BuildOptions, BuildResult, build_site
from generator.pipeline.published import PUBLISHED_FILE
from generator.render import bundled_themes_dir
from tests.helpers import NOW, SITE_TOML, snapshot, write_files
from tests.sites import BLOG

THEME = bundled_themes_dir() / "default"
POSTS = 90  # enough pages for the work to be spread over processes (generator.incremental.parallel.MIN_ITEMS)


def many_posts() -> dict[str, str | bytes]:
    """BLOG plus a run of short posts spread over tags and years."""
    files = dict(BLOG)
    for n in range(POSTS):
        year, month = 2023 + n % 3, 1 + n % 12
        tags = ", ".join(f"t{(n * 7 + k) % 11}" for k in range(1 + n % 3))
        files[f"content/posts/{year}-{month:02d}-{1 + n % 27:02d}-post-{n}.md"] = (
            f"---\ntitle: Post number {n}\ntags: [{tags}]\n---\n\nFirst paragraph of {n}.\n\nSecond paragraph.\n"
        )
    return files


def build(site: Path, jobs: int = 1, **options) -> BuildResult:
    return build_site(site, BuildOptions(now=NOW, jobs=jobs, **options))


def cold(site: Path, tmp: Path, jobs: int) -> dict[str, bytes]:
    """The output of a build from nothing: a copy of the site without cache or output.

    The build's record of what it published is kept: it is the site's history (deleted posts get
    tombstones from it), not a cache.
    """
    copy = tmp / f"cold-{jobs}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".homepost", "public"))
    record = site / ".homepost" / PUBLISHED_FILE
    if record.exists():
        (copy / ".homepost").mkdir()
        shutil.copy2(record, copy / ".homepost" / PUBLISHED_FILE)
    build(copy, jobs=jobs)
    return snapshot(copy / "public")


def mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    write_files(root, {"site.toml": SITE_TOML, **many_posts()})
    build(root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


CHANGES = {
    "edit a body": lambda s: edit(s / "content/posts/2023-01-01-post-0.md", "Second paragraph.", "Second, edited."),
    "edit a title": lambda s: edit(s / "content/posts/2024-02-02-post-1.md", "Post number 1", "Renamed post"),
    "delete a post": lambda s: (s / "content/posts/2025-03-03-post-2.md").unlink(),
    "rename a post": lambda s: (s / "content/posts/2023-04-04-post-3.md").rename(
        s / "content/posts/2023-04-04-moved.md"
    ),
    "add a post": lambda s: write_files(
        s, {"content/posts/2026-05-05-new.md": "---\ntitle: New\ntags: [t1, brand-new]\n---\n\nHi.\n"}
    ),
    "edit a template": lambda s: write_files(
        s, {"templates/page.html": '{% extends "base.html" %}{% block content %}P{% endblock %}'}
    ),
    "change site.toml": lambda s: edit(s / "site.toml", "posts_per_page = 2", "posts_per_page = 3"),
    "replace an image": lambda s: write_files(
        s, {"content/images/pixel.png": (s / "content/images/ada.png").read_bytes()}
    ),
    "edit a partial kept as fragments": lambda s: write_files(
        s,
        {
            "templates/partials/archive-entry.html": (THEME / "templates/partials/archive-entry.html")
            .read_text(encoding="utf-8")
            .replace("<li ", "<li data-edited ", 1)
        },
    ),
    "edit the post template": lambda s: write_files(
        s,
        {
            "templates/post.html": (THEME / "templates/post.html")
            .read_text(encoding="utf-8")
            .replace("<article ", "<article data-edited ", 1)
        },
    ),
    "retitle a post in a series": lambda s: edit(
        s / "content/posts/2025-12-26-part-two.md", "title: Part Two", "title: Part 2"
    ),
    "retag a post": lambda s: edit(s / "content/posts/2023-01-01-post-0.md", "tags: [", "tags: [retagged, "),
    "redate a post": lambda s: edit(
        s / "content/posts/2025-06-06-post-5.md", "title: Post number 5", "title: Post number 5\ndate: 2022-01-01"
    ),
    "edit a summary": lambda s: edit(
        s / "content/posts/2024-08-08-post-7.md", "First paragraph of 7.", "A new opening for 7."
    ),
    "make a post a draft": lambda s: edit(
        s / "content/posts/2023-07-07-post-6.md", "title: Post number 6", "title: Post number 6\ndraft: true"
    ),
    "retitle the menu page": lambda s: edit(s / "content/pages/about.md", "title: About", "title: About me"),
    "a response arrives": lambda s: write_files(
        s,
        {
            "data/responses/2023/01/post-0.json": json.dumps(
                [
                    {
                        "id": "https://alice.example/like",
                        "type": "like",
                        "source": "https://alice.example/like",
                        "target": "https://example.org/2023/01/post-0/",
                        "author": {"name": "Alice", "url": "https://alice.example/"},
                    }
                ]
            )
        },
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_incremental_and_parallel_builds_match_a_cold_build(site: Path, tmp_path: Path, change: str) -> None:
    CHANGES[change](site)
    build(site, jobs=2)
    incremental = snapshot(site / "public")
    assert incremental == cold(site, tmp_path, jobs=1)
    assert incremental == cold(site, tmp_path, jobs=2)


def test_a_rebuild_with_nothing_changed_writes_no_file(site: Path) -> None:
    before = mtimes(site / "public")
    result = build(site)
    assert (result.written, result.removed, result.rendered) == (0, 0, 0)
    assert mtimes(site / "public") == before


def test_a_scheduled_post_comes_out_on_a_rebuild_after_its_date(site: Path) -> None:
    import datetime as dt

    assert not (site / "public/2026/12/scheduled").exists()
    build_site(site, BuildOptions(now=dt.datetime(2026, 12, 2, tzinfo=dt.UTC), jobs=1))
    assert (site / "public/2026/12/scheduled/index.html").is_file()


def test_editing_one_body_remakes_only_pages_that_show_that_post(site: Path) -> None:
    CHANGES["edit a body"](site)
    result = build(site)
    assert result.rendered == 1
    assert result.made, "nothing was made again"
    for dest in result.made:
        text = (site / "public" / dest).read_text(encoding="utf-8")
        assert "/2023/01/post-0/" in text, f"{dest} was made again but does not show the edited post"
    assert len(result.made) < 20 < result.files
    assert set(result.changed) <= set(result.made)
    assert "2023/01/post-0/index.html" in result.changed


def test_retitling_a_post_remakes_the_pages_that_link_it_as_related_or_neighbour(site: Path) -> None:
    """Previous/next and related posts show other posts' titles: those posts are in the page's fingerprint."""
    linked = "/2024/02/post-1/"
    showing = [
        path
        for path in (site / "public").rglob("index.html")
        if f'<a href="{linked}"' in path.read_text(encoding="utf-8")
        and 'class="h-entry post' in path.read_text(encoding="utf-8")
    ]
    related = [path for path in showing if 'class="related"' in path.read_text(encoding="utf-8")]
    assert related and any('rel="prev"' in path.read_text(encoding="utf-8") for path in showing)
    CHANGES["edit a title"](site)
    result = build(site)
    for path in showing:
        dest = path.relative_to(site / "public").as_posix()
        assert dest in result.made and "Renamed post" in path.read_text(encoding="utf-8"), dest


def test_fragments_kept_by_one_build_are_used_by_the_next(site: Path) -> None:
    """The archive's entries come from the cache while their posts and the templates stay as they were."""
    folder = site / cache.CACHE_DIR
    parts = [cache.BuildCache(folder, (site / "public").resolve(), key) for key in _cache_keys(folder)]
    store = next(part for part in parts if part.load_fragments())
    kept = store.load_fragments()
    source, (stamp, entries) = next(
        (k, e) for k, e in kept.items() if any(t == "partials/archive-entry.html" for _, t in e[1])
    )
    entries = {name: html.replace("<li ", "<li data-from-cache ", 1) for name, html in entries.items()}
    store.save_fragments({**kept, source: (stamp, entries)})
    CHANGES["edit a title"](site)  # the archive shows titles: it is made again
    build(site)
    assert "data-from-cache" in (site / "public/archive/index.html").read_text(encoding="utf-8")


def _cache_keys(folder: Path) -> set[str]:
    """The keys the cache files in `folder` were written under."""
    import pickle

    return {pickle.loads(path.read_bytes())[0] for path in folder.glob("fragments-*.pickle")}


def test_deleted_post_output_is_removed_and_empty_folders_go(site: Path) -> None:
    (site / ".homepost" / PUBLISHED_FILE).unlink()  # no record of it (an older Homepost's site): no tombstone
    CHANGES["delete a post"](site)
    result = build(site)
    assert "2025/03/post-2/index.html" in result.changed
    assert not (site / "public/2025/03/post-2").exists()


def test_a_damaged_cache_is_ignored_and_rebuilt(site: Path, tmp_path: Path) -> None:
    damaged = [file for file in (site / ".homepost/cache").rglob("*") if file.is_file()]
    assert any(file.parent.name == "templates" for file in damaged), "no compiled templates were cached"
    for file in damaged:
        file.write_bytes(b"\x80\x04 this is not a pickle")
    CHANGES["edit a body"](site)
    build(site)
    assert snapshot(site / "public") == cold(site, tmp_path, jobs=1)


@pytest.mark.parametrize("jobs", [1, 2])  # with 2, another process looks for them while the build reads
@pytest.mark.parametrize("edit_too", [False, True])
def test_output_files_deleted_by_hand_are_made_again(site: Path, jobs: int, edit_too: bool) -> None:
    (site / "public/about/index.html").unlink()
    (site / "public/tags/t1/index.html").unlink()
    if edit_too:
        edit(site / "content/posts/2023-01-01-post-0.md", "Second paragraph.", "Second, edited.")
    build(site, jobs=jobs)
    assert (site / "public/about/index.html").is_file() and (site / "public/tags/t1/index.html").is_file()


def test_a_failed_incremental_build_leaves_the_output_and_cache_alone(site: Path) -> None:
    before = snapshot(site / "public")
    cache_before = snapshot(site / ".homepost/cache")  # not .homepost/staging/: the spare tree is the build's to change
    edit(site / "content/posts/2023-01-01-post-0.md", "title: Post number 0", "title: [broken")
    result_error = None
    try:
        build(site)
    except Exception as exc:  # noqa: BLE001 - asserting the kind below
        result_error = exc
    assert result_error is not None and "post-0.md" in str(result_error)
    assert snapshot(site / "public") == before
    assert snapshot(site / ".homepost/cache") == cache_before
    assert not [p for p in os.listdir(site) if p.startswith(".public.")]


def test_memory_cache_starts_from_disk_keeps_to_memory_and_flushes(site: Path) -> None:
    from generator.pipeline.session import BuildSession

    session = BuildSession()
    CHANGES["edit a body"](site)
    assert session.build(site, BuildOptions(now=NOW, jobs=1)).rendered == 1  # the files on disk were its starting point
    on_disk = snapshot(site / ".homepost/cache")
    CHANGES["edit a title"](site)
    assert session.build(site, BuildOptions(now=NOW, jobs=1)).rendered == 1
    assert snapshot(site / ".homepost/cache") == on_disk, "a build with a memory cache wrote the disk cache"
    session.flush()
    assert snapshot(site / ".homepost/cache") != on_disk
    assert build(site).written == 0  # a later process picks up where the memory cache left off


def _html_shards(site: Path) -> list[Path]:
    return sorted((site / cache.CACHE_DIR).glob("html-*.pickle"))


def test_only_the_html_a_build_shows_is_loaded_from_the_cache(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []
    stored = cache.BuildCache.html
    monkeypatch.setattr(
        cache.BuildCache, "html", lambda self, rel, digest: looked_up.append(rel) or stored(self, rel, digest)
    )
    CHANGES["edit a body"](site)
    result = build(site)
    assert 0 < len(looked_up) < 20 < result.posts  # its neighbours' own pages, a few notes in lists
    looked_up.clear()
    CHANGES["edit the post template"](site)  # every post's page shows its HTML
    build(site, jobs=2)  # the workers load what they render; this process none of it
    assert looked_up == []


def test_a_content_cache_that_cannot_be_saved_only_costs_the_next_build_time(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.rmtree(site / ".homepost")
    with monkeypatch.context() as patch:  # saved by a forked process (many files were read): it fails there
        patch.setattr(
            cache.BuildCache, "save_html", lambda *args, **kwargs: (_ for _ in ()).throw(OSError("disk full"))
        )
        first = build(site, jobs=2)
    assert first.rendered > POSTS and "content cache could not be saved" in caplog.text
    assert snapshot(site / "public") == cold(site, tmp_path, jobs=1)
    CHANGES["edit a body"](site)
    assert build(site, jobs=2).rendered == first.rendered  # nothing was kept: every file is read again
    CHANGES["edit a title"](site)
    assert build(site, jobs=2).rendered == 1  # kept this time
    assert snapshot(site / "public") == cold(site, tmp_path, jobs=1)


@pytest.mark.parametrize("damage", ["missing", "damaged", "stale"])
def test_html_missing_from_the_cache_is_rendered_again(site: Path, tmp_path: Path, damage: str) -> None:
    shards = _html_shards(site)
    assert shards, "no HTML was cached"
    for shard in shards:
        if damage == "missing":
            shard.unlink()
        elif damage == "damaged":
            shard.write_bytes(b"\x80\x04 this is not a pickle")
        else:  # HTML stored for other bytes of each file: never trusted
            import pickle

            key, entries = pickle.loads(shard.read_bytes())
            shard.write_bytes(pickle.dumps((key, dict.fromkeys(entries, ("another digest", "<p>stale</p>")))))
    CHANGES["edit the post template"](site)
    build(site, jobs=2)
    output = snapshot(site / "public")
    assert output == cold(site, tmp_path, jobs=1)
    assert not any(b"<p>stale</p>" in data for data in output.values())


def test_a_post_read_from_the_cache_pickles_with_its_html(site: Path) -> None:
    import pickle

    from generator.config import load_config
    from generator.pipeline.build import read_site

    post = next(p for p in read_site(load_config(site), now=NOW, jobs=1).posts if p.source.endswith("post-5.md"))
    assert post.html is None and post.html_loader is not None  # from the cache, its HTML not read yet
    copy = pickle.loads(pickle.dumps(post))
    assert copy.html_loader is None and copy.html is not None  # it pickles with its HTML, not the loader
    assert copy.content_html == post.content_html and "First paragraph of 5" in copy.content_html


def test_the_cache_key_names_each_library_version_found_or_not() -> None:
    from importlib import metadata

    from generator.incremental import versions

    found = versions.installed_versions(("Jinja2", "PyYAML", "no-such-distribution"))
    assert found == {"Jinja2": metadata.version("Jinja2"), "PyYAML": metadata.version("PyYAML")}
    assert versions._metadata_version("no-such-distribution") == "?"
    assert f"Jinja2={metadata.version('Jinja2')}" in versions.versions()


def test_importing_the_build_does_not_scan_sys_path_for_versions() -> None:
    import subprocess
    import sys

    code = (
        "import generator.pipeline.build, generator.incremental.store as store\n"
        "from generator.incremental.versions import versions\n"
        "print(versions.cache_info().currsize)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "0"  # computed on first use (a build's cache key), not at import


def test_the_store_gives_each_part_back_typed(site: Path) -> None:
    from generator.config import load_config

    build(site)
    config = load_config(site)
    text = (site / "site.toml").read_text(encoding="utf-8")
    store = cache.disk_store(site, (site / "public").resolve(), text, config.site.url)
    last, manifest = store.load_last_build(), store.load_output()
    result = build(site)
    assert isinstance(last, cache.LastBuild) and (last.posts, last.pages) == (result.posts, result.pages)
    assert isinstance(manifest, cache.Manifest) and "index.html" in manifest.files and manifest.dependencies is not None
    assert store.load_content() and store.load_fragments()
    other = cache.disk_store(site, (site / "elsewhere").resolve(), text, config.site.url)
    assert other.load_last_build() is None and other.load_output() is None  # each output folder its own
