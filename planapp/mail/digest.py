"""The daily digest: everything held for a person (their preference, or reminders past the cap) in one e-mail."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from planapp.core.clock import now as clock_now
from planapp.core.i18n import local_date
from planapp.extensions import db
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.mail.outbox import Email, queue, users_by_id

MAX_ITEMS = 100  # a digest lists at most this many lines; the notifications page has the rest


def send_digests(now: datetime | None = None) -> str:
    """One digest per person and Tehran day (the key), built from the held messages, which become "digested" in
    the same transaction — only when this run really queued that digest. Run twice, nothing is sent twice, and
    nothing is lost: messages held after today's digest went out wait for tomorrow's."""
    now = now or clock_now()
    day = local_date(now)
    held = db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.user_id, OutboxMessage.subject)
        .where(OutboxMessage.status == MailStatus.DIGEST, OutboxMessage.created_at <= now,
               OutboxMessage.user_id.is_not(None))
        .order_by(OutboxMessage.user_id, OutboxMessage.id)).all()
    if not held:
        return "no digest due"
    by_user: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for message_id, user_id, subject in held:
        by_user[user_id].append((message_id, subject))
    people = users_by_id(by_user)
    digests = digested = 0
    for user_id, items in by_user.items():
        person = people.get(user_id)
        if person is None or not person.is_active:
            continue  # kept: they go out if the account is reactivated
        email = Email("digest", f"digest:{user_id}:{day.isoformat()}",
                      {"items": [subject for _id, subject in items[:MAX_ITEMS]], "day": day, "count": len(items),
                       "more": max(len(items) - MAX_ITEMS, 0)}, "/notifications/", user=person)
        if not queue([email], now):
            continue  # today's digest was already queued (an earlier run): these wait for tomorrow's
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_([message_id for message_id, _subject in items]),
                   OutboxMessage.status == MailStatus.DIGEST)
            .values(status=MailStatus.DIGESTED, sent_at=now).execution_options(synchronize_session=False))
        digests += 1
        digested += len(items)
    db.session.commit()
    return f"{digests} digests for {digested} messages"
