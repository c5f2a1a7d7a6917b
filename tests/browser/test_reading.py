"""The reader's side of the example site in Chromium with the CJK fonts installed: each language set
in its own fonts (Latin first for English, CJK by language, code monospace in every language), no
accessibility violations at a phone and a desktop width in both colour schemes, and a conversation
whose names a reader can see. Screenshots of each page, width and scheme go to artifacts/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.checks import axe_problems
from tests.browser.conftest import DESKTOP, PHONE, ROOT, ExamplePages, Opener, Served, Visit

READER_PAGES = ["home", "long_post", "chinese", "episode", "conversation"]
CJK_FAMILIES = ("CJK", "PingFang", "Hiragino", "Source Han", "YaHei", "JhengHei", "Yu Gothic", "Meiryo", "Gothic Neo")

# The declared font families of the first element matching a selector, as a list of names.
FAMILIES = """selector => getComputedStyle(document.querySelector(selector)).fontFamily
    .split(",").map(name => name.trim().replace(/^["']|["']$/g, ""))"""

# Give the first paragraph of the post a language, and read its families back.
FAMILIES_IN = """([lang]) => {
    const p = document.querySelector(".e-content p");
    p.lang = lang;
    return getComputedStyle(p).fontFamily.split(",").map(name => name.trim().replace(/^["']|["']$/g, ""));
}"""

# The widths of a narrow and a wide run of characters drawn in a code element: equal in a monospace font.
CODE_WIDTHS = """() => {
    const code = document.querySelector(".e-content pre code");
    const widths = [];
    for (const run of ["iiiiiiii", "MMMMMMMM", "        "]) {
        const span = document.createElement("span");
        span.textContent = run;
        span.style.whiteSpace = "pre";
        code.append(span);
        widths.push(span.getBoundingClientRect().width);
        span.remove();
    }
    return widths;
}"""


# The elements of a list page's pagination whose colour contrast axe could not judge ("needs review").
UNJUDGED = """async (selector) => {
    const result = await axe.run(selector, {runOnly: ["color-contrast"], resultTypes: ["incomplete"]});
    return result.incomplete.flatMap(v => v.nodes.map(n => `${n.target.join(" ")}: ${n.any.map(a => a.message)}`));
}"""


def used_fonts(visit: Visit, selector: str) -> list[str]:
    """The fonts Chromium drew the text of the first element matching `selector` with (DevTools' own report)."""
    cdp = visit.page.context.new_cdp_session(visit.page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return [font["familyName"] for font in sorted(fonts, key=lambda font: -font["glyphCount"])]


def is_cjk(family: str) -> bool:
    return any(name in family for name in CJK_FAMILIES)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("name", READER_PAGES)
def test_axe_finds_no_violations_at_each_width_and_scheme_and_a_screenshot_is_kept(
    open_tab: Opener,
    example: Served,
    example_pages: ExamplePages,
    axe_source: str,
    artifacts: Path,
    name: str,
    width: int,
    scheme: str,
) -> None:
    visit = open_tab(example, width=width, color_scheme=scheme)
    path = getattr(example_pages, name)
    problems = axe_problems(visit, axe_source, [path])
    visit.page.screenshot(path=str(artifacts / f"reader-{name}-{width}-{scheme}.png"), full_page=True)
    assert not problems, f"{len(problems)} accessibility violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_can_judge_the_contrast_of_every_part_of_the_pagination(
    open_tab: Opener, example: Served, axe_source: str, scheme: str
) -> None:
    """A lone arrow in its own element is "needs review" to axe and a failure to pa11y: the arrows are CSS."""
    visit = open_tab(example, color_scheme=scheme)
    visit.page.context.add_init_script(script=axe_source)
    visit.goto("/page/2/")  # both arrows
    assert visit.page.locator(".pagination a").count() == 2
    unjudged = visit.page.evaluate(UNJUDGED, ".pagination")
    assert not unjudged, "axe cannot judge the contrast of: " + "; ".join(unjudged)
    arrows = (
        "() => [...document.querySelectorAll('.pagination a')]"
        ".map(a => getComputedStyle(a, a.rel === 'prev' ? '::before' : '::after').content)"
    )
    assert visit.page.evaluate(arrows) == ['"← " / ""', '" →" / ""']
    visit.assert_no_problems()


def test_axe_can_judge_the_contrast_of_the_links_to_the_newer_and_older_post(
    open_tab: Opener, example: Served, example_pages: ExamplePages, axe_source: str
) -> None:
    """The same for the previous and next post under a post: their arrows are CSS too."""
    visit = open_tab(example)
    visit.page.context.add_init_script(script=axe_source)
    visit.goto(example_pages.long_post)
    assert visit.page.locator(".post-nav a").count() >= 1
    unjudged = visit.page.evaluate(UNJUDGED, ".post-nav")
    assert not unjudged, "axe cannot judge the contrast of: " + "; ".join(unjudged)
    visit.assert_no_problems()


def test_code_is_monospace_in_a_chinese_post(open_tab: Opener, example: Served, example_pages: ExamplePages) -> None:
    visit = open_tab(example)
    visit.goto(example_pages.chinese)
    assert visit.page.evaluate("() => document.documentElement.lang").startswith("zh")
    for selector in (".e-content pre code", ".e-content p code"):
        families = visit.page.evaluate(FAMILIES, selector)
        assert "monospace" in families, f"{selector} is set in {families}"
        assert not is_cjk(families[0]), f"{selector} starts with a proportional CJK font: {families}"
    narrow, wide, spaces = visit.page.evaluate(CODE_WIDTHS)
    assert narrow == wide == spaces, f"code is not drawn monospace: iiiiiiii {narrow} px, MMMMMMMM {wide} px"
    visit.assert_no_problems()


def test_english_text_is_set_in_latin_fonts_first(
    open_tab: Opener, example: Served, example_pages: ExamplePages
) -> None:
    visit = open_tab(example)
    visit.goto(example_pages.long_post)
    families = visit.page.evaluate(FAMILIES, ".e-content p")
    assert not is_cjk(families[0]) and not any(is_cjk(f) for f in families[: families.index("sans-serif")]), families
    drawn = used_fonts(visit, ".e-content p")
    assert drawn and not any(is_cjk(font) for font in drawn), f"English text is drawn in {drawn}"
    visit.assert_no_problems()


def test_chinese_text_is_set_in_a_chinese_font_first_and_drawn_in_one(
    open_tab: Opener, example: Served, example_pages: ExamplePages
) -> None:
    visit = open_tab(example)
    visit.goto(example_pages.chinese)
    families = visit.page.evaluate(FAMILIES, ".e-content p")
    assert is_cjk(families[0]) and families[0].endswith("SC"), f"Chinese text is set in {families}"
    drawn = used_fonts(visit, ".e-content p")
    assert drawn and is_cjk(drawn[0]), f"Chinese text is drawn in {drawn} (are the CJK fonts installed?)"
    visit.assert_no_problems()


@pytest.mark.parametrize(
    ("lang", "suffix"),
    [("zh", "SC"), ("zh-Hans", "SC"), ("zh-Hant", "TC"), ("zh-TW", "TC"), ("zh-HK", "HK"), ("ja", "JP"), ("ko", "KR")],
)
def test_each_cjk_language_chooses_its_own_fonts(
    open_tab: Opener, example: Served, example_pages: ExamplePages, lang: str, suffix: str
) -> None:
    visit = open_tab(example)
    visit.goto(example_pages.long_post)
    families = visit.page.evaluate(FAMILIES_IN, [lang])
    noto = next(f for f in families if f.startswith("Noto Sans CJK"))
    assert is_cjk(families[0]) and noto == f"Noto Sans CJK {suffix}", f"{lang}: {families}"


def test_the_conversation_shows_who_responded_by_name(
    open_tab: Opener, example: Served, example_pages: ExamplePages, artifacts: Path
) -> None:
    visit = open_tab(example, width=PHONE)
    visit.goto(example_pages.conversation)
    stored = json.loads((ROOT / "data" / "responses" / (example_pages.conversation.strip("/") + ".json")).read_text())
    for kind, selector in (("like", ".facepile-likes"), ("repost", ".facepile-reposts")):
        shown = visit.page.locator(selector).inner_text()
        for r in (r for r in stored if r["type"] == kind):
            who = r["author"].get("name") or r["author"].get("handle")
            assert who in shown, f"{who}'s {kind} shows no name: {shown!r}"
    names = visit.page.locator(".reply-author .p-name")
    assert names.count() == sum(r["type"] == "reply" for r in stored)
    for i in range(names.count()):
        assert names.nth(i).is_visible() and names.nth(i).inner_text().strip()
    mention = visit.page.locator(".mentions li").first.inner_text()
    assert " by " in mention, f"the mention does not say who wrote it: {mention!r}"
    visit.page.locator("#responses").screenshot(path=str(artifacts / f"reader-conversation-{PHONE}-detail.png"))
    visit.assert_no_problems()
