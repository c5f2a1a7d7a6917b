"""A WordPress export (WXR): posts and pages, their categories, tags, states, images and comments.

The file is untrusted: it is parsed by defusedxml, which refuses a DTD, entities and external
references (a "billion laughs" or an entity reading a local file) with an error naming the file.
Nothing is fetched: images stay at their remote URL unless `--uploads DIR` holds a copy.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from generator.errors import ContentError, Problem
from generator.importers.html2md import drop_block_comments, html_to_markdown
from generator.importers.model import Comment, CopiedFile, Entry, ImportedSite, Kind
from generator.importers.sources import last_segment, naive_utc, safe_segment
from generator.text import slugify

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
EXCERPT = "{http://wordpress.org/export/%s/excerpt/}encoded"
MAX_BYTES = 500_000_000
_SHORTCODE = re.compile(r"\[(caption|gallery|embed|audio|video|playlist|wp_caption|contact-form-7|wpvideo)\b[^\]]*\]")
_UPLOAD = re.compile(r"https?://[^\s\"'<>()]+?/wp-content/uploads/([^\s\"'<>()?#]+)")
_CAPTION = re.compile(r"\[caption\b[^\]]*\](.*?)\[/caption\]", re.S)
_CAPTIONED = re.compile(r"^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", re.S)
_EMBED = re.compile(r"\[embed\b[^\]]*\](https?://[^\[\s]+)\[/embed\]")


def parse(path: Path) -> Element:
    """The export's root element; ContentError naming the file when it is not a safe, well-formed WXR file."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ContentError(Problem(str(path), f"larger than {MAX_BYTES // 1_000_000} MB; split the export"))
        data = path.read_bytes()
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise ContentError(
            Problem(
                str(path),
                f"refused: the file declares a DTD, entities or external references ({type(exc).__name__}); "
                "a WordPress export has none",
            )
        ) from None
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise ContentError(Problem(str(path), f"not well-formed XML ({exc})", line=line)) from None
    except OSError as exc:
        raise ContentError(Problem(str(path), f"cannot be read ({exc.strerror})")) from None
    if root.tag != "rss" or root.find("channel") is None:
        raise ContentError(Problem(str(path), "expected a WordPress export (WXR): an <rss> file with a <channel>"))
    return root


def read_site(source: Path, uploads: Path | None, now: dt.datetime) -> ImportedSite:
    """Read a WordPress export into an ImportedSite."""
    root = parse(source)
    text = source.read_text(encoding="utf-8", errors="replace")
    version = re.search(r"http://wordpress\.org/export/(1\.\d)/", text)
    wp = "{http://wordpress.org/export/%s/}" % (version.group(1) if version else "1.2")
    channel = root.find("channel")
    assert channel is not None  # parse() checked it
    site = ImportedSite("wordpress")
    site.title = _text(channel, "title")
    site.url = (_text(channel, "link") or _text(channel, f"{wp}base_blog_url")).rstrip("/")
    site.language = _text(channel, "language").split("-")[0].lower()
    base = urlsplit(site.url).path.rstrip("/")
    starts = {m.group(1): m.start() for m in re.finditer(r"<wp:post_id>(\d+)</wp:post_id>", text)}
    lines = {post_id: text.count("\n", 0, at) + 1 for post_id, at in starts.items()}
    name = source.name
    attachments = {
        _text(i, f"{wp}post_id"): _text(i, f"{wp}attachment_url")
        for i in channel.findall("item")
        if _text(i, f"{wp}post_type") == "attachment"
    }
    remote: set[str] = set()  # images left at their URL
    for item in channel.findall("item"):
        kind = _text(item, f"{wp}post_type")
        post_id = _text(item, f"{wp}post_id")
        line = lines.get(post_id)
        if kind == "attachment":
            site.count("attachments")
            continue
        if kind not in ("post", "page"):
            site.count("skipped")
            continue
        entry = _entry(item, wp, version.group(1) if version else "1.2", base, name, line, now, site)
        if entry is None:
            continue
        entry.body = _uploads(entry.body, uploads, site, remote)
        if cover := attachments.get(_meta(item, wp, "_thumbnail_id")):
            entry.front["image"] = _uploads(cover, uploads, site, remote)
        start = text.rfind("<item", 0, starts.get(post_id, 0))
        _own_images(f"{entry.body}\n{entry.front.get('image', '')}", text, max(start, 0), uploads, name, entry, site)
        entry.comments = _comments(item, wp, site)
        site.entries.append(entry)
    if remote:
        site.count("remote images", len(remote))
    site.taxonomy_paths = {"tags": "/tag/{term}/", "categories": "/category/{term}/"}  # WordPress's default bases
    nicenames = {
        c.text: safe_segment(unquote(c.get("nicename") or ""))
        for c in channel.iter("category")
        if c.text and c.get("domain") in ("post_tag", "category")
    }
    site.term_slug = lambda term: nicenames.get(term) or slugify(term)
    return site


