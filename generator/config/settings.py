"""The site's configuration as typed, frozen objects: what `site.toml` means once read.

Each field is a key of site.toml, declared once with `setting()`: its type, default, check and
description. The loader, the errors and the README's table of keys all come from these classes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from generator.config import checks
from generator.config.declare import TableRules, named, setting, table, tables
from generator.config.services import (
    BackfeedSettings,
    CommentSettings,
    DeploySettings,
    FediverseSettings,
    ModerationSettings,
    NewsletterSettings,
)
from generator.config.targets import SyndicationSettings

CONFIG_NAME = "site.toml"
DEFAULT_TAXONOMIES = ("tags", "categories", "series")


@dataclass(frozen=True)
class Author:
    """The site's author, shown as the representative h-card."""

    name: str = setting("", "the author's name in the h-card")
    url: str = setting("", "the author's home page", expected="an http(s) URL", check=checks.url_or_empty)
    email: str = setting("", "the author's email address", expected="an email address")
    avatar: str = setting(
        "",
        "the author's photo: a URL or a path under the site",
        expected="a URL or a path under the site",
    )
    me: tuple[str, ...] = setting(
        (), 'profile URLs linked with `rel="me"`', expected="a list of http(s) URLs", check=checks.url_list
    )


@dataclass(frozen=True)
class SiteSettings:
    """`[site]`: who and where the site is."""

    title: str = setting(doc="the site's name")
    url: str = setting(
        doc="the public base URL; may include a path (`https://example.com/blog/`)",
        expected="an http(s) URL",
        check=checks.http_url,
        convert=lambda url: url if url.endswith("/") else url + "/",
    )
    description: str = setting("", "used in feeds and meta descriptions")
    language: str = setting(
        "en",
        "the `lang` of every page unless a post declares its own",
        expected="a language tag such as 'en' or 'zh-CN'",
    )
    timezone: str = setting(
        "UTC", "IANA zone for dates written without an offset", expected="an IANA time zone name", check=checks.timezone
    )
    author: Author = table(
        Author,
        'the representative h-card; `author = "Name"` is short for `[site.author] name = "Name"`',
        accepts=(dict, str),
        expected="a table, or a string (the author's name)",
        convert=lambda value: {"name": value} if isinstance(value, str) else value,
    )

    @property
    def base_path(self) -> str:
        """The path part of the base URL, e.g. "/" or "/blog/"."""
        return urlsplit(self.url).path or "/"

    @property
    def origin(self) -> str:
        """Scheme and host of the base URL, without a trailing slash."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def host(self) -> str:
        """Host name of the base URL."""
        return urlsplit(self.url).hostname or ""

    @property
    def tz(self) -> ZoneInfo:
        """The site's time zone, used for naive dates."""
        return ZoneInfo(self.timezone)


PERMALINK = "a permalink pattern"
STYLE = "a Pygments style name"


@dataclass(frozen=True)
class BuildSettings:
    """`[build]`: how the site is turned into files."""

    output: str = setting("public", "output folder", expected="a folder name")
    permalink: str = setting(
        "/{year}/{month}/{slug}/",
        "where posts go: a path ending in `/` or `.html`; placeholders `{year}`, `{month}`, `{day}`, `{slug}`, "
        "`{title}`, `{category}` (see [Keeping old URLs](#keeping-old-urls))",
        expected=PERMALINK,
        check=checks.permalink,
    )
    page_permalink: str = setting("/{slug}/", "where pages go", expected=PERMALINK, check=checks.permalink)
    posts_per_page: int = setting(
        10,
        "page size of the home page, tag, category and series pages",
        check=checks.positive,
    )
    pagination_path: str = setting(
        "/page/{n}/",
        "where the pages after the first of a list go (home, terms), under the list's own folder; `{n}` is the number",
        expected="a path pattern with {n}",
        check=checks.pagination_path,
    )
    feed_items: int = setting(20, "entries per feed", check=checks.positive)
    slug_source: str = setting(
        "filename", '`"title"` makes slugs from titles (notes still use the file name)', choices=("filename", "title")
    )
    transliterate: bool = setting(False, "`true` turns non-Latin slugs into ASCII (`你好` → `nihao`)")
    theme: str = setting(
        "default",
        "a theme name (the site's `themes/NAME`, then the bundled ones) or a folder",
        expected="a theme name or folder",
    )
    highlight_style: str = setting("xcode", "Pygments style for code", expected=STYLE, check=checks.pygments_style)
    highlight_style_dark: str = setting(
        "github-dark", "Pygments style for code in dark mode", expected=STYLE, check=checks.pygments_style
    )
    allow_outside_symlinks: bool = setting(
        False,
        "publish symbolic links in `content/` and `static/` that point outside the site folder "
        "(refused by default: see [Symbolic links](#symbolic-links))",
    )


