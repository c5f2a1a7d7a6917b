"""New sites, new posts, a theme's template to edit: `homepost init`, `homepost new`, `homepost theme copy`."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import shutil
import tempfile
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from generator.config import CONFIG_NAME, Config, load_config
from generator.errors import HomepostError, Problem
from generator.pipeline.build import BuildOptions, BuildResult, build_site
from generator.render import theme_dir
from generator.text import slugify

GITIGNORE = """\
# Homepost: the built site and local state (credentials, caches) stay out of git.
/public/
/.homepost/
/.venv/
"""

SITE_TOML = """\
# Homepost site configuration. Every key is documented in the README.

[site]
title = {title}
url = {url}               # the public address of the site; may include a path
description = ""
language = "en"
timezone = {timezone}     # dates without an offset are read in this zone

[site.author]
name = ""
url = ""
email = ""
avatar = ""               # a path under the site (images/me.png) or a URL
me = []                   # your profiles elsewhere, shown as rel=me links

[build]
output = "public"
permalink = "/{{year}}/{{month}}/{{slug}}/"
posts_per_page = 10

# Webmention: advertise an endpoint (webmention.io's, or `homepost receiver`'s /webmention).
# [webmention]
# endpoint = "https://webmention.io/example.com/webmention"

# Syndication: copy posts to your accounts elsewhere, then `homepost auth NAME` once per target.
# Credentials never go in this file.
# [syndication]
# default = ["mastodon"]
#
# [syndication.mastodon]
# platform = "mastodon"
# instance = "https://mastodon.social"

# Deploy: where `homepost deploy` and `homepost publish` put the built site.
# [deploy]
# method = "rsync"
# target = "me@example.com:/var/www/site/"
"""

FIRST_POST = """\
---
title: Hello, world
date: {date}
tags: [meta]
---

This is the first post of {title}. Edit it in `content/posts/`, then run `homepost build`.

<!-- more -->

Posts are Markdown with front matter. A post without a title is a note.
"""

ABOUT_PAGE = """\
---
title: About
menu: true
---

Write something about yourself here.
"""


def _quoted(value: str) -> str:
    """A double-quoted string, valid in both TOML and YAML."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def check_init_options(url: str, timezone: str) -> list[Problem]:
    """What is wrong with `homepost init`'s --url and --timezone, before anything is written."""
    problems = []
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        example = "https://" + url.split("://", 1)[-1].lstrip("/") if "." in url else "https://example.org"
        problems.append(Problem("--url", f"needs a scheme and a host, such as {example}; got {url!r}"))
    if timezone not in zoneinfo.available_timezones():
        hint = _zone_hint(timezone)
        problems.append(
            Problem("--timezone", f"must be an IANA time zone name like Asia/Shanghai; got {timezone!r}{hint}")
        )
    return problems


def _zone_hint(name: str) -> str:
    """ "; did you mean Asia/Shanghai?" for a name close to a known zone (or its city), else ""."""
    zones = sorted(zoneinfo.available_timezones())
    by_key = {zone.rsplit("/", 1)[-1].lower(): zone for zone in zones if "/" in zone}  # by city: "tokyo"
    by_key |= {zone.lower(): zone for zone in zones}
    key = name.strip().lower().replace(" ", "_")
    close = [key] if key in by_key else difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.8)
    return f"; did you mean {by_key[close[0]]}?" if close else ""


def init_site(
    folder: Path,
    title: str | None = None,
    url: str = "https://example.com/",
    timezone: str = "UTC",
    now: dt.datetime | None = None,
) -> list[Path]:
    """Create a new site in `folder`; return the files written.

    Every option is checked first, and the files are written into a temporary folder beside
    `folder`, then moved in: a failed init leaves `folder` as it was.
    """
    problems = check_init_options(url, timezone)
    if (folder / CONFIG_NAME).exists():
        problems.insert(0, Problem(str(folder / CONFIG_NAME), "a site already exists here; nothing was changed"))
    if problems:
        raise HomepostError(problems)
    title = title or folder.resolve().name.replace("-", " ").replace("_", " ").title() or "My Site"
    now = now or dt.datetime.now(dt.UTC)
    files = {
        CONFIG_NAME: SITE_TOML.format(title=_quoted(title), url=_quoted(url), timezone=_quoted(timezone)),
        ".gitignore": GITIGNORE,
        f"content/posts/{now:%Y-%m-%d}-hello-world.md": FIRST_POST.format(
            date=now.strftime("%Y-%m-%d %H:%M:%S%z"), title=title
        ),
        "content/pages/about.md": ABOUT_PAGE,
    }
    if folder.exists():
        if not folder.is_dir():
            raise HomepostError(Problem(str(folder), "exists and is not a folder; nothing was changed"))
        if (folder / ".gitignore").exists():  # the user's own stays
            del files[".gitignore"]
        taken = [rel for rel in files if (folder / rel).exists()]
        if taken:
            raise HomepostError([Problem(str(folder / rel), "already exists; nothing was changed") for rel in taken])
    try:
        return _write_site(folder, files)
    except OSError as exc:
        raise HomepostError(
            Problem(str(folder), f"cannot be written ({exc.strerror or exc}); nothing was changed")
        ) from None


