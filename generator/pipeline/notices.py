"""The warnings a build logs, kept: to report them again, and for `build --strict` to fail on them."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from generator.redaction import log_message


class _Recorder(logging.Handler):
    """A logging handler that keeps the message of every warning (and error) it sees."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's message."""
        self.messages.append(log_message(record.msg, record.args))


@contextlib.contextmanager
def recording_warnings() -> Iterator[list[str]]:
    """The messages of the warnings logged under `generator` in this process while the block runs.

    They are recorded whether or not they are printed (with -q they are not).
    """
    logger = logging.getLogger("generator")
    messages: list[str] = []
    recorder = _Recorder(messages)
    level = logger.level
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    logger.addHandler(recorder)
    try:
        yield messages
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)
