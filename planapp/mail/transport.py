"""SMTP: building a message from an outbox row and sending it, with errors sorted into "try again" and "give up"."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from planapp.core.text import clean_line
from planapp.mail.models import OutboxMessage
from planapp.mail.settings import SmtpSettings


class SendFailed(Exception):
    def __init__(self, text: str, permanent: bool, connection_lost: bool = False):
        super().__init__(text)
        self.text = clean_line(text)[:500]
        self.permanent = permanent  # the server said no for good (5xx for this message): dead at once
        self.connection_lost = connection_lost  # nothing else can go through this connection


def message_id(message: OutboxMessage, domain: str) -> str:
    """Deterministic: a crash between "accepted" and "marked sent" resends the same Message-ID, which receiving
    systems can recognise, so the worst case is one visible duplicate — never a loss.

    `message.message_id` is the ID of the last accepted send ("" before the first): an admin's resend of a sent
    message gets a new ID, since many receivers silently drop a second message with an ID they already hold."""
    digest = hashlib.sha256(f"{message.key}\n{message.message_id or ''}".encode()).hexdigest()[:20]
    return f"<planapp.{message.id}.{digest}@{domain}>"


def build(message: OutboxMessage, settings: SmtpSettings) -> EmailMessage:
    email = EmailMessage()  # email.policy.default refuses CR/LF inside header values
    email["Subject"] = clean_line(message.subject)
    email["From"] = settings.sender
    user, _, domain = message.to_addr.rpartition("@")
    email["To"] = Address(display_name=clean_line(message.to_name), username=user, domain=domain)
    email["Message-ID"] = message_id(message, settings.sender.domain)
    email["Date"] = format_datetime(message.created_at)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text_body)
    email["Content-Language"] = message.locale  # after set_content, which replaces Content-* headers
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    return email


def _failure(error: Exception) -> SendFailed:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return SendFailed(f"recipient refused: {error.recipients}", permanent=all(c >= 500 for c in codes))
    if isinstance(error, smtplib.SMTPAuthenticationError):  # a settings problem: fixable, so keep the message
        return SendFailed(f"SMTP authentication failed ({error.smtp_code})", permanent=False, connection_lost=True)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return SendFailed(f"SMTP server disconnected: {error}", permanent=False, connection_lost=True)
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return SendFailed(f"SMTP {error.smtp_code}: {text}", permanent=error.smtp_code >= 500)
    if isinstance(error, (OSError, smtplib.SMTPException)):
        return SendFailed(f"SMTP server unreachable: {error}", permanent=False, connection_lost=True)
    if isinstance(error, (ValueError, UnicodeError)):  # a message that cannot be encoded: it never will be
        return SendFailed(f"message cannot be sent: {error}", permanent=True)
    raise error


class SmtpConnection:
    """One connection for a batch; `send` raises SendFailed."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpConnection:
        s = self.settings
        try:
            if s.security == "ssl":
                self.smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
            else:
                self.smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    self.smtp.starttls(context=ssl.create_default_context())
            if s.username:
                self.smtp.login(s.username, s.password)
        except Exception as error:  # noqa: BLE001 — sorted by _failure, which re-raises what it does not know
            self._close()
            raise _failure(error) from error
        return self

    def send(self, message: OutboxMessage) -> str:
        try:
            email = build(message, self.settings)
            self.smtp.send_message(email)
        except Exception as error:  # noqa: BLE001
            raise _failure(error) from error
        return email["Message-ID"]

    def _close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def __exit__(self, *exc_info) -> None:
        self._close()
