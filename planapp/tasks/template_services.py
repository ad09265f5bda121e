"""Changes to task templates (what work a stage opens). Every change is audited; templates are deactivated, never
deleted, since tasks keep pointing at the template they came from. The caller's request commits."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.agencies.models import Agency, AgencyKind
from planapp.audit.services import record, record_changes, snapshot
from planapp.core import checks
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import ascii_digits, lazy_digits
from planapp.extensions import db
from planapp.plans.workflow import Stage
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import TaskTemplate
from planapp.tasks.reminders import DEFAULTS as DEFAULT_REMINDERS

REMINDER_FIELDS = ("remind_before_days", "overdue_every_days", "escalate_after_days")
AUDITED = ("stage", "kind", "title", "title_en", "description", "description_en", "agency_kind", "mandatory",
           "due_in_days", *REMINDER_FIELDS, "is_active")
MIN_DAYS, MAX_DAYS = 1, 90
# Reminder days: before the due date (0 = none), every M days once late (1–30), escalation after K days late
# (0 = never).
REMINDER_LIMITS = {"remind_before_days": (0, 30), "overdue_every_days": (1, 30), "escalate_after_days": (0, 90)}
MAX_DESCRIPTION = 10_000
# Entering "closed" archives the plan: nobody could work on a task it opened.
TEMPLATE_STAGES = tuple(stage for stage in Stage if stage != Stage.CLOSED)


def _audited(template: TaskTemplate) -> dict[str, Any]:
    return {**snapshot(template, AUDITED), "agency_ids": sorted(agency.id for agency in template.agencies)}


def _choice(enum_class: type, value: Any, field: str, allowed: tuple = ()) -> Any:
    try:
        member = enum_class(value)
    except ValueError:
        member = None
    if member is None or (allowed and member not in allowed):
        raise ValidationFailed(_l("Choose one of the listed values."), field=field)
    return member


def _whole_number(value: Any) -> int | None:
    text = ascii_digits(str(value if value is not None else "")).strip()
    return int(text) if text.isdecimal() and text.isascii() and len(text) <= 4 else None


def _days(value: Any) -> int:
    days = _whole_number(value)
    if days is None or not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationFailed(_l("The deadline must be from %(min)s to %(max)s working days.",
                                  min=lazy_digits(MIN_DAYS), max=lazy_digits(MAX_DAYS)), field="due_in_days")
    return days


def _reminder_days(data: dict[str, Any], field: str, default: int) -> int:
    """An empty field keeps the default; anything else must be a whole number within the field's limits."""
    value = data.get(field)
    if value is None or str(value).strip() == "":
        return default
    low, high = REMINDER_LIMITS[field]
    days = _whole_number(value)
    if days is None or not low <= days <= high:
        raise ValidationFailed(_l("Enter a whole number of days from %(min)s to %(max)s.", min=lazy_digits(low),
                                  max=lazy_digits(high)), field=field)
    return days


def _long_text(value: Any, field: str) -> str:
    text = (value or "").strip().replace("\r\n", "\n")
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(_l("At most %(n)s characters are allowed.", n=lazy_digits(MAX_DESCRIPTION)),
                               field=field)
    return text


def _agencies(ids: Any, keep: set[int]) -> list[Agency]:
    """The chosen agencies: each must exist and be active (one already on the template may stay if deactivated)."""
    try:
        wanted = sorted({int(agency_id) for agency_id in ids or ()})
    except (TypeError, ValueError) as error:
        raise ValidationFailed(_l("Choose active agencies from the list."), field="agency_ids") from error
    if not wanted:
        return []
    found = {agency.id: agency for agency in db.session.scalars(sa.select(Agency).where(Agency.id.in_(wanted)))}
    if any(agency_id not in found or (not found[agency_id].is_active and agency_id not in keep)
           for agency_id in wanted):
        raise ValidationFailed(_l("Choose active agencies from the list."), field="agency_ids")
    return [found[agency_id] for agency_id in wanted]


def _clean(data: dict[str, Any], template: TaskTemplate | None = None) -> dict[str, Any]:
    """Every check before any change, so a refused edit leaves the template as it was."""
    agency_kind = data.get("agency_kind") or None
    keep = {agency.id for agency in template.agencies} if template is not None else set()
    clean = {
        "stage": _choice(Stage, data.get("stage"), "stage", TEMPLATE_STAGES),
        "kind": _choice(TaskKind, data.get("kind"), "kind"),
        "title": checks.text(data.get("title"), "title", 200),
        "title_en": checks.text(data.get("title_en"), "title_en", 200, required=False) or None,
        "description": _long_text(data.get("description"), "description"),
        "description_en": _long_text(data.get("description_en"), "description_en"),
        "agency_kind": _choice(AgencyKind, agency_kind, "agency_kind") if agency_kind else None,
        "agencies": _agencies(data.get("agency_ids"), keep),
        "mandatory": bool(data.get("mandatory")),
        "due_in_days": _days(data.get("due_in_days")),
        **{field: _reminder_days(data, field, getattr(template, field) if template else DEFAULT_REMINDERS[field])
           for field in REMINDER_FIELDS},
    }
    if clean["agency_kind"] is None and not clean["agencies"]:
        raise ValidationFailed(_l("Choose an agency kind or at least one agency: otherwise the template opens no "
                                  "task."), field="agency_kind")
    return clean


def create_template(actor: Any, data: dict[str, Any]) -> TaskTemplate:
    """data: stage, kind, title, title_en, description, description_en, agency_kind, agency_ids, mandatory,
    due_in_days (working days, 1–90), and the reminder days (see REMINDER_LIMITS; empty keeps the default)."""
    template = TaskTemplate(**_clean(data), is_active=True)
    db.session.add(template)
    db.session.flush()
    record(actor, "task_template.create", template, summary=template.title, after=_audited(template))
    return template


def update_template(actor: Any, template: TaskTemplate, data: dict[str, Any]) -> TaskTemplate:
    """Change a template; tasks it already opened keep their title and due date (only later stages use it)."""
    clean = _clean(data, template)
    before = _audited(template)
    for field, value in clean.items():
        setattr(template, field, value)
    db.session.flush()
    record_changes(actor, "task_template.update", template, before, _audited(template), summary=template.title)
    return template


def set_template_active(actor: Any, template: TaskTemplate, active: bool) -> TaskTemplate:
    """A deactivated template opens no more tasks; the tasks it opened are kept."""
    if template.is_active == active:
        return template
    template.is_active = active
    db.session.flush()
    action = "task_template.reactivate" if active else "task_template.deactivate"
    record(actor, action, template, summary=template.title, before={"is_active": not active},
           after={"is_active": active})
    return template
