"""The holiday table (planapp/calendar): the 1405 seed, its idempotence, audited changes, Persian refusals,
and the one-query lookup that working-day deadlines use."""

from __future__ import annotations

import contextvars
from collections import Counter
from datetime import date, datetime
from unittest import mock

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask_babel import force_locale

from planapp.audit.models import AuditEvent
from planapp.calendar import services
from planapp.calendar.cli import holidays_cli
from planapp.calendar.models import Holiday
from planapp.calendar.queries import holidays_between, jalali_year_bounds, list_holidays
from planapp.calendar.seed import LUNAR_HOLIDAYS, official_holidays, seed_holidays
from planapp.core.errors import ValidationFailed
from planapp.extensions import db
from tests.factories import make_user
from tests.sql_helpers import count_statements

REQUIRED_FA = "پر کردن این بخش الزامی است."
NO_DAY_FA = "تاریخ تعطیلی را وارد کنید."
DUPLICATE_FA = "روز ۱۴۰۵/۰۱/۰۱ از پیش تعطیل ثبت شده است (آغاز نوروز؛ عید سعید فطر)."
RACE_FA = "این روز از پیش تعطیل ثبت شده است."

# 1405 (2026-03-21 … 2027-03-20): what the official calendar and the lunar table give.
KNOWN_1405 = {
    date(2026, 3, 21): "آغاز نوروز؛ عید سعید فطر",  # 1 Farvardin, and 1 Shawwal 1447
    date(2026, 3, 22): "عید نوروز؛ تعطیل به مناسبت عید سعید فطر",
    date(2026, 4, 1): "روز جمهوری اسلامی ایران",  # 12 Farvardin
    date(2026, 4, 14): "شهادت امام جعفر صادق",  # 25 Farvardin = 25 Shawwal 1447
    date(2026, 5, 27): "عید سعید قربان",  # 6 Khordad, as published
    date(2026, 6, 4): "رحلت حضرت امام خمینی؛ عید سعید غدیر خم",  # 14 Khordad, as published
    date(2026, 6, 24): "تاسوعای حسینی",  # 3 Tir, as published
    date(2026, 6, 25): "عاشورای حسینی",  # 4 Tir, as published
    date(2027, 2, 11): "پیروزی انقلاب اسلامی",  # 22 Bahman
    date(2027, 3, 10): "عید سعید فطر",  # 19 Esfand = 1 Shawwal 1448: Eid al-Fitr twice in 1405
    date(2027, 3, 20): "روز ملی شدن صنعت نفت",  # 29 Esfand, the last day of 1405
}


def persian(lazy) -> str:
    with force_locale("fa"):
        return str(lazy)


def holiday_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Holiday))


def holiday_events(action: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.action.like("holiday.%")).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def invoke(app, *args: str) -> Result:
    """Run a `flask holidays …` command as the CLI does: in its own application context."""
    db.session.commit()

    def run() -> Result:
        with app.app_context():
            return app.test_cli_runner().invoke(holidays_cli, list(args))

    result = contextvars.Context().run(run)
    db.session.expire_all()
    return result


# --- the official list of 1405 (no database) ---------------------------------------------------------------


def test_1405_has_the_25_official_holidays():
    holidays = official_holidays(1405)
    days = [h.day for h in holidays]
    assert len(holidays) == 25
    assert days == sorted(set(days))
    first, last = jalali_year_bounds(1405)
    assert (first, last) == (date(2026, 3, 21), date(2027, 3, 20))
    assert all(first <= day <= last for day in days)
    assert all(h.name and h.name_en for h in holidays)
    by_day = {h.day: h.name for h in holidays}
    for day, name in KNOWN_1405.items():
        assert by_day.get(day) == name, day


def test_every_lunar_occasion_falls_in_1405_and_eid_al_fitr_twice():
    names = Counter(part for h in official_holidays(1405) for part in h.name.split("؛ "))
    for _month, _day, name, _en in LUNAR_HOLIDAYS:
        expected = 2 if "فطر" in name else 1
        assert names[name] == expected, name


def test_the_lunar_table_matches_the_published_weekday_totals():
    """The official 1405 calendar counts 6 holidays on Thursdays and 3 on Fridays (occasions, so 14 Khordad,
    which is both the death of Imam Khomeini and Eid al-Ghadir, counts twice)."""
    holidays = official_holidays(1405)
    thursdays = sum(len(h.name.split("؛ ")) for h in holidays if h.day.weekday() == 3)
    fridays = [h.day for h in holidays if h.day.weekday() == 4]
    assert thursdays == 6
    assert fridays == [date(2026, 6, 5), date(2026, 8, 14), date(2026, 11, 13)]


