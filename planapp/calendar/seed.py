"""The official public holidays of a Jalali year, to seed the holiday table (`flask holidays seed --year 1405`).

The official list is published once a year (the calendar of the Calendar Center of the University of Tehran's
Institute of Geophysics, approved by the Public Culture Council), and the religious holidays can still move by a
day when the new moon is sighted (Ramadan, Shawwal and Dhu al-Hijjah are fixed by the announced sighting). So
this list is a starting point: admins correct the table (planapp.calendar.services.update_holiday) when the
official calendar or an announcement says otherwise, and re-seeding never overwrites a day already in the table.

Solar holidays fall on fixed Jalali days: they are computed for any year with jdatetime.

Lunar (Hijri) holidays follow the Iranian lunar calendar, which starts each month on the crescent seen in Iran.
It is often one day later than the Saudi Umm al-Qura calendar (what hijri-converter / hijridate compute): in
2024-2026 the two disagreed on 10 of 19 month starts, always by Iran being a day later. So the table below
holds the first day of each Hijri month as observed or predicted in Iran, and every lunar holiday is derived
from it:

- Shawwal 1447, Dhu al-Hijjah 1447 and Muharram 1448: from the official 1405 calendar as published (reported by
  the ILNA news agency on 30 October 2025): Eid al-Fitr on 1-2 Farvardin, Eid al-Adha on 6 Khordad, Eid al-Ghadir
  on 14 Khordad, Tasua and Ashura on 3 and 4 Tir 1405.
- The later months: predicted from crescent visibility at sunset in Iran (Yallop's q, computed with PyEphem for
  Tehran, Ahvaz, Bushehr and Chabahar; a month starts after the evening when q > -0.35). That rule reproduces
  18 of the 19 Iranian month starts of 2024-2026 we could check (Umm al-Qura: 9 of 19). Two months were
  borderline (q above the threshold at one site but not at Tehran): the end of Safar and of Jumada I 1448;
  they were settled so the year matches the published totals: 25 holidays, 3 on Fridays, 6 occasions on
  Thursdays (14 Khordad is two). Each of these dates is uncertain by ±1 day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import jdatetime

from planapp.audit.services import record
from planapp.calendar.models import Holiday
from planapp.calendar.queries import holidays_between, jalali_year_bounds
from planapp.extensions import db


@dataclass(frozen=True)
class OfficialHoliday:
    day: date
    name: str
    name_en: str


# (Jalali month, day, Persian name, English name).
SOLAR_HOLIDAYS: tuple[tuple[int, int, str, str], ...] = (
    (1, 1, "آغاز نوروز", "Nowruz (New Year)"),
    (1, 2, "عید نوروز", "Nowruz holiday"),
    (1, 3, "عید نوروز", "Nowruz holiday"),
    (1, 4, "عید نوروز", "Nowruz holiday"),
    (1, 12, "روز جمهوری اسلامی ایران", "Islamic Republic Day"),
    (1, 13, "روز طبیعت", "Nature Day (Sizdah Bedar)"),
    (3, 14, "رحلت حضرت امام خمینی", "Death of Imam Khomeini"),
    (3, 15, "قیام ۱۵ خرداد", "Uprising of 15 Khordad"),
    (11, 22, "پیروزی انقلاب اسلامی", "Victory of the Islamic Revolution"),
    (12, 29, "روز ملی شدن صنعت نفت", "Oil Nationalisation Day"),
)

LAST_DAY = 0  # in LUNAR_HOLIDAYS: the last day of the month, whether it has 29 or 30 days

# (Hijri month, day, Persian name, English name).
LUNAR_HOLIDAYS: tuple[tuple[int, int, str, str], ...] = (
    (1, 9, "تاسوعای حسینی", "Tasua"),
    (1, 10, "عاشورای حسینی", "Ashura"),
    (2, 20, "اربعین حسینی", "Arbaeen"),
    (2, 28, "رحلت حضرت رسول اکرم و شهادت امام حسن مجتبی", "Passing of the Prophet, martyrdom of Imam Hasan"),
    (2, LAST_DAY, "شهادت امام رضا", "Martyrdom of Imam Reza"),
    (3, 17, "میلاد حضرت رسول اکرم و امام جعفر صادق", "Birthday of the Prophet and of Imam Sadegh"),
    (6, 3, "شهادت حضرت فاطمه زهرا", "Martyrdom of Fatimah"),
    (7, 13, "ولادت امام علی", "Birthday of Imam Ali"),
    (7, 27, "مبعث حضرت رسول اکرم", "Mab'ath (the Prophet's mission)"),
    (8, 15, "ولادت حضرت قائم", "Birthday of Imam Mahdi (15 Sha'ban)"),
    (9, 21, "شهادت امام علی", "Martyrdom of Imam Ali"),
    (10, 1, "عید سعید فطر", "Eid al-Fitr"),
    (10, 2, "تعطیل به مناسبت عید سعید فطر", "Day after Eid al-Fitr"),
    (10, 25, "شهادت امام جعفر صادق", "Martyrdom of Imam Sadegh"),
    (12, 10, "عید سعید قربان", "Eid al-Adha"),
    (12, 18, "عید سعید غدیر خم", "Eid al-Ghadir"),
)

# The first day of Hijri months in Iran (see the module docstring for the sources). A month's last day is the
# day before the next month's first, so a month that holds a LAST_DAY holiday needs its successor listed too.
IRANIAN_MONTH_STARTS: dict[tuple[int, int], date] = {
    (1447, 10): date(2026, 3, 21),  # official: Eid al-Fitr on 1 Farvardin 1405
    (1447, 12): date(2026, 5, 18),  # official: Eid al-Adha 6 Khordad, Ghadir 14 Khordad
    (1448, 1): date(2026, 6, 16),  # official: Tasua 3 Tir, Ashura 4 Tir
    (1448, 2): date(2026, 7, 16),  # predicted (Umm al-Qura: 15 July)
    (1448, 3): date(2026, 8, 15),  # predicted, borderline (Umm al-Qura: 14 August); Safar has 30 days
    (1448, 6): date(2026, 11, 11),  # predicted, borderline (Umm al-Qura: 11 November)
    (1448, 7): date(2026, 12, 11),  # predicted (Umm al-Qura: 10 December)
    (1448, 8): date(2027, 1, 10),  # predicted (Umm al-Qura: 9 January)
    (1448, 9): date(2027, 2, 8),  # predicted (Umm al-Qura: 8 February); fixed by the sighting announcement
    (1448, 10): date(2027, 3, 10),  # predicted (Umm al-Qura: 9 March); fixed by the sighting announcement
}

# Years whose lunar months are all in IRANIAN_MONTH_STARTS. Extend the table (and this set) for the next year.
SUPPORTED_YEARS = frozenset({1405})


def _lunar_day(hijri_year: int, month: int, day: int) -> date | None:
    start = IRANIAN_MONTH_STARTS.get((hijri_year, month))
    if start is None:
        return None
    if day != LAST_DAY:
        return start + timedelta(days=day - 1)
    following = (hijri_year, month + 1) if month < 12 else (hijri_year + 1, 1)
    after = IRANIAN_MONTH_STARTS.get(following)
    return after - timedelta(days=1) if after else None


def official_holidays(year: int) -> list[OfficialHoliday]:
    """The public holidays of Jalali `year`, one per day in date order (occasions on the same day joined)."""
    if year not in SUPPORTED_YEARS:
        known = ", ".join(str(y) for y in sorted(SUPPORTED_YEARS))
        raise ValueError(f"no holiday list for {year}: known years are {known} (see planapp/calendar/seed.py)")
    first, last = jalali_year_bounds(year)
    names: dict[date, list[tuple[str, str]]] = {}
    for month, day, name, name_en in SOLAR_HOLIDAYS:
        names.setdefault(jdatetime.date(year, month, day).togregorian(), []).append((name, name_en))
    hijri_years = {hy for hy, _ in IRANIAN_MONTH_STARTS}
    for hijri_year in sorted(hijri_years):
        for month, day, name, name_en in LUNAR_HOLIDAYS:
            when = _lunar_day(hijri_year, month, day)
            if when is not None and first <= when <= last:
                names.setdefault(when, []).append((name, name_en))
    return [
        OfficialHoliday(day, "؛ ".join(n for n, _ in occasions), "; ".join(e for _, e in occasions))
        for day, occasions in sorted(names.items())
    ]


def seed_holidays(year: int, actor: Any = None) -> list[Holiday]:
    """Add the official holidays of Jalali `year` that are not in the table yet; returns the rows added.

    Idempotent: a day already in the table is left as it is, so an admin's correction of a name is never
    overwritten; but a day an admin deleted or moved comes back if the seed is run again. One audit event
    lists the days added (none when nothing was). The caller commits.
    """
    wanted = official_holidays(year)
    present = holidays_between(*jalali_year_bounds(year))
    added = [Holiday(day=h.day, name=h.name, name_en=h.name_en) for h in wanted if h.day not in present]
    if added:
        db.session.add_all(added)
        db.session.flush()
        record(actor, "holiday.seed", None, object_type=Holiday.__tablename__,
               summary=f"{year}: {len(added)} official holidays",
               after={"year": year, "days": [h.day.isoformat() for h in added]})
    return added
