"""The site's static ActivityPub documents: WebFinger, host-meta, the actor, its collections, each post's object.

Pure functions from the configuration and the model to JSON (or XML) bytes, shaped as Mastodon
writes them (its `@context` extensions, its safe HTML subset). Where each document lives is
`urls.py`'s to say; the build plans them in `pipeline/fediverse.py`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import mimetypes
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

from generator import __version__
from generator.config import Config
from generator.fediverse import urls
from generator.model import Image, Post

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = AS_CONTEXT + "#Public"
PAGE_SIZE = 20  # activities on each page of the outbox
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
# Mastodon's names for what the actor and the objects use beyond ActivityStreams (its context_helper.rb).
ACTOR_CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
    },
]
OBJECT_CONTEXT: list[Any] = [AS_CONTEXT, {"sensitive": "as:sensitive", "Hashtag": "as:Hashtag"}]
# What Mastodon's sanitiser keeps of a post's HTML (the rest is unwrapped; scripts and styles go whole).
SAFE_TAGS = {
    "p",
    "br",
    "a",
    "span",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
}
SAFE_ATTRIBUTES = {"a": {"href"}}


def webfinger(config: Config) -> bytes:
    """The WebFinger answer (JRD) for `acct:username@host`: the same whatever the query asks."""
    actor = urls.actor_url(config)
    return _json(
        {
            "subject": urls.acct(config),
            "aliases": [actor, config.site.url],
            "links": [
                {"rel": "self", "type": "application/activity+json", "href": actor},
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": config.site.url},
            ],
        }
    )


def host_meta(config: Config) -> bytes:
    """host-meta (XRD): where WebFinger answers, for the software that asks here first."""
    template = html.escape(urls.document_url(config, urls.WEBFINGER_FILE) + "?resource={uri}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/jrd+json" template="{template}"/>\n'
        "</XRD>\n"
    ).encode()


def nodeinfo_links(config: Config) -> bytes:
    """`/.well-known/nodeinfo`: where the NodeInfo document is."""
    return _json({"links": [{"rel": NODEINFO_SCHEMA, "href": urls.document_url(config, urls.NODEINFO_FILE)}]})


def nodeinfo(config: Config, posts: int) -> bytes:
    """NodeInfo 2.1: the software, one user, no sign-ups, how many posts (what servers show of an instance)."""
    return _json(
        {
            "version": "2.1",
            "software": {"name": "homepost", "version": __version__},
            "protocols": ["activitypub"],
            "services": {"inbound": [], "outbound": []},
            "openRegistrations": False,
            "usage": {"users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": posts},
            "metadata": {"nodeName": config.site.title, "nodeDescription": config.site.description},
        }
    )


def actor(config: Config, public_pem: str, published: dt.datetime | None) -> bytes:
    """The actor document: who the site is, where its inbox and collections are, its public key."""
    settings, author = config.fediverse, config.site.author
    actor_id = urls.actor_url(config)
    summary = settings.summary or config.site.description
    doc: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": actor_id,
        "type": settings.type,
        "preferredUsername": urls.username(config),
        "name": settings.name or config.site.title,
        "summary": f"<p>{html.escape(summary)}</p>" if summary else "",
        "url": config.site.url,
        "inbox": urls.inbox_url(config),
        "outbox": urls.document_url(config, urls.OUTBOX_FILE),
        "followers": urls.document_url(config, urls.FOLLOWERS_FILE),
        "following": urls.document_url(config, urls.FOLLOWING_FILE),
        "endpoints": {"sharedInbox": urls.shared_inbox_url(config)},
        "publicKey": {"id": urls.key_id(config), "owner": actor_id, "publicKeyPem": public_pem},
        "manuallyApprovesFollowers": settings.manually_approves_followers,
        "discoverable": settings.discoverable,
    }
    for name, ref in (("icon", author.avatar), ("image", settings.header)):
        if ref:
            url = _absolute(config, ref)
            doc[name] = {"type": "Image", "mediaType": _media_type(url), "url": url}
    if published is not None:
        doc["published"] = _when(published)
    doc["attachment"] = [_property(link) for link in author.me]
    return _json(doc)


def _property(link: str) -> dict[str, str]:
    """A profile field for a rel=me link, its value the link as Mastodon writes a verifiable one."""
    shown = link.split("://", 1)[-1].rstrip("/")
    value = f'<a href="{html.escape(link)}" rel="me nofollow noopener" target="_blank">{html.escape(shown)}</a>'
    return {"type": "PropertyValue", "name": urlsplit(link).hostname or shown, "value": value}


def collection(config: Config, file: str, total: int) -> bytes:
    """Followers or following: an OrderedCollection that says how many, and not who."""
    return _json(
        {
            "@context": AS_CONTEXT,
            "id": urls.document_url(config, file),
            "type": "OrderedCollection",
            "totalItems": total,
        }
    )


def outbox(config: Config, total: int) -> bytes:
    """The outbox: an OrderedCollection of the posts' Create activities, in pages of PAGE_SIZE, newest first."""
    pages = page_count(total)
    return _json(
        {
            "@context": AS_CONTEXT,
            "id": urls.document_url(config, urls.OUTBOX_FILE),
            "type": "OrderedCollection",
            "totalItems": total,
            "first": urls.document_url(config, urls.outbox_page_file(1)),
            "last": urls.document_url(config, urls.outbox_page_file(pages)),
        }
    )


