from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planapp.accounts.models import User
from planapp.core.db import TimestampMixin, str_enum
from planapp.extensions import db
from planapp.plans.workflow import PUBLISHED, Stage


class Plan(TimestampMixin, db.Model):
    """A provincial development plan: the case that moves through the stages of plans/workflow.py."""

    __tablename__ = "plans"
    __table_args__ = (
        sa.CheckConstraint("period_end >= period_start", name="period_order"),
        sa.Index("ix_plans_stage_updated", "stage", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    province: Mapped[str] = mapped_column(sa.String(100))
    period_start: Mapped[int]  # Jalali years, e.g. 1403–1407
    period_end: Mapped[int]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    search_key: Mapped[str] = mapped_column(sa.String(1200), default="")
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    stage: Mapped[Stage] = mapped_column(str_enum(Stage), default=Stage.SITUATION_ASSESSMENT)
    stage_entered_at: Mapped[datetime]
    doc_major: Mapped[int] = mapped_column(default=1)
    doc_minor: Mapped[int] = mapped_column(default=0)
    source_plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plans.id"))
    # Monitoring rounds: every 3 months (the Jalali quarters) unless the plan sets 1, 2, 4, 6 or 12.
    monitoring_period_months: Mapped[int] = mapped_column(default=3)
    published_at: Mapped[datetime | None]  # first approval
    closed_at: Mapped[datetime | None]
    # Compare-and-swap on every change: a stale edit or decision fails instead of overwriting (RELIABILITY W2).
    version: Mapped[int] = mapped_column(default=1)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    entries: Mapped[list[StageEntry]] = relationship(
        back_populates="plan", order_by="StageEntry.id", lazy="selectin", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_published(self) -> bool:
        return self.stage in PUBLISHED

    @property
    def is_archived(self) -> bool:
        return self.stage == Stage.CLOSED

    @property
    def document_version(self) -> str:
        return f"{self.doc_major}.{self.doc_minor}"

    @property
    def period(self) -> str:
        return f"{self.period_start}–{self.period_end}"

    def __repr__(self) -> str:
        return f"<Plan {self.id} {self.stage}>"


class StageEntry(db.Model):
    """One stay of a plan in a stage: when it entered, who approved the move, when it left."""

    __tablename__ = "plan_stage_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id"), index=True)
    stage: Mapped[Stage] = mapped_column(str_enum(Stage))
    entered_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    request_id: Mapped[int | None]  # the approved transition request that brought the plan here

    plan: Mapped[Plan] = relationship(back_populates="entries")
    approved_by: Mapped[User | None] = relationship(lazy="joined")
