"""Working-day arithmetic (planapp/core/workdays.py): pure, no application or database."""

from __future__ import annotations

from datetime import date, timedelta

import jdatetime
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planapp.core.workdays import (
    FRIDAY,
    THURSDAY,
    add_working_days,
    is_working_day,
    next_working_day,
    working_days_between,
)

FRI = {FRIDAY}
THU_FRI = {THURSDAY, FRIDAY}
NONE: frozenset[date] = frozenset()


def j(year: int, month: int, day: int) -> date:
    return jdatetime.date(year, month, day).togregorian()


# The official days off around Nowruz 1405 (29 Esfand 1404 is a Friday anyway).
NOWRUZ_1405 = {j(1404, 12, 29), j(1405, 1, 1), j(1405, 1, 2), j(1405, 1, 3), j(1405, 1, 4), j(1405, 1, 12),
               j(1405, 1, 13)}


def reference_add(start: date, n: int, holidays, weekend) -> date:
    """The definition, spelled out as slowly as possible."""
    day = start
    if n == 0:
        while day.weekday() in weekend or day in holidays:
            day += timedelta(days=1)
        return day
    while n:
        day += timedelta(days=1)
        if day.weekday() not in weekend and day not in holidays:
            n -= 1
    return day


def reference_between(a: date, b: date, holidays, weekend) -> int:
    if b < a:
        return -reference_between(b, a, holidays, weekend)
    return sum(1 for k in range(1, (b - a).days + 1)
               if (d := a + timedelta(days=k)).weekday() not in weekend and d not in holidays)


def test_the_calendar_facts_the_tests_rely_on():
    assert j(1405, 1, 1) == date(2026, 3, 21) and j(1405, 1, 1).weekday() == 5  # a Saturday
    assert date(2026, 3, 27).weekday() == FRIDAY


# --- is_working_day ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "weekend", "holidays", "working"), [
    (date(2026, 3, 28), FRI, NONE, True),  # Saturday
    (date(2026, 3, 26), FRI, NONE, True),  # Thursday, offices open on Thursdays
    (date(2026, 3, 26), THU_FRI, NONE, False),  # Thursday, offices closed on Thursdays
    (date(2026, 3, 27), FRI, NONE, False),  # Friday
    (date(2026, 3, 21), FRI, NOWRUZ_1405, False),  # 1 Farvardin
    (date(2026, 3, 25), FRI, NOWRUZ_1405, True),  # 5 Farvardin: back to work
])
def test_is_working_day(day, weekend, holidays, working):
    assert is_working_day(day, holidays, weekend) is working


# --- add_working_days ---------------------------------------------------------------------------------------


def test_counting_starts_the_day_after_and_skips_fridays():
    wednesday = date(2026, 4, 22)
    assert add_working_days(wednesday, 1, NONE, FRI) == date(2026, 4, 23)  # Thursday
    assert add_working_days(wednesday, 2, NONE, FRI) == date(2026, 4, 25)  # Friday skipped: Saturday
    assert add_working_days(wednesday, 6, NONE, FRI) == date(2026, 4, 29)  # one week on


def test_thursday_and_friday_weekend():
    wednesday = date(2026, 4, 22)
    assert add_working_days(wednesday, 1, NONE, THU_FRI) == date(2026, 4, 25)  # Saturday
    assert add_working_days(wednesday, 5, NONE, THU_FRI) == date(2026, 4, 29)  # a five-day week
    assert working_days_between(wednesday, date(2026, 4, 29), NONE, THU_FRI) == 5


def test_zero_days_is_the_first_working_day_on_or_after_the_start():
    assert add_working_days(date(2026, 4, 22), 0, NONE, FRI) == date(2026, 4, 22)  # a working day: itself
    assert add_working_days(date(2026, 4, 24), 0, NONE, FRI) == date(2026, 4, 25)  # Friday → Saturday
    assert add_working_days(date(2026, 4, 23), 0, NONE, THU_FRI) == date(2026, 4, 25)  # Thursday → Saturday
    assert add_working_days(j(1405, 1, 1), 0, NOWRUZ_1405, FRI) == j(1405, 1, 5)  # Nowruz → 5 Farvardin


def test_nowruz_week():
    # Signed on the last working day of 1404 (Wednesday 27 Esfand), due in 2 working days: Thursday 28 Esfand,
    # then nothing until Wednesday 5 Farvardin.
    assert add_working_days(j(1404, 12, 27), 2, NOWRUZ_1405, FRI) == j(1405, 1, 5)
    assert next_working_day(j(1404, 12, 28), NOWRUZ_1405, FRI) == j(1405, 1, 5)


