"""Front matter: splitting YAML/TOML blocks off a file (frontmatter.py) and checking their values (metadata.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from generator.content.frontmatter import FrontMatter, split
from generator.content.metadata import ImageRef, Meta, check_meta, date_from_filename, parse_date, strip_date_prefix
from generator.errors import ContentError, Problem

FILE = "content/posts/x.md"
TZ = ZoneInfo("Europe/Berlin")
TAXONOMIES = ("tags", "categories", "series")


def yaml(*lines: str, body: str = "Body\n") -> str:
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n" + body


def toml(*lines: str, body: str = "Body\n") -> str:
    return "+++\n" + "".join(line + "\n" for line in lines) + "+++\n" + body


def split_error(text: str) -> Problem:
    """The single problem `split` reports for `text`."""
    with pytest.raises(ContentError) as caught:
        split(text, FILE)
    (problem,) = caught.value.problems
    return problem


def check(text: str, taxonomies: tuple[str, ...] = TAXONOMIES) -> tuple[Meta, list[str]]:
    """Split and check one file; return its Meta and its problems as the user would read them."""
    problems: list[Problem] = []
    meta = check_meta(split(text, FILE), FILE, TZ, taxonomies, problems)
    return meta, [str(p) for p in problems]


def local(*fields: int) -> dt.datetime:
    """A wall-clock time in the site's time zone."""
    return dt.datetime(*fields, tzinfo=TZ)


# --- split ---------------------------------------------------------------------------------------


def test_yaml_front_matter():
    fm = split(yaml("title: Hello", "tags: [a, b]", body="# Body\n"), FILE)
    assert fm.data == {"title": "Hello", "tags": ["a", "b"]}
    assert fm.body == "# Body\n"
    assert fm.body_line == 5


def test_toml_front_matter():
    fm = split(toml('title = "Hello"', 'tags = ["a", "b"]', "[extra]", "n = 1", body="Body"), FILE)
    assert fm.data == {"title": "Hello", "tags": ["a", "b"], "extra": {"n": 1}}
    assert fm.body == "Body"
    assert fm.body_line == 7


@pytest.mark.parametrize("text", ["Just a body\n", "", "--\ntitle: x\n--\n", "Text\n---\ntitle: x\n---\n"])
def test_no_front_matter_leaves_the_text_as_the_body(text):
    assert split(text, FILE) == FrontMatter({}, text, 1)


def test_empty_or_comment_only_front_matter_is_an_empty_mapping():
    assert split("---\n---\nBody", FILE).data == {}
    assert split("---\n# just a comment\n---\nBody", FILE).data == {}
    assert split("+++\n+++\nBody", FILE).data == {}


def test_byte_order_mark_is_ignored():
    fm = split("\ufeff" + yaml("title: Hi"), FILE)
    assert fm.data == {"title": "Hi"}
    assert fm.line_of("title") == 2


def test_fences_may_have_trailing_spaces():
    fm = split("--- \ntitle: x\n---  \nBody", FILE)
    assert fm.data == {"title": "x"}
    assert fm.body == "Body"


def test_body_may_be_empty():
    fm = split("---\ntitle: x\n---", FILE)
    assert fm.data == {"title": "x"}
    assert fm.body == ""


def test_crlf_is_normalised_by_the_caller_not_by_split():
    """split() expects LF line ends; the reader replaces CRLF before calling it.

    Raw CRLF happens to work for YAML (the body keeps its CRs), but a TOML block keeps a
    stray CR on its last line, which tomllib rejects.
    """
    yaml_crlf = "---\r\ntitle: Hi\r\ntags: [a]\r\n---\r\nBody\r\n"
    toml_crlf = '+++\r\ntitle = "Hi"\r\n+++\r\nBody\r\n'
    fm = split(yaml_crlf, FILE)
    assert fm.data == {"title": "Hi", "tags": ["a"]}
    assert fm.body == "Body\r\n"
    with pytest.raises(ContentError):
        split(toml_crlf, FILE)
    for text, body_line in ((yaml_crlf, 5), (toml_crlf, 4)):
        normalised = split(text.replace("\r\n", "\n"), FILE)
        assert normalised.data["title"] == "Hi"
        assert normalised.body == "Body\n"
        assert normalised.body_line == body_line


@pytest.mark.parametrize("fence", ["---", "+++"])
def test_unclosed_block_is_an_error_on_line_1(fence):
    problem = split_error(f"{fence}\ntitle: x\n\nBody without a closing fence\n")
    assert str(problem) == f"{FILE}:1: front matter opened with '{fence}' on line 1 is never closed"


