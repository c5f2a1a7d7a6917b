"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and fails on cue."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


@dataclass
class Faults:
    """What the sink does wrong: each set of addresses fails the way its name says (once each unless `always`)."""

    refuse_connect: int = 0  # connections answered 421 before the next is served
    temporary: set[str] = field(default_factory=set)  # 451 at RCPT (once each)
    permanent: set[str] = field(default_factory=set)  # 550 at RCPT (always)
    drop_at_data: set[str] = field(default_factory=set)  # connection dropped at the DATA command (once each)
    reject_message: bool = False  # 554 for the whole message


class Sink:
    """The messages received, as (recipient, parsed message) pairs."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.received: list[tuple[str, EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: SMTP, session: object, envelope: object, address: str, options: list) -> str:  # noqa: N802
        if address in self.faults.permanent:
            return f"550 5.1.1 <{address}>: no such user"
        if address in self.faults.temporary:
            self.faults.temporary.discard(address)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: object, envelope: object) -> str:  # noqa: N802
        if self.faults.reject_message:
            return "554 5.7.1 message refused: content rejected"
        message = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[attr-defined]
        with self.lock:
            for rcpt in envelope.rcpt_tos:  # type: ignore[attr-defined]
                self.received.append((rcpt, message))  # type: ignore[arg-type]
        return "250 2.0.0 queued"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages one address received."""
        return [m for r, m in self.received if r == address]


class _FaultySMTP(SMTP):
    sink: Sink

    async def _handle_client(self) -> None:
        if self.sink.faults.refuse_connect > 0:
            self.sink.faults.refuse_connect -= 1
            await self.push("421 4.3.2 too busy, try again later")
            self.transport.close()
            return
        await super()._handle_client()

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802
        rcpts = set(self.envelope.rcpt_tos)
        hit = rcpts & self.sink.faults.drop_at_data
        if hit:
            self.sink.faults.drop_at_data -= hit
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class SinkServer(Controller):
    """The sink listening on a free loopback port: `with SinkServer() as server: server.sink, server.port`."""

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.sink = Sink()
        self.login = login  # (user, password) the server asks for (AUTH without TLS: loopback only)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        super().__init__(self.sink, hostname="127.0.0.1", port=port)

    def factory(self) -> SMTP:
        auth = {"authenticator": self._check, "auth_required": True, "auth_require_tls": False} if self.login else {}
        smtp = _FaultySMTP(self.handler, hostname="sink.test", **auth)
        smtp.sink = self.sink
        return smtp

    def _check(self, server: SMTP, session: object, envelope: object, mechanism: str, data: object) -> AuthResult:
        given = (data.login.decode(), data.password.decode()) if isinstance(data, LoginPassword) else None
        return AuthResult(success=given == self.login, handled=False)  # not handled: the server answers 535

    def __enter__(self) -> SinkServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
