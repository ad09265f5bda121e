from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planapp.accounts.models import User
from planapp.core.db import str_enum
from planapp.extensions import db


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for the dispatcher (or for its next attempt)
    SENDING = "sending"  # claimed by a dispatcher until `lease_until`
    SENT = "sent"  # accepted by the SMTP server
    DIGEST = "digest"  # waiting for the recipient's daily digest
    DIGESTED = "digested"  # went out inside a digest
    DEAD = "dead"  # gave up: a permanent error or too many attempts; an admin may resend

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    MailStatus.QUEUED: _l("Queued"),
    MailStatus.SENDING: _l("Sending"),
    MailStatus.SENT: _l("Sent"),
    MailStatus.DIGEST: _l("Waiting for the digest"),
    MailStatus.DIGESTED: _l("Sent in a digest"),
    MailStatus.DEAD: _l("Failed"),
}


class OutboxMessage(db.Model):
    """One e-mail, rendered in the recipient's language when it is queued, in the same transaction as its cause.

    `key` makes queueing idempotent (reminder + task + step + date + person): the same event never queues twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
        sa.Index("ix_outbox_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(50))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    to_addr: Mapped[str] = mapped_column(sa.String(254))
    to_name: Mapped[str] = mapped_column(sa.String(120), default="")
    locale: Mapped[str] = mapped_column(sa.String(5), default="fa")
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text, default="")
    critical: Mapped[bool] = mapped_column(default=False)
    status: Mapped[MailStatus] = mapped_column(str_enum(MailStatus), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str] = mapped_column(sa.String(32), default="")  # the dispatcher run that holds the lease
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str] = mapped_column(sa.String(200), default="")

    user: Mapped[User | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