@pytest.mark.parametrize(("n", "weekend", "due"), [
    # From Saturday 1405/01/01: 2, 3, 4 Farvardin are holidays, Fridays 7 and 14 are off, 12 and 13 are holidays.
    (1, FRI, (1405, 1, 5)),
    (5, FRI, (1405, 1, 10)),  # 5 Wed, 6 Thu, (7 Fri), 8 Sat, 9 Sun, 10 Mon
    (6, FRI, (1405, 1, 11)),
    (7, FRI, (1405, 1, 15)),  # 11 Tue, then 12, 13 (holidays), 14 (Friday): Saturday the 15th
    (8, FRI, (1405, 1, 16)),
    (5, THU_FRI, (1405, 1, 11)),  # 5 Wed, (6 Thu, 7 Fri), 8, 9, 10, 11
    (6, THU_FRI, (1405, 1, 15)),  # 12 Wed and 13 Thu are holidays, 14 Fri: Saturday the 15th
])
def test_a_due_date_across_the_first_two_weeks_of_1405(n, weekend, due):
    assert add_working_days(j(1405, 1, 1), n, NOWRUZ_1405, weekend) == j(*due)


def test_a_holiday_on_a_friday_costs_nothing_more():
    friday_holiday = {date(2026, 6, 5)}  # 15 Khordad 1405 is a Friday
    start = date(2026, 6, 3)
    assert add_working_days(start, 3, friday_holiday, FRI) == add_working_days(start, 3, NONE, FRI)
    assert working_days_between(start, date(2026, 6, 10), friday_holiday, FRI) == 6
    assert working_days_between(start, date(2026, 6, 10), NONE, FRI) == 6


def test_holidays_may_be_any_collection():
    as_list = sorted(NOWRUZ_1405)
    assert add_working_days(j(1405, 1, 1), 5, as_list, [FRIDAY]) == j(1405, 1, 10)
    assert working_days_between(j(1405, 1, 1), j(1405, 1, 10), as_list, (FRIDAY,)) == 5


def test_long_spans():
    start = date(2026, 3, 21)  # a Saturday; Sunday starts the count
    # 300 working days with Fridays off and no holidays: exactly 50 weeks of six days, ending on a Saturday.
    due = add_working_days(start, 300, NONE, FRI)
    assert due == start + timedelta(weeks=50)
    assert working_days_between(start, due, NONE, FRI) == 300
    # Across three years and the year's holidays, the fast count agrees with the slow one.
    end = date(2029, 3, 20)
    assert working_days_between(start, end, NOWRUZ_1405, THU_FRI) == reference_between(
        start, end, NOWRUZ_1405, THU_FRI)


def test_between_is_signed_and_excludes_the_first_day():
    monday = date(2026, 4, 27)
    assert working_days_between(monday, monday, NONE, FRI) == 0
    assert working_days_between(monday, monday + timedelta(days=1), NONE, FRI) == 1
    assert working_days_between(monday + timedelta(days=7), monday, NONE, FRI) == -6  # overdue by six days


@pytest.mark.parametrize(("call", "message"), [
    (lambda: add_working_days(date(2026, 4, 22), -1, NONE, FRI), "0 or more"),
    (lambda: add_working_days(date(2026, 4, 22), 3, NONE, range(7)), "seven"),
    (lambda: working_days_between(date(2026, 4, 22), date(2026, 5, 22), NONE, {7}), "0-6"),
])
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- against the definition ------------------------------------------------------------------------------

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
weekends = st.sets(st.integers(0, 6), max_size=3)
holiday_sets = st.frozensets(days, max_size=40)


@given(start=days, n=st.integers(0, 400), holidays=holiday_sets, weekend=weekends)
def test_add_working_days_matches_the_definition(start, n, holidays, weekend):
    due = add_working_days(start, n, holidays, weekend)
    assert due == reference_add(start, n, holidays, weekend)
    assert is_working_day(due, holidays, weekend)
    if n >= 1:
        assert working_days_between(start, due, holidays, weekend) == n


@given(a=days, b=days, holidays=holiday_sets, weekend=weekends)
def test_working_days_between_matches_the_definition(a, b, holidays, weekend):
    assert working_days_between(a, b, holidays, weekend) == reference_between(a, b, holidays, weekend)
