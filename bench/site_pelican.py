"""Pelican as the benchmark drives it: its default theme, its content cache on, the same URLs as the others."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import Post
from bench.tools import FEED_ITEMS, POSTS_PER_PAGE, SITE_TITLE, SITE_URL, write_text
from bench.venvs import ensure_venv

REQUIREMENTS = ["pelican[markdown]>=4.9"]

SETTINGS = f"""\
SITENAME = "{SITE_TITLE}"
SITEURL = "{SITE_URL.rstrip("/")}"
AUTHOR = "Bench Writer"
PATH = "content"
ARTICLE_PATHS = ["posts"]
STATIC_PATHS = []
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
LOCALE = ("C",)

ARTICLE_URL = "{{date:%Y}}/{{date:%m}}/{{slug}}/"
ARTICLE_SAVE_AS = "{{date:%Y}}/{{date:%m}}/{{slug}}/index.html"
TAG_URL = "tags/{{slug}}/"
TAG_SAVE_AS = "tags/{{slug}}/index.html"
TAGS_SAVE_AS = "tags/index.html"
ARCHIVES_SAVE_AS = "archive/index.html"
YEAR_ARCHIVE_SAVE_AS = "{{date:%Y}}/index.html"
# Homepost and Hugo have no per-category or per-author lists of every post; don't make Pelican write them.
CATEGORY_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
DIRECT_TEMPLATES = ["index", "tags", "archives"]
# Without categories the default theme's post footer fails; this copy of it leaves the category out.
THEME_TEMPLATES_OVERRIDES = ["theme-overrides"]

DEFAULT_PAGINATION = {POSTS_PER_PAGE}
PAGINATED_TEMPLATES = {{"index": None, "tag": None}}
PAGINATION_PATTERNS = (
    (1, "{{url}}", "{{save_as}}"),
    (2, "{{base_name}}/page/{{number}}/", "{{base_name}}/page/{{number}}/index.html"),
)

FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "atom.xml"
FEED_ALL_RSS = "feed.xml"
TAG_FEED_ATOM = "tags/{{slug}}/atom.xml"
TAG_FEED_RSS = "tags/{{slug}}/feed.xml"
CATEGORY_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
FEED_MAX_ITEMS = {FEED_ITEMS}
RSS_FEED_SUMMARY_ONLY = False

# Pelican's fastest honest mode for rebuilds: parsed content is cached between runs.
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
"""

# notmyidea's article_infos.html without its "In <category>" line.
ARTICLE_INFOS = """\
<footer class="post-info">
        <abbr class="published" title="{{ article.date.isoformat() }}">
                Published: {{ article.locale_date }}
        </abbr>
        {% if article.authors %}
                <address class="vcard author">
                        By {% for author in article.authors %}
                                <a class="url fn" href="{{ SITEURL }}/{{ author.url }}">{{ author }}</a>
                        {% endfor %}
                </address>
        {% endif %}
        {% include 'taglist.html' %}
</footer><!-- /.post-info -->
"""


@dataclass
class Pelican:
    """Pelican with Markdown, installed from PyPI into a throwaway venv."""

    name: str = "pelican"
    label: str = "Pelican"
    executable: Path = Path("pelican")

    def setup(self, venvs: Path) -> None:
        """Install pelican[markdown]."""
        self.executable = ensure_venv(venvs / "pelican", REQUIREMENTS) / "pelican"

    def version(self) -> str:
        """`pelican --version`."""
        text = subprocess.run([str(self.executable), "--version"], capture_output=True, text=True).stdout.strip()
        return f"pelican {text}"

    def write_site(self, root: Path, posts: Sequence[Post]) -> None:
        """pelicanconf.py, one template override, and content/posts/post-NNNNN.md with Markdown metadata lines."""
        write_text(root / "pelicanconf.py", SETTINGS)
        write_text(root / "theme-overrides" / "article_infos.html", ARTICLE_INFOS)
        for post in posts:
            self.write_post(root, post)

    def write_post(self, root: Path, post: Post) -> None:
        """One post; Pelican's Markdown reader takes `Key: value` lines, tags separated by commas."""
        text = (
            f"Title: {post.title}\nDate: {post.date:%Y-%m-%d %H:%M}\nSlug: {post.slug}\n"
            f"Tags: {', '.join(post.tags)}\n\n{post.body}"
        )
        write_text(root / "content" / "posts" / f"{post.slug}.md", text)

    def command(self, root: Path) -> list[str]:
        """`pelican content -s pelicanconf.py -o output -q`."""
        return [str(self.executable), "content", "-s", "pelicanconf.py", "-o", "output", "-q"]

    def env(self, root: Path, base: dict[str, str]) -> dict[str, str]:
        """As given."""
        return dict(base)

    def output(self, root: Path) -> Path:
        """output/."""
        return root / "output"
