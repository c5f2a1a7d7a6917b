"""The content model: what a site is made of, independent of how it is read or rendered.

This module imports nothing from the rest of Homepost; every other stage depends on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

Kind = Literal["post", "page"]


@dataclass(frozen=True)
class LeftOut:
    """What a build left out: drafts, and scheduled posts with the date of the next one."""

    drafts: int = 0
    scheduled: int = 0
    next_date: datetime | None = None


@dataclass(frozen=True)
class Image:
    """A cover or inline image: where it lives and how to describe it."""

    src: str  # the URL to use in pages: root-relative for the site's own files
    url: str  # absolute URL, for feeds and link previews
    alt: str = ""
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Person:
    """Someone on an episode (Podcasting 2.0 podcast:person)."""

    name: str
    role: str = "host"
    group: str = "cast"
    href: str = ""
    img: str = ""


@dataclass(frozen=True)
class Chapter:
    """A chapter of an episode: where it starts (seconds) and what it is called."""

    start: float
    title: str
    url: str = ""
    img: str = ""


@dataclass
class Episode:
    """The podcast side of a post that has `audio:`."""

    show: str  # key of its [podcasts.<show>]
    guid: str  # never changes, whatever happens to title, slug or date
    audio_url: str  # absolute URL of the enclosure
    audio_src: str  # URL for the page's player: root-relative for the site's own files
    audio_length: int  # bytes
    audio_type: str  # MIME type
    duration: int | None  # whole seconds, when known
    number: int | None = None
    season: int | None = None
    episode_type: str = "full"  # full, trailer or bonus
    explicit: bool | None = None  # None: as the show says
    image: Image | None = None
    transcript_url: str | None = None  # absolute
    transcript_type: str | None = None  # text/vtt or application/x-subrip
    transcript_text: tuple[tuple[float, str], ...] = ()  # (start seconds, text) cues, for the page
    chapters_url: str | None = None  # absolute URL of the Podcasting 2.0 JSON chapters file
    chapters: tuple[Chapter, ...] = ()
    chapters_file: str | None = None  # output file the build writes the chapters JSON to, if it does
    persons: tuple[Person, ...] = ()


@dataclass
class Show:
    """One podcast: its settings, its feed and its episodes (newest first)."""

    key: str
    title: str
    description: str
    author: str
    owner_name: str
    owner_email: str
    language: str
    artwork: Image | None
    categories: tuple[tuple[str, str | None], ...]  # (category, subcategory)
    explicit: bool
    type: str  # episodic or serial
    funding: tuple[tuple[str, str], ...]  # (url, text)
    locked: bool
    copyright: str
    new_feed_url: str
    guid: str  # podcast:guid, UUIDv5 of the feed URL
    feed_url: str  # absolute
    feed_path: str  # output file, relative to the output folder
    path: str  # root-relative path of the show's page
    url: str  # absolute URL of the show's page
    episodes: list[Post] = field(default_factory=list)


@dataclass
class Term:
    """One value of a taxonomy (a tag, a category, a series) and the posts filed under it."""

    taxonomy: str  # the taxonomy's key, e.g. "tags"
    name: str  # as written by the author
    slug: str
    path: str  # root-relative path of the term page, e.g. "/tags/python/"
    url: str  # absolute URL of the term page
    posts: list[Post] = field(default_factory=list)
    feeds: dict[str, str] = field(default_factory=dict)  # format -> root-relative path

    @property
    def count(self) -> int:
        """Number of posts filed under this term."""
        return len(self.posts)


@dataclass
class Taxonomy:
    """A way of grouping posts (tags, categories, series) with all its terms."""

    key: str
    title: str
    path: str  # root-relative path of the index of terms
    url: str
    feeds: bool
    terms: list[Term] = field(default_factory=list)


@dataclass
class Post:
    """A post or a page, read from one Markdown file. A post without a title is a note."""

    source: str  # path relative to the content folder, with forward slashes
    kind: Kind
    title: str | None
    slug: str
    date: datetime | None  # timezone-aware; always set on posts, optional on pages
    updated: datetime | None
    html: str | None  # the rendered body (read it as `content_html`); None for a cached post until loaded
    summary_html: str
    summary_text: str
    path: str  # root-relative URL path, including the site's base path, percent-encoded
    url: str  # absolute URL
    dest: str  # output file relative to the output folder, e.g. "2024/05/hello/index.html"
    uid: str  # stable feed id, independent of title and slug
    lang: str | None = None
    draft: bool = False
    scheduled: bool = False  # dated after the build's "now", shown only in previews
    aliases: tuple[str, ...] = ()
    image: Image | None = None
    reading_time: int = 1  # minutes
    word_count: int = 0  # Latin words plus CJK characters
    taxonomy_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    terms: dict[str, list[Term]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    menu: bool = False
    weight: int = 0
    bundle_dir: str | None = None  # content-relative folder whose files travel with the post
    episode: Episode | None = None  # set when the post has `audio:`
    cites: tuple[Cite, ...] = ()  # what this post replies to, likes, reposts or bookmarks
    syndicate: tuple[str, ...] | None = None  # syndication targets by name; None: the site's default
    syndication: tuple[str, ...] = ()  # URLs of its copies elsewhere (front matter, then the outbox)
    content_warning: str = ""
    responses: tuple[Response, ...] = ()  # replies, likes, reposts... from the data folder, oldest first
    conversation: Conversation | None = None  # the responses as the page shows them, set by the build
    fingerprint: str = ""  # digest of all the reader made of the file (PLACED, SHOWN_ONLY, its syndication)
    place: str = ""  # digest of the fields that decide where the post shows (PLACED), set by the reader
    # A post from the build cache comes without its HTML (most builds show few posts' full text):
    # the reader gives it this, which `content_html` calls with the post's source when first asked.
    html_loader: Callable[[str], str] | None = field(default=None, repr=False, compare=False)

    @property
    def content_html(self) -> str:
        """The post's HTML: as rendered, or for a post from the build cache, loaded on first use."""
        html = self.html
        if html is None:
            if self.html_loader is None:
                raise AttributeError(f"the post from {self.source} has no HTML and no way to load it")
            html = self.html = self.html_loader(self.source)
            self.html_loader = None
        return html

    def __getstate__(self) -> dict[str, Any]:
        """What pickling keeps: the HTML itself, never the function that loads it."""
        state = dict(self.__dict__)
        if state.get("html_loader") is not None:
            state["html"], state["html_loader"] = self.content_html, None
        return state

    @property
    def is_note(self) -> bool:
        """True for a microblog-style post without a title."""
        return self.kind == "post" and not self.title

    @property
    def tags(self) -> list[Term]:
        """The post's tag terms (empty when the site has no tags taxonomy)."""
        return self.terms.get("tags", [])

    @property
    def categories(self) -> list[Term]:
        """The post's category terms."""
        return self.terms.get("categories", [])

    @property
    def last_modified(self) -> datetime | None:
        """When the post last changed: `updated` if given, else `date`."""
        return self.updated or self.date


