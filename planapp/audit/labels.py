"""What the audit log's rows mean, in the reader's language: action labels and the values of before → after.

Presentation only: the stored rows (and so the hash chain) and the exports keep the raw keys and values. The plan
activity feed and the task history label their events from the same table (PLAN_ACTIONS, TASK_ACTIONS).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from planapp.core.i18n import localized_digits, localized_join
from planapp.core.permissions import Role
from planapp.plans.workflow import BY_EVENT, Stage
from planapp.tasks.lifecycle import TaskStatus
from planapp.web.filters import jdate, locale_code

# Sentences about a plan, shown after the actor's name in the plan's activity feed.
PLAN_ACTIONS = {
    "plan.create": _l("created the plan"),
    "plan.update": _l("edited the plan"),
    "plan.copy": _l("started the plan from an earlier one"),
    "plan.transition_requested": _l("asked for a move"),
    "plan.transition": _l("approved a move"),
    "plan.request_rejected": _l("rejected a request"),
    "plan.request_withdrawn": _l("withdrew a request"),
    "plan.council_vote": _l("voted in the council"),
    "plan.council_resolution": _l("recorded the council's resolution"),
    "task.created_for_stage": _l("created the tasks of the stage"),
}

# What happened to a task, shown in the task's history.
TASK_ACTIONS = {
    "task.create": _l("created the task"),
    "task.take": _l("took the task"),
    "task.submit": _l("submitted"),
    "task.accept": _l("accepted"),
    "task.return": _l("returned for changes"),
    "task.cancel": _l("cancelled"),
    "task.cancel_stage_left": _l("cancelled: the plan moved to another stage"),
    "task.cancel_not_chosen": _l("cancelled: the scoring round opened without this agency or person"),
    "task.cancel_round_closed": _l("cancelled: the scoring round closed (the scores saved on it were counted)"),
    "task.reassign": _l("handed the task over"),
    "task.extend": _l("moved the due date"),
    "task.comment": _l("commented"),
    "task.comment_deleted": _l("hid a comment"),
    "task.comment_restored": _l("restored a comment"),
    "task.attach": _l("added a file"),
    "task.file_deleted": _l("removed a file"),
    "task.file_restored": _l("restored a file"),
    "task.indicators": _l("saved indicator values"),
}

# The administration's and security's own events.
ADMIN_ACTIONS = {
    "agency.create": _l("created an agency"),
    "agency.update": _l("edited an agency"),
    "agency.deactivate": _l("deactivated an agency"),
    "agency.reactivate": _l("reactivated an agency"),
    "user.create": _l("created a user"),
    "user.update": _l("edited a user"),
    "user.deactivate": _l("deactivated a user"),
    "user.reactivate": _l("reactivated a user"),
    "user.invite": _l("invited a user"),
    "user.reinvite": _l("invited a user again"),
    "user.invitation_accepted": _l("accepted the invitation"),
    "user.email_preference": _l("changed the e-mail preference"),
    "auth.login": _l("signed in"),
    "auth.logout": _l("signed out"),
    "auth.login_failed": _l("failed to sign in"),
    "auth.login_locked": _l("sign-in refused: too many failed attempts"),
    "auth.password_changed": _l("changed the password"),
    "auth.password_reset_requested": _l("asked for a password reset"),
    "auth.password_reset": _l("reset the password"),
    "task_template.create": _l("created a task template"),
    "task_template.update": _l("edited a task template"),
    "task_template.deactivate": _l("deactivated a task template"),
    "task_template.reactivate": _l("reactivated a task template"),
    "holiday.create": _l("added a holiday"),
    "holiday.update": _l("edited a holiday"),
    "holiday.delete": _l("removed a holiday"),
    "holiday.seed": _l("loaded the official holidays"),
    "delegation.create": _l("named a substitute"),
    "delegation.revoke": _l("ended a substitution"),
}

# The planning work's own events: scoring, SWOT, indicators and their catalog, the outbox, the analysis.
WORK_ACTIONS = {
    "scoring.create": _l("set up the scoring matrix"),
    "scoring.candidate_add": _l("added a candidate"),
    "scoring.candidate_rename": _l("renamed a candidate"),
    "scoring.candidate_remove": _l("removed a candidate"),
    "scoring.criterion_add": _l("added a criterion"),
    "scoring.criterion_update": _l("edited a criterion"),
    "scoring.criterion_remove": _l("removed a criterion"),
    "scoring.weights_direct": _l("typed the criteria weights"),
    "scoring.weights_ahp": _l("weighted the criteria by pairwise comparison"),
    "scoring.round_open": _l("opened the scoring round"),
    "scoring.scorer_add": _l("added a scorer"),
    "scoring.score": _l("saved a score"),
    "scoring.score_clear": _l("cleared a score"),
    "scoring.round_close": _l("closed the scoring round"),
    "scoring.round2_open": _l("opened the second (Delphi) round"),
    "scoring.cores_confirm": _l("confirmed the driving cores"),
    "swot.submit": _l("proposed a SWOT factor"),
    "swot.merge": _l("merged a duplicate SWOT factor"),
    "swot.evaluate": _l("weighted and rated a SWOT factor"),
    "indicator.create": _l("created an indicator"),
    "indicator.update": _l("edited an indicator"),
    "indicator.deactivate": _l("deactivated an indicator"),
    "indicator.reactivate": _l("reactivated an indicator"),
    "indicator.import_queued": _l("uploaded indicator values to import"),
    "indicator.imported": _l("imported indicator values"),
    "region.create": _l("created a region"),
    "region.update": _l("edited a region"),
    "region.deactivate": _l("deactivated a region"),
    "region.reactivate": _l("reactivated a region"),
    "sector.create": _l("created a sector"),
    "sector.update": _l("edited a sector"),
    "sector.deactivate": _l("deactivated a sector"),
    "sector.reactivate": _l("reactivated a sector"),
    "mail.resend": _l("queued an e-mail to be sent again"),
    "analysis.io_table_uploaded": _l("uploaded the input-output table"),
    "analysis.io_table_replaced": _l("replaced the input-output table"),
}

AUDIT_ACTIONS = {**ADMIN_ACTIONS, **PLAN_ACTIONS, **TASK_ACTIONS, **WORK_ACTIONS}

# The audit page's area filter: an action's area is the part of its key before the dot.
AREAS = {
    "plan": _l("Plans"),
    "task": _l("Tasks"),
    "scoring": _l("Scoring matrix"),
    "swot": _l("SWOT"),
    "indicator": _l("Indicators"),
    "region": _l("Regions"),
    "sector": _l("Sectors"),
    "analysis": _l("Analysis"),
    "agency": _l("Agencies"),
    "user": _l("Users"),
    "auth": _l("Sign-in and security"),
    "task_template": _l("Task templates"),
    "holiday": _l("Holidays"),
    "delegation": _l("Substitutes"),
    "mail": _l("E-mail outbox"),
}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


def action_label(action: str) -> str | None:
    """The action in words, or None for an action without a label (the page then shows the raw key)."""
    label = AUDIT_ACTIONS.get(action)
    return None if label is None else str(label)


def show_value(value: Any, key: str = "", object_type: str | None = None) -> str:
    """A before/after value for reading: Jalali dates and Persian digits in Persian, labels for known enums."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        text = localized_digits(value)
        return text.replace(".", "٫") if locale_code() == "fa" else text
    if isinstance(value, list):
        return localized_join(show_value(item, key, object_type) for item in value)
    if isinstance(value, dict):
        return raw_json(value)
    text = str(value)
    label = _enum_label(text, key, object_type)
    if label is not None:
        return label
    if _DATE.fullmatch(text):
        try:
            return jdate(date.fromisoformat(text))
        except ValueError:
            return text
    if _DATETIME.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        return jdate(moment if moment.tzinfo else moment.replace(tzinfo=UTC), with_time=True)  # stored in UTC
    return text


def _enum_label(text: str, key: str, object_type: str | None) -> str | None:
    if (key == "stage" or key.endswith("_stage")) and text in set(Stage):
        return Stage(text).label
    if key == "status" and object_type == "tasks" and text in set(TaskStatus):
        return TaskStatus(text).label
    if key == "event" and text in BY_EVENT:
        return str(BY_EVENT[text].label)
    if key == "role" and text in set(Role):
        return Role(text).label
    return None


# Actions whose summary was written as "<plan title>: <transition event>".
_EVENT_SUMMARIES = frozenset({"plan.transition", "plan.transition_requested", "plan.request_rejected",
                              "plan.request_withdrawn"})


def show_summary(summary: str, action: str) -> str:
    """The stored summary, with a plan move's event key (complete_assessment) told by its button's label."""
    if action in _EVENT_SUMMARIES:
        title, colon, event = summary.rpartition(": ")
        if colon and event in BY_EVENT:
            return f"{title}: {BY_EVENT[event].label}"
    return summary


def raw_json(value: Any) -> str:
    """A stored value exactly as kept, for the title and the raw data of a row."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
