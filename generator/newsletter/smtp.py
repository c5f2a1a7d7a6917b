"""One SMTP connection, reused for a batch of messages, and the outcome of each transaction.

The transaction is smtplib's MAIL, RCPT and DATA, with DATA done by hand so that the moment the
message is handed over is known: `on_handing` is called (and the outbox written) just before, and
a connection lost after it leaves the outcome `unknown` (the server may have taken the message).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from generator.config import NewsletterSettings
from generator.newsletter.addresses import redact_address

Verdict = Literal["sent", "retry", "bounced", "stop", "reconnect", "unknown"]
_ADDRESS = re.compile(r"[^\s<>@\"']+@[^\s<>@\"']+")
TIMEOUT = 60.0  # seconds for the connection and each reply


@dataclass(frozen=True)
class Outcome:
    """How one transaction ended, and the server's words."""

    verdict: Verdict
    reply: str = ""


class SmtpError(Exception):
    """The server cannot be used now: refused at connect, login or TLS (its reply in the message)."""


class SmtpConnection:
    """A lazily opened connection to `[newsletter] host`, with STARTTLS or TLS and a login when configured."""

    def __init__(
        self,
        settings: NewsletterSettings,
        password: str | None,
        timeout: float = TIMEOUT,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.password = password
        self.timeout = timeout
        self.context = context or ssl.create_default_context()
        self._smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        """The open connection (connecting, securing and logging in first when there is none); SmtpError if refused."""
        if self._smtp is not None:
            return self._smtp
        s, host, port = self.settings, self.settings.host, self.settings.smtp_port
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=self.timeout, context=self.context)
            else:
                smtp = smtplib.SMTP(host, port, timeout=self.timeout)
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=self.context)
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpError(
                f"{host}:{port} refused the login of {s.username!r}: {_words(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise SmtpError(f"{host}:{port} answered {_words(exc.smtp_code, exc.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SmtpError(f"cannot talk to the SMTP server {host}:{port}: {exc}") from None
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        """QUIT (politely; a dead connection is just dropped)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def transact(self, sender: str, recipient: str, data: bytes, on_handing: Callable[[], None]) -> Outcome:
        """Send one message to one recipient on the open connection (SmtpError when it cannot be opened)."""
        smtp = self.open()
        handed = False
        try:
            code, words = smtp.mail(sender)
            if code != 250:
                return self._refused(code, words, "stop")
            code, words = smtp.rcpt(recipient)
            if code not in (250, 251):
                return self._refused(code, words, "bounced")
            code, words = smtp.docmd("DATA")
            if code != 354:
                return self._refused(code, words, "stop")
            on_handing()
            smtp.send(_dot_stuffed(data))
            handed = True
            code, words = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            return Outcome("unknown" if handed else "reconnect", f"the connection was lost: {exc}")
        if code == 250:
            return Outcome("sent", _words(code, words))
        return self._refused(code, words, "stop")

    def _refused(self, code: int, words: bytes, permanent: Verdict) -> Outcome:
        try:
            self.open().rset()
        except (smtplib.SMTPException, OSError, SmtpError):
            self._drop()
        return Outcome("retry" if 400 <= code < 500 else permanent, _words(code, words))

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


def _dot_stuffed(data: bytes) -> bytes:
    data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n"


def _words(code: int, words: bytes | str) -> str:
    text = words.decode("utf-8", "replace") if isinstance(words, bytes) else str(words)
    text = _ADDRESS.sub(lambda m: redact_address(m.group(0)), " ".join(text.split()))  # servers quote the recipient
    return f"{code} {text}"
