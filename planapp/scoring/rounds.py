"""The scoring round: a supervisor opens it (one SCORE_MATRIX task per chosen agency, the structure frozen), and
stakeholders score each candidate on each criterion, 1–9, cell by cell on their task page.

The matrix of a task is the plan's active matrix (a plan has one at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.accounts.models import User
from planapp.agencies.models import Agency
from planapp.audit.services import record
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import ascii_digits, local_date
from planapp.core.permissions import Perm, can, require
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.scoring import queries
from planapp.scoring.models import Candidate, Criterion, MatrixStatus, Score, ScoringMatrix
from planapp.scoring.services import _bump
from planapp.tasks import services as tasks
from planapp.tasks.lifecycle import TO_DO, TaskKind
from planapp.tasks.models import Task

MIN_SCORE, MAX_SCORE = 1, 9
MAX_DAYS = 90


def readiness(matrix: ScoringMatrix | None, candidates: list[Candidate], criteria: list[Criterion]) -> str | None:
    """Why the round cannot open yet, or None."""
    if matrix is None or len(candidates) < 2:
        return str(_l("A round needs at least two candidates."))
    if len(criteria) < 2:
        return str(_l("A round needs at least two criteria."))
    if any(c.weight is None for c in criteria) or abs(sum(c.weight for c in criteria) - 1) > 1e-6:
        return str(_l("Set the weights of the criteria first (they must add up to 1)."))
    return None


def _days(raw: Any) -> int:
    text = ascii_digits(str(raw or "")).strip()
    if not text.isdecimal() or not 1 <= int(text) <= MAX_DAYS:
        raise ValidationFailed(_l("The round lasts between 1 and 90 days."), field="days")
    return int(text)


def open_round(actor: User, plan: Plan, agency_ids: list[Any], days: Any, now: datetime) -> list[Task]:
    """Freeze the matrix and address one scoring task to each chosen agency, due in `days` days."""
    require(actor, Perm.EDIT_PLAN, plan)
    matrix = queries.get_active_matrix(plan.id)
    if matrix is not None and matrix.status != MatrixStatus.DRAFT:
        raise ValidationFailed(_l("The scoring round has already been opened."))
    problem = readiness(matrix, queries.list_candidates(matrix.id) if matrix else [],
                        queries.list_criteria(matrix.id) if matrix else [])
    if problem:
        raise ValidationFailed(problem)
    ids = sorted({int(a) for a in agency_ids if str(a).isdecimal()})
    if not ids:
        raise ValidationFailed(_l("Choose at least one agency to score."), field="agency_ids")
    agencies = list(db.session.scalars(sa.select(Agency).where(Agency.id.in_(ids), Agency.is_active.is_(True))))
    if len(agencies) != len(ids):
        raise ValidationFailed(_l("Choose active agencies only."), field="agency_ids")
    due_on = local_date(now) + timedelta(days=_days(days))
    title = str(_l("Score the candidate driving cores"))
    description = str(_l("Score each candidate on each criterion from 1 (very weak) to 9 (very strong)."))
    created = [tasks.create_task(actor, plan, {"title": title, "description": description,
                                               "kind": TaskKind.SCORE_MATRIX, "agency_id": agency.id,
                                               "due_on": due_on}, now) for agency in agencies]
    matrix.status = MatrixStatus.OPEN
    _bump(matrix, now)
    record(actor, "scoring.round_open", matrix, summary=plan.title[:200],
           after={"plan_id": plan.id, "agency_ids": ids, "task_ids": [t.id for t in created],
                  "due_on": due_on.isoformat()})
    return created


def active_agencies() -> list[Agency]:
    return list(db.session.scalars(sa.select(Agency).where(Agency.is_active.is_(True)).order_by(Agency.name)))


def round_tasks(plan_id: int) -> list[Task]:
    return list(db.session.scalars(sa.select(Task).where(Task.plan_id == plan_id,
                                                         Task.kind == TaskKind.SCORE_MATRIX).order_by(Task.id)))


# --- scoring on a task --------------------------------------------------------------------------------------------


def parse_score(raw: Any) -> int | None:
    """1–9 as typed (Persian or Arabic digits too); blank clears the cell."""
    text = ascii_digits(str(raw or "")).strip()
    if not text:
        return None
    if not text.isdecimal() or not MIN_SCORE <= int(text) <= MAX_SCORE:
        raise ValidationFailed(_l("A score is a whole number from 1 to 9."), field="value")
    return int(text)


def task_matrix(task: Task) -> ScoringMatrix | None:
    return queries.get_active_matrix(task.plan_id) if task.kind == TaskKind.SCORE_MATRIX else None


def scoring_refusal(user: User, task: Task, matrix: ScoringMatrix | None) -> str | None:
    """Why `user` may not score on this task now, or None."""
    if matrix is None or task.kind != TaskKind.SCORE_MATRIX:
        return str(_l("This task does not collect scores."))
    if matrix.status != MatrixStatus.OPEN:
        return str(_l("The scoring round is closed: scores can no longer change."))
    if task.status not in TO_DO or not can(user, Perm.WORK_ON_TASK, task):
        return str(_l("This task is no longer open for scoring."))
    return None


def save_score(actor: User, task: Task, candidate_id: Any, criterion_id: Any, raw: Any, now: datetime) -> Score | None:
    """Store (or clear, when blank) the actor's score of one cell. Returns the score, or None when cleared."""
    require(actor, Perm.WORK_ON_TASK, task)
    matrix = task_matrix(task)
    problem = scoring_refusal(actor, task, matrix)
    if problem:
        raise ValidationFailed(problem)
    candidate = queries.get_candidate(matrix.id, candidate_id) if isinstance(candidate_id, int) else None
    criterion = queries.get_criterion(matrix.id, criterion_id) if isinstance(criterion_id, int) else None
    if candidate is None or criterion is None:
        raise ValidationFailed(_l("This cell is not in the matrix."))
    value = parse_score(raw)
    score = db.session.scalar(sa.select(Score).where(Score.candidate_id == candidate.id,
                                                     Score.criterion_id == criterion.id, Score.user_id == actor.id))
    before = {"value": score.value} if score is not None else None
    after = {"plan_id": task.plan_id, "task_id": task.id, "candidate_id": candidate.id, "criterion_id": criterion.id,
             "value": value}
    substitute_for = tasks.acting_for(actor, task)
    if substitute_for:
        after["acting_for"] = substitute_for
    summary = f"{candidate.name[:90]} / {criterion.name[:90]}"
    if value is None:
        if score is not None:
            record(actor, "scoring.score_clear", score, summary=summary, before=before, after=after)
            db.session.delete(score)
            db.session.flush()
        return None
    if score is None:
        score = Score(matrix_id=matrix.id, task_id=task.id, candidate_id=candidate.id, criterion_id=criterion.id,
                      user_id=actor.id, value=value, updated_at=now)
        db.session.add(score)
    elif score.value == value:
        return score
    score.value, score.updated_at, score.task_id, score.acting_for_id = value, now, task.id, substitute_for
    db.session.flush()
    record(actor, "scoring.score", score, summary=summary, before=before, after=after)
    return score


def my_scores(matrix_id: int, user_id: int) -> dict[tuple[int, int], int]:
    return {(s.candidate_id, s.criterion_id): s.value for s in db.session.scalars(
        sa.select(Score).where(Score.matrix_id == matrix_id, Score.user_id == user_id))}


@dataclass
class Grid:
    candidates: list[Candidate]
    criteria: list[Criterion]
    values: dict[tuple[int, int], int]
    refusal: str | None

    @property
    def total(self) -> int:
        return len(self.candidates) * len(self.criteria)

    @property
    def done(self) -> int:
        cells = {(a.id, c.id) for a in self.candidates for c in self.criteria}
        return len(cells & set(self.values))


def grid(task: Task, user: User) -> Grid:
    matrix = task_matrix(task)
    if matrix is None:
        return Grid([], [], {}, scoring_refusal(user, task, matrix))
    return Grid(queries.list_candidates(matrix.id), queries.list_criteria(matrix.id), my_scores(matrix.id, user.id),
                scoring_refusal(user, task, matrix))
