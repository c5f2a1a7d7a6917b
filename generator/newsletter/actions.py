"""What the `homepost newsletter` commands do, one function each: send the new issues, preview one, test one.

Each returns a result for the command to print and raises HomepostError with what went wrong;
`NotReady` when the site cannot send or show its newsletter at all (not configured, no such post).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from generator.config import Config, load_config
from generator.credentials import credential
from generator.errors import HomepostError, Problem
from generator.newsletter.addresses import address_problem
from generator.newsletter.compose import Issue, NewsletterLinks, issue_email, sender_address
from generator.newsletter.csvfiles import export_subscribers
from generator.newsletter.send import FolderTransport, SendReport, new_issues, send_newsletter
from generator.newsletter.smtp import SmtpConnection, SmtpError
from generator.newsletter.store import NewsletterStore
from generator.pipeline.build import read_site

PREVIEW_DIR = "newsletter-preview"  # under .homepost/


class NotReady(HomepostError):
    """The newsletter cannot be sent or shown: `[newsletter]` lacks something, or there is no such post."""


@dataclass(frozen=True)
class Preview:
    """The files `homepost newsletter preview` wrote: the whole email, and its HTML part to open."""

    eml: Path
    html: Path


@dataclass(frozen=True)
class TestSent:
    """The test email that went out: its subject, and the SMTP server's answer."""

    subject: str
    reply: str


def send_issues(
    config: Config, store: NewsletterStore, posts: tuple[str, ...], dry_run: Path | None, now: dt.datetime | None
) -> SendReport:
    """Mail each new issue (of `posts` when given) to every confirmed subscriber; into `dry_run` instead."""
    check_ready(config)
    transport = FolderTransport(dry_run) if dry_run else smtp_connection(config)
    site = read_site(config, now)
    return send_newsletter(config, store, site, transport, posts=post_keys(config, posts), record=dry_run is None)


def preview_issue(root: Path, post: str, out: Path | None, now: dt.datetime | None) -> Preview:
    """Write the email of `post` as .eml and .html into `out` (default: .homepost/newsletter-preview)."""
    config, issue = one_issue(root, post, now)
    folder = out or config.private_dir / PREVIEW_DIR
    unsubscribe = NewsletterLinks(config).unsubscribe("preview")
    message = issue_email(config, issue, "reader@example.com", 0, unsubscribe, dt.datetime.now(dt.UTC))
    folder.mkdir(parents=True, exist_ok=True)
    name = issue.posts[0].slug
    (folder / f"{name}.eml").write_bytes(message.as_bytes())
    html = message.get_body(("html",))
    (folder / f"{name}.html").write_text(str(html.get_content()) if html is not None else "", encoding="utf-8")
    return Preview(folder / f"{name}.eml", folder / f"{name}.html")


def send_test(root: Path, address: str, post: str | None, now: dt.datetime | None) -> TestSent:
    """Send the email of `post` (the newest when None) to `address` through the SMTP server, recording nothing."""
    config, issue = one_issue(root, post, now)
    check_ready(config)
    address = address.strip()
    problem = address_problem(address)
    if problem:
        raise HomepostError(Problem("ADDRESS", problem))
    message = issue_email(
        config, issue, address, 0, NewsletterLinks(config).unsubscribe("test"), dt.datetime.now(dt.UTC)
    )
    del message["Subject"]
    message["Subject"] = f"[test] {issue.subject}"
    server = f"{config.newsletter.host}:{config.newsletter.smtp_port}"
    connection = smtp_connection(config)
    try:
        outcome = connection.transact(sender_address(config), address, message.as_bytes(), lambda: None)
    except SmtpError as exc:  # the server's words
        raise HomepostError(Problem(server, str(exc))) from None
    finally:
        connection.close()
    if outcome.verdict != "sent":
        raise HomepostError(Problem(server, outcome.reply))
    return TestSent(issue.subject, outcome.reply)


def check_ready(config: Config) -> None:
    """NotReady unless `[newsletter]` is enabled, has a sender and a /subscribe URL for the unsubscribe links."""
    settings = config.newsletter
    if not settings.enabled:
        raise NotReady(
            Problem("site.toml", "the newsletter is not enabled (set enabled = true)", key="newsletter.enabled")
        )
    if not settings.sender:
        required = 'required: the address emails come from, such as "Alice <alice@example.com>"'
        raise NotReady(Problem("site.toml", required, key="newsletter.from"))
    if not settings.form_url(config.webmention.endpoint).endswith("/subscribe"):
        needed = (
            "the receiver's /subscribe URL is needed for the unsubscribe links: "
            "set it, or a [webmention] endpoint ending in /webmention"
        )
        raise NotReady(Problem("site.toml", needed, key="newsletter.endpoint"))


def smtp_connection(config: Config) -> SmtpConnection:
    """The SMTP connection of `[newsletter]`, with the password from the environment or credentials file."""
    return SmtpConnection(config.newsletter, credential(config.root, "newsletter", "password"))


def post_keys(config: Config, posts: tuple[str, ...]) -> tuple[str, ...]:
    """Posts as given (content paths) and as URLs (absolute or site paths)."""
    keys = []
    for post in posts:
        keys.append(post.removeprefix("content/"))
        keys.append(post if post.startswith(("http://", "https://")) else config.abs_url(post))
    return tuple(keys)


def one_issue(root: Path, post: str | None, now: dt.datetime | None) -> tuple[Config, Issue]:
    """The site's configuration and the issue of one post (the newest when None); NotReady when there is none."""
    try:
        config = load_config(root)
        found = read_site(config, now)
    except HomepostError as exc:
        raise NotReady(exc.problems) from None
    if not found.posts:
        raise NotReady(Problem("content", "no published post to show"))
    keys = post_keys(config, (post,)) if post else (found.posts[0].source,)
    issues = new_issues(config, found, "", dt.datetime.now(dt.UTC), keys)
    if not issues:
        raise NotReady(Problem(post or "", "no published post at this path or URL"))
    return config, issues[0]


def export_file(store: NewsletterStore, file: Path) -> int:
    """Write every subscriber as CSV to `file`, readable by its owner only; return how many."""
    file.touch(mode=0o600)
    with file.open("w", encoding="utf-8", newline="") as out:
        return export_subscribers(store, out)
