"""The build's attach stage: the site's data (responses, copies) joined to the posts that own it."""

from __future__ import annotations

import datetime as dt

from generator.config import Config
from generator.model import Site
from generator.sitedata import SiteData
from generator.sitedata.conversations import conversation

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def attach_site_data(config: Config, site: Site, data: SiteData, public_url: str) -> None:
    """Give each post and page its responses and their conversation, and each post its copies (u-syndication)."""
    _attach_responses(config, site, data)
    site.followers = data.followers
    _attach_copies(site, data, public_url, config.site.url)


def gone_paths(public_url: str, data: SiteData, published: frozenset[str]) -> tuple[str, ...]:
    """Site paths (without the base path) of every post and page ever published: those the build's own record
    holds and those the webmention record knows. A tombstone is made for each one no page of this build
    claims (it was deleted, or its URL changed)."""
    sent = (url.removeprefix(public_url) for url in data.sent if url.startswith(public_url))
    return tuple(sorted(published.union(sent)))


def _attach_responses(config: Config, site: Site, data: SiteData) -> None:
    """Give each post and page the responses stored for its URL (and its old URLs), and their conversation."""
    responses = data.responses
    for post in site.posts + site.pages:
        found = list(responses.get(post.url, ()))
        for alias in post.aliases:
            found += responses.get(config.abs_url(alias), ())
        if not found:  # most posts
            post.responses, post.conversation = (), None
            continue
        post.responses = tuple(sorted(found, key=lambda r: (r.published or _EPOCH, r.id)))
        post.conversation = conversation(config, post.responses, data.avatars)


def _attach_copies(site: Site, data: SiteData, public_url: str, url: str) -> None:
    """Add each post's copies from the syndication outbox to its `syndication` links."""
    if not data.copies:
        return
    for post in site.posts:
        copies = data.copies.get(public_url + post.url.removeprefix(url), ())  # known by their public URL
        if copies:
            post.syndication = tuple(dict.fromkeys(post.syndication + copies))
