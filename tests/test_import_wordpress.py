"""`homepost import wordpress`: a WXR export's posts, pages, states, images, threaded comments; hostile XML refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import mf2py
import yaml

from tests.helpers import SITE_TOML, run_cli, snapshot, write_files
from tests.import_helpers import FIXTURES, built, checked, front, imported, old_urls, unanswered

EXPORT = FIXTURES / "wordpress" / "export.xml"
UPLOADS = FIXTURES / "wordpress" / "uploads"
POST = "content/posts/2024-01-15-a-train-journey.md"


def test_posts_pages_terms_and_states_are_written(tmp_path: Path) -> None:
    site = imported("wordpress", EXPORT, tmp_path / "site", "--uploads", str(UPLOADS))
    train = yaml.safe_load(front(site / POST))
    assert train["categories"] == ["Travel"] and train["tags"] == ["Trains"]
    assert train["image"] == "/wp-content/uploads/2024/01/train.png"  # its featured image, from --uploads
    assert train["date"] == "2024-01-15 09:00:00+01:00"  # the blog's offset, so the date is the one its URL shows
    assert yaml.safe_load(front(site / "content/posts/2024-03-01-half-written.md"))["draft"] is True
    assert yaml.safe_load(front(site / "content/posts/2024-03-02-just-for-me.md"))["draft"] is True  # private
    assert "draft" not in yaml.safe_load(front(site / "content/posts/2030-01-01-coming-soon.md"))  # scheduled: its date
    assert (site / "content/pages/about.md").read_text(encoding="utf-8").endswith("I write about trains.\n")
    assert 'permalink = "/{year}/{month}/{day}/{slug}/"' in (site / "site.toml").read_text(encoding="utf-8")


def test_html_becomes_markdown_where_nothing_is_lost_and_stays_html_elsewhere(tmp_path: Path) -> None:
    site = imported("wordpress", EXPORT, tmp_path / "site", "--uploads", str(UPLOADS))
    body = (site / POST).read_text(encoding="utf-8").split("---\n", 2)[2]
    assert body == (
        "\nWe took the **night train** to [Vienna](<https://example.net/vienna>).\n\n"
        "![The train](</wp-content/uploads/2024/01/train.png>)\n\n<!-- more -->\n\n- Tickets\n- Snacks\n"
    )
    stations = (site / "content/posts/2024-02-01-駅.md").read_text(encoding="utf-8")
    assert '<div class="station-grid">[gallery ids="11,12"]</div>' in stations  # kept as HTML
    assert (
        '<figure><img src="/wp-content/uploads/2024/01/train.png" alt="Platform" width="300" />'
        "<figcaption>Platform 9 at dawn</figcaption></figure>"
    ) in stations  # [caption]
    assert 'src="https://wp.example/wp-content/uploads/2024/02/remote.jpg"' in stations  # not in --uploads: remote
    assert "wp:" not in stations and "wp:" not in body
    assert (site / "static/wp-content/uploads/2024/01/train.png").is_file()


def test_old_urls_answer_and_comments_appear_threaded_on_the_post(tmp_path: Path) -> None:
    site = imported("wordpress", EXPORT, tmp_path / "site", "--uploads", str(UPLOADS))
    urls = old_urls(site, "wordpress")
    assert urls == [
        "https://wp.example/2024/01/15/a-train-journey/",
        "https://wp.example/2024/02/01/駅/",
        "https://wp.example/about/",
        "https://wp.example/tag/trains/",  # WordPress's tag and category pages, by their nicename
        "https://wp.example/category/travel/",
    ]
    toml = (site / "site.toml").read_text(encoding="utf-8")
    assert 'path = "/tag/{term}/"' in toml and 'path = "/category/{term}/"' in toml
    public = built(site)
    assert unanswered(public, urls) == []
    page = public / "2024/01/15/a-train-journey/index.html"
    parsed = mf2py.parse(doc=page.read_text(encoding="utf-8"), url=urls[0])
    entry = next(i for i in parsed["items"] if "h-entry" in i["type"])
    comments = entry["properties"]["comment"]
    assert [c["properties"]["author"][0]["properties"]["name"] for c in comments] == [["Alice"]]
    answer = comments[0]["properties"]["comment"][0]  # Wendy answered Alice: nested in Alice's h-cite
    assert answer["properties"]["author"][0]["properties"]["name"] == ["Wendy"]
    assert answer["properties"]["published"] == ["2024-01-16T11:00:00+0000"]
    assert answer["properties"]["url"] == ["https://wp.example/2024/01/15/a-train-journey/#comment-101"]
    html = page.read_text(encoding="utf-8")
    assert 'id="comment-100"' in html and 'id="comment-101"' in html  # old links to post/#comment-N still land
    assert "Cheap Pills" not in page.read_text(encoding="utf-8") and "Waiting Walter" not in page.read_text(
        encoding="utf-8"
    )


def test_the_report_counts_every_kind_and_names_what_needs_a_look(tmp_path: Path) -> None:
    report = (imported("wordpress", EXPORT, tmp_path / "site") / "import-report.md").read_text(encoding="utf-8")
    for row in (
        "| posts | 5 |",
        "| pages | 1 |",
        "| drafts | 2 |",
        "| comments | 2 |",
        "| spam comments | 1 |",
        "| pending comments | 1 |",
        "| sticky | 1 |",
        "| private | 1 |",
        "| scheduled | 1 |",
        "| remote images | 2 |",
    ):
        assert row in report
    assert "- export.xml:131: item 12 ('Gallery of stations'): shortcode [gallery] not converted" in report
    assert "- export.xml:45: item 10 ('A train journey') was sticky" in report


def test_images_on_the_old_host_not_copied_are_reported_with_post_and_line_and_check_finds_only_those(
    tmp_path: Path,
) -> None:
    site = imported("wordpress", EXPORT, tmp_path / "site")
    report = (site / "import-report.md").read_text(encoding="utf-8")
    train, remote = (f"https://wp.example/wp-content/uploads/2024/{p}" for p in ("01/train.png", "02/remote.jpg"))
    hint = "not copied: pass --uploads DIR (a copy of wp-content/uploads)"
    assert f"- export.xml:36: item 10 ('A train journey'): image {train} {hint}" in report
    assert f"- export.xml:127: item 12 ('Gallery of stations'): image {train} {hint}" in report
    assert f"- export.xml:129: item 12 ('Gallery of stations'): image {remote} {hint}" in report
    checked = run_cli("check", "--site", str(site), "--urls", str(site / "data/import/wordpress-urls.txt"))
    assert checked.exit_code == 1 and "old URLs: 5 checked, 0 not answering" in checked.output
    broken = re.findall(r"image (\S+): no such file", checked.output)
    assert set(broken) == {train, remote} and "no element with id" not in checked.output  # comment anchors exist
    copied = imported("wordpress", EXPORT, tmp_path / "copied", "--uploads", str(UPLOADS))
    report = (copied / "import-report.md").read_text(encoding="utf-8")
    assert train not in report and f"image {remote} not copied: not in the --uploads folder" in report


def test_into_an_existing_site_old_urls_become_the_posts_own_and_nothing_is_overwritten(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_files(site, {"site.toml": SITE_TOML, POST: "mine\n"})
    imported("wordpress", EXPORT, site)
    assert (site / POST).read_text(encoding="utf-8") == "mine\n"
    about = yaml.safe_load(front(site / "content/pages/about.md"))
    assert "aliases" not in about and "url" not in about  # /about/ is where the page goes anyway
    stations = yaml.safe_load(front(site / "content/posts/2024-02-01-駅.md"))
    assert stations["url"] == "/2024/02/01/駅/" and "aliases" not in stations  # the site's permalink is another
    responses = json.loads((site / "data/responses/2024/01/a-train-journey.json").read_text(encoding="utf-8"))
    assert [r["author"]["name"] for r in responses] == ["Alice", "Wendy"]
    report = (site / "import-report.md").read_text(encoding="utf-8")
    assert '- site.toml: old tags pages (/tag/{term}/) not kept: set [taxonomies.tags] path = "/tag/{term}/"' in report
    assert not any("/tag/" in url for url in old_urls(site, "wordpress"))  # not listed: the site does not keep them
    assert responses[1]["in_reply_to"] == responses[0]["id"] and responses[0]["target"].startswith(
        "https://example.org/"
    )
    before = snapshot(site)
    imported("wordpress", EXPORT, site)
    assert snapshot(site) == before


BOMB = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<rss><channel><title>&c;</title></channel></rss>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss><channel><title>&secret;</title></channel></rss>
"""


