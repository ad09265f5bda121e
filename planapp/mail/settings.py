"""SMTP settings read from the configuration, checked without ever stopping the app: a malformed value is
reported (admin outbox page, dispatcher log) and messages wait in the outbox until it is fixed.

Every MAIL_* value may be text (from the environment) or a number (tests, overrides); nothing here raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

SECURITY = ("", "starttls", "ssl")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    security: str
    sender: Address
    timeout: int


@dataclass(frozen=True)
class Limits:
    """Retries: 1, 2, 4 … times `retry_base` seconds apart, at most `retry_cap`; dead after `max_attempts`."""

    max_attempts: int = 48
    retry_base: int = 60
    retry_cap: int = 3600
    keep_days: int = 90


@dataclass(frozen=True)
class MailSetup:
    mode: str  # "smtp", "mailbox" (development: kept for admins to read, never sent) or "broken"
    smtp: SmtpSettings | None = None
    error: str = ""
    limits: Limits = field(default_factory=Limits)


def _sender(text: str) -> Address:
    name, address = parseaddr(text)
    user, _, domain = address.rpartition("@")
    if not user or not domain or any(ch in address for ch in " <>,;") or any(ch in text for ch in "\r\n"):
        raise ValueError(f"MAIL_DEFAULT_SENDER is not an e-mail address: {text!r}")
    return Address(display_name=name, username=user, domain=domain)


def _number(config: Any, name: str, default: int, low: int, high: int, errors: list[str]) -> int:
    value = config.get(name)
    text = str(value).strip() if value is not None else ""
    if not text:
        return default
    if text.isascii() and text.isdigit() and low <= int(text) <= high:
        return int(text)
    errors.append(f"{name} must be a whole number from {low} to {high}, not {text!r}")
    return default


def _port(text: str, security: str, errors: list[str]) -> int:
    if not text:
        return 465 if security == "ssl" else 587 if security == "starttls" else 25
    if text.isascii() and text.isdigit() and 0 < int(text) < 65536:
        return int(text)
    errors.append(f"MAIL_PORT must be a port number (1-65535), not {text!r}")
    return 0


def mail_setup(config: Any) -> MailSetup:
    """What the dispatcher will do, and why not when it cannot: every problem found, in one error text."""
    errors: list[str] = []
    limits = Limits(
        max_attempts=_number(config, "MAIL_MAX_ATTEMPTS", Limits.max_attempts, 1, 1000, errors),
        retry_base=_number(config, "MAIL_RETRY_BASE_SECONDS", Limits.retry_base, 1, 86400, errors),
        retry_cap=_number(config, "MAIL_RETRY_CAP_SECONDS", Limits.retry_cap, 1, 7 * 86400, errors),
        keep_days=_number(config, "MAIL_KEEP_DAYS", Limits.keep_days, 1, 3650, errors),
    )
    timeout = _number(config, "MAIL_TIMEOUT_SECONDS", 20, 1, 600, errors)
    host = str(config.get("MAIL_SERVER") or "").strip()
    if not host:
        if config.get("ENV_NAME") == "production":  # a forgotten setting must not "send" into a mailbox
            errors.append("MAIL_SERVER is not set: production needs an SMTP server")
        return MailSetup("broken", error="; ".join(errors), limits=limits) if errors else MailSetup(
            "mailbox", limits=limits)
    if any(ch in host for ch in " /@\r\n\t"):
        errors.append(f"MAIL_SERVER must be a host name, not {host!r}")
    security = str(config.get("MAIL_SECURITY") or "").strip().lower()
    if security not in SECURITY:
        errors.append(f"MAIL_SECURITY must be empty, starttls or ssl, not {security!r}")
    port = _port(str(config.get("MAIL_PORT") or "").strip(), security, errors)
    sender = None
    try:
        sender = _sender(str(config.get("MAIL_DEFAULT_SENDER") or ""))
    except (ValueError, IndexError) as error:  # email.headerregistry refuses some parts with these
        errors.append(str(error))
    if errors or sender is None:
        return MailSetup("broken", error="; ".join(errors), limits=limits)
    smtp = SmtpSettings(host=host, port=port, username=str(config.get("MAIL_USERNAME") or ""),
                        password=str(config.get("MAIL_PASSWORD") or ""), security=security, sender=sender,
                        timeout=timeout)
    return MailSetup("smtp", smtp=smtp, limits=limits)
