"""The site's configuration as typed, frozen objects: what `site.toml` means once read."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

CONFIG_NAME = "site.toml"
PERMALINK_TOKENS = ("year", "month", "day", "slug")
DEFAULT_TAXONOMIES = ("tags", "categories", "series")


@dataclass(frozen=True)
class Author:
    """The site's author, shown as the representative h-card."""

    name: str = ""
    url: str = ""
    email: str = ""
    avatar: str = ""
    me: tuple[str, ...] = ()  # rel=me profile links


@dataclass(frozen=True)
class SiteSettings:
    """`[site]`: who and where the site is."""

    title: str
    url: str  # public base URL, always ending in "/"
    description: str = ""
    language: str = "en"
    timezone: str = "UTC"
    author: Author = field(default_factory=Author)

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


@dataclass(frozen=True)
class BuildSettings:
    """`[build]`: how the site is turned into files."""

    output: str = "public"
    permalink: str = "/{year}/{month}/{slug}/"
    page_permalink: str = "/{slug}/"
    posts_per_page: int = 10
    feed_items: int = 20
    slug_source: str = "filename"
    transliterate: bool = False
    theme: str = "default"
    highlight_style: str = "xcode"
    highlight_style_dark: str = "github-dark"
    allow_outside_symlinks: bool = False  # publish symbolic links in content/ and static/ that point out of the site


@dataclass(frozen=True)
class ThemeSettings:
    """`[theme]`: what the theme shows besides the posts themselves."""

    toc_min_headings: int = 4  # a post with at least this many h2-h4 headings gets a table of contents


@dataclass(frozen=True)
class TaxonomySettings:
    """`[taxonomies.<key>]`: one way of grouping posts, read from the front matter key of that name."""

    key: str
    title: str
    path: str
    feeds: bool = True


@dataclass(frozen=True)
class PodcastSettings:
    """`[podcasts.<key>]`: one show. Apple's rules are checked at build time, not here."""

    key: str
    title: str
    description: str
    author: str = ""
    owner_name: str = ""
    owner_email: str = ""
    language: str = ""  # default: the site's
    artwork: str = ""  # a path under the site or an http(s) URL
    categories: tuple[str, ...] = ()  # "Technology", or "Society & Culture > Documentary"
    explicit: bool | None = None
    type: str = "episodic"
    funding: tuple[tuple[str, str], ...] = ()  # (url, text)
    locked: bool = False
    copyright: str = ""
    new_feed_url: str = ""


@dataclass(frozen=True)
class NetworkSettings:
    """`[network]`: rules for every outgoing request."""

    allow_private_addresses: bool = False
    timeout: float = 10.0
    max_bytes: int = 5_000_000


@dataclass(frozen=True)
class WebmentionSettings:
    """`[webmention]`: the endpoint pages advertise, how mentions are pulled, sent and received."""

    endpoint: str = ""  # advertised with <link rel="webmention"> and a Link header; empty: none
    api: str = ""  # the mentions API `webmention pull` reads; empty: derived from the endpoint
    concurrency: int = 4  # targets the sender talks to at once
    max_tries: int = 6  # a send that keeps failing is given up after this many runs
    rate_limit: int = 60  # the receiver accepts this many webmentions per source host per minute
    blocklist: tuple[str, ...] = ()  # the receiver refuses sources on these domains (and subdomains)

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
class CommentSettings:
    """`[comments]`: readers' comments through the receiver's form, held for moderation."""

    enabled: bool = False
    endpoint: str = ""  # where the form posts; empty: /comment beside the Webmention endpoint
    rate_limit: int = 5  # comments accepted per IP address per minute
    max_length: int = 5000  # characters of one comment
    auto_approve_known: bool = False  # publish at once a comment sent with the secret cookie of an approved commenter

    def form_url(self, webmention_endpoint: str) -> str:
        """Where the comment form posts: `endpoint`, or /comment beside the Webmention endpoint."""
        if self.endpoint or not webmention_endpoint:
            return self.endpoint
        return webmention_endpoint.removesuffix("/webmention") + "/comment" if webmention_endpoint.endswith("/webmention") else ""


@dataclass(frozen=True)
class NewsletterSettings:
    """`[newsletter]`: readers subscribe through the receiver; `homepost newsletter send` mails them new posts."""

    enabled: bool = False
    name: str = ""  # the list's name (List-Id, subjects of digests); empty: the site's title
    sender: str = ""  # `from`: "Name <address>" the emails come from
    reply_to: str = ""  # where replies go; empty: the sender
    endpoint: str = ""  # where the subscribe form posts; empty: /subscribe beside the Webmention endpoint
    mode: str = "full"  # full: the whole post; excerpt: its summary and a link
    digest: str = "each"  # each: one email per post; daily or weekly: one per day or ISO week with posts
    since: str = ""  # ISO date: posts published before it are never sent; empty: the first run's time
    host: str = "localhost"  # the SMTP server
    port: int = 0  # 0: 465 with security "tls", else 587 (25 with "none")
    security: str = "starttls"  # starttls, tls or none
    username: str = ""  # SMTP login; the password from HOMEPOST_NEWSLETTER_PASSWORD or .homepost/credentials.toml
    rate: int = 60  # messages a minute (0: no limit)
    max_bounces: int = 3  # permanent refusals of an address before it is unsubscribed

    @property
    def smtp_port(self) -> int:
        """The port to connect to: `port`, or the usual one for `security`."""
        return self.port or {"tls": 465, "none": 25}.get(self.security, 587)

    def form_url(self, webmention_endpoint: str) -> str:
        """Where the subscribe form posts: `endpoint`, or /subscribe beside the Webmention endpoint."""
        if self.endpoint or not webmention_endpoint.endswith("/webmention"):
            return self.endpoint
        return webmention_endpoint.removesuffix("/webmention") + "/subscribe"


