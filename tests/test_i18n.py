"""Jalali dates, Persian digits and the text folding every search relies on (pure functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from planapp.core.i18n import ascii_digits, format_gregorian, format_jalali, format_number, persian_digits
from planapp.core.text import clean_line, fold


@pytest.mark.parametrize(
    ("gregorian", "jalali"),
    [
        (date(2026, 3, 21), "۱۴۰۵/۰۱/۰۱"),  # Nowruz 1405: the fiscal year starts on 1 Farvardin
        (date(2026, 3, 20), "۱۴۰۴/۱۲/۲۹"),
        (date(2025, 3, 20), "۱۴۰۳/۱۲/۳۰"),  # 1403 was a leap year: Esfand has 30 days
        (date(2026, 11, 24), "۱۴۰۵/۰۹/۰۳"),
        (date(2026, 6, 22), "۱۴۰۵/۰۴/۰۱"),
    ],
)
def test_gregorian_to_jalali_in_persian_digits(gregorian, jalali):
    assert format_jalali(gregorian) == jalali


def test_datetimes_are_read_in_tehran_time():
    # 21:00 UTC on 20 March is 00:30 on 21 March in Tehran: already the new year.
    moment = datetime(2026, 3, 20, 21, 0, tzinfo=UTC)
    assert format_jalali(moment) == "۱۴۰۵/۰۱/۰۱"
    assert format_jalali(moment, with_time=True) == "۱۴۰۵/۰۱/۰۱ ۰۰:۳۰"
    assert format_gregorian(moment, with_time=True) == "2026-03-21 00:30"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        format_jalali(datetime(2026, 3, 21, 12, 0))


def test_digits_both_ways():
    assert persian_digits("1405/09/15") == "۱۴۰۵/۰۹/۱۵"
    assert ascii_digits("۱۴۰۵/۰۹/۱۵") == "1405/09/15"
    assert ascii_digits("٤٥٦") == "456"  # Arabic-Indic digits too


def test_numbers_grouped_per_language():
    assert format_number(1234567.5, "fa") == "۱٬۲۳۴٬۵۶۷٫۵"
    assert format_number(1234567.5, "en", 2) == "1,234,567.50"
    assert format_number(12, "fa", 0) == "۱۲"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("محيط زيست", "محیط زیست"),  # Arabic yeh
        ("كشاورزي", "کشاورزی"),  # Arabic kaf
        ("برنامه‌ریزی", "برنامهریزی"),  # zero-width non-joiner
        ("برنامه ریزی  ", "برنامه ریزی"),
        ("سال ۱۴۰۵", "سال 1405"),
        ("ENV Office", "env office"),
    ],
)
def test_fold_makes_typed_and_stored_text_meet(typed, stored):
    assert fold(typed) == fold(stored)


def test_clean_line_removes_control_characters():
    assert clean_line(" name\r\nInjected: yes\t") == "name  Injected: yes"
