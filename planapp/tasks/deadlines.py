"""Due dates in working days: Fridays (and any configured weekend day) and the holiday table are skipped."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from planapp.calendar.queries import holidays_between
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import format_jalali, parse_jalali_date
from planapp.core.workdays import add_working_days, is_working_day, next_working_day

FRIDAY = 4


def weekend() -> frozenset[int]:
    days = current_app.config.get("WEEKEND_DAYS", (FRIDAY,)) if has_app_context() else (FRIDAY,)
    return frozenset(days)


def holidays(start: date, days: int = 400) -> set[date]:
    return holidays_between(start, start + timedelta(days=days))


def due_after(start: date, working_days: int) -> date:
    return add_working_days(start, working_days, holidays(start, working_days * 3 + 60), weekend())


def parse_due_date(text: str | None, field: str = "due_on") -> date:
    """A Jalali date typed by a user (Persian or ASCII digits) that falls on a working day."""
    day = parse_jalali_date(text)
    if day is None:
        raise ValidationFailed(_l("Enter a real Jalali date, e.g. 1405/09/15."), field=field)
    off = holidays(day, 60)
    if not is_working_day(day, off, weekend()):
        suggestion = next_working_day(day, off, weekend())
        raise ValidationFailed(
            _l("%(day)s is not a working day (weekend or holiday). The next working day is %(next)s.",
               day=format_jalali(day), next=format_jalali(suggestion)), field=field)
    return day
