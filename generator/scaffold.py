"""New sites and new posts: `homepost init` and `homepost new`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.config import CONFIG_NAME, Config
from generator.errors import HomepostError, Problem
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
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def init_site(folder: Path, title: str | None = None, url: str = "https://example.com/",
              timezone: str = "UTC", now: dt.datetime | None = None) -> list[Path]:  # fmt: skip
    """Create a new site in `folder` that builds at once; return the files written."""
    if (folder / CONFIG_NAME).exists():
        raise HomepostError(Problem(str(folder / CONFIG_NAME), "a site already exists here; nothing was changed"))
    title = title or folder.resolve().name.replace("-", " ").replace("_", " ").title() or "My Site"
    now = now or dt.datetime.now(dt.timezone.utc)
    files = {
        CONFIG_NAME: SITE_TOML.format(title=_quoted(title), url=_quoted(url), timezone=_quoted(timezone)),
        ".gitignore": GITIGNORE,
        f"content/posts/{now:%Y-%m-%d}-hello-world.md": FIRST_POST.format(date=now.strftime("%Y-%m-%d %H:%M:%S%z"), title=title),
        "content/pages/about.md": ABOUT_PAGE,
    }
    written = []
    for rel, text in files.items():
        path = folder / rel
        if path.exists() and rel == ".gitignore":
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def new_content(config: Config, kind: str, title: str | None, draft: bool = False,
                now: dt.datetime | None = None) -> Path:  # fmt: skip
    """Write a new post (a note when `title` is empty) or page with its front matter; return its path."""
    now = (now or dt.datetime.now(config.site.tz)).astimezone(config.site.tz).replace(microsecond=0)
    slug = slugify(title, config.build.transliterate) if title else now.strftime("%H%M%S")
    if kind == "page":
        if not slug:
            raise HomepostError(Problem("homepost", "a page needs a title with letters or digits"))
        path = config.content_dir / "pages" / f"{slug}.md"
    else:
        path = config.content_dir / "posts" / f"{now:%Y-%m-%d}-{slug or now.strftime('%H%M%S')}.md"
    if path.exists():
        raise HomepostError(Problem(str(path), "already exists; nothing was changed"))
    lines = ["---"]
    if title:
        lines.append(f"title: {_quoted(title)}")
    if kind == "post":
        lines += [f"date: {now.isoformat()}", "tags: []"]
    if draft:
        lines.append("draft: true")
    lines += ["---", "", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