def test_yaml_syntax_error_names_the_line_in_the_whole_file():
    problem = split_error(yaml("title: ok", "summary: fine", "bad: : :"))
    assert (problem.line, problem.column) == (4, 6)
    assert str(problem) == f'{FILE}:4:6: a colon followed by a space inside a value must be quoted, as in  bad: ": :"'


def test_yaml_tab_indentation_error_names_its_line():
    problem = split_error(yaml("title: x", "\tbad: tab"))
    assert (
        str(problem)
        == f"{FILE}:3:1: a tab is used for indentation; YAML indents with spaces only: replace the tab with spaces"
    )


def test_yaml_unterminated_list_is_reported_where_it_is_noticed():
    problem = split_error(yaml("title: ok", "tags: [a, b"))
    assert problem.line in (3, 4)  # the last line, or the closing fence where libyaml notices it
    assert "invalid YAML front matter" in problem.message


def test_yaml_python_tags_are_refused():
    problem = split_error(yaml("x: !!python/object/apply:os.system ['echo hi']"))
    assert problem.line == 2
    assert "could not determine a constructor" in problem.message


def test_toml_syntax_error_names_the_line_in_the_whole_file():
    problem = split_error(toml('title = "ok"', 'summary = "x"', "bad = nope"))
    assert str(problem) == f"{FILE}:4:7: invalid TOML: Invalid value"


def test_toml_error_at_the_end_of_the_block_still_names_a_line():
    problem = split_error(toml('title = "ok"', 'tags = ["a",'))
    assert problem.line is not None
    assert "end of the document" not in problem.message


@pytest.mark.parametrize("block", ["- a\n- b\n", "just a string\n", "42\n"])
def test_non_mapping_yaml_is_an_error(block):
    assert str(split_error(f"---\n{block}---\n")) == f"{FILE}:2: front matter must be a mapping of keys to values"


def test_line_of_yaml_keys():
    fm = split(yaml("title: Hi", "tags:", "  - a", "  - b", "date: 2024-05-01"), FILE)
    assert (fm.line_of("title"), fm.line_of("tags"), fm.line_of("date")) == (2, 3, 6)
    assert fm.line_of("missing") is None


def test_line_of_toml_keys():
    block = ('title = "Hi"', "", "# comment", "tags = [", '  "a",', "]", "'quoted' = 1", "[extra]", "x = 1")
    fm = split(toml(*block), FILE)
    assert (fm.line_of("title"), fm.line_of("tags"), fm.line_of("quoted")) == (2, 5, 8)
    assert fm.line_of("x") is None  # not a top-level key


def test_line_of_toml_key_ignores_multiline_string_content():
    fm = split(toml('summary = """', "date = in the text", '"""', "date = 2024-05-01"), FILE)
    assert fm.line_of("date") == 5


def test_yaml_dates_stay_strings():
    fm = split(yaml("date: 2024-05-01", "updated: 2024-05-01 09:30:00", "at: 2024-05-01T09:30:00+02:00"), FILE)
    assert fm.data == {"date": "2024-05-01", "updated": "2024-05-01 09:30:00", "at": "2024-05-01T09:30:00+02:00"}


def test_toml_dates_are_native():
    fm = split(toml("a = 2024-05-01T09:30:00+02:00", "b = 2024-05-01T09:30:00", "c = 2024-05-01"), FILE)
    assert isinstance(fm.data["a"], dt.datetime) and fm.data["a"].tzinfo is not None
    assert fm.data["b"] == dt.datetime(2024, 5, 1, 9, 30)
    assert fm.data["c"] == dt.date(2024, 5, 1)


# --- parse_date ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01", local(2024, 5, 1)),
        ("2024-05-01 09:30", local(2024, 5, 1, 9, 30)),
        ("2024-05-01 09:30:15", local(2024, 5, 1, 9, 30, 15)),
        ("2024-05-01T09:30", local(2024, 5, 1, 9, 30)),
        ("  2024-05-01  ", local(2024, 5, 1)),
        (dt.date(2024, 5, 1), local(2024, 5, 1)),
        (dt.datetime(2024, 5, 1, 9, 30), local(2024, 5, 1, 9, 30)),
    ],
)
def test_naive_dates_are_in_the_site_time_zone(value, expected):
    parsed = parse_date(value, TZ)
    assert parsed == expected
    assert parsed.tzinfo is TZ
    assert (parsed.hour, parsed.minute) == (expected.hour, expected.minute)


