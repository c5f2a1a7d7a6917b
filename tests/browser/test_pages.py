"""The example site's main kinds of page at a phone and a desktop width: they fit the screen, load
without errors, work by keyboard, and follow the reader's dark mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.checks import tab_order_problems
from tests.browser.conftest import DESKTOP, PHONE, ExamplePages, Opener, Served

PAGES = ["home", "long_post", "note", "episode", "tag", "chinese", "conversation"]

# How wide the page is against the window, and the elements sticking out on the right (not counting
# those inside code blocks and tables, which scroll sideways on their own).
OVERFLOW = """() => {
    const width = window.innerWidth, wide = [];
    for (const el of document.querySelectorAll("body *")) {
        const box = el.getBoundingClientRect();
        if (box.width && box.right > width + 0.5 && !el.parentElement.closest("pre, .table-wrap, table")) {
            wide.push(`${el.tagName.toLowerCase()}.${el.className} (right edge ${Math.round(box.right)} px)`);
        }
    }
    return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10)};
}"""


@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", PAGES)
def test_the_page_fits_the_screen_and_loads_without_errors(
    open_tab: Opener, example: Served, example_pages: ExamplePages, artifacts: Path, name: str, width: int
) -> None:
    visit = open_tab(example, width=width)
    visit.goto(getattr(example_pages, name))
    visit.page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
    overflow = visit.page.evaluate(OVERFLOW)
    assert overflow["scroll"] <= overflow["width"], (
        f"{name} scrolls sideways at {width} px: {overflow['scroll']} px wide; too wide: {overflow['wide']}"
    )
    visit.assert_no_problems()


@pytest.mark.parametrize("name", PAGES)
def test_tab_reaches_every_link_and_control_in_order_with_a_visible_focus(
    open_tab: Opener, example: Served, example_pages: ExamplePages, name: str
) -> None:
    visit = open_tab(example)
    visit.goto(getattr(example_pages, name))
    problems = tab_order_problems(visit)
    assert not problems, "\n".join(problems)
    visit.assert_no_problems()


@pytest.mark.parametrize("name", ["home", "long_post"])
def test_dark_mode_follows_the_readers_setting(
    open_tab: Opener, example: Served, example_pages: ExamplePages, name: str
) -> None:
    visit = open_tab(example, color_scheme="light")
    visit.goto(getattr(example_pages, name))
    read = "() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
    light = visit.page.evaluate(read)
    visit.page.emulate_media(color_scheme="dark")
    dark = visit.page.evaluate(read)
    assert light[0] != dark[0], f"the background stays {light[0]} in dark mode"
    assert light[1] != dark[1], f"the text colour stays {light[1]} in dark mode"
    visit.assert_no_problems()
