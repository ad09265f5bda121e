from __future__ import annotations

import sqlalchemy as sa

from planapp.core.paging import PeekPage, peek_paginate
from planapp.extensions import db
from planapp.notifications.models import Notification


def count_unread(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def list_notifications(user_id: int, page: int, per_page: int = 30) -> PeekPage:
    query = sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc())
    return peek_paginate(query, page, per_page)


def get_notification(user_id: int, notification_id: int) -> Notification | None:
    """One of the user's own notifications (someone else's is None, as if it did not exist)."""
    return db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
    )
