from __future__ import annotations

from datetime import date

import jdatetime
import sqlalchemy as sa

from planapp.calendar.models import Holiday
from planapp.extensions import db


def jalali_year_bounds(year: int) -> tuple[date, date]:
    """The first and last Gregorian days of a Jalali year: 1405 → 2026-03-21 … 2027-03-20."""
    first = jdatetime.date(year, 1, 1).togregorian()
    last = jdatetime.date(year + 1, 1, 1).togregorian()
    return first, date.fromordinal(last.toordinal() - 1)


def get_holiday(holiday_id: int) -> Holiday | None:
    return db.session.get(Holiday, holiday_id)


def holidays_between(a: date, b: date) -> set[date]:
    """The holiday days d with a ≤ d ≤ b, in one query (for planapp.core.workdays)."""
    return set(db.session.scalars(sa.select(Holiday.day).where(Holiday.day.between(a, b))))


def list_holidays(year: int) -> list[Holiday]:
    """The holidays of a Jalali year, in date order."""
    first, last = jalali_year_bounds(year)
    return list(db.session.scalars(sa.select(Holiday).where(Holiday.day.between(first, last)).order_by(Holiday.day)))
