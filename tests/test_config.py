"""generator.config: site.toml parsed into a Config, every problem reported at once with file and dotted key."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import (
    Author,
    BuildSettings,
    Config,
    NetworkSettings,
    TaxonomySettings,
    load_config,
    parse_config,
)
from generator.errors import ConfigError

ROOT = Path("/site")
MINIMAL = '[site]\ntitle = "My Site"\nurl = "https://ex.com"\n'


def parse(extra: str = "", base: str = MINIMAL) -> Config:
    return parse_config(base + extra, ROOT)


def problems(text: str) -> list[str]:
    """Every problem parse_config reports for `text`, as the user reads them."""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, ROOT)
    return [str(p) for p in caught.value.problems]


def problem(extra: str, base: str = MINIMAL) -> str:
    """The single problem reported for MINIMAL (or `base`) plus `extra`."""
    (only,) = problems(base + extra)
    return only


def taxonomy(config: Config, key: str) -> TaxonomySettings | None:
    return next((t for t in config.taxonomies if t.key == key), None)


# --- valid configurations ------------------------------------------------------------------------


def test_minimal_config_gets_the_defaults():
    config = parse()
    assert config.root == ROOT
    assert config.site.title == "My Site"
    assert config.site.url == "https://ex.com/"
    assert (config.site.description, config.site.language, config.site.timezone) == ("", "en", "UTC")
    assert config.build == BuildSettings()
    assert config.build.permalink == "/{year}/{month}/{slug}/"
    assert config.build.posts_per_page == 10
    assert config.network == NetworkSettings()
    assert config.content_dir == ROOT / "content"


def test_default_taxonomies_are_tags_categories_and_series():
    assert parse().taxonomies == (
        TaxonomySettings("tags", "Tags", "tags"),
        TaxonomySettings("categories", "Categories", "categories"),
        TaxonomySettings("series", "Series", "series"),
    )


def test_base_url_at_the_root():
    config = parse()
    assert config.site.base_path == "/"
    assert config.path_url("/2024/05/hello/") == "/2024/05/hello/"
    assert config.abs_url("feed.xml") == "https://ex.com/feed.xml"


@pytest.mark.parametrize("url", ["https://ex.com/blog", "https://ex.com/blog/"])
def test_base_url_with_a_path(url):
    config = parse(base=f'[site]\ntitle = "T"\nurl = "{url}"\n')
    assert config.site.url == "https://ex.com/blog/"
    assert config.site.base_path == "/blog/"
    assert config.site.origin == "https://ex.com"
    assert config.site.host == "ex.com"
    assert config.path_url("/2024/05/hello/") == "/blog/2024/05/hello/"
    assert config.path_url("tags/") == "/blog/tags/"
    assert config.abs_url("/2024/05/hello/") == "https://ex.com/blog/2024/05/hello/"


def test_with_url_serves_from_another_base():
    config = parse().with_url("http://localhost:8000")
    assert config.site.url == "http://localhost:8000/"
    assert config.abs_url("x/") == "http://localhost:8000/x/"


def test_every_section_read():
    config = parse(
        'description = "About"\nlanguage = "zh-CN"\ntimezone = "Asia/Shanghai"\n'
        '[site.author]\nname = "Lin"\nurl = "https://ex.com/"\nme = ["https://social.example/@lin"]\n'
        '[build]\npermalink = "/{year}/{month}/{day}/{slug}/"\nposts_per_page = 5\ntransliterate = true\n'
        'slug_source = "title"\nhighlight_style = "monokai"\n'
        "[network]\ntimeout = 5\nmax_bytes = 1000\nallow_private_addresses = true\n"
    )
    assert config.site.timezone == "Asia/Shanghai" and str(config.site.tz) == "Asia/Shanghai"
    assert config.site.author.name == "Lin"
    assert config.site.author.me == ("https://social.example/@lin",)
    assert config.build.permalink == "/{year}/{month}/{day}/{slug}/"
    assert (config.build.posts_per_page, config.build.transliterate) == (5, True)
    assert config.build.slug_source == "title"
    assert config.build.highlight_style == "monokai"
    assert config.network == NetworkSettings(allow_private_addresses=True, timeout=5.0, max_bytes=1000)
    assert isinstance(config.network.timeout, float)


def test_disabling_a_taxonomy():
    config = parse("[taxonomies.series]\nenabled = false\n")
    assert [t.key for t in config.taxonomies] == ["tags", "categories"]


def test_changing_a_default_taxonomy():
    config = parse('[taxonomies.categories]\ntitle = "Topics"\npath = "/topics/"\nfeeds = false\n')
    assert taxonomy(config, "categories") == TaxonomySettings("categories", "Topics", "topics", feeds=False)


def test_custom_taxonomy():
    config = parse('[taxonomies.reading_list]\n[taxonomies.moods]\ntitle = "How I felt"\n')
    assert taxonomy(config, "reading_list") == TaxonomySettings("reading_list", "Reading List", "reading_list")
    assert taxonomy(config, "moods") == TaxonomySettings("moods", "How I felt", "moods")
    assert [t.key for t in config.taxonomies][:3] == ["tags", "categories", "series"]


# --- problems ------------------------------------------------------------------------------------


def test_empty_file_reports_both_required_keys():
    assert problems("") == [
        "site.toml: site.title: required, expected a string",
        "site.toml: site.url: required, expected an http(s) URL",
    ]


def test_missing_url_is_required():
    assert problems('[site]\ntitle = "T"\n') == ["site.toml: site.url: required, expected an http(s) URL"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://ex.com", "expected an http(s) URL"),
        ("ex.com", "expected an http(s) URL"),
        ("https://", "expected an http(s) URL"),
        ("https://ex.com/?a=1", "expected an http(s) URL without query or fragment"),
        ("https://ex.com/#top", "expected an http(s) URL without query or fragment"),
    ],
)
def test_site_url_must_be_http(url, message):
    assert problem("", base=f'[site]\ntitle = "T"\nurl = "{url}"\n') == f"site.toml: site.url: {message}"


def test_every_problem_is_reported_at_once():
    text = (
        '[site]\ntitle = "T"\nurl = "ftp://ex.com"\ntimezone = "Mars/Olympus"\ntitel = "x"\n'
        '[build]\nposts_per_page = true\ntransliterate = 1\npermalink = "/{year}/{name}/"\nhighlight_style = "monoki"\n'
        "[buidl]\n"
        '[taxonomies.tags]\ntitel = "x"\n'
        "[network]\ntimeout = -1\n"
    )
    expected = [
        "site.toml: buidl: unknown key; did you mean 'build'?",
        "site.toml: site.titel: unknown key; did you mean 'title'?",
        "site.toml: site.url: expected an http(s) URL",
        "site.toml: site.timezone: expected an IANA time zone such as 'Europe/Berlin', got 'Mars/Olympus'",
        "site.toml: build.permalink: unknown placeholder {name}; expected one of "
        "{year}, {month}, {day}, {slug}, {title}, {category}",
        "site.toml: build.posts_per_page: expected a whole number, got a boolean",
        "site.toml: build.transliterate: expected true or false, got a number",
        "site.toml: build.highlight_style: unknown Pygments style 'monoki'; did you mean 'monokai'?",
        "site.toml: network.timeout: expected a number of seconds greater than 0",
        "site.toml: taxonomies.tags.titel: unknown key; did you mean 'title'?",
    ]
    assert sorted(problems(text)) == sorted(expected)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[bulid]\n", "site.toml: bulid: unknown key; did you mean 'build'?"),
        ("[netwrok]\n", "site.toml: netwrok: unknown key; did you mean 'network'?"),
        (
            "[plugins]\n",
            "site.toml: plugins: unknown key; expected one of site, build, theme, taxonomies, network, podcasts, "
            "webmention, syndication, comments, newsletter, fediverse, moderation, backfeed, deploy",
        ),
        ('descripton = "x"\n', "site.toml: site.descripton: unknown key; did you mean 'description'?"),
        ("[build]\npost_per_page = 5\n", "site.toml: build.post_per_page: unknown key; did you mean 'posts_per_page'?"),
        ('[site.author]\nmail = "a@b"\n', "site.toml: site.author.mail: unknown key; did you mean 'email'?"),
        ("[taxonomies.tags]\nfeed = true\n", "site.toml: taxonomies.tags.feed: unknown key; did you mean 'feeds'?"),
        (
            "[taxonomies.tags]\nzzz = 1\n",
            "site.toml: taxonomies.tags.zzz: unknown key; expected one of title, path, feeds, enabled",
        ),
    ],
)
def test_unknown_keys_get_a_hint(extra, message):
    assert problem(extra) == message


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[build]\nposts_per_page = true\n", "build.posts_per_page: expected a whole number, got a boolean"),
        ('[build]\nposts_per_page = "5"\n', "build.posts_per_page: expected a whole number, got a string"),
        ("[build]\ntransliterate = 1\n", "build.transliterate: expected true or false, got a number"),
        ('[build]\ntransliterate = "yes"\n', "build.transliterate: expected true or false, got a string"),
        ("[network]\ntimeout = true\n", "network.timeout: expected a number of seconds, got a boolean"),
        ("[taxonomies.tags]\nfeeds = 0\n", "taxonomies.tags.feeds: expected true or false, got a number"),
        ('[site.author]\nme = "https://a.example"\n', "site.author.me: expected a list of http(s) URLs, got a string"),
    ],
)
def test_wrong_types_name_what_was_expected_and_what_was_found(extra, message):
    assert problem(extra) == f"site.toml: {message}"


def test_a_fraction_for_a_whole_number_is_described_as_such():
    message = problem("[network]\nmax_bytes = 1.5\n")
    assert message.startswith("site.toml: network.max_bytes: expected a number of bytes, got ")
    assert not message.endswith("got a number")


def test_tables_in_the_wrong_shape():
    assert problems('site = 1\nbuild = "x"\n') == [
        "site.toml: site: expected a table",
        "site.toml: site.title: required, expected a string",
        "site.toml: site.url: required, expected an http(s) URL",
        "site.toml: build: expected a table",
    ]
    assert problem("[taxonomies]\ntags = 1\n") == "site.toml: taxonomies.tags: expected a table"
    assert (
        problem("author = 1\n")
        == "site.toml: site.author: expected a table, or a string (the author's name), got a number"
    )


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "utc+2"])
def test_invalid_timezone(zone):
    assert problem(f'timezone = "{zone}"\n') == (
        f"site.toml: site.timezone: expected an IANA time zone such as 'Europe/Berlin', got '{zone}'"
    )


ENDS = "expected a path that starts with '/' and ends with '/' or '.html', such as '/{year}/{month}/{slug}/'"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (
            "/{year}/{name}/",
            "unknown placeholder {name}; expected one of {year}, {month}, {day}, {slug}, {title}, {category}",
        ),
        ("/{}/{slug}/", "unknown placeholder {}; expected one of {year}, {month}, {day}, {slug}, {title}, {category}"),
        ("/{year}/{month}/", "expected the pattern to contain {slug} or {title}"),
        ("{year}/{slug}/", ENDS),
        ("/{year}/{slug}", ENDS),
        ("/{year}/{slug}.md", ENDS),
    ],
)
@pytest.mark.parametrize("key", ["permalink", "page_permalink"])
def test_permalink_checks(key, pattern, message):
    assert problem(f'[build]\n{key} = "{pattern}"\n') == f"site.toml: build.{key}: {message}"


@pytest.mark.parametrize("pattern", ["/{year}/{slug}}/", "/{slug}/{/"])
def test_permalink_with_an_unbalanced_brace_is_rejected(pattern):
    assert problem(f'[build]\npermalink = "{pattern}"\n').startswith("site.toml: build.permalink: ")


def test_positive_numbers_and_choices():
    assert problems(MINIMAL + '[build]\nfeed_items = 0\nslug_source = "date"\n[network]\nmax_bytes = -1\n') == [
        "site.toml: build.feed_items: expected a whole number greater than 0",
        "site.toml: build.slug_source: expected one of 'filename', 'title'",
        "site.toml: network.max_bytes: expected a whole number greater than 0",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("monoki", "unknown Pygments style 'monoki'; did you mean 'monokai'?"),
        ("github_dark", "unknown Pygments style 'github_dark'; did you mean 'github-dark'?"),
        ("zzzzqqq", "unknown Pygments style 'zzzzqqq'"),
    ],
)
def test_unknown_pygments_style_gets_a_hint(name, message):
    assert problem(f'[build]\nhighlight_style_dark = "{name}"\n') == f"site.toml: build.highlight_style_dark: {message}"


@pytest.mark.parametrize("path", ["/", "a b", ""])
def test_taxonomy_path_must_be_a_url_path(path):
    assert problem(f'[taxonomies.tags]\npath = "{path}"\n') == (
        "site.toml: taxonomies.tags.path: expected a URL path such as 'tags'"
    )


@pytest.mark.parametrize("key", ["Tags", "my-tags", "1st"])
def test_taxonomy_names_are_lower_case_identifiers(key):
    assert problem(f"[taxonomies.{key}]\n") == (
        f"site.toml: taxonomies.{key}: expected a lower-case name of letters, digits and '_'"
    )


def test_author_as_a_string_is_the_authors_name():
    assert parse('author = "李雷"\n').site.author == Author(name="李雷")


def test_author_links_are_checked():
    assert problems(MINIMAL + '[site.author]\nurl = "nope"\nme = ["https://a.example", "nope"]\n') == [
        "site.toml: site.author.url: expected an http(s) URL",
        "site.toml: site.author.me: expected a list of http(s) URLs",
    ]


# --- TOML syntax errors and load_config ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[site]\ntitle = = "T"\n', "site.toml:2:9: invalid TOML: Invalid value"),
        ("[site\n", "site.toml:1:6: invalid TOML: Expected ']' at the end of a table declaration"),
        ('[site]\ntitle = "T"\n[site]\n', "site.toml:3:6: invalid TOML: Cannot declare ('site',) twice"),
        ("[site]\ntitle = [\n", "site.toml: invalid TOML: Invalid value at the end of the file"),
    ],
)
def test_toml_syntax_error_names_line_and_column(text, message):
    assert problems(text) == [message]


def test_problem_fields_carry_the_location():
    with pytest.raises(ConfigError) as caught:
        parse_config('[site]\ntitle = = "T"\n', ROOT, file="other.toml")
    (found,) = caught.value.problems
    assert (found.file, found.line, found.column, found.key) == ("other.toml", 2, 9, None)
    assert str(caught.value) == "other.toml:2:9: invalid TOML: Invalid value"


def test_config_error_message_lists_every_problem():
    with pytest.raises(ConfigError) as caught:
        parse_config("", ROOT)
    assert str(caught.value).splitlines() == [
        "site.toml: site.title: required, expected a string",
        "site.toml: site.url: required, expected an http(s) URL",
    ]


def test_load_config_reads_site_toml(tmp_path):
    (tmp_path / "site.toml").write_text(MINIMAL, encoding="utf-8")
    config = load_config(tmp_path)
    assert config.root == tmp_path.resolve()
    assert config.site.title == "My Site"


def test_load_config_without_site_toml(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == f"{tmp_path / 'site.toml'}: no site.toml here; run `homepost init` to create a site"


def test_load_config_rejects_non_utf8(tmp_path):
    (tmp_path / "site.toml").write_bytes(b'[site]\ntitle = "\xff"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == f"{tmp_path / 'site.toml'}: not UTF-8 text (invalid start byte)"


def test_load_config_names_site_toml_in_problems(tmp_path):
    (tmp_path / "site.toml").write_text('[site]\ntitle = "T"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == "site.toml: site.url: required, expected an http(s) URL"
