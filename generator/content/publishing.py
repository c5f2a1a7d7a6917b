"""What a build publishes and what it leaves out: drafts, scheduled posts and expired ones."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from generator.content.sources import Source
from generator.model import LeftOut

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadOptions:
    """What to include: drafts, and posts dated after `now`."""

    now: dt.datetime
    drafts: bool = False
    future: bool = False

    def is_future(self, date: dt.datetime | None) -> bool:
        """True for a date after `now`: a post so dated is scheduled."""
        return date is not None and date > self.now


def is_published(source: Source, options: ReadOptions) -> bool:
    """Drafts and posts dated in the future wait, unless asked for."""
    reason = _left_out(source, options)
    if reason == "draft":
        log.debug("skipping draft %s", source.rel)
    elif reason == "scheduled" and source.date is not None:  # only a dated post is scheduled
        log.info("scheduled for %s: %s", source.date.isoformat(), source.rel)
    elif reason == "expired" and source.expires is not None:
        log.info("expired on %s, taken down: %s", source.expires.isoformat(), source.rel)
    return reason is None


def _left_out(source: Source, options: ReadOptions) -> str | None:
    """Why a file waits: "draft", "scheduled" (a post dated in the future), "expired" (its `expires` is past),
    or None when it is published."""
    if source.draft and not options.drafts:
        return "draft"
    if source.expires is not None and source.expires <= options.now:
        return "expired"
    if source.kind == "post" and options.is_future(source.date) and not options.future:
        return "scheduled"
    return None


def left_out(sources: list[Source], options: ReadOptions) -> LeftOut:
    """How many drafts and scheduled posts `sources` hold that a build with `options` leaves out."""
    reasons = [_left_out(source, options) for source in sources]
    scheduled = [
        s.date for s, reason in zip(sources, reasons, strict=True) if reason == "scheduled" and s.date is not None
    ]
    return LeftOut(reasons.count("draft"), len(scheduled), min(scheduled, default=None))