def _write_site(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write `files` into a temporary folder beside `folder`, check them, then move them into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.init-", dir=folder.parent))
    try:
        for rel, text in files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        load_config(staging)  # what init wrote must be a valid site
        if not folder.exists():
            os.rename(staging, folder)
            return [folder / rel for rel in files]
        return _move_into(staging, folder, list(files))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_into(staging: Path, folder: Path, rels: list[str]) -> list[Path]:
    """Move the files `rels` from `staging` into the existing `folder`; on failure undo exactly that."""
    made: list[Path] = []
    try:
        for rel in rels:
            target = folder / rel
            for parent in reversed(target.relative_to(folder).parents[:-1]):
                if not (folder / parent).exists():
                    (folder / parent).mkdir()
                    made.append(folder / parent)
            os.rename(staging / rel, target)
            made.append(target)
    except OSError:
        for path in reversed(made):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
        raise
    return [folder / rel for rel in rels]


def new_content(
    config: Config, kind: str, title: str | None, draft: bool = False, now: dt.datetime | None = None
) -> Path:
    """Write a new post (a note when `title` is empty) or page with its front matter; return its path.

    A note is named after the time, with a counter when that name is taken; a post or page whose
    name is taken is refused. An existing file is never overwritten.
    """
    now = (now or dt.datetime.now(config.site.tz)).astimezone(config.site.tz).replace(microsecond=0)
    slug = slugify(title, config.build.transliterate) if title else ""
    if kind == "page":
        if not slug:
            raise HomepostError(Problem("homepost", "a page needs a title with letters or digits"))
        path = config.content_dir / "pages" / f"{slug}.md"
    else:
        path = config.content_dir / "posts" / f"{now:%Y-%m-%d}-{slug or now.strftime('%H%M%S')}.md"
    lines = ["---"]
    if title:
        lines.append(f"title: {_quoted(title)}")
    if kind == "post":
        lines += [f"date: {now.isoformat()}", "tags: []"]
    if draft:
        lines.append("draft: true")
    lines += ["---", "", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    counter = 1
    while True:
        try:
            with path.open("x", encoding="utf-8") as file:  # "x": never over an existing file
                file.write("\n".join(lines))
            return path
        except FileExistsError:
            if title:
                raise HomepostError(Problem(str(path), "already exists; nothing was changed")) from None
            counter += 1
            path = path.with_name(f"{now:%Y-%m-%d-%H%M%S}-{counter}.md")


@dataclass(frozen=True)
class NewSite:
    """What `homepost init` did: the files written, then the first build's result or its problems."""

    written: list[Path]
    built: BuildResult | None
    problems: list[Problem] = field(default_factory=list)  # why the first build failed


def create_site(
    folder: Path,
    title: str | None = None,
    url: str = "https://example.com/",
    timezone: str = "UTC",
    now: dt.datetime | None = None,
) -> NewSite:
    """Create a new site in `folder` (HomepostError if it cannot be), then build it once."""
    now = now or dt.datetime.now(dt.UTC)
    written = init_site(folder, title=title, url=url, timezone=timezone, now=now)
    try:
        return NewSite(written, build_site(folder, BuildOptions(now=now)))
    except HomepostError as exc:
        return NewSite(written, None, exc.problems)


def new_in_site(root: Path, kind: str, title: str | None, draft: bool = False, now: dt.datetime | None = None) -> Path:
    """Write a new post or page into the site in `root` (see new_content); return its path."""
    return new_content(load_config(root), kind, title, draft=draft, now=now)


def copy_template(root: Path, name: str) -> Path:
    """Copy the theme's template `name` into the site's templates/; refuse an unknown name or an existing copy."""
    config = load_config(root)
    folder = theme_dir(config) / "templates"
    known = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    name = name.removeprefix("templates/")
    if name not in known:
        raise HomepostError(Problem(name, f"the theme has no such template; it has: {', '.join(known)}"))
    target = config.root / "templates" / name
    if target.exists():
        raise HomepostError(
            Problem(str(target), "already exists; nothing was changed (delete it to copy the theme's again)")
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / name, target)
    return target
