"""Queueing e-mail: rows written in the caller's transaction, so an e-mail exists exactly when its cause does."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.dialects import postgresql, sqlite

from planapp.accounts.models import EmailPreference, User
from planapp.extensions import db
from planapp.mail.messages import CRITICAL, NEVER_DIGESTED
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.mail.render import render_email, supported


@dataclass
class Email:
    kind: str
    key: str  # idempotency: the same key is queued once, ever
    params: dict[str, Any] = field(default_factory=dict)
    link: str | None = None
    user: User | None = None
    to_addr: str = ""  # for people without an account yet (never: invitations create the user first)
    to_name: str = ""
    to_digest: bool = False  # the reminder cap was reached: this one waits for the digest whatever the preference


def event_key(kind: str, user_id: int | None, link: str | None, params: dict[str, Any], now: datetime) -> str:
    """A key for a one-off event (a task returned at 10:02:13.418): unique per event, stable within it."""
    digest = hashlib.sha256(repr((link, sorted(params.items()))).encode()).hexdigest()[:16]
    return f"{kind}:{user_id}:{now.isoformat()}:{digest}"


def _status(email: Email) -> MailStatus | None:
    """Queued now, held for the digest, or not at all (the person switched e-mail off)."""
    critical = email.kind in CRITICAL
    preference = email.user.email_preference if email.user is not None else EmailPreference.IMMEDIATE
    if critical or email.kind in NEVER_DIGESTED:
        return MailStatus.QUEUED
    if preference == EmailPreference.OFF:
        return None
    if preference == EmailPreference.DIGEST or email.to_digest:
        return MailStatus.DIGEST
    return MailStatus.QUEUED


def _insert_ignoring_duplicates(rows: list[dict[str, Any]]) -> int:
    """One INSERT … ON CONFLICT DO NOTHING, sent as an executemany (compiled once, batched by SQLAlchemy);
    RETURNING counts the rows inserted (rowcount is not reliable for it under psycopg)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(OutboxMessage).on_conflict_do_nothing(index_elements=["key"]).returning(OutboxMessage.id)
    return len(db.session.execute(statement, rows).all())


def queue(emails: Iterable[Email], now: datetime, chunk: int = 1000) -> int:
    """Render and store e-mails; keys already stored are skipped (another run queued them). Returns the count
    actually queued. No query per e-mail: one INSERT … ON CONFLICT DO NOTHING per chunk. E-mails are rendered
    grouped by language, so the translations are switched once per language, not once per e-mail."""
    by_locale: dict[str, list[Email]] = {}
    for email in emails:
        locale = supported(email.user.language if email.user is not None else "fa")
        by_locale.setdefault(locale, []).append(email)
    rows: list[dict[str, Any]] = []
    queued = 0
    for locale, group in by_locale.items():
        with force_locale(locale):
            for email in group:
                row = _row(email, locale, now)
                if row is not None:
                    rows.append(row)
                if len(rows) >= chunk:
                    queued += _insert_ignoring_duplicates(rows)
                    rows = []
    if rows:
        queued += _insert_ignoring_duplicates(rows)
    return queued


def _row(email: Email, locale: str, now: datetime) -> dict[str, Any] | None:
    status = _status(email)
    address = email.user.email if email.user is not None else email.to_addr
    if status is None or not address or (email.user is not None and not email.user.is_active
                                          and email.kind not in ("invitation", "password_reset")):
        return None
    name = email.user.name if email.user is not None else email.to_name
    rendered = render_email(email.kind, email.params, email.link, locale, name)
    return {"key": email.key[:200], "kind": email.kind, "user_id": email.user.id if email.user else None,
            "to_addr": address, "to_name": name or "", "locale": locale, "subject": rendered.subject,
            "text_body": rendered.text, "html_body": rendered.html, "critical": email.kind in CRITICAL,
            "status": status, "attempts": 0, "next_attempt_at": now, "last_error": "", "created_at": now,
            "message_id": "", "claimed_by": ""}


def users_by_id(ids: Iterable[int]) -> dict[int, User]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(wanted)))}
