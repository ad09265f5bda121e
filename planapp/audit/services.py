"""Recording audit events. Callers pass the actor; the row joins the caller's transaction."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa

from planapp.audit import chain
from planapp.audit.models import AuditEvent
from planapp.core.clock import now
from planapp.extensions import db


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The audited fields of an object as JSON-ready values."""
    return {field: _plain(getattr(obj, field)) for field in fields}


def changed_only(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    actor: Any,
    action: str,
    obj: Any = None,
    *,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
    object_type: str | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction, chained to the last row (see planapp/audit/chain.py).

    Record after the change it describes: the chain lock is held until the transaction ends, so locks taken
    after it (by more changes in the same transaction) wait on other writers' commits.
    """
    # The caller's pending changes go first, so their row locks are taken before the chain lock (one lock
    # order for everyone: fewer deadlocks on PostgreSQL) and a new object has its id for object_id.
    db.session.flush()
    prev_hash = _lock_chain_and_read_head()
    event = AuditEvent(
        occurred_at=now(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", "") or "",
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else None),
        object_id=getattr(obj, "id", None),
        summary=summary[:500],
        before=_as_stored(before),
        after=_as_stored(after),
        ip=ip,
        prev_hash=prev_hash,
    )
    event.hash = chain.event_hash(prev_hash, event)
    db.session.add(event)
    # Several records in one transaction: each one is flushed (here, and by the flush that opens the next
    # record()), so the next record() reads it back as the head. We read the head from the database rather
    # than keeping it in session.info: after a rollback or a rolled-back savepoint such a cache would point at a
    # row that no longer exists, while the database is always right. The cost is one indexed read per event.
    db.session.flush()
    return event


def record_changes(actor: Any, action: str, obj: Any, before: dict[str, Any], after: dict[str, Any], *,
                   summary: str) -> AuditEvent | None:
    """Record an update as the audited fields it changed (old and new values); nothing when none changed."""
    old, new = changed_only(before, after)
    if not new:
        return None
    return record(actor, action, obj, summary=summary, before=old, after=new)


# A fixed key for pg_advisory_xact_lock: "auditchn" in ASCII. Taken by every writer of the chain.
CHAIN_LOCK_KEY = 0x617564697463686E


def _lock_chain_and_read_head() -> str:
    """The hash of the last row, read under a lock that keeps other writers out until this transaction ends.

    PostgreSQL: a transaction-level advisory lock; the read that follows takes a fresh snapshot (READ
    COMMITTED), so it sees the row the previous holder committed. SQLite: every transaction already begins
    IMMEDIATE (planapp/core/sqlite.py) and holds the only write lock. Either way ids are handed out under the
    lock, so id order is chain order.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    head = db.session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return head or chain.GENESIS


def _as_stored(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """The value as the database will give it back (string keys, lists, no NaN), so the hash matches it."""
    if value is None:
        return None
    return json.loads(json.dumps(value, allow_nan=False))
