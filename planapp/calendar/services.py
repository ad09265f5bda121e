"""Changes to the holiday table. Every change is audited; the caller (request, CLI) commits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.audit.services import record, record_changes, snapshot
from planapp.calendar.models import Holiday
from planapp.core import checks
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import format_jalali
from planapp.extensions import db

AUDITED = ("day", "name", "name_en")


def _check_day(value: Any) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationFailed(_l("Enter the holiday's date."), field="day")
    return value


def _check_free(day: date, exclude_id: int | None = None) -> None:
    taken = db.session.scalar(
        sa.select(Holiday.name).where(Holiday.day == day, Holiday.id != (exclude_id or 0)).limit(1)
    )
    if taken is not None:
        raise ValidationFailed(
            _l("%(day)s is already a holiday (%(name)s).", day=format_jalali(day), name=taken), field="day"
        )


def _clean(data: dict[str, Any], exclude_id: int | None = None) -> dict[str, Any]:
    """Every check before any change, so a refused edit leaves the object as it was."""
    day = _check_day(data.get("day"))
    clean = {
        "day": day,
        "name": checks.text(data.get("name"), "name", 200),
        "name_en": checks.text(data.get("name_en"), "name_en", 200, required=False) or None,
    }
    _check_free(day, exclude_id)
    return clean


def _store(holiday: Holiday) -> None:
    """Flush in a savepoint: a concurrent writer that took the same day meanwhile gives the same clear refusal."""
    try:
        with db.session.begin_nested():
            db.session.add(holiday)
            db.session.flush()
    except sa.exc.IntegrityError as error:
        raise ValidationFailed(_l("This day is already a holiday."), field="day") from error


def _summary(holiday: Holiday) -> str:
    return f"{format_jalali(holiday.day)} {holiday.name}"


def add_holiday(actor: Any, data: dict[str, Any]) -> Holiday:
    """Add a holiday: data has `day` (a date), `name` (Persian, required) and `name_en` (optional)."""
    holiday = Holiday(**_clean(data))
    _store(holiday)
    record(actor, "holiday.create", holiday, summary=_summary(holiday), after=snapshot(holiday, AUDITED))
    return holiday


def update_holiday(actor: Any, holiday: Holiday, data: dict[str, Any]) -> Holiday:
    """Correct a holiday's day or names (the official list moves a lunar holiday by a day now and then)."""
    clean = _clean(data, exclude_id=holiday.id)
    before = snapshot(holiday, AUDITED)
    for field, value in clean.items():
        setattr(holiday, field, value)
    _store(holiday)
    record_changes(actor, "holiday.update", holiday, before, snapshot(holiday, AUDITED), summary=_summary(holiday))
    return holiday


def delete_holiday(actor: Any, holiday: Holiday) -> None:
    """Remove a day from the table (it becomes a working day again, unless it is a weekend day)."""
    before, summary = snapshot(holiday, AUDITED), _summary(holiday)
    db.session.delete(holiday)
    db.session.flush()
    # The deleted object keeps its id, so the audit row still points at what was removed.
    record(actor, "holiday.delete", holiday, summary=summary, before=before)
