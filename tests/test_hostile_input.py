"""No input crashes a build: hostile front matter, huge files, odd names and empty notes end in a
named error (or a warning) and never in a traceback, and an unforeseen failure names its file."""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from generator.content.frontmatter import MAX_DEPTH, MAX_FRONT_MATTER_BYTES, MAX_VALUES
from generator.content.limits import MAX_MARKDOWN_BYTES, read_markdown
from generator.errors import ContentError, HomepostError
from generator.pipeline.build import build_site
from generator.serve import BuildOutcome, DevServer, ServeOptions
from tests.conftest import SiteFactory
from tests.helpers import NOW, SITE_TOML, build

POST = "content/posts/2026-01-01-x.md"

BILLION_LAUGHS = (
    "---\n"
    + "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]\n" for n in range(1, 10))
    + "---\nBody\n"
)


def failed(site: Path) -> str:
    result = build(site)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def test_a_billion_laughs_in_yaml_is_refused_naming_the_file(make_site: SiteFactory) -> None:
    output = failed(make_site({POST: BILLION_LAUGHS}))
    assert (
        f"error: {POST}:" in output
        and f"YAML aliases expand the front matter to more than {MAX_VALUES:,} values" in output
    )


def test_yaml_merge_keys_that_multiply_are_refused(make_site: SiteFactory) -> None:
    levels = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4}"]
    levels += [f"m{n}: &m{n} {{<<: [*m{n - 1}, *m{n - 1}, *m{n - 1}, *m{n - 1}], k{n}: {n}}}" for n in range(1, 12)]
    output = failed(make_site({POST: "---\n" + "\n".join(levels) + "\n---\nBody\n"}))
    assert f"error: {POST}:" in output and "YAML aliases expand" in output


def test_a_yaml_alias_inside_its_own_value_is_refused(make_site: SiteFactory) -> None:
    output = failed(make_site({POST: "---\ntitle: X\nloop: &a [1, *a]\n---\nBody\n"}))
    assert f"error: {POST}:3:7: a YAML alias refers to a value that contains it" in output


def test_a_few_yaml_aliases_still_work(make_site: SiteFactory) -> None:
    text = "---\ntitle: X\ntags: &t [one, two]\ncategories: *t\n---\nBody\n"
    site = make_site({POST: text})
    assert build(site).exit_code == 0
    assert (site / "public/categories/two/index.html").is_file()


def test_toml_nested_a_hundred_thousand_deep_is_refused(make_site: SiteFactory) -> None:
    text = "+++\ntitle = 'X'\nx = " + "[" * 100_000 + "]" * 100_000 + "\n+++\nBody\n"
    output = failed(make_site({POST: text}))
    assert f"error: {POST}:2: front matter values nested more than {MAX_DEPTH} levels deep" in output


@pytest.mark.parametrize("fence, nested", [("---", "x: " + "[" * 40 + "]" * 40), ("+++", "x = " + "[" * 40 + "]" * 40)])
def test_values_nested_beyond_the_limit_are_refused(make_site: SiteFactory, fence: str, nested: str) -> None:
    output = failed(make_site({POST: f"{fence}\n{nested}\n{fence}\nBody\n"}))
    assert f"error: {POST}:2" in output and f"nested more than {MAX_DEPTH} levels deep" in output


def test_front_matter_over_the_size_limit_is_refused(make_site: SiteFactory) -> None:
    text = "---\ntitle: X\nnotes: " + "x" * MAX_FRONT_MATTER_BYTES + "\n---\nBody\n"
    output = failed(make_site({POST: text}))
    assert (
        f"error: {POST}:2: front matter of {MAX_FRONT_MATTER_BYTES + 16:,} bytes is over the limit of 262,144 bytes"
        in output
    )


@pytest.mark.parametrize(
    "line",
    [
        'slug: "a\\0b"',
        'tags: [ok, "a\\x01b"]',
        'categories: ["\\0"]',
        'aliases: ["/a\\0b/"]',
        'title: "a\\x1bb"',
        'in_reply_to: "https://a.example/\\0"',
        'image: {src: "a\\0.png"}',
        'extra: {deep: [["\\x08"]]}',
        'id: "\\uFFFE"',
    ],
)
def test_control_characters_in_front_matter_are_refused_naming_the_key(make_site: SiteFactory, line: str) -> None:
    output = failed(make_site({POST: f"---\ndate: 2026-01-01\n{line}\n---\nBody\n"}))
    key = line.split(":", 1)[0]
    assert f"error: {POST}:3: {key}: control character U+" in output and "in a string; remove it" in output


def test_control_characters_in_toml_strings_are_refused(make_site: SiteFactory) -> None:
    output = failed(make_site({POST: '+++\ndate = 2026-01-01\nslug = "a\\u0000b"\n+++\nBody\n'}))
    assert f"error: {POST}:3: slug: control character U+0000 in a string; remove it" in output


