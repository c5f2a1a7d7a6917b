"""`homepost newsletter send`: each new post (or digest) to every confirmed subscriber, exactly once.

New posts are those published after `[newsletter] since`, or after the first send (which sends
nothing older: a blog must not flood its first subscribers with its archive). An issue goes to the
subscribers confirmed when it was first recorded. For every (issue, subscriber) the outbox is
written before the transaction and after it (see `outbox`), so a run that dies or loses its
connection is resumed by the next without skipping or repeating anyone. Subscribers are streamed a
page at a time; one connection serves `BATCH` messages; `[newsletter] rate` paces them.

A 4xx reply is retried by a later run with backoff; a 5xx at RCPT marks the address bouncing
(unsubscribed after `max_bounces`); a 5xx for the whole message stops the run with the server's
reply. `dry_run` writes each message to `<folder>/<issue>-<subscriber id>.eml` through the same
loop, recording nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from generator.config import Config
from generator.model import Post, Site
from generator.newsletter.addresses import address_digest
from generator.newsletter.compose import Issue, NewsletterLinks, issue_email, list_name, sender_address, subject_of
from generator.newsletter.faults import fault_point
from generator.newsletter.outbox import MAX_ATTEMPTS, Outbox, RowState
from generator.newsletter.smtp import Outcome, SmtpError
from generator.newsletter.store import NewsletterStore, Subscriber
from generator.newsletter.tokens import unsubscribe_token
from generator.state import write_atomic
from generator.webmention.receiver.store import _stamp

log = logging.getLogger(__name__)
BATCH = 100  # messages per SMTP connection
CLIPPED = 102 * 1024  # bytes: Gmail shows only the start of a larger message


class Transport(Protocol):
    """What carries messages: an SMTP connection, or a folder for `--dry-run`."""

    def transact(self, sender: str, recipient: str, data: bytes, on_handing: Callable[[], None]) -> Outcome: ...

    def close(self) -> None: ...


class FolderTransport:
    """`--dry-run`: each message written to a file instead of sent."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = ""  # set by the run before each message: "<issue>-<subscriber id>"

    def transact(self, sender: str, recipient: str, data: bytes, on_handing: Callable[[], None]) -> Outcome:
        """Write the message as `<name>.eml`."""
        write_atomic(self.folder / f"{self.name}.eml", data)
        return Outcome("sent", "written")

    def close(self) -> None:
        """Nothing to close."""


@dataclass
class SendReport:
    """What one run did."""

    issues: list[str] = field(default_factory=list)  # subjects of the issues sent (or still owed)
    sent: int = 0
    retry: int = 0  # 4xx: a later run tries again
    bounced: int = 0
    unsubscribed: int = 0  # addresses unsubscribed by their bounces
    unknown: int = 0  # left by a run that died while the server held the message
    first_run: bool = False  # this run only noted the time: posts from now on are new
    stopped: str = ""  # why the run stopped early (the server's reply), "" when it did not

    def summary(self, dry_run: Path | None = None) -> str:
        """ "sent 12 emails; 1 to retry later (4xx), 2 bounced" (or "wrote … to FOLDER" for a dry run)."""
        sent = f"{self.sent} email{'' if self.sent == 1 else 's'}"
        verb = f"wrote {sent} to {dry_run}" if dry_run else f"sent {sent}"
        extra = [
            f"{n} {what}"
            for n, what in (
                (self.retry, "to retry later (4xx)"),
                (self.bounced, "bounced"),
                (self.unsubscribed, "unsubscribed by bounces"),
                (self.unknown, "of unknown outcome (not sent again)"),
            )
            if n
        ]
        return verb + (f"; {', '.join(extra)}" if extra else "")


