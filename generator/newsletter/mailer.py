"""The receiver's mailer: a thread sending the queued confirmation emails through `[newsletter]`'s SMTP server.

A confirmation is queued (committed) before `POST /subscribe` answers, so a crash loses none; it is
marked done in the transaction after the server's 250. A 4xx or a server that cannot be reached is
tried again after 1, 5, 30 minutes, 2 and 6 hours, then given up; a 5xx gives up at once. Logs
show an address as a short hash, never in full.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from generator.config import Config
from generator.credentials import credential
from generator.newsletter.addresses import address_digest
from generator.newsletter.compose import NewsletterLinks, confirmation_email, sender_address
from generator.newsletter.smtp import Outcome, SmtpConnection, SmtpError
from generator.newsletter.store import MailJob, NewsletterStore
from generator.newsletter.tokens import confirm_token
from generator.webmention.receiver.worker import Loop

log = logging.getLogger(__name__)
BACKOFF = (60.0, 300.0, 1800.0, 7200.0, 21600.0)  # seconds after failure 1, 2, ...
MAX_ATTEMPTS = 6


class Mailer(Loop):
    """Sends queued confirmation emails in one background thread."""

    thread_name = "newsletter-mailer"

    def __init__(
        self,
        config: Config,
        newsletter: NewsletterStore,
        poll_interval: float = 5.0,
        connect: Callable[[], SmtpConnection] | None = None,
    ) -> None:
        super().__init__(poll_interval)
        self.config = config
        self.newsletter = newsletter
        self.connect = connect or (
            lambda: SmtpConnection(config.newsletter, credential(config.root, "newsletter", "password"))
        )
        self.links = NewsletterLinks(config)

    def run_due(self) -> int:
        """Send every confirmation email that is due; how many were tried."""
        jobs = self.newsletter.due_mail()
        if not jobs:
            return 0
        connection = self.connect()
        try:
            for job in jobs:
                if self._stop.is_set():
                    break
                self.send(connection, job)
        finally:
            connection.close()
        return len(jobs)

    def send(self, connection: SmtpConnection, job: MailJob) -> None:
        """Send one confirmation email and record the outcome."""
        subscriber = self.newsletter.subscriber(job.subscriber)
        if subscriber is None or subscriber.state != "pending":
            self.newsletter.finish_mail(job.id, "done", "no longer pending")
            return
        now = self.newsletter.clock()
        url = self.links.confirm(confirm_token(self.newsletter.secret(), subscriber.id, subscriber.nonce, now))
        data = confirmation_email(self.config, subscriber.address, url, now).as_bytes()
        try:
            outcome = connection.transact(sender_address(self.config), subscriber.address, data, lambda: None)
        except SmtpError as exc:
            outcome = Outcome("retry", str(exc))
        who = address_digest(subscriber.address)
        if outcome.verdict == "sent":
            self.newsletter.finish_mail(job.id, "done", outcome.reply)
            log.info("newsletter: confirmation sent to subscriber %s", who)
        elif outcome.verdict in ("retry", "reconnect") and job.attempts + 1 < MAX_ATTEMPTS:
            delay = BACKOFF[min(job.attempts, len(BACKOFF) - 1)]
            self.newsletter.postpone_mail(job.id, job.attempts + 1, now + dt.timedelta(seconds=delay), outcome.reply)
            log.info("newsletter: confirmation to subscriber %s: %s; again in %s s", who, outcome.reply, delay)
        else:
            self.newsletter.finish_mail(job.id, "failed", outcome.reply)
            log.warning("newsletter: confirmation to subscriber %s given up: %s", who, outcome.reply)
