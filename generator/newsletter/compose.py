"""The emails: one issue (a post or a digest of posts) for one subscriber, and the confirmation email.

`EmailMessage` with the default policy (RFC 2047 subjects, UTF-8 bodies), `multipart/alternative`
with the plain text first and the HTML last. The HTML has inline styles only, no script, form or
external stylesheet, images by absolute URL with alt text and a width, and a palette that reads
on light and dark backgrounds. Every issue carries RFC 8058 one-click unsubscribe headers and a
visible unsubscribe link; nothing is tracked and no link is rewritten.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import quote, urlencode

from generator.config import Config
from generator.digest import digest
from generator.model import Post
from generator.syndication.entry import absolute_html, plain_text

IMAGE_WIDTH = 600  # pixels: the column the HTML is laid out in
_DROPPED = re.compile(
    r"<(script|style|iframe|object|embed|form|template)\b.*?</\1\s*>|<(link|meta|base|input)\b[^>]*>",
    re.IGNORECASE | re.DOTALL,
)
_EVENT = re.compile(r"\son[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)
_IMG = re.compile(r"<img\b([^>]*?)/?>", re.IGNORECASE)
_TEXT = "color:#222222;background:#ffffff;"  # dark text on white; clients that invert for dark mode keep contrast
_BODY = (
    f"margin:0 auto;max-width:{IMAGE_WIDTH}px;padding:16px;"
    f"font-family:Georgia,'Noto Serif',serif;font-size:17px;line-height:1.6;{_TEXT}"
)


@dataclass(frozen=True)
class Issue:
    """What one send mails: one post (`each`) or the posts of one day or week."""

    key: str  # "post:<uid>", "daily:2026-12-06" or "weekly:2026-W49"
    subject: str
    posts: tuple[Post, ...]


class NewsletterLinks:
    """The receiver's newsletter URLs, derived from where the subscribe form posts."""

    def __init__(self, config: Config) -> None:
        self.subscribe = config.newsletter.form_url(config.webmention.endpoint)
        self.base = self.subscribe.removesuffix("/subscribe") if self.subscribe.endswith("/subscribe") else ""

    def confirm(self, token: str) -> str:
        """The confirm link."""
        return f"{self.base}/subscribe/confirm?{urlencode({'token': token})}"

    def unsubscribe(self, token: str) -> str:
        """The unsubscribe link (GET shows a button; POST unsubscribes at once, RFC 8058)."""
        return f"{self.base}/unsubscribe?{urlencode({'token': token})}"


def list_name(config: Config) -> str:
    """The newsletter's name: `[newsletter] name`, else the site's title."""
    return config.newsletter.name or config.site.title


def sender_address(config: Config) -> str:
    """The bare address of `[newsletter] from`."""
    return parseaddr(config.newsletter.sender)[1]


def subject_of(post: Post) -> str:
    """A post's title, or a note's first words."""
    if post.title:
        return post.title
    text = " ".join(post.summary_text.split())
    return text if len(text) <= 60 else text[:59].rstrip() + "…"


