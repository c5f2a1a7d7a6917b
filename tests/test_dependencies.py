"""A page keeps its last fingerprint only while nothing it is made from has changed.

The rule (generator/incremental/dependencies.py): while the site's structure digest is the same, a
page's fingerprint can change only if the digest of a post it covers changes. These tests change
every field of a post, one at a time, and check the rule on every page of a site that has all
kinds of pages (lists, terms, series, archives, aliases, a menu page, a podcast show).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from generator.config import load_config
from generator.content.posts import stamp
from generator.content.publishing import ReadOptions
from generator.content.reader import read_content
from generator.digest import digest
from generator.incremental import store as cache
from generator.incremental.fingerprint import Fingerprints, site_inputs, site_structure
from generator.model import DIGESTS, LOADER, PLACED, Cite, Conversation, Image, Post
from generator.pipeline.build import BuildOptions, build_site
from generator.pipeline.collect import collect_site
from generator.pipeline.pages import plan_pages
from generator.render import Renderer
from tests.conftest import SiteFactory
from tests.helpers import NOW, SITE_TOML, snapshot
from tests.sites import BLOG
from tests.test_podcast import EPISODE, SHOW, VTT, png_bytes, wav_bytes

EPISODE_FILES: dict[str, str | bytes] = {
    "content/podcast/cover.png": png_bytes(1400, 1400),
    "content/posts/2026-02-03-first/index.md": EPISODE,
    "content/posts/2026-02-03-first/talk.wav": wav_bytes(1.0),
    "content/posts/2026-02-03-first/talk.vtt": VTT,
}


@dataclasses.dataclass
class Fingerprinted:
    structure: str
    digests: dict[str, str]
    pages: dict[str, tuple[str, tuple[str, ...]]]  # dest -> (fingerprint, sources)


def fingerprint_all(root: Path, posts: list[Post], pages: list[Post]) -> Fingerprinted:
    """Collect a site from these posts and pages (copies: collecting fills in their terms); fingerprint every page."""
    config = load_config(root)
    content = read_content(config, ReadOptions(now=NOW))
    posts = sorted(posts, key=lambda p: (p.date, p.source), reverse=True)  # as the reader orders them
    content = dataclasses.replace(
        content,
        posts=[dataclasses.replace(p, terms={}) for p in posts],
        pages=[dataclasses.replace(p, terms={}) for p in pages],
    )
    site = collect_site(config, content)
    renderer = Renderer(config, site)
    fingerprints = Fingerprints(
        site_inputs((root / "site.toml").read_text(), config.site.url, renderer.template_dirs, renderer.theme, site)
    )
    planned = {
        page.dest: fingerprints.page(page.template, page.info, page.context) for page in plan_pages(config, site)
    }
    digests = {post.source: fingerprints.post(post) for post in site.posts + site.pages}
    return Fingerprinted(site_structure(fingerprints.site_inputs, site, ()), digests, planned)


@pytest.fixture
def site(make_site: SiteFactory) -> Path:
    return make_site({**BLOG, **EPISODE_FILES}, config=SITE_TOML + SHOW)


def read(root: Path) -> tuple[list[Post], list[Post]]:
    content = read_content(load_config(root), ReadOptions(now=NOW))
    return content.posts, content.pages


def changed(value: object, name: str) -> object:
    """Another value of the kind of `value`, for the field `name`."""
    earlier = dt.timedelta(days=400)  # the newest post becomes the oldest: every list changes order
    if name == "taxonomy_names":
        return {**value, "tags": (*value.get("tags", ()), "brand-new")}  # type: ignore[dict-item]
    if name == "conversation":
        return Conversation(reply_count=1) if value is None else None
    if name == "cites":
        return (*value, Cite("reply", "https://elsewhere.example/post"))  # type: ignore[misc]
    if name == "aliases":
        return (*value, "/moved/here/")  # type: ignore[misc]
    if name in ("syndication", "syndicate"):
        return (*(value or ()), "https://mastodon.example/@ada/1")  # type: ignore[misc]
    if name == "image":
        return Image("/images/other.png", "https://example.org/images/other.png", "Another")
    if name == "episode":
        return dataclasses.replace(value, duration=(value.duration or 0) + 1)  # type: ignore[type-var]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, dt.datetime):
        return value - earlier
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, dict):
        return {**value, "added": "value"}
    if value is None:
        return {"updated": NOW, "lang": "de", "bundle_dir": "posts/elsewhere"}[name]
    raise AssertionError(f"no change for {name}={value!r}")


NOT_CHANGED_HERE = (
    {"terms", "responses"} | DIGESTS | LOADER
)  # made by the build from other fields: covered through those


def which_post(posts: list[Post], name: str) -> int:
    """A post whose field `name` can be changed (an episode for `episode`, a titled one for `title`...)."""
    for index, post in enumerate(posts):
        value = getattr(post, name)
        if name == "episode" and value is None or name in ("title", "date") and value is None:
            continue
        if name == "updated" and post.episode is not None:
            continue
        return index
    raise AssertionError(name)


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Post) if f.name not in NOT_CHANGED_HERE])
def test_no_field_of_a_post_changes_a_page_behind_the_structure_and_the_posts_it_shows(site: Path, name: str) -> None:
    posts, pages = read(site)
    before = fingerprint_all(site, posts, pages)
    index = which_post(posts, name)
    edited = dataclasses.replace(posts[index], **{name: changed(getattr(posts[index], name), name)})
    stamp(edited)
    after = fingerprint_all(site, [edited if n == index else p for n, p in enumerate(posts)], pages)
    # The rule, as LastPages applies it: a page is fingerprinted again only if the structure changed
    # or a post it covered in the last build has another digest now.
    stale = [
        dest
        for dest, (fingerprint, sources) in before.pages.items()
        if dest in after.pages
        and after.pages[dest][0] != fingerprint
        and after.structure == before.structure
        and all(after.digests.get(s) == before.digests[s] for s in sources)
    ]
    assert stale == [], f"changing {name} changed these pages, but neither the structure nor the posts they show"
    if name not in PLACED:  # what only shows leaves the structure alone: the edit build's shortcut holds
        assert after.structure == before.structure


def test_a_post_page_covers_its_related_posts_as_well_as_its_neighbours(site: Path) -> None:
    """Related posts show other posts' titles: retitling one changes the page that lists it."""
    posts, pages = read(site)
    related = "posts/2026-03-05-中文标题/index.md"  # shares the tag Python with the first post, not its neighbour
    before = fingerprint_all(site, posts, pages)
    fingerprint, sources = before.pages["2026/01/first-post/index.html"]
    assert related in sources and "posts/2026-02-01-a-note.md" in sources and "posts/2025-12-26-part-two.md" in sources
    index = next(n for n, post in enumerate(posts) if post.source == related)
    edited = dataclasses.replace(posts[index], title="另一个标题")
    stamp(edited)
    after = fingerprint_all(site, [edited if n == index else p for n, p in enumerate(posts)], pages)
    assert after.structure == before.structure and after.digests[related] != before.digests[related]
    assert after.pages["2026/01/first-post/index.html"][0] != fingerprint


