"""Password reset by e-mail: a single-use link valid for at most an hour (RELIABILITY A4, A5).

Asking for a link answers the same whether the address is known or not (A4): the view shows one page, and both
paths here do the same kind of work (an e-mail rendered, an audit row written; only a known, active account's
e-mail and link are stored).
Using the link sets the password, ends every session of the account and lifts a sign-in lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from planapp.accounts import tokens
from planapp.accounts.invitations import check_password
from planapp.accounts.models import LoginThrottle, User, new_session_token
from planapp.accounts.passwords import hash_password
from planapp.accounts.services import normalize_email
from planapp.audit.services import record
from planapp.core.i18n import lazy_digits
from planapp.core.text import clean_line
from planapp.extensions import db
from planapp.mail.outbox import Email, queue
from planapp.mail.render import render_email

security_log = logging.getLogger("planapp.security")

MAX_VALID_MINUTES = 60  # ASVS 6.4.1 (RELIABILITY A5): whatever the setting says, never longer


def valid_minutes(configured: int) -> int:
    return max(1, min(int(configured), MAX_VALID_MINUTES))


def request_password_reset(email: str, now: datetime, minutes: int, ip: str | None = None) -> None:
    """Queue a reset e-mail if `email` is an active account's; otherwise do the same rendering and store nothing."""
    email = normalize_email(email)[:254]
    minutes = valid_minutes(minutes)
    user = db.session.scalar(sa.select(User).where(User.email == email, User.is_active.is_(True)))
    params = {"minutes": lazy_digits(minutes)}
    if user is None:  # the same work — an e-mail rendered, an audit row — and nothing sent
        render_email("password_reset", params, "/password/reset/" + "x" * 43, "fa")
        security_log.info("auth.reset_requested_unknown email=%r ip=%s", clean_line(email), ip)
        record(None, "auth.password_reset_requested", None, summary=clean_line(email), ip=ip, object_type="users")
        return
    raw = tokens.issue(tokens.PASSWORD_RESET, user, timedelta(minutes=minutes), now)  # older links stop working
    queue([Email("password_reset", f"password_reset:{tokens.hash_token(raw)[:40]}", params,
                 f"/password/reset/{raw}", user=user)], now)
    security_log.info("auth.reset_requested email=%r user=%s ip=%s", clean_line(email), user.id, ip)
    record(None, "auth.password_reset_requested", user, summary=user.email, ip=ip, object_type="users")


def reset_password(raw: str, password: str, now: datetime, ip: str | None = None) -> User:
    """Use the link (once): new password, every session ended, the sign-in lock of the address lifted."""
    check_password(password)
    token = tokens.consume(tokens.PASSWORD_RESET, raw, now)
    user = db.session.get(User, token.user_id)
    if not user.is_active:  # deactivated since the link was sent: the link is dead (the caller rolls back)
        raise tokens.LinkRefused(tokens.PASSWORD_RESET, tokens.UNKNOWN)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.session_token = new_session_token()
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.email == user.email))
    security_log.info("auth.password_reset email=%r user=%s ip=%s", clean_line(user.email), user.id, ip)
    record(user, "auth.password_reset", user, summary=user.email, ip=ip, object_type="users")
    return user
