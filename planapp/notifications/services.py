"""Notifying people: an in-app notification and its e-mail twin (queued in the outbox, same transaction)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from planapp.extensions import db
from planapp.notifications.models import Notification


def notify(user_ids: Iterable[int | None], kind: str, params: dict[str, Any], link: str | None, now: datetime,
           key: str | None = None, email: bool = True) -> None:
    """One notification per distinct user (None entries — the system — are skipped), each with its e-mail.

    `key` makes the e-mails idempotent across runs (reminders: task + step + date); by default each call is
    its own event. Whether an e-mail goes now, in the digest or not at all is the recipient's preference."""
    from planapp.mail.outbox import Email, event_key, queue, users_by_id

    ids = sorted({uid for uid in user_ids if uid is not None})
    for user_id in ids:
        db.session.add(Notification(user_id=user_id, kind=kind, params=params, link=link, created_at=now))
    if email and ids:
        people = users_by_id(ids)
        queue((Email(kind, f"{key}:{uid}" if key else event_key(kind, uid, link, params, now), params, link,
                     user=people[uid]) for uid in ids if uid in people), now)


def mark_read(user_id: int, notification_id: int | None, now: datetime) -> None:
    """Mark one (or, with None, every) notification of the user as read."""
    query = sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=now))