def issue_email(
    config: Config, issue: Issue, to: str, subscriber: int, unsubscribe_url: str, now: dt.datetime
) -> EmailMessage:
    """The email of `issue` for one subscriber."""
    message = _headers(config, issue.subject, to, now)
    message["Message-ID"] = f"<{digest(issue.key, str(subscriber))[:32]}@{_domain(config)}>"
    message["List-Id"] = f"{list_name(config)} <newsletter.{config.site.host}>"
    mailto = f"mailto:{sender_address(config)}?subject={quote('unsubscribe')}"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>, <{mailto}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    excerpt = config.newsletter.mode == "excerpt"
    texts, parts = [], []
    for post in issue.posts:
        body = post.summary_text if excerpt else plain_text(post.content_html, post.url)[0]
        texts.append(f"{subject_of(post)}\n{post.url}\n\n{body}\n")
        content = post.summary_html if excerpt else post.content_html
        parts.append(
            f'<h1 style="font-size:26px;line-height:1.25;margin:0 0 12px"><a href="{html.escape(post.url)}" '
            f'style="color:#1a4d8f">{html.escape(subject_of(post))}</a></h1>\n{email_html(config, content)}\n'
            f'<p><a href="{html.escape(post.url)}" style="color:#1a4d8f">'
            f"{'Read the whole post' if excerpt else 'Read it on the web'}</a></p>"
        )
    footer = f"You receive {list_name(config)} because you subscribed at {config.site.url}."
    text = "\n\n".join(texts) + f"\n--\n{footer}\nUnsubscribe: {unsubscribe_url}\n"
    page = (
        f'<!doctype html>\n<html lang="{html.escape(_language(config, issue))}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light">'
        f"<title>{html.escape(issue.subject)}</title></head>\n"
        f'<body style="margin:0;{_TEXT}"><div style="{_BODY}">\n'
        + '\n<hr style="border:0;border-top:1px solid #dddddd">\n'.join(parts)
        + f'\n<p style="font-size:13px;color:#555555;margin-top:32px">{html.escape(footer)} '
        f'<a href="{html.escape(unsubscribe_url)}" style="color:#555555">Unsubscribe</a></p>\n</div></body></html>\n'
    )
    message.set_content(text)
    message.add_alternative(page, subtype="html")
    return message


def confirmation_email(config: Config, to: str, confirm_url: str, now: dt.datetime) -> EmailMessage:
    """The double opt-in email: the confirm link, and what to do when it was not you."""
    name = list_name(config)
    message = _headers(config, f"Confirm your subscription to {name}", to, now)
    message["Message-ID"] = f"<{digest(to, now.isoformat())[:32]}@{_domain(config)}>"
    text = (
        f"Please confirm that you want to receive {name} ({config.site.url}) by email:\n\n{confirm_url}\n\n"
        "The link works once, for 48 hours. If you did not ask for this, ignore this email: "
        "you will not hear from us again.\n"
    )
    message.set_content(text)
    message.add_alternative(
        f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{html.escape(name)}</title></head>'
        f'<body style="margin:0;{_TEXT}"><div style="{_BODY}"><p>Please confirm that you want to receive '
        f'{html.escape(name)} by email.</p><p><a href="{html.escape(confirm_url)}" style="color:#1a4d8f">'
        "Confirm my subscription</a></p><p>The link works once, for 48 hours. If you did not ask for this, ignore "
        "this email: you will not hear from us again.</p></div></body></html>\n",
        subtype="html",
    )
    return message


def email_html(config: Config, content: str) -> str:
    """Post HTML made fit for mail: absolute links, no script or styles, images with alt, width and inline style."""
    content = _EVENT.sub("", _DROPPED.sub("", absolute_html(config, content)))
    return _IMG.sub(lambda m: _image(m.group(1)), content)


def _image(attributes: str) -> str:
    found = re.search(r'\swidth="(\d+)"', attributes)
    width = min(int(found.group(1)), IMAGE_WIDTH) if found else IMAGE_WIDTH
    attributes = re.sub(r'\s(style|width|height)="[^"]*"', "", attributes)
    if not re.search(r"\salt=", attributes):
        attributes += ' alt=""'
    return f'<img{attributes} width="{width}" style="display:block;max-width:100%;height:auto;border:0">'


def _headers(config: Config, subject: str, to: str, now: dt.datetime) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config.newsletter.sender
    message["To"] = to
    message["Date"] = format_datetime(now if now.tzinfo else now.replace(tzinfo=dt.UTC))
    message["Reply-To"] = config.newsletter.reply_to or config.newsletter.sender
    return message


def _domain(config: Config) -> str:
    return sender_address(config).rpartition("@")[2] or config.site.host


def _language(config: Config, issue: Issue) -> str:
    return next((post.lang for post in issue.posts if post.lang), None) or config.site.language or "en"
