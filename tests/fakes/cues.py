"""Failing on cue, as every loopback fake of a platform does: fail_next, stall_after_store, drop_next.

A fake keeps one `Cues`; its fail_next / stall_after_store / drop_next each `add` a `Cue` naming
the requests it is for (a kind, a path, an NSID: whatever the fake matches by). For each request
the fake `take`s the first cue that names it and has uses left, then `play`s it around the work
the request does:

    cue = self._cues.take(kind, path)
    return self._cues.play(cue, lambda: self._handle(received), self._failure)

FAIL answers the fake's own error reply instead of doing the work; DROP closes the connection
before the work, DROP_AFTER after it (the post is stored, the client hears nothing); STALL does
the work, then withholds the answer for `seconds` (or until the server closes), after which the
fake either answers late or, with `stall_then_drop`, closes the connection.

`LoopbackFake` is the rest every fake shares: its server, `close()`, and use in a `with` block.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Self

from tests.servers import LoopbackServer, Reply

FAIL, DROP, DROP_AFTER, STALL = "fail", "drop", "drop_after", "stall"
_RANK = {FAIL: 0, DROP: 1, DROP_AFTER: 1, STALL: 2}


class Dropped(ConnectionAbortedError):
    """Raised inside an answer to make tests.servers close the connection without a response."""


@dataclass
class Cue:
    """What to do to the next `times` requests that `match` names."""

    match: str  # a kind, a path, or whatever else the fake names requests by
    action: str  # FAIL, DROP, DROP_AFTER or STALL
    times: int = 1
    status: int = 500  # FAIL: the status to answer
    retry_after: float | str | None = (
        None  # FAIL: the Retry-After to send, if any: seconds, or a text such as an HTTP date
    )
    reset: float | None = None  # FAIL 429: the fake's own rate-limit reset (its meaning is the fake's)
    code: int = 0  # FAIL: an error subcode, where the platform has them
    seconds: float = 10.0  # STALL: how long the answer is withheld

    @property
    def retry_header(self) -> list[tuple[str, str]]:
        """The Retry-After header to send (none when `retry_after` is None): whole seconds, or the text as given."""
        if self.retry_after is None:
            return []
        return [("Retry-After", self.retry_after if isinstance(self.retry_after, str) else str(int(self.retry_after)))]

    @property
    def retry_seconds(self) -> float | None:
        """`retry_after` as seconds from now (an HTTP date too), for the fake's own reset headers."""
        if not isinstance(self.retry_after, str):
            return self.retry_after
        return parsedate_to_datetime(self.retry_after).timestamp() - time.time()


class Cues:
    """The cues of one fake, taken under a lock (requests arrive on several threads)."""

    def __init__(self, closing: threading.Event, *, stall_then_drop: bool = False) -> None:
        self.closing = closing  # set when the server closes: a stall ends then at the latest
        self.stall_then_drop = stall_then_drop  # after a stall, close the connection instead of answering
        self._cues: list[Cue] = []
        self._lock = threading.Lock()

    def add(self, cue: Cue) -> None:
        """Queue a cue behind the others."""
        with self._lock:
            self._cues.append(cue)

    def take(self, *names: str, by_action: bool = False) -> Cue | None:
        """The first cue with uses left that one of `names` matches, one use spent; None if there is none.
        With `by_action`, a FAIL cue comes before a DROP one, and that before a STALL one."""
        with self._lock:
            found = [cue for cue in self._cues if cue.times > 0 and cue.match in names]
            if by_action:
                found.sort(key=lambda cue: _RANK[cue.action])
            if not found:
                return None
            found[0].times -= 1
            return found[0]

    def play(self, cue: Cue | None, work: Callable[[], Reply], failure: Callable[[Cue], Reply]) -> Reply:
        """The reply to a request: `work()` done (or not) and answered (or not) as `cue` says."""
        if cue and cue.action == FAIL:
            return failure(cue)
        if cue and cue.action == DROP:
            raise Dropped("dropped on cue")
        reply = work()
        if cue and cue.action == DROP_AFTER:
            raise Dropped("dropped on cue, after storing")
        if cue and cue.action == STALL:
            self.closing.wait(cue.seconds)
            if self.stall_then_drop:
                raise Dropped("stalled on cue")
        return reply


class LoopbackFake:
    """A fake platform served by `server`; stopped by `close()` or at the end of a `with` block."""

    server: LoopbackServer

    def close(self) -> None:
        """Stop the server (stalled answers end)."""
        self.server.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
