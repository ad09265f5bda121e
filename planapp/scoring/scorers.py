"""Who scores in which round: the round's tasks (an agency's, or one person's — an officer or a participant), the
scorers a supervisor adds while a round is open, and the scores of a round as they count when it closes.

A Delphi second round keeps the first round's scores: a revision is a row of its own (`Score.round` 2). When the
second round closes, each scorer's cell counts with its revision, or — not revised — with its first-round value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.accounts.models import User
from planapp.agencies.models import Agency
from planapp.audit.services import record
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import local_date
from planapp.core.permissions import Perm, Role, can
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.scoring import queries
from planapp.scoring.models import MatrixStatus, RoundTask, Score, ScoringMatrix
from planapp.scoring.services import require_changeable
from planapp.tasks import services as tasks
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task, task_guests

SCORER_ROLES = (Role.OFFICER, Role.PARTICIPANT)


def lock(matrix: ScoringMatrix, read: bool = False) -> ScoringMatrix:
    """The matrix row locked (FOR SHARE when `read`) and read afresh. Saving a score takes the shared lock and
    closing the round the exclusive one, so a late score either lands before the close reads the scores (and is
    counted) or waits and finds the round closed. SQLite serialises writers by itself (BEGIN IMMEDIATE)."""
    return db.session.execute(sa.select(ScoringMatrix).where(ScoringMatrix.id == matrix.id)
                              .with_for_update(read=read, of=ScoringMatrix)
                              .execution_options(populate_existing=True)).scalar_one()


# --- the round's tasks --------------------------------------------------------------------------------------------


def task_round(task: Task) -> int | None:
    """The round a scoring task belongs to; None for one no round chose (e.g. a stage template's, before the round
    or for an agency the supervisor left out)."""
    return db.session.scalar(sa.select(RoundTask.round).where(RoundTask.task_id == task.id))


def tasks_by_round(plan_id: int) -> list[tuple[Task, int]]:
    """The tasks of the plan's rounds with their round, oldest first."""
    rows = db.session.execute(sa.select(Task, RoundTask.round).join(RoundTask, RoundTask.task_id == Task.id)
                              .where(Task.plan_id == plan_id, Task.kind == TaskKind.SCORE_MATRIX)
                              .order_by(Task.id)).all()
    return [(task, number) for task, number in rows]


def current_tasks(plan_id: int, matrix: ScoringMatrix) -> list[Task]:
    return [task for task, number in tasks_by_round(plan_id) if number == matrix.round]


def enlist(matrix: ScoringMatrix, round_tasks: list[Task], number: int) -> None:
    known = set(db.session.scalars(sa.select(RoundTask.task_id).where(
        RoundTask.task_id.in_([t.id for t in round_tasks])))) if round_tasks else set()
    db.session.add_all([RoundTask(task_id=t.id, matrix_id=matrix.id, round=number)
                        for t in round_tasks if t.id not in known])
    db.session.flush()


def addressee(task: Task) -> str:
    if task.assignee is not None:
        return task.assignee.name
    return task.agency.name if task.agency else task.title


def is_participant_task(task: Task) -> bool:
    return task.assignee is not None and task.assignee.role == Role.PARTICIPANT


# --- choosing people ----------------------------------------------------------------------------------------------


def active_people() -> list[User]:
    """Officers and participants who may be sent a personal scoring task, participants first."""
    people = db.session.scalars(sa.select(User).where(User.is_active.is_(True), User.role.in_(SCORER_ROLES))
                                .order_by(User.name, User.id))
    return sorted(people, key=lambda u: u.role != Role.PARTICIPANT)


def choose_people(user_ids: list[Any]) -> list[User]:
    ids = sorted({int(u) for u in user_ids if str(u).isdecimal()})
    # Ordered so that tasks are made (and numbered) in the order of the ids, whatever the database's scan order.
    people = list(db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id))) if ids else []
    if len(people) != len(ids) or not all(p.role in SCORER_ROLES and can(p, Perm.WORK_ON_TASK) for p in people):
        raise ValidationFailed(_l("Choose active officers or participants only."), field="user_ids")
    return people


def choose_agencies(agency_ids: list[Any]) -> list[Agency]:
    ids = sorted({int(a) for a in agency_ids if str(a).isdecimal()})
    agencies = list(db.session.scalars(sa.select(Agency).where(Agency.id.in_(ids), Agency.is_active.is_(True))
                                       .order_by(Agency.id))) if ids else []
    if len(agencies) != len(ids):
        raise ValidationFailed(_l("Choose active agencies only."), field="agency_ids")
    return agencies


