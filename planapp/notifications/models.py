from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from planapp.core.db import JSONType
from planapp.extensions import db


class Notification(db.Model):
    """An in-app message to one user. The text is rendered at read time, in the reader's language."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(50))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    link: Mapped[str | None] = mapped_column(sa.String(300))  # a same-site path
    created_at: Mapped[datetime] = mapped_column(index=True)
    read_at: Mapped[datetime | None]
