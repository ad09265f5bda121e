"""The optional Delphi (second) round: after the first round closes, and before any driving core is confirmed, the
supervisor sends each first-round scorer a personal task to revise their scores. Each cell of their grid shows the
group's first-round median and their own first-round value; the first round's scores stay as they were.

Closing it (rounds.close_round) counts each scorer's revision of a cell, or their first-round value where they did
not revise (a Delphi panel member who agrees with where the group went need not type anything), and keeps both
rounds' Kendall's W so the supervisor sees whether agreement improved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.accounts.models import User
from planapp.audit.services import record
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import local_date
from planapp.core.permissions import Perm, can
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.scoring import queries, scorers
from planapp.scoring.models import MatrixStatus, ScoringMatrix
from planapp.scoring.rounds import round_days
from planapp.scoring.services import _bump, require_changeable
from planapp.tasks import services as tasks
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import Task

LAST_ROUND = 2


def second_round_refusal(matrix: ScoringMatrix | None) -> str | None:
    """Why a second round cannot be opened now, or None."""
    if matrix is None or matrix.status != MatrixStatus.CLOSED or matrix.round != 1 or not matrix.results:
        return str(_l("A second (Delphi) round follows a closed first round, once."))
    if any(c.confirmed_at is not None for c in queries.list_candidates(matrix.id)):
        return str(_l("The driving cores are already confirmed: a second round can no longer be opened."))
    return None


def open_second_round(actor: User, plan: Plan, days: Any, now: datetime) -> list[Task]:
    """One personal task per first-round scorer who can still work on tasks, due in `days` days; the round reopens
    as round 2."""
    require_changeable(actor, plan)
    matrix = queries.get_active_matrix(plan.id)
    matrix = scorers.lock(matrix) if matrix is not None else None
    problem = second_round_refusal(matrix)
    if problem:
        raise ValidationFailed(problem)
    due_on = local_date(now) + timedelta(days=round_days(days))
    ids = {s.user_id for s in scorers.scores_of(matrix.id, 1)}
    people = [u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.name, User.id))
              if can(u, Perm.WORK_ON_TASK)] if ids else []
    if not people:
        raise ValidationFailed(_l("Nobody who scored the first round can still work on tasks."))
    created = [tasks.create_task(actor, plan, {
        "title": str(_l("Revise your scores (Delphi round 2)")), "kind": TaskKind.SCORE_MATRIX,
        "description": str(_l("Next to each of your scores you see the group's median of the first round. Revise "
                              "the scores you want to change; a score you leave as it is counts as it was.")),
        "assignee_id": person.id, "due_on": due_on}, now) for person in people]
    scorers.enlist(matrix, created, LAST_ROUND)
    matrix.round, matrix.status = LAST_ROUND, MatrixStatus.OPEN
    _bump(matrix, now)
    record(actor, "scoring.round2_open", matrix, summary=plan.title[:200],
           after={"plan_id": plan.id, "user_ids": [p.id for p in people], "task_ids": [t.id for t in created],
                  "due_on": due_on.isoformat(), "skipped": sorted(ids - {p.id for p in people})})
    return created


@dataclass
class RoundPanel:
    """What the round's part of the scoring page shows: the tasks of each round, whom a scorer can be, whether a
    second round can follow, and the agreement of each closed round."""

    tasks: list[tuple[Task, int]]
    people: list[User]
    number: int
    second_round_refusal: str | None
    agreement: list[dict] = field(default_factory=list)

    def tasks_of(self, number: int) -> list[Task]:
        return [task for task, n in self.tasks if n == number]


def round_panel(plan_id: int, matrix: ScoringMatrix | None) -> RoundPanel:
    if matrix is None:
        return RoundPanel([], scorers.active_people(), 1, None)
    results = matrix.results or {}
    agreement = results.get("rounds") or ([{"round": 1, "kendall_w": results.get("kendall_w"),
                                            "kendall_note": results.get("kendall_note")}] if results else [])
    return RoundPanel(scorers.tasks_by_round(plan_id) if matrix.status != MatrixStatus.DRAFT else [],
                      scorers.active_people(), matrix.round, second_round_refusal(matrix), agreement)
