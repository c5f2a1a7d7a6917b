"""Where the site's ActivityPub documents and inboxes are: one place, read by the build and the receiver alike.

The documents are static files of the build, under `fediverse/` in the output (served as
`application/activity+json`); the inboxes are routes of `homepost receiver`, under `…/fediverse/`
beside its Webmention endpoint (or under `[fediverse] receiver`).
"""

from __future__ import annotations

from generator.config import Config
from generator.config.services import beside_receiver

DOCUMENTS = "fediverse/"  # the output folder of the static documents
ACTOR_FILE = DOCUMENTS + "actor.json"
OUTBOX_FILE = DOCUMENTS + "outbox.json"  # the collection; its pages are outbox-1.json (newest) to outbox-N.json
FOLLOWERS_FILE = DOCUMENTS + "followers.json"
FOLLOWING_FILE = DOCUMENTS + "following.json"
OBJECT_NAME = "activity.json"  # beside each post's index.html: its Article or Note
WEBFINGER_FILE = ".well-known/webfinger"
HOST_META_FILE = ".well-known/host-meta"
NODEINFO_LINKS_FILE = ".well-known/nodeinfo"  # where servers look for NodeInfo (JRD)
NODEINFO_FILE = "nodeinfo-2.1.json"  # NodeInfo 2.1 itself (plain JSON, outside fediverse/ and its type)
INBOX_ROUTE = "/fediverse/inbox"  # the actor's inbox, a route of the receiver
SHARED_INBOX_ROUTE = "/fediverse/shared-inbox"


def username(config: Config) -> str:
    """The handle's user part: `[fediverse] username`, else the first label of the site's host."""
    return config.fediverse.username or (config.site.host.split(".")[0] or "blog")


def handle(config: Config) -> str:
    """`@username@host`, as readers type it into Mastodon's search."""
    return f"@{username(config)}@{config.site.host}"


def actor_url(config: Config) -> str:
    """The actor's id: the URL of its document."""
    return config.abs_url(ACTOR_FILE)


def key_id(config: Config) -> str:
    """The id of the actor's public key (`ACTOR#main-key`), as signatures name it."""
    return actor_url(config) + "#main-key"


def receiver_base(config: Config) -> str:
    """The receiver's base URL: `[fediverse] receiver`, else beside a receiver's Webmention endpoint (…/webmention);
    "" when neither (an endpoint such as webmention.io's is not a receiver: no inbox is there)."""
    if config.fediverse.receiver:
        return config.fediverse.receiver.rstrip("/")
    return beside_receiver(config.webmention.endpoint, "")


def inbox_url(config: Config) -> str:
    """The actor's inbox."""
    return receiver_base(config) + INBOX_ROUTE


def shared_inbox_url(config: Config) -> str:
    """The shared inbox (`endpoints.sharedInbox`)."""
    return receiver_base(config) + SHARED_INBOX_ROUTE


def document_url(config: Config, file: str) -> str:
    """The URL of one of the actor's static documents (`ACTOR_FILE`, `OUTBOX_FILE`, `outbox_page_file(n)`...)."""
    return config.abs_url(file)


def outbox_page_file(number: int) -> str:
    """The output file of page `number` of the outbox (1: the newest posts)."""
    return f"{DOCUMENTS}outbox-{number}.json"


def acct(config: Config) -> str:
    """The WebFinger subject: `acct:username@host`."""
    return f"acct:{username(config)}@{config.site.host}"


def object_file(post_dest: str) -> str:
    """The output file of a post's object beside its page (`…/index.html` -> `…/activity.json`), as `object_url`."""
    folder, _, name = post_dest.rpartition("/")
    prefix = folder + "/" if folder else ""
    if name == "index.html":
        return prefix + OBJECT_NAME
    return prefix + name.removesuffix(".html") + "." + OBJECT_NAME


def object_url(config: Config, post_url: str) -> str:
    """The ActivityPub object of a post: `activity.json` in its folder, or `NAME.activity.json` beside `NAME.html`."""
    if post_url.endswith("/"):
        return post_url + OBJECT_NAME
    return post_url.removesuffix(".html") + "." + OBJECT_NAME