@dataclass(frozen=True)
class ThemeSettings:
    """`[theme]`: what the theme shows besides the posts themselves."""

    toc_min_headings: int = setting(
        4,
        "a post with at least this many h2–h4 headings gets a table of contents (`0`: only posts with `toc: true`)",
        expected="a whole number (0: only posts with toc: true)",
        check=checks.not_negative,
    )


@dataclass(frozen=True)
class TaxonomySettings:
    """`[taxonomies.<key>]`: one way of grouping posts, read from the front matter key of that name."""

    key: str = named()
    title: str = setting(
        doc="the title of its pages", derive=lambda name: name.replace("_", " ").title(), shown="NAME, capitalised"
    )
    path: str = setting(
        doc="the URL path of its pages (`tags`: `/tags/` and `/tags/NAME/`), or a pattern with `{term}` "
        "such as `/tags/{term}.html`",
        expected="a URL path, or a pattern with {term}",
        check=checks.taxonomy_path,
        convert=lambda path: path if "{term}" in path else path.strip("/"),
        derive=lambda name: name,
        shown="NAME",
    )
    feeds: bool = setting(True, "each term gets its own feeds")
    enabled: bool = setting(True, "`false` removes it (the default ones too)")


@dataclass(frozen=True)
class PodcastSettings:
    """`[podcasts.<key>]`: one show. Apple's rules are checked at build time, not here."""

    key: str = named()
    title: str = setting(doc="the show's title")
    description: str = setting(doc="the show's description (at most 4,000 bytes for Apple)")
    author: str = setting("", "`itunes:author`")
    owner_name: str = setting("", "`itunes:owner`'s name")
    owner_email: str = setting("", "`itunes:owner`'s email", expected="an email address", check=checks.email)
    language: str = setting("", "the show's language", expected="a language tag", shown="the site's")
    artwork: str = setting(
        "",
        "the show's square artwork: a path under the site (`content/` or `static/`) or an http(s) URL",
        expected="a path under the site or an http(s) URL",
    )
    categories: tuple[str, ...] = setting(
        (),
        'Apple Podcasts categories, such as `"Technology"` or `"Society & Culture > Documentary"`',
        expected="a list of Apple Podcasts categories",
        check=checks.categories,
        convert=lambda names: tuple(name.strip() for name in names),
    )
    explicit: bool | None = setting(None, "`itunes:explicit` (Apple requires it)", shown="unset")
    type: str = setting("episodic", "`itunes:type`", choices=("episodic", "serial"))
    funding: tuple[tuple[str, str], ...] = setting(
        (),
        '`podcast:funding` links, such as `[{ url = "https://…", text = "Support the show" }]`',
        expected="a list of tables with url and text",
        check=checks.funding,
        convert=lambda links: tuple((link["url"], link.get("text", "")) for link in links),
    )
    locked: bool = setting(False, "`podcast:locked`")
    copyright: str = setting("", "the show's copyright line")
    new_feed_url: str = setting(
        "", "`itunes:new-feed-url`, when moving the show elsewhere", expected="an http(s) URL", check=checks.http_url
    )


@dataclass(frozen=True)
class NetworkSettings:
    """`[network]`: rules for every outgoing request."""

    allow_private_addresses: bool = setting(
        False, "let outgoing requests reach loopback and private addresses (for testing)"
    )
    timeout: float = setting(
        10.0,
        "seconds an outgoing request may take",
        expected="a number of seconds",
        check=checks.seconds,
    )
    max_bytes: int = setting(
        5_000_000,
        "bytes an outgoing request may read",
        expected="a number of bytes",
        check=checks.positive,
    )


def _webmention_secret(table_name: str, name: str) -> str | None:
    return checks.secret_message("webmentionio") if name in ("webmentionio_token", "token") else None


