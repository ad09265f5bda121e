"""Delegation while a user is away: a colleague of the same agency stands in for them between two days.

Whatever the substitute does meanwhile is recorded as done by them "acting for" the absent user
(planapp.tasks.services.acting_for). Every change is audited; the caller's request commits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.accounts.models import Delegation, User
from planapp.audit.services import record, snapshot
from planapp.core import checks
from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.i18n import format_jalali, local_date
from planapp.extensions import db

AUDITED = ("user_id", "substitute_id", "starts_on", "ends_on", "reason")


def _day(value: Any, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationFailed(_l("Enter a real Jalali date, e.g. 1405/09/15."), field=field)
    return value


def _overlapping(user_id: int, starts: date, ends: date) -> sa.Select:
    return sa.select(Delegation).where(
        Delegation.user_id == user_id, Delegation.revoked_at.is_(None),
        Delegation.starts_on <= ends, Delegation.ends_on >= starts,
    ).order_by(Delegation.starts_on, Delegation.id).limit(1)


def _check_substitute(actor: User, substitute_id: Any) -> User:
    try:
        substitute = db.session.get(User, int(substitute_id)) if substitute_id not in (None, "") else None
    except (TypeError, ValueError):
        substitute = None
    if substitute is not None and substitute.id == actor.id:
        raise ValidationFailed(_l("You cannot be your own substitute."), field="substitute_id")
    if substitute is None or not substitute.is_active or substitute.agency_id != actor.agency_id:
        raise ValidationFailed(_l("Choose an active colleague of your own agency."), field="substitute_id")
    return substitute


def _summary(delegation: Delegation, substitute: User) -> str:
    return f"{substitute.name}: {format_jalali(delegation.starts_on)}–{format_jalali(delegation.ends_on)}"


def set_delegation(actor: User, data: dict[str, Any], now: datetime) -> Delegation:
    """While `actor` is away (data: starts_on, ends_on — dates —, substitute_id, reason), a colleague of the same
    agency stands in for them. Refused: the end before the start, a start in the past, someone of another agency
    (or oneself, or a deactivated account), and a period that overlaps one of the actor's active delegations."""
    starts, ends = _day(data.get("starts_on"), "starts_on"), _day(data.get("ends_on"), "ends_on")
    if ends < starts:
        raise ValidationFailed(_l("The absence ends before it starts."), field="ends_on")
    today = local_date(now)
    if starts < today:
        raise ValidationFailed(_l("The absence cannot start in the past (today is %(today)s).",
                                  today=format_jalali(today)), field="starts_on")
    substitute = _check_substitute(actor, data.get("substitute_id"))
    reason = checks.text(data.get("reason"), "reason", 300, required=False)
    # One writer per user at a time (PostgreSQL: a row lock; SQLite already serialises writers), so two
    # requests sent together cannot both pass the overlap check.
    db.session.execute(sa.select(User.id).where(User.id == actor.id).with_for_update())
    taken = db.session.scalar(_overlapping(actor.id, starts, ends))
    if taken is not None:
        raise ValidationFailed(
            _l("You already have a substitute from %(start)s to %(end)s (%(name)s). Revoke that delegation first, "
               "or choose other days.", start=format_jalali(taken.starts_on), end=format_jalali(taken.ends_on),
               name=taken.substitute.name), field="starts_on")
    away = db.session.scalar(_overlapping(substitute.id, starts, ends))
    if away is not None:
        raise ValidationFailed(
            _l("%(name)s is away too from %(start)s to %(end)s: choose another colleague.", name=substitute.name,
               start=format_jalali(away.starts_on), end=format_jalali(away.ends_on)), field="substitute_id")
    delegation = Delegation(user_id=actor.id, substitute_id=substitute.id, starts_on=starts, ends_on=ends,
                            reason=reason, created_at=now)
    db.session.add(delegation)
    db.session.flush()
    record(actor, "delegation.create", delegation, summary=_summary(delegation, substitute),
           after=snapshot(delegation, AUDITED))
    return delegation


def revoke_delegation(actor: User, delegation: Delegation, now: datetime) -> Delegation:
    """End a delegation of one's own now (or cancel one that has not begun). One that is over stays as it was."""
    if delegation.user_id != actor.id:
        raise ValidationFailed(_l("Only the person who named the substitute can revoke it."))
    if delegation.revoked_at is not None:
        raise Conflict(_l("This delegation was already revoked."))
    if delegation.ends_on < local_date(now):
        raise Conflict(_l("This delegation is already over."))
    delegation.revoked_at = now
    db.session.flush()
    record(actor, "delegation.revoke", delegation, summary=_summary(delegation, delegation.substitute),
           before={"revoked_at": None}, after={"revoked_at": now.isoformat()})
    return delegation
