"""Sending email through the SMTP server named by ``PLAZA_SMTP_URL``.

``smtp://user:password@host:587?starttls=true`` (or ``smtps://host:465`` for
implicit TLS). One connection carries a whole batch; when the server refuses
the connection, hangs past the timeout or drops it, the rest of that batch is
put back for a retry at once instead of each message waiting out the same
timeout, so a broken mail server costs one timeout, never blocks push.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from app.notifications.outcome import DELIVERED, Outcome

Report = Callable[[int, Outcome], None]
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class SmtpUrlError(ValueError):
    """``PLAZA_SMTP_URL`` cannot be used; the message says how to write it."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise SmtpUrlError(
                "PLAZA_SMTP_URL must look like smtp://user:password@host:587?starttls=true "
                "or smtps://host:465."
            )
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError as exc:
            raise SmtpUrlError(f"PLAZA_SMTP_URL has an invalid port: {exc}") from None
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=parts.scheme == "smtps",
            starttls=query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SmtpSender:
    def __init__(self, server: SmtpServer, timeout: float) -> None:
        self.server = server
        self.timeout = timeout

    def send_all(self, messages: Iterable[tuple[int, EmailMessage]], report: Report) -> None:
        """Send each (row id, message) over one connection, reporting every outcome."""
        connection: smtplib.SMTP | None = None
        broken: Outcome | None = None
        try:
            for row_id, message in messages:
                if broken is not None:
                    report(row_id, broken)
                    continue
                try:
                    if connection is None:
                        connection = self._connect()
                    connection.send_message(message)
                except smtplib.SMTPRecipientsRefused as exc:
                    code, reply = next(iter(exc.recipients.values()))
                    report(row_id, _refused("the recipient", code, reply))
                except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                    report(row_id, _refused("the message", exc.smtp_code, exc.smtp_error))
                except (OSError, smtplib.SMTPException) as exc:
                    broken = Outcome(False, self._describe(exc), retry=True)
                    report(row_id, broken)
                    _close(connection)
                    connection = None
                else:
                    report(row_id, DELIVERED)
        finally:
            _close(connection, polite=True)

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if server.implicit_tls:
            connection = smtplib.SMTP_SSL(
                server.host, server.port, timeout=self.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        try:
            if server.starttls:
                connection.starttls(context=context)
            if server.username:
                connection.login(server.username, server.password or "")
        except BaseException:
            _close(connection)
            raise
        return connection

    def _describe(self, exc: BaseException) -> str:
        where = f"The mail server {self.server.host}:{self.server.port}"
        # smtplib reports a timeout while reading a reply as a disconnection.
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            return f"{where} did not answer within {self.timeout:g} s."
        if isinstance(exc, ConnectionRefusedError):
            return f"{where} refused the connection."
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return f"{where} did not accept Plaza's login; check PLAZA_SMTP_URL."
        if isinstance(exc, smtplib.SMTPResponseException):
            return f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}."
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return f"{where} closed the connection."
        return f"{where} could not be reached ({exc.__class__.__name__}: {exc})."


def _refused(what: str, code: int, reply: bytes | str) -> Outcome:
    """A 4xx reply is temporary (try later); a 5xx one is final."""
    return Outcome(
        False, f"The mail server refused {what}: {code} {_text(reply)}", retry=400 <= code < 500
    )


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())[:300]


def _close(connection: smtplib.SMTP | None, *, polite: bool = False) -> None:
    if connection is None:
        return None
    try:
        if polite:
            connection.quit()
        else:
            connection.close()
    except (OSError, smtplib.SMTPException):
        connection.close()
    return None