def test_a_hostile_export_is_refused_with_an_error_naming_the_file(tmp_path: Path) -> None:
    for name, text in (("bomb.xml", BOMB), ("external.xml", EXTERNAL)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = run_cli("import", "wordpress", str(path), "--into", str(tmp_path / "site"))
        assert result.exit_code == 1
        assert f"error: {path}: refused: the file declares a DTD" in result.output
        assert "Traceback" not in result.output and not (tmp_path / "site").exists()


def test_a_file_that_is_no_export_is_an_error_naming_it_and_its_line(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text("<rss>\n<channel>\n<title>unclosed</channel>\n", encoding="utf-8")
    result = run_cli("import", "wordpress", str(path), "--into", str(tmp_path / "site"))
    assert result.exit_code == 1 and f"error: {path}:3: not well-formed XML" in result.output
    path.write_text("<html><body>hi</body></html>", encoding="utf-8")
    result = run_cli("import", "wordpress", str(path), "--into", str(tmp_path / "site"))
    assert f"error: {path}: expected a WordPress export (WXR)" in result.output


def test_a_large_import_tells_its_progress_on_stderr_and_a_quiet_one_does_not(tmp_path: Path) -> None:
    item = (
        "<item><title>Post {n}</title><link>https://big.example/p{n}/</link><content:encoded>Text {n}."
        "</content:encoded><wp:post_id>{n}</wp:post_id><wp:post_date_gmt>2024-01-01 10:00:00</wp:post_date_gmt>"
        "<wp:post_name>p{n}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>"
    )
    export = tmp_path / "big.xml"
    export.write_text(
        '<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Big</title>'
        f"<link>https://big.example</link>{''.join(item.format(n=n) for n in range(1, 251))}</channel></rss>",
        encoding="utf-8",
    )
    result = run_cli("import", "wordpress", str(export), "--into", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["imported 100 of 250", "imported 200 of 250"]
    assert "Imported 250 posts" in result.stdout
    quiet = run_cli("-q", "import", "wordpress", str(export), "--into", str(tmp_path / "other"))
    assert quiet.exit_code == 0 and quiet.output == ""


def test_names_from_the_export_never_leave_the_content_folder(tmp_path: Path) -> None:
    export = tmp_path / "names.xml"
    items = "".join(
        f"<item><title>T</title><link>{link}</link><wp:post_id>{n}</wp:post_id><wp:post_name>{name}</wp:post_name>"
        "<wp:post_date_gmt>2024-01-01 10:00:00</wp:post_date_gmt><wp:status>publish</wp:status>"
        "<wp:post_type>post</wp:post_type></item>"
        for n, (link, name) in enumerate(
            [
                ("https://x.example/?p=1", "..%2F..%2F..%2Fescape"),
                ("https://x.example/a/..%2F..%2Fup/", "up"),
                ("https://x.example/?p=3", ".."),
            ],
            1,
        )
    )
    export.write_text(
        f'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>N</title>'
        f"<link>https://x.example</link>{items}</channel></rss>",
        encoding="utf-8",
    )
    site = imported("wordpress", export, tmp_path / "site")
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.md") if p.name != "import-report.md")
    assert all(name.startswith("site/content/posts/2024-01-01-") for name in written), written
    assert len(written) == 3
    assert unanswered(built(site), old_urls(site, "wordpress")) == []


def test_links_ending_in_html_give_an_html_permalink_and_a_post_it_does_not_fit_its_own_url(tmp_path: Path) -> None:
    item = (
        "<item><title>{n}</title><link>https://wp.example{link}</link><content:encoded>Text.</content:encoded>"
        "<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>2024-01-0{n} 10:00:00</wp:post_date_gmt>"
        "<wp:post_name>p{n}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>"
    )
    links = ["/2024/01/p1.html", "/2024/01/p2.html", "/archives/p3.html"]
    export = tmp_path / "html.xml"
    export.write_text(
        '<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Html</title><link>https://wp.example</link>'
        f"{''.join(item.format(n=n, link=link) for n, link in enumerate(links, 1))}</channel></rss>",
        encoding="utf-8",
    )
    site = imported("wordpress", export, tmp_path / "site")
    assert 'permalink = "/{year}/{month}/{slug}.html"' in (site / "site.toml").read_text(encoding="utf-8")
    assert "url" not in yaml.safe_load(front(site / "content/posts/2024-01-01-p1.md"))
    assert yaml.safe_load(front(site / "content/posts/2024-01-03-p3.md"))["url"] == "/archives/p3.html"
    assert "old URLs: 3 checked, 0 not answering" in checked(site, "wordpress")