def page_count(total: int) -> int:
    """How many pages the outbox has (one, empty, when there are no posts)."""
    return max(1, -(-total // PAGE_SIZE))


def outbox_page(config: Config, number: int, total: int, posts: list[Post], read_whole: dict[str, str]) -> bytes:
    """Page `number` of the outbox: the Create activity of each of `posts`, the object embedded."""
    doc: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": urls.document_url(config, urls.outbox_page_file(number)),
        "type": "OrderedCollectionPage",
        "partOf": urls.document_url(config, urls.OUTBOX_FILE),
        "totalItems": total,
    }
    if number > 1:
        doc["prev"] = urls.document_url(config, urls.outbox_page_file(number - 1))
    if number < page_count(total):
        doc["next"] = urls.document_url(config, urls.outbox_page_file(number + 1))
    doc["orderedItems"] = [create(config, post, read_whole[post.source]) for post in posts]
    return _json(doc)


def create(config: Config, post: Post, read_whole: str) -> dict[str, Any]:
    """The Create activity of a post, its object embedded."""
    obj = post_object(config, post, read_whole)
    return {
        "id": obj["id"] + "#create",
        "type": "Create",
        "actor": obj["attributedTo"],
        "published": obj["published"],
        "to": obj["to"],
        "cc": obj["cc"],
        "object": obj,
    }


def object_document(config: Config, post: Post, read_whole: str) -> bytes:
    """A post's object as its own document, at `urls.object_url`."""
    return _json({"@context": OBJECT_CONTEXT, **post_object(config, post, read_whole)})


def post_object(config: Config, post: Post, read_whole: str) -> dict[str, Any]:
    """A post as an ActivityPub object: an `Article` when it has a title, a `Note` when it is a note.

    A note's content is its whole HTML; an article's is its summary and a link to the whole post
    (`read_whole`: the label before the link, in the post's language), as Mastodon shows best.
    """
    lang = post.lang or config.site.language
    if post.is_note:
        content = safe_html(post.content_html, post.url)
    else:
        label = html.escape(read_whole)
        link = f'<a href="{html.escape(post.url)}">{html.escape(post.url)}</a>'
        content = safe_html(post.summary_html, post.url) + f"<p>{label} {link}</p>"
    doc: dict[str, Any] = {
        "id": urls.object_url(config, post.url),
        "type": "Note" if post.is_note else "Article",
        "url": post.url,
        "attributedTo": urls.actor_url(config),
    }
    if post.date is not None:
        doc["published"] = _when(post.date)
    if post.updated is not None:
        doc["updated"] = _when(post.updated)
    if not post.is_note:
        doc["name"] = post.title
    if post.content_warning:
        doc["summary"] = post.content_warning
    elif not post.is_note and post.summary_text:
        doc["summary"] = post.summary_text
    doc["sensitive"] = bool(post.content_warning)
    replying = [cite.url for cite in post.cites if cite.kind == "in-reply-to"]
    if replying:
        doc["inReplyTo"] = replying[0]
    doc["content"] = content
    doc["contentMap"] = {lang: content}
    doc["tag"] = [{"type": "Hashtag", "href": term.url, "name": "#" + "".join(term.name.split())} for term in post.tags]
    doc["attachment"] = [_attachment(image) for image in images(post)]
    if post.episode is not None:  # an episode's audio, which Mastodon plays
        episode = post.episode
        audio = {"type": "Document", "mediaType": episode.audio_type, "url": episode.audio_url, "name": post.title}
        doc["attachment"].append(audio)
    doc["to"] = [PUBLIC]
    doc["cc"] = [urls.document_url(config, urls.FOLLOWERS_FILE)]
    return doc


def safe_html(fragment: str, base: str) -> str:
    """`fragment` cut down to Mastodon's safe subset, its links made absolute against `base`."""

    def absolute(tag: str, attribute: str, value: str) -> str | None:
        return urljoin(base, value) if attribute == "href" else value

    return nh3.clean(fragment, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, attribute_filter=absolute).strip()


def images(post: Post) -> list[Image]:
    """The post's cover and the images of its text, each once, with absolute URLs."""
    found = [post.image] if post.image is not None else []
    collector = _Images(post.url)
    collector.feed(post.content_html)
    seen = {image.url for image in found}
    for image in collector.images:
        if image.url not in seen:
            seen.add(image.url)
            found.append(image)
    return found


class _Images(HTMLParser):
    """The `<img>` elements of a post's HTML: source made absolute, alt text, size when given."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.images: list[Image] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect an image with a source."""
        values = {name: value or "" for name, value in attrs}
        if tag != "img" or not values.get("src"):
            return
        url = urljoin(self.base, values["src"])
        self.images.append(
            Image(url, url, values.get("alt", ""), _int(values.get("width")), _int(values.get("height")))
        )


def _attachment(image: Image) -> dict[str, Any]:
    media_type = _media_type(image.url)
    doc: dict[str, Any] = {
        "type": "Image" if media_type.startswith("image/") else "Document",
        "mediaType": media_type,
        "url": image.url,
        "name": image.alt,
    }
    if image.width and image.height:
        doc["width"], doc["height"] = image.width, image.height
    return doc


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _absolute(config: Config, ref: str) -> str:
    """A URL, or a path under the site made absolute (as the theme does for the author's avatar)."""
    return ref if "://" in ref else config.abs_url(ref)


def _media_type(url: str) -> str:
    return mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