def test_a_year_without_a_lunar_table_is_refused():
    with pytest.raises(ValueError, match="no holiday list for 1410"):
        official_holidays(1410)


# --- seeding -------------------------------------------------------------------------------------------------


def test_seeding_is_idempotent_and_audited_once(ctx):
    added = seed_holidays(1405)
    db.session.commit()
    assert len(added) == 25 and holiday_count() == 25
    assert seed_holidays(1405) == []
    db.session.commit()
    assert holiday_count() == 25
    rows = list_holidays(1405)
    assert [h.day for h in rows] == sorted(h.day for h in rows)
    assert {h.day: h.name for h in rows if h.day in KNOWN_1405} == KNOWN_1405
    assert rows[0].day == date(2026, 3, 21) and rows[0].name_en == "Nowruz (New Year); Eid al-Fitr"
    events = holiday_events()
    assert [e.action for e in events] == ["holiday.seed"]
    assert len(events[0].after["days"]) == 25
    assert list_holidays(1404) == [] and list_holidays(1406) == []


def test_seeding_keeps_an_admins_correction_and_fills_only_the_gaps(ctx):
    admin = make_user(role="admin")
    seed_holidays(1405)
    ashura = db.session.scalar(sa.select(Holiday).where(Holiday.day == date(2026, 6, 25)))
    services.update_holiday(admin, ashura, {"day": ashura.day, "name": "عاشورای حسینی (اصلاح‌شده)"})
    arbaeen = db.session.scalar(sa.select(Holiday).where(Holiday.day == date(2026, 8, 4)))
    services.delete_holiday(admin, arbaeen)
    db.session.commit()

    added = seed_holidays(1405)
    db.session.commit()
    assert [h.day for h in added] == [date(2026, 8, 4)]  # the deleted day comes back, nothing else changes
    assert db.session.get(Holiday, ashura.id).name == "عاشورای حسینی (اصلاح‌شده)"
    assert holiday_count() == 25


def test_flask_holidays_seed_command(ctx):
    result = invoke(ctx, "seed", "--year", "1405")
    assert result.exit_code == 0, result.output
    assert "25 holidays added, 25 in the table" in result.output
    again = invoke(ctx, "seed", "--year", "1405")
    assert again.exit_code == 0 and "0 holidays added, 25 in the table" in again.output
    assert holiday_count() == 25
    listing = invoke(ctx, "list", "--year", "1405")
    assert "1405/04/04  2026-06-25  Thu  عاشورای حسینی" in listing.output


def test_flask_holidays_seed_refuses_an_unknown_year(ctx):
    result = invoke(ctx, "seed", "--year", "1410")
    assert result.exit_code == 1
    assert "No holiday list for 1410" in result.output
    assert holiday_count() == 0


# --- services: audited changes -----------------------------------------------------------------------------


def test_add_update_delete_are_audited(ctx):
    admin = make_user(role="admin")
    holiday = services.add_holiday(admin, {"day": date(2026, 9, 1), "name": "  تعطیلی ویژه  ", "name_en": ""})
    db.session.commit()
    assert (holiday.name, holiday.name_en) == ("تعطیلی ویژه", None)  # trimmed; blank English name → None

    services.update_holiday(admin, holiday, {"day": date(2026, 9, 2), "name": "تعطیلی ویژه", "name_en": "Special"})
    services.update_holiday(admin, holiday, {"day": date(2026, 9, 2), "name": "تعطیلی ویژه", "name_en": "Special"})
    db.session.commit()
    services.delete_holiday(admin, holiday)
    db.session.commit()

    create, update, delete = holiday_events()  # the second, empty update wrote nothing
    assert create.action == "holiday.create" and create.actor_id == admin.id
    assert create.object_type == "holidays" and create.object_id == holiday.id
    assert create.after == {"day": "2026-09-01", "name": "تعطیلی ویژه", "name_en": None}
    assert update.action == "holiday.update"
    assert update.before == {"day": "2026-09-01", "name_en": None}
    assert update.after == {"day": "2026-09-02", "name_en": "Special"}
    assert delete.action == "holiday.delete" and delete.object_id == holiday.id
    assert delete.before["day"] == "2026-09-02"
    assert "۱۴۰۵/۰۶/۱۱" in delete.summary  # the day, in Jalali
    assert holiday_count() == 0


def test_a_deleted_holiday_is_a_working_day_again(ctx):
    admin = make_user(role="admin")
    holiday = services.add_holiday(admin, {"day": date(2026, 9, 1), "name": "تعطیلی ویژه"})
    assert holidays_between(date(2026, 9, 1), date(2026, 9, 1)) == {date(2026, 9, 1)}
    services.delete_holiday(admin, holiday)
    assert holidays_between(date(2026, 9, 1), date(2026, 9, 1)) == set()


