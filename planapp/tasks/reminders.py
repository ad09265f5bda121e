"""The reminder sweep: what is due soon, due today or overdue, and what must be escalated — computed from the
database each run, so a run that is missed, repeated or run twice at once still reminds exactly once.

Steps, per task and due date (N, M, K from the task's template, defaults for ad-hoc tasks):
    due_soon     N days or fewer before the due date
    due_today    on the due date
    overdue:<n>  on the first day overdue, then every M days (n = 0, 1, 2 …)
    escalation   once, K days overdue: to the plan's supervisor
A step is claimed by inserting its TaskReminder row (unique task + step + due date, ON CONFLICT DO NOTHING ...
RETURNING): only the sweep that inserted it notifies. Only the current step is sent; after downtime nobody gets a
stale "due in 2 days" for a task that is already late. Reminders past REMINDER_EMAIL_CAP per task go to the
daily digest instead of an e-mail each (the in-app notification still appears).
Work is done in chunks of tasks with a fixed number of statements per chunk — never a query per task — and
each chunk is one transaction: claims, notifications and e-mails are stored together or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from planapp.accounts.models import User
from planapp.agencies.models import Agency
from planapp.core.clock import now as clock_now
from planapp.core.i18n import local_date
from planapp.core.permissions import Role
from planapp.extensions import db
from planapp.notifications.services import Notice, notify_many
from planapp.plans.models import Plan
from planapp.tasks.lifecycle import TO_DO
from planapp.tasks.models import Task, TaskReminder, TaskTemplate

DEFAULTS = {"remind_before_days": 2, "overdue_every_days": 3, "escalate_after_days": 5}  # ad-hoc tasks
LOOKAHEAD_DAYS = 30  # templates may ask for at most this many days of notice
# Tasks per transaction. Rendering the e-mails dominates (about a millisecond each); on SQLite every transaction
# holds the write lock, so a chunk keeps it for well under a second and web requests barely notice the sweep.
CHUNK = 500
KINDS = {"due_soon": "task.due_soon", "due_today": "task.due_today", "overdue": "task.overdue",
         "escalation": "task.escalated"}


@dataclass(frozen=True)
class Due:
    task_id: int
    due_on: date
    title: str
    title_en: str | None  # the template's English title, while the task still carries the template's title
    plan: str
    owner_id: int
    agency_id: int | None
    agency: str
    agency_en: str | None
    assignee_id: int | None
    taken_by_id: int | None
    before: int
    every: int
    escalate: int


def steps_for(today: date, due_on: date, before: int, every: int, escalate: int) -> list[str]:
    """The steps a task is at today: at most one reminder, plus the escalation once it is due."""
    late = (today - due_on).days
    steps = []
    if late < 0 and -late <= before:
        steps.append("due_soon")
    elif late == 0:
        steps.append("due_today")
    elif late > 0:
        steps.append(f"overdue:{(late - 1) // max(every, 1)}")
    if late >= escalate > 0:
        steps.append("escalation")
    return steps


def _candidates(today: date) -> Iterator[list[Due]]:
    """Open work due within the look-ahead or late, in chunks by task id.

    The ids come first, in one select (as many integers as tasks due: the look-ahead bounds them), then each
    chunk's rows by primary key alone, checked again here for being due (an earlier chunk's commit came between).
    Filtering the chunk in SQL, or paging the filtered query (`id > last ORDER BY id LIMIT n`), let SQLite read it
    through the status index and sort every due task again for every chunk: quadratic in the tasks due."""
    horizon = date.fromordinal(today.toordinal() + LOOKAHEAD_DAYS)
    ids = list(db.session.scalars(
        sa.select(Task.id).join(Plan, Task.plan_id == Plan.id)
        .where(Task.status.in_(TO_DO), Task.due_on <= horizon, Plan.closed_at.is_(None)).order_by(Task.id)))
    columns = (Task.id, Task.due_on, Task.title,
               sa.case((TaskTemplate.title == Task.title, TaskTemplate.title_en), else_=sa.null()),
               Plan.title, Plan.owner_id, Task.agency_id, Agency.name, Agency.name_en,
               Task.assignee_id, Task.taken_by_id,
               sa.func.coalesce(TaskTemplate.remind_before_days, DEFAULTS["remind_before_days"]),
               sa.func.coalesce(TaskTemplate.overdue_every_days, DEFAULTS["overdue_every_days"]),
               sa.func.coalesce(TaskTemplate.escalate_after_days, DEFAULTS["escalate_after_days"]),
               Task.status, Plan.closed_at)
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            sa.select(*columns).join(Plan, Task.plan_id == Plan.id)
            .outerjoin(TaskTemplate, Task.template_id == TaskTemplate.id)
            .outerjoin(Agency, Task.agency_id == Agency.id)
            .where(Task.id.in_(ids[start:start + CHUNK])).order_by(Task.id)).all()
        chunk = [Due(*row[:-2]) for row in rows
                 if row.status in TO_DO and row.due_on <= horizon and row.closed_at is None]
        if chunk:
            yield chunk


def _insert(table, rows: list[dict], returning: tuple) -> list[tuple]:
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing().returning(*returning)
    return [tuple(row) for row in db.session.execute(statement, rows)]


def _recipients(claimed: list[tuple[Due, str]]) -> dict[tuple[int, str], list[int]]:
    """Who hears of each step: the person who took the task, else the task's person, else the agency's officers
    and participants; escalations go to the plan's supervisor. One query for all agencies of the chunk."""
    agencies = {due.agency_id for due, step in claimed
                if step != "escalation" and not due.taken_by_id and not due.assignee_id and due.agency_id}
    people: dict[int, list[int]] = defaultdict(list)
    if agencies:
        for user_id, agency_id in db.session.execute(sa.select(User.id, User.agency_id).where(
                User.agency_id.in_(agencies), User.is_active.is_(True),
                User.role.in_([Role.OFFICER, Role.PARTICIPANT])).order_by(User.id)):
            people[agency_id].append(user_id)
    result = {}
    for due, step in claimed:
        if step == "escalation":
            result[(due.task_id, step)] = [due.owner_id]
        elif due.taken_by_id or due.assignee_id:
            result[(due.task_id, step)] = [due.taken_by_id or due.assignee_id]
        else:
            result[(due.task_id, step)] = people.get(due.agency_id, [])
    return result


