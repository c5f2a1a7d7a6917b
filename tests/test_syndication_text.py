"""Text for the copies: what a post becomes before a platform formats it, and how it is fitted."""

from __future__ import annotations

from pathlib import Path

from generator.config import load_config
from generator.pipeline.build import read_site
from generator.syndication.entry import EntryMaker, plain_text
from generator.syndication.fitting import fit, grapheme_length, hashtag, shorten, url_weighted, utf8_length
from tests.helpers import NOW, SITE_TOML, png_bytes

LINK = "https://example.org/2026/05/hello/"


def test_a_word_is_never_cut() -> None:
    assert shorten("The quick brown fox jumps over the lazy dog", 20) == "The quick brown fox…"


def test_a_sentence_end_is_preferred_when_near_and_its_full_stop_gives_way_to_the_ellipsis() -> None:
    assert shorten("First sentence here. Second one is long", 27) == "First sentence here…"  # never ".…"
    assert shorten("Done... and then more words follow", 12) == "Done…"


def test_cjk_is_cut_between_characters_and_counted_as_one_each() -> None:
    text = "下了一夜的雨。早上把这一期的稿子又删了一半"
    assert grapheme_length(text) == 21
    assert shorten(text, 10) == "下了一夜的雨…"
    assert shorten(text, 16) == "下了一夜的雨。早上把这一期的稿…"


def test_emoji_sequences_are_one_character_and_never_split() -> None:
    family = "👨‍👩‍👧‍👦"
    assert grapheme_length(family + "👍🏽") == 2
    cut = shorten("ok " + family * 5, 5)
    assert cut == "ok " + family + "…"


def test_fit_keeps_the_link_whole_and_drops_hashtags_before_text() -> None:
    text, notes = fit("A short note.", LINK, ["indie web", "POSSE"], 60)
    assert (text, notes) == (f"A short note.\n\n{LINK}\n\n#IndieWeb", ["left out 1 of 2 hashtags"])
    text, notes = fit("A short note.", LINK, ["indie web", "POSSE"], 60, url_weighted(23))
    assert text == f"A short note.\n\n{LINK}\n\n#IndieWeb #POSSE" and notes == []
    text, notes = fit("word " * 100, LINK, ["tag"], 80, url_weighted(23))
    assert text.endswith(f"…\n\n{LINK}") and url_weighted(23)(text) <= 80
    assert notes == ["left out 1 of 1 hashtags", "text shortened to fit 80 characters"]


def test_mastodon_counts_every_url_as_its_reserved_length() -> None:
    assert url_weighted(23)(f"see {LINK}") == 4 + 23
    assert url_weighted(23)(f"see {LINK}.") == 4 + 23 + 1
    assert utf8_length("你好") == 6


def test_hashtags_from_tags() -> None:
    assert [hashtag(t) for t in ("Open Web", "播客", "c++", "!!", "self-hosting")] == [
        "#OpenWeb",
        "#播客",
        "#c",
        None,
        "#SelfHosting",
    ]


def test_plain_text_keeps_paragraphs_and_shows_link_targets() -> None:
    html = (
        '<p>Hello <a href="https://a.example/x">there</a>.</p>\n<ul><li>one</li><li>two</li></ul>'
        '<p>See <a href="/about/">about</a> and https://b.example/</p><script>x()</script>'
    )
    text, images = plain_text(html, "https://example.org/2026/05/hello/")
    assert (
        text
        == "Hello there (https://a.example/x).\n\none\n\ntwo\n\nSee about (https://example.org/about/) and https://b.example/"
    )
    assert images == []


def test_an_entry_has_the_cover_then_content_images_with_alt_text(make_site) -> None:
    root = make_site(
        {
            "content/posts/hello/index.md": (
                "---\ntitle: Hello\ndate: 2026-05-01\nimage: {src: cover.png, alt: The cover}\n"
                "tags: [Open Web]\ncontent_warning: spoilers\n---\nText ![A chart](chart.png)\n"
            ),
            "content/posts/hello/cover.png": png_bytes(40, 20),
            "content/posts/hello/chart.png": png_bytes(10, 10),
            "images/ada.png": png_bytes(8, 8),
        },
        config=SITE_TOML + '\n[syndication.m]\nplatform = "mastodon"\ninstance = "https://m.example"\n',
    )
    config = load_config(root)
    site = read_site(config, NOW)
    target = config.syndication.target("m")
    entry = EntryMaker(config, site).entry(site.posts[0], target)
    assert [(m.path.name, m.alt, m.mime, m.width, m.height) for m in entry.images] == [
        ("cover.png", "The cover", "image/png", 40, 20),
        ("chart.png", "A chart", "image/png", 10, 10),
    ]
    assert entry.images[0].url == "https://example.org/2026/05/hello/cover.png"
    assert entry.tags == ("Open Web",) and entry.content_warning == "spoilers" and entry.title == "Hello"
    assert 'src="https://example.org/2026/05/hello/chart.png"' in entry.html
    assert entry.key == EntryMaker(config, site).entry(site.posts[0], target).key
    assert isinstance(entry.images[0].path, Path) and entry.images[0].size == entry.images[0].path.stat().st_size


def test_the_html_sent_to_platforms_has_no_more_marker_or_other_comments(make_site) -> None:
    root = make_site(
        {
            "content/posts/hello.md": (
                "---\ntitle: Hello\ndate: 2026-05-01\n---\nThe summary.\n\n<!-- more -->\n\nThe rest.\n"
            ),
            "images/ada.png": png_bytes(8, 8),
        },
        config=SITE_TOML + '\n[syndication.mp]\nplatform = "micropub"\nendpoint = "https://example.net/micropub"\n',
    )
    config = load_config(root)
    site = read_site(config, NOW)
    entry = EntryMaker(config, site).entry(site.posts[0], config.syndication.target("mp"))
    assert "<!--" not in entry.html and "more" not in entry.html and "The rest." in entry.html
