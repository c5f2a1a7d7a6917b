"""The converters `homepost import` uses: Hugo shortcodes, Jekyll Liquid, WordPress HTML to Markdown."""

from __future__ import annotations

from generator.importers.html2md import html_to_markdown
from generator.importers.markup import convert_hugo, convert_liquid
from generator.importers.model import Note


def nowhere(reference: str) -> str | None:
    return {"a.md": "a.md", "2024-01-02-b": "2024-01-02-b.md"}.get(reference)


def test_hugo_embeds_become_links_and_an_escaped_shortcode_stays_literal() -> None:
    notes: list[Note] = []
    text = (
        '{{< gist spf13 7896402 >}}\n{{< tweet user="SanDiegoZoo" id="1453110110599868418" >}}\n'
        "{{</* youtube abc */>}}\n{{% highlight go %}}x := 1{{% /highlight %}}\n"
    )
    out = convert_hugo(text, "p.md", 1, nowhere, notes)
    assert out == (
        "[Gist spf13/7896402](https://gist.github.com/spf13/7896402)\n"
        "[Post on X](https://x.com/SanDiegoZoo/status/1453110110599868418)\n"
        "{{< youtube abc >}}\n```go\nx := 1\n```\n"
    )
    assert notes == []


def test_hugo_shortcodes_not_converted_are_left_and_noted_at_their_line() -> None:
    notes: list[Note] = []
    text = 'para\n\n{{< relref "missing.md" >}}\n\n{{< param description >}}\n'
    assert convert_hugo(text, "content/posts/p.md", 5, nowhere, notes) == text
    assert [str(n) for n in notes] == [
        "content/posts/p.md:7: relref to 'missing.md': no such post; left as it is",
        "content/posts/p.md:9: shortcode {{< param …}} not converted",
    ]


def test_liquid_links_site_variables_and_unknown_tags() -> None:
    notes: list[Note] = []
    text = (
        "[b]({% post_url 2024-01-02-b %})\n{{ site.title }} {{ page.title }}\n{% gist octocat/123 %}\n{% comment %}x\n"
        "![a]({{ '/img/a.png' | relative_url }}) {{ \"/b/\" | absolute_url }}\n"
    )
    out = convert_liquid(
        text, "_posts/x.md", 4, nowhere, {"title": "Blog", "url": "https://x.org", "baseurl": "/blog"}, notes
    )
    assert out == (
        "[b](2024-01-02-b.md)\nBlog {{ page.title }}\n[Gist octocat/123](https://gist.github.com/octocat/123)\n"
        "{% comment %}x\n![a](/blog/img/a.png) https://x.org/blog/b/\n"
    )
    assert [str(n) for n in notes] == [
        "_posts/x.md:7: Liquid tag {% comment %} not converted",
        "_posts/x.md:5: Liquid variable {{ page.title }} not converted",
    ]


def test_html_becomes_markdown_when_nothing_is_lost() -> None:
    html = (
        "<h2>Title</h2><p>A <code>x`y</code> and <b>bold</b><br>line</p><ol><li>one</li><li>two</li></ol>"
        "<blockquote><p>quoted</p></blockquote><pre><code>a &lt; b</code></pre><!--more--><p>after [1]</p>"
    )
    markdown, lossless = html_to_markdown(html)
    assert lossless
    assert markdown == (
        "## Title\n\nA ``x`y`` and **bold**\\\nline\n\n1. one\n2. two\n\n> quoted\n\n```\na < b\n```"
        "\n\n<!-- more -->\n\nafter \\[1\\]\n"
    )


def test_html_that_markdown_cannot_say_stays_html() -> None:
    for html in (
        '<p style="color:red">red</p>',
        "<table><tr><td>1</td></tr></table>",
        "<figure><img src=a.png><figcaption>c</figcaption></figure>",
        '<a href="x" target="_blank">x</a>',
    ):
        assert html_to_markdown(html) == (html + "\n", False)
