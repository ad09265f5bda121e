from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from planapp.audit.models import AuditEvent
from planapp.extensions import db


def list_events(action_prefix: str = "", q: str = "", page: int = 1, per_page: int = 50) -> Pagination:
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
    # count=False keeps the page cheap on millions of rows; the pager uses has_next instead.
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=False)


def action_realms() -> list[str]:
    return ["agency", "user", "auth"]
