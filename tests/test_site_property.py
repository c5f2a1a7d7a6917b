"""Random small sites, built: no traceback, valid feeds and HTML, and incremental equals cold.

Each example writes a site of a few posts and pages with random front matter (within what the
README documents), random Markdown and random file and folder names, full of CJK, emoji and
combining characters, and builds it. The build must succeed or fail with a `HomepostError` whose
problems name files. When it succeeds every feed parses (feedparser, no bozo; JSON Feed against
the 1.1 schema in jsonfeed-1.1.schema.json), every XML file is well-formed and every HTML page
passes the checks of `_HtmlChecker`. Then a random edit is built incrementally and compared, file
for file, with a cold build of the edited site.

`make test` runs a fixed set of examples (derandomized, so a failure there is reproducible);
HOMEPOST_FUZZ_EXAMPLES=N runs N random ones (`make fuzz`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import feedparser
import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import HomepostError
from generator.pipeline.build import BuildOptions, build_site
from generator.pipeline.published import PUBLISHED_FILE
from tests.helpers import NOW, SITE_TOML, png_bytes, snapshot, write_files

BUG = "(a bug in Homepost: please report it)"  # what an unforeseen exception's problem says: the test fails
FUZZ_EXAMPLES = int(os.environ.get("HOMEPOST_FUZZ_EXAMPLES", "0"))
PNG = png_bytes(3, 2)
SCHEMA = json.loads((Path(__file__).parent / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
FEED_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

# Pieces of text: Latin, CJK, emoji (with joiners and flags), combining marks, right-to-left, Markdown's own signs.
PIECES = [
    "a",
    "Z",
    "e\u0301",
    "n\u0303",
    "o\u0308\u0304",
    "7",
    " ",
    " ",
    "-",
    "_",
    ".",
    "&",
    "<",
    ">",
    "'",
    '"',
    "*",
    "#",
    "中",
    "文",
    "漢字",
    "日本語",
    "한국어",
    "ー",
    "😀",
    "🎉",
    "👩\u200d💻",
    "🇯🇵",
    "مرحبا",
    "עברית",
    "ß",
    "İ",
    "ﬁ",
    "\u200b",
    "\t",
    "\u2028",
    "\ufeff",
    "𝔸",
    "&amp;",
    "&#1;",
    "&#0;",
    "\\",
    "[",
    "]",
    "`",
    "%20",
    "?",
    "/",
]
NAME_PIECES = [
    p for p in PIECES if p not in ("<", ">", '"', "*", "#", ".", "\u200b", "\t", "\u2028", "\ufeff", "/", "\\", "?")
]

text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map("".join)
words = st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join).map(str.strip).filter(bool)
file_stem = (
    st.lists(st.sampled_from(NAME_PIECES), min_size=1, max_size=8)
    .map("".join)
    .map(str.strip)
    .filter(lambda s: s and not s.startswith((".", "_")) and s not in ("index",))
)
date_text = st.builds(
    lambda y, m, d, form: form.format(y=y, m=m, d=d),
    st.integers(2000, 2027),
    st.integers(1, 12),
    st.integers(1, 28),
    st.sampled_from(
        [
            "{y}-{m:02d}-{d:02d}",
            "{y}-{m:02d}-{d:02d} 09:30",
            "{y}-{m:02d}-{d:02d} 23:59:59",
            "{y}-{m:02d}-{d:02d}T08:00:00+08:00",
            "{y}-{m:02d}-{d:02d}T00:00:00Z",
        ]
    ),
)


@st.composite
def markdown(draw: st.DrawFn) -> str:
    """A body of random Markdown blocks, or nothing at all."""
    blocks = st.one_of(
        text.map(lambda t: f"# {t}"),
        text.map(lambda t: f"## {t}"),
        text,
        text.map(lambda t: f"*{t}* and **{t}**"),
        st.lists(text, min_size=1, max_size=3).map(lambda items: "\n".join(f"- {i}" for i in items)),
        text.map(lambda t: f"> {t}"),
        text.map(lambda t: f"```\n{t}\n```"),
        text.map(lambda t: f"`{t}`"),
        text.map(lambda t: f"[{t}](https://example.net/{t.strip() or 'x'})"),
        st.just("<https://example.net/>"),
        text.map(lambda t: f"![{t}](pic.png)"),
        st.just("<!-- more -->"),
        text.map(lambda t: f"Footnote[^1].\n\n[^1]: {t}"),
        text.map(lambda t: f"| a | b |\n|---|---|\n| {t} | 2 |"),
        st.just("---"),
        st.just(""),
        text.map(lambda t: f"<details><summary>{t}</summary>\n\n{t}\n\n</details>"),
        text.map(lambda t: f"Term\n: {t}"),
        text.map(lambda t: f"- [ ] {t}\n- [x] done"),
        text.map(lambda t: f"~~{t}~~ H~2~O"),
        text.map(lambda t: f"```python\n{t}\n```"),
    )
    return "\n\n".join(draw(st.lists(blocks, max_size=5))) + draw(st.sampled_from(["", "\n"]))


@st.composite
def front_matter(draw: st.DrawFn) -> dict[str, object]:
    """Documented keys with random values; each key present or not."""
    maybe = lambda key, strategy: {key: draw(strategy)} if draw(st.booleans()) else {}  # noqa: E731
    return {
        **maybe("title", text),
        **maybe("date", date_text),
        **maybe("updated", date_text),
        **maybe("tags", st.lists(words, max_size=3)),
        **maybe("categories", st.lists(words, max_size=2)),
        **maybe("series", words),
        **maybe("slug", file_stem),
        **maybe("summary", text),
        **maybe("draft", st.booleans()),
        **maybe("lang", st.sampled_from(["en", "zh-Hans", "ja", "de-CH"])),
        **maybe("aliases", st.lists(file_stem.map(lambda s: f"/old/{s}/"), max_size=2)),
        **maybe("content_warning", text),
        **maybe("id", st.sampled_from(["urn:uuid:0b1c", "https://example.org/ids/1"])),
        **maybe("image", st.sampled_from(["pic.png", "https://example.net/p.png", "missing.png"])),
        **maybe(
            "in_reply_to",
            st.sampled_from(["https://example.net/a", ["https://example.net/b", "https://example.net/c"]]),
        ),
        **maybe("syndication", st.just(["https://mastodon.example/@ada/1"])),
        **maybe("weight", st.integers(-3, 3)),
        **maybe("menu", st.booleans()),
        **maybe(draw(st.sampled_from(["title", "date", "tags", "draft", "slug"])), WRONG),
    }


# Values of the wrong kind, for a key drawn at random: the build must name the file and the key.
WRONG = st.sampled_from([123, ["a", ["b"]], {"x": 1}, "not a date", "", None, True])


def render_file(meta: dict[str, object], body: str, fmt: str) -> str:
    """A Markdown file: front matter as YAML, TOML or none, then the body."""
    if fmt == "none" or not meta:
        return body
    if fmt == "yaml":
        return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n" + body
    lines = [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in meta.items()]
    return "+++\n" + "\n".join(lines) + "\n+++\n" + body


@st.composite
def sites(draw: st.DrawFn) -> dict[str, str | bytes]:
    """The content files of a small site: posts (some in folders, some dated by name) and pages."""
    files: dict[str, str] = {}
    for kind, count in (("posts", draw(st.integers(1, 4))), ("pages", draw(st.integers(0, 2)))):
        for _ in range(count):
            folder = draw(st.one_of(st.just(""), file_stem.map(lambda s: s + "/")))
            dated = draw(date_text.map(lambda d: d[:10] + "-")) if kind == "posts" and draw(st.booleans()) else ""
            bundle = draw(st.booleans()) and bool(folder)
            name = (
                f"content/{kind}/{folder}index.md" if bundle else f"content/{kind}/{folder}{dated}{draw(file_stem)}.md"
            )
            body = draw(markdown())
            if files and draw(st.booleans()):  # a link to another post, by its file
                other = draw(st.sampled_from(sorted(f for f in files if f.endswith(".md"))))
                body += f"\n\n[see]({quote(os.path.relpath(other, os.path.dirname(name)))})\n"
            files[name] = render_file(draw(front_matter()), body, draw(st.sampled_from(["yaml", "toml", "none"])))
            if bundle or draw(st.booleans()):
                files[os.path.dirname(name) + "/pic.png"] = PNG
    return files


@dataclass(frozen=True)
class Edit:
    """One change to a site between two builds."""

    kind: str
    index: int
    value: str

    def apply(self, root: Path) -> None:
        posts = sorted(p for p in (root / "content").rglob("*.md"))
        target = posts[self.index % len(posts)]
        if self.kind == "append":
            target.write_text(target.read_text(encoding="utf-8") + f"\n\n{self.value}\n", encoding="utf-8")
        elif self.kind == "delete":
            target.unlink()
        elif self.kind == "rename":
            target.rename(target.with_name(f"renamed-{target.name}"))
        else:  # a new post
            write_files(
                root,
                {
                    f"content/posts/2026-02-0{self.index % 9 + 1}-new.md": (
                        f"---\ntitle: {json.dumps(self.value)}\n---\n{self.value}\n"
                    )
                },
            )
        later = NOW.timestamp() + 60  # a changed file looks changed, however coarse the clock
        for path in (root / "content").rglob("*.md"):
            os.utime(path, (later, later))


edits = st.builds(Edit, st.sampled_from(["append", "delete", "rename", "add"]), st.integers(0, 20), text)


def build(root: Path, use_cache: bool = True) -> Path | HomepostError:
    """Build `root` as the CLI does; the output folder, or the named error it failed with."""
    try:
        return build_site(root, BuildOptions(now=NOW, jobs=1, use_cache=use_cache)).output
    except HomepostError as exc:
        assert exc.problems and all(p.file and p.file != "homepost" for p in exc.problems), str(exc)
        assert not any(BUG in p.message for p in exc.problems), str(exc)
        return exc


class _HtmlChecker(HTMLParser):
    """Well-formedness that Python's html.parser can check: every end tag closes an open element
    (elements whose end tag HTML lets one leave out may be closed implicitly), nothing is left
    open but those, no attribute is given twice, ids are unique, one html/head/body each."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    OPTIONAL_END = {
        "html",
        "head",
        "body",
        "p",
        "li",
        "dt",
        "dd",
        "option",
        "optgroup",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "rt",
        "rp",
    }

    def __init__(self, name: str):
        super().__init__(convert_charrefs=True)
        self.name, self.open, self.ids, self.counts, self.doctype = name, [], set(), {}, False

    def fail(self, message: str) -> None:
        raise AssertionError(f"{self.name}:{self.getpos()[0]}: {message}")

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.fail(f"<{tag}> has an attribute twice: {names}")
        for name, value in attrs:
            if name == "id":
                if value in self.ids:
                    self.fail(f"id {value!r} used twice")
                self.ids.add(value)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.open and self.open[-1] == tag:
            self.open.pop()  # <svg/>-style self-closing, in foreign content

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if tag not in self.open:
            self.fail(f"</{tag}> closes nothing open ({self.open[-3:]})")
        while self.open[-1] != tag:
            if self.open[-1] not in self.OPTIONAL_END:
                self.fail(f"</{tag}> while <{self.open[-1]}> is open")
            self.open.pop()
        self.open.pop()

    def check(self, html: str) -> None:
        self.feed(html)
        self.close()
        left = [tag for tag in self.open if tag not in self.OPTIONAL_END]
        if left:
            self.fail(f"never closed: {left}")
        if not self.doctype or any(self.counts.get(tag) != 1 for tag in ("html", "head", "body")):
            self.fail(f"expected a doctype and one html, head and body: {self.counts}")


