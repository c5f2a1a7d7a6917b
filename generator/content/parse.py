"""One Markdown file's bytes as a Source: its front matter checked, its date, slug and site path decided."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import unquote

from generator.config import Config
from generator.content.frontmatter import split
from generator.content.limits import without_control_characters
from generator.content.metadata import (
    Meta,
    check_meta,
    date_from_filename,
    missing_date_message,
    strip_date_prefix,
)
from generator.content.paths import site_path_of, title_slug
from generator.content.sources import Source, is_index
from generator.errors import HomepostError, Problem
from generator.model import Kind
from generator.text import slugify


def parse_source(
    config: Config, rel: str, kind: Kind, data: bytes, problems: list[Problem], warnings: list[Problem] | None = None
) -> Source | None:
    """The Source of one file's bytes, or None; its problems and (when asked) its warnings added to the lists."""
    display = f"content/{rel}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(display, f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return None
    text = without_control_characters(text, display)
    try:
        fm = split(text.replace("\r\n", "\n"), display, kind)
    except HomepostError as exc:
        problems.extend(exc.problems)
        return None
    targets = tuple(t.name for t in config.syndication.targets)
    meta = check_meta(fm, display, config.site.tz, tuple(t.key for t in config.taxonomies), problems, targets)
    if warnings is not None:
        warnings.extend(fm.warnings)
    pure = PurePosixPath(rel)
    is_bundle = is_index(pure.name) and len(pure.parts) > 2
    stem = pure.parent.name if is_bundle else pure.stem
    if meta.date is None:
        meta.date = date_from_filename(stem, config.site.tz)
    if kind == "post" and meta.date is None:
        if "date" not in fm.data:  # else its value was wrong, and said so
            problems.append(Problem(display, missing_date_message(stem), key="date"))
        return None
    slug = _slug(config, meta, stem, kind, pure)
    if not slug:
        problems.append(Problem(display, "cannot make a URL slug from the file name; set `slug:`", key="slug"))
        return None
    pattern = config.build.permalink if kind == "post" else config.build.page_permalink
    transliterate = config.build.transliterate
    site_path = unquote(meta.url) if meta.url else site_path_of(pattern, slug, meta, transliterate, display)
    bundle_dir = pure.parent.as_posix() if is_bundle else None
    return Source(rel, kind, meta, fm.body, slug, site_path, bundle_dir, meta.date, meta.draft, meta.expires)


def _slug(config: Config, meta: Meta, stem: str, kind: Kind, pure: PurePosixPath) -> str:
    """The slug of a file: its `slug:`, else from its title or file name; a page's keeps its folders."""
    if meta.slug:
        return meta.slug
    transliterate = config.build.transliterate
    slug = ""
    if config.build.slug_source == "title" and meta.title:
        slug = title_slug(meta.title, transliterate)
    if not slug:
        slug = slugify(strip_date_prefix(stem), transliterate, keep_dots=True)
    if kind == "page":
        # nested pages keep their folders: content/pages/projects/foo.md -> projects/foo
        folders = pure.parts[1:-2] if is_index(pure.name) else pure.parts[1:-1]
        slug = "/".join([slugify(f, transliterate, keep_dots=True) for f in folders] + [slug])
    return slug
