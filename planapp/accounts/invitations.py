"""Inviting participants by e-mail — to an agency, or to one task — and accepting the invitation (RELIABILITY A5).

An invitation creates the account at once (a participant, inactive, with a password nobody knows) and e-mails a
single-use link that expires after INVITATION_VALID_DAYS days; the link lets the person choose a password, which
activates the account. Inviting to a task also makes the person a guest of that task (task_guests), so it is in
their inbox even when it belongs to another agency. No request objects here.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from planapp.accounts import tokens
from planapp.accounts.models import ActionToken, User, new_session_token
from planapp.accounts.passwords import MAX_LENGTH, MIN_LENGTH, hash_password
from planapp.accounts.services import LANGUAGES, _check_agency, normalize_email
from planapp.agencies.models import Agency
from planapp.audit.services import record
from planapp.core import checks
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import lazy_digits
from planapp.core.permissions import Perm, Role, require
from planapp.core.text import clean_line, search_key
from planapp.extensions import db
from planapp.mail.outbox import Email, queue
from planapp.tasks.models import Task, task_guests

security_log = logging.getLogger("planapp.security")


@dataclass(frozen=True)
class Invitation:
    user: User
    task: Task | None
    expires_at: datetime
    again: bool  # a new link for someone already invited (the older links stopped working)


def _valid_email(value: str) -> str:
    email = normalize_email(checks.text(value, "email", 254))
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationFailed(_l("Enter a valid e-mail address, e.g. name@example.ir."), field="email") from error
    return email


def check_password(password: str | None, field: str = "password") -> str:
    """The password rules of the account forms, applied by the services themselves too."""
    if not password or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValidationFailed(_l("The password must be %(min)s to %(max)s characters long.",
                                  min=lazy_digits(MIN_LENGTH), max=lazy_digits(MAX_LENGTH)), field=field)
    return password


def awaiting_first_sign_in(user: User) -> bool:
    """Invited, never signed in, no invitation link used yet: inviting again is sending a new link."""
    if user.is_active or user.last_login_at is not None:
        return False
    links = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(ActionToken.used_at))
        .where(ActionToken.purpose == tokens.INVITATION, ActionToken.user_id == user.id)
    ).one()
    return links[0] > 0 and links[1] == 0


def _new_participant(email: str, name: str, agency_id: int, language: str) -> User:
    user = User(email=email, name=name, role=Role.PARTICIPANT, agency_id=agency_id, language=language,
                is_active=False, search_key=search_key(name, email),
                # A password nobody knows: the account opens only through the invitation link.
                password_hash=hash_password(secrets.token_urlsafe(32)))
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as error:  # invited at the same moment by someone else
        raise ValidationFailed(_l("A user with this e-mail address already exists."), field="email") from error
    return user


def _add_guest(task: Task, user: User) -> None:
    known = db.session.scalar(sa.select(sa.func.count()).select_from(task_guests).where(
        task_guests.c.task_id == task.id, task_guests.c.user_id == user.id))
    if not known:
        db.session.execute(task_guests.insert().values(task_id=task.id, user_id=user.id))


def invite_participant(actor: User, data: dict[str, Any], now: datetime, valid_days: int) -> Invitation:
    """Create (or invite again) a participant and queue the invitation e-mail, in the caller's transaction.

    `data`: email, name, agency_id (a task invitation defaults to the task's agency), language, task_id."""
    require(actor, Perm.INVITE_PARTICIPANT)
    task = None
    if data.get("task_id"):
        task = db.session.get(Task, data["task_id"])
        if task is None:
            raise ValidationFailed(_l("This task does not exist."), field="task_id")
        require(actor, Perm.REVIEW_TASK, task)  # those who run the task (and its plan is still open)
    agency_id = data.get("agency_id") or (task.agency_id if task else None)
    _check_agency(agency_id)
    email = _valid_email(data.get("email"))
    name = checks.text(data.get("name"), "name", 120)
    language = data.get("language") if data.get("language") in LANGUAGES else "fa"

    user = db.session.scalar(sa.select(User).where(User.email == email))
    again = user is not None
    if user is None:
        user = _new_participant(email, name, agency_id, language)
    elif awaiting_first_sign_in(user):
        user.name, user.agency_id, user.language = name, agency_id, language  # the inviter may correct a typo
        user.search_key = search_key(name, email)
    else:
        raise ValidationFailed(_l("This e-mail address already belongs to an account. Invitations are for people "
                                  "without one: its owner can sign in, or use «Forgot your password?»."),
                               field="email")
    if task is not None:
        _add_guest(task, user)

    ttl = timedelta(days=valid_days)
    raw = tokens.issue(tokens.INVITATION, user, ttl, now, created_by=actor,
                       payload={"agency_id": agency_id, "task_id": task.id if task else None})
    agency = db.session.get(Agency, agency_id)
    params = {"inviter": clean_line(actor.name), "plan": task.plan.title if task else "",
              "agency": agency.display_name(language), "days": lazy_digits(valid_days)}
    queue([Email("invitation", f"invitation:{tokens.hash_token(raw)[:40]}", params, f"/invitation/{raw}",
                 user=user)], now)
    record(actor, "user.reinvite" if again else "user.invite", user, summary=email,
           after={"agency_id": agency_id, "task_id": task.id if task else None,
                  "expires_at": (now + ttl).isoformat()})
    return Invitation(user=user, task=task, expires_at=now + ttl, again=again)


def accept_invitation(raw: str, password: str, now: datetime, ip: str | None = None) -> User:
    """Use the invitation link (once) to choose a password: the account is active from now on."""
    check_password(password)
    token = tokens.consume(tokens.INVITATION, raw, now)
    user = db.session.get(User, token.user_id)
    user.password_hash = hash_password(password)
    user.is_active = True
    user.password_changed_at = user.last_login_at = now
    user.session_token = new_session_token()  # nothing opened before this moment stays open
    security_log.info("auth.invitation_accepted email=%r user=%s ip=%s", clean_line(user.email), user.id, ip)
    record(user, "user.invitation_accepted", user, summary=user.email, ip=ip,
           before={"is_active": False}, after={"is_active": True})
    return user


@dataclass(frozen=True)
class InvitationRow:
    token: ActionToken
    inviter: str
    task: Task | None

    def status(self, now: datetime) -> str:
        if self.token.used_at is not None:
            return "accepted"
        return "expired" if self.token.expires_at <= now else "waiting"


def recent_invitations(limit: int = 50) -> list[InvitationRow]:
    """The latest invitations with their person, inviter and task: three statements, whatever the number."""
    rows = list(db.session.scalars(
        sa.select(ActionToken).where(ActionToken.purpose == tokens.INVITATION)
        .order_by(ActionToken.created_at.desc(), ActionToken.id.desc()).limit(limit)))
    inviter_ids = {row.created_by_id for row in rows if row.created_by_id}
    names = {uid: name for uid, name in db.session.execute(
        sa.select(User.id, User.name).where(User.id.in_(inviter_ids)))} if inviter_ids else {}
    task_ids = {row.payload.get("task_id") for row in rows if row.payload.get("task_id")}
    found = {task.id: task for task in db.session.scalars(sa.select(Task).where(Task.id.in_(task_ids)))} \
        if task_ids else {}
    return [InvitationRow(row, names.get(row.created_by_id, ""), found.get(row.payload.get("task_id")))
            for row in rows]
