"""THE access-control module: who may do what, in one table.

Views call `require(user, perm, obj)`, templates call `can(...)`, routes declare their permission with
`planapp.web.access.requires`, and nothing else in the code base compares roles.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import Forbidden


class Role(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    OFFICER = "officer"
    PARTICIPANT = "participant"
    VIEWER = "viewer"
    COUNCIL_MEMBER = "council_member"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.OFFICER: _l("Agency officer"),
    Role.PARTICIPANT: _l("Participant"),
    Role.VIEWER: _l("Viewer"),
    Role.COUNCIL_MEMBER: _l("Planning council member"),
}


class Perm(enum.StrEnum):
    USE_APP = "use_app"  # any signed-in, active account: dashboard, own profile, sign out
    MANAGE_AGENCIES = "manage_agencies"
    MANAGE_USERS = "manage_users"
    DEACTIVATE_USER = "deactivate_user"
    VIEW_AUDIT = "view_audit"
    VIEW_PLANS = "view_plans"  # lists and plan pages; viewers see published plans only
    CREATE_PLAN = "create_plan"
    EDIT_PLAN = "edit_plan"
    REQUEST_TRANSITION = "request_transition"
    DECIDE_TRANSITION = "decide_transition"
    VOTE_IN_COUNCIL = "vote_in_council"
    RECORD_RESOLUTION = "record_resolution"
    VIEW_TASKS = "view_tasks"  # the inbox; each task's object rule decides which ones
    WORK_ON_TASK = "work_on_task"  # take, submit, comment, attach, reassign within the agency
    REVIEW_TASK = "review_task"  # accept or return submissions, cancel, extend deadlines, ad-hoc tasks
    MANAGE_TASK_TEMPLATES = "manage_task_templates"
    MANAGE_HOLIDAYS = "manage_holidays"
    INVITE_PARTICIPANT = "invite_participant"  # invite people by e-mail to an agency or to one task
    MANAGE_OUTBOX = "manage_outbox"  # the e-mail outbox: read every message, resend; the development mailbox
    MANAGE_INDICATORS = "manage_indicators"  # the indicator catalog, regions and sectors
    VIEW_INDICATORS = "view_indicators"  # the indicator explorer: values, charts, exports
    IMPORT_INDICATORS = "import_indicators"  # upload CSV/XLSX values: officers their agency's indicators only
    VIEW_SCORING = "view_scoring"  # a plan's scoring matrix read-only, its round's results, their export


_PLAN_WORK = frozenset(
    {Perm.CREATE_PLAN, Perm.EDIT_PLAN, Perm.REQUEST_TRANSITION, Perm.DECIDE_TRANSITION, Perm.RECORD_RESOLUTION,
     Perm.VIEW_TASKS, Perm.REVIEW_TASK}
)
_TASK_WORK = frozenset({Perm.VIEW_TASKS, Perm.WORK_ON_TASK})
# The province's situation data and the analysis built on it (the scoring round's results, with each scorer's
# scores) are read by everyone who prepares, oversees or approves plans. Participants (NGOs, the private sector,
# invited experts) contribute only where they are invited (DESIGN.md), so they browse neither.
_READ_SITUATION = frozenset({Perm.VIEW_INDICATORS, Perm.VIEW_SCORING})

# The declared matrix. Tests walk every cell of it; a new permission must be placed here.
# Admins keep the system but take no part in plan decisions (separation of duties).
POLICY: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(
        {Perm.USE_APP, Perm.MANAGE_AGENCIES, Perm.MANAGE_USERS, Perm.DEACTIVATE_USER, Perm.VIEW_AUDIT, Perm.VIEW_PLANS,
         Perm.MANAGE_TASK_TEMPLATES, Perm.MANAGE_HOLIDAYS, Perm.MANAGE_OUTBOX, Perm.INVITE_PARTICIPANT,
         Perm.MANAGE_INDICATORS}
    ) | _READ_SITUATION,
    Role.SUPERVISOR: frozenset({Perm.USE_APP, Perm.VIEW_PLANS, Perm.INVITE_PARTICIPANT, Perm.IMPORT_INDICATORS})
    | _PLAN_WORK | _READ_SITUATION,
    Role.OFFICER: frozenset({Perm.USE_APP, Perm.VIEW_PLANS, Perm.IMPORT_INDICATORS}) | _TASK_WORK | _READ_SITUATION,
    Role.PARTICIPANT: frozenset({Perm.USE_APP, Perm.VIEW_PLANS}) | _TASK_WORK,
    Role.VIEWER: frozenset({Perm.USE_APP, Perm.VIEW_PLANS}) | _READ_SITUATION,
    Role.COUNCIL_MEMBER: frozenset({Perm.USE_APP, Perm.VIEW_PLANS, Perm.VOTE_IN_COUNCIL}) | _READ_SITUATION,
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def _not_yourself(user: Any, target: Any) -> Decision:
    if target is not None and getattr(target, "id", None) == user.id:
        return Decision(False, str(_l("You cannot deactivate your own account.")))
    return ALLOW


def _published_for_viewers(user: Any, plan: Any) -> Decision:
    # Viewers (council members of the public, the press) read approved plans only.
    if plan is not None and user.role == Role.VIEWER and not plan.is_published:
        return Decision(False, str(_l("This plan is not published yet.")))
    return ALLOW


def _plan_is_open(user: Any, plan: Any) -> Decision:
    if plan is not None and plan.is_archived:
        return Decision(False, str(_l("This plan is closed and can only be read.")))
    return ALLOW


def _four_eyes(user: Any, request: Any) -> Decision:
    if request is not None and request.requires_four_eyes and request.requested_by_id == user.id:
        return Decision(False, str(_l("You asked for this move; another supervisor must decide it (four-eyes rule).")))
    return _plan_is_open(user, getattr(request, "plan", None))


def _task_is_theirs(user: Any, task: Any) -> Decision:
    # Supervisors see every task; officers and participants those of their agency, their own, those of
    # colleagues they stand in for, and those they were invited to as guests (Task.is_for).
    if task is None or Perm.REVIEW_TASK in POLICY.get(Role(user.role), frozenset()):
        return ALLOW
    if task.is_for(user):
        return ALLOW
    return Decision(False, str(_l("This task is not assigned to you or your agency.")))


def _task_is_workable(user: Any, task: Any) -> Decision:
    decision = _task_is_theirs(user, task)
    if decision and task is not None and getattr(task.plan, "is_archived", False):
        return Decision(False, str(_l("This plan is closed and can only be read.")))
    return decision


def is_planning_staff(user: Any) -> bool:
    """Supervisors (who review tasks) work with every agency's data; others with their own agency's."""
    return Perm.REVIEW_TASK in POLICY.get(Role(user.role), frozenset())


def _import_is_theirs(user: Any, upload: Any) -> Decision:
    # An import is seen by whoever made it, by planning staff, and (made for a task) by those on the task.
    if upload is None or is_planning_staff(user) or upload.user_id == user.id:
        return ALLOW
    if upload.task is not None and upload.task.is_for(user):
        return ALLOW
    return Decision(False, str(_l("This import is not yours.")))


# Object-level rules, applied after the role grants the permission. They read plain attributes of the object
# (is_published, is_archived, requires_four_eyes…), so this module needs no domain import.
OBJECT_RULES: dict[Perm, Callable[[Any, Any], Decision]] = {
    Perm.DEACTIVATE_USER: _not_yourself,
    Perm.VIEW_PLANS: _published_for_viewers,
    Perm.VIEW_SCORING: _published_for_viewers,
    Perm.EDIT_PLAN: _plan_is_open,
    Perm.REQUEST_TRANSITION: _plan_is_open,
    Perm.DECIDE_TRANSITION: _four_eyes,
    Perm.VOTE_IN_COUNCIL: _plan_is_open,
    Perm.RECORD_RESOLUTION: _plan_is_open,
    Perm.VIEW_TASKS: _task_is_theirs,
    Perm.WORK_ON_TASK: _task_is_workable,
    Perm.REVIEW_TASK: lambda user, task: _plan_is_open(user, getattr(task, "plan", None)),
    Perm.IMPORT_INDICATORS: _import_is_theirs,
}


def can(user: Any, perm: Perm, obj: Any = None) -> Decision:
    """May `user` exercise `perm` (on `obj`)? The decision carries a reason a user can read."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Decision(False, str(_l("Please sign in first.")))
    if not user.is_active:
        return Decision(False, str(_l("This account is deactivated.")))
    if perm not in POLICY.get(Role(user.role), frozenset()):
        return Decision(False, str(_l("Your role does not allow this action.")))
    rule = OBJECT_RULES.get(perm)
    return rule(user, obj) if rule else ALLOW


class AccessDenied(Forbidden):
    def __init__(self, decision: Decision):
        super().__init__(description=decision.reason)
        self.decision = decision


def require(user: Any, perm: Perm, obj: Any = None) -> None:
    """Raise 403 (with the reason) unless `can(user, perm, obj)`."""
    decision = can(user, perm, obj)
    if not decision:
        raise AccessDenied(decision)
