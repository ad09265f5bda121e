from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from planapp.core.db import str_enum
from planapp.extensions import db


class Quadrant(enum.StrEnum):
    STRENGTH = "strength"
    WEAKNESS = "weakness"
    OPPORTUNITY = "opportunity"
    THREAT = "threat"

    @property
    def label(self) -> str:
        return str(QUADRANT_LABELS[self])

    @property
    def internal(self) -> bool:
        """Strengths and weaknesses are internal (IFE); opportunities and threats external (EFE)."""
        return self in (Quadrant.STRENGTH, Quadrant.WEAKNESS)


QUADRANT_LABELS = {
    Quadrant.STRENGTH: _l("Strength"),
    Quadrant.WEAKNESS: _l("Weakness"),
    Quadrant.OPPORTUNITY: _l("Opportunity"),
    Quadrant.THREAT: _l("Threat"),
}


class SwotFactor(db.Model):
    """A factor a stakeholder put forward; a supervisor may merge duplicates into one (merged_into) and gives the
    kept ones a weight (within its evaluation, summing to 1) and a rating 1–4."""

    __tablename__ = "swot_factors"
    __table_args__ = (sa.Index("ix_swot_factors_plan", "plan_id", "quadrant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id"))
    quadrant: Mapped[Quadrant] = mapped_column(str_enum(Quadrant))
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    acting_for_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    created_at: Mapped[datetime]
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("swot_factors.id"))
    weight: Mapped[float | None] = mapped_column(sa.Float)
    rating: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