def test_site_time_zone_follows_daylight_saving():
    assert parse_date("2024-01-15", TZ).utcoffset() == dt.timedelta(hours=1)
    assert parse_date("2024-07-15", TZ).utcoffset() == dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("value", "utc", "offset"),
    [
        ("2024-05-01T09:30:00+02:00", dt.datetime(2024, 5, 1, 7, 30, tzinfo=dt.UTC), 2),
        ("2024-05-01T09:30:00-05:00", dt.datetime(2024, 5, 1, 14, 30, tzinfo=dt.UTC), -5),
        ("2024-05-01T07:30:00Z", dt.datetime(2024, 5, 1, 7, 30, tzinfo=dt.UTC), 0),
        ("2024-05-01t07:30:00z", dt.datetime(2024, 5, 1, 7, 30, tzinfo=dt.UTC), 0),
    ],
)
def test_dates_with_an_offset_keep_it(value, utc, offset):
    parsed = parse_date(value, TZ)
    assert parsed == utc
    assert parsed.utcoffset() == dt.timedelta(hours=offset)


def test_toml_native_dates():
    data = split(toml("a = 2024-05-01T09:30:00+02:00", "b = 2024-05-01T09:30:00", "c = 2024-05-01"), FILE).data
    offset = parse_date(data["a"], TZ)
    assert offset == dt.datetime(2024, 5, 1, 7, 30, tzinfo=dt.UTC)
    assert offset.utcoffset() == dt.timedelta(hours=2)
    assert parse_date(data["b"], TZ) == local(2024, 5, 1, 9, 30)
    assert parse_date(data["b"], TZ).tzinfo is TZ
    assert parse_date(data["c"], TZ) == local(2024, 5, 1)


@pytest.mark.parametrize(
    "value", ["not a date", "2024-13-40", "2024/05/01", "2024-05-01 9:30", "", True, 20240501, 1.5]
)
def test_unreadable_dates_are_none(value):
    assert parse_date(value, TZ) is None


def test_invalid_date_message_names_the_key_and_line():
    meta, problems = check(yaml("title: Hi", "date: soon"))
    assert meta.date is None
    assert problems == [
        f"{FILE}:3: date: 'soon' is not a date; write it as 2024-12-06, 2024-12-06 14:30, "
        "or ISO 8601 with an offset (2024-12-06T14:30:00+08:00)"
    ]


def test_check_meta_reads_date_and_updated():
    meta, problems = check(yaml("date: 2024-05-01 09:30", "updated: 2024-05-02T10:00:00Z"))
    assert problems == []
    assert meta.date == local(2024, 5, 1, 9, 30)
    assert meta.updated == dt.datetime(2024, 5, 2, 10, 0, tzinfo=dt.UTC)


# --- date_from_filename --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2024-05-01-hello.md", local(2024, 5, 1)),
        ("2024-05-01_hello", local(2024, 5, 1)),
        ("2024-02-29-leap", local(2024, 2, 29)),
        ("2024-13-40-x.md", None),
        ("2023-02-29-not-leap", None),
        ("2024-05-01.md", None),
        ("hello.md", None),
        ("24-05-01-short-year.md", None),
    ],
)
def test_date_from_filename(name, expected):
    assert date_from_filename(name, TZ) == expected


def test_date_from_filename_is_in_the_site_time_zone():
    assert date_from_filename("2024-05-01-hello.md", TZ).tzinfo is TZ


@pytest.mark.parametrize(
    ("name", "stripped"), [("2024-05-01-hello.md", "hello.md"), ("2024-05-01_x", "x"), ("hello.md", "hello.md")]
)
def test_strip_date_prefix(name, stripped):
    assert strip_date_prefix(name) == stripped


# --- check_meta ----------------------------------------------------------------------------------


def test_check_meta_of_a_valid_file():
    meta, problems = check(
        yaml(
            "title: Hello",
            "date: 2024-05-01",
            "slug: hello-world",
            "summary: A post.",
            "draft: true",
            "lang: zh-Hans",
            "aliases: [/old/post/, /2019/hello/]",
            "image: {src: cover.png, alt: A cover}",
            "menu: true",
            "weight: 3",
            "id: 42",
            "tags: [a, b]",
        )
    )
    assert problems == []
    assert meta.title == "Hello" and meta.slug == "hello-world" and meta.summary == "A post."
    assert meta.draft is True and meta.menu is True and meta.weight == 3
    assert meta.lang == "zh-Hans"
    assert meta.aliases == ("/old/post/", "/2019/hello/")
    assert meta.image == ImageRef("cover.png", "A cover")
    assert meta.uid == "42"
    assert meta.taxonomies == {"tags": ("a", "b"), "categories": (), "series": ()}


def test_term_lists_are_stripped_deduplicated_and_accept_whole_numbers():
    meta, problems = check(yaml("tags: [a, 2024, ' b ', a, '']", "series: Single"))
    assert problems == []
    assert meta.taxonomies["tags"] == ("a", "2024", "b")
    assert meta.taxonomies["series"] == ("Single",)