def add_scorer(actor: User, plan: Plan, agency_id: Any, user_id: Any, now: datetime) -> Task:
    """While a round is open: one more scoring task, for an agency or a person, due with the round's tasks."""
    require_changeable(actor, plan)
    matrix = queries.get_active_matrix(plan.id)
    matrix = lock(matrix) if matrix is not None else None
    if matrix is None or matrix.status != MatrixStatus.OPEN:
        raise ValidationFailed(_l("Scorers can be added only while a scoring round is open."))
    agencies = choose_agencies([agency_id] if agency_id else [])
    people = choose_people([user_id] if user_id else [])
    if len(agencies) + len(people) != 1:
        raise ValidationFailed(_l("Choose one agency or one person to add."), field="agency_id")
    current = [t for t in current_tasks(plan.id, matrix) if t.status != TaskStatus.CANCELLED]
    if any((agencies and t.agency_id == agencies[0].id and t.assignee_id is None)
           or (people and t.assignee_id == people[0].id) for t in current):
        raise ValidationFailed(_l("They already have a scoring task in this round."), field="agency_id")
    today = local_date(now)
    due_on = max([today, *(t.due_on for t in current)])
    task = tasks.create_task(actor, plan, {
        "title": str(_l("Score the candidate driving cores")), "kind": TaskKind.SCORE_MATRIX,
        "description": str(_l("Score each candidate on each criterion from 1 (very weak) to 9 (very strong).")),
        "agency_id": agencies[0].id if agencies else None, "assignee_id": people[0].id if people else None,
        "due_on": due_on}, now)
    enlist(matrix, [task], matrix.round)
    record(actor, "scoring.scorer_add", matrix, summary=addressee(task)[:200],
           after={"plan_id": plan.id, "round": matrix.round, "task_id": task.id, "agency_id": task.agency_id,
                  "assignee_id": task.assignee_id, "due_on": due_on.isoformat()})
    return task


# --- the scores of a round ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """A score as it counts when the round closes."""

    user_id: int
    candidate_id: int
    criterion_id: int
    value: int
    task_id: int
    round: int


def scores_of(matrix_id: int, number: int) -> list[Score]:
    return list(db.session.scalars(sa.select(Score).where(Score.matrix_id == matrix_id, Score.round == number)
                                   .order_by(Score.id)))


def counted_scores(matrix: ScoringMatrix) -> list[Counted]:
    """Round 1: its scores. Round 2: each scorer's revision of a cell, or their first-round value if not revised."""
    cells: dict[tuple[int, int, int], Counted] = {}
    for number in range(1, matrix.round + 1):
        for s in scores_of(matrix.id, number):
            cells[(s.user_id, s.candidate_id, s.criterion_id)] = Counted(
                s.user_id, s.candidate_id, s.criterion_id, s.value, s.task_id, s.round)
    return list(cells.values())


def guests_of(task_ids: list[int]) -> list[tuple[int, User]]:
    """The people invited to these tasks (task_guests) with their task, by task then name: one query."""
    if not task_ids:
        return []
    rows = db.session.execute(sa.select(task_guests.c.task_id, User).join(User, User.id == task_guests.c.user_id)
                              .where(task_guests.c.task_id.in_(task_ids))
                              .order_by(task_guests.c.task_id, User.name, User.id)).all()
    return [(task_id, user) for task_id, user in rows]


def not_scored(round_tasks: list[Task], scores: list[Counted], number: int) -> list[dict]:
    """Who was asked to score in round `number` and saved nothing in it, in the order of the tasks: a task nobody
    scored on (an agency's, named by the agency, or one person's), and after it each person invited to it as a
    guest who saved no score of their own, even when colleagues did. Scores are kept per person, so a guest's are
    found by their user id; an agency's task counts as scored when anyone scored on it. In a Delphi round: who saved
    no revision (their first-round scores count)."""
    scored_tasks = {s.task_id for s in scores if s.round == number}
    answered = {s.user_id for s in scores if s.round == number}
    answered |= {t.assignee_id for t in round_tasks if t.id in scored_tasks and t.assignee_id is not None}
    guests: dict[int, list[User]] = {}
    for task_id, user in guests_of([t.id for t in round_tasks]):
        guests.setdefault(task_id, []).append(user)
    rows: list[dict] = []
    listed: set[int] = set()
    for task in round_tasks:
        if task.id not in scored_tasks:
            row = {"task_id": task.id, "name": addressee(task), "participant": is_participant_task(task)}
            if task.assignee is not None:
                row.update(user_id=task.assignee.id, agency=task.assignee.agency.name, guest=False)
                listed.add(task.assignee.id)
            rows.append(row)
        for user in guests.get(task.id, []):
            if user.id not in answered and user.id not in listed:
                rows.append({"task_id": task.id, "name": user.name, "participant": user.role == Role.PARTICIPANT,
                             "user_id": user.id, "agency": user.agency.name, "guest": True})
                listed.add(user.id)
    return rows


def first_round_medians(matrix_id: int) -> dict[tuple[int, int], float]:
    """The group median of each cell in round 1, over everyone who scored it: what a Delphi scorer sees."""
    values: dict[tuple[int, int], list[int]] = {}
    for s in scores_of(matrix_id, 1):
        values.setdefault((s.candidate_id, s.criterion_id), []).append(s.value)
    return {cell: float(np.median(v)) for cell, v in values.items()}
