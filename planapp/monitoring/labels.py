"""How a monitoring period is named for people: «سه‌ماههٔ سوم ۱۴۰۵», "Q3 1405", «مهر ۱۴۰۵»."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from planapp.core.i18n import localized_digits
from planapp.monitoring.periods import Period

ORDINALS = (_l("first"), _l("second"), _l("third"), _l("fourth"), _l("fifth"), _l("sixth"), _l("seventh"),
            _l("eighth"), _l("ninth"), _l("tenth"), _l("eleventh"), _l("twelfth"))
MONTHS = (_l("Farvardin"), _l("Ordibehesht"), _l("Khordad"), _l("Tir"), _l("Mordad"), _l("Shahrivar"), _l("Mehr"),
          _l("Aban"), _l("Azar"), _l("Dey"), _l("Bahman"), _l("Esfand"))


def period_label(period: Period) -> str:
    year = localized_digits(period.year)
    if period.months == 12:
        return str(_l("the year %(year)s", year=year))
    if period.months == 1:
        return f"{MONTHS[period.index - 1]} {year}"
    if period.months == 3:
        return str(_l("the %(ordinal)s quarter of %(year)s", ordinal=ORDINALS[period.index - 1], year=year))
    return str(_l("period %(n)s of %(year)s", n=localized_digits(period.index), year=year))
