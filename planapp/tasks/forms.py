from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField, validators

from planapp.agencies.models import AgencyKind
from planapp.core.forms import choices, max_length, optional_int, optional_text, required, strip
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


def as_text(value: Any) -> str:
    return "" if value is None else strip(str(value))


class TaskTemplateForm(FlaskForm):
    stage = SelectField(_l("Stage"), validators=[required()])
    kind = SelectField(_l("Kind"), validators=[required()])
    title = StringField(_l("Title (Persian)"), validators=[required(), max_length(200)], filters=[strip])
    title_en = StringField(_l("Title (English)"), validators=[validators.Optional(), max_length(200)],
                           filters=[strip])
    description = TextAreaField(_l("Description (Persian)"), validators=[validators.Optional(), max_length(10_000)])
    description_en = TextAreaField(_l("Description (English)"),
                                   validators=[validators.Optional(), max_length(10_000)])
    agency_kind = SelectField(_l("Every active agency of the kind"), coerce=optional_text,
                              validators=[validators.Optional()])
    # The service says why an agency is refused (unknown or deactivated).
    agency_ids = SelectMultipleField(_l("And these agencies"), coerce=int, validators=[validators.Optional()],
                                     validate_choice=False)
    mandatory = BooleanField(_l("Mandatory: the stage cannot end before it is accepted"), default=True)
    due_in_days = StringField(_l("Due in (working days)"), validators=[required(), max_length(4)], filters=[strip])
    # Numbers from the template when a form posts without them: shown and checked as text.
    remind_before_days = StringField(_l("Remind days before the due date"), validators=[max_length(4)],
                                     filters=[as_text])
    overdue_every_days = StringField(_l("Once late, remind every (days)"), validators=[max_length(4)],
                                     filters=[as_text])
    escalate_after_days = StringField(_l("Escalate to the supervisor after (days late, 0 = never)"),
                                      validators=[max_length(4)], filters=[as_text])

    def __init__(self, *args, stages: list, agencies: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.stage.choices = choices((stage.value, stage.label) for stage in stages)
        self.kind.choices = choices((kind.value, kind.label) for kind in TaskKind)
        self.agency_kind.choices = choices([("", _l("— none —")), *((k.value, k.label) for k in AgencyKind)])
        self.agency_ids.choices = choices(agencies)
