"""Notes with little or nothing in them (empty, blank, one image, one link) build and appear in
every feed, with a title wherever the format needs one (GitHub issue 16, part 1)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import SiteFactory
from tests.feedcheck import ATOM, check_feeds, json_feed, xml_feed
from tests.helpers import SITE_TOML, build, png_bytes, run_cli
from tests.test_podcast import SHOW, wav_bytes

# file name -> text: each a note of its own kind, one a day from 2 February 2026
BARE_NOTES: dict[str, str] = {
    "2026-02-02-empty.md": "---\ndate: 2026-02-02 08:00\n---\n",
    "2026-02-03-blank.md": "---\ndate: 2026-02-03 08:00\n---\n\n   \n\t\n  \n",
    "2026-02-04-image.md": "---\ndate: 2026-02-04 08:00\n---\n\n![](../images/pixel.png)\n",
    "2026-02-05-front-matter.md": "---\ndate: 2026-02-05 08:00\ntags: [随笔]\n---",
    "2026-02-06-link.md": "---\ndate: 2026-02-06 08:00\n---\n\n<https://example.net/only-a-link>\n",
    "2026-02-07-zero.md": "",  # not even front matter: the date comes from the file name
}
PLACEHOLDERS = {
    "empty": "Note of 2 February 2026",
    "blank": "Note of 3 February 2026",
    "image": "Note of 4 February 2026",
    "front-matter": "Note of 5 February 2026",
    "zero": "Note of 7 February 2026",
}
URL = "https://example.org/2026/02/{}/"


@pytest.fixture
def public(make_site: SiteFactory) -> Path:
    files: dict[str, str | bytes] = {f"content/posts/{name}": text for name, text in BARE_NOTES.items()}
    site = make_site({**files, "content/images/pixel.png": png_bytes(3, 2)})
    result = build(site)
    assert result.exit_code == 0, result.output
    return site / "public"


def slug(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_a_new_note_from_the_command_line_builds(tmp_path: Path) -> None:
    site = tmp_path / "s"
    assert run_cli("init", str(site)).exit_code == 0
    assert run_cli("new", "--site", str(site), "note").exit_code == 0
    result = build(site)
    assert result.exit_code == 0, result.output
    check_feeds(site / "public")


def test_every_bare_note_is_in_every_feed(public: Path) -> None:
    expected = {URL.format(name[11:-3]) for name in BARE_NOTES}
    assert {e.link for e in xml_feed(public / "feed.xml").entries} == expected
    assert {e.link for e in xml_feed(public / "atom.xml").entries} == expected
    assert {i["url"] for i in json_feed(public / "feed.json")["items"]} == expected
    check_feeds(public)


def test_atom_entries_of_bare_notes_have_a_title_from_the_text_or_the_date(public: Path) -> None:
    root = ElementTree.fromstring((public / "atom.xml").read_bytes())
    titles = {slug(e.find(f"{ATOM}link").get("href")): e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")}
    assert titles == {**PLACEHOLDERS, "link": "https://example.net/only-a-link"}


def test_rss_items_have_a_title_or_a_description(public: Path) -> None:
    items = {slug(e.link): e for e in xml_feed(public / "feed.xml").entries}
    for name in PLACEHOLDERS:
        assert items[name].get("title") or items[name].get("description"), name
    assert items["empty"].title == "Note of 2 February 2026" and items["blank"].title == "Note of 3 February 2026"
    assert "pixel.png" in items["image"].description and "title" not in items["image"]
    assert "https://example.net/only-a-link" in items["link"].description and "title" not in items["link"]


def test_json_items_of_notes_without_text_carry_the_placeholder_title(public: Path) -> None:
    items = {slug(i["url"]): i for i in json_feed(public / "feed.json")["items"]}
    assert items["empty"]["title"] == "Note of 2 February 2026" and items["empty"]["content_html"] == ""
    assert "title" not in items["link"] and "title" not in items["image"]


def test_the_placeholder_title_speaks_the_site_language(make_site: SiteFactory) -> None:
    site = make_site(
        {"content/posts/2026-02-02-empty.md": BARE_NOTES["2026-02-02-empty.md"]},
        config=SITE_TOML.replace('language = "en"', 'language = "zh"'),
    )
    assert build(site).exit_code == 0
    [entry] = xml_feed(site / "public/atom.xml").entries
    assert entry.title == "2026年2月2日的随笔"


def test_an_episode_that_is_an_empty_note_is_in_the_podcast_feed(make_site: SiteFactory) -> None:
    files: dict[str, str | bytes] = {
        "content/podcast/cover.png": png_bytes(1400, 1400),
        "content/posts/2026-02-03-bare/index.md": "---\ndate: 2026-02-03 10:00\naudio: talk.wav\n---\n",
        "content/posts/2026-02-03-bare/talk.wav": wav_bytes(1.0),
    }
    site = make_site(files, config=SITE_TOML + SHOW)
    result = build(site)
    assert result.exit_code == 0, result.output
    [item] = xml_feed(site / "public/podcasts/talk/feed.xml").entries
    assert item.title == "Note of 3 February 2026" and item.enclosures
    assert {p.relative_to(site / "public").as_posix() for p in check_feeds(site / "public")} >= {
        "podcast.xml",
        "feed.json",
    }
