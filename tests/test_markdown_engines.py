"""generator.content.markdown_rs: Markdown parsed by markdown-it-pyrs renders byte for byte as MarkdownRenderer's."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("markdown_it_pyrs")

from generator.content import markdown_rs_blocks
from generator.content.frontmatter import split
from generator.content.markdown import Link
from generator.content.markdown_rs import available
from generator.errors import ContentError
from tests.markdown_helpers import Recorder, assert_same

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path("/dev/shm/bench10k/homepost-10000/site/content/posts")

# Every construct either engine knows, and the corners where they could part ways. Cases the Rust parser cannot
# render exactly (they fall back to the Python engine) are here too: the output must match all the same.
CASES: dict[str, str] = {
    "empty": "",
    "para_trailing_ws": "Hello   \nworld  \n\nEnd.   ",
    "emphasis": "*em* _em_ **strong** __strong__ ***both*** ~~gone~~ ~~*mixed*~~ a*b*c a * b",
    "nested_em": "*a **b *c* d** e*",
    "smart_quotes": (
        "\"Hello,\" she said. 'Single' quotes and it's an apostrophe, don't you think? The '90s. 5'10\" tall. "
        "\"Nested 'quotes' here.\""
    ),
    "smart_quotes_nested_markup": '"*emphasised* quote" and \'[linked](/x)\' and "`code`" and "<b>html</b>"',
    "smart_quotes_lines": "\"first line\nsecond line\" and 'a  \nb'",
    "smart_quotes_paragraphs": 'He said "hello\n\nand" goodbye.',
    "apostrophes_list": (
        '- What a listener\'s app stores when they press "subscribe"\n- Another \'item\'\n- "quote\n- end"'
    ),
    "replacements": "a -- b --- c ... d (c) (C) (r) (tm) (TM) +- x ?.... y !!!!! z ,,, w.. v -- -- --x-- a---b",
    "replacements_markup": "*a --* b ... `c -- d` [e -- f](/x) <http://a--b.com/...> (c)**(r)**",
    "escapes": "\\*not em\\* \\_x\\_ \\# \\[a\\] \\\\ \\` \\\" \\' \\- \\-- -\\- \\(c) \\< &",
    "entities": "&amp; &copy; &#35; &#x41; &nbsp; &unknown; &amp &#0; &quot;quoted&quot; AT&T <>",
    "hard_breaks": "two spaces  \nbackslash\\\nend",
    "softbreaks": "line one\nline two\n  indented three",
    "setext": "Title\n=====\n\nSub *title*\n---------\n\nMulti\nline\n---",
    "atx": "# H1\n## H2\n### H3 ###\n#### H4\n##### H5\n###### H6\n####### not",
    "dup_headings": (
        "## Intro\n\n"
        "## Intro\n\n"
        "### Intro\n\n"
        "## Intro-1\n\n"
        "## Intro\n\n"
        "##\n\n"
        "## !!!\n\n"
        "#### `code` *em* [link](/x) ![img](/i.png)"
    ),
    "heading_cjk_emoji": (
        "## 日本語の見出し\n\n"
        "## Café au lait 🍵\n\n"
        "### 中文 English 混合\n\n"
        "## Ünïcödé Straße\n\n"
        '## "Quoted" -- dashes...\n\n'
        "## a &amp; b \\* c"
    ),
    "heading_typography": "## It's \"time\" -- now...\n\n## Don't (c) stop",
    "more_marker": "First paragraph.\n\nSecond paragraph.\n\n<!-- more -->\n\nAfter the fold.",
    "more_marker_spaces": "Intro.\n\n   <!-- more -->   \n\nRest.",
    "more_marker_no_spaces": "Intro.\n\nSecond.\n\n<!--more-->\n\nRest.",
    "more_marker_upper_case": "Intro.\n\nSecond.\n\n<!-- MORE -->\n\nRest.",
    "more_marker_inline": "Intro <!-- more --> inline.\n\nRest.",
    "more_in_list": "- a\n\n  <!-- more -->\n\nText.",
    "no_paragraph": "# Only a heading\n\n- list",
    "first_para_after_heading": "# Title\n\nThe *first* paragraph.\n\nSecond.",
    "raw_html": (
        '<div class="note">\n*not md*\n</div>\n\n'
        "<section>\n\n"
        "*md inside*\n\n"
        "</section>\n\n"
        "<!-- comment -->\n\n"
        "<script>var a = 1 < 2;</script>\n\n"
        "<pre>\n  pre\n</pre>"
    ),
    "inline_html": (
        'A <span class="x">span</span>, <br/>, <em>em</em>, <!-- c -->, <?php ?>, <a href="javascript:x">y</a> and '
        "<bogus tag"
    ),
    "fences": (
        "```python\ndef f(x):\n    return x * 2  # 'quote' -- dash\n```\n\n"
        '```unknownlang\nsome <code> & "stuff"\n```\n\n'
        "```\nno lang 'x'\n```\n\n"
        '~~~js title="x"\nconst a = 1;\n~~~\n\n'
        "```py extra words\nx = 1\n```\n\n"
        "````\n```\nnested\n```\n````\n\n"
        "```\n```"
    ),
    "fence_info_escape": "```c\\+\\+\nint x;\n```\n\n``` &amp;lang\nx\n```",
    "indented_code": "Para\n\n    code block\n    <tag> & 'q'\n\n\tTabbed\n\nEnd",
    "lists_tight": "- a\n- b\n  - c\n  - d\n- e\n\n1. one\n2. two\n\n3) three\n4) four\n\n7. seven\n8. eight",
    "lists_loose": "- a\n\n- b\n\n  more b\n\n- c\n  - nested tight\n  - nested\n\n1. x\n\n   y\n2. z",
    "list_with_blocks": (
        "- item\n  ```\n  code\n  ```\n- item2\n  > quote\n- item3\n  # heading\n- item4\n  ---\n- item5\n  | a | b |\n"
        "  |---|---|\n  | 1 | 2 |\n-\n- <div>html</div>\n-   \n  text after blank"
    ),
    "list_mixed": (
        "* star\n+ plus\n- minus\n\n"
        "1. a\n1. b\n\n"
        "- [link](/a) first\n- **bold** first\n- `code` first\n- ![img](/i.png) first"
    ),
    "list_start_zero": "0. zero\n1. one\n\n010. ten",
    "tasks": (
        "- [ ] todo\n- [x] done\n- [X] DONE\n- [ ]\n- [ ] \n- [x]\tfoo\n- [ ]foo\n- [ ]\n  next line\n- [ ]  two "
        "spaces\n- > [ ] quoted\n- not [ ] a task\n- [ ] *em* task\n- [ ] 'quoted' task\n- [ ] \"double\" task"
    ),
    "tasks_loose": "- [ ] todo\n\n- [x] done\n\n  more\n\n1. [ ] ordered\n2. [x] ordered done",
    "tasks_nested": "- [ ] parent\n  - [x] child\n  - plain\n- plain",
    "tasks_hardbreak": "- [ ]  \n  two-space break\n- [ ]\\\n  backslash break",
    "blockquote": "> quote\n> more\n>\n> > nested\n\n>\n\n> # heading\n> - list\n\n> lazy\ncontinuation",
    "hr": "---\n***\n___\n- - -\n\ntext\n***",
    "tables": (
        "| Left | Center | Right | None |\n|:-----|:------:|------:|------|\n| a | b | c | d |\n| *e* | `f\\|g` | "
        "[h](/h) | |\n| short |\n| 1 | 2 | 3 | 4 | 5 |"
    ),
    "table_no_body": "| a | b |\n|---|---|",
    "table_escaped": "a | b\n--|--\n`|` | \\|\n",
    "table_quotes": '| "q" | it\'s |\n|---|---|\n| \'x\' -- y | "z" |',
    "deflist": (
        "Term\n: Definition\n\n"
        "Term 2\n: Def a\n: Def b\n\n"
        "Term 3\n\n"
        ": Loose def\n\n"
        "  More para\n\n"
        "Apple\n~ Pomaceous fruit"
    ),
    "deflist_multi_term": "Term A\nTerm B\n: Def for both?\n\n*Em term*\n:   Indented def with 'quote'",
    "footnotes": "Text[^1] and more[^note].\n\n[^1]: One.\n[^note]: Two, with *em*.\n",
    "footnotes_multi": (
        "A[^a] B[^b] A again[^a] C^[inline *note*] end.\n\n"
        "[^a]: Note a.\n\n"
        "    Second para of a.\n[^b]: - list in b\n    - more\n"
    ),
    "footnote_inline_only": "Text^[just inline] here.",
    "footnote_undefined": "Text[^missing] here.",
    "footnote_in_heading": "## Head[^h]\n\n[^h]: Heading note.",
    "footnote_in_def": "A[^x].\n\n[^x]: X refers[^y].\n[^y]: Y.\n",
    "footnote_summary_more": "A[^1].\n\n<!-- more -->\n\nB[^2].\n\n[^1]: one\n[^2]: two",
    "footnote_code_def": "A[^1].\n\n[^1]: ```\n    code\n    ```\n",
    "links": (
        '[inline](/path "Title") [empty]() [rel](../other.md) [frag](#section) [query](?q=1) '
        "[abs](https://example.com/a?b=c&d=e#f) [mail](mailto:a@b.c) [space](</a b>) [paren](/a(b)c) [title2](/x "
        "'single') [title3](/x (paren))"
    ),
    "links_ref": (
        "[ref][r] [Ref][R] [collapsed][] [shortcut] [nope][missing]\n\n"
        '[r]: /ref "Ref Title"\n[collapsed]: /c\n[shortcut]: <https://example.com/s>'
    ),
    "links_unsafe": (
        "[js](javascript:alert(1)) [JS](JAVASCRIPT:alert(1)) [vb](vbscript:x) [file](file:///etc/passwd) "
        "[data](data:text/html;base64,xx) [img data](data:image/png;base64,xx)\n\n"
        "![jsimg](javascript:x)\n\n"
        "[r]: javascript:alert(1)\n\n"
        "[r]"
    ),
    "links_encoding": (
        "[a](/ä ö) [b](</a b>) [c](/a%20b) [d](/a%zz) [e](http://例子.测试/) [f](/path?q=a b) [g](/a\\_b) [h](/&amp;) "
        '[i](HTTP://EX.com/A) [j](//host/p) [k](/a"b) [l](/a<b) [m](/[x])'
    ),
    "autolinks": (
        "<https://example.com/a_b?c=d&e> <a@b.c> <mailto:x@y.z> <http://example.com/%E2%82%AC> "
        "<https://xn--bcher-kva.de/> <ftp://x.y> <javascript:alert(1)> <not a link> <http://a.b/it's>"
    ),
    "images": (
        '![alt text](/img.png "Title") ![*em* alt](/i.png) ![alt with `code` and <b>html</b>](/i.png) ![](/empty.png) '
        '![it\'s "quoted" -- alt...](/q.png) ![nested ![inner](/in.png)](/out.png) ![ref][img]\n\n'
        "[img]: /ref.png"
    ),
    "images_quotes_adjacent": '"![img](/i.png)" and \'![x](/y.png)\' and "![a\'b](/c.png)"',
    "code_spans": "`code` `` co`de `` ` spaced ` `  ` `a\nb` `'q' -- \"x\"` ``` `` ``` `unclosed",
    "code_span_multiline_typo": "`a 'b'\nc -- d`",
    "strike": "~~strike~~ ~single~ ~~~triple~~~ ~~a ~~b~~ c~~",
    "mixed_everything": (
        "# Title\n\n"
        "Intro with **bold**, *em*, `code`, [link](/a), and a footnote[^f].\n\n"
        "<!-- more -->\n\n"
        '## Section "One"\n\n'
        "> Quote -- with dash...\n\n"
        "1. First\n2. Second\n   - Nested [ ] not task\n\n"
        "| a | b |\n|---|:-:|\n| 1 | 2 |\n\n"
        "```python\nprint('hi')\n```\n\n"
        "[^f]: Footnote text."
    ),
    "trailing_whitespace": "Line with trailing spaces   \n\n- item   \n- item2  \n\n## Heading   \n\n    code   \n",
    "tabs": "\tcode with tab\n\n- a\n\tb\n\n>\tquote tab",
    "unicode": "Ünïcödé “already curly” ‘quotes’ — dashes – and … ellipsis © ® ™ ±",
    "cjk_text": "中文段落。「引号」和'英文引号'。日本語の文章です。",
    "long_dots": "Wait.. what... really.... ok..... done?.. yes!..",
    "html_block_types": (
        "<table><tr><td>\n*x*\n</td></tr></table>\n\n"
        "<del>*deleted*</del>\n\n"
        "<ins>\n*inserted*\n</ins>\n\n"
        "<!--\nmultiline\ncomment\n-->\n\n"
        "<![CDATA[\nx\n]]>\n\n"
        "<?pi x ?>\n\n"
        "<!DOCTYPE html>"
    ),
    "link_in_link": "[a [b](/b) c](/a) [![img](/i.png)](/link)",
    "emphasis_edge": "**bold**text *a*b _a_b snake_case_word __init__ *5*6 ***",
    "backslash_end": "line\\",
    "numbers_inch": '5" and 6\'\' and 1"" test "quote"',
    "heading_link_autolink": (
        "## See <https://example.com/x> and [a *b*](/c)\n\n## `code` only\n\n## ![img](/i.png) only image"
    ),
    "heading_html": "## <span>Tag</span> text\n\n## a<br>b",
    "list_definition_first": "- [a]: /url\n  text after def\n\n[a]",
    "empty_items": "-\n-\n\n1.\n2. x",
    "blockquote_empty": ">\n\n> [a]: /x",
    "image_local": "![local](/local.png) ![missing](/missing.png) [link to local](/local.png)",
    "nbsp_task": "- [ ]\xa0nbsp\n- [x]\xa0nbsp",
    "ampersand_text": 'Tom & Jerry <3 > 2 "a&b"',
    "percent_url": "[a](/100%) [b](/a%2Fb) [c](http://host%20name/)",
    "ipv6": "[a](http://[::1]:8080/p) <http://[::1]/>",
    "email_unicode": "<ü@example.com> [m](mailto:ü@例子.com)",
    "eof_html": "Para\n\n<div>\nx</div>",
    "eof_html_comment": "Para\n\n<!-- end -->",
    "eof_fence_unclosed": "Para\n\n```py\nx = 1",
    "eof_fence_unclosed_empty": "```",
    "eof_fence_closed": "```\ncode\n```",
    "eof_fence_tilde_long": "~~~~\ncode\n~~~~~",
    "eof_fence_wrong_closer": "````\ncode\n```",
    "eof_fence_in_list": "- item\n  ```\n  code\n  ```",
    "eof_fence_in_list_unclosed": "- item\n  ```\n  code",
    "eof_fence_in_quote": "> ```\n> code\n> ```",
    "eof_code_block": "    code",
    "eof_html_in_list": "- <div>\n  x</div>",
    "eof_html_in_quote": "> <div>",
    "crlf": (
        '# Title\r\n\r\nPara "one"\r\nline two\r\n\r\n- a\r\n- b\r\n\r\n```\r\ncode\r\n```\r\n\r\n<div>\r\nx\r\n'
        "</div>\r\n"
    ),
    "cr_only": "a\rb\r\rc",
    "nul": "nul\x00char and `co\x00de`",
    "footnote_duplicate": "A[^1].\n\n[^1]: first\n[^1]: second\n",
    "footnote_unused": "A[^1].\n\n[^1]: used\n[^2]: unused[^1]\n",
    "footnote_unused_only": "No refs.\n\n[^1]: unused\n",
    "footnote_nested_inline": "A^[outer ^[inner]] b.",
    "footnote_heading_in_def": "A[^1].\n\n[^1]: text\n\n    ## Heading in note\n",
    "footnote_case": "A[^Note] b[^note].\n\n[^note]: lower\n[^Note]: upper\n",
    "footnote_in_alt": "![alt[^1]](/i.png)\n\n[^1]: n",
    "footnote_def_in_quote": "A[^1].\n\n> [^1]: quoted def\n",
    "footnote_def_in_list": "A[^1].\n\n- [^1]: listed def\n",
    "footnote_many_refs": "A[^1] B[^1] C[^1] D[^2].\n\n[^1]: one\n[^2]: two\n",
    "footnote_ref_order": "[^b] first then [^a].\n\n[^a]: A\n[^b]: B\n",
    "footnote_empty_def": "A[^1].\n\n[^1]:\n",
    "footnote_def_list_end": "A[^1].\n\n[^1]: para\n\n    - list end\n",
    "footnote_in_table": "| a |\n|---|\n| x[^1] |\n\n[^1]: n",
    "footnote_first_para": "First[^1] para.\n\nSecond.\n\n[^1]: n",
    "inline_fn_excerpt": "# Title ^[note]\n\n- list",
    "quote_image_code_label": '"![a `]` b](/x.png)" done',
    "typo_table": "| \"a\" -- b | it's |\n|---|---|\n| (c) ... | 'x' |",
    "typo_dt": "\"Term\" -- one\n: 'def' ...",
    "typo_heading_list": '- ## It\'s "h"\n- "x"',
    "typo_link_title": '[a](/x "it\'s -- \'q\'") ![b](/y "t &amp; (c)")',
    "typo_autolink": '<http://a.com/it\'s--x...> "<http://b.com>"',
    "typo_escape_mix": "\"a & b\" < 'c' > -- d &amp; e",
    "typo_across_em": '"*a*" \'**b**\' *"c"* "d *e" f*',
    "quotes_html_neighbor": '<b>"x"</b> and "<i>y</i>"',
    "quotes_code_neighbor": '`a`\'s and "`b`" and `c`"',
    "quotes_break_neighbor": "\"a  \nb\" 'c\\\nd'",
    "deflist_nested": "Term\n: - list in def\n  - more\n\nTerm2\n: > quote in def",
    "deflist_mixed": "T1\n: d1\n\n: d2 loose\n\nT2\n: d3",
    "list_tight_nested_loose": "- a\n  - b\n\n    c\n- d",
    "list_item_blank_end": "- a\n- b\n\n\n",
    "list_fence_only": "- ```\n  code\n  ```\n- ~~~\n  x\n  ~~~",
    "list_table_after_text": "- text\n  | a |\n  |---|\n  | 1 |",
    "list_html_after_text": "- text\n  <div>x</div>",
    "list_heading_then_text": "- # h\n  text",
    "list_quote_in_tight": "- a\n  > q\n- b",
    "link_title_empty": "[a](/x \"\") ![b](/y '')",
    "image_title_quotes": '![a](/i.png "say \\"hi\\" & <go>")',
    "underscore_words": "snake_case_name and _under_ and __dunder__ and 2*3*4",
    "more_twice": "A.\n\n<!-- more -->\n\nB.\n\n<!-- more -->\n\nC.",
    "more_in_quote": "> A.\n>\n> <!-- more -->\n\nB.",
    "more_first": "<!-- more -->\n\nA.",
    "excerpt_list_first": "- a\n- b\n\nThe paragraph.",
    "heading_ref_link": "## A [ref] and `x`\n\n[ref]: /r",
    "heading_entities": "## &copy; &amp; &#35; \\& x",
    "heading_apostrophe_slug": "## Don't stop\n\n## Don’t stop",
    "heading_levels_all": "# A\n## A\n### A\n#### A\n##### A\n###### A",
    "heading_empty_slugs": "## ***\n\n## ---x\n\n## \n\n## #",
    "setext_multiline": "Line one\nline two\n--------",
    "html_inline_attrs": "<a href=\"/x\" title='y'>link</a> <img src=x onerror=alert(1)>",
    "tab_in_text": "a\tb\n\n-\ttab item\n\n1.\ttab ordered",
    "entity_numeric": "&#x1F600; &#128512; &#xD800; &#99999999; &#x; &#;",
    "backslash_all": (
        "\\!\\\"\\#\\$\\%\\&\\'\\(\\)\\*\\+\\,\\-\\.\\/\\:\\;\\<\\=\\>\\?\\@\\[\\\\\\]\\^\\_\\`\\{\\|\\}\\~ \\a"
    ),
    "link_destination_entities": "[a](/&auml;) [b](/%C3%A4) [c](/\\(x\\))",
    "ref_def_unsafe_used": "[x]\n\n[x]: javascript:alert(1)",
    "data_image": "![d](data:image/png;base64,AAAA) [d](data:image/gif;base64,AA)",
    "protocol_relative": "[a](//example.com/x) ![b](//cdn.x/y.png)",
    "url_with_quotes": "[a](/it's) [b](</a\"b>)",
    "html_block_7": "<custom-tag>\n*x*\n</custom-tag>\n\ntext <custom-tag> inline",
    "lazy_list": "- a\nlazy\n- b",
    "numbered_paren": "1) a\n2) b",
    "list_start_big": "123456789. big",
    "hr_in_list": "- a\n- ***\n- b",
    "emoji_heading": "## 🎉 Party 🎉\n\n## 👨\u200d👩\u200d👧 family",
    "strike_in_heading": "## ~~old~~ new",
    "long_quote_chain": "''''\"\"\"\" ' \" '' \"\" 'a' \"b\"",
    # Where the two parsers disagree: these are rendered by the Python engine, which must be detected.
    "code_span_spaces": "`    ` and `  ` and ` ` and `` `` x",
    "one_column_table": "| a |\n---\n\nb |\n---",
    "deflist_underlined": "Term\n: def\n---\n\nTerm\n: def\n\n---",
    "table_row_block": "| a | b |\n|---|:-:|\n| 1 | 2 |\n2) item\n- x\n> q",
    "table_after_quote": "> a\n| x |\n|---|\n\n> > b\n> | y |\n> |---|",
    "lazy_quote_list": "> a\n* \n\n> b\n10. c",
    "lazy_deflist": "T\n: - a\n: c\n",
    "footnote_def_interrupts": "a[^1]\n[^1]: b\n- \n",
    "footnote_html_def": "A[^1].\n\n[^1]: </b>\n",
    "footnote_tab_def": "A[^1].\n\n[^1]: * \t x\n",
    "reference_backslash": "[ref]: /r\\\n~~~\n",
    "code_span_lines": "- `a\n    b` c\n\n`x\n[^1]: y`\n\n[^1]: z",
    "rust_panic": "[`",
}


@pytest.mark.parametrize("name", CASES)
def test_same_html_as_markdown_it_py(engines, images, name):
    assert_same(engines, images, CASES[name])


@pytest.mark.parametrize("name", ["footnotes", "footnotes_multi", "footnote_in_def", "footnote_inline_only"])
def test_footnote_ids_follow_the_doc_id(engines, images, name):
    first = assert_same(engines, images, CASES[name], "post-a").html
    second = assert_same(engines, images, CASES[name], "post-b").html
    assert 'id="fn-post-a-1"' in first and 'id="fn-post-b-1"' in second


def test_local_images_get_their_size(engines, images):
    html = assert_same(engines, images, "![a](/local.png) ![b](/missing.png)").html
    assert '<img src="/pub/local.png" alt="a" width="3" height="2" loading="lazy" decoding="async">' in html
    assert '<img src="/pub/missing.png" alt="b" loading="lazy" decoding="async">' in html


def test_unsafe_urls_are_never_published(engines, images):
    html = assert_same(engines, images, CASES["links_unsafe"]).html
    assert 'href="javascript' not in html.lower() and 'src="javascript' not in html.lower()


def test_a_rust_panic_falls_back_to_python(engines, images):
    _, rust = engines
    before = rust.fallbacks
    assert assert_same(engines, images, "[`").html == "<p>[`</p>\n"  # markdown-it-pyrs 0.4.0 panics on this
    assert rust.fallbacks == before + 1


def test_an_unknown_node_falls_back_to_python(engines, images, monkeypatch):
    _, rust = engines
    monkeypatch.delitem(markdown_rs_blocks._BLOCK, "hr")
    before = rust.fallbacks
    assert "<hr />" in assert_same(engines, images, "a\n\n---\n\nb").html
    assert rust.fallbacks == before + 1


def test_common_documents_need_no_fallback(engines, images):
    _, rust = engines
    before = rust.fallbacks
    for name in ("mixed_everything", "smart_quotes", "lists_loose", "tasks", "tables", "footnotes_multi", "images"):
        assert_same(engines, images, CASES[name])
    assert rust.fallbacks == before


def test_render_inline_is_the_python_engines(engines, images):
    python, rust = engines
    text = 'A *summary* with "quotes" and [a link](/x)'
    assert rust.render_inline(text, Recorder(images)) == python.render_inline(text, Recorder(images))


def test_available():
    assert available()


def markdown_files() -> list[Path]:
    """The Markdown of this repository's content and test sites (not of installed third-party packages)."""
    found = [*(ROOT / "content").rglob("*.md"), *(ROOT / "tests").rglob("*.md")]
    return sorted(path for path in found if "node_modules" not in path.parts and "markdown_corpus" not in path.parts)


@pytest.mark.parametrize("path", markdown_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_repository_markdown(engines, images, path):
    text = path.read_text(encoding="utf-8")
    assert_same(engines, images, split(text, str(path)).body, path.stem)


@pytest.mark.skipif(not BENCH.is_dir(), reason="the benchmark site is not generated")
def test_benchmark_posts(engines, images):
    for path in sorted(BENCH.glob("*.md"))[:300]:
        assert_same(engines, images, split(path.read_text(encoding="utf-8"), path.name).body, path.stem)


def test_a_link_only_the_fast_path_sees_cannot_fail_the_render(engines, images):
    python, rust = engines
    text = "word\n: [^1]: word\nword <https://example.com/x>\n: [^1]: word\n"  # markdown-it-py: no link at all

    def resolve(url: str) -> Link:
        if "example.com" in url:
            raise ContentError("links to a missing page")
        return Link(url)

    assert rust.render(text, "doc", resolve).html == python.render(text, "doc", resolve).html
