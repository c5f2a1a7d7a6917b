"""Every HTML page a build writes advertises the site's Webmention endpoint, redirect pages,
the 404 page and tombstones of deleted posts included (GitHub issue 16)."""

from __future__ import annotations

import json

from tests.conftest import SiteFactory
from tests.helpers import SITE_TOML, build
from tests.sites import BLOG

ENDPOINT = "https://webmention.io/example.org/webmention"
LINK = f'<link rel="webmention" href="{ENDPOINT}">'


def test_every_page_carries_the_webmention_endpoint(make_site: SiteFactory) -> None:
    sent = {"sources": {"https://example.org/2025/01/deleted/": {"version": "v1", "targets": [], "outcomes": {}}}}
    config = SITE_TOML + f'\n[webmention]\nendpoint = "{ENDPOINT}"\n'
    site = make_site({**BLOG, "data/webmention/sent.json": json.dumps(sent)}, config=config)
    assert build(site).exit_code == 0
    public = site / "public"
    pages = sorted(public.rglob("*.html"))
    names = {p.relative_to(public).as_posix() for p in pages}
    assert {"old/path/index.html", "404.html", "2025/01/deleted/index.html"} <= names  # an alias, 404, a tombstone
    missing = [p.relative_to(public).as_posix() for p in pages if LINK not in p.read_text(encoding="utf-8")]
    assert missing == []


def test_redirect_pages_have_no_webmention_link_without_an_endpoint(make_site: SiteFactory) -> None:
    site = make_site(BLOG)
    assert build(site).exit_code == 0
    assert 'rel="webmention"' not in (site / "public/old/path/index.html").read_text(encoding="utf-8")
