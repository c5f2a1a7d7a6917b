"""generator.text: slugs, word counts, reading time, grapheme-safe truncation, plain text of HTML."""

from __future__ import annotations

import pytest
import regex

from generator.text import count_words, html_to_text, reading_time, slugify, truncate


def graphemes(text: str) -> list[str]:
    """Extended grapheme clusters, the unit `truncate` promises never to split."""
    return regex.findall(r"\X", text)


def assert_clean_cut(text: str, result: str, limit: int, ellipsis: str = "…") -> list[str]:
    """`result` is whole clusters of `text` followed by the ellipsis, within `limit`; return the kept clusters."""
    assert result.endswith(ellipsis)
    assert len(graphemes(result)) <= limit
    kept = graphemes(result[: -len(ellipsis)])
    assert kept == graphemes(text)[: len(kept)], "the kept part must be whole clusters from the start of the text"
    return kept


# --- slugify -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("你好 世界", "你好-世界"),
        ("東京タワー 2024", "東京タワー-2024"),
        ("안녕하세요 세계", "안녕하세요-세계"),
        ("Привет, мир!", "привет-мир"),
        ("Crème Brûlée à la carte", "crème-brûlée-à-la-carte"),
        ("Ελληνικά Γράμματα", "ελληνικά-γράμματα"),
    ],
)
def test_slugify_keeps_letters_of_every_script_readable(title, slug):
    assert slugify(title) == slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("C++ & C#: a (short) story?", "c-c-a-short-story"),
        ("Party 🎉 time 👨‍👩‍👧", "party-time"),
        ("«Quoted» — “curly” ‘quotes’", "quoted-curly-quotes"),
        ("こんにちは、世界！", "こんにちは世界"),  # CJK punctuation is dropped, not turned into '-'
    ],
)
def test_slugify_drops_punctuation_symbols_and_emoji(title, slug):
    assert slugify(title) == slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("a -- b __ c   d", "a-b-c-d"),
        ("  --leading and trailing--  ", "leading-and-trailing"),
        ("tab\tand\nnewline", "tab-and-newline"),
        ("one - ! - two", "one-two"),
    ],
)
def test_slugify_collapses_separators_and_trims_them(title, slug):
    assert slugify(title) == slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("ＡＢＣ", "abc"),
        ("ＡＢＣ １２３", "abc-123"),
        ("ｶﾀｶﾅ", "カタカナ"),  # half-width katakana
        ("ﬁle", "file"),  # ligature
    ],
)
def test_slugify_applies_nfkc(title, slug):
    assert slugify(title) == slug


def test_slugify_composes_decomposed_accents():
    assert slugify("Cafe\u0301") == slugify("Café") == "café"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("你好", "nihao"),
        ("你好 世界", "nihao-shijie"),
        ("Привет, мир!", "privet-mir"),
        ("Crème Brûlée", "creme-brulee"),
        ("안녕 세계", "annyeong-segye"),
    ],
)
def test_slugify_transliterate_gives_ascii(title, slug):
    result = slugify(title, transliterate=True)
    assert result == slug
    assert result.isascii()


def test_slugify_of_only_punctuation_is_empty():
    assert slugify("?!… — ✨") == ""


# --- count_words and reading_time ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("The quick brown fox", (4, 0)),
        ("你好世界", (0, 4)),
        ("こんにちは", (0, 5)),
        ("안녕하세요", (0, 5)),
        ("I wrote 你好世界 and then three more", (6, 4)),
        ("don't it's O’Brien", (3, 0)),  # an apostrophe inside a word does not split it
        ("Hello, world. 你好，世界。", (2, 4)),  # punctuation of either kind is not counted
        ("", (0, 0)),
    ],
)
def test_count_words_counts_latin_words_and_cjk_characters_separately(text, counts):
    assert count_words(text) == counts


def test_count_words_agrees_with_its_defining_pattern_on_random_text():
    """Words are runs of letters and digits joined by apostrophes: the quick count must say the
    same as counting the pattern's matches, whatever the mix of scripts, marks and spaces."""
    import random
    import re

    from generator.text import _CJK_CHAR, _LATIN_WORD

    pool = list("abcXYZ019_'’-.,;é") + [
        "e\u0301",
        "ß",
        "Ω",
        "١",
        "你",
        "ー",
        "가",
        " ",
        "\t",
        "\n",
        "\xa0",
        "\u3000",
        "\x1c",
        "—",
        "（",
    ]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 40)))
        latin, cjk = _CJK_CHAR.subn(" ", text)
        assert count_words(text) == (len(_LATIN_WORD.findall(latin)), cjk), repr(text)
    assert re.fullmatch(_LATIN_WORD, "it's") and count_words("well-known, it's 3.14") == (5, 0)


def test_count_words_katakana_long_vowel_mark_is_not_a_latin_word():
    words, cjk = count_words("コーヒーとラーメン")
    assert words == 0
    assert cjk >= 6


