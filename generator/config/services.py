"""The settings of comments, the newsletter, moderation, backfeed and deploy.

Declared like those of `settings`: each field a key of site.toml, written once with `setting()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from generator.config import checks
from generator.config.declare import Found, TableRules, setting


@dataclass(frozen=True)
class CommentSettings:
    """`[comments]`: readers' comments through the receiver's form, held for moderation."""

    enabled: bool = setting(
        False,
        "readers' comments through the receiver (see [Backfeed and comments](#backfeed-and-comments))",
    )
    endpoint: str = setting(
        "",
        "where the form posts; by default `…/comment` beside the Webmention endpoint",
        expected="an http(s) URL",
        check=checks.endpoint,
        shown="derived",
    )
    rate_limit: int = setting(
        5,
        "comments accepted per IP address per minute",
        expected="a whole number of comments a minute",
        check=checks.positive,
    )
    max_length: int = setting(
        5000,
        "characters of one comment",
        expected="a whole number of characters",
        check=checks.positive,
    )
    auto_approve_known: bool = setting(
        False,
        "publish at once a comment that carries the secret cookie of a commenter already approved "
        "(a name and website, which anyone can copy, are never enough)",
    )

    def form_url(self, webmention_endpoint: str) -> str:
        """Where the comment form posts: `endpoint`, or /comment beside the Webmention endpoint."""
        return self.endpoint or beside_receiver(webmention_endpoint, "/comment")


def _newsletter_secret(table_name: str, name: str) -> str | None:
    return checks.NEWSLETTER_PASSWORD if name == "password" else None


def beside_receiver(webmention_endpoint: str, route: str) -> str:
    """A route of `homepost receiver` beside its Webmention endpoint (…/webmention -> …/route); "" when the
    endpoint is not a receiver's (it does not end in /webmention: webmention.io's, say)."""
    if not webmention_endpoint.endswith("/webmention"):
        return ""
    return webmention_endpoint.removesuffix("/webmention") + route


MAILBOX = 'a name and address such as "Alice <alice@example.com>"'


@dataclass(frozen=True)
class NewsletterSettings:
    """`[newsletter]`: readers subscribe through the receiver; `homepost newsletter send` mails them new posts."""

    TOML: ClassVar[TableRules] = TableRules(secret=_newsletter_secret)

    enabled: bool = setting(
        False, "the subscribe form on posts, the home page and `/subscribe/` (see [Newsletter](#newsletter))"
    )
    name: str = setting("", "the list's name (List-Id, digests' subjects)", shown="the site's title")
    sender: str = setting(
        "",
        'the sender, as `"Name <address>"`; needed to send',
        toml="from",
        expected=MAILBOX,
        check=checks.mailbox,
    )
    reply_to: str = setting("", "where replies go", expected="an email address", check=checks.mailbox, shown="`from`")
    endpoint: str = setting(
        "",
        "where the subscribe form posts; by default `…/subscribe` beside the Webmention endpoint",
        expected="an http(s) URL",
        check=checks.endpoint,
        shown="derived",
    )
    mode: str = setting("full", "the whole post, or its summary and a link", choices=("full", "excerpt"))
    digest: str = setting(
        "each",
        "one email per post, or one per day or ISO week with posts once it has ended",
        choices=("each", "daily", "weekly"),
    )
    since: str = setting(
        "",
        "posts published before this date are never sent",
        expected="a date such as 2026-01-01",
        accepts=checks.DATE,
        check=checks.iso_date,
        convert=checks.date_text,
        shown="the first send's time",
    )
    host: str = setting("localhost", "the SMTP server", expected="an SMTP server's host name")
    port: int = setting(
        0,
        "the SMTP port",
        expected="a port number",
        check=checks.port,
        shown="465 with `tls`, 25 with `none`, else 587",
    )
    security: str = setting(
        "starttls",
        "how the connection to the SMTP server is secured",
        choices=("starttls", "tls", "none"),
    )
    username: str = setting(
        "",
        'the SMTP login; the password only from `HOMEPOST_NEWSLETTER_PASSWORD` or `password = "…"` under '
        "`[newsletter]` in `.homepost/credentials.toml`, never site.toml",
        expected="a user name",
    )
    rate: int = setting(
        60,
        "messages a minute (`0`: no limit)",
        expected="a whole number of messages a minute (0: no limit)",
        check=checks.not_negative,
    )
    max_bounces: int = setting(3, "permanent refusals of an address before it is unsubscribed", check=checks.positive)

    @property
    def smtp_port(self) -> int:
        """The port to connect to: `port`, or the usual one for `security`."""
        return self.port or {"tls": 465, "none": 25}.get(self.security, 587)

    def form_url(self, webmention_endpoint: str) -> str:
        """Where the subscribe form posts: `endpoint`, or /subscribe beside the Webmention endpoint."""
        return self.endpoint or beside_receiver(webmention_endpoint, "/subscribe")


def _stripped(values: list[str]) -> tuple[str, ...]:
    return tuple(value.strip() for value in values)


@dataclass(frozen=True)
class ModerationSettings:
    """`[moderation]`: what never appears under a post, whatever its source."""

    block: tuple[str, ...] = setting(
        (),
        'responses by these domains (`"spam.example"`), handles (`"@troll@spam.example"`) or author URLs '
        "are never shown",
        expected="a list of domains, @handles or author URLs",
        check=checks.strings,
        convert=_stripped,
    )
    words: tuple[str, ...] = setting(
        (),
        "responses containing one of these words are hidden",
        expected="a list of words",
        check=checks.strings,
        convert=_stripped,
    )
    hide: tuple[str, ...] = setting(
        (),
        "ids or URLs of single responses to hide",
        expected="a list of response ids or URLs",
        check=checks.strings,
        convert=_stripped,
    )


@dataclass(frozen=True)
class BackfeedSettings:
    """`[backfeed]`: how often copies are asked for their replies, likes and reposts."""

    recent_days: int = setting(
        14, "posts younger than this are polled on every run", expected="a whole number of days", check=checks.positive
    )
    older_every_hours: int = setting(
        24,
        "older posts: at most this often (a copy never polled is polled at once)",
        expected="a whole number of hours",
        check=checks.positive,
    )
    max_age_days: int = setting(
        0,
        "posts older than this are no longer polled (`0`: never stop)",
        expected="a whole number of days (0: no limit)",
        check=checks.not_negative,
    )


def _deploy_needs(values: dict[str, Any], name: str, data: dict[str, Any]) -> Found:
    """The key each method needs."""
    needs = {"rsync": "target", "git": "repository", "command": "command"}.get(values.get("method", ""))
    if needs and not data["deploy"].get(needs):  # written but wrong: said already
        yield needs, f"required for method {values['method']!r}"


@dataclass(frozen=True)
class DeploySettings:
    """`[deploy]`: how the built site reaches the web host (see [Publishing](#publishing))."""

    TOML: ClassVar[TableRules] = TableRules(check=_deploy_needs)

    method: str = setting(
        "",
        "how `homepost deploy` reaches the host; required in `[deploy]`",
        choices=("rsync", "git", "command"),
        required=True,
        shown="none: no deploy",
    )
    target: str = setting("", "rsync: a local folder or `host:path`", expected="a folder or host:path for rsync")
    delete: bool = setting(True, "rsync: remove files on the host that the build no longer has")
    repository: str = setting("", "git: where to push (a URL or a local path)", expected="a git remote URL or path")
    branch: str = setting(
        "gh-pages",
        "git: the branch holding the built site",
        expected="a branch name",
        check=checks.branch,
    )
    message: str = setting(
        "Publish {date}",
        "git: the commit message (`{date}`: the moment, ISO 8601)",
        expected="a commit message",
    )
    command: str = setting(
        "",
        "command: a shell command; `{output}` is replaced by the output folder",
        expected="a shell command",
    )
    wait: int = setting(
        300,
        "`publish`: seconds to wait for a new post to answer at its public URL",
        expected="a whole number of seconds",
        check=checks.not_negative,
    )


USERNAME = "letters, digits, '_', '.' and '-', such as blog"


@dataclass(frozen=True)
class FediverseSettings:
    """`[fediverse]`: the site as an ActivityPub actor, followable as `@username@host`."""

    enabled: bool = setting(False, "the site is followable from Mastodon and its kin (see [Fediverse](#fediverse))")
    username: str = setting(
        "",
        "the handle's user part: `@username@host`",
        expected=USERNAME,
        check=checks.fediverse_username,
        shown="from the site's host",
    )
    name: str = setting("", "the actor's display name", shown="the site's title")
    summary: str = setting("", "the actor's bio (plain text)", shown="the site's description")
    type: str = setting("Person", "the actor's type", choices=("Person", "Service"))
    header: str = setting(
        "",
        "the profile's header image: a URL or a path under the site (the avatar is `[site.author] avatar`)",
        expected="a URL or a path under the site",
    )
    receiver: str = setting(
        "",
        "the base URL of your `homepost receiver`, where the inboxes are; by default beside the Webmention endpoint",
        expected="an http(s) URL",
        check=checks.endpoint,
        shown="derived",
    )
    manually_approves_followers: bool = setting(False, "hold each follow until `homepost fediverse followers approve`")
    discoverable: bool = setting(True, "allow servers to list the actor in directories and suggestions")
    max_tries: int = setting(
        12,
        "tries to deliver one activity to one inbox before giving up (retried with backoff over about a week)",
        expected="a whole number of tries",
        check=checks.positive,
    )
