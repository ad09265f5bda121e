"""The text of each kind of notification, translated when it is shown."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from planapp.core.i18n import localized_digits, reads_english
from planapp.plans.workflow import Stage

TEMPLATES = {
    "transition.requested": _l("%(actor)s asks to move «%(plan)s» to %(stage)s."),
    "transition.approved": _l("«%(plan)s» moved to %(stage)s (approved by %(actor)s)."),
    "transition.rejected": _l("Your request to move «%(plan)s» to %(stage)s was rejected by %(actor)s: %(reason)s"),
    "council.vote_opened": _l("The council is asked to vote on «%(plan)s»."),
    "task.assigned": _l("New task «%(task)s» for «%(plan)s»."),
    "task.submitted": _l("Task «%(task)s» of «%(plan)s» was submitted for review."),
    "task.accepted": _l("Task «%(task)s» of «%(plan)s» was accepted."),
    "task.returned": _l("Task «%(task)s» of «%(plan)s» was returned for changes: %(reason)s"),
    "task.cancelled": _l("Task «%(task)s» of «%(plan)s» was cancelled: %(reason)s"),
    "task.due_soon": _l("Reminder: task «%(task)s» of «%(plan)s» is due on %(due)s."),
    "task.due_today": _l("Reminder: task «%(task)s» of «%(plan)s» is due today."),
    "task.overdue": _l("Task «%(task)s» of «%(plan)s» is %(days)s days overdue (due %(due)s)."),
    "task.escalated": _l("Task «%(task)s» of «%(plan)s» for %(agency)s is %(days)s days overdue (due %(due)s)."),
    "monitoring.round_opened": _l("Progress reports for «%(plan)s» are due for %(period)s: %(count)s tasks opened."),
    "mail.dead": _l("An e-mail to %(to)s could not be sent: %(error)s"),
    "mail.dead_many": _l("%(count)s e-mails could not be sent: %(error)s"),
}

# Params that may come with an English twin ("task_en", "agency_en"): a task template's or an agency's English name.
ENGLISH_TWINS = ("task", "agency")


def _show_date(iso: str) -> str:
    from planapp.core.i18n import format_gregorian, format_jalali

    day = date.fromisoformat(iso)
    return format_gregorian(day) if reads_english() else format_jalali(day)


def render(kind: str, params: dict[str, Any]) -> str:
    template = TEMPLATES.get(kind)
    if template is None:
        return kind
    values = dict(params)
    for name in ENGLISH_TWINS:  # a name with English words of its own shows them to English readers
        twin = values.pop(f"{name}_en", None)
        if twin and reads_english():
            values[name] = twin
    if "actor" in values and not values["actor"]:
        values["actor"] = _l("system")  # the system asked by itself
    if "stage" in values:
        values["stage"] = Stage(values["stage"]).label
    if isinstance(values.get("due"), str):  # dates travel as ISO text; shown in the reader's calendar
        values["due"] = _show_date(values["due"])
    if "period_start" in values:  # a monitoring period, named in the reader's language
        from planapp.monitoring.labels import period_label
        from planapp.monitoring.periods import period_containing

        start = date.fromisoformat(values["period_start"])
        values["period"] = period_label(period_containing(start, int(values.get("months", 3))))
    for name in ("days", "count"):
        if name in values:
            values[name] = localized_digits(values[name])
    return str(template % values)
