"""The example site with `[fediverse]` on: the handle and its line on the home page and on posts (in
English and in Chinese) are valid HTML, pass axe in both colour schemes, and select whole in one click."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.config import load_config
from tests.browser.checks import axe_problems, vnu_problems
from tests.browser.conftest import ExamplePages, Opener, Served, copy_example, homepost, serve


@pytest.fixture(scope="module")
def followable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example site built with `[fediverse] enabled`, and served."""
    root = copy_example(tmp_path_factory.mktemp("fediverse") / "site", "\n[fediverse]\nenabled = true\n")
    homepost("build", "--site", str(root), "-o", str(root / "public"))
    served = serve(root / "public", load_config(root).site.url)
    yield served
    served.close()


def pages(example_pages: ExamplePages) -> list[str]:
    return [example_pages.home, example_pages.long_post, example_pages.note, example_pages.chinese]


def test_the_handle_is_valid_html(followable: Served, example_pages: ExamplePages, java: str) -> None:
    files: dict[Path, str] = {}
    for path in pages(example_pages):
        file = followable.folder / path.strip("/") / "index.html"
        assert "fediverse-handle" in file.read_text(encoding="utf-8"), f"{path} shows no handle"
        files[file] = path
    problems = vnu_problems(java, files)
    assert not problems, f"{len(problems)} HTML errors:\n" + "\n".join(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_handle_passes_axe(
    open_tab: Opener, followable: Served, example_pages: ExamplePages, axe_source: str, scheme: str
) -> None:
    problems = axe_problems(open_tab(followable, color_scheme=scheme), axe_source, pages(example_pages))
    assert not problems, f"{len(problems)} accessibility violations:\n" + "\n".join(problems)


def test_one_click_selects_the_whole_handle(open_tab: Opener, followable: Served, example_pages: ExamplePages) -> None:
    visit = open_tab(followable)
    visit.goto(example_pages.long_post)
    handle = visit.page.locator(".fediverse-handle")
    handle.click()
    selected = visit.page.evaluate("() => window.getSelection().toString()")
    assert selected == handle.inner_text() == "@homepost@homepost.example"
    visit.assert_no_problems()
