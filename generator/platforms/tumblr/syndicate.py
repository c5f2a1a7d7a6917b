"""Tumblr: each post as a native Neue Post Format (NPF) post on the writer's blog, with its canonical link.

A note goes out as its paragraphs (text blocks, URLs in them as inline links), then the link home;
an article as a heading1 title, the summary's paragraphs and a link block (a card) to the post.
Images become image blocks uploaded in the same multipart request, each with its alt text. Tags
become the post's tags, and `source_url` is the post's URL. Tumblr's community labels cannot be
set through its public API, so a content warning becomes a first "CW:" block with everything else
under "Keep reading". Posts can be edited (PUT) and deleted. There is no idempotency key: after a
lost answer, `find` looks through the blog's latest posts for one linking home. Backfeed reads the
copy's notes (generator.platforms.tumblr.backfeed).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import regex

from generator.config import TargetSettings
from generator.credentials import TargetCredentials
from generator.http import HttpClient
from generator.platforms.base import AuthIO, Copy, Draft, Entry, Harvest, Media, PlatformError, missing_credential
from generator.platforms.tumblr.backfeed import harvest
from generator.platforms.tumblr.client import Api, Keys, multipart, oauth_step
from generator.syndication.fitting import URL, graphemes, shorten
from generator.syndication.loopback import LoopbackCallback

log = logging.getLogger(__name__)

OAUTH_BASE = "https://www.tumblr.com"
BLOCK_LIMIT = 4096  # code points in one text block (NPF spec, "Post Content Limits")
ALT_LIMIT = 4096  # code points of an image's alt_text
CARD_LIMIT = 140  # a link card's title and description, as long as Tumblr makes them itself
MAX_IMAGES = 30  # image blocks in one post
MAX_IMAGE_BYTES = 10_000_000  # per uploaded image
MAX_LINKS = 100  # inline links in one post
MAX_TAGS = 30
TAG_LIMIT = 140
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WebP"}
RECENT = 20  # posts per page of /posts (its maximum)
FIND_PAGES = 5  # pages `find` reads before it gives up telling
CREDENTIAL_KEYS = ("consumer_key", "consumer_secret", "oauth_token", "oauth_token_secret")
_BREAKABLE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Extended_Pictographic}]")  # no spaces between


def blog_host(target: TargetSettings) -> str:
    """The blog identifier: `blog` plus .tumblr.com, unless it is a host name already."""
    blog = re.sub(r"^https?://", "", target.blog.strip()).strip("/")
    if not blog:
        raise PlatformError(
            f'{target.name}: no blog set; add blog = "<name>" to [syndication.{target.name}]', temporary=False
        )
    return blog if "." in blog else f"{blog}.tumblr.com"


def split_block(text: str, limit: int = BLOCK_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` code points, cut between words (or CJK or emoji), never in a grapheme."""
    pieces: list[str] = []
    while len(text) > limit:
        clusters, size, count = graphemes(text), 0, 0
        while size + len(clusters[count]) <= limit:
            size, count = size + len(clusters[count]), count + 1
        count = cut = max(count, 1)
        for index in range(count, max(1, int(count * 0.6)) - 1, -1):
            if clusters[index].isspace() or _BREAKABLE.match(clusters[index - 1]) or _BREAKABLE.match(clusters[index]):
                cut = index
                break
        pieces.append("".join(clusters[:cut]).rstrip())
        text = "".join(clusters[cut:]).lstrip()
    return pieces + [text] if text else pieces


def text_block(text: str, links: list[str] | None = None, subtype: str | None = None) -> dict[str, Any]:
    """An NPF text block; each URL in `links` that appears in the text becomes an inline link."""
    block: dict[str, Any] = {"type": "text", "text": text}
    if subtype:
        block["subtype"] = subtype
    formatting = []
    for match in URL.finditer(text):
        url = _trim_url(match.group())
        if links is not None and len(links) < MAX_LINKS:
            links.append(url)
            formatting.append({"start": match.start(), "end": match.start() + len(url), "type": "link", "url": url})
    if formatting:
        block["formatting"] = formatting
    return block


def _trim_url(url: str) -> str:
    url = url.rstrip(".,;:!?'\"")
    return url[:-1] if url.endswith(")") and "(" not in url else url


