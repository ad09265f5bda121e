from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planapp.core.clock import now
from planapp.core.db import JSONType
from planapp.extensions import db


class AuditEvent(db.Model):
    """One row per change or security event: who, when, what, before → after. Append-only, hash-chained."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=now, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Kept as text too, so the row still says who acted if the account is renamed.
    actor_label: Mapped[str] = mapped_column(sa.String(300), default="")
    action: Mapped[str] = mapped_column(sa.String(64), index=True)  # e.g. agency.create, auth.login_failed
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    actor = relationship("User", lazy="joined", viewonly=True)  # for showing the actor's current name
    # The hash chain (planapp/audit/chain.py): hex sha256 of the previous row and of this one. prev_hash is
    # unique, so two writers that read the same last row cannot both insert: the chain cannot fork.
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64))
