"""Front matter as Hugo, Jekyll and Pelican writers write it (content/foreign.py, content/pelican_headers.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from generator.content.frontmatter import split
from generator.content.metadata import ImageRef, Meta, check_meta
from generator.errors import Problem

FILE = "content/posts/x.md"
TZ = ZoneInfo("Europe/Berlin")
TAXONOMIES = ("tags", "categories", "series")


def yaml(*lines: str, body: str = "Body\n") -> str:
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n" + body


def read(text: str, kind: str = "post") -> tuple[Meta, list[str], list[str]]:
    """Split and check one file: its Meta, its problems and its warnings, as the user would read them."""
    problems: list[Problem] = []
    fm = split(text, FILE, kind)
    meta = check_meta(fm, FILE, TZ, TAXONOMIES, problems)
    return meta, [str(p) for p in problems], [str(w) for w in fm.warnings]


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


# --- one test per foreign key ----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["lastmod", "last_modified_at", "modified", "lastMod"])
def test_a_last_modified_key_is_updated(key: str) -> None:
    meta, problems, warnings = read(yaml("title: T", f"{key}: 2026-02-03 10:00"))
    assert meta.updated == local(2026, 2, 3, 10, 0)
    assert problems == [] and warnings == []
    assert key not in meta.extra


@pytest.mark.parametrize("key", ["description", "excerpt"])
def test_description_and_excerpt_are_the_summary(key: str) -> None:
    meta, problems, warnings = read(yaml("title: T", f"{key}: The short of it"))
    assert meta.summary == "The short of it"
    assert problems == [] and warnings == []


def test_published_false_is_a_draft() -> None:
    assert read(yaml("title: T", "published: false"))[0].draft is True
    assert read(yaml("title: T", "published: true"))[0].draft is False


def test_published_not_a_boolean_is_an_error_naming_it_at_its_line() -> None:
    _, problems, _ = read(yaml("title: T", "published: maybe"))
    assert problems == [f"{FILE}:3: published: expected true or false"]


@pytest.mark.parametrize("key", ["publishDate", "publishdate"])
def test_a_publish_date_later_than_the_date_is_the_date(key: str) -> None:
    meta, problems, warnings = read(yaml("title: T", "date: 2026-01-01", f"{key}: 2027-05-01"))
    assert meta.date == local(2027, 5, 1)  # a future one: the post is scheduled
    assert problems == [] and warnings == []


def test_a_publish_date_alone_is_the_date() -> None:
    assert read(yaml("title: T", "publishDate: 2026-03-01"))[0].date == local(2026, 3, 1)


def test_a_publish_date_before_the_date_leaves_the_date() -> None:
    meta, _, warnings = read(yaml("title: T", "date: 2026-03-01", "publishDate: 2026-01-01"))
    assert meta.date == local(2026, 3, 1)
    assert warnings == []


@pytest.mark.parametrize("key", ["expiryDate", "expirydate"])
def test_an_expiry_date_is_when_the_post_expires(key: str) -> None:
    meta, problems, _ = read(yaml("title: T", "date: 2026-01-01", f"{key}: 2026-02-01"))
    assert meta.expires == local(2026, 2, 1)
    assert problems == []


def test_an_expiry_date_that_is_no_date_is_an_error_naming_its_line() -> None:
    _, problems, _ = read(yaml("title: T", "expiryDate: someday"))
    assert len(problems) == 1 and problems[0].startswith(f"{FILE}:3: expiryDate: 'someday' is not a date")


@pytest.mark.parametrize(
    ("value", "aliases"),
    [('"/old/post/"', ("/old/post/",)), ('["/a/", "/b.html"]', ("/a/", "/b.html"))],
)
def test_redirect_from_is_aliases(value: str, aliases: tuple[str, ...]) -> None:
    meta, problems, _ = read(yaml("title: T", f"redirect_from: {value}"))
    assert meta.aliases == aliases
    assert problems == []


@pytest.mark.parametrize(
    ("lines", "image"),
    [
        (("cover:", "  image: c.png", "  alt: A cat"), ImageRef("c.png", "A cat")),
        (("cover:", "  image: c.png"), ImageRef("c.png")),
        (("featured_image: f.png",), ImageRef("f.png")),
        (("images: [first.png, second.png]",), ImageRef("first.png")),
        (("image: i.png",), ImageRef("i.png")),
    ],
)
def test_cover_image_featured_image_and_images_are_the_image(lines: tuple[str, ...], image: ImageRef) -> None:
    meta, problems, _ = read(yaml("title: T", *lines))
    assert meta.image == image
    assert problems == []


@pytest.mark.parametrize(
    "lines", [("images: []",), ('featured_image: ""',), ("cover:", "  hidden: true", "  relative: true")]
)
def test_an_empty_foreign_image_is_no_image(lines: tuple[str, ...]) -> None:
    meta, problems, _ = read(yaml("title: T", *lines))
    assert meta.image is None
    assert problems == []


@pytest.mark.parametrize(
    ("value", "terms"), [("Python", ("Python",)), ("[a, b]", ("a", "b")), ("机器 学习", ("机器 学习",))]
)
def test_category_singular_is_categories(value: str, terms: tuple[str, ...]) -> None:
    meta, problems, warnings = read(yaml("title: T", f"category: {value}"))
    assert meta.taxonomies["categories"] == terms
    assert problems == [] and warnings == []


def test_hugos_capitalised_keys_are_read_as_homeposts() -> None:
    meta, problems, warnings = read(yaml("Title: Hello", "Date: 2026-01-02", "Tags: [a]", "Draft: true"))
    assert (meta.title, meta.date, meta.taxonomies["tags"], meta.draft) == ("Hello", local(2026, 1, 2), ("a",), True)
    assert problems == [] and warnings == [] and meta.extra == {}


# --- warnings ---------------------------------------------------------------------------------------


def test_the_homepost_key_wins_over_its_alias_with_a_warning() -> None:
    meta, _, warnings = read(yaml("title: T", "updated: 2026-01-02", "lastmod: 2026-05-05"))
    assert meta.updated == local(2026, 1, 2)
    assert warnings == [f"{FILE}:4: lastmod: ignored: `updated` is also set, and is used"]


def test_jekylls_space_separated_tags_are_a_list_with_a_warning() -> None:
    meta, _, warnings = read(yaml("title: T", "tags: python web"))
    assert meta.taxonomies["tags"] == ("python", "web")
    assert warnings == [
        f"{FILE}:3: tags: a string read as a list of 2 separated by spaces, as Jekyll reads them: "
        "'python', 'web'; write a list"
    ]


@pytest.mark.parametrize("value", ["python, web", "python,web", "python，web"])
def test_comma_separated_tags_are_a_list_with_a_warning(value: str) -> None:
    meta, _, warnings = read(yaml("title: T", f"categories: {value}"))
    assert meta.taxonomies["categories"] == ("python", "web")
    assert warnings == [
        f"{FILE}:3: categories: a string read as a list of 2 separated by commas: 'python', 'web'; write a list"
    ]


def test_a_series_named_in_several_words_stays_one_series() -> None:
    meta, _, warnings = read(yaml("title: T", "series: Owning your words, part one"))
    assert meta.taxonomies["series"] == ("Owning your words, part one",)
    assert warnings == []


def test_a_single_tag_as_a_string_is_read_without_a_warning() -> None:
    meta, _, warnings = read(yaml("title: T", "tags: 期权"))
    assert meta.taxonomies["tags"] == ("期权",)
    assert warnings == []


@pytest.mark.parametrize(("typo", "known"), [("tag", "tags"), ("catgories", "categories"), ("titel", "title")])
def test_a_key_like_a_known_one_is_a_warning_with_did_you_mean(typo: str, known: str) -> None:
    meta, problems, warnings = read(yaml("title: T", f"{typo}: x"))
    assert warnings == [f"{FILE}:3: {typo}: unknown key, kept for templates; did you mean `{known}`?"]
    assert meta.extra[typo] == "x" and problems == []


def test_other_unknown_keys_are_kept_in_extra_without_a_warning() -> None:
    meta, problems, warnings = read(yaml("title: T", "layout: post", "mood: calm"))
    assert meta.extra == {"layout": "post", "mood": "calm"}
    assert problems == [] and warnings == []


# --- Pelican's Key: value headers -------------------------------------------------------------------

PELICAN = """\
Title: 我的第一篇文章
Date: 2026-01-01 10:00
Modified: 2026-01-05 08:30
Category: 随笔
Tags: python, 期权
Slug: first-post
Summary: A summary that goes
    on to a second line