def words(n: int) -> str:
    return " ".join(["word"] * n)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        (words(220), 1),
        (words(221), 2),
        (words(440), 2),
        (words(2200), 10),
        ("字" * 400, 1),
        ("字" * 401, 2),
        ("字" * 4000, 10),
        ("", 1),
        ("one word", 1),
        (words(110) + " " + "字" * 200, 1),  # half a minute of each
        (words(330) + " " + "字" * 200, 2),  # 1.5 + 0.5
        (words(440) + " " + "字" * 401, 4),  # 2 + 1.0025, rounded up
    ],
)
def test_reading_time(text, minutes):
    assert reading_time(text) == minutes


# --- truncate ------------------------------------------------------------------------------------

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one cluster of seven code points
FLAGS = "🇯🇵🇺🇸🇫🇷🇩🇪"  # four regional-indicator pairs
THUMBS = "👍🏽"  # emoji + skin-tone modifier
E_ACUTE = "e\u0301"  # e + combining acute accent
HANGUL_JAMO = "\u1100\u1161\u11a8"  # ᄀ + ᅡ + ᆨ: one syllable written as three jamo


@pytest.mark.parametrize(
    ("text", "cluster"),
    [
        (FAMILY * 5, FAMILY),
        (FLAGS, None),
        (THUMBS * 5, THUMBS),
        (E_ACUTE * 6, E_ACUTE),
        (HANGUL_JAMO * 5, HANGUL_JAMO),
    ],
    ids=["zwj-family", "flags", "skin-tone", "combining-accent", "hangul-jamo"],
)
def test_truncate_never_splits_a_grapheme_cluster(text, cluster):
    result = truncate(text, 3)
    kept = assert_clean_cut(text, result, 3)
    assert len(kept) == 2
    if cluster is not None:
        assert kept == [cluster, cluster]


def test_truncate_keeps_flags_as_pairs():
    assert truncate(FLAGS, 3) == "🇯🇵🇺🇸…"


def test_truncate_cuts_cjk_anywhere_even_after_a_space():
    text = "你好 世界你好世界"
    assert truncate(text, 6) == "你好 世界…"
    assert truncate("你好世界你好世界", 5) == "你好世界…"


def test_truncate_backs_latin_text_up_to_a_word_boundary():
    text = "The quick brown fox jumps over the lazy dog"
    result = truncate(text, 12)  # 11 clusters kept would end in "The quick b"
    assert result == "The quick…"
    assert_clean_cut(text, result, 12)


def test_truncate_keeps_a_word_that_ends_exactly_at_the_cut():
    assert truncate("The quick brown fox", 10) == "The quick…"


def test_truncate_cuts_a_single_long_word_without_a_boundary():
    assert truncate("abcdefghijk", 10) == "abcdefghi…"


@pytest.mark.parametrize("text", ["short", "exactly10!", "", FAMILY * 3])
def test_truncate_leaves_text_within_the_limit_unchanged(text):
    assert truncate(text, 10) == text


def test_truncate_counts_a_custom_ellipsis_in_the_limit():
    result = truncate("abcdefghijklmnop", 8, ellipsis="...")
    assert result == "abcde..."
    assert_clean_cut("abcdefghijklmnop", result, 8, ellipsis="...")


@pytest.mark.parametrize(("limit", "ellipsis"), [(0, "…"), (2, "...")])
def test_truncate_never_exceeds_a_limit_smaller_than_the_ellipsis(limit, ellipsis):
    assert len(graphemes(truncate("abcdef", limit, ellipsis))) <= limit


# --- html_to_text --------------------------------------------------------------------------------


def test_html_to_text_unescapes_entities():
    assert html_to_text("<p>Tom &amp; Jerry &mdash; caf&eacute; &#8220;x&#8221;</p>") == "Tom & Jerry — café “x”"


def test_html_to_text_keeps_escaped_markup_as_text():
    assert html_to_text("<p>use &lt;b&gt; for bold</p>") == "use <b> for bold"


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>one</p><p>two</p>", "one two"),
        ("<h2>Title</h2><p>Body</p>", "Title Body"),
        ("<ul><li>a</li><li>b</li></ul>", "a b"),
        ("<blockquote>quote</blockquote>after", "quote after"),
        ("line<br>break<br/>again<br />end", "line break again end"),
        ("<dl><dt>term</dt><dd>def</dd></dl>", "term def"),
        ("<pre><code>x = 1</code></pre><p>y</p>", "x = 1 y"),
    ],
)
def test_html_to_text_separates_block_elements(markup, text):
    assert html_to_text(markup) == text


def test_html_to_text_does_not_split_words_at_inline_tags():
    assert html_to_text("<p>un<em>believ</em>able <a href='#'>link</a></p>") == "unbelievable link"


def test_html_to_text_collapses_whitespace():
    assert html_to_text("  <p>a\n\n   b\t c</p>\n  ") == "a b c"


def test_html_to_text_separates_table_cells():
    markup = "<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>30</td></tr></table>"
    assert html_to_text(markup) == "Name Age Ann 30"