@pytest.mark.parametrize("value", ["5", "[true]", "[[a]]", "{a: 1}", "[1.5]"])
def test_term_lists_reject_other_types(value):
    meta, problems = check(yaml("title: x", f"tags: {value}"))
    assert meta.taxonomies["tags"] == ()
    assert problems == [f"{FILE}:3: tags: expected a list of strings"]


def test_custom_taxonomy_keys_are_collected_and_others_go_to_extra():
    meta, problems = check(yaml("tags: [a]", "topics: [python, rust]", "series: S"), taxonomies=("tags", "topics"))
    assert problems == []
    assert meta.taxonomies == {"tags": ("a",), "topics": ("python", "rust")}
    assert meta.extra == {"series": "S"}


def test_extra_keys_are_passed_through():
    meta, problems = check(yaml("title: x", "mood: happy", "links: {repo: 'https://ex.com'}", "tags: [a]"))
    assert problems == []
    assert meta.extra == {"mood": "happy", "links": {"repo": "https://ex.com"}}


@pytest.mark.parametrize("value", ["'yes'", "1", "[true]"])
def test_draft_must_be_a_boolean(value):
    meta, problems = check(yaml("title: x", "summary: y", f"draft: {value}"))
    assert meta.draft is False
    assert problems == [f"{FILE}:4: draft: expected true or false"]


def test_aliases_must_be_paths_under_the_site():
    meta, problems = check(yaml("aliases: [old/x, /ok/, //evil.example/, /a/../b]"))
    assert problems == [
        f"{FILE}:2: aliases: expected paths under the site such as '/old/post/', got 'old/x'",
        f"{FILE}:2: aliases: expected paths under the site such as '/old/post/', got '//evil.example/'",
        f"{FILE}:2: aliases: expected paths under the site such as '/old/post/', got '/a/../b'",
    ]


def test_a_single_alias_may_be_a_string():
    meta, problems = check(yaml("aliases: /old/"))
    assert problems == [] and meta.aliases == ("/old/",)


@pytest.mark.parametrize("slug", ["a/b", "..", "."])
def test_slug_must_be_a_single_segment(slug):
    _, problems = check(yaml("title: x", f"slug: '{slug}'"))
    assert problems == [f"{FILE}:3: slug: expected a single URL segment without '/'"]


@pytest.mark.parametrize(
    ("lines", "image"),
    [
        (["image: cover.png"], ImageRef("cover.png")),
        (["image: ' https://cdn.example/a.jpg '"], ImageRef("https://cdn.example/a.jpg")),
        (["image: {src: a.png, alt: Alt text}"], ImageRef("a.png", "Alt text")),
        (["image:", "  src: a.png"], ImageRef("a.png")),
    ],
)
def test_image_as_string_or_table(lines, image):
    meta, problems = check(yaml(*lines))
    assert problems == []
    assert meta.image == image


def test_image_as_toml_inline_table():
    meta, problems = check(toml('image = { src = "a.png", alt = "A" }'))
    assert problems == [] and meta.image == ImageRef("a.png", "A")


@pytest.mark.parametrize("value", ["''", "{src: a.png, title: x}", "{alt: no src}", "[a.png]", "42"])
def test_bad_image_values(value):
    meta, problems = check(yaml(f"image: {value}"))
    assert meta.image is None
    assert problems == [f"{FILE}:2: image: expected a path or URL, or a table with 'src' and 'alt'"]


def test_strings_accept_numbers_and_reject_other_types():
    meta, problems = check(yaml("title: 12", "summary: [a]", "lang: en_US", "weight: 1.5"))
    assert meta.title == "12"
    assert problems == [
        f"{FILE}:3: summary: expected a string, got list",
        f"{FILE}:4: lang: expected a language tag such as 'en' or 'zh-Hans', got 'en_US'",
        f"{FILE}:5: weight: expected a whole number",
    ]


def test_blank_strings_count_as_missing():
    meta, problems = check(yaml("title: '   '", "summary: ''"))
    assert problems == [] and meta.title is None and meta.summary is None


def test_every_problem_of_a_file_is_reported():
    _, problems = check(yaml("draft: 'no'", "date: someday", "slug: a/b", "tags: 5", "menu: 1", "weight: true"))
    assert len(problems) == 6
    assert {p.split(": ")[1] for p in problems} == {"draft", "date", "slug", "tags", "menu", "weight"}


def test_toml_problems_name_toml_lines():
    _, problems = check(toml('title = "x"', "draft = 1"))
    assert problems == [f"{FILE}:3: draft: expected true or false"]
