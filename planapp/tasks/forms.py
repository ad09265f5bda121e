from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField, validators

from planapp.core.forms import choices, max_length, optional_int, required, strip
from planapp.tasks.lifecycle import TaskKind


class ActionForm(FlaskForm):
    action = HiddenField(validators=[required()])
    reason = TextAreaField(_l("Reason"), validators=[max_length(5000)])
    version = HiddenField()


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[required(), max_length(5000)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("File"))


class ReassignForm(FlaskForm):
    user_id = SelectField(_l("Colleague"), coerce=optional_int, validators=[required()])
    reason = StringField(_l("Reason"), validators=[required(), max_length(500)], filters=[strip])


class ExtendForm(FlaskForm):
    task_ids = HiddenField()
    due_on = StringField(_l("New due date (Jalali)"), validators=[required(), max_length(20)], filters=[strip])
    reason = StringField(_l("Reason"), validators=[required(), max_length(500)], filters=[strip])


class NewTaskForm(FlaskForm):
    title = StringField(_l("Title"), validators=[required(), max_length(200)], filters=[strip])
    description = TextAreaField(_l("Description"), validators=[validators.Optional(), max_length(10_000)])
    kind = SelectField(_l("Kind"))
    agency_id = SelectField(_l("Agency"), coerce=optional_int, validators=[validators.Optional()])
    assignee_id = SelectField(_l("Or one person"), coerce=optional_int, validators=[validators.Optional()])
    due_on = StringField(_l("Due date (Jalali, e.g. 1405/09/15)"), validators=[required(), max_length(20)],
                         filters=[strip])
    mandatory = BooleanField(_l("Mandatory: the stage cannot end before it is accepted"))

    def __init__(self, *args, agencies: list[tuple[int, str]], people: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices((kind.value, kind.label) for kind in TaskKind)
        self.agency_id.choices = choices([("", _l("— none —")), *agencies])
        self.assignee_id.choices = choices([("", _l("— none —")), *people])


def version_of(form) -> int | None:
    value = (form.version.data or "").strip()
    return int(value) if value.isdecimal() and value.isascii() else None
