"""Creating and reading in-app notifications. The e-mail twin arrives with the notifications issue."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from planapp.extensions import db
from planapp.notifications.models import Notification


def notify(user_ids: Iterable[int | None], kind: str, params: dict[str, Any], link: str | None, now: datetime) -> None:
    """One notification per distinct user (None entries — the system — are skipped)."""
    for user_id in sorted({uid for uid in user_ids if uid is not None}):
        db.session.add(Notification(user_id=user_id, kind=kind, params=params, link=link, created_at=now))


def mark_read(user_id: int, notification_id: int | None, now: datetime) -> None:
    """Mark one (or, with None, every) notification of the user as read."""
    query = sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=now))
