"""`homepost check`: internal links, images and fragments named by Markdown file and line; old URLs; outgoing links."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from generator.check.resolve import Resolver, read_rules
from tests.conftest import SiteFactory
from tests.helpers import run_cli
from tests.import_helpers import FIXTURES
from tests.servers import LoopbackServer, Received, Reply

CONFIG = """\
[site]
title = "Test Site"
url = "https://example.org/"
language = "en"

[network]
allow_private_addresses = true
timeout = 0.5
"""

SECOND = """\
---
title: Second
date: 2026-01-12
---

## Part one

Text.
"""

GOOD = """\
---
title: Hello
date: 2026-01-10
aliases: [/old/hello/]
---

Intro with a [good link](2026-01-12-second.md) and [a part](/2026/01/second/#part-one) of it.

![A picture](/images/pixel.png)
"""

BROKEN = """\
---
title: Hello
date: 2026-01-10
---

Intro with a [good link](2026-01-12-second.md).

Here is [a broken one](/nope/) and more.

![A missing picture](/images/missing.png)

See [nowhere](/2026/01/second/#no-such-part).
"""


def check(site: Path, *args: str):  # noqa: ANN201 - click's Result
    return run_cli("check", "--site", str(site), *args)


PIXEL: dict[str, str | bytes] = {"static/images/pixel.png": b"\x89PNG"}


def blog(make_site: SiteFactory, hello: str, files: dict[str, str | bytes] | None = None) -> Path:
    """The two-post site, with `hello` as the first post's Markdown, and `files` beside it."""
    content = {"content/posts/2026-01-12-second.md": SECOND, "content/posts/2026-01-10-hello.md": hello}
    return make_site({**content, **(files or {})}, config=CONFIG)


def test_all_good_site_passes_with_exit_code_0(make_site: SiteFactory) -> None:
    site = blog(make_site, GOOD, PIXEL)
    result = check(site)
    assert result.exit_code == 0, result.output
    assert "links: " in result.output and ", 0 broken" in result.output
    assert "images: 1 checked, 0 missing" in result.output
    assert "Check passed" in result.output


def test_broken_link_is_named_with_its_markdown_file_and_line(make_site: SiteFactory) -> None:
    result = check(blog(make_site, BROKEN))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    group = lines.index("content/posts/2026-01-10-hello.md")
    assert "  line 8: link /nope/: no such file in the output (on 2026/01/hello/index.html)" in lines[group:]
    assert "Check failed: 3 problems." in result.output


def test_broken_image_is_reported(make_site: SiteFactory) -> None:
    result = check(blog(make_site, BROKEN))
    assert "  line 10: image /images/missing.png: no such file in the output" in result.output
    assert "images: 1 checked, 1 missing" in result.output


def test_missing_fragment_is_reported_and_an_existing_one_is_not(make_site: SiteFactory) -> None:
    more = "\nAnd [a part](/2026/01/second/#part-one), [words](/2026/01/second/#:~:text=Text), [top](#top).\n"
    result = check(blog(make_site, BROKEN + more))
    assert "  line 12: fragment /2026/01/second/#no-such-part: no element with id 'no-such-part'" in result.output
    assert "#part-one" not in result.output and "#:~:" not in result.output and "#top" not in result.output
    assert re.search(r"^fragments: \d+ checked, 1 missing$", result.output, re.MULTILINE)


def test_json_format_lists_each_finding_for_tools(make_site: SiteFactory) -> None:
    result = check(blog(make_site, BROKEN), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output[result.output.index("{") :])
    assert report["ok"] is False
    broken = next(f for f in report["findings"] if f["url"] == "/nope/")
    assert broken == {
        "kind": "links",
        "url": "/nope/",
        "message": "no such file in the output",
        "source": "content/posts/2026-01-10-hello.md",
        "line": 8,
        "pages": ["2026/01/hello/index.html"],
        "level": "error",
    }


def test_no_build_without_output_is_an_error_naming_the_folder(make_site: SiteFactory) -> None:
    site = blog(make_site, GOOD)
    result = check(site, "--no-build")
    assert result.exit_code == 1
    assert f"error: {site / 'public'}: no built site here" in result.output
    assert "Traceback" not in result.output


OLD_SITEMAP = """\
<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://old.example.net/2026/01/second/</loc></url>
  <url><loc>https://old.example.net/old/hello/</loc></url>
  <url><loc>https://old.example.net/2019/lost-post.html</loc></url>
</urlset>
"""


def test_old_sitemap_urls_answer_directly_through_an_alias_or_are_named(make_site: SiteFactory) -> None:
    site = blog(make_site, GOOD, {"old-sitemap.xml": OLD_SITEMAP, **PIXEL})
    result = check(site, "--urls", str(site / "old-sitemap.xml"))
    assert result.exit_code == 1
    assert "old URLs: 3 checked, 1 not answering" in result.output
    assert "old URL https://old.example.net/2019/lost-post.html: does not answer: no such file" in result.output
    assert "/old/hello/" not in result.output and "/2026/01/second/" not in result.output
    assert str(site / "old-sitemap.xml") in result.output


def test_sitemap_index_and_list_of_paths_with_host_rules(make_site: SiteFactory) -> None:
    index = "<sitemapindex><sitemap><loc>https://old.example.net/posts.xml</loc></sitemap></sitemapindex>"
    posts = "<urlset><url><loc>https://old.example.net/2026/01/hello</loc></url></urlset>"
    listed = "# from the old host\nnot a url\n/feed/old\n/2026/01/second/index.html\n/gone.html\n/2026/01/hello.html\n"
    files: dict[str, str | bytes] = {
        "index.xml": index,
        "posts.xml": posts,
        "old-urls.txt": listed,
        "static/_redirects": "/feed/old /feed.xml 301\n/gone.html /gone.html 410!\n",
        **PIXEL,
        "static/2026/01/hello.html": "<p>kept as it was</p>",
    }
    site = blog(make_site, GOOD, files)
    result = check(site, "--urls", str(site / "index.xml"), "--urls", str(site / "old-urls.txt"))
    assert "old URLs: 5 checked, 1 not answering" in result.output, result.output
    assert "line 5: old URL /gone.html: does not answer: a host rule answers 410" in result.output
    assert f"warning: {site / 'old-urls.txt'}:2: 'not a url' is not a URL or a path starting with /; skipped" in (
        result.output
    )
    assert result.exit_code == 1


def test_a_damaged_sitemap_is_an_error_naming_its_line(make_site: SiteFactory) -> None:
    site = blog(make_site, GOOD, {"old.xml": "<urlset>\n<url><loc>/a/</loc></url>\n<url>\n</urlset>\n", **PIXEL})
    result = check(site, "--urls", str(site / "old.xml"))
    assert result.exit_code == 1
    assert f"error: {site / 'old.xml'}:4:2: not a sitemap: invalid XML (mismatched tag)" in result.output
    assert "Built" not in result.output and not (site / "public").exists()  # a bad list stops before the build


def test_an_old_url_whose_redirect_leads_nowhere_does_not_answer(make_site: SiteFactory) -> None:
    refresh = '<meta http-equiv="refresh" content="0; url=/nowhere/">'
    files: dict[str, str | bytes] = {"static/old/broken/index.html": refresh, "old.txt": "/old/broken/\n", **PIXEL}
    site = blog(make_site, GOOD, files)
    result = check(site, "--urls", str(site / "old.txt"))
    assert "line 1: old URL /old/broken/: does not answer: redirects to /nowhere/: no such file" in result.output
    assert result.exit_code == 1


def test_host_rules_redirect_with_splats_and_nginx_locations(tmp_path: Path) -> None:
    (tmp_path / "_redirects").write_text("# moved\n/blog/* /posts/:splat 301\n")
    (tmp_path / "_nginx.conf").write_text(
        "location = /old { return 301 /new/; }\nrewrite ^/feed$ /feed.xml permanent;\n"
    )
    files = {"posts/a/index.html", "new/index.html", "feed.xml"}
    resolver = Resolver("https://example.org", "/", files, {}, read_rules(tmp_path))
    assert resolver.answer("/blog/a/").file == "posts/a/index.html"
    assert resolver.answer("/old").file == "new/index.html"
    assert resolver.answer("/feed").file == "feed.xml"
    assert resolver.answer("/blog/b/").reason == "redirects to /posts/b/: no such file in the output"
    assert resolver.answer("/elsewhere/").reason == "no such file in the output"


def test_a_link_to_a_deleted_page_answering_410_is_broken(make_site: SiteFactory) -> None:
    files: dict[str, str | bytes] = {"static/_redirects": "/gone.html /gone.html 410!\n", **PIXEL}
    result = check(blog(make_site, GOOD + "\nOnce [there](/gone.html).\n", files))
    assert result.exit_code == 1
    assert "line 11: link /gone.html: a host rule answers 410" in result.output


# --- --external, against real servers on loopback -------------------------------------------------


def links_to(*urls: str) -> str:
    return "---\ntitle: Hello\ndate: 2026-01-10\n---\n\n" + "".join(
        f"Go [there {n}]({url}).\n\n" for n, url in enumerate(urls)
    )


def no_head(received: Received) -> Reply:
    return Reply(405) if received.method == "HEAD" else Reply(200, b"ok")


def test_external_links_report_status_moves_timeouts_and_waits(make_site: SiteFactory) -> None:
    with LoopbackServer() as web, LoopbackServer() as busy, LoopbackServer() as slow:
        web.route("/ok", Reply(200))
        web.route("/missing", Reply(404))
        web.route("/moved", Reply(301, b"", [("Location", "/ok")]))
        web.route("/no-head", no_head)
        busy.route("/busy", Reply(429, b"", [("Retry-After", "3600")]))
        slow.raw("/slow", lambda handler: slow.closing.wait(5))
        urls = [web.url(p) for p in ("/ok", "/missing", "/moved", "/no-head")] + [busy.url("/busy"), slow.url("/slow")]
        site = blog(make_site, links_to(*urls))
        result = check(site, "--external")
        again = check(site, "--external")
        assert len(busy.received) == 1  # the wait it asked for holds across runs
    assert "not checked: the host asked to wait until" in again.output
    out = result.output
    assert result.exit_code == 1, out
    assert f"line 8: link {web.url('/missing')}: answers 404" in out
    assert f"line 10: warning: link {web.url('/moved')}: moved permanently to {web.url('/ok')}; update the link" in out
    assert f"link {slow.url('/slow')}: timed out after 0.5 s" in out
    assert f"warning: link {busy.url('/busy')}: not checked: the host asked to wait until" in out
    assert f"{web.url('/ok')}:" not in out and f"{web.url('/no-head')}:" not in out
    assert [r.method for r in web.received if r.path == "/no-head"] == ["HEAD", "GET"]
    assert "external links: 6 checked, 2 failing, 2 to look at" in out
    limits = json.loads((site / ".homepost" / "ratelimits.json").read_text())["limits"]
    assert f"host:127.0.0.1:{busy.port}" in limits


def test_external_links_ask_one_host_one_request_at_a_time(make_site: SiteFactory) -> None:
    active, most, lock = [0], [0], threading.Lock()

    def counting(received: Received) -> Reply:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.05)  # long enough for a second request to arrive if the checker sent one
        with lock:
            active[0] -= 1
        return Reply(200)

    with LoopbackServer() as web:
        web.fallback = counting
        site = blog(make_site, links_to(*(web.url(f"/page-{n}") for n in range(6))))
        result = check(site, "--external")
    assert result.exit_code == 0, result.output
    assert len(web.received) == 6
    assert most[0] == 1


def test_external_answers_are_remembered_so_a_second_run_asks_nothing(make_site: SiteFactory) -> None:
    with LoopbackServer() as web:
        web.route("/ok", Reply(200))
        web.route("/moved", Reply(308, b"", [("Location", "/ok")]))
        site = blog(make_site, links_to(web.url("/ok"), web.url("/moved")))
        first = check(site, "--external")
        asked = len(web.received)
        second = check(site, "--external")
        assert len(web.received) == asked == 3  # HEAD /ok, HEAD /moved, HEAD /ok after the redirect
    assert first.exit_code == second.exit_code == 0
    assert "moved permanently" in second.output  # the remembered answer is reported as the first was
    assert "Check passed: everything answers (1 warning)." in second.output
    cached = json.loads((site / ".homepost" / "linkcheck.json").read_text())["links"]
    assert cached[web.url("/ok")]["status"] == 200


def test_a_broken_link_from_the_configuration_names_site_toml_and_its_line(make_site: SiteFactory) -> None:
    config = CONFIG + '\n[site.author]\nname = "Ada"\nurl = "https://example.org/about-me/"\n'
    site = make_site({"content/posts/2026-01-12-second.md": SECOND}, config=config)
    result = check(site)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[lines.index("site.toml") + 1].startswith("  line 12: link https://example.org/about-me/: no such file")


def test_every_old_url_of_an_imported_hugo_site_answers(tmp_path: Path) -> None:
    site = tmp_path / "moved"
    assert run_cli("-q", "import", "hugo", str(FIXTURES / "hugo"), "--into", str(site)).exit_code == 0
    old = site / "data" / "import" / "hugo-urls.txt"
    listed = [line for line in old.read_text().splitlines() if line]
    result = check(site, "--urls", str(old))
    assert f"old URLs: {len(listed)} checked, 0 not answering" in result.output, result.output


def test_other_commands_do_not_load_the_check_or_its_http_client() -> None:
    code = "import sys, generator.cli; print([m for m in ('generator.check', 'generator.http') if m in sys.modules])"
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root).stdout
    assert out.strip() == "[]"


def test_the_example_site_passes_its_own_check(tmp_path: Path) -> None:
    """The bundled site, as `make demo` builds it: every internal link, image and fragment answers."""
    root = Path(__file__).resolve().parent.parent
    site = tmp_path / "example"
    site.mkdir()
    shutil.copy(root / "site.toml", site)
    for folder in ("content", "data"):
        shutil.copytree(root / folder, site / folder)
    result = check(site)
    assert result.exit_code == 0, result.output
    assert "Check passed" in result.output
