"""The stage timeline shown on a plan's page: done, current or ahead, with dates and who approved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from planapp.plans.models import Plan, StageEntry
from planapp.plans.workflow import PREPARATION, Stage


@dataclass(frozen=True)
class Step:
    stage: Stage
    status: str  # done | current | ahead
    entered_at: datetime | None
    approved_by: str | None
    visits: int


def timeline(plan: Plan) -> list[Step]:
    stages = [*PREPARATION, Stage.MONITORING]
    visited = {entry.stage for entry in plan.entries}
    if Stage.REVISION in visited:
        stages.append(Stage.REVISION)
    if plan.stage == Stage.CLOSED:
        stages.append(Stage.CLOSED)
    steps = []
    for stage in stages:
        entries: list[StageEntry] = [e for e in plan.entries if e.stage == stage]
        last = entries[-1] if entries else None
        if stage == plan.stage:
            status = "current"
        elif stage.number < plan.stage.number or (stage == Stage.REVISION and entries):
            status = "done"
        else:
            status = "ahead"
        steps.append(Step(stage, status, last.entered_at if last else None,
                          last.approved_by.name if last and last.approved_by else None, len(entries)))
    return steps
