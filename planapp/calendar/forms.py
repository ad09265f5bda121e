from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, validators

from planapp.core.forms import jalali_date, max_length, required, strip


class HolidayForm(FlaskForm):
    day = StringField(_l("Date (Jalali, e.g. 1405/01/12)"), validators=[required(), max_length(20), jalali_date()],
                      filters=[strip])
    name = StringField(_l("Occasion (Persian)"), validators=[required(), max_length(200)], filters=[strip])
    name_en = StringField(_l("Occasion (English)"), validators=[validators.Optional(), max_length(200)],
                          filters=[strip])