@dataclass(frozen=True)
class ModerationSettings:
    """`[moderation]`: what never appears under a post, whatever its source."""

    block: tuple[str, ...] = ()  # domains ("spam.example"), handles ("@troll@mastodon.example") or author URLs
    words: tuple[str, ...] = ()  # responses containing one of these words are hidden
    hide: tuple[str, ...] = ()  # ids or URLs of single responses to hide


@dataclass(frozen=True)
class BackfeedSettings:
    """`[backfeed]`: how often copies are asked for their replies, likes and reposts."""

    recent_days: int = 14  # posts younger than this are polled on every run
    older_every_hours: int = 24  # older posts: at most this often
    max_age_days: int = 0  # posts older than this are no longer polled (0: never stop)


@dataclass(frozen=True)
class DeploySettings:
    """`[deploy]`: how the built site reaches the web host."""

    method: str = ""  # rsync, git or command; empty: no deploy configured
    target: str = ""  # rsync: a local folder or host:path
    delete: bool = True  # rsync: remove files on the host that the build no longer has
    repository: str = ""  # git: where to push (a URL or a local path)
    branch: str = "gh-pages"  # git: the branch holding the built site
    message: str = "Publish {date}"  # git: the commit message ({date}: the moment, ISO 8601)
    command: str = ""  # command: a shell command; {output} is replaced by the output folder
    wait: int = 300  # publish: seconds to wait for a new post to answer at its public URL


PLATFORMS = ("mastodon", "bluesky", "tumblr", "micropub")
PUBLIC_APPVIEW = "https://public.api.bsky.app"


@dataclass(frozen=True)
class TargetSettings:
    """`[syndication.<name>]`: one account on one platform that posts are copied to."""

    name: str
    platform: str  # mastodon, bluesky, tumblr or micropub
    instance: str = ""  # Mastodon (and compatible servers): base URL of the instance
    service: str = "https://bsky.social"  # Bluesky: the PDS that holds the account
    handle: str = ""  # Bluesky: the account's handle
    appview: str = PUBLIC_APPVIEW  # Bluesky: where threads, likes and reposts are read
    blog: str = ""  # Tumblr: the blog's name (example or example.tumblr.com)
    endpoint: str = ""  # Micropub: the endpoint URL
    api: str = "https://api.tumblr.com"  # Tumblr: base URL of the API (for tests and proxies)
    visibility: str = "public"  # Mastodon: public, unlisted, private
    content_warning: bool = True  # use the post's `content_warning` where the platform has them
    since: str = ""  # ISO date: posts published before it never go to this target

    @property
    def base_url(self) -> str:
        """The URL of the account's server: instance, service, API or endpoint."""
        return {"mastodon": self.instance, "bluesky": self.service, "tumblr": self.api, "micropub": self.endpoint}[self.platform]


@dataclass(frozen=True)
class SyndicationSettings:
    """`[syndication]`: the targets and where posts go unless they say otherwise."""

    targets: tuple[TargetSettings, ...] = ()
    default: tuple[str, ...] = ()  # target names

    def target(self, name: str) -> TargetSettings | None:
        """The target called `name`, if there is one."""
        return next((t for t in self.targets if t.name == name), None)


@dataclass(frozen=True)
class Config:
    """The whole configuration of one site."""

    root: Path  # the site folder
    site: SiteSettings
    build: BuildSettings = field(default_factory=BuildSettings)
    theme: ThemeSettings = field(default_factory=ThemeSettings)
    taxonomies: tuple[TaxonomySettings, ...] = ()
    network: NetworkSettings = field(default_factory=NetworkSettings)
    podcasts: tuple[PodcastSettings, ...] = ()
    webmention: WebmentionSettings = field(default_factory=WebmentionSettings)
    syndication: SyndicationSettings = field(default_factory=SyndicationSettings)
    comments: CommentSettings = field(default_factory=CommentSettings)
    newsletter: NewsletterSettings = field(default_factory=NewsletterSettings)
    moderation: ModerationSettings = field(default_factory=ModerationSettings)
    backfeed: BackfeedSettings = field(default_factory=BackfeedSettings)
    deploy: DeploySettings = field(default_factory=DeploySettings)

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