def test_every_field_is_either_placed_shown_or_set_by_the_build() -> None:
    from generator.model import SET_BY_BUILD, SHOWN_ONLY

    names = {f.name for f in dataclasses.fields(Post)}
    assert set(PLACED) | SHOWN_ONLY | SET_BY_BUILD | DIGESTS | LOADER == names
    assert not set(PLACED) & SHOWN_ONLY and not SHOWN_ONLY & SET_BY_BUILD


def test_an_edit_build_fingerprints_only_the_pages_that_show_the_post(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_site(site, BuildOptions(now=NOW, jobs=1))
    calls: list[str] = []
    original = Fingerprints.page

    def page(self, template, info, context):  # noqa: ANN001, ANN202
        calls.append(info.path)
        return original(self, template, info, context)

    monkeypatch.setattr(Fingerprints, "page", page)
    source = site / "content/posts/2025-12-26-part-two.md"
    source.write_text(
        source.read_text(encoding="utf-8").replace("\n---\n", "\n---\n\nA new first line.\n", 1), encoding="utf-8"
    )
    build_site(site, BuildOptions(now=NOW, jobs=1))
    # its own page, the neighbour and series pages that link it, lists, tags, archive: not the rest
    assert {"/2025/12/part-two/", "/2026/01/first-post/", "/2025/12/old-one/", "/series/trilogy/"} <= set(calls)
    assert "/about/" not in calls and "/2026/02/first/" not in calls
    assert 0 < len(calls) < len(snapshot(site / "public")) / 2


def test_pages_written_by_the_quick_render_are_fingerprinted_again(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_site(site, BuildOptions(now=NOW, jobs=1))
    config = load_config(site)
    store = cache.disk_store(
        site, (site / "public").resolve(), (site / "site.toml").read_text(encoding="utf-8"), config.site.url
    )
    manifest = store.load_output()
    record = manifest.files["about/index.html"]
    manifest.files["about/index.html"] = record._replace(fingerprint=None, content=digest(b"written by the dev server"))
    store.save_output(manifest)  # as the quick render records what it wrote
    (site / "public/about/index.html").write_bytes(b"written by the dev server")
    edit = site / "content/posts/2026-01-10-first-post.md"  # and the full build that follows another edit
    edit.write_text(edit.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    calls: list[str] = []
    original = Fingerprints.page
    monkeypatch.setattr(
        Fingerprints, "page", lambda self, t, info, c: calls.append(info.path) or original(self, t, info, c)
    )
    build_site(site, BuildOptions(now=NOW, jobs=1))
    assert "/about/" in calls and "/2026/02/first/" not in calls
    assert "written by the dev server" not in (site / "public/about/index.html").read_text(encoding="utf-8")


def test_dependencies_of_another_structure_are_not_used(site: Path) -> None:
    build_site(site, BuildOptions(now=NOW, jobs=1))
    (site / "content/posts/2026-01-10-first-post.md").write_text(
        "---\ntitle: Retitled and retagged\ntags: [fresh]\n---\n\nNew.\n", encoding="utf-8"
    )
    build_site(site, BuildOptions(now=NOW, jobs=1))
    assert snapshot(site / "public") == cold_output(site)
    assert sorted((site / cache.CACHE_DIR).glob("covers-*.pickle"))


def cold_output(site: Path, name: str = "cold") -> dict[str, bytes]:
    import shutil

    copy = site.parent / name
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".homepost", "public"))
    build_site(copy, BuildOptions(now=NOW, jobs=1))
    return snapshot(copy / "public")


def test_a_manifest_saved_without_its_dependencies_never_keeps_a_stale_page(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build stopped after writing the records but before their dependencies: the posts it was
    changing count as changed, even when the next build finds them as they were before."""
    build_site(site, BuildOptions(now=NOW, jobs=1))
    source = site / "content/posts/2025-12-26-part-two.md"
    before = source.read_text(encoding="utf-8")
    source.write_text(before.replace("\n---\n", "\n---\n\nAn edit that will be undone.\n", 1), encoding="utf-8")
    real_save = cache.save

    def save(path: Path, key: str, value: object) -> None:
        if path.name.startswith("digests-"):
            raise KeyboardInterrupt  # the process stops here
        real_save(path, key, value)

    monkeypatch.setattr(cache, "save", save)
    with pytest.raises(KeyboardInterrupt):
        build_site(site, BuildOptions(now=NOW, jobs=1))
    monkeypatch.setattr(cache, "save", real_save)
    assert "An edit that will be undone" in (site / "public/2025/12/part-two/index.html").read_text(encoding="utf-8")
    source.write_text(before, encoding="utf-8")  # back as the dependencies on disk remember it
    build_site(site, BuildOptions(now=NOW, jobs=1))
    assert snapshot(site / "public") == cold_output(site)


def test_a_second_save_cut_short_still_counts_what_the_first_was_changing(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two builds stopped in a row, the second before it wrote any record: the posts the first one
    was changing still count as changed, though the second found them as they were at first."""
    build_site(site, BuildOptions(now=NOW, jobs=1))
    part_two, first = site / "content/posts/2025-12-26-part-two.md", site / "content/posts/2026-01-10-first-post.md"
    before = part_two.read_text(encoding="utf-8")
    real_save = cache.save

    def stop_at(prefix: str):  # noqa: ANN202
        def save(path: Path, key: str, value: object) -> None:
            if path.name.startswith(prefix):
                raise KeyboardInterrupt
            real_save(path, key, value)

        return save

    part_two.write_text(before.replace("\n---\n", "\n---\n\nAn edit that will be undone.\n", 1), encoding="utf-8")
    monkeypatch.setattr(cache, "save", stop_at("digests-"))
    with pytest.raises(KeyboardInterrupt):
        build_site(site, BuildOptions(now=NOW, jobs=1))
    part_two.write_text(before, encoding="utf-8")
    first.write_text(first.read_text(encoding="utf-8") + "\nAnother edit.\n", encoding="utf-8")
    monkeypatch.setattr(cache, "save", stop_at("output-"))
    with pytest.raises(KeyboardInterrupt):
        build_site(site, BuildOptions(now=NOW, jobs=1))
    monkeypatch.setattr(cache, "save", real_save)
    build_site(site, BuildOptions(now=NOW, jobs=1))
    assert snapshot(site / "public") == cold_output(site)
    # The records of the first stopped build are still on disk: the edit made again must show.
    part_two.write_text(before.replace("\n---\n", "\n---\n\nAn edit that will be undone.\n", 1), encoding="utf-8")
    build_site(site, BuildOptions(now=NOW, jobs=1))
    assert snapshot(site / "public") == cold_output(site, "cold-again")
