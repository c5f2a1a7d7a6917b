"""A Hugo site: `content/` (TOML, YAML or JSON front matter, shortcodes), `static/`, and its URLs.

Old URLs follow Hugo's rules: a post's `url:`, else the section's `permalinks` pattern, else
`/<section>/<slug or file name>/` (`.html` with `uglyURLs`), lower-cased as Hugo does.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator.errors import ContentError, Problem
from generator.importers.markup import convert_hugo
from generator.importers.model import CopiedFile, Entry, ImportedSite, Kind
from generator.importers.sources import (
    MARKDOWN,
    as_date,
    convert_front,
    copy_tree,
    last_segment,
    more,
    naive_utc,
    read_text,
    resolver,
    split_front_matter,
)

CONFIGS = ("hugo.toml", "config.toml", "hugo.yaml", "config.yaml", "hugo.yml", "config.yml", "hugo.json", "config.json")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_TOKENS = {
    ":year": "{year}",
    ":month": "{month}",
    ":day": "{day}",
    ":slug": "{slug}",
    ":title": "{slug}",  # the slug is the old path's last segment, whatever made it
    ":filename": "{slug}",
    ":slugorfilename": "{slug}",
    ":contentbasename": "{slug}",
    ":slugorcontentbasename": "{slug}",
}


def read_config(root: Path, site: ImportedSite) -> dict[str, Any]:
    """The site's Hugo configuration (the first config file found), {} when there is none."""
    for name in [*CONFIGS, *(f"config/_default/{n}" for n in CONFIGS)]:
        path = root / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
            data = (
                tomllib.loads(text)
                if name.endswith(".toml")
                else json.loads(text)
                if name.endswith(".json")
                else yaml.safe_load(text)
            )
        except (tomllib.TOMLDecodeError, yaml.YAMLError, ValueError) as exc:
            site.note(name, None, f"could not be read ({' '.join(str(exc).split())[:200]}); defaults used")
            return {}
        return {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}
    return {}


def hugo_path(text: str, lower: bool = True) -> str:
    """A path as Hugo makes it: spaces to dashes, unsafe characters dropped, lower-cased."""
    text = re.sub(r"\s+", "-", text.strip())
    text = "".join(ch for ch in text if ch.isalnum() or ch in "./_-#+~")
    return text.lower() if lower else text


def old_path(data: dict[str, Any], section: str, name: str, date: dt.datetime | None, config: dict[str, Any]) -> str:
    """The URL path Hugo gave this content file."""
    lower = not config.get("disablepathtolower", False)
    if isinstance(data.get("url"), str) and data["url"]:
        url = data["url"]
        return url if url.startswith("/") else "/" + url
    slug = str(data.get("slug") or "")
    permalinks = _permalinks(config)
    nested = permalinks.get("page")
    pattern = (
        permalinks.get(section) or (nested.get(section) if isinstance(nested, dict) else None) if section else None
    )
    if isinstance(pattern, str):
        title = hugo_path(str(data.get("title") or name), lower)
        values = {
            ":slugorcontentbasename": slug or name,
            ":slugorfilename": slug or name,
            ":contentbasename": name,
            ":filename": name,
            ":slug": slug or title,
            ":title": title,
            ":sections": section,
            ":section": section,
            ":year": f"{date.year:04d}" if date else "",
            ":monthname": _MONTHS[date.month - 1] if date else "",
            ":month": f"{date.month:02d}" if date else "",
            ":day": f"{date.day:02d}" if date else "",
            ":yearday": str(date.timetuple().tm_yday) if date else "",
        }
        path = re.sub(r":[a-z]+", lambda m: values.get(m.group(0), m.group(0)), pattern)
    else:
        path = "/".join(p for p in (section, slug or name) if p) + "/"
    path = "/" + hugo_path(path, lower).lstrip("/")
    if config.get("uglyurls") and path.endswith("/") and path != "/":
        path = path.rstrip("/") + ".html"
    return path


def permalink(config: dict[str, Any], section: str) -> str | None:
    """The Homepost permalink giving the main section's old URLs (`.html` with `uglyURLs`), when one can."""
    pattern = _permalinks(config).get(section)
    if not isinstance(pattern, str):
        made = f"/{section}/{{slug}}/" if section else ""
    else:
        made = re.sub(r":[a-z]+", lambda m: _TOKENS.get(m.group(0), "\0"), pattern.replace(":section", section))
    if config.get("uglyurls") and made.endswith("/"):
        made = made.rstrip("/") + ".html"
    return made if made and "\0" not in made and made.count("{slug}") == 1 else None


