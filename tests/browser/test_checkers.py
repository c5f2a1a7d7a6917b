"""Every built page of the example site through two checkers: the Nu Html Checker (valid HTML) and
axe-core in Chromium (accessibility, in the light and the dark colour scheme). Each test lists
every problem it found, page by page, rather than stopping at the first."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from tests.browser.checks import axe_problems, vnu_problems
from tests.browser.conftest import Commenting, ExamplePages, Opener, Served


def built_pages(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


def page_path(folder: Path, file: Path) -> str:
    """The URL path a static host serves `file` at (the folder, for an index.html), percent-encoded."""
    return "/" + quote(file.relative_to(folder).as_posix().removesuffix("index.html"))


def test_the_nu_html_checker_finds_no_errors_on_any_page(example: Served, commenting: Commenting, java: str) -> None:
    """Every page of the example site, and a post with the comment form (which the example site has not)."""
    files = {file: file.relative_to(example.folder).as_posix() for file in built_pages(example.folder)}
    assert len(files) > 20
    files[commenting.served.folder / commenting.with_replies.strip("/") / "index.html"] = (
        f"{commenting.with_replies} (with comments)"
    )
    problems = vnu_problems(java, files)
    assert not problems, f"{len(problems)} HTML errors:\n" + "\n".join(problems)


def test_axe_finds_no_accessibility_violations_on_any_page(open_tab: Opener, example: Served, axe_source: str) -> None:
    paths = [page_path(example.folder, file) for file in built_pages(example.folder)]
    problems = axe_problems(open_tab(example), axe_source, paths)
    assert not problems, f"{len(problems)} accessibility violations:\n" + "\n".join(problems)


def test_axe_finds_no_accessibility_violations_in_dark_mode(
    open_tab: Opener, example: Served, example_pages: ExamplePages, axe_source: str
) -> None:
    """The dark scheme's colours, on the main kinds of page (the light scheme is checked on every page)."""
    paths = [path for _, path in example_pages.items()]
    problems = axe_problems(open_tab(example, color_scheme="dark"), axe_source, paths)
    assert not problems, f"{len(problems)} accessibility violations in dark mode:\n" + "\n".join(problems)


def test_axe_finds_no_accessibility_violations_on_a_page_with_the_comment_form(
    open_tab: Opener, commenting: Commenting, axe_source: str
) -> None:
    problems = []
    for scheme in ("light", "dark"):
        visit = open_tab(commenting.served, color_scheme=scheme)
        problems += [f"({scheme}) {line}" for line in axe_problems(visit, axe_source, [commenting.with_replies])]
    assert not problems, f"{len(problems)} accessibility violations:\n" + "\n".join(problems)
