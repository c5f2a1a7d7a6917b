"""Checking a reader's comment: each field of the form, its Markdown rendered and sanitised, blocks and rate keys.

Every check returns the normalised value or raises `CommentRefused` with a short reason a person
can act on (answered 400). What is silent, so that a spammer learns nothing: a blocked author (by
IP address or network, by the website's domain and its subdomains, or by the exact author URL) is
answered like a success by `moderation.submit_comment`, and nothing is stored.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable
from functools import cache
from urllib.parse import urlsplit, urlunsplit

from markdown_it import MarkdownIt

from generator.config import Config
from generator.errors import HomepostError
from generator.sanitize import clean_html, clean_url
from generator.sitedata.responses import read_responses, responses_file
from generator.webmention.receiver.comments import BLOCK_KINDS, FRAGMENT, Block, CommentRefused
from generator.webmention.receiver.store import Store

log = logging.getLogger(__name__)

NAME_LIMIT = 100
WEBSITE_LIMIT = 300
URL_LIMIT = 2000  # target and reply_to
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # C0, C1, bidi overrides
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$"
)


def post_url(config: Config, url: str) -> str | None:
    """`url` without query or fragment if it is an http(s) URL of a page on this site, else None.

    On the site means what `homepost webmention pull` needs to file the comment: under `[site] url`.
    """
    url = clean_url(url.strip()) if len(url) <= URL_LIMIT else ""
    if not url:
        return None
    parts = urlsplit(url)
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return bare if responses_file(config, bare) is not None else None


def check_target(config: Config, target: str) -> str:
    """The post's URL, normalised; CommentRefused unless it is on this site."""
    if not target.strip():
        raise CommentRefused("target is missing")
    url = post_url(config, target)
    if url is None:
        raise CommentRefused(f"target is not on this site (it must start with {config.site.url})")
    return url


def check_name(name: str) -> str:
    """The name on one line, control characters removed; CommentRefused if missing or too long."""
    name = " ".join(_CONTROLS.sub("", name).split())
    if not name:
        raise CommentRefused("name is missing")
    if len(name) > NAME_LIMIT:
        raise CommentRefused(f"name is longer than {NAME_LIMIT} characters")
    return name


def check_website(website: str) -> str:
    """The website as an http(s) URL (https:// added when no scheme is given), scheme and host in lower case; or ""."""
    website = website.strip()
    if not website:
        return ""
    if len(website) > WEBSITE_LIMIT:
        raise CommentRefused(f"website is longer than {WEBSITE_LIMIT} characters")
    if "://" not in website and not re.match(r"[a-z][a-z0-9+.-]*:(?!\d)", website, re.IGNORECASE):
        website = "https://" + website  # "alice.example" or "alice.example:8080/", not "javascript:…"
    url = clean_url(website)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        url = ""
    if not url or not parts.hostname:
        raise CommentRefused("website must be an http or https URL, such as https://example.com/")
    normal = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, parts.fragment))
    if len(normal) > WEBSITE_LIMIT:
        raise CommentRefused(f"website is longer than {WEBSITE_LIMIT} characters")
    return normal


def check_markdown(text: str, limit: int) -> str:
    """The comment with newlines normalised and control characters removed; CommentRefused if missing or too long."""
    text = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise CommentRefused("comment is missing")
    if len(text) > limit:
        raise CommentRefused(f"comment is longer than {limit} characters")
    return text


def resolve_reply_to(store: Store, config: Config, target: str, reply_to: str) -> str:
    """The id of what the comment answers: "" or an approved comment or a stored response of the same post.

    A comment may be named by its id, `comment-<id>` or its permalink; it is returned as its
    permalink, the id it has once pulled. Anything else must be the id of a live mention of the
    post in the receiver or of a response in the post's file in the site's data folder.
    """
    reply_to = reply_to.strip()
    if not reply_to:
        return ""
    if len(reply_to) > URL_LIMIT:
        raise CommentRefused(f"reply_to is longer than {URL_LIMIT} characters")
    comment_id = ""
    if reply_to.startswith(target + FRAGMENT):
        comment_id = reply_to[len(target + FRAGMENT) :]
    elif reply_to.startswith("comment-"):
        comment_id = reply_to.removeprefix("comment-")
    elif "/" not in reply_to:
        comment_id = reply_to
    if re.fullmatch(r"[a-z0-9]{1,40}", comment_id):
        parent = store.get_comment(comment_id)
        if parent is not None and parent.status == "approved" and parent.target == target:
            return parent.source
    if any(m.response.id == reply_to for m in store.mentions(target=target)):
        return reply_to
    path = responses_file(config, target)
    if path is not None and path.is_file():
        try:
            if any(r.id == reply_to for r in read_responses(path)):
                return reply_to
        except HomepostError:
            log.warning("cannot read %s to check a comment's reply_to", path)
    raise CommentRefused("reply_to is not a published comment or response on this post")


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML is text; an image becomes "!" and a link to it (the sanitiser would drop <img> and its alt text).
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def render_markdown(text: str) -> str:
    """A comment's Markdown as sanitised HTML: CommonMark without raw HTML, then clean_html (links nofollow ugc)."""
    return clean_html(_markdown().render(text))


# --- blocks ------------------------------------------------------------------------------------


def normalise_block(kind: str, value: str) -> str:
    """The stored form of a block; ValueError with a message for a value that cannot be one.

    ip: an address or a network (`203.0.113.0/24`); domain: a host name (a URL is reduced to its
    host); author: an http(s) URL, compared with a comment's website without regard to the case of
    scheme and host or a trailing "/".
    """
    value = value.strip()
    if kind == "ip":
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"not an IP address or network: {value!r}") from None
        return str(network.network_address) if network.prefixlen == network.max_prefixlen else str(network)
    if kind == "domain":
        host = (urlsplit(value).hostname or "") if "://" in value else value
        host = host.lower().strip(".")
        if not _DOMAIN.match(host):
            raise ValueError(f"not a domain name: {value!r}")
        return host
    if kind == "author":
        try:
            return _author_key(check_website(value))
        except CommentRefused:
            raise ValueError(f"not an http(s) URL: {value!r}") from None
    raise ValueError(f"unknown kind of block {kind!r} (expected one of {', '.join(BLOCK_KINDS)})")


def blocked_by(blocks: Iterable[Block], ip: str, website: str) -> Block | None:
    """The first block that applies to a comment from `ip` with `website`, or None."""
    address = _address(ip)
    host = (urlsplit(website).hostname or "").lower().rstrip(".") if website else ""
    author = _author_key(website) if website else ""
    return next((b for b in blocks if _applies(b, address, host, author)), None)


def _applies(
    block: Block, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, host: str, author: str
) -> bool:
    if block.kind == "ip":
        try:
            return address is not None and address in ipaddress.ip_network(block.value, strict=False)
        except ValueError:
            return False
    if block.kind == "domain":
        return bool(host) and (host == block.value or host.endswith("." + block.value))
    return bool(author) and author == block.value


def rate_key(ip: str) -> str:
    """What the per-IP rate limit counts by: the address, or its /64 for IPv6 (one household or server)."""
    address = _address(ip)
    if address is None:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(ip.strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _author_key(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))
