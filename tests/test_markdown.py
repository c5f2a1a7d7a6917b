"""generator.content.markdown: Markdown to HTML with extensions, highlighting, link and image resolution."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest

from generator.content.markdown import Link, MarkdownRenderer, Rendered, highlight_css, image_size


@pytest.fixture(scope="module")
def md() -> MarkdownRenderer:
    return MarkdownRenderer()


class Recorder:
    """A resolver that records every URL it is asked about and answers from a table (or a prefix)."""

    def __init__(self, table: dict[str, Link] | None = None, prefix: str = ""):
        self.table = table or {}
        self.prefix = prefix
        self.calls: list[str] = []

    def __call__(self, url: str) -> Link:
        self.calls.append(url)
        return self.table.get(url, Link(self.prefix + url))


def render(md: MarkdownRenderer, text: str, doc_id: str = "doc", resolve=None) -> Rendered:
    return md.render(text, doc_id, resolve or Recorder())


def ids(markup: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', markup))


def write_png(path: Path, width: int, height: int) -> Path:
    """A real, minimal greyscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))
    return path


# --- CommonMark extensions -----------------------------------------------------------------------


def test_tables(md):
    html = render(md, "| a | b |\n|---|--:|\n| 1 | 2 |\n").html
    assert '<table tabindex="0">' in html
    assert "<th>a</th>" in html
    assert "<td>1</td>" in html
    assert 'style="text-align:right"' in html


def test_strikethrough_becomes_s(md):
    assert render(md, "~~gone~~ text").html == "<p><s>gone</s> text</p>\n"


def test_footnotes_use_the_doc_id_in_their_ids(md):
    html = render(md, "Text[^1] and more[^note].\n\n[^1]: One.\n[^note]: Two.\n", doc_id="post-a").html
    assert '<a href="#fn-post-a-1" id="fnref-post-a-1">[1]</a>' in html
    assert '<li id="fn-post-a-2" class="footnote-item"><p>Two. <a href="#fnref-post-a-2"' in html
    assert '<section class="footnotes">' in html


def test_footnote_ids_of_two_docs_do_not_collide(md):
    text = "Text[^1].\n\n[^1]: Note.\n"
    first, second = render(md, text, doc_id="post-a").html, render(md, text, doc_id="post-b").html
    assert ids(first) and ids(second)
    assert ids(first).isdisjoint(ids(second))


def test_task_lists_are_disabled_checkboxes_inside_labels(md):
    html = render(md, "- [ ] todo\n- [x] done\n").html
    boxes = re.findall(r"<li[^>]*><label><input ([^>]*)> (\w+)</label></li>", html)
    assert [label for _, label in boxes] == ["todo", "done"]
    for attrs, _ in boxes:
        assert 'type="checkbox"' in attrs
        assert 'disabled="disabled"' in attrs
    assert "checked" not in boxes[0][0]
    assert 'checked="checked"' in boxes[1][0]


def test_definition_lists(md):
    assert render(md, "Term\n: Definition\n").html == "<dl>\n<dt>Term</dt>\n<dd>Definition</dd>\n</dl>\n"


# --- heading anchors -----------------------------------------------------------------------------


def test_h2_to_h4_get_slug_ids_and_h1_h5_do_not(md):
    html = render(md, "# Top\n\n## Hello World\n\n### 你好 世界\n\n#### Deep, Down!\n\n##### Five\n").html
    assert '<h2 id="hello-world">' in html
    assert '<h3 id="你好-世界">' in html
    assert '<h4 id="deep-down">' in html
    assert "<h1>Top</h1>" in html
    assert "<h5>Five</h5>" in html


def test_heading_permalink_points_at_its_own_id(md):
    html = render(md, "## 你好 世界\n").html
    assert '<a class="header-anchor" href="#你好-世界">#</a>' in html


def test_heading_permalink_is_not_passed_through_the_resolver(md):
    resolve = Recorder(prefix="/blog/")
    html = render(md, "## Hello World\n", resolve=resolve).html
    assert 'class="header-anchor" href="#hello-world"' in html
    assert not any(url.startswith("#") for url in resolve.calls)


