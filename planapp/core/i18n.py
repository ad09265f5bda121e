"""Persian digits and Jalali dates: pure helpers, used by template filters, forms and PDFs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import jdatetime

TEHRAN = ZoneInfo("Asia/Tehran")

_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# Persian (U+06F0…) and Arabic-Indic (U+0660…) digits both fold to ASCII.
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def persian_digits(value: object) -> str:
    return str(value).translate(_TO_PERSIAN)


def reads_english() -> bool:
    """Whether the text being made is for an English reader (Persian otherwise, and outside a request)."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale is not None and locale.language == "en"


def localized_digits(value: object) -> str:
    """Digits in the script of the current UI language (Persian digits unless English is chosen)."""
    return str(value) if reads_english() else persian_digits(value)


def localized_join(items: Iterable[object]) -> str:
    """Items listed with the reader's comma: «الف، ب» in Persian, "a, b" in English."""
    return (", " if reads_english() else "، ").join(str(item) for item in items)


def lazy_digits(value: object):
    """The same, decided when the text is rendered (for messages built at import time)."""
    from flask_babel import LazyString

    return LazyString(localized_digits, value)


def ascii_digits(value: str) -> str:
    return value.translate(_TO_ASCII)


def local_date(value: date | datetime) -> date:
    """The calendar day in Tehran: datetimes are stored in UTC, days are lived in Asia/Tehran."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(TEHRAN).date()
    return value


def jalali(value: date | datetime) -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=local_date(value))


def format_jalali(value: date | datetime, with_time: bool = False) -> str:
    """1405/01/01 (and 14:30 in Tehran time when asked), in Persian digits."""
    text = jalali(value).strftime("%Y/%m/%d")
    if with_time and isinstance(value, datetime):
        text += " " + value.astimezone(TEHRAN).strftime("%H:%M")
    return persian_digits(text)


def format_gregorian(value: date | datetime, with_time: bool = False) -> str:
    text = local_date(value).isoformat()
    if with_time and isinstance(value, datetime):
        text += " " + value.astimezone(TEHRAN).strftime("%H:%M")
    return text


def format_number(value: float | int, locale: str, decimals: int | None = None) -> str:
    """Grouped number; Persian separators and digits for `fa`."""
    from babel.numbers import format_decimal

    pattern = None if decimals is None else "#,##0." + "0" * decimals if decimals else "#,##0"
    if locale == "fa":
        return persian_digits(format_decimal(value, format=pattern, locale="fa", numbering_system="arabext"))
    return format_decimal(value, format=pattern, locale="en")


def parse_jalali_date(text: str | None) -> date | None:
    """'۱۴۰۵/۰۹/۱۵', '1405/9/15' or '1405-09-15' → the Gregorian date; None if it is not a real Jalali date."""
    import re

    if not text:
        return None
    match = re.fullmatch(r"\s*(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*", ascii_digits(text))
    if not match:
        return None
    try:
        return jdatetime.date(*(int(part) for part in match.groups())).togregorian()
    except ValueError:
        return None
