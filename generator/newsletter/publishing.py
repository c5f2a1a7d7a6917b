"""The newsletter's step of `homepost publish`, after the posts are live and webmentions sent.

It runs only where the receiver's database is (the default path under the site): elsewhere, or
without `[newsletter] enabled`, it is skipped with a line saying why. The send is idempotent by
its outbox, so the step simply runs every time; a dry run writes the emails to
`.homepost/newsletter-dry-run/` and records nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from generator.config import Config
from generator.credentials import credential
from generator.errors import HomepostError, Problem
from generator.newsletter.send import FolderTransport, Transport, send_newsletter
from generator.newsletter.smtp import SmtpConnection
from generator.newsletter.store import NewsletterStore
from generator.pipeline.build import read_site
from generator.webmention.receiver.store import Store, default_db_path

DRY_RUN_DIR = "newsletter-dry-run"  # under .homepost/


def publish_step(config: Config, now: dt.datetime | None, dry_run: bool) -> tuple[str, Any, str, tuple[Problem, ...]]:
    """The step's (state, result, reason, problems), for `publish.Step`."""
    path = default_db_path(config)
    if not config.newsletter.enabled:
        return "skipped", None, "the newsletter is not enabled ([newsletter] enabled = false)", ()
    if not path.is_file():
        return (
            "skipped",
            None,
            f"no receiver database here ({path}): run `homepost newsletter send` where the receiver runs",
            (),
        )
    if not config.newsletter.sender:
        return (
            "failed",
            None,
            "",
            (Problem("site.toml", "required: the address emails come from", key="newsletter.from"),),
        )
    folder = config.private_dir / DRY_RUN_DIR
    transport: Transport = (
        FolderTransport(folder)
        if dry_run
        else SmtpConnection(config.newsletter, credential(config.root, "newsletter", "password"))
    )
    try:
        store = Store(path)
        try:
            report = send_newsletter(
                config, NewsletterStore(store), read_site(config, now), transport, record=not dry_run
            )
        finally:
            store.close()
    except HomepostError as exc:
        return "failed", None, "", tuple(exc.problems)
    summary = report.summary(folder if dry_run else None)
    if report.stopped:
        return (
            "failed",
            None,
            summary,
            (Problem(f"{config.newsletter.host}:{config.newsletter.smtp_port}", report.stopped),),
        )
    if report.sent:
        return "done", None, summary, ()
    return (
        "unchanged",
        None,
        "no new posts to mail" if not report.first_run else "first run: posts from now on are mailed",
        (),
    )
