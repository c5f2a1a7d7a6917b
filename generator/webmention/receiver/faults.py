"""Fault injection for the crash tests: `HOMEPOST_RECEIVER_FAULT=<step>` makes the receiver SIGKILL itself there.

The steps of accepting and verifying one webmention, in order, are `STEPS`; those of a subscription
to the newsletter `NEWSLETTER_STEPS`; those of a fediverse activity `FEDIVERSE_STEPS`. In production
the variable is unset and `fault_point` does nothing but compare two strings.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "HOMEPOST_RECEIVER_FAULT"
STEPS = (
    "accept.queued",  # the request is committed to the queue; 202 not yet answered
    "worker.taken",  # the worker took the row; the source not yet fetched
    "worker.verified",  # the source was fetched and read; nothing written yet
    "worker.writing",  # the mention is written inside the transaction; not yet committed
    "worker.written",  # the mention and the row's outcome are committed
)
NEWSLETTER_STEPS = ("subscribe.queued",)  # a subscriber and the confirmation email are committed; not yet answered
FEDIVERSE_STEPS = (
    "inbox.queued",  # the activity is committed to the queue; 202 not yet answered
    "inbox.taken",  # the worker took the activity; nothing fetched or written yet
)
_FAULT = os.environ.get(FAULT_ENV, "")


def fault_point(step: str) -> None:
    """Kill this process at once (SIGKILL: no cleanup of any kind) if the fault variable names `step`."""
    if _FAULT and _FAULT == step:
        os.kill(os.getpid(), signal.SIGKILL)