class TumblrPlatform:
    """One Tumblr blog, posted to with the writer's OAuth 1.0a token."""

    can_update = True
    can_backfeed = True

    def __init__(self, target: TargetSettings, client: HttpClient, credentials: TargetCredentials) -> None:
        self.target, self.client, self.credentials = target, client, credentials

    def render(self, entry: Entry) -> Draft:
        """The NPF post for `entry`: content blocks, tags, source_url; never writes."""
        notes: list[str] = []
        links: list[str] = [entry.url] if entry.is_note else []  # inline links so far (the link home is one)
        blocks: list[dict[str, Any]] = []
        warning = entry.content_warning.strip() if self.target.content_warning else ""
        if warning:
            blocks.append(text_block(f"CW: {warning}"))
            notes.append(
                'content warning as a first "CW:" block, the rest under Keep reading '
                "(Tumblr's community labels cannot be set through its API)"
            )
        media = self._images(entry.images, notes)
        images = [self._image_block(m, n, notes) for n, m in enumerate(media, 1)]
        if entry.is_note:
            blocks += images + self._paragraphs(entry.text, links, notes)
            blocks.append(
                {
                    "type": "text",
                    "text": entry.url,
                    "formatting": [{"start": 0, "end": len(entry.url), "type": "link", "url": entry.url}],
                }
            )
        else:
            title = entry.title or ""
            summary = entry.summary.strip() or shorten(entry.text.strip().split("\n\n")[0], 500, len)
            blocks.append(text_block(shorten(title, BLOCK_LIMIT, len), subtype="heading1"))
            blocks += images + self._paragraphs(summary, links, notes)
            blocks.append(
                {
                    "type": "link",
                    "url": entry.url,
                    "title": shorten(title, CARD_LIMIT, len),
                    "description": shorten(" ".join(summary.split()), CARD_LIMIT, len),
                }
            )
        tags = self._tags(entry.tags, notes)
        payload: dict[str, Any] = {
            "content": blocks,
            "state": "published",
            "tags": ",".join(tags),
            "source_url": entry.url,
        }
        if warning:
            payload["layout"] = [
                {"type": "rows", "display": [{"blocks": [i]} for i in range(len(blocks))], "truncate_after": 0}
            ]
        shown = [b["text"] if b["type"] == "text" else b["url"] for b in blocks if b["type"] in ("text", "link")]
        if tags:
            shown.append(" ".join(f"#{tag}" for tag in tags))
        return Draft(text="\n\n".join(shown), payload=payload, media=tuple(media), notes=tuple(notes))

    def verify(self) -> None:
        """Check the OAuth token once per run (GET /v2/user/info) before anything is posted."""
        self._api().call("GET", "/v2/user/info")

    def create(self, draft: Draft, entry: Entry) -> Copy:
        """Post the copy, its images uploaded in the same request."""
        host = blog_host(self.target)
        answer = self._send("POST", f"/v2/blog/{host}/posts", draft, unknown_outcome=True) or {}
        post_id = str(answer.get("id") or answer.get("id_string") or "")
        if not post_id:
            raise PlatformError(
                f"{self.target.name}: Tumblr answered without a post id", temporary=True, unknown_outcome=True
            )
        log.info("%s: posted %s as Tumblr post %s", self.target.name, entry.url, post_id)
        return Copy(id=post_id, url=f"https://{host}/post/{post_id}")

    def find(self, draft: Draft, entry: Entry) -> Copy | None:
        """The copy among the blog's posts since `entry` was published whose source_url or links point home, or None.

        Raises PlatformError(unknown_outcome=True) when the listing fails for now, or when so many posts
        came since that the copy could be further back than FIND_PAGES pages.
        """
        host, since = blog_host(self.target), entry.published.timestamp() - 86400  # a day of clock skew
        api = self._api()
        for page in range(FIND_PAGES):
            params = {"npf": "true", "limit": str(RECENT), **({"offset": str(page * RECENT)} if page else {})}
            try:
                answer = api.call("GET", f"/v2/blog/{host}/posts", params=params) or {}
            except PlatformError as exc:
                if not exc.temporary:
                    raise
                raise exc.undecided("cannot tell whether a copy exists: ") from None
            posts = [p for p in answer.get("posts") or [] if isinstance(p, dict)]
            for post in posts:
                if _links_to(post, entry.url):
                    post_id = str(post.get("id_string") or post.get("id") or "")
                    return Copy(id=post_id, url=str(post.get("post_url") or f"https://{host}/post/{post_id}"))
            if len(posts) < RECENT or any(_timestamp(p) < since for p in posts):
                return None
        raise PlatformError(
            f"{self.target.name}: no copy among the blog's {FIND_PAGES * RECENT} latest posts, "
            "and older ones could hold it",
            temporary=False,
            unknown_outcome=True,
        )

    def update(self, copy: Copy, draft: Draft, entry: Entry) -> Copy:
        """Replace the copy's content with the draft's (NPF edit); its images are uploaded again."""
        path = f"/v2/blog/{blog_host(self.target)}/posts/{quote(copy.id, safe='')}"
        self._send("PUT", path, draft, unknown_outcome=False)
        return copy

    def delete(self, copy: Copy) -> None:
        """Delete the copy; one already gone counts as deleted."""
        host = blog_host(self.target)
        if self._api().call("POST", f"/v2/blog/{host}/post/delete", form={"id": copy.id}, absent_ok=True) is None:
            log.info("%s: Tumblr post %s was already gone", self.target.name, copy.id)

    def responses(self, copy: Copy, post_url: str, state: dict[str, str]) -> Harvest:
        """The copy's notes: replies (flat), likes, reblogs (quotes when they add text); see backfeed.py.

        Needs only the consumer key (the notes method is at Tumblr's API-key level); signed when the
        token is there too. Everything is read on every poll, so `state` is not used.
        """
        return harvest(self._reader(), blog_host(self.target), copy, post_url)

    # --- helpers -----------------------------------------------------------------------------------

    def _reader(self) -> Api:
        key = self.credentials.get("consumer_key")
        if not key:
            raise missing_credential(self.target, "consumer_key")
        secret, token, token_secret = (self.credentials.get(k) for k in CREDENTIAL_KEYS[1:])
        signed = bool(secret and token and token_secret)  # else the consumer key alone, as api_key
        keys = Keys(key, secret or "", token if signed else None, token_secret if signed else None)
        return Api(self.client, self.target.api or "https://api.tumblr.com", keys, self.target.name)

    def _api(self) -> Api:
        values = {key: self.credentials.get(key) for key in CREDENTIAL_KEYS}
        for key, value in values.items():
            if not value:
                raise missing_credential(self.target, key)
        keys = Keys(
            values["consumer_key"] or "",
            values["consumer_secret"] or "",
            values["oauth_token"],
            values["oauth_token_secret"],
        )
        return Api(self.client, self.target.api or "https://api.tumblr.com", keys, self.target.name)

    def _send(self, method: str, path: str, draft: Draft, *, unknown_outcome: bool) -> dict[str, Any] | None:
        api = self._api()
        if not draft.media:
            return api.call(method, path, json_body=draft.payload, unknown_outcome=unknown_outcome)
        files = []
        for number, media in enumerate(draft.media, 1):
            try:
                data = media.path.read_bytes()
            except OSError as exc:
                raise PlatformError(
                    f"{self.target.name}: cannot read {media.path.name} ({exc.strerror})", temporary=False
                ) from None
            files.append((f"image-{number}", media.path.name, media.mime, data))
        return api.call(method, path, upload=multipart(draft.payload, files), unknown_outcome=unknown_outcome)

    def _paragraphs(self, text: str, links: list[str], notes: list[str]) -> list[dict[str, Any]]:
        blocks = []
        for paragraph in (p.strip() for p in text.split("\n\n")):
            pieces = split_block(paragraph) if paragraph else []
            if len(pieces) > 1:
                notes.append(f"a paragraph over {BLOCK_LIMIT} characters split in {len(pieces)} blocks")
            blocks += [text_block(piece, links) for piece in pieces]
        if len(links) >= MAX_LINKS and any(len(URL.findall(b["text"])) > len(b.get("formatting", ())) for b in blocks):
            notes.append(f"only the first {MAX_LINKS} links are clickable")
        return blocks

    def _images(self, images: tuple[Media, ...], notes: list[str]) -> list[Media]:
        kept = []
        for media in images:
            if media.mime not in IMAGE_TYPES:
                notes.append(f"left out {media.path.name}: Tumblr takes {', '.join(IMAGE_TYPES.values())}")
            elif media.size > MAX_IMAGE_BYTES:
                notes.append(f"left out {media.path.name}: over {MAX_IMAGE_BYTES // 1_000_000} MB")
            else:
                kept.append(media)
        if len(kept) > MAX_IMAGES:
            extra = len(kept) - MAX_IMAGES
            notes.append(f"left out {extra} image{'s' if extra > 1 else ''} over Tumblr's {MAX_IMAGES} per post")
        return kept[:MAX_IMAGES]

    def _image_block(self, media: Media, number: int, notes: list[str]) -> dict[str, Any]:
        item: dict[str, Any] = {"type": media.mime, "identifier": f"image-{number}"}
        if media.width and media.height:
            item.update(width=media.width, height=media.height)
        block: dict[str, Any] = {"type": "image", "media": [item]}
        if media.alt.strip():
            block["alt_text"] = shorten(media.alt.strip(), ALT_LIMIT, len)
            if block["alt_text"] != media.alt.strip():
                notes.append(f"alt text of {media.path.name} shortened to {ALT_LIMIT} characters")
        return block

    def _tags(self, tags: tuple[str, ...], notes: list[str]) -> list[str]:
        kept: dict[str, str] = {}
        for tag in tags:
            name = " ".join(tag.replace(",", " ").lstrip("#").split())[:TAG_LIMIT].strip()
            if name and name.casefold() not in kept:
                kept[name.casefold()] = name
        names = list(kept.values())
        if len(names) > MAX_TAGS:
            notes.append(f"left out {len(names) - MAX_TAGS} of {len(names)} tags (Tumblr keeps {MAX_TAGS})")
        return names[:MAX_TAGS]


