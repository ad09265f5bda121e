"""Reading the outbox for the admin pages."""

from __future__ import annotations

import sqlalchemy as sa

from planapp.core.paging import PeekPage, peek_paginate
from planapp.extensions import db
from planapp.mail.messages import OWN_TEMPLATES
from planapp.mail.models import MailStatus, OutboxMessage


def get_message(message_id: int) -> OutboxMessage | None:
    return db.session.get(OutboxMessage, message_id)


def list_messages(status: str, kind: str, q: str, page: int, per_page: int) -> PeekPage:
    """Newest first. Paged without COUNT(*): the outbox keeps months of messages."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status in MailStatus.__members__.values():
        query = query.where(OutboxMessage.status == MailStatus(status))
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if q.strip():
        text = q.strip().lower()
        query = query.where(sa.or_(sa.func.lower(OutboxMessage.to_addr).contains(text, autoescape=True),
                                   sa.func.lower(OutboxMessage.subject).contains(text, autoescape=True),
                                   sa.func.lower(OutboxMessage.to_name).contains(text, autoescape=True)))
    return peek_paginate(query, page, per_page)


def count_by_status() -> dict[MailStatus, int]:
    """One grouped count over the (status, next_attempt_at) index."""
    rows = db.session.execute(sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status))
    return {MailStatus(status): count for status, count in rows}


def known_kinds() -> list[str]:
    """The kinds an e-mail may have: every notification kind and the e-mails with a template of their own."""
    from planapp.notifications.messages import TEMPLATES

    return sorted(set(TEMPLATES) | OWN_TEMPLATES)
