"""Monitoring periods in the Jalali calendar: pure functions, no Flask or database.

Periods are aligned to 1 Farvardin: every 3 months gives the quarters starting 1 Farvardin, 1 Tir, 1 Mehr and
1 Dey; 1, 2, 4, 6 and 12 months divide the year the same way. Esfand has 29 days, 30 in a leap year; jdatetime
knows which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import jdatetime

PERIOD_MONTHS = (1, 2, 3, 4, 6, 12)


@dataclass(frozen=True)
class Period:
    start: date  # Gregorian, first day of the period
    end: date  # Gregorian, last day
    year: int  # Jalali year
    index: int  # 1-based within the year (quarter 1…4 for 3 months)
    months: int


def period_containing(day: date, months: int = 3) -> Period:
    if months not in PERIOD_MONTHS:
        raise ValueError(f"a monitoring period is one of {PERIOD_MONTHS} months, not {months}")
    jday = jdatetime.date.fromgregorian(date=day)
    index = (jday.month - 1) // months
    first_month = index * months + 1
    start = jdatetime.date(jday.year, first_month, 1).togregorian()
    next_month = first_month + months
    if next_month > 12:
        following = jdatetime.date(jday.year + 1, 1, 1).togregorian()
    else:
        following = jdatetime.date(jday.year, next_month, 1).togregorian()
    return Period(start=start, end=following - timedelta(days=1), year=jday.year, index=index + 1, months=months)


def starts_between(first: date, last: date, months: int = 3) -> list[date]:
    """Every period start on or after `first` and on or before `last` (for catch-up checks and tests)."""
    starts = []
    period = period_containing(first, months)
    if period.start < first:
        period = period_containing(period.end + timedelta(days=1), months)
    while period.start <= last:
        starts.append(period.start)
        period = period_containing(period.end + timedelta(days=1), months)
    return starts