def _links_to(post: dict[str, Any], url: str) -> bool:
    """True when the post's source_url, a link block or an inline link points to `url`."""
    targets: list[str] = [str(post.get("source_url") or "")]
    for block in post.get("content") or []:
        if not isinstance(block, dict):
            continue
        targets.append(str(block.get("url") or ""))
        targets += [str(f.get("url") or "") for f in block.get("formatting") or [] if isinstance(f, dict)]
    return any(_unwrap(t).rstrip("/") == url.rstrip("/") for t in targets if t)


def _timestamp(post: dict[str, Any]) -> float:
    """When the post was published (seconds since the epoch); unknown counts as recent."""
    value = post.get("timestamp")
    return float(value) if isinstance(value, (int, float)) else float("inf")


def _unwrap(url: str) -> str:
    """The destination of a t.umblr.com redirect (how Tumblr serves outgoing links), else `url`."""
    parts = urlsplit(url)
    if parts.hostname == "t.umblr.com":
        return parse_qs(parts.query).get("z", [url])[0]
    return url


def authorize(
    target: TargetSettings,
    client: HttpClient,
    credentials: TargetCredentials,
    io: AuthIO,
    *,
    oauth_base: str = OAUTH_BASE,
    wait: float = 300.0,
) -> str:
    """OAuth 1.0a three-legged: the writer's app keys, their consent in a browser, then the access token, checked."""
    key = (
        credentials.get("consumer_key")
        or io.ask("Tumblr OAuth consumer key (register an app at https://www.tumblr.com/oauth/apps)").strip()
    )
    secret = credentials.get("consumer_secret") or io.ask("Tumblr OAuth consumer secret", secret=True).strip()
    if not key or not secret:
        raise PlatformError(f"{target.name}: a consumer key and secret are needed", temporary=False)
    base = oauth_base.rstrip("/")
    callback = LoopbackCallback.start("oauth_token", required="oauth_verifier")  # None: the writer pastes the verifier
    try:
        redirect = callback.redirect_uri if callback else "oob"
        temporary = oauth_step(client, f"{base}/oauth/request_token", Keys(key, secret), callback=redirect)
        if callback:
            callback.expect(temporary["oauth_token"])
        address = f"{base}/oauth/authorize?oauth_token={quote(temporary['oauth_token'], safe='')}"
        io.say("Allow Homepost to post to your Tumblr blog in the browser.")
        if not io.open(address):
            io.say(f"Open this address in a browser: {address}")
        params = callback.wait(wait) if callback else None
        verifier = params["oauth_verifier"] if params else None
    finally:
        if callback:
            callback.close()
    if not verifier:
        verifier = io.ask(
            "Paste the oauth_verifier from the address Tumblr sent your browser to (or that address)"
        ).strip()
        if "oauth_verifier=" in verifier:  # the whole address was pasted
            verifier = parse_qs(urlsplit(verifier).query or verifier).get("oauth_verifier", [""])[0]
    temp_keys = Keys(key, secret, temporary["oauth_token"], temporary["oauth_token_secret"])
    access = oauth_step(client, f"{base}/oauth/access_token", temp_keys, verifier=verifier)
    keys = Keys(key, secret, access["oauth_token"], access["oauth_token_secret"])
    user = Api(client, target.api or "https://api.tumblr.com", keys, target.name).call("GET", "/v2/user/info") or {}
    info = user.get("user")
    info = info if isinstance(info, dict) else {}
    name = str(info.get("name") or "your account")
    blogs = [str(b.get("name") or "") for b in info.get("blogs") or [] if isinstance(b, dict)]
    hosts = [urlsplit(str(b.get("url") or "")).hostname or "" for b in info.get("blogs") or [] if isinstance(b, dict)]
    if (
        target.blog
        and blogs
        and blog_host(target) not in hosts
        and blog_host(target) not in (f"{b}.tumblr.com" for b in blogs)
    ):
        io.say(
            f"Note: {target.blog} is not among {name}'s blogs ({', '.join(blogs)}); "
            f"check blog in [syndication.{target.name}]"
        )
    credentials.save(dict(zip(CREDENTIAL_KEYS, (key, secret, keys.token or "", keys.token_secret or ""), strict=True)))
    return f"Authorized {name} on tumblr"
