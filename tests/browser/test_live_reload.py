"""`homepost serve` in a browser: saving a post reloads the open page with the change, without the
reader pressing reload."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from generator.serve import DevServer, ServeOptions
from tests.browser.conftest import WAIT_MS, Opener, Served
from tests.helpers import SITE_TOML, png_bytes, write_files

POST = "content/posts/2026-01-01-rain.md"
ABOUT = "content/pages/about.md"


@contextlib.contextmanager
def serving(site: Path, extra: dict[str, str] | None = None) -> Iterator[tuple[DevServer, Served]]:
    """A dev server on a site of one post (and `extra` files), and how the tabs reach it."""
    write_files(
        site,
        {
            "site.toml": SITE_TOML,
            "content/images/ada.png": png_bytes(8, 8),
            POST: "---\ntitle: Rain\ndate: 2026-01-01 09:00\n---\n\nIt rains all day.\n",
            **(extra or {}),
        },
    )
    server = DevServer(site, ServeOptions(port=0, keepalive=0.5))
    assert server.start().ok
    try:
        yield server, Served(site / ".homepost" / "serve", f"http://127.0.0.1:{server.port}", "https://example.org/")
    finally:
        server.stop()


def test_saving_a_post_reloads_the_open_page_with_the_change(open_tab: Opener, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with serving(site) as (_, served):
        visit = open_tab(served)
        visit.goto("/2026/01/rain/")
        page = visit.page
        assert "It rains all day." in page.inner_text(".e-content")
        page.evaluate("() => { window.beforeTheEdit = true; }")  # gone once the page has been reloaded
        page.wait_for_function("() => document.querySelector('script[src=\"/__homepost/client.js\"]') !== null")
        path = site / POST
        path.write_text(
            path.read_text(encoding="utf-8").replace("all day", "and then the sun comes out"), encoding="utf-8"
        )
        changed = "document.querySelector('.e-content')?.textContent.includes('the sun comes out')"
        page.wait_for_function(f"() => !window.beforeTheEdit && {changed}", timeout=WAIT_MS, polling=100)
        assert "It rains all day." not in page.inner_text(".e-content")
        visit.assert_no_problems()


def test_only_pages_whose_file_changed_reload(open_tab: Opener, tmp_path: Path) -> None:
    """The post's tab reloads for an edit to the post; a tab on another page reloads only for its own edit."""
    site = tmp_path / "site"
    with serving(site, {ABOUT: "---\ntitle: About\n---\n\nAbout this site.\n"}) as (server, served):
        post, about = open_tab(served), open_tab(served)
        about.page.add_init_script("sessionStorage.loads = String(Number(sessionStorage.loads || 0) + 1)")
        post.goto("/2026/01/rain/")
        about.goto("/about/")
        for tab in (post, about):
            tab.page.wait_for_function("() => document.querySelector('script[src=\"/__homepost/client.js\"]') !== null")
        assert about.page.evaluate("() => sessionStorage.loads") == "1"

        (site / POST).write_text(
            (site / POST).read_text(encoding="utf-8").replace("all day", "no more"), encoding="utf-8"
        )
        post.page.wait_for_function(
            "() => document.querySelector('.e-content')?.textContent.includes('no more')", timeout=WAIT_MS, polling=100
        )
        deadline = WAIT_MS / 1000
        while server.latest is None or server.latest.number < 2:  # the full build after the edit, told to every tab
            assert (deadline := deadline - 0.05) > 0, "no full build after the edit"
            post.page.wait_for_timeout(50)

        (site / ABOUT).write_text("---\ntitle: About\n---\n\nAbout this site, edited.\n", encoding="utf-8")
        about.page.wait_for_function(
            "() => document.querySelector('main')?.textContent.includes('edited')", timeout=WAIT_MS, polling=100
        )
        # Loaded twice: at first and for its own edit; the post's edit and its full build left it alone
        # (events arrive in order, so a reload for them would have come before this one).
        assert about.page.evaluate("() => sessionStorage.loads") == "2"
        post.assert_no_problems()
        about.assert_no_problems()
