"""Fault injection for the crash tests: `HOMEPOST_NEWSLETTER_FAULT=<step>[:<n>]` makes a send SIGKILL itself.

Steps, in the order of one message: `recorded` (the outbox row says `sending`; nothing sent yet),
`handing` (the row says `data`; the message not yet handed over), `delivered` (the server answered
250; the row not yet `sent`). With `:n` the kill comes at the n-th time the step is reached. In
production the variable is unset and `fault_point` only compares strings.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "HOMEPOST_NEWSLETTER_FAULT"
STEPS = ("recorded", "handing", "delivered")
_STEP, _, _COUNT = os.environ.get(FAULT_ENV, "").partition(":")
_seen = dict.fromkeys(STEPS, 0)


def fault_point(step: str) -> None:
    """Kill this process at once (SIGKILL: no cleanup) if the fault variable names `step` (and its count is reached)."""
    if not _STEP or _STEP != step:
        return
    _seen[step] += 1
    if _seen[step] >= int(_COUNT or 1):
        os.kill(os.getpid(), signal.SIGKILL)
