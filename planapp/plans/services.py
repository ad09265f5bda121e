"""Changes to plans: create, edit (compare-and-swap on the version), copy, and entering a stage.

Requests and decisions live in planapp/approvals; they call `enter_stage` here, the only code that changes a
plan's stage.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from planapp.accounts.models import User
from planapp.audit.services import record, record_changes, snapshot
from planapp.core import checks
from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.i18n import lazy_digits
from planapp.core.permissions import Perm, Role, require
from planapp.core.text import search_key
from planapp.extensions import db
from planapp.plans.effects import apply_effects, entry_work
from planapp.plans.models import Plan, StageEntry
from planapp.plans.workflow import FIRST_STAGE, Transition

AUDITED = ("title", "province", "period_start", "period_end", "description", "owner_id")
FIRST_YEAR, LAST_YEAR, LONGEST_PERIOD = 1390, 1500, 10


def stale_plan() -> Conflict:
    return Conflict(_l("Someone else changed this plan after you opened it. Nothing was saved: "
                       "review the current values and try again."))


def _check_period(start: Any, end: Any) -> tuple[int, int]:
    try:
        start, end = int(start), int(end)
    except (TypeError, ValueError) as error:
        raise ValidationFailed(_l("Enter the period as Jalali years, e.g. 1405 to 1409."),
                               field="period_start") from error
    for value, field in ((start, "period_start"), (end, "period_end")):
        if not FIRST_YEAR <= value <= LAST_YEAR:
            raise ValidationFailed(_l("Enter a Jalali year between %(first)s and %(last)s.",
                                      first=lazy_digits(FIRST_YEAR), last=lazy_digits(LAST_YEAR)), field=field)
    if end < start:
        raise ValidationFailed(_l("The period cannot end before it starts."), field="period_end")
    if end - start + 1 > LONGEST_PERIOD:
        raise ValidationFailed(_l("A plan covers at most %(n)s years.", n=lazy_digits(LONGEST_PERIOD)),
                               field="period_end")
    return start, end


def _check_owner(owner_id: Any) -> int:
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or not owner.is_active or owner.role != Role.SUPERVISOR:
        raise ValidationFailed(_l("The plan's owner must be an active supervisor."), field="owner_id")
    return owner.id


def _apply(plan: Plan, data: dict[str, Any]) -> None:
    title = checks.text(data.get("title"), "title", 200)
    province = checks.text(data.get("province"), "province", 100)
    description = (data.get("description") or "").strip()
    if len(description) > 10_000:
        raise ValidationFailed(_l("At most %(n)s characters are allowed.", n=lazy_digits(10_000)), field="description")
    start, end = _check_period(data.get("period_start"), data.get("period_end"))
    owner_id = _check_owner(data.get("owner_id"))
    plan.title, plan.province, plan.description = title, province, description
    plan.period_start, plan.period_end, plan.owner_id = start, end, owner_id
    plan.search_key = search_key(title, province, str(start), str(end))


def create_plan(actor: User, data: dict[str, Any], now: datetime, source: Plan | None = None) -> Plan:
    require(actor, Perm.CREATE_PLAN)
    plan = Plan(stage=FIRST_STAGE, stage_entered_at=now, created_by_id=actor.id,
                source_plan_id=source.id if source else None)
    _apply(plan, data)
    plan.entries.append(StageEntry(stage=FIRST_STAGE, entered_at=now, approved_by_id=None))
    db.session.add(plan)
    db.session.flush()
    record(actor, "plan.create", plan, summary=plan.title, after=snapshot(plan, AUDITED))
    for work in entry_work():
        work.apply(plan, FIRST_STAGE, actor, now)
    return plan


def update_plan(actor: User, plan: Plan, data: dict[str, Any], expected_version: int) -> Plan:
    if plan.is_archived:
        raise Conflict(_l("This plan is closed and can only be read."))
    require(actor, Perm.EDIT_PLAN, plan)
    if expected_version != plan.version:
        raise stale_plan()
    before = snapshot(plan, AUDITED)
    _apply(plan, data)
    after = snapshot(plan, AUDITED)
    if after == before:
        return plan
    try:
        db.session.flush()  # UPDATE … WHERE version = :expected — a concurrent writer makes it match 0 rows
    except StaleDataError as error:
        raise stale_plan() from error
    record_changes(actor, "plan.update", plan, before, after, summary=plan.title)
    if after["title"] != before["title"]:
        for step in RENAME_STEPS:
            step(plan)
    return plan


# Domains that keep a copy of the plan's title (the tasks' search keys) follow a rename: fn(plan).
RENAME_STEPS: list[Callable[[Plan], None]] = []


# Later issues copy goals, programs and projects by registering a step: fn(source, copy, actor, now).
COPY_STEPS: list[Callable[[Plan, Plan, User, datetime], None]] = []


def copy_plan(actor: User, source: Plan, data: dict[str, Any], now: datetime) -> Plan:
    """A new plan with the structure of `source` (its texts; later its goals and programs), not its history."""
    copy = create_plan(actor, {"description": source.description, "province": source.province, **data}, now,
                       source=source)
    for step in COPY_STEPS:
        step(source, copy, actor, now)
    record(actor, "plan.copy", copy, summary=copy.title, after={"source_plan_id": source.id})
    return copy


def enter_stage(plan: Plan, transition: Transition, actor: User | None, request_id: int | None,
                now: datetime) -> None:
    """Move the plan along `transition`: timeline, effects, entry work, audit — in the caller's transaction."""
    before = {"stage": plan.stage.value, "document_version": plan.document_version}
    for entry in plan.entries:
        if entry.left_at is None:
            entry.left_at = now
    plan.stage = transition.target
    plan.stage_entered_at = now
    plan.entries.append(StageEntry(stage=transition.target, entered_at=now,
                                   approved_by_id=actor.id if actor else None, request_id=request_id))
    apply_effects(plan, transition, now)
    for work in entry_work():
        work.apply(plan, transition.target, actor, now)
    try:
        db.session.flush()
    except StaleDataError as error:
        raise stale_plan() from error
    after = {"stage": plan.stage.value, "document_version": plan.document_version}
    record(actor, "plan.transition", plan, summary=f"{plan.title}: {transition.event}", before=before, after=after)


def lock_plan(plan_id: int) -> Plan | None:
    """The plan, locked for the rest of the transaction where the database can (PostgreSQL: FOR UPDATE)."""
    return db.session.scalar(
        sa.select(Plan).where(Plan.id == plan_id).with_for_update(of=Plan).execution_options(populate_existing=True)
    )
