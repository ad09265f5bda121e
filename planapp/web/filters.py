"""Template filters and globals: Jalali dates and Persian digits in Persian, Gregorian and ASCII in English."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask
from flask_babel import get_locale

from planapp.core import i18n
from planapp.core.permissions import Perm, can


def locale_code() -> str:
    locale = get_locale()
    return locale.language if locale else "fa"


def text_direction() -> str:
    return "rtl" if locale_code() == "fa" else "ltr"


def jdate(value: date | datetime | None, with_time: bool = False) -> str:
    if value is None:
        return "—"
    if locale_code() == "fa":
        return i18n.format_jalali(value, with_time=with_time)
    return i18n.format_gregorian(value, with_time=with_time)


def weekday(value: date | datetime | None) -> str:
    """The day of the week in the UI language (جمعه, Friday)."""
    from flask_babel import format_date

    return "—" if value is None else format_date(i18n.local_date(value), "EEEE")


def jdatetime_filter(value: datetime | None) -> str:
    return jdate(value, with_time=True)


def num(value: Any, decimals: int | None = None) -> str:
    if value is None:
        return "—"
    return i18n.format_number(value, locale_code(), decimals)


def digits(value: Any) -> str:
    """Digits of any text (ids, codes, years) in the UI language's script."""
    return i18n.localized_digits(value)


def filesize(size: int | None) -> str:
    """512 bytes, 1.5 KB, 12.3 MB — in the UI language's digits; never "0 KB" for a small file."""
    from flask_babel import gettext as _

    if size is None:
        return "—"
    if size < 1024:
        return _("%(n)s bytes", n=num(size))
    if size < 1024 * 1024:
        return _("%(n)s KB", n=num(size / 1024, 1))
    return _("%(n)s MB", n=num(size / (1024 * 1024), 1))


def isolate(value: Any) -> str:
    """Text from users (a file name like «جدول.xlsx») inside a sentence: Unicode first-strong isolate marks keep
    its direction from reordering the words around it, where a <bdi> cannot go (inside a translated message)."""
    return f"\u2068{value}\u2069"


def unread_notifications() -> int:
    from flask_login import current_user

    from planapp.notifications.queries import count_unread

    return count_unread(current_user.id) if current_user.is_authenticated else 0


def version(value: Any) -> str:
    """A document version such as 1.2: Persian digits and the Persian decimal mark in Persian."""
    text = digits(value)
    return text.replace(".", "٫") if locale_code() == "fa" else text


def task_count() -> int:
    """Tasks waiting in the navigation badge: to review for supervisors, to do for agencies' people."""
    from flask_login import current_user

    from planapp.tasks.queries import count_to_do, count_to_review

    if not current_user.is_authenticated or not can(current_user, Perm.VIEW_TASKS):
        return 0
    return count_to_review() if can(current_user, Perm.REVIEW_TASK) else count_to_do(current_user)


def init_app(app: Flask) -> None:
    app.add_template_filter(jdate, "jdate")
    app.add_template_filter(jdatetime_filter, "jdatetime")
    app.add_template_filter(weekday, "weekday")
    app.add_template_filter(num, "num")
    app.add_template_filter(digits, "digits")
    app.add_template_filter(version, "version")
    app.add_template_filter(filesize, "filesize")
    app.add_template_filter(isolate, "isolate")
    app.add_template_global(can, "can")
    app.add_template_global(Perm, "Perm")
    app.add_template_global(locale_code, "locale_code")
    app.add_template_global(text_direction, "text_direction")
    app.add_template_global(unread_notifications, "unread_notifications")
    app.add_template_global(task_count, "task_count")
