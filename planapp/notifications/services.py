"""Notifying people: an in-app notification and its e-mail twin (queued in the outbox, same transaction)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from planapp.extensions import db
from planapp.notifications.models import Notification


@dataclass
class Notice:
    """One thing to tell some people: the in-app notification and, per preference, its e-mail."""

    user_ids: Iterable[int | None]
    kind: str
    params: dict[str, Any]
    link: str | None
    key: str | None = None  # makes the e-mails idempotent across runs (reminder: task + step + date)
    to_digest: bool = False  # e-mails wait for the digest whatever the preference (the reminder cap)


def notify(user_ids: Iterable[int | None], kind: str, params: dict[str, Any], link: str | None, now: datetime,
           key: str | None = None, email: bool = True) -> None:
    """One notification per distinct user (None entries — the system — are skipped), each with its e-mail.

    Without `key` each call is its own event. Whether an e-mail goes now, in the digest or not at all is the
    recipient's preference."""
    notify_many([Notice(user_ids, kind, params, link, key)], now, email=email)


def notify_many(notices: Iterable[Notice], now: datetime, email: bool = True) -> int:
    """Many notices with a fixed number of statements: one to load the people, one insert of notifications, one
    per 500 e-mails. Returns the number of notifications written."""
    from planapp.mail.outbox import Email, event_key, queue, users_by_id

    planned = [(notice, sorted({uid for uid in notice.user_ids if uid is not None})) for notice in notices]
    rows = [{"user_id": uid, "kind": n.kind, "params": n.params, "link": n.link, "created_at": now}
            for n, ids in planned for uid in ids]
    if not rows:
        return 0
    db.session.execute(sa.insert(Notification), rows)
    if email:
        people = users_by_id(row["user_id"] for row in rows)
        queue((Email(n.kind, f"{n.key}:{uid}" if n.key else event_key(n.kind, uid, n.link, n.params, now), n.params,
                     n.link, user=people[uid], to_digest=n.to_digest)
               for n, ids in planned for uid in ids if uid in people), now)
    return len(rows)


def mark_read(user_id: int, notification_id: int | None, now: datetime) -> None:
    """Mark one (or, with None, every) notification of the user as read."""
    query = sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=now))