Authors: Ada, Grace
Lang: zh

The body starts here.
"""


def test_pelican_headers_are_read_as_front_matter() -> None:
    meta, problems, warnings = read(PELICAN)
    assert problems == [] and warnings == []
    assert meta.title == "我的第一篇文章"
    assert meta.date == local(2026, 1, 1, 10, 0)
    assert meta.updated == local(2026, 1, 5, 8, 30)
    assert meta.taxonomies["categories"] == ("随笔",)
    assert meta.taxonomies["tags"] == ("python", "期权")
    assert (meta.slug, meta.lang) == ("first-post", "zh")
    assert meta.summary == "A summary that goes on to a second line"
    assert meta.extra == {"authors": ["Ada", "Grace"]}


def test_pelican_body_starts_after_the_blank_line() -> None:
    fm = split(PELICAN, FILE)
    assert fm.body == "The body starts here.\n"
    assert fm.body_line == 12
    assert fm.line_of("category") == 4


def test_pelican_headers_are_found_in_any_case() -> None:
    assert split("title: Hi\nDATE: 2026-01-01\n\nBody\n", FILE).data == {"title": "Hi", "date": "2026-01-01"}


def test_a_file_not_starting_with_title_has_no_headers() -> None:
    fm = split("Date: 2026-01-01\nTitle: no\n\nBody\n", FILE)
    assert fm.data == {} and fm.body.startswith("Date:")


def test_pelican_status_draft_is_a_draft() -> None:
    meta, _, warnings = read("Title: T\nDate: 2026-01-01\nStatus: draft\n\nBody\n")
    assert meta.draft is True and warnings == []


def test_pelican_status_published_is_published() -> None:
    meta, _, warnings = read("Title: T\nDate: 2026-01-01\nStatus: published\n\nBody\n")
    assert meta.draft is False and warnings == []


def test_pelican_hidden_post_is_a_draft_with_a_warning() -> None:
    meta, _, warnings = read("Title: T\nDate: 2026-01-01\nStatus: hidden\n\nBody\n")
    assert meta.draft is True
    assert warnings == [
        f"{FILE}:3: status: hidden read as a draft: not published (Homepost lists every post it publishes)"
    ]


def test_pelican_hidden_page_is_published_out_of_the_menu() -> None:
    meta, _, warnings = read("Title: T\nStatus: hidden\n\nBody\n", kind="page")
    assert meta.draft is False and meta.menu is False
    assert warnings == [f"{FILE}:2: status: hidden: published, and shown in the menu only with `menu: true`"]


def test_pelican_save_as_and_url_are_ignored_with_a_warning() -> None:
    meta, _, warnings = read("Title: T\nDate: 2026-01-01\nSave_as: x.html\nURL: x.html\n\nBody\n")
    assert "save_as" not in meta.extra and "url" not in meta.extra
    assert warnings == [
        f"{FILE}:3: save_as: ignored: the site's permalink decides where a post is written",
        f"{FILE}:4: url: ignored: the site's permalink decides where a post is written",
    ]


def test_a_cjk_title_in_yaml_and_toml_front_matter() -> None:
    assert read(yaml("title: 期权入门", "description: 简介"))[0].title == "期权入门"
    meta, problems, _ = read('+++\ntitle = "期权入门"\nlastmod = 2026-01-02\n+++\nBody\n')
    assert (meta.title, meta.updated, problems) == ("期权入门", local(2026, 1, 2), [])