@dataclass(frozen=True)
class WebmentionSettings:
    """`[webmention]`: the endpoint pages advertise, how mentions are pulled, sent and received."""

    TOML: ClassVar[TableRules] = TableRules(secret=_webmention_secret)

    endpoint: str = setting(
        "",
        'the Webmention endpoint to advertise (`<link rel="webmention">` on every page, redirect pages of '
        "aliases, the 404 page and tombstones included, a `Link` header in `_headers` and `_nginx.conf`): "
        "webmention.io's or your `homepost receiver`'s `…/webmention`; empty: none",
        expected="an http(s) URL",
        check=checks.endpoint,
    )
    api: str = setting(
        "",
        "where `webmention pull` reads: by default `…/api/mentions` beside your receiver's endpoint, "
        "or webmention.io's `/api/mentions.jf2`",
        expected="an http(s) URL",
        check=checks.endpoint,
        shown="derived",
    )
    concurrency: int = setting(4, "targets the sender talks to at once", check=checks.positive)
    max_tries: int = setting(6, "a send that keeps failing is given up after this many runs", check=checks.positive)
    rate_limit: int = setting(
        60,
        "the receiver accepts this many webmentions per source host per minute",
        expected="a whole number of webmentions a minute",
        check=checks.positive,
    )
    blocklist: tuple[str, ...] = setting(
        (),
        "the receiver refuses sources on these domains (and their subdomains)",
        expected="a list of domain names",
        check=checks.domains,
        convert=lambda domains: tuple(d.lower().strip(".") for d in domains),
    )

    @property
    def pull_url(self) -> str:
        """Where `webmention pull` reads mentions: `api`, or the one that goes with the endpoint."""
        if self.api or not self.endpoint:
            return self.api
        parts = urlsplit(self.endpoint)
        if parts.hostname == "webmention.io":
            return f"{parts.scheme}://{parts.netloc}/api/mentions.jf2"
        base = parts.path.removesuffix("/webmention") if parts.path.endswith("/webmention") else ""
        return f"{parts.scheme}://{parts.netloc}{base}/api/mentions"


@dataclass(frozen=True)
class Config:
    """The whole configuration of one site: each field but `root` a table of site.toml."""

    root: Path  # the site folder
    site: SiteSettings = setting(doc="who and where the site is")
    build: BuildSettings = table(BuildSettings)
    theme: ThemeSettings = table(ThemeSettings)
    taxonomies: tuple[TaxonomySettings, ...] = tables(
        "ways of grouping posts, read from the front matter key `NAME`",
        name=r"[a-z][a-z0-9_]*",
        rule="a lower-case name of letters, digits and '_'",
        defaults=DEFAULT_TAXONOMIES,
        keep=lambda taxonomy: taxonomy.enabled,
    )
    network: NetworkSettings = table(NetworkSettings)
    podcasts: tuple[PodcastSettings, ...] = tables(
        "a podcast: see [Podcasting](#podcasting)",
        name=r"[a-z0-9][a-z0-9_-]*",
        rule="a lower-case name of letters, digits, '-' and '_' (it is used in URLs)",
    )
    webmention: WebmentionSettings = table(WebmentionSettings)
    syndication: SyndicationSettings = table(SyndicationSettings)
    comments: CommentSettings = table(CommentSettings)
    newsletter: NewsletterSettings = table(NewsletterSettings)
    fediverse: FediverseSettings = table(FediverseSettings)
    moderation: ModerationSettings = table(ModerationSettings)
    backfeed: BackfeedSettings = table(BackfeedSettings)
    deploy: DeploySettings = table(DeploySettings)

    @property
    def data_dir(self) -> Path:
        """The site's data folder: state and responses, committed with the site."""
        return self.root / "data"

    @property
    def private_dir(self) -> Path:
        """`.homepost/`: caches, the receiver's database, credentials; never committed."""
        return self.root / ".homepost"

    @property
    def content_dir(self) -> Path:
        """Folder holding posts, pages and their files."""
        return self.root / "content"

    def path_url(self, path: str) -> str:
        """Root-relative path (for links inside the site) of a path under the base URL."""
        return self.site.base_path + path.lstrip("/")

    def abs_url(self, path: str) -> str:
        """Absolute URL of a path under the base URL."""
        return self.site.origin + self.path_url(path)

    def absolute(self, url: str) -> str:
        """An absolute URL for a link as pages write it: root-relative paths gain the origin."""
        return self.site.origin + url if url.startswith("/") and not url.startswith("//") else url

    def with_url(self, url: str) -> Config:
        """A copy of this configuration served from another base URL (used by `serve`)."""
        if not url.endswith("/"):
            url += "/"
        return replace(self, site=replace(self.site, url=url))
