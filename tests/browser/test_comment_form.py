"""The comment form as a reader uses it: reached and filled in by keyboard, sent to a receiver
started by the test, and answered with the moderation notice. (test_checkers checks the page with
the form too.)"""

from __future__ import annotations

from pathlib import Path

from tests.browser.checks import FOCUSED_ID, send_form_by_keyboard, tab_order_problems, tab_to
from tests.browser.conftest import PHONE, Commenting, Opener


def test_a_reader_fills_in_the_comment_form_by_keyboard_and_sees_the_moderation_notice(
    open_tab: Opener, commenting: Commenting
) -> None:
    receiver = commenting.receiver.url.rstrip("/")
    visit = open_tab(commenting.served, also=(receiver,))
    visit.goto(commenting.with_replies)
    page = visit.page
    tab_to(visit, "comment-name", "the comment form's name field")
    page.keyboard.type("Robin")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_ID) == "comment-website"
    page.keyboard.type("https://robin.example/")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_ID) == "comment-reply-to"
    page.keyboard.press("ArrowDown")  # the first response instead of the post itself
    answering = page.eval_on_selector("#comment-reply-to", "select => select.value")
    assert answering, "choosing by keyboard what the comment answers did nothing"
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_ID) == "comment-text"
    page.keyboard.type("Lovely **rain**, thank you.")
    send_form_by_keyboard(visit, f"{receiver}/comment/thanks?*")
    assert "awaits moderation" in page.inner_text("body")
    visit.assert_no_problems()

    target = commenting.served.site_url.rstrip("/") + commenting.with_replies
    [comment] = commenting.receiver.store.comments(target=target)
    assert (comment.name, comment.website, comment.markdown, comment.reply_to, comment.status) == (
        "Robin",
        "https://robin.example/",
        "Lovely **rain**, thank you.",
        answering,
        "pending",
    )
    back = page.get_by_role("link", name="Back to the post")
    assert back.get_attribute("href") == target


def test_tab_reaches_every_control_of_the_comment_form(
    open_tab: Opener, commenting: Commenting, artifacts: Path
) -> None:
    visit = open_tab(commenting.served, width=PHONE)
    visit.goto(commenting.with_replies)
    visit.page.screenshot(path=str(artifacts / f"comment-form-{PHONE}.png"), full_page=True)
    problems = tab_order_problems(visit)
    assert not problems, "\n".join(problems)
    assert visit.page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), "the page scrolls sideways"
    visit.assert_no_problems()