def read_site(root: Path, uploads: Path | None, now: dt.datetime) -> ImportedSite:
    """Read a Hugo site folder into an ImportedSite."""
    site = ImportedSite("hugo")
    config = read_config(root, site)
    site.title, site.url = str(config.get("title", "")), str(config.get("baseurl", ""))
    site.language = str(config.get("languagecode", "") or config.get("defaultcontentlanguage", ""))
    site.timezone = str(config.get("timezone", ""))
    content = root / str(config.get("contentdir", "content"))
    if not content.is_dir():
        raise ContentError(Problem(str(root), f"not a Hugo site: it has no {content.name}/ folder"))
    texts: dict[str, tuple[str, int]] = {}  # source file -> (body, first line)
    sections: dict[str, int] = {}
    for path in sorted(content.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        file = path.relative_to(root).as_posix()
        rel = PurePosixPath(path.relative_to(content).as_posix())
        if path.suffix.lower() not in MARKDOWN:
            if not any((d / "index.md").exists() for d in path.parents if content in d.parents):
                if path.suffix.lower() in (".rst", ".adoc", ".org", ".html", ".pandoc"):
                    site.note(file, None, f"{path.suffix} content is not converted (Homepost reads Markdown)")
                    site.count("skipped")
                else:
                    site.files.append(CopiedFile(path, f"content/{rel.as_posix()}"))
            continue
        if path.stem == "_index":
            site.note(file, None, "a section's list page (_index) is not imported: Homepost makes its own lists")
            site.count("skipped")
            continue
        text = read_text(path, site, file)
        if text is None:
            continue
        data, body, first, problem = split_front_matter(text)
        if problem:
            site.note(file, 1, problem + ": skipped")
            site.count("skipped")
            continue
        languages = config.get("languages")
        if isinstance(languages, dict) and (lang := re.search(r"\.([a-z]{2}(?:-[a-z]+)?)$", path.stem, re.I)):
            site.note(
                file,
                None,
                f"a translation ({lang.group(1)}): imported as a post of its own; its old URL "
                "(under the language's folder) is not worked out",
            )
        bundle = path.stem == "index"
        name = rel.parent.name if bundle else path.stem
        section = rel.parts[0] if len(rel.parts) > (2 if bundle else 1) else ""
        date = as_date(data.get("date")) or as_date(data.get("publishDate") or data.get("publishdate"))
        publish = as_date(data.get("publishDate") or data.get("publishdate"))
        if publish is not None and date is not None and naive_utc(publish) > naive_utc(date):
            date = publish  # published later than its date: Homepost waits for the later one
        kind: Kind = "post" if section and date is not None else "page"
        old = old_path(data, section, name, date, config)
        front = convert_front(data, text, file, site)
        if date is not None:
            front["date"] = date
        expiry = as_date(data.get("expiryDate") or data.get("expirydate"))
        if expiry is not None and naive_utc(expiry) < naive_utc(now):
            front["draft"] = True
            site.note(file, None, f"expired on {expiry.date()} (expiryDate): imported as a draft")
        slug = last_segment(old) or name
        front["slug"] = slug
        folder = "posts" if kind == "post" else "pages"
        target = f"content/{folder}/{name}/index.md" if bundle else f"content/{folder}/{name}.md"
        public = not front.get("draft") and (date is None or naive_utc(date) <= naive_utc(now))
        site.entries.append(Entry(kind, target, file, slug, date, front, body, old, public))
        texts[file] = (body, first)
        if kind == "post":
            sections[section] = sections.get(section, 0) + 1
        if bundle:
            for extra in sorted(path.parent.rglob("*")):
                if extra.is_file() and extra != path and extra.suffix.lower() not in MARKDOWN:
                    site.files.append(
                        CopiedFile(extra, f"content/{folder}/{name}/{extra.relative_to(path.parent).as_posix()}")
                    )
    main = max(sections, key=lambda s: sections[s]) if sections else ""
    site.permalink = permalink(config, main)
    site.taxonomy_paths, site.term_slug = _taxonomy_paths(config), hugo_path
    links = resolver(site.entries, _keys)
    for entry in site.entries:
        body, first = texts[entry.source]
        entry.body = more(convert_hugo(body, entry.source, first, links, site.notes))
    copy_tree(root / str(config.get("staticdir", "static")), "static", site)
    return site


def _taxonomy_paths(config: dict[str, Any]) -> dict[str, str]:
    """Where Hugo put the tags and categories pages (`/tags/x/`, `/tags/x.html` with `uglyURLs`), as patterns."""
    table = config.get("taxonomies")
    names = (
        {str(v): str(k) for k, v in table.items()}
        if isinstance(table, dict)
        else {"tags": "tag", "categories": "category"}
    )
    end = ".html" if config.get("uglyurls") else "/"
    return {key: f"/{key}/{{term}}{end}" for key in ("tags", "categories") if key in names}


def _permalinks(config: dict[str, Any]) -> dict[str, Any]:
    """The `permalinks` table by section (lower-cased), {} when there is none or it is not a table."""
    table = config.get("permalinks")
    return {str(k).lower(): v for k, v in table.items()} if isinstance(table, dict) else {}


def _keys(entry: Entry) -> list[str]:
    """How a ref or relref may name an entry: its path under content/, with or without the extension, or its name."""
    under = entry.source.split("/", 1)[1] if "/" in entry.source else entry.source
    stem = re.sub(r"\.[^./]+$", "", under)
    keys = [under, stem, stem.rsplit("/", 1)[-1], under.rsplit("/", 1)[-1]]
    if stem.endswith("/index"):
        keys += [stem[: -len("/index")], stem[: -len("/index")].rsplit("/", 1)[-1]]
    return keys
