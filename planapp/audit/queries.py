from __future__ import annotations

import sqlalchemy as sa

from planapp.audit.models import AuditEvent
from planapp.core.paging import PeekPage, peek_paginate


def list_events(action_prefix: str = "", q: str = "", page: int = 1, per_page: int = 50) -> PeekPage:
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    if action_prefix:
        query = query.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
    if q.strip():
        needle = q.strip().lower()
        query = query.where(
            sa.or_(
                sa.func.lower(AuditEvent.summary).contains(needle, autoescape=True),
                sa.func.lower(AuditEvent.actor_label).contains(needle, autoescape=True),
            )
        )
    # No COUNT(*): the page stays cheap on millions of rows.
    return peek_paginate(query, page, per_page)


def action_realms() -> list[str]:
    return ["agency", "user", "auth"]
