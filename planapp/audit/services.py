"""Recording audit events. Callers pass the actor; the row joins the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

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
    event = AuditEvent(
        occurred_at=now(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", "") or "",
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else None),
        object_id=getattr(obj, "id", None),
        summary=summary[:500],
        before=before,
        after=after,
        ip=ip,
    )
    db.session.add(event)
    return event
