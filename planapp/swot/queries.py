"""Reading SWOT factors: a plan's factors by quadrant, those put forward on one task."""

from __future__ import annotations

import sqlalchemy as sa

from planapp.extensions import db
from planapp.swot.models import Quadrant, SwotFactor


def get_factor(factor_id: int) -> SwotFactor | None:
    return db.session.get(SwotFactor, factor_id)


def list_plan_factors(plan_id: int) -> list[SwotFactor]:
    """Every factor of the plan (merged ones too), by quadrant then age."""
    return list(db.session.scalars(
        sa.select(SwotFactor).where(SwotFactor.plan_id == plan_id).order_by(SwotFactor.quadrant, SwotFactor.id)
    ))


def by_quadrant(factors: list[SwotFactor]) -> dict[Quadrant, list[SwotFactor]]:
    grouped: dict[Quadrant, list[SwotFactor]] = {quadrant: [] for quadrant in Quadrant}
    for factor in factors:
        grouped[factor.quadrant].append(factor)
    return grouped


def list_task_factors(task_id: int, user_id: int) -> list[SwotFactor]:
    """The factors the user put forward (or put forward for someone they stand in for) on this task."""
    return list(db.session.scalars(
        sa.select(SwotFactor)
        .where(SwotFactor.task_id == task_id, sa.or_(SwotFactor.author_id == user_id,
                                                     SwotFactor.acting_for_id == user_id))
        .order_by(SwotFactor.id)
    ))
