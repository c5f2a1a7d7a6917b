"""The player of an episode page: it plays the episode's enclosure, and a chapter time seeks it."""

from __future__ import annotations

from tests.browser.conftest import WAIT_MS, ExamplePages, Opener, Served, Visit


def player(visit: Visit, expression: str) -> object:
    """The value of a JavaScript `expression` about the page's player, which it calls `audio`."""
    return visit.page.evaluate(
        f"() => {{ const audio = document.getElementById('episode-audio'); return {expression}; }}"
    )


def wait_for_player(visit: Visit, condition: str) -> None:
    visit.page.wait_for_function(
        f"() => {{ const audio = document.getElementById('episode-audio'); return {condition}; }}", timeout=WAIT_MS
    )


def test_the_player_plays_the_enclosure_and_a_chapter_link_seeks_it(
    open_tab: Opener, example: Served, example_pages: ExamplePages
) -> None:
    visit = open_tab(example)
    visit.goto(example_pages.episode)
    source = visit.page.eval_on_selector("#episode-audio source", "source => source.src")
    player(visit, "audio.play()")
    wait_for_player(visit, "audio.currentTime > 0")
    assert player(visit, "audio.currentSrc") == source
    duration = player(visit, "audio.duration")

    chapters = visit.page.locator(".chapter-list a.seek")
    assert chapters.count() >= 2
    last = chapters.nth(chapters.count() - 1)
    start = float(last.get_attribute("data-seek"))
    assert 0 < start < duration, f"the chapter at {start} s is not inside the {duration} s episode"
    player(visit, "(audio.pause(), audio.currentTime = 0)")
    last.click()
    near = f"audio.currentTime >= {start} && audio.currentTime < {start + 1.5}"
    wait_for_player(visit, f"!audio || (!audio.seeking && {near})")  # no player: the link left the page
    assert visit.page.url == example.url(example_pages.episode), "the chapter link left the page instead of seeking"
    assert player(visit, near), f"the player is at {player(visit, 'audio.currentTime')} s, not the chapter's {start} s"
    assert not player(visit, "audio.paused"), "the chapter link did not play from the chapter"
    visit.assert_no_problems()


def test_a_page_address_with_a_time_starts_the_player_there(
    open_tab: Opener, example: Served, example_pages: ExamplePages
) -> None:
    visit = open_tab(example)
    visit.page.goto(example.url(example_pages.episode + "#t=4"), wait_until="load")
    wait_for_player(visit, "audio.currentTime === 4")
    visit.assert_no_problems()