def send_newsletter(
    config: Config,
    newsletter: NewsletterStore,
    site: Site,
    transport: Transport,
    *,
    posts: Iterable[str] = (),
    record: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """One run: the new issues (or those of the named posts) to everyone owed them; `record=False` for a dry run."""
    now = newsletter.clock()
    first = not config.newsletter.since and not newsletter.store.query(
        "SELECT 1 FROM newsletter_settings WHERE key = 'started'"
    )
    if config.newsletter.since:
        since = config.newsletter.since
    else:
        since = newsletter.started() if record else _stamp(now)
    sender = Sender(config, newsletter, transport, record=record, sleep=sleep)
    report = sender.run(new_issues(config, site, since, now, posts))
    report.first_run = first and not posts
    return report


def new_issues(config: Config, site: Site, since: str, now: dt.datetime, posts: Iterable[str] = ()) -> list[Issue]:
    """The issues made of posts published after `since` (or the named posts), oldest first; digests of ended periods."""
    wanted = set(posts)
    chosen = [
        p
        for p in site.posts
        if p.date is not None
        and not p.draft
        and not p.scheduled
        and (p.source in wanted or p.url in wanted if wanted else _stamp(p.date) >= since)
    ]
    chosen.sort(key=lambda p: (p.date, p.source))
    if config.newsletter.digest == "each" or wanted:
        return [Issue(f"post:{p.uid}", subject_of(p), (p,)) for p in chosen]
    periods: dict[str, list[Post]] = {}
    for post in chosen:
        if post.date is not None:
            periods.setdefault(_period(config, post.date), []).append(post)
    current = _period(config, now)
    return [
        Issue(key, f"{list_name(config)}: {key.partition(':')[2]}", tuple(group))
        for key, group in periods.items()
        if key != current
    ]


def _period(config: Config, moment: dt.datetime) -> str:
    local = moment.astimezone(config.site.tz)
    if config.newsletter.digest == "daily":
        return f"daily:{local.date().isoformat()}"
    year, week, _ = local.isocalendar()
    return f"weekly:{year}-W{week:02d}"


class Sender:
    """One run over the issues: the outbox, the transport, the pace."""

    def __init__(
        self,
        config: Config,
        newsletter: NewsletterStore,
        transport: Transport,
        *,
        record: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config, self.newsletter, self.transport = config, newsletter, transport
        self.outbox = Outbox(newsletter)
        self.record = record
        self.sleep = sleep
        self.links = NewsletterLinks(config)
        self.secret = newsletter.secret()
        self.interval = 60.0 / config.newsletter.rate if config.newsletter.rate else 0.0
        self.report = SendReport()
        self._in_batch = 0
        self._warned: set[str] = set()

    def run(self, issues: list[Issue]) -> SendReport:
        """Send every issue to everyone still owed it; stops at the first refusal of a whole message."""
        if self.record:
            self.report.unknown = self.outbox.recover()
        try:
            for issue in issues:
                created = (
                    self.outbox.issue(issue.key, issue.subject) if self.record else _stamp(self.newsletter.clock())
                )
                self.report.issues.append(issue.subject)
                for subscriber, attempts in self.outbox.recipients(issue.key, created):
                    if not self.deliver(issue, subscriber, attempts):
                        return self.report
        except SmtpError as exc:
            self.report.stopped = str(exc)
        finally:
            self.transport.close()
        return self.report

    def deliver(self, issue: Issue, whom: Subscriber, attempts: int) -> bool:
        """Send one message, recording before and after; False when the run must stop."""
        subscriber, address = whom.id, whom.address
        url = self.links.unsubscribe(unsubscribe_token(self.secret, subscriber, whom.nonce))
        data = issue_email(self.config, issue, address, subscriber, url, self.newsletter.clock()).as_bytes()
        if len(data) > CLIPPED and issue.key not in self._warned:
            self._warned.add(issue.key)
            log.warning(
                "newsletter: “%s” is %d KB, and Gmail clips emails over 102 KB; [newsletter] mode = "
                '"excerpt" sends the summary and a link',
                issue.subject,
                len(data) // 1024,
            )
        if isinstance(self.transport, FolderTransport):
            self.transport.name = f"{re.sub(r'[^A-Za-z0-9-]+', '-', issue.key)}-{subscriber}"
        self._mark(issue, subscriber, "sending")
        fault_point("recorded")

        def handing() -> None:
            self._mark(issue, subscriber, "data")
            fault_point("handing")

        outcome = self.transport.transact(sender_address(self.config), address, data, handing)
        if outcome.verdict == "reconnect":  # lost before the message was handed over: once more on a new connection
            outcome = self.transport.transact(sender_address(self.config), address, data, handing)
            if outcome.verdict == "reconnect":
                outcome = Outcome("retry", outcome.reply)
        if outcome.verdict == "sent":
            fault_point("delivered")
        return self._settle(issue, subscriber, address, attempts, outcome)

    def _settle(self, issue: Issue, subscriber: int, address: str, attempts: int, outcome: Outcome) -> bool:
        who = address_digest(address)
        if outcome.verdict == "sent":
            self._mark(issue, subscriber, "sent", outcome.reply)
            self.report.sent += 1
        elif outcome.verdict == "unknown":
            self._mark(issue, subscriber, "unknown", outcome.reply)
            self.report.unknown += 1
            log.warning("newsletter: subscriber %s: %s; not sent again", who, outcome.reply)
        elif outcome.verdict == "retry" and attempts + 1 < MAX_ATTEMPTS:
            self._mark(issue, subscriber, "retry", outcome.reply, attempts + 1)
            self.report.retry += 1
            log.info("newsletter: subscriber %s: %s; a later run tries again", who, outcome.reply)
        elif outcome.verdict in ("bounced", "retry"):
            self._mark(issue, subscriber, "bounced", outcome.reply, attempts + 1)
            self.report.bounced += 1
            if self.record and self.newsletter.bounce(subscriber, self.config.newsletter.max_bounces):
                self.report.unsubscribed += 1
            log.warning("newsletter: subscriber %s refused: %s", who, outcome.reply)
        else:  # the whole message refused: nothing was handed over, a later run sends it
            if self.record:
                self.outbox.forget(issue.key, subscriber)
            self.report.stopped = f"the server refused the message: {outcome.reply}"
            return False
        self._pace()
        return True

    def _mark(
        self, issue: Issue, subscriber: int, state: RowState, result: str = "", attempts: int | None = None
    ) -> None:
        if self.record:
            self.outbox.mark(issue.key, subscriber, state, result, attempts)

    def _pace(self) -> None:
        self._in_batch += 1
        if self._in_batch >= BATCH:
            self._in_batch = 0
            self.transport.close()  # the next message opens a fresh connection
        if self.interval:
            self.sleep(self.interval)