def test_control_characters_in_the_body_are_read_as_replacement_characters(make_site: SiteFactory) -> None:
    site = make_site({POST: "---\ntitle: X\n---\n\nBo\x00dy and \x01 more\n"})
    result = build(site)
    assert result.exit_code == 0, result.output
    assert f"warning: {POST}:5: 2 control character(s) read as U+FFFD (first U+0000)" in result.output
    page = (site / "public/2026/01/x/index.html").read_text(encoding="utf-8")
    assert "Bo\ufffddy and \ufffd more" in page and "\x00" not in page and "\x01" not in page


def test_a_markdown_file_over_the_size_cap_is_refused_naming_size_and_limit(make_site: SiteFactory) -> None:
    big = "---\ntitle: Big\n---\n" + "word " * (MAX_MARKDOWN_BYTES // 5 + 1)
    output = failed(make_site({POST: big}))
    assert f"error: {POST}: 5.0 MB is over the limit of 5 MB for a Markdown file; split it" in output


def test_a_markdown_file_at_the_size_cap_is_read_whole_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    at_cap = tmp_path / "at-cap.md"
    at_cap.write_bytes(b"x" * (MAX_MARKDOWN_BYTES - 1) + b"\n")
    assert read_markdown(at_cap, "at-cap.md") == at_cap.read_bytes()
    over = tmp_path / "over.md"
    over.write_bytes(b"x" * MAX_MARKDOWN_BYTES + b"\n")
    with pytest.raises(ContentError, match="over.md"):
        read_markdown(over, "over.md")


def test_a_markdown_file_that_does_not_tell_its_size_is_read_up_to_the_cap(tmp_path: Path) -> None:
    """A pipe says it holds 0 bytes: what it gives is read all the same, and refused past the cap."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_bytes, args=(b"# Piped\n" * 1000,))
    writer.start()
    try:
        assert read_markdown(pipe, "pipe.md") == b"# Piped\n" * 1000
    finally:
        writer.join()


def test_files_whose_names_cannot_be_urls_are_skipped_with_a_warning(make_site: SiteFactory) -> None:
    site = make_site({POST: "---\ntitle: X\n---\nBody\n", "content/posts/2026-01-02-a\x01b.md": "Body\n"})
    (site / "content").joinpath(os.fsdecode(b"images/bad-\xff.png")).parent.mkdir(parents=True)
    (site / "content").joinpath(os.fsdecode(b"images/bad-\xff.png")).write_bytes(b"x")
    result = build(site)
    assert result.exit_code == 0, result.output
    assert "warning: content/posts/2026-01-02-a\\x01b.md: ignored: its name holds control characters" in result.output
    assert "warning: content/images/bad-\\udcff.png: ignored" in result.output
    assert "Built 1 post" in result.output


@pytest.mark.parametrize(
    "line", ["slug: " + "s" * 256, "tags: [ok, " + "é" * 128 + "]", "aliases: [/old/" + "a" * 256 + "/]"]
)
def test_names_too_long_for_a_folder_are_refused_naming_the_key(make_site: SiteFactory, line: str) -> None:
    output = failed(make_site({POST: f"---\ntitle: X\n{line}\n---\nBody\n"}))
    key = line.split(":", 1)[0]
    assert (
        f"error: {POST}:3: {key}: 256 bytes between two '/', more than the 255 a file name may have; shorten it"
        in output
    )


def test_a_slug_made_from_a_long_title_is_cut_to_fit_a_folder_name(make_site: SiteFactory) -> None:
    site = make_site(
        {POST: "---\ntitle: " + "标题 " * 100 + "\n---\nBody\n"}, config=SITE_TOML + 'slug_source = "title"\n'
    )
    result = build(site)
    assert result.exit_code == 0, result.output
    (folder,) = (site / "public/2026/01").iterdir()
    assert len(folder.name.encode()) <= 255 and folder.name.startswith("标题-标题") and not folder.name.endswith("-")


NOTES = {
    "empty": "",
    "whitespace": "  \n\n\t\n",
    "front-matter-only": "---\ntags: [solo]\n---\n",
    "image-only": "![](../images/pic.png)\n",
    "link-only": "<https://example.net/>\n",
}


def _notes_site(make_site: SiteFactory) -> Path:
    files: dict[str, str | bytes] = {
        f"content/posts/2026-01-0{n}-{name}.md": text for n, (name, text) in enumerate(NOTES.items(), 1)
    }
    return make_site({**files, "content/images/pic.png": b"\x89PNG\r\n\x1a\n"})


def test_title_less_notes_of_every_shape_are_read_and_their_pages_rendered(
    make_site: SiteFactory, tmp_path: Path
) -> None:
    from generator.config import load_config
    from generator.content.publishing import ReadOptions
    from generator.content.reader import read_content
    from generator.pipeline.collect import collect_site
    from generator.pipeline.pages import plan_pages
    from generator.render import Renderer

    config = load_config(_notes_site(make_site))
    site = collect_site(config, read_content(config, ReadOptions(now=NOW)))
    assert sorted(p.slug for p in site.posts) == sorted(NOTES)
    renderer = Renderer(config, site, bytecode_dir=tmp_path / "templates")
    for page in plan_pages(config, site):
        html = renderer.render(page.template, page.info, **page.context)
        assert html.lstrip().lower().startswith("<!doctype html>"), page.dest


def test_a_site_of_title_less_notes_builds(make_site: SiteFactory) -> None:
    site = _notes_site(make_site)
    result = build(site)
    assert result.exit_code == 0, result.output
    assert (site / "public/2026/01/empty/index.html").is_file()


def _broken_render(monkeypatch: pytest.MonkeyPatch, rel: str) -> None:
    """Make rendering `rel` hit a bug nobody foresaw."""
    from generator.content import reader

    real = reader.render_post

    def render_post(config, markdown, source, *args):
        if source.rel == rel:
            raise KeyError("boom")
        return real(config, markdown, source, *args)

    monkeypatch.setattr(reader, "render_post", render_post)


def test_an_unexpected_error_while_rendering_names_the_file(
    make_site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site({POST: "---\ntitle: X\n---\nBody\n", "content/posts/2026-01-02-y.md": "Fine\n"})
    _broken_render(monkeypatch, "posts/2026-01-01-x.md")
    output = failed(site)
    assert f"error: {POST}: unexpected KeyError: 'boom' (a bug in Homepost: please report it)" in output
    assert "Build failed with 1 error." in output


def test_an_unexpected_error_while_reading_names_the_file(
    make_site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.content import parse

    real = parse.check_meta
    monkeypatch.setattr(parse, "check_meta", lambda fm, file, *a: 1 / 0 if file == POST else real(fm, file, *a))
    output = failed(make_site({POST: "---\ntitle: X\n---\nBody\n", "content/posts/2026-01-02-y.md": "Fine\n"}))
    assert f"error: {POST}: unexpected ZeroDivisionError: division by zero" in output


def test_an_unexpected_error_while_writing_names_the_page(
    make_site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.render import Renderer

    real = Renderer.render

    def render(self, template, info, **context):
        if info.url.endswith("/2026/01/x/"):
            raise ValueError("embedded null byte")
        return real(self, template, info, **context)

    monkeypatch.setattr(Renderer, "render", render)
    output = failed(make_site({POST: "---\ntitle: X\n---\nBody\n"}))
    assert (
        f"error: {POST}: unexpected ValueError: embedded null byte" in output
        and "(rendering /2026/01/x/index.html)" in output
    )


def test_the_dev_servers_error_page_names_the_file_of_an_unexpected_error(
    make_site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site({POST: "---\ntitle: X\n---\nBody\n"})
    _broken_render(monkeypatch, "posts/2026-01-01-x.md")
    reports: list[BuildOutcome] = []
    with DevServer(site, ServeOptions(port=0, now=NOW), report=reports.append) as dev:
        assert [p.file for p in reports[0].problems] == [POST]
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(dev.url, timeout=10)
        page = answer.value.read().decode()
    assert answer.value.code == 500 and POST in page and "unexpected KeyError" in page


def test_build_site_raises_only_named_errors_for_a_hostile_site(make_site: SiteFactory) -> None:
    site = make_site({POST: BILLION_LAUGHS, "content/posts/2026-01-02-y.md": '+++\nslug = "\\u0000"\n+++\n'})
    with pytest.raises(HomepostError) as caught:
        build_site(site)
    assert sorted({p.file for p in caught.value.problems}) == [POST, "content/posts/2026-01-02-y.md"]


def test_a_cover_image_that_is_missing_still_gets_absolute_urls_in_feeds(make_site: SiteFactory) -> None:
    import json

    site = make_site({POST: "---\ntitle: X\nimage: missing.png\n---\nBody\n"})
    result = build(site)
    assert result.exit_code == 0 and "links to 'missing.png', which does not exist" in result.output
    (item,) = json.loads((site / "public/feed.json").read_text(encoding="utf-8"))["items"]
    assert item["image"] == "https://example.org/2026/01/x/missing.png"
    page = (site / "public/index.html").read_text(encoding="utf-8")
    assert 'src="missing.png"' not in page


def test_an_unreadable_file_is_named_not_a_traceback(make_site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.content import reader

    def read_markdown(path: Path, display: str) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(reader, "read_markdown", read_markdown)
    assert f"error: {POST}: cannot be read: Permission denied" in failed(
        make_site({POST: "---\ntitle: X\n---\nBody\n"})
    )
