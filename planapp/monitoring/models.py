from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from planapp.extensions import db


class MonitoringRound(db.Model):
    """A period's round of progress reports for one plan; unique per plan and period, so it opens once."""

    __tablename__ = "monitoring_rounds"
    __table_args__ = (sa.UniqueConstraint("plan_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    opened_at: Mapped[datetime]