CiteKind = Literal["in-reply-to", "like-of", "repost-of", "bookmark-of"]


# How each field of a post reaches the site (the build's fingerprints and the dev server's quick
# render depend on it; tests/test_dependencies.py checks it field by field).
# Shown wherever the post is shown, but never decide where that is:
SHOWN_ONLY = frozenset(
    {
        "title",
        "updated",
        "html",
        "summary_html",
        "summary_text",
        "lang",
        "image",
        "reading_time",
        "word_count",
        "extra",
        "cites",
        "content_warning",
    }
)
SET_BY_BUILD = frozenset({"terms", "scheduled", "responses", "conversation", "syndication"})  # after reading
DIGESTS = frozenset({"fingerprint", "place"})
LOADER = frozenset({"html_loader"})  # how a cached post's HTML is found: not what it is
PLACED = tuple(
    f.name for f in fields(Post) if f.name not in SHOWN_ONLY | SET_BY_BUILD | DIGESTS | LOADER
)  # the rest: URL, date, terms...


@dataclass(frozen=True)
class Cite:
    """Something a post answers: `in_reply_to: URL` in the front matter is Cite("in-reply-to", URL)."""

    kind: CiteKind
    url: str


ResponseType = Literal["reply", "like", "repost", "quote", "bookmark", "mention", "comment"]