# --- code ----------------------------------------------------------------------------------------


def test_fenced_code_is_highlighted_by_pygments(md):
    html = render(md, "```python\ndef f(x):\n    return '<b>'\n```\n").html
    assert html.startswith('<div class="highlight"><pre tabindex="0">')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">f</span>' in html
    assert "&lt;b&gt;" in html
    assert "<b>" not in html


def test_unknown_language_is_escaped_not_injected(md):
    html = render(md, "```nosuchlang\n<script>alert(1)</script>\n```\n").html
    assert html == (
        '<div class="highlight"><pre tabindex="0"><code class="language-nosuchlang">'
        "&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre></div>\n"
    )


def test_language_name_cannot_break_out_of_the_class_attribute(md):
    html = render(md, '```x"onmouseover="alert(1)\ncode\n```\n').html
    assert '"onmouseover' not in html
    assert 'class="language-x&quot;onmouseover=&quot;alert(1)"' in html


@pytest.mark.parametrize("text", ["```\nplain <i>\n```\n", "    plain <i>\n"], ids=["fence", "indented"])
def test_code_without_a_language_is_escaped_in_div_highlight(md, text):
    assert (
        render(md, text).html == '<div class="highlight"><pre tabindex="0"><code>plain &lt;i&gt;\n</code></pre></div>\n'
    )


# --- typography and raw HTML ---------------------------------------------------------------------


def test_smart_quotes_and_dashes(md):
    html = render(md, "\"Double\" and 'single', don't -- en --- em...").html
    assert html == "<p>“Double” and ‘single’, don’t – en — em…</p>\n"


def test_raw_html_passes_through(md):
    html = render(md, '<div class="note">raw <b>html</b></div>\n\nText with <kbd>Ctrl</kbd>.').html
    assert '<div class="note">raw <b>html</b></div>' in html
    assert "<kbd>Ctrl</kbd>" in html


# --- links and images ----------------------------------------------------------------------------


def test_links_are_rewritten_through_the_resolver(md):
    resolve = Recorder({"other.md": Link("/2024/05/other/"), "https://ex.com/": Link("https://ex.com/")})
    html = render(md, "[post](other.md), [ext](https://ex.com/) and <https://auto.example/>", resolve=resolve).html
    assert '<a href="/2024/05/other/">post</a>' in html
    assert '<a href="https://ex.com/">ext</a>' in html
    assert "other.md" in resolve.calls
    assert "https://auto.example/" in resolve.calls


def test_image_src_comes_from_the_resolver_and_alt_is_plain_text(md):
    resolve = Recorder({"pic.png": Link("/2024/05/post/pic.png")})
    html = render(md, "![A *nice* view](pic.png)", resolve=resolve).html
    assert '<img src="/2024/05/post/pic.png" alt="A nice view">' in html
    assert "pic.png" in resolve.calls


def test_local_image_gets_its_size_and_lazy_loading(md, tmp_path):
    png = write_png(tmp_path / "pic.png", 3, 2)
    html = render(md, "![alt](pic.png)", resolve=Recorder({"pic.png": Link("/p/pic.png", png)})).html
    assert '<img src="/p/pic.png" alt="alt" width="3" height="2" loading="lazy" decoding="async">' in html


def test_remote_image_gets_no_size_and_no_lazy_loading(md):
    html = render(md, "![alt](https://cdn.example/x.png)").html
    assert '<img src="https://cdn.example/x.png" alt="alt">' in html
    for attr in ("width=", "height=", "loading=", "decoding="):
        assert attr not in html