# --- services: refusals in Persian, nothing stored ------------------------------------------------------------


def test_a_second_holiday_on_the_same_day_is_refused_in_persian(ctx):
    admin = make_user(role="admin")
    seed_holidays(1405)
    db.session.commit()
    events = len(holiday_events())
    with pytest.raises(ValidationFailed) as refused:
        services.add_holiday(admin, {"day": date(2026, 3, 21), "name": "روز دیگر"})
    assert refused.value.field == "day"
    assert persian(refused.value.message) == DUPLICATE_FA
    db.session.rollback()
    assert holiday_count() == 25 and len(holiday_events()) == events


def test_moving_a_holiday_onto_another_is_refused_and_changes_nothing(ctx):
    admin = make_user(role="admin")
    first = services.add_holiday(admin, {"day": date(2026, 9, 1), "name": "یکم"})
    services.add_holiday(admin, {"day": date(2026, 9, 2), "name": "دوم"})
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        services.update_holiday(admin, first, {"day": date(2026, 9, 2), "name": "یکم جابه‌جا"})
    assert refused.value.field == "day"
    assert persian(refused.value.message) == "روز ۱۴۰۵/۰۶/۱۱ از پیش تعطیل ثبت شده است (دوم)."
    assert (first.day, first.name) == (date(2026, 9, 1), "یکم")  # checked before anything was changed
    assert len(holiday_events("holiday.update")) == 0


def test_a_duplicate_that_slips_past_the_check_is_still_refused_cleanly(ctx):
    """Two admins adding the same day at once: the unique constraint decides, in a savepoint, so the
    refusal is the same clear message and the transaction stays usable."""
    admin = make_user(role="admin")
    services.add_holiday(admin, {"day": date(2026, 9, 1), "name": "یکم"})
    db.session.commit()
    with mock.patch.object(services, "_check_free"), pytest.raises(ValidationFailed) as refused:
        services.add_holiday(admin, {"day": date(2026, 9, 1), "name": "همان روز"})
    assert persian(refused.value.message) == RACE_FA
    services.add_holiday(admin, {"day": date(2026, 9, 3), "name": "سوم"})  # the session still works
    db.session.commit()
    assert holiday_count() == 2


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"day": date(2026, 9, 1), "name": ""}, "name", REQUIRED_FA),
    ({"day": date(2026, 9, 1), "name": "   "}, "name", REQUIRED_FA),
    ({"day": date(2026, 9, 1)}, "name", REQUIRED_FA),
    ({"name": "تعطیلی"}, "day", NO_DAY_FA),
    ({"day": "1405/06/10", "name": "تعطیلی"}, "day", NO_DAY_FA),  # forms convert Jalali text first
    ({"day": datetime(2026, 9, 1, 10, 0), "name": "تعطیلی"}, "day", NO_DAY_FA),
])
def test_bad_input_is_refused_in_persian_and_nothing_is_stored(ctx, data, field, message):
    admin = make_user(role="admin")
    with pytest.raises(ValidationFailed) as refused:
        services.add_holiday(admin, data)
    assert refused.value.field == field
    assert persian(refused.value.message) == message
    db.session.rollback()
    assert holiday_count() == 0 and holiday_events() == []


def test_a_name_longer_than_the_column_is_refused(ctx):
    with pytest.raises(ValidationFailed) as refused:
        services.add_holiday(None, {"day": date(2026, 9, 1), "name": "ت" * 201})
    assert refused.value.field == "name"


# --- queries ---------------------------------------------------------------------------------------------------


def test_holidays_between_is_one_query_returning_a_set_with_both_ends_included(ctx):
    seed_holidays(1405)
    db.session.commit()
    with count_statements(include_begin=False) as statements:
        nowruz = holidays_between(date(2026, 3, 21), date(2026, 4, 2))
    assert len(statements) == 1
    assert isinstance(nowruz, set)
    assert nowruz == {date(2026, 3, d) for d in (21, 22, 23, 24)} | {date(2026, 4, 1), date(2026, 4, 2)}
    assert holidays_between(date(2026, 3, 22), date(2026, 3, 22)) == {date(2026, 3, 22)}
    assert holidays_between(date(2026, 4, 3), date(2026, 4, 13)) == set()


def test_the_seed_module_and_the_due_dates_agree(ctx):
    """Through the table: a task due 5 working days after 1 Farvardin 1405 is due on 10 Farvardin."""
    from planapp.core.workdays import add_working_days

    seed_holidays(1405)
    start = date(2026, 3, 21)
    off = holidays_between(start, date(2026, 5, 1))
    assert add_working_days(start, 5, off, {4}) == date(2026, 3, 30)  # 1405/01/10
