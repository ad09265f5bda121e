"""Holidays admin (issue 4): holidays added, moved and deleted through the htmx forms change the due dates computed
after them; refusals in Persian that change nothing, the audit trail, and the list by Jalali year.

Every test runs on SQLite and on PostgreSQL, with the clock frozen on Tuesday 1405/02/15 (2026-05-05) in Tehran.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from planapp.calendar.models import Holiday
from planapp.core.i18n import ascii_digits
from planapp.extensions import db
from planapp.tasks.deadlines import due_after
from tests.task_admin_helpers import (
    FA_BAD_DATE,
    FA_REQUIRED,
    HX,
    admin_world,
    events,
    jalali_holiday,
    text_of,
)
from tests.task_helpers import TODAY, client_for, count, doc

# What the user reads (fa); digits are compared after folding to ASCII.
FA_DUPLICATE_DAY = "روز 1405/02/16 از پیش تعطیل ثبت شده است (تعطیل آزمایشی)."

w = admin_world  # a fixture from tests/task_admin_helpers.py, under the name the tests use


# --- holidays ----------------------------------------------------------------------------------------------------


def test_holidays_added_moved_and_deleted_change_the_due_dates_computed_after(ctx, w):
    admin = client_for(ctx, w.admin)
    # 5 working days after Tuesday 1405/02/15: Wednesday, Thursday, (Friday) Saturday, Sunday, Monday 1405/02/21.
    assert due_after(TODAY, 5) == date(2026, 5, 11)

    added = admin.post("/admin/holidays/", headers=HX, data={"day": "۱۴۰۵/۰۲/۱۶", "name": "تعطیل آزمایشی",
                                                             "name_en": "Test holiday"})
    assert added.status_code == 200 and "holidays-changed" in added.headers["HX-Trigger"]
    assert "1405/02/16، «تعطیل آزمایشی»، به تعطیلات افزوده شد." in ascii_digits(added.text)
    holiday = db.session.scalars(sa.select(Holiday)).one()
    holiday_id = holiday.id
    assert (holiday.day, holiday.name, holiday.name_en) == (date(2026, 5, 6), "تعطیل آزمایشی", "Test holiday")
    assert due_after(TODAY, 5) == date(2026, 5, 12)  # Wednesday is skipped now

    row = doc(admin.get("/admin/holidays/")).xpath(f'//tr[@id="holiday-{holiday.id}"]')[0].text_content()
    assert "۱۴۰۵/۰۲/۱۶" in row and "چهارشنبه" in row and "تعطیل آزمایشی" in row

    edit = admin.get(f"/admin/holidays/{holiday.id}/edit", headers=HX)
    assert doc(edit).xpath(f'//input[@id="holiday-{holiday.id}-day"]/@value') == ["۱۴۰۵/۰۲/۱۶"]
    moved = admin.post(f"/admin/holidays/{holiday.id}", headers=HX,
                       data={"day": "1405/2/22", "name": "تعطیل جابه‌جاشده", "name_en": ""})
    assert moved.status_code == 200 and "editing" not in moved.text
    assert "holidays-changed" in moved.headers["HX-Trigger"]  # the day moved: the table re-sorts itself
    assert due_after(TODAY, 5) == date(2026, 5, 11)  # Tuesday 1405/02/22 is after the five days

    admin.post(f"/admin/holidays/{holiday.id}", headers=HX, data={"day": "1405-02-19", "name": "تعطیل",
                                                                  "name_en": ""})
    assert due_after(TODAY, 5) == date(2026, 5, 12)  # Saturday 1405/02/19 is within them again

    deleted = admin.post(f"/admin/holidays/{holiday.id}/delete", headers=HX)
    assert deleted.status_code == 200 and "holidays-changed" in deleted.headers["HX-Trigger"]
    assert "دیگر تعطیل نیست" in deleted.text
    assert count(Holiday) == 0 and due_after(TODAY, 5) == date(2026, 5, 11)

    trail = events("holiday.")
    assert [e.action for e in trail] == ["holiday.create", "holiday.update", "holiday.update", "holiday.delete"]
    assert {e.actor_id for e in trail} == {w.admin.id} and {e.object_id for e in trail} == {holiday_id}
    assert (trail[1].before, trail[1].after) == (
        {"day": "2026-05-06", "name": "تعطیل آزمایشی", "name_en": "Test holiday"},
        {"day": "2026-05-12", "name": "تعطیل جابه‌جاشده", "name_en": None})
    assert trail[-1].before == {"day": "2026-05-09", "name": "تعطیل", "name_en": None}


@pytest.mark.parametrize(("data", "expected"), [
    pytest.param({"day": "1405/13/40"}, FA_BAD_DATE, id="no such day"),
    pytest.param({"day": "۱۴۰۵/۱۲/۳۰"}, FA_BAD_DATE, id="30 Esfand 1405 (not a leap year)"),
    pytest.param({"day": "فردا"}, FA_BAD_DATE, id="words"),
    pytest.param({"day": ""}, FA_REQUIRED, id="no date"),
    pytest.param({"name": " "}, FA_REQUIRED, id="no name"),
    pytest.param({"day": "1405/02/16"}, FA_DUPLICATE_DAY, id="already a holiday"),
])
def test_a_bad_holiday_is_refused_in_persian_and_nothing_changes(ctx, w, data, expected):
    existing = jalali_holiday(date(2026, 5, 6))
    admin = client_for(ctx, w.admin)
    form = {"day": "1405/03/01", "name": "تعطیل تازه", "name_en": ""} | data

    added = admin.post("/admin/holidays/", headers=HX, data=form)
    assert added.status_code == 200 and "HX-Trigger" not in added.headers
    assert expected in text_of(added)
    assert doc(added).xpath('//details[@id="holiday-create"][@open]')

    other = jalali_holiday(date(2026, 5, 20), "تعطیل دیگر")
    edited = admin.post(f"/admin/holidays/{other.id}", headers=HX, data=form)
    assert edited.status_code == 200 and 'class="editing"' in edited.text
    assert expected in text_of(edited)

    db.session.expire_all()
    assert [(h.id, h.day, h.name) for h in db.session.scalars(sa.select(Holiday).order_by(Holiday.id))] == [
        (existing.id, date(2026, 5, 6), "تعطیل آزمایشی"), (other.id, date(2026, 5, 20), "تعطیل دیگر")]
    assert events("holiday.") == []


def test_the_holiday_list_shows_a_jalali_year_the_current_one_by_default(ctx, w):
    jalali_holiday(date(2026, 3, 21), "نوروز ۱۴۰۵")  # 1405/01/01
    jalali_holiday(date(2026, 3, 20), "روز ملی شدن صنعت نفت")  # 1404/12/29
    admin = client_for(ctx, w.admin)

    current = text_of(admin.get("/admin/holidays/"))
    assert "نوروز" in current and "صنعت نفت" not in current and "1 روز تعطیل در سال 1405" in current
    last_year = admin.get("/admin/holidays/?year=۱۴۰۴", headers={**HX, "HX-Target": "holiday-table"})
    assert "<html" not in last_year.text and 'id="holiday-table"' in last_year.text
    assert "صنعت نفت" in text_of(last_year) and "نوروز" not in text_of(last_year)
    for nonsense in ("bogus", "99999", "-1", "<script>"):
        assert "نوروز" in text_of(admin.get("/admin/holidays/", query_string={"year": nonsense}))
    assert "هنوز روز تعطیلی برای این سال ثبت نشده است." in text_of(admin.get("/admin/holidays/?year=1407"))
