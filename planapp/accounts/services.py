"""Accounts: sign-in with throttling, and the admin's changes to users. No request objects here."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from planapp.accounts.models import LoginThrottle, User, new_session_token
from planapp.accounts.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from planapp.agencies.models import Agency
from planapp.audit.services import record, record_changes, snapshot
from planapp.core import checks
from planapp.core.clock import now
from planapp.core.errors import ValidationFailed
from planapp.core.permissions import Role
from planapp.core.text import clean_line, search_key
from planapp.extensions import db

security_log = logging.getLogger("planapp.security")

AUDITED = ("email", "name", "role", "agency_id", "language", "is_active")
LANGUAGES = ("fa", "en")


def normalize_email(email: str | None) -> str:
    return clean_line(email).lower()


# --- sign-in ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    user: User | None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


def _throttle_row(email: str, create: bool) -> LoginThrottle | None:
    row = db.session.get(LoginThrottle, email, with_for_update=True)
    if row is None and create:
        try:
            with db.session.begin_nested():
                row = LoginThrottle(email=email, failures=0)
                db.session.add(row)
        except IntegrityError:  # a concurrent failure created it first
            row = db.session.get(LoginThrottle, email, with_for_update=True, populate_existing=True)
    return row


def authenticate(
    email: str, password: str, *, ip: str | None, max_failures: int, lock_minutes: int
) -> SignIn:
    """Check a password. Known and unknown e-mails are treated alike: same work, same lock, same answer."""
    email = normalize_email(email)[:254]
    moment = now()
    throttle = _throttle_row(email, create=False)
    if throttle and throttle.locked_until and throttle.locked_until > moment:
        _log_event(None, "auth.login_locked", email, ip)
        return SignIn(None, locked_until=throttle.locked_until)

    user = db.session.scalar(sa.select(User).where(User.email == email))
    valid = verify_password(user.password_hash if user else DUMMY_HASH, password)
    if user is None or not valid or not user.is_active:
        throttle = _throttle_row(email, create=True)
        throttle.failures += 1
        throttle.last_failure_at = moment
        locked_until = None
        if throttle.failures >= max_failures:
            locked_until = throttle.locked_until = moment + timedelta(minutes=lock_minutes)
            throttle.failures = 0
        _log_event(user, "auth.login_failed", email, ip)
        return SignIn(None, locked_until=locked_until)

    if throttle is not None:  # success clears the failure count
        db.session.delete(throttle)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = moment
    _log_event(user, "auth.login", email, ip)
    return SignIn(user)


def sign_out(user: User, *, ip: str | None) -> None:
    """End every session of the user: a copied cookie stops working too."""
    user.session_token = new_session_token()
    _log_event(user, "auth.logout", user.email, ip)


def change_password(user: User, current: str, new: str, *, ip: str | None) -> None:
    if not verify_password(user.password_hash, current):
        raise ValidationFailed(_l("The current password is not correct."), field="current_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = now()
    user.session_token = new_session_token()
    _log_event(user, "auth.password_changed", user.email, ip)


def set_language(user: User, language: str) -> None:
    if language in LANGUAGES:
        user.language = language


def _log_event(user: User | None, action: str, email: str, ip: str | None) -> None:
    # Never the password; e-mail and IP are cleaned so they cannot forge log lines.
    security_log.info("%s email=%r user=%s ip=%s", action, clean_line(email), getattr(user, "id", None), ip)
    record(user, action, user, summary=clean_line(email), ip=ip, object_type="users")


# --- users (admin) ------------------------------------------------------------------------------------


def _check_email_free(email: str, exclude_id: int | None = None) -> None:
    checks.unique(User.email, email, exclude_id, _l("A user with this e-mail address already exists."), "email")


def _check_agency(agency_id: int | None) -> None:
    agency = db.session.get(Agency, agency_id) if agency_id else None
    if agency is None:
        raise ValidationFailed(_l("Choose the user's agency."), field="agency_id")
    if not agency.is_active:
        raise ValidationFailed(_l("This agency is deactivated."), field="agency_id")


def _apply(user: User, data: dict[str, Any]) -> None:
    user.email = normalize_email(checks.text(data.get("email"), "email", 254))
    user.name = checks.text(data.get("name"), "name", 120)
    user.role = Role(data["role"])
    user.agency_id = data["agency_id"]
    user.language = data.get("language") if data.get("language") in LANGUAGES else user.language or "fa"
    user.search_key = search_key(user.name, user.email)


def create_user(actor: Any, data: dict[str, Any], password: str) -> User:
    email = normalize_email(data["email"])
    _check_email_free(email)
    _check_agency(data.get("agency_id"))
    user = User(password_hash=hash_password(password), language="fa")
    _apply(user, data)
    db.session.add(user)
    db.session.flush()
    record(actor, "user.create", user, summary=user.email, after=snapshot(user, AUDITED))
    return user


def update_user(actor: Any, user: User, data: dict[str, Any]) -> User:
    _check_email_free(normalize_email(data["email"]), exclude_id=user.id)
    if data.get("agency_id") != user.agency_id:
        _check_agency(data.get("agency_id"))
    before = snapshot(user, AUDITED)
    _apply(user, data)
    db.session.flush()
    record_changes(actor, "user.update", user, before, snapshot(user, AUDITED), summary=user.email)
    return user


def set_user_active(actor: Any, user: User, active: bool) -> User:
    """Deactivate (never delete: the user's history stays) or reactivate an account."""
    if user.is_active == active:
        return user
    user.is_active = active
    if not active:
        user.session_token = new_session_token()  # ends the user's open sessions now
    db.session.flush()
    action = "user.reactivate" if active else "user.deactivate"
    record(actor, action, user, summary=user.email, before={"is_active": not active}, after={"is_active": active})
    return user
