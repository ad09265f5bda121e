from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, validators

from planapp.agencies.models import AgencyKind
from planapp.core.forms import choices, email_format, max_length, optional_int, required, strip


class AgencyForm(FlaskForm):
    name = StringField(_l("Name (Persian)"), validators=[required(), max_length(200)], filters=[strip])
    name_en = StringField(_l("Name (English)"), validators=[validators.Optional(), max_length(200)], filters=[strip])
    kind = SelectField(_l("Kind"), validators=[required()])
    parent_id = SelectField(_l("Parent agency"), coerce=optional_int, validators=[validators.Optional()])
    email = StringField(
        _l("E-mail"), validators=[validators.Optional(), max_length(254), email_format()], filters=[strip]
    )

    def __init__(self, *args, parent_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices((kind.value, kind.label) for kind in AgencyKind)
        self.parent_id.choices = choices([("", _l("— none —")), *parent_choices])
