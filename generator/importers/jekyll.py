"""A Jekyll site: `_posts/` and `_drafts/`, pages, Liquid tags, static files, and its URLs.

Old URLs follow Jekyll's rules: a post's `permalink:`, else `_config.yml`'s `permalink` (a style,
`date`, `pretty`, `ordinal`, `weekdate`, `none`, or a pattern), categories in the path.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from generator.errors import ContentError, Problem
from generator.importers.markup import convert_liquid
from generator.importers.model import CopiedFile, Entry, ImportedSite
from generator.importers.sources import (
    MARKDOWN,
    as_date,
    as_list,
    convert_front,
    last_segment,
    more,
    naive_utc,
    read_text,
    resolver,
    split_front_matter,
)

STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
EXCLUDED = {
    "Gemfile",
    "Gemfile.lock",
    "node_modules",
    "vendor",
    "README.md",
    "LICENSE",
    "package.json",
    "package-lock.json",
    "Rakefile",
}
JEKYLL_FOLDERS = {"_layouts", "_includes", "_sass", "_data", "_site", "_plugins", ".git", ".github", ".jekyll-cache"}
_POST_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")


def old_path(pattern: str, date: dt.datetime, title: str, categories: list[str]) -> str:
    """A post's URL path from a Jekyll permalink pattern."""
    values = {
        "year": f"{date.year:04d}",
        "short_year": f"{date.year % 100:02d}",
        "month": f"{date.month:02d}",
        "i_month": str(date.month),
        "day": f"{date.day:02d}",
        "i_day": str(date.day),
        "y_day": f"{date.timetuple().tm_yday:03d}",
        "hour": f"{date.hour:02d}",
        "minute": f"{date.minute:02d}",
        "second": f"{date.second:02d}",
        "title": title,
        "slug": title,
        "output_ext": ".html",
        "categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
        "week": f"{date.isocalendar()[1]:02d}",
        "short_day": date.strftime("%a"),
    }
    path = re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
    path = re.sub(r"/+", "/", "/" + path)
    return path


def page_path(rel: str, style: str, data: dict[str, Any]) -> str:
    """A page's URL path: its `permalink:`, else its path (`.html`, or `/` with the pretty style)."""
    if isinstance(data.get("permalink"), str):
        return "/" + data["permalink"].lstrip("/")
    stem = re.sub(r"\.[^./]+$", "", rel)
    if stem.endswith("index"):
        return "/" + stem[: -len("index")]
    return f"/{stem}/" if style in ("pretty",) or style.endswith("/") else f"/{stem}.html"


def permalink(pattern: str) -> str | None:
    """The Homepost permalink giving these old post URLs (`:categories` as `{category}`, `.html`), when one can."""
    tokens = {
        ":year": "{year}",
        ":month": "{month}",
        ":day": "{day}",
        ":title": "{slug}",
        ":slug": "{slug}",
        ":categories": "{category}",
        ":output_ext": ".html",
    }
    made = re.sub(r":\w+", lambda m: tokens.get(m.group(0), "\0"), pattern)
    made = re.sub("/{2,}", "/", "/" + made)
    return made if "\0" not in made and made.endswith(("/", ".html")) and made.count("{slug}") == 1 else None