def check_output(output: Path) -> None:
    """Every feed, XML file and HTML page of a built site is valid (as far as the checks reach)."""
    for path in sorted(output.rglob("*")):
        rel = path.relative_to(output).as_posix()
        if path.suffix == ".html":
            html = path.read_text(encoding="utf-8")
            assert not any(c < " " and c not in "\t\n\r" for c in html), f"{rel}: a control character"
            _HtmlChecker(rel).check(html)
        elif path.suffix == ".xml":
            ET.parse(path)  # well-formed
            if path.name in ("feed.xml", "atom.xml"):
                parsed = feedparser.parse(path.read_bytes())
                assert not parsed.bozo, f"{rel}: {parsed.bozo_exception}"
        elif path.name == "feed.json":
            errors = [
                f"{'/'.join(map(str, e.path))}: {e.message}"
                for e in FEED_VALIDATOR.iter_errors(json.loads(path.read_bytes()))
            ]
            assert not errors, f"{rel}: {errors[:3]}"


@settings(
    max_examples=FUZZ_EXAMPLES or 12,
    derandomize=not FUZZ_EXAMPLES,
    deadline=None,
    database=None if not FUZZ_EXAMPLES else settings.default.database,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(files=sites(), edit=edits)
def test_random_sites_build_validly_and_incrementally_as_cold(files: dict[str, str | bytes], edit: Edit) -> None:
    with tempfile.TemporaryDirectory() as folder:
        site, cold = Path(folder) / "site", Path(folder) / "cold"
        write_files(site, {"site.toml": SITE_TOML, **files})
        first = build(site)
        if isinstance(first, Path):
            check_output(first)
        edit.apply(site)
        again = build(site)
        shutil.copytree(site / "content", cold / "content", symlinks=True)
        (cold / "site.toml").write_text(SITE_TOML, encoding="utf-8")
        if (site / ".homepost" / PUBLISHED_FILE).exists():  # what the site published: deleted posts' tombstones
            (cold / ".homepost").mkdir()
            shutil.copy2(site / ".homepost" / PUBLISHED_FILE, cold / ".homepost" / PUBLISHED_FILE)
        fresh = build(cold, use_cache=False)
        if isinstance(fresh, HomepostError):
            assert isinstance(again, HomepostError) and {str(p) for p in again.problems} == {
                str(p) for p in fresh.problems
            }
            return
        assert isinstance(again, Path), str(again)
        check_output(fresh)
        assert snapshot(again) == snapshot(fresh)


def test_a_note_without_title_or_text_gets_valid_feeds(tmp_path: Path) -> None:
    write_files(tmp_path, {"site.toml": SITE_TOML, "content/posts/2026-01-01-note.md": "---\ntags: [a]\n---\n"})
    check_output(build_site(tmp_path, BuildOptions(now=NOW, jobs=1)).output)


def test_the_json_feed_schema_refuses_what_the_spec_forbids() -> None:
    good = {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "1", "content_text": "x"}]}
    assert FEED_VALIDATOR.is_valid(good)
    for bad in (
        {**good, "version": "https://jsonfeed.org/version/1"},
        {**good, "items": [{"id": "1"}]},  # neither content_html nor content_text
        {**good, "items": [{"id": "1", "content_text": "x", "date_published": "May 1st"}]},
        {**good, "authors": [{}]},
        {**good, "unknown": 1},
    ):
        assert not FEED_VALIDATOR.is_valid(bad), bad
    assert FEED_VALIDATOR.is_valid({**good, "_homepost": {"any": "thing"}})


@pytest.mark.parametrize(
    "html, message",
    [
        ("<!doctype html><html><head></head><body><div></span></div></body></html>", "</span> closes nothing open"),
        ("<!doctype html><html><head></head><body><div><em></div></body></html>", "</div> while <em> is open"),
        ("<!doctype html><html><head></head><body><a id=x></a><b id=x></b></body></html>", "id 'x' used twice"),
        ("<!doctype html><html><head></head><body><img alt=a alt=b></body></html>", "an attribute twice"),
        ("<html><head></head><body></body></html>", "expected a doctype"),
    ],
)
def test_the_html_checker_catches_what_it_claims(html: str, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        _HtmlChecker("page.html").check(html)
    _HtmlChecker("page.html").check(
        "<!doctype html><html><head><meta charset=utf-8></head><body><p>a<p>b<ul><li>c</ul></body></html>"
    )
