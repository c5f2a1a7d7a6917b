"""`homepost serve` in a browser: saving a post reloads the open page with the change, without the
reader pressing reload."""

from __future__ import annotations

from pathlib import Path

from generator.serve import DevServer, ServeOptions
from tests.browser.conftest import WAIT_MS, Opener, Served
from tests.helpers import SITE_TOML, png_bytes, write_files

POST = "content/posts/2026-01-01-rain.md"


def test_saving_a_post_reloads_the_open_page_with_the_change(open_tab: Opener, tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_files(site, {
        "site.toml": SITE_TOML,
        "content/images/ada.png": png_bytes(8, 8),
        POST: "---\ntitle: Rain\ndate: 2026-01-01 09:00\n---\n\nIt rains all day.\n",
    })  # fmt: skip
    server = DevServer(site, ServeOptions(port=0, keepalive=0.5))
    assert server.start().ok
    try:
        served = Served(site / ".homepost" / "serve", f"http://127.0.0.1:{server.port}", "https://example.org/")
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
    finally:
        server.stop()