@dataclass(frozen=True)
class ResponseAuthor:
    """Who wrote a response: as they present themselves, untrusted."""

    name: str = ""
    url: str = ""
    photo: str = ""
    handle: str = ""


@dataclass(frozen=True)
class Response:
    """A reply, like, repost, quote, bookmark, mention or comment that answers a post.

    Everything in it comes from someone else's server: `content_html` is sanitised when it is
    stored, and templates escape every other field.
    """

    id: str  # stable: the source URL for webmentions, the platform's id otherwise
    type: ResponseType
    source: str  # where the response lives (its permalink)
    target: str  # the URL it answers (the post's URL, or another response's source)
    author: ResponseAuthor = field(default_factory=ResponseAuthor)
    content_html: str = ""  # sanitised
    content_text: str = ""
    name: str = ""  # the title of a response that is a post of its own
    published: datetime | None = None
    updated: datetime | None = None
    verified: datetime | None = None  # when the receiver last checked the source
    platform: str = "web"  # web, mastodon, bluesky, tumblr, comment
    in_reply_to: str = ""  # the id of the response this one answers, if it answers a response
    url: str = ""  # its permalink where that differs from `source` (a reply relayed by Bridgy: the original)


@dataclass(frozen=True)
class ThreadItem:
    """One response as a post's page shows it, with the replies that answer it."""

    response: Response
    anchor: str  # its id in the page
    avatar: str  # root-relative URL of the author's picture (a copy on this site, or the fallback)
    children: tuple[ThreadItem, ...] = ()


@dataclass(frozen=True)
class Conversation:
    """Everything that answered a post, from every source, ready to show."""

    replies: tuple[ThreadItem, ...] = ()  # threaded, oldest first at each level
    likes: tuple[ThreadItem, ...] = ()
    reposts: tuple[ThreadItem, ...] = ()
    bookmarks: tuple[ThreadItem, ...] = ()
    mentions: tuple[ThreadItem, ...] = ()  # mentions and quotes
    reply_count: int = 0  # replies at any depth

    def __bool__(self) -> bool:
        return bool(self.replies or self.likes or self.reposts or self.bookmarks or self.mentions)


@dataclass(frozen=True)
class StaticFile:
    """A file copied to the output as it is."""

    source: str  # absolute filesystem path
    dest: str  # output path relative to the output folder, forward slashes


@dataclass
class Paginator:
    """Where one page of a paginated list sits among its siblings."""

    number: int
    count: int
    base_path: str  # root-relative path of page 1
    later: str = ""  # root-relative path of the pages after it, `{n}` their number; "": `page/{n}/` under page 1

    def path_of(self, number: int) -> str:
        """Root-relative path of page `number` of this list."""
        if number == 1:
            return self.base_path
        return self.later.replace("{n}", str(number)) if self.later else f"{self.base_path}page/{number}/"

    @property
    def path(self) -> str:
        """Root-relative path of this page."""
        return self.path_of(self.number)

    @property
    def prev_path(self) -> str | None:
        """Path of the page with newer posts, if any."""
        return self.path_of(self.number - 1) if self.number > 1 else None

    @property
    def next_path(self) -> str | None:
        """Path of the page with older posts, if any."""
        return self.path_of(self.number + 1) if self.number < self.count else None


@dataclass
class Site:
    """Everything the render stage needs: posts, pages, taxonomies, archives, files to copy."""

    posts: list[Post]  # published posts, newest first
    pages: list[Post]
    taxonomies: list[Taxonomy]
    static_files: list[StaticFile]
    years: list[tuple[int, list[Post]]]  # newest year first
    shows: list[Show] = field(default_factory=list)
    followers: int = 0  # fediverse followers: how many, never who (site data, attached by the build)
    redirects: tuple[tuple[str, Post], ...] = ()  # (old site path, the post or page it now is): data/aliases.txt

    @property
    def menu(self) -> list[Post]:
        """Pages that asked to be in the navigation, by weight then title."""
        return sorted((p for p in self.pages if p.menu), key=lambda p: (p.weight, p.title or ""))
