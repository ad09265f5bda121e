from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField

from planapp.core.forms import max_length, required, strip


class RequestForm(FlaskForm):
    event = HiddenField(validators=[required()])
    comment = TextAreaField(_l("Comment"), validators=[max_length(5000)])
    version = HiddenField()


class DecisionForm(FlaskForm):
    decision = HiddenField(validators=[required()])  # approve | reject
    comment = TextAreaField(_l("Comment"), validators=[max_length(5000)])
    version = HiddenField()


class VoteForm(FlaskForm):
    choice = HiddenField(validators=[required()])
    comment = TextAreaField(_l("Comment"), validators=[max_length(2000)])


class ResolutionForm(FlaskForm):
    number = StringField(_l("Resolution number"), validators=[required(), max_length(50)], filters=[strip])
    resolved_on = StringField(_l("Date (Jalali, e.g. 1405/09/15)"), validators=[required(), max_length(20)],
                              filters=[strip])
    document = FileField(_l("Signed resolution (PDF)"))


def version_of(form) -> int | None:
    value = (form.version.data or "").strip()
    return int(value) if value.isdecimal() else None
