"""Errors in a writer's words: one error per problem, the accepted forms, the fix, the file and line."""

from __future__ import annotations

import pytest

from generator.content.frontmatter import split
from generator.errors import HomepostError
from tests.conftest import SiteFactory
from tests.helpers import build

FILE = "content/posts/a.md"
FORMATS = "2024-12-06, 2024-12-06 14:30, or ISO 8601 with an offset (2024-12-06T14:30:00+08:00)"


def test_a_date_in_another_format_is_one_error_saying_the_formats(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/hello.md": "---\ntitle: Hello\ndate: 12/06/2024\n---\nHi.\n"})
    result = build(site)
    assert result.exit_code == 1
    assert f"error: content/posts/hello.md:3: date: '12/06/2024' is not a date; write it as {FORMATS}" in result.output
    assert "Build failed with 1 error." in result.output


def test_a_file_name_with_an_impossible_date_says_so(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/2024-13-45-x.md": "---\ntitle: X\n---\nHi.\n"})
    result = build(site)
    assert result.exit_code == 1
    wrong = "the file name starts with 2024-13-45, which is not a valid date (month must be in 1..12)"
    assert (
        f"error: content/posts/2024-13-45-x.md: date: required for posts: {wrong}; fix the name or add `date:`"
        in result.output
    )
    assert "name the file 2024-05-01-slug.md" not in result.output


def _error(*lines: str) -> str:
    with pytest.raises(HomepostError) as caught:
        split("---\n" + "\n".join(lines) + "\n---\nBody\n", FILE)
    [problem] = caught.value.problems
    return str(problem)


def test_yaml_tab_indentation() -> None:
    assert _error("title: A", "tags:", "\t- one") == (
        f"{FILE}:4:1: a tab is used for indentation; YAML indents with spaces only: replace the tab with spaces"
    )


@pytest.mark.parametrize("quote", ['"', "'"])
def test_yaml_unclosed_quote_names_the_line_where_it_opened(quote: str) -> None:
    assert _error("draft: false", f"title: {quote}Hello", "date: 2024-01-01", "tags: [a]") == (
        f"{FILE}:3:8: the {quote} that opens this value is never closed: end the value with {quote}"
    )


def test_yaml_colon_in_a_value_says_to_quote_it() -> None:
    assert (
        _error("title: Re: hello")
        == f'{FILE}:2:10: a colon followed by a space inside a value must be quoted, as in  title: "Re: hello"'
    )


@pytest.mark.parametrize("start", ["@", "`", "%"])
def test_yaml_value_starting_with_a_reserved_character_says_to_quote_it(start: str) -> None:
    assert _error(f"title: {start}home") == (
        f'{FILE}:2:8: a value cannot start with {start} in YAML: put it in quotes, as in  title: "{start}home"'
    )


def test_yaml_quote_suggestion_uses_single_quotes_around_double_quotes() -> None:
    assert _error('title: Re: "hello"').endswith("""as in  title: 'Re: "hello"'""")
