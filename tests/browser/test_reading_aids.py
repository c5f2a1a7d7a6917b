"""The reading aids in a browser: copy buttons on code (and a page that reads fine without scripts),
the search page finding a Chinese word, wide tables and code that scroll inside the column at phone
width, and the header's navigation on one line at 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.checks import axe_problems, tab_order_problems
from tests.browser.conftest import PHONE, Opener, Served, copy_example, homepost, serve
from tests.helpers import write_files

WIDE = (
    "| "
    + " | ".join(f"column {n} heading" for n in range(12))
    + " |\n|"
    + "---|" * 12
    + "\n| "
    + " | ".join(f"value {n}" for n in range(12))
    + " |\n"
)
CODE = "```python\nprint('" + "a long line of code that does not fit on a phone " * 3 + "')\n```\n"
POST = f"""\
---
title: Tables and code
date: 2026-01-05
tags: [reading]
---

The opening paragraph, with [a link elsewhere](https://example.net/page).

{WIDE}
{CODE}
"""
CHINESE = """\
---
title: 雨天
date: 2026-01-06
lang: zh
tags: [reading]
---

今天下雨了，我们去看了一场电影。
"""
READING = "/2026/01/tables-and-code/"


@pytest.fixture(scope="module")
def reading(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example site with a post holding a wide table and a long line of code, and a Chinese post."""
    root = copy_example(tmp_path_factory.mktemp("reading") / "site")
    write_files(
        root, {"content/posts/2026-01-05-tables-and-code.md": POST, "content/posts/2026-01-06-rain.md": CHINESE}
    )
    homepost("build", "--site", str(root), "-o", str(root / "public"))
    served = serve(root / "public", "https://homepost.example/")
    yield served
    served.close()


def test_the_copy_button_copies_the_code_and_says_so(open_tab: Opener, reading: Served, artifacts: Path) -> None:
    visit = open_tab(reading)
    visit.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=reading.origin)
    visit.goto(READING)
    button = visit.page.get_by_role("button", name="Copy the code to the clipboard")
    assert button.count() == 1
    button.click()
    copied = visit.page.get_by_role("button", name="Copied")
    copied.wait_for()
    assert copied.is_visible() and copied.inner_text() == "Copied"
    assert visit.page.evaluate("navigator.clipboard.readText()").startswith("print('a long line of code")
    visit.page.screenshot(path=str(artifacts / "reading-copied.png"))
    visit.assert_no_problems()


def test_without_scripts_the_page_reads_fine_and_has_no_copy_button(browser, reading: Served, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": PHONE, "height": 800}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(reading.url(READING))
        assert page.locator("button.copy-code").count() == 0
        assert "a long line of code" in page.locator("pre").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
        page.goto(reading.url("/search/"))
        assert page.locator(".search-fallback").is_visible()
        assert page.get_attribute("form.search-form", "action") == "https://duckduckgo.com/"
        page.screenshot(path=str(artifacts / "search-no-script-390.png"))
    finally:
        context.close()


def test_the_search_page_finds_a_chinese_word_inside_a_sentence(
    open_tab: Opener, reading: Served, artifacts: Path
) -> None:
    visit = open_tab(reading, width=PHONE)
    visit.goto("/search/")
    assert visit.page.locator(".search-fallback").count() == 0  # the script took over the form
    visit.page.fill("#search-input", "下雨")
    result = visit.page.locator(".search-list a", has_text="雨天")
    result.wait_for()
    assert result.get_attribute("href") == "/2026/01/rain/"
    assert visit.page.locator(".search-count").inner_text() == "1 post found"
    visit.page.screenshot(path=str(artifacts / "search-390.png"), full_page=True)
    visit.page.fill("#search-input", "no such thing anywhere")
    visit.page.locator(".search-count", has_text="Nothing found.").wait_for()
    visit.assert_no_problems()


def test_wide_tables_and_code_scroll_inside_the_column_at_phone_width(
    open_tab: Opener, reading: Served, artifacts: Path
) -> None:
    visit = open_tab(reading, width=PHONE)
    visit.goto(READING)
    visit.page.screenshot(path=str(artifacts / "reading-wide-390.png"), full_page=True)
    assert visit.page.evaluate("document.documentElement.scrollWidth") <= PHONE
    for selector in ("table", "pre"):
        box = visit.page.evaluate(
            f"""() => {{ const el = document.querySelector(".post-content {selector}");
            return {{scroll: el.scrollWidth, client: el.clientWidth, focusable: el.tabIndex === 0,
                     label: el.getAttribute("aria-label")}}; }}"""
        )
        assert box["scroll"] > box["client"], f"the {selector} does not scroll inside the column: {box}"
        assert box["focusable"], f"the {selector} is not reachable by keyboard"
    table_label = visit.page.get_attribute(".post-content table", "aria-label")
    assert table_label == "Table (scroll sideways to see all of it)"
    visit.assert_no_problems()


def test_the_header_navigation_stays_on_one_line_at_phone_width(
    open_tab: Opener, reading: Served, artifacts: Path
) -> None:
    visit = open_tab(reading, width=PHONE)
    visit.goto("/")
    visit.page.locator(".site-header").screenshot(path=str(artifacts / "header-390.png"))
    tops = visit.page.evaluate(
        "() => [...document.querySelectorAll('.site-nav li')].map(li => Math.round(li.getBoundingClientRect().top))"
    )
    assert len(tops) >= 5 and len(set(tops)) == 1, f"the navigation wraps: its items start at {tops}"
    title, subscribe = (visit.page.locator(selector).bounding_box() for selector in (".site-title", ".site-subscribe"))
    assert subscribe["y"] < tops[0] and abs(subscribe["y"] + subscribe["height"] - title["y"] - title["height"]) < 8, (
        "Subscribe is not on the title's line"
    )
    assert visit.page.evaluate("document.documentElement.scrollWidth") <= PHONE
    visit.assert_no_problems()


def test_axe_and_the_tab_order_are_happy_with_the_reading_aids(
    open_tab: Opener, reading: Served, axe_source: str
) -> None:
    visit = open_tab(reading, width=PHONE)
    problems = axe_problems(visit, axe_source, [READING, "/search/", "/2026/01/rain/"])
    assert not problems, "\n".join(problems)
    visit = open_tab(reading, width=PHONE)
    visit.goto(READING)
    problems = tab_order_problems(visit)
    assert not problems, "\n".join(problems)
    visit.assert_no_problems()


def test_print_is_black_on_white_without_navigation_or_buttons_and_shows_link_urls(
    open_tab: Opener, reading: Served
) -> None:
    visit = open_tab(reading, color_scheme="dark")
    visit.goto(READING)
    visit.page.locator("button.copy-code").wait_for()
    visit.page.emulate_media(media="print")
    shown = visit.page.evaluate("""() => {
        const style = (selector, pseudo) => getComputedStyle(document.querySelector(selector), pseudo || null);
        return {nav: style(".site-nav").display, button: style("button.copy-code").display,
                form: style(".webmention-form").display,
                text: style("body").color, background: style("body").backgroundColor,
                after: style('.post-content a[href="https://example.net/page"]', "::after").content,
                code: style("pre").breakInside};
    }""")
    assert (shown["nav"], shown["button"], shown["form"]) == ("none", "none", "none")
    assert shown["text"] == "rgb(0, 0, 0)" and shown["background"] in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    assert "https://example.net/page" in shown["after"]
    assert shown["code"] == "avoid"
    visit.assert_no_problems()
