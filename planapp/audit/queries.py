from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from planapp.audit.chain import FIELDS
from planapp.audit.models import AuditEvent
from planapp.core.paging import PeekPage, peek_paginate
from planapp.extensions import db


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


def iter_chain_rows(batch_size: int = 1000) -> Iterator[sa.Row]:
    """Every audit row's chained columns in id order, read in batches (keyset pagination): constant memory.

    Each batch is read on a short connection of its own, so verifying millions of rows never holds a
    transaction open (on SQLite every transaction takes the write lock). Only committed rows are seen.
    """
    table = AuditEvent.__table__
    columns = [table.c.id, table.c.prev_hash, table.c.hash, *(table.c[name] for name in FIELDS)]
    last_id: int | None = None
    while True:
        query = sa.select(*columns).order_by(table.c.id).limit(batch_size)
        if last_id is not None:
            query = query.where(table.c.id > last_id)
        with db.engine.connect() as connection:
            rows = connection.execute(query).all()
        yield from rows
        if len(rows) < batch_size:
            return
        last_id = rows[-1].id