def test_local_file_that_is_not_an_image_gets_no_size(md, tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    html = render(md, "![alt](junk.png)", resolve=Recorder({"junk.png": Link("/junk.png", junk)})).html
    assert "width=" not in html and "height=" not in html
    assert 'loading="lazy"' in html


def test_image_size(tmp_path):
    assert image_size(write_png(tmp_path / "a.png", 640, 480)) == (640, 480)
    assert image_size(tmp_path / "missing.png") == (None, None)
    assert image_size(None) == (None, None)


# --- summaries -----------------------------------------------------------------------------------


def test_more_marker_summary_is_everything_before_it(md):
    rendered = render(md, "First para.\n\n## Sub\n\nSecond para.\n\n<!-- more -->\n\nRest.")
    assert rendered.has_more is True
    assert rendered.summary_html.startswith("<p>First para.</p>\n<h2")
    assert rendered.summary_html.endswith("<p>Second para.</p>\n")
    assert "Rest." not in rendered.summary_html
    assert "Rest." in rendered.html


@pytest.mark.parametrize("marker", ["<!--more-->", "<!-- more -->", "<!-- MORE -->", "<!--More  -->", " <!--more--> "])
def test_more_marker_with_or_without_spaces_in_any_case(md, marker):
    rendered = render(md, f"First para.\n\nSecond para.\n\n{marker}\n\nRest.")
    assert rendered.has_more is True
    assert rendered.summary_html == "<p>First para.</p>\n<p>Second para.</p>\n"


def test_a_comment_that_only_mentions_more_is_no_marker(md):
    assert render(md, "First.\n\nSecond.\n\n<!-- more to come -->\n\nRest.").has_more is False


def test_without_marker_summary_is_the_first_paragraph(md):
    rendered = render(md, "First para.\n\nSecond para.")
    assert rendered.has_more is False
    assert rendered.summary_html == "<p>First para.</p>\n"


def test_first_paragraph_skips_headings_lists_and_quotes(md):
    rendered = render(md, "# Heading\n\n- item\n\n> quoted\n\nThe real first paragraph.")
    assert rendered.summary_html == "<p>The real first paragraph.</p>\n"


def test_summary_is_empty_without_any_paragraph(md):
    assert render(md, "## Only a heading\n\n- and a list\n").summary_html == ""


def test_summary_links_are_resolved_once_like_the_body(md):
    resolve = Recorder(prefix="/blog/")
    rendered = render(md, "See [the other post](other/).\n\nMore.", resolve=resolve)
    assert '<a href="/blog/other/">' in rendered.html
    assert rendered.summary_html == '<p>See <a href="/blog/other/">the other post</a>.</p>\n'


def test_summary_images_are_resolved_once_like_the_body(md):
    rendered = render(md, "![cover](cover.png)\n\n<!-- more -->\n\nRest.", resolve=Recorder(prefix="/blog/"))
    assert 'src="/blog/cover.png"' in rendered.html
    assert 'src="/blog/cover.png"' in rendered.summary_html


# --- render_inline and highlight_css -------------------------------------------------------------


def test_render_inline_has_no_paragraph(md):
    assert md.render_inline('*Short* summary with `code` and "quotes"', Recorder()) == (
        "<em>Short</em> summary with <code>code</code> and “quotes”"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See [this](https://ex.com/)", 'See <a href="https://ex.com/">this</a>'),
        ("Visit <https://ex.com/>", 'Visit <a href="https://ex.com/">https://ex.com/</a>'),
        ("![pic](https://ex.com/a.png)", '<img src="https://ex.com/a.png" alt="pic">'),
    ],
)
def test_render_inline_renders_links_and_images(md, text, expected):
    assert md.render_inline(text, Recorder()) == expected


def test_render_inline_resolves_relative_links(md):
    assert md.render_inline("See [b](b.md)", Recorder({"b.md": Link("/blog/b/")})) == 'See <a href="/blog/b/">b</a>'


def test_highlight_css_has_the_dark_style_in_a_prefers_color_scheme_query():
    css = highlight_css("friendly", "github-dark")
    light, media, dark = css.partition("@media (prefers-color-scheme: dark) {")
    assert media, "the dark style must sit inside a prefers-color-scheme media query"
    assert ".highlight { background: #f0f0f0; }" in light  # friendly
    assert "  .highlight { background: #0d1117; color: #E6EDF3 }" in dark  # github-dark, indented inside the query
    assert "#0d1117" not in light
    assert dark.rstrip().endswith("}")
