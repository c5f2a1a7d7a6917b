"""The fediverse documents in the output plan (when `[fediverse] enabled`): discovery, actor, outbox, objects.

Each is planned with a fingerprint, as the feeds are: an edited post makes its object and its
page of the outbox again, and nothing else.
"""

from __future__ import annotations

import functools
import logging

from generator.config import Config
from generator.digest import quick_digest
from generator.fediverse import urls
from generator.incremental.fingerprint import Fingerprints
from generator.model import Post, Site
from generator.pipeline.writer import OutputPlan
from generator.render import translator

log = logging.getLogger(__name__)

ORIGIN = "fediverse"


def plan_fediverse(
    plan: OutputPlan, config: Config, site: Site, fingerprints: Fingerprints, strings: dict[str, dict[str, str]]
) -> None:
    """Plan WebFinger, host-meta, the actor, its collections and outbox pages, and every post's object."""
    if not config.fediverse.enabled:
        return
    if not urls.receiver_base(config):
        log.warning(
            "site.toml: [fediverse] enabled without a receiver: set [fediverse] receiver, or a [webmention] endpoint "
            "ending in /webmention (your homepost receiver's); the actor names no reachable inbox, so nobody can "
            "follow the site"
        )
    # Here, not at the top: a site without the fediverse never loads the documents or the key (cryptography).
    from generator.fediverse import documents
    from generator.fediverse.keys import ensure_key

    if config.site.base_path != "/":
        log.warning(
            "site.toml: [fediverse] enabled on a site under %s: WebFinger is asked for at the host's root, "
            "so the host must serve /.well-known/webfinger and /.well-known/host-meta from %s.well-known/",
            config.site.base_path,
            config.site.base_path,
        )
    key = ensure_key(config.root)
    plan.add_bytes(urls.WEBFINGER_FILE, documents.webfinger(config), ORIGIN)
    plan.add_bytes(urls.HOST_META_FILE, documents.host_meta(config), ORIGIN)
    plan.add_bytes(urls.NODEINFO_LINKS_FILE, documents.nodeinfo_links(config), ORIGIN)
    plan.add_bytes(urls.NODEINFO_FILE, documents.nodeinfo(config, len(site.posts)), ORIGIN)
    first = site.posts[-1].date if site.posts else None
    plan.add_bytes(urls.ACTOR_FILE, documents.actor(config, key.public_pem, first), ORIGIN)
    plan.add_bytes(urls.FOLLOWERS_FILE, documents.collection(config, urls.FOLLOWERS_FILE, site.followers), ORIGIN)
    plan.add_bytes(urls.FOLLOWING_FILE, documents.collection(config, urls.FOLLOWING_FILE, 0), ORIGIN)
    read_whole = {post.source: read_whole_label(strings, post, config) for post in site.posts}
    for post in site.posts:
        fingerprint = quick_digest(fingerprints.site_inputs, "activity", fingerprints.post(post))
        make = functools.partial(documents.object_document, config, post, read_whole[post.source])
        plan.add(urls.object_file(post.dest), f"content/{post.source} (fediverse object)", fingerprint, make)
    total = len(site.posts)
    plan.add_bytes(urls.OUTBOX_FILE, documents.outbox(config, total), ORIGIN)
    for number in range(1, documents.page_count(total) + 1):
        posts = site.posts[(number - 1) * documents.PAGE_SIZE : number * documents.PAGE_SIZE]
        fingerprint = quick_digest(fingerprints.site_inputs, "outbox", number, total, fingerprints.value(posts))
        make = functools.partial(documents.outbox_page, config, number, total, posts, read_whole)
        plan.add(urls.outbox_page_file(number), ORIGIN, fingerprint, make)


def read_whole_label(strings: dict[str, dict[str, str]], post: Post, config: Config) -> str:
    """The label before an article's link home, in the post's language (the theme's `fediverse_read_whole`)."""
    return translator(strings, post.lang or config.site.language)("fediverse_read_whole")
