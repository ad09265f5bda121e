"""Clean-up: sent messages and finished job runs older than the keeping period. Dead ones stay for admins."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from planapp.core.clock import now as clock_now
from planapp.extensions import db
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.mail.settings import mail_setup
from planapp.scheduler.runs import delete_old_runs


def clean_up(now: datetime | None = None) -> str:
    now = now or clock_now()
    before = now - timedelta(days=mail_setup(current_app.config).limits.keep_days)
    removed = db.session.execute(sa.delete(OutboxMessage).where(
        OutboxMessage.status.in_([MailStatus.SENT, MailStatus.DIGESTED]), OutboxMessage.created_at < before)
    ).rowcount
    runs = delete_old_runs(before)
    db.session.commit()
    return f"{removed} old messages and {runs} old job runs removed"
