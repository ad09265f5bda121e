"""The task cycle: created from templates when a stage begins, taken, submitted, reviewed; comments, files,
reassignment, deadlines. Work done by a substitute is recorded as done "acting for" the absent user."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from planapp.accounts.models import User
from planapp.agencies.models import Agency
from planapp.audit.services import record
from planapp.core import checks, storage
from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.i18n import local_date
from planapp.core.permissions import Perm, Role, can, require
from planapp.core.text import search_key
from planapp.extensions import db
from planapp.notifications.services import Notice, notify, notify_many
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.tasks import deadlines
from planapp.tasks.lifecycle import ACTIONS, ACTIVE, TO_DO, TaskKind, TaskStatus
from planapp.tasks.models import Task, TaskAttachment, TaskComment, TaskTemplate

MAX_COMMENT = 5000


def _link(task: Task) -> str:
    return f"/tasks/{task.id}"


def stale_task() -> Conflict:
    return Conflict(_l("Someone else changed this task after you opened it. Nothing was saved: look at it again."))


def lock_task(task_id: int) -> Task | None:
    return db.session.scalar(
        sa.select(Task).where(Task.id == task_id).with_for_update(of=Task).execution_options(populate_existing=True)
    )


def acting_for(actor: User, task: Task) -> int | None:
    """The absent user `actor` stands in for on this task, if any."""
    for absent in (task.assignee_id, task.taken_by_id):
        if absent is not None and absent != actor.id and absent in actor.acting_for_ids:
            return absent
    return None


def _audit(actor: User, task: Task, action: str, before: dict | None = None, after: dict | None = None) -> None:
    after = dict(after or {})
    substitute_for = acting_for(actor, task) if actor is not None else None
    if substitute_for:
        after["acting_for"] = substitute_for
    record(actor, f"task.{action}", task, summary=task.title, before=before, after=after)


# --- creating tasks ------------------------------------------------------------------------------------------


def templates_for(stage: Stage) -> list[TaskTemplate]:
    return list(db.session.scalars(
        sa.select(TaskTemplate).where(TaskTemplate.stage == stage, TaskTemplate.is_active.is_(True))
        .order_by(TaskTemplate.id)))


def assignee_agencies(template: TaskTemplate) -> list[Agency]:
    chosen = {agency.id: agency for agency in template.agencies if agency.is_active}
    if template.agency_kind is not None:
        for agency in db.session.scalars(sa.select(Agency).where(
                Agency.kind == template.agency_kind, Agency.is_active.is_(True))):
            chosen.setdefault(agency.id, agency)
    return sorted(chosen.values(), key=lambda agency: agency.name_key)


def _new_task(plan: Plan, stage: Stage, now: datetime, actor: User | None, title_en: str | None = None,
              **fields: Any) -> Task:
    task = Task(plan_id=plan.id, stage=stage, created_at=now, created_by_id=actor.id if actor else None, **fields)
    task.search_key = search_key(task.title, plan.title, title_en)
    db.session.add(task)
    return task


def create_stage_tasks(plan: Plan, stage: Stage, actor: User | None, now: datetime,
                       round_id: int | None = None) -> list[Task]:
    """Entry work for a stage (or a monitoring round): one task per template and assignee agency, due N working
    days from today, each agency told.

    On re-entry (a plan sent back, or the monitor-and-revise loop) a template's task that is still active for an
    agency carries on instead of being duplicated; one accepted or cancelled before is opened afresh."""
    created = []
    today = local_date(now)
    active = set() if round_id else {(template_id, agency_id) for template_id, agency_id in db.session.execute(
        sa.select(Task.template_id, Task.agency_id).where(Task.plan_id == plan.id, Task.stage == stage,
                                                          Task.template_id.is_not(None), Task.status.in_(ACTIVE)))}
    for template in templates_for(stage):
        due = deadlines.due_after(today, template.due_in_days)
        for agency in assignee_agencies(template):
            if (template.id, agency.id) in active:
                continue
            created.append(_new_task(plan, stage, now, actor, template.title_en, template_id=template.id,
                                     kind=template.kind, title=template.title, description=template.description,
                                     agency_id=agency.id, mandatory=template.mandatory, due_on=due,
                                     round_id=round_id))
    db.session.flush()
    if created:
        record(actor, "task.created_for_stage", plan, summary=f"{plan.title}: {len(created)}",
               after={"stage": stage.value, "tasks": len(created), **({"round_id": round_id} if round_id else {})})
        notify_new_tasks(created, now)
    return created


def refresh_search_keys(plan: Plan) -> None:
    """A task is found by its plan's title too: after a rename its key follows. Written without the version
    column — a rename must not make an open task page stale."""
    table = Task.__table__
    rows = [{"task": task_id, "key": search_key(title, plan.title, title_en)} for task_id, title, title_en in
            db.session.execute(sa.select(Task.id, Task.title, Task.title_en).where(Task.plan_id == plan.id))]
    if rows:
        db.session.execute(table.update().where(table.c.id == sa.bindparam("task"))
                           .values(search_key=sa.bindparam("key")), rows)


def notify_new_tasks(tasks: list[Task], now: datetime) -> None:
    """"New task" for each task's people — its person, or its agency's officers and participants — in a fixed
    number of statements however many tasks."""
    agencies = {task.agency_id for task in tasks if task.agency_id and not task.assignee_id}
    people: dict[int, list[int]] = {}
    if agencies:
        for user_id, agency_id in db.session.execute(sa.select(User.id, User.agency_id).where(
                User.agency_id.in_(agencies), User.is_active.is_(True),
                User.role.in_([Role.OFFICER, Role.PARTICIPANT]))):
            people.setdefault(agency_id, []).append(user_id)
    notify_many([Notice([task.assignee_id] if task.assignee_id else people.get(task.agency_id, []),
                        "task.assigned", task_params(task), _link(task),
                        key=f"task.assigned:{task.id}") for task in tasks], now)


def left_behind(plan: Plan, stage: Stage) -> sa.ColumnElement[bool]:
    return sa.and_(Task.plan_id == plan.id, Task.stage != stage, Task.mandatory.is_(False), Task.status.in_(TO_DO))


def cancel_left_behind(plan: Plan, stage: Stage, actor: User | None, now: datetime) -> int:
    """When a plan moves on, optional tasks of the other stages that nobody submitted are cancelled: they could
    no longer change anything. Mandatory tasks (a move back keeps them for the return) and submissions waiting
    for review stay."""
    # In id order: each cancellation is audited, and the history lists them in the order they were made.
    tasks = list(db.session.scalars(sa.select(Task).where(left_behind(plan, stage)).order_by(Task.id)))
    return cancel_tasks(tasks, actor, "task.cancel_stage_left", {"stage": stage.value})


def cancel_tasks(tasks: list[Task], actor: User | None, audit_action: str, context: dict[str, Any]) -> int:
    """Cancel work that can no longer change anything, each audited under `audit_action` (the task history names
    why); the caller has chosen tasks still to do."""
    for task in tasks:
        before = {"status": task.status.value}
        task.status = TaskStatus.CANCELLED
        record(actor, audit_action, task, summary=task.title, before=before,
               after={"status": task.status.value, **context})
    db.session.flush()
    return len(tasks)


def create_task(actor: User, plan: Plan, data: dict[str, Any], now: datetime) -> Task:
    """An ad-hoc task added by a supervisor, for an agency or for one person."""
    require(actor, Perm.REVIEW_TASK, None)
    if plan.is_archived:
        raise Conflict(_l("This plan is closed and can only be read."))
    title = checks.text(data.get("title"), "title", 200)
    description = (data.get("description") or "").strip()[:10_000]
    agency_id, assignee_id = data.get("agency_id") or None, data.get("assignee_id") or None
    if bool(agency_id) == bool(assignee_id):
        raise ValidationFailed(_l("Address the task to one agency or to one person."), field="agency_id")
    if agency_id and not (agency := db.session.get(Agency, agency_id)) or (agency_id and not agency.is_active):
        raise ValidationFailed(_l("Choose an active agency."), field="agency_id")
    if assignee_id and not (person := db.session.get(User, assignee_id)) or (
            assignee_id and not can(person, Perm.WORK_ON_TASK)):  # active, and a role that works on tasks
        raise ValidationFailed(_l("Choose an active person."), field="assignee_id")
    due_on = data["due_on"] if isinstance(data.get("due_on"), date) else deadlines.parse_due_date(data.get("due_on"))
    if due_on < local_date(now):
        raise ValidationFailed(_l("The due date has already passed."), field="due_on")
    kind = TaskKind(data.get("kind") or TaskKind.OTHER)
    task = _new_task(plan, plan.stage, now, actor, kind=kind, title=title, description=description,
                     agency_id=agency_id, assignee_id=assignee_id, mandatory=bool(data.get("mandatory")),
                     due_on=due_on)
    db.session.flush()
    _audit(actor, task, "create", after={"title": title, "due_on": due_on.isoformat(), "agency_id": agency_id,
                                         "assignee_id": assignee_id})
    _notify_assignees(task, "task.assigned", now)
    return task


def task_params(task: Task) -> dict[str, str]:
    """What a notification about the task names: its title (with the template's English one) and its plan's."""
    return {"task": task.title, "plan": task.plan.title, **({"task_en": task.title_en} if task.title_en else {})}


def _notify_assignees(task: Task, kind: str, now: datetime, extra: dict | None = None) -> None:
    if task.assignee_id:
        people = [task.assignee_id]
    elif task.taken_by_id:
        people = [task.taken_by_id]
    else:
        people = list(db.session.scalars(sa.select(User.id).where(
            User.agency_id == task.agency_id, User.is_active.is_(True),
            User.role.in_([Role.OFFICER, Role.PARTICIPANT]))))
    notify(people, kind, {**task_params(task), **(extra or {})}, _link(task), now)


# --- the cycle -------------------------------------------------------------------------------------------------


REVIEWED = {"accept": "task.accepted", "return": "task.returned", "cancel": "task.cancelled"}  # notification kinds


def apply_action(actor: User, task_id: int, name: str, now: datetime, reason: str = "",
                 expected_version: int | None = None) -> Task:
    """take / submit / accept / return / cancel, as declared in lifecycle.ACTIONS."""
    action = ACTIONS.get(name)
    task = lock_task(task_id)
    if task is None or action is None:
        raise ValidationFailed(_l("This action does not exist."))
    require(actor, action.permission, task)
    if expected_version is not None and expected_version != task.version:
        raise stale_task()
    if task.status not in action.sources:
        raise Conflict(_l("This task is «%(status)s»; «%(action)s» is not possible now.",
                          status=task.status.label, action=action.label))
    reason = (reason or "").strip()
    if action.reason_required and not reason:
        raise ValidationFailed(_l("Give the reason."), field="reason")
    if len(reason) > MAX_COMMENT:
        raise ValidationFailed(_l("The text is too long."), field="reason")
    before = {"status": task.status.value}
    task.status = action.target
    if name == "take":
        task.taken_by_id = acting_for(actor, task) or actor.id
    elif name == "submit":
        task.submitted_at = now
        task.taken_by_id = task.taken_by_id or acting_for(actor, task) or actor.id
    elif name in ("accept", "return"):
        task.reviewed_at = now
        task.return_reason = reason if name == "return" else ""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise stale_task() from error
    _audit(actor, task, name, before, {"status": task.status.value, **({"reason": reason} if reason else {})})
    if name == "submit":
        notify([task.plan.owner_id], "task.submitted", task_params(task),
               _link(task), now)
    elif name in ("accept", "return", "cancel"):
        _notify_assignees(task, REVIEWED[name], now, {"reason": reason})
    if name == "accept":
        from planapp.approvals.services import auto_request_ready

        auto_request_ready(task.plan, now)  # the stage's checklist may just have become complete
    return task


def reassign(actor: User, task_id: int, user_id: int, reason: str, now: datetime) -> Task:
    """Hand an agency task to another officer of the same agency."""
    task = lock_task(task_id)
    require(actor, Perm.WORK_ON_TASK, task)
    person = db.session.get(User, user_id)
    if (task.agency_id is None or person is None or person.agency_id != task.agency_id
            or not can(person, Perm.WORK_ON_TASK, task)):  # active, and a role that works on tasks
        raise ValidationFailed(_l("Choose an active colleague of the same agency."), field="user_id")
    reason = checks.text(reason, "reason", 500)
    before = {"taken_by_id": task.taken_by_id}
    task.taken_by_id = person.id
    if task.status == TaskStatus.OPEN:
        task.status = TaskStatus.IN_PROGRESS
    db.session.flush()
    _audit(actor, task, "reassign", before, {"taken_by_id": person.id, "reason": reason})
    notify([person.id], "task.assigned", task_params(task), _link(task), now)
    return task


def extend_due_dates(actor: User, task_ids: list[int], new_due: date, reason: str, now: datetime) -> int:
    """A supervisor moves the due date of several tasks at once, with a reason. Returns how many moved."""
    require(actor, Perm.REVIEW_TASK, None)
    reason = checks.text(reason, "reason", 500)
    if new_due < local_date(now):
        raise ValidationFailed(_l("The due date has already passed."), field="due_on")
    # Locked and audited in id order: two bulk moves sharing tasks lock them in the same order (no deadlock), and
    # the audit rows follow the tasks' order whatever the database's scan order.
    tasks = list(db.session.scalars(sa.select(Task).where(Task.id.in_(task_ids)).order_by(Task.id)
                                    .with_for_update(of=Task)))
    moved = 0
    for task in tasks:
        if task.status in (TaskStatus.ACCEPTED, TaskStatus.CANCELLED) or task.plan.is_archived:
            continue
        before = {"due_on": task.due_on.isoformat()}
        task.due_on = new_due
        _audit(actor, task, "extend", before, {"due_on": new_due.isoformat(), "reason": reason})
        moved += 1
    db.session.flush()
    return moved


# --- comments and files ---------------------------------------------------------------------------------------


def _workable(actor: User, task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise ValidationFailed(_l("This task does not exist."))
    # Reviewers comment too; everyone else must be working on the task.
    if not can(actor, Perm.REVIEW_TASK, task):
        require(actor, Perm.WORK_ON_TASK, task)
    return task


def add_comment(actor: User, task_id: int, body: str, now: datetime) -> TaskComment:
    task = _workable(actor, task_id)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_l("Write the comment first."), field="body")
    if len(body) > MAX_COMMENT:
        raise ValidationFailed(_l("The text is too long."), field="body")
    comment = TaskComment(task_id=task.id, author_id=actor.id, acting_for_id=acting_for(actor, task), body=body,
                          created_at=now)
    db.session.add(comment)
    db.session.flush()
    _audit(actor, task, "comment", after={"comment": comment.id})
    return comment


def set_comment_deleted(actor: User, comment_id: int, deleted: bool, now: datetime) -> TaskComment:
    """Soft delete (and restore) of one's own comment; supervisors may hide any. Nothing is erased."""
    comment = db.session.get(TaskComment, comment_id)
    if comment is None:
        raise ValidationFailed(_l("This comment does not exist."))
    task = _workable(actor, comment.task_id)
    if comment.author_id != actor.id and not can(actor, Perm.REVIEW_TASK, task):
        raise ValidationFailed(_l("Only the author or a supervisor can do this."))
    comment.deleted_at, comment.deleted_by_id = (now, actor.id) if deleted else (None, None)
    _audit(actor, task, "comment_deleted" if deleted else "comment_restored", after={"comment": comment.id})
    return comment


def add_attachment(actor: User, task_id: int, filename: str, data: bytes, now: datetime,
                   max_bytes: int) -> TaskAttachment:
    from planapp.core.uploads import check_upload

    task = _workable(actor, task_id)
    checked = check_upload(filename, data, max_bytes)
    attachment = TaskAttachment(task_id=task.id, uploaded_by_id=actor.id, acting_for_id=acting_for(actor, task),
                                file_name=checked.name, stored_name=storage.save(data),
                                content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                                created_at=now)
    db.session.add(attachment)
    db.session.flush()
    _audit(actor, task, "attach", after={"file": checked.name, "size": checked.size, "sha256": checked.sha256})
    return attachment


def set_attachment_deleted(actor: User, attachment_id: int, deleted: bool, now: datetime) -> TaskAttachment:
    attachment = db.session.get(TaskAttachment, attachment_id)
    if attachment is None:
        raise ValidationFailed(_l("This file does not exist."))
    task = _workable(actor, attachment.task_id)
    if attachment.uploaded_by_id != actor.id and not can(actor, Perm.REVIEW_TASK, task):
        raise ValidationFailed(_l("Only the person who added the file or a supervisor can do this."))
    attachment.deleted_at, attachment.deleted_by_id = (now, actor.id) if deleted else (None, None)
    _audit(actor, task, "file_deleted" if deleted else "file_restored", after={"file": attachment.file_name})
    return attachment
