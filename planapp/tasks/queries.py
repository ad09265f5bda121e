"""Reading tasks: the inbox, the review queue, a plan's open work. Every list is paginated and indexed, and its
number of queries does not grow with the data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from planapp.accounts.models import User
from planapp.audit.models import AuditEvent
from planapp.core.permissions import POLICY, Perm
from planapp.core.text import fold
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.tasks.lifecycle import ACTIVE, TO_DO, TaskKind, TaskStatus
from planapp.tasks.models import Task, TaskAttachment, TaskComment, guest_task_ids


@dataclass(frozen=True)
class TaskFilters:
    q: str = ""
    plan_id: int | None = None
    stage: str = ""
    status: str = "active"  # active | a TaskStatus value | all
    kind: str = ""


def get_task(task_id: int) -> Task | None:
    return db.session.get(Task, task_id)


def addressed_to(user: User):
    """Tasks of the user's agency, the user's own, those of people the user stands in for, and those the user
    was invited to as a guest.

    The guests' task ids are read first (one small indexed query, cached on the user for the request) and listed
    as constants: a subquery inside the OR made SQLite give up its index on agency and person and scan the whole
    table (500,000 tasks: 445 ms instead of 15 ms a page)."""
    people = [user.id, *user.acting_for_ids]
    branches = [Task.agency_id == user.agency_id, Task.assignee_id.in_(people)]
    invited = guest_task_ids(user)
    if invited:
        branches.append(Task.id.in_(sorted(invited)))
    return sa.or_(*branches)


def _filtered(query: sa.Select, filters: TaskFilters) -> sa.Select:
    if filters.q.strip():
        query = query.where(Task.search_key.contains(fold(filters.q), autoescape=True))
    if filters.plan_id:
        query = query.where(Task.plan_id == filters.plan_id)
    if filters.stage in set(Stage):
        query = query.where(Task.stage == Stage(filters.stage))
    if filters.kind in set(TaskKind):
        query = query.where(Task.kind == TaskKind(filters.kind))
    if filters.status in set(TaskStatus):
        query = query.where(Task.status == TaskStatus(filters.status))
    elif filters.status != "all":
        query = query.where(Task.status.in_(ACTIVE))
    return query


def _overdue_first(today: date):
    overdue = sa.case((sa.and_(Task.due_on < today, Task.status.in_(TO_DO)), 0), else_=1)
    return (overdue, Task.due_on, Task.id)


def inbox_query(user: User, filters: TaskFilters, today: date) -> sa.Select:
    return _filtered(sa.select(Task).where(addressed_to(user)), filters).order_by(*_overdue_first(today))


def inbox(user: User, filters: TaskFilters, today: date, page: int, per_page: int) -> Pagination:
    return db.paginate(inbox_query(user, filters, today), page=page, per_page=per_page, error_out=False)


def review_query(filters: TaskFilters) -> sa.Select:
    if filters.status == "active":
        filters = TaskFilters(filters.q, filters.plan_id, filters.stage, TaskStatus.SUBMITTED.value, filters.kind)
    return _filtered(sa.select(Task), filters).order_by(Task.submitted_at, Task.id)


def review_queue(filters: TaskFilters, page: int, per_page: int) -> Pagination:
    return db.paginate(review_query(filters), page=page, per_page=per_page, error_out=False)


def plan_choices(limit: int = 300) -> list[tuple[int, str]]:
    """The inbox's plan filter: open plans first, then by title (a province holds tens of plans)."""
    rows = db.session.execute(sa.select(Plan.id, Plan.title)
                              .order_by((Plan.stage == Stage.CLOSED), Plan.title, Plan.id).limit(limit))
    return [(plan_id, title) for plan_id, title in rows]


def count_to_do(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(addressed_to(user), Task.status.in_(TO_DO)))


@dataclass(frozen=True)
class ToDo:
    """What waits for a person, for the dashboard: counts and the first few tasks in the inbox's order."""
    total: int
    overdue: int
    due_soon: int  # due within SOON_DAYS, not overdue
    first: list[Task]


SOON_DAYS = 7


def to_do(user: User, today: date, limit: int = 5) -> ToDo:
    """Two statements however many tasks: the counts in one pass, then the first `limit` (overdue first)."""
    waiting = sa.and_(addressed_to(user), Task.status.in_(TO_DO))
    late = sa.case((Task.due_on < today, 1), else_=0)
    soon = sa.case((sa.and_(Task.due_on >= today, Task.due_on < today + timedelta(days=SOON_DAYS)), 1), else_=0)
    total, overdue, due_soon = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(late), 0), sa.func.coalesce(sa.func.sum(soon), 0))
        .where(waiting)).one()
    first = list(db.session.scalars(sa.select(Task).where(waiting).order_by(*_overdue_first(today)).limit(limit)))
    return ToDo(total, int(overdue), int(due_soon), first)


def count_to_review() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Task.status == TaskStatus.SUBMITTED))


def plan_stage_tasks(plan_id: int, stage: Stage, limit: int = 50) -> list[Task]:
    return list(db.session.scalars(
        sa.select(Task).where(Task.plan_id == plan_id, Task.stage == stage)
        .order_by(Task.status.in_(ACTIVE).desc(), Task.due_on, Task.id).limit(limit)))


def comments(task_id: int, include_deleted: bool = False) -> list[TaskComment]:
    query = sa.select(TaskComment).where(TaskComment.task_id == task_id).order_by(TaskComment.id)
    if not include_deleted:
        query = query.where(TaskComment.deleted_at.is_(None))
    return list(db.session.scalars(query))


def attachments(task_id: int, include_deleted: bool = False) -> list[TaskAttachment]:
    query = sa.select(TaskAttachment).where(TaskAttachment.task_id == task_id).order_by(TaskAttachment.id)
    if not include_deleted:
        query = query.where(TaskAttachment.deleted_at.is_(None))
    return list(db.session.scalars(query))


def history(task_id: int, limit: int = 100) -> list[AuditEvent]:
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "tasks", AuditEvent.object_id == task_id)
        .order_by(AuditEvent.id.desc()).limit(limit)))


def absent_names(events: list[AuditEvent]) -> dict[int, str]:
    """The names of the people a substitute acted for in these events, in one query."""
    ids = {event.after["acting_for"] for event in events if event.after and event.after.get("acting_for")}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def colleagues(task: Task) -> list[tuple[int, str]]:
    if task.agency_id is None:
        return []
    workers = [role for role, perms in POLICY.items() if Perm.WORK_ON_TASK in perms]  # not viewers, supervisors…
    rows = db.session.execute(sa.select(User.id, User.name).where(
        User.agency_id == task.agency_id, User.is_active.is_(True), User.role.in_(workers))
        .order_by(User.name, User.id))
    return [(user_id, name) for user_id, name in rows]