def read_site(root: Path, uploads: Path | None, now: dt.datetime) -> ImportedSite:
    """Read a Jekyll site folder into an ImportedSite."""
    site = ImportedSite("jekyll")
    if not root.is_dir() or not any((root / name).exists() for name in ("_config.yml", "_posts", "_drafts")):
        raise ContentError(Problem(str(root), "not a Jekyll site: it has no _config.yml and no _posts/ folder"))
    config: dict[str, Any] = {}
    if (root / "_config.yml").is_file():
        try:
            loaded = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
            config = loaded if isinstance(loaded, dict) else {}
        except yaml.YAMLError as exc:
            site.note("_config.yml", None, f"could not be read ({' '.join(str(exc).split())[:200]}); defaults used")
    site.title, site.language = str(config.get("title", "")), str(config.get("lang", ""))
    site.url = str(config.get("url", "")).rstrip("/") + str(config.get("baseurl", "") or "")
    site.timezone = str(config.get("timezone", "") or "")
    style = str(config.get("permalink", "date"))
    pattern = STYLES.get(style, style)
    site.permalink = permalink(pattern)
    excluded = EXCLUDED | set(as_list(config.get("exclude")))
    bodies: dict[str, tuple[str, int, str]] = {}  # source file -> (body, its first line, the excerpt separator)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        parts = rel.split("/")
        if not path.is_file() or path.is_symlink() or parts[0] in excluded or rel in excluded:
            continue
        in_posts = "_posts" in parts[:-1] or "_drafts" in parts[:-1]
        if any(p.startswith((".", "_")) for p in parts) and not in_posts:
            if parts[0] not in JEKYLL_FOLDERS and path.suffix.lower() in MARKDOWN:
                site.note(rel, None, f"in {parts[0]}/ (a collection?): not imported")
                site.count("skipped")
            continue
        text = None
        if path.suffix.lower() in MARKDOWN or (path.suffix.lower() == ".html" and in_posts):
            text = read_text(path, site, rel)
            if text is None:
                continue
        elif path.suffix.lower() in (".html", ".scss", ".sass", ".css", ".xml", ".json", ".txt") and _has_front(path):
            site.note(rel, 1, "a file with front matter Jekyll renders through Liquid: not converted")
            site.count("skipped")
            continue
        if text is None:
            site.files.append(CopiedFile(path, f"static/{rel}"))
            continue
        data, body, first, problem = split_front_matter(text)
        if problem:
            site.note(rel, 1, problem + ": skipped")
            site.count("skipped")
            continue
        if not in_posts and not text.startswith(("---", "+++")):
            site.files.append(CopiedFile(path, f"static/{rel}"))  # no front matter: Jekyll copies it as it is
            continue
        front = convert_front(data, text, rel, site, split=True)
        if in_posts:
            entry = _post(path, rel, parts, data, front, pattern, now, site)
        elif rel in ("index.md", "index.markdown"):
            site.note(rel, None, "the home page is not imported: Homepost makes its own")
            site.count("skipped")
            continue
        else:
            old = page_path(rel, style, data)
            slug = last_segment(old) or path.stem
            front["slug"] = slug
            entry = Entry("page", f"content/pages/{slug}.md", rel, slug, None, front, body, old)
        if entry is not None:
            site.entries.append(entry)
            bodies[entry.source] = (
                body,
                first,
                str(data.get("excerpt_separator") or config.get("excerpt_separator") or ""),
            )
    posts = resolver(site.entries, _keys)
    copied = {f.rel.removeprefix("static/") for f in site.files}

    def links(reference: str) -> str | None:  # a post or page, else a file copied as it is
        return posts(reference) or (
            "/" + reference.strip().lstrip("/") if reference.strip().lstrip("/") in copied else None
        )

    for entry in site.entries:
        body, first, separator = bodies[entry.source]
        if separator:
            body = body.replace(separator, "<!-- more -->", 1)
        entry.body = more(convert_liquid(body, entry.source, first, links, {**config}, site.notes))
    return site


def _post(
    path: Path,
    rel: str,
    parts: list[str],
    data: dict[str, Any],
    front: dict[str, Any],
    pattern: str,
    now: dt.datetime,
    site: ImportedSite,
) -> Entry | None:
    """A post of `_posts/` or `_drafts/`."""
    draft = "_drafts" in parts
    named = _POST_NAME.match(path.stem)
    title = named.group(4) if named else path.stem
    date = as_date(data.get("date"))
    if date is None and named:
        date = dt.datetime(int(named.group(1)), int(named.group(2)), int(named.group(3)))
    if date is None:
        if not draft:
            site.note(rel, None, "a post without a date (neither in its name nor its front matter): skipped")
            site.count("skipped")
            return None
        date = now.replace(microsecond=0)
    folder_categories = list(parts[: parts.index("_drafts" if draft else "_posts")])
    categories = folder_categories + as_list(data.get("categories") or data.get("category"), split=True)
    if categories:
        front["categories"] = list(dict.fromkeys(categories))
    if data.get("published") is False:
        front["draft"] = True
        site.note(rel, None, "published: false: imported as a draft")
    if draft:
        front["draft"] = True
    slug_title = str(data.get("slug") or title)
    if isinstance(data.get("permalink"), str):
        old = old_path(data["permalink"], date, slug_title, categories)
    else:
        old = old_path(pattern, date, slug_title, categories)
    slug = last_segment(old) or slug_title
    front["date"] = date
    front["slug"] = slug
    public = not front.get("draft") and naive_utc(date) <= naive_utc(now)
    return Entry("post", f"content/posts/{path.stem}.md", rel, slug, date, front, "", old, public)


def _keys(entry: Entry) -> list[str]:
    """How post_url and link may name an entry: `2010-07-21-name`, or its path in the Jekyll site."""
    stem = re.sub(r"\.[^./]+$", "", entry.source)
    return [entry.source, stem.rsplit("/", 1)[-1], stem]


def _has_front(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) in (b"---\n", b"---\r")
    except OSError:
        return False
