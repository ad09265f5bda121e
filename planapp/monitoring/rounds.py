"""Monitoring rounds: for every plan in monitoring, one round of progress-report tasks per period.

A round is claimed by inserting its row (unique plan + period start, ON CONFLICT DO NOTHING), so the daily job,
a second scheduler or a plan re-entering monitoring in the same period never open it twice. After downtime the
current period's round opens once; rounds of periods that ended meanwhile are not opened late.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from planapp.core.clock import now as clock_now
from planapp.core.i18n import local_date
from planapp.extensions import db
from planapp.monitoring.models import MonitoringRound
from planapp.monitoring.periods import period_containing
from planapp.notifications.services import notify
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage


def _claim(plan: Plan, now: datetime) -> tuple[int, object] | None:
    period = period_containing(local_date(now), plan.monitoring_period_months)
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    round_id = db.session.scalar(
        insert(MonitoringRound).values(plan_id=plan.id, period_start=period.start, period_end=period.end,
                                       opened_at=now)
        .on_conflict_do_nothing(index_elements=["plan_id", "period_start"]).returning(MonitoringRound.id))
    return (round_id, period) if round_id else None


def open_round(plan: Plan, actor, now: datetime) -> int | None:
    """Open the plan's round for the current period. Returns the tasks opened, None if it was open already."""
    from planapp.tasks.services import create_stage_tasks

    claimed = _claim(plan, now)
    if claimed is None:
        return None
    round_id, period = claimed
    tasks = create_stage_tasks(plan, Stage.MONITORING, actor, now, round_id=round_id)
    notify([plan.owner_id], "monitoring.round_opened",
           {"plan": plan.title, "period_start": period.start.isoformat(), "months": period.months,
            "count": len(tasks)}, f"/plans/{plan.id}", now, key=f"monitoring.round:{round_id}")
    return len(tasks)


def open_due_rounds(now: datetime | None = None) -> str:
    """The scheduler's daily job: every plan in monitoring gets its current period's round."""
    now = now or clock_now()
    plans = list(db.session.scalars(sa.select(Plan).where(Plan.stage == Stage.MONITORING,
                                                          Plan.closed_at.is_(None)).order_by(Plan.id)))
    opened = tasks = 0
    for plan in plans:
        count = open_round(plan, None, now)
        if count is not None:
            opened, tasks = opened + 1, tasks + count
        db.session.commit()
    return f"{opened} rounds opened ({tasks} tasks) for {len(plans)} plans in monitoring"
