"""Working days: pure date arithmetic over a weekend and a set of holidays (no Flask, no database).

Conventions shared by every function here:

- `weekend` holds Python weekday numbers (Monday = 0 … Sunday = 6). Iranian offices close on Friday (4); many also
  on Thursday (3), so pass {3, 4} for them. A weekend of all seven days is refused (no day could ever be worked).
- `holidays` is any collection of `datetime.date` (a set is fastest; other collections are copied into one).
  A holiday that falls on a weekend day changes nothing: the day was off anyway.
- Counting starts the day *after* the start: one working day after Saturday is Sunday when both are working days,
  as in "due in 3 working days". `add_working_days(start, 0)` is the first working day on or after `start`.
- `working_days_between(a, b)` counts the working days d with a < d ≤ b, so it undoes `add_working_days`:
  working_days_between(s, add_working_days(s, n)) == n for every n ≥ 1.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

FRIDAY = 4
THURSDAY = 3
ONE_DAY = timedelta(days=1)


def _weekend(weekend: Collection[int]) -> frozenset[int]:
    days = frozenset(weekend)
    if not days <= set(range(7)):
        raise ValueError(f"weekend days are Python weekday numbers 0-6, not {sorted(days)}")
    if len(days) == 7:
        raise ValueError("a weekend of all seven days leaves no working day")
    return days


def _holidays(holidays: Collection[date]) -> frozenset[date] | set[date]:
    return holidays if isinstance(holidays, set | frozenset) else frozenset(holidays)


def is_working_day(day: date, holidays: Collection[date], weekend: Collection[int]) -> bool:
    """True when `day` is neither a weekend day nor a holiday."""
    return day.weekday() not in weekend and day not in holidays


def add_working_days(start: date, n: int, holidays: Collection[date], weekend: Collection[int]) -> date:
    """The n-th working day after `start` (n ≥ 0); for n = 0, the first working day on or after `start`.

    Saturday 1405/01/01 (2026-03-21) + 5 working days, Fridays off and Nowruz (1–4 Farvardin) as holidays, is
    Monday 1405/01/10: the count starts on Wednesday the 5th. Steps one day at a time: a due date a few hundred
    working days away costs well under a millisecond.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}")
    off_days, off = _weekend(weekend), _holidays(holidays)
    day = start
    if n == 0:
        while not is_working_day(day, off, off_days):
            day += ONE_DAY
        return day
    while n:
        day += ONE_DAY
        if is_working_day(day, off, off_days):
            n -= 1
    return day


def next_working_day(day: date, holidays: Collection[date], weekend: Collection[int]) -> date:
    """The first working day strictly after `day` (the same as `add_working_days(day, 1, …)`)."""
    return add_working_days(day, 1, holidays, weekend)


def working_days_between(a: date, b: date, holidays: Collection[date], weekend: Collection[int]) -> int:
    """The number of working days d with a < d ≤ b; negative (the same count, with a minus) when b is before a.

    From today to a due date: the working days left, the due day included, today excluded. Computed from whole
    weeks plus the remainder, minus the holidays in the range that are not weekend days: no loop over the span.
    """
    if b < a:
        return -working_days_between(b, a, holidays, weekend)
    off_days = _weekend(weekend)
    span = (b - a).days
    weeks, rest = divmod(span, 7)
    count = weeks * (7 - len(off_days))
    count += sum(1 for k in range(1, rest + 1) if (a + timedelta(days=weeks * 7 + k)).weekday() not in off_days)
    count -= sum(1 for h in set(holidays) if a < h <= b and h.weekday() not in off_days)
    return count