def _entry(
    item: Element, wp: str, version: str, base: str, where: str, line: int | None, now: dt.datetime, site: ImportedSite
) -> Entry | None:
    """One post or page of the export (`where` names the file, `line` the item's)."""
    status = _text(item, f"{wp}status")
    title = _text(item, "title")
    what = f"item {_text(item, f'{wp}post_id')} ({title!r})"
    if status in ("trash", "auto-draft", "inherit"):
        site.count("skipped")
        return None
    kind: Kind = "post" if _text(item, f"{wp}post_type") == "post" else "page"
    date = _local(_date(_text(item, f"{wp}post_date_gmt"), utc=True), _date(_text(item, f"{wp}post_date"), utc=False))
    link = _text(item, "link")
    old = unquote(urlsplit(link).path) if link and not urlsplit(link).query else ""
    if link and urlsplit(link).query and status == "publish":
        site.note(where, line, f"{link}: an address with a query (plain permalinks) cannot be kept by a static site")
    if old and base and old.startswith(base + "/"):
        old = old[len(base) :]
    slug = last_segment(old) or safe_segment(unquote(_text(item, f"{wp}post_name"))) or slugify(title)
    slug = slug or f"post-{safe_segment(_text(item, f'{wp}post_id'))}"
    front: dict[str, Any] = {}
    if title:
        front["title"] = title
    if date is not None:
        front["date"] = date
    front["slug"] = slug
    for domain, key in (("category", "categories"), ("post_tag", "tags")):
        terms = [c.text or "" for c in item.findall("category") if c.get("domain") == domain and c.text]
        if terms:
            front[key] = list(dict.fromkeys(terms))
    draft = status in ("draft", "pending", "private") or bool(_text(item, f"{wp}post_password"))
    if draft:
        front["draft"] = True
    if status == "private":
        site.note(where, line, f"{what} is private: imported as a draft")
        site.count("private")
    if _text(item, f"{wp}post_password"):
        site.note(where, line, f"{what} is password-protected: imported as a draft (Homepost has no passwords)")
    if _text(item, f"{wp}is_sticky") == "1":
        site.note(where, line, f"{what} was sticky: Homepost has no pinned posts; it is shown by its date")
        site.count("sticky")
    if status == "future":
        site.count("scheduled")
    excerpt = _text(item, EXCERPT % version)
    if excerpt:
        summary, lossless = html_to_markdown(excerpt)
        front["summary"] = summary.strip() if lossless else excerpt
    content = _shortcodes(_text(item, CONTENT), where, line, what, site)
    body, _ = html_to_markdown(content)
    if date is None and kind == "post":
        date = now.replace(microsecond=0, tzinfo=None)
        front["date"] = date
    public = status == "publish" and not draft and (date is None or naive_utc(date) <= naive_utc(now))
    folder = "posts" if kind == "post" else "pages"
    name = f"{date.date().isoformat()}-{slug}" if kind == "post" and date else slug
    return Entry(
        kind,
        f"content/{folder}/{name}.md",
        f"{where} {what}",
        slug,
        date if kind == "post" else None,
        front,
        body,
        old or None,
        public,
    )


def _shortcodes(content: str, where: str, line: int | None, what: str, site: ImportedSite) -> str:
    """`[embed]URL[/embed]` as a link; other shortcodes left and noted."""
    content = _EMBED.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', drop_block_comments(content))
    content = _CAPTION.sub(_figure, content)
    for match in _SHORTCODE.finditer(content):
        site.note(where, line, f"{what}: shortcode [{match.group(1)}] not converted")
    return content


def _figure(match: re.Match[str]) -> str:
    """`[caption]<img …> Text[/caption]` as an HTML figure; left as it is when it holds no image."""
    found = _CAPTIONED.match(match.group(1))
    if found is None:
        return match.group(0)
    caption = found.group(2).strip()
    return (
        f"<figure>{found.group(1)}<figcaption>{caption}</figcaption></figure>"
        if caption
        else f"<figure>{found.group(1)}</figure>"
    )


