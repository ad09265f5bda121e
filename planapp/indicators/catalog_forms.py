from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField, validators

from planapp.core.forms import choices, max_length, optional_int, required, strip
from planapp.indicators.models import Category, Direction, Frequency


def _names(max_chars: int) -> tuple[StringField, StringField]:
    return (StringField(_l("Name (Persian)"), validators=[required(), max_length(max_chars)], filters=[strip]),
            StringField(_l("Name (English)"), validators=[validators.Optional(), max_length(max_chars)],
                        filters=[strip]))


class IndicatorForm(FlaskForm):
    code = StringField(_l("Code"), validators=[required(), max_length(40)], filters=[strip])
    name, name_en = _names(200)
    category = SelectField(_l("Category"), validators=[required()])
    unit = StringField(_l("Unit (Persian)"), validators=[required(), max_length(60)], filters=[strip])
    unit_en = StringField(_l("Unit (English)"), validators=[validators.Optional(), max_length(60)], filters=[strip])
    source_agency_id = SelectField(_l("Source agency"), coerce=optional_int, validators=[validators.Optional()])
    frequency = SelectField(_l("Frequency"), validators=[required()])
    direction = SelectField(_l("Direction"), validators=[required()])
    by_sector = BooleanField(_l("Values by economic sector"))
    description = TextAreaField(_l("Description"), validators=[validators.Optional(), max_length(2000)],
                                filters=[strip])

    def __init__(self, *args, agency_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = choices((c.value, c.label) for c in Category)
        self.frequency.choices = choices((f.value, f.label) for f in Frequency)
        self.direction.choices = choices((d.value, d.label) for d in Direction)
        self.source_agency_id.choices = choices([("", _l("— none —")), *agency_choices])


class RegionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[validators.Optional(), max_length(20)], filters=[strip])
    name, name_en = _names(120)


class SectorForm(FlaskForm):
    code = StringField(_l("Code"), validators=[required(), max_length(20)], filters=[strip])
    name, name_en = _names(200)
    parent_id = SelectField(_l("ISIC section"), coerce=optional_int, validators=[validators.Optional()])

    def __init__(self, *args, section_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = choices([("", _l("— none (an ISIC section) —")), *section_choices])