def _earlier_reminders(task_ids: list[int]) -> tuple[set[tuple[int, str, date]], dict[int, int]]:
    """The steps already claimed for these tasks (skipped without an insert: most sweeps of a day find little
    new) and the reminders per task, any due date, for the e-mail cap."""
    claimed, per_task = set(), {}
    for task_id, step, due_on in db.session.execute(sa.select(TaskReminder.task_id, TaskReminder.step,
                                                              TaskReminder.due_on)
                                                    .where(TaskReminder.task_id.in_(task_ids))):
        claimed.add((task_id, step, due_on))
        if step != "escalation":
            per_task[task_id] = per_task.get(task_id, 0) + 1
    return claimed, per_task


def _sweep_chunk(chunk: list[Due], today: date, now: datetime, cap: int) -> int:
    wanted = [(due, step) for due in chunk
              for step in steps_for(today, due.due_on, due.before, due.every, due.escalate)]
    if not wanted:
        return 0
    done, earlier = _earlier_reminders([due.task_id for due in chunk])
    wanted = [(due, step) for due, step in wanted if (due.task_id, step, due.due_on) not in done]
    if not wanted:
        return 0
    inserted = set(_insert(TaskReminder, [{"task_id": due.task_id, "step": step, "due_on": due.due_on,
                                           "created_at": now} for due, step in wanted],
                           (TaskReminder.task_id, TaskReminder.step)))
    claimed = [(due, step) for due, step in wanted if (due.task_id, step) in inserted]
    if not claimed:
        return 0
    recipients = _recipients(claimed)
    notices = []
    for due, step in claimed:
        params = {"task": due.title, "plan": due.plan, "due": due.due_on.isoformat(),
                  "days": max((today - due.due_on).days, 0), "agency": due.agency or ""}
        params.update({f"{name}_en": twin for name, twin in (("task", due.title_en), ("agency", due.agency_en))
                       if twin})
        notices.append(Notice(recipients[(due.task_id, step)], KINDS[step.split(":")[0]], params,
                              f"/tasks/{due.task_id}", key=f"reminder:{due.task_id}:{step}:{due.due_on.isoformat()}",
                              to_digest=step != "escalation" and earlier.get(due.task_id, 0) >= cap))
    notify_many(notices, now)
    return len(claimed)


def sweep(now: datetime | None = None) -> str:
    """Run every reminder step that is due now. Commits per chunk; safe to run again or concurrently."""
    now = now or clock_now()
    today = local_date(now)
    cap = current_app.config["REMINDER_EMAIL_CAP"]
    steps = tasks = 0
    for chunk in _candidates(today):
        tasks += len(chunk)
        steps += _sweep_chunk(chunk, today, now, cap)
        db.session.commit()
    return f"{steps} reminder steps for {tasks} open tasks due by the look-ahead"