def _uploads(body: str, uploads: Path | None, site: ImportedSite, remote: set[str]) -> str:
    """Images in the uploads folder copied to static/wp-content/uploads/ and linked there; the rest stay remote."""

    def replace(match: re.Match[str]) -> str:
        rel = unquote(match.group(1))
        found = uploads / rel if uploads is not None and ".." not in rel.split("/") else None
        if found is None or not found.is_file():
            remote.add(match.group(0))
            return match.group(0)
        copied = CopiedFile(found, f"static/wp-content/uploads/{rel}")
        if copied not in site.files:
            site.files.append(copied)
        return f"/wp-content/uploads/{match.group(1)}"

    return _UPLOAD.sub(replace, body)


def _own_images(
    converted: str, text: str, start: int, uploads: Path | None, where: str, entry: Entry, site: ImportedSite
) -> None:
    """Each image of the old site's own uploads still linked at its old host noted, with the line it is on.

    The new site takes the old host's place, so these links break: the note says how to copy them."""
    host = urlsplit(site.url).hostname
    what = entry.source.removeprefix(where + " ")
    hint = "pass --uploads DIR (a copy of wp-content/uploads)" if uploads is None else "not in the --uploads folder"
    for url in dict.fromkeys(m.group(0) for m in _UPLOAD.finditer(converted)):
        if host and urlsplit(url).hostname == host:
            at = text.find(url, start)
            line = text.count("\n", 0, at) + 1 if at >= 0 else None
            site.note(where, line, f"{what}: image {url} not copied: {hint}")


def _comments(item: Element, wp: str, site: ImportedSite) -> list[Comment]:
    """The approved comments of an item; pending, spam and pings are counted for the report."""
    found = []
    for node in item.findall(f"{wp}comment"):
        approved = _text(node, f"{wp}comment_approved")
        kind = _text(node, f"{wp}comment_type")
        if approved == "spam":
            site.count("spam comments")
        elif approved == "0":
            site.count("pending comments")
        elif approved != "1":
            site.count("skipped")
        elif kind in ("pingback", "trackback"):
            site.count(f"{kind}s")
        else:
            found.append(
                Comment(
                    id=_text(node, f"{wp}comment_id"),
                    author=_text(node, f"{wp}comment_author"),
                    author_url=_text(node, f"{wp}comment_author_url"),
                    published=_date(_text(node, f"{wp}comment_date_gmt"), utc=True)
                    or _date(_text(node, f"{wp}comment_date"), utc=False),
                    html=_paragraphs(_text(node, f"{wp}comment_content")),
                    parent=_parent(_text(node, f"{wp}comment_parent")),
                    old_url=f"{_text(item, 'link')}#comment-{_text(node, f'{wp}comment_id')}"
                    if _text(item, "link")
                    else "",
                )
            )
    return found


def _local(utc: dt.datetime | None, local: dt.datetime | None) -> dt.datetime | None:
    """The post's time with the blog's offset then, so that its date is the one its old URL shows."""
    if utc is None or local is None:
        return utc or local
    offset = local - utc.replace(tzinfo=None)
    if abs(offset) > dt.timedelta(hours=14) or offset % dt.timedelta(minutes=15):
        return utc
    return local.replace(tzinfo=dt.timezone(offset))


def _meta(item: Element, wp: str, key: str) -> str:
    """One `wp:postmeta` value of an item ("" when it has none)."""
    for meta in item.findall(f"{wp}postmeta"):
        if _text(meta, f"{wp}meta_key") == key:
            return _text(meta, f"{wp}meta_value")
    return ""


def _parent(value: str) -> str:
    """The id of the comment answered; "" for WordPress's 0 (none)."""
    return "" if value in ("", "0") else value


def _paragraphs(content: str) -> str:
    """A comment as HTML: WordPress stores plain text with blank lines between paragraphs."""
    if re.search(r"<(p|br|div|ul|ol|blockquote)\b", content, re.I):
        return content
    paragraphs = [p.strip().replace("\n", "<br>") for p in re.split(r"\n\s*\n", content) if p.strip()]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _text(node: Element, tag: str) -> str:
    found = node.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _date(value: str, utc: bool) -> dt.datetime | None:
    """A WordPress time (`2024-05-01 10:00:00`); None for the empty `0000-00-00 00:00:00`."""
    if not value or value.startswith("0000"):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if utc else moment
