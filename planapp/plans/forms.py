from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField, validators

from planapp.core.forms import choices, max_length, optional_int, required, strip


class PlanForm(FlaskForm):
    title = StringField(_l("Title"), validators=[required(), max_length(200)], filters=[strip])
    province = StringField(_l("Province"), validators=[required(), max_length(100)], filters=[strip])
    # Text, not IntegerField: Persian digits (۱۴۰۵) are welcome and the service explains any problem in Persian.
    period_start = StringField(_l("First year (Jalali)"), validators=[required(), max_length(10)], filters=[strip])
    period_end = StringField(_l("Last year (Jalali)"), validators=[required(), max_length(10)], filters=[strip])
    description = TextAreaField(_l("Description"), validators=[validators.Optional(), max_length(10_000)])
    owner_id = SelectField(_l("Owner (supervisor)"), coerce=optional_int, validators=[required()])
    version = HiddenField()

    def __init__(self, *args, owner_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = choices([("", _l("— choose —")), *owner_choices])

    def data_for_service(self) -> dict:
        return {name: self[name].data for name in
                ("title", "province", "period_start", "period_end", "description", "owner_id")}

    def expected_version(self) -> int:
        # Only what was posted counts: with obj=plan a missing field would fall back to the stored version.
        posted = (self.version.raw_data or [""])[0]
        return int(posted) if posted.isdecimal() else -1
