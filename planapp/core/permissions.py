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

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.OFFICER: _l("Agency officer"),
    Role.PARTICIPANT: _l("Participant"),
    Role.VIEWER: _l("Viewer"),
}


class Perm(enum.StrEnum):
    USE_APP = "use_app"  # any signed-in, active account: dashboard, own profile, sign out
    MANAGE_AGENCIES = "manage_agencies"
    MANAGE_USERS = "manage_users"
    DEACTIVATE_USER = "deactivate_user"
    VIEW_AUDIT = "view_audit"


_ALL = frozenset(Perm)

# The declared matrix. Tests walk every cell of it; a new permission must be placed here.
POLICY: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: _ALL,
    Role.SUPERVISOR: frozenset({Perm.USE_APP}),
    Role.OFFICER: frozenset({Perm.USE_APP}),
    Role.PARTICIPANT: frozenset({Perm.USE_APP}),
    Role.VIEWER: frozenset({Perm.USE_APP}),
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


# Object-level rules, applied after the role grants the permission.
OBJECT_RULES: dict[Perm, Callable[[Any, Any], Decision]] = {
    Perm.DEACTIVATE_USER: _not_yourself,
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
