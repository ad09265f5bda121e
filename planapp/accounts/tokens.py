"""Links that act once: invitations, password resets, decisions to take (RELIABILITY A5).

The link carries a random token (32 bytes, URL-safe) signed for its purpose with the app's SECRET_KEY
(HMAC-SHA256, 86 characters in all); the database keeps only the SHA-256 of the whole, so a copy of the table opens
nothing, and a link that was not signed here (or was signed for another purpose, or before the key was changed) is
refused before any query. `peek` reads a link without using it (GET pages); `consume` uses it with one
compare-and-swap UPDATE, so of two requests racing with the same link exactly one wins, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from planapp.accounts.models import ActionToken, User
from planapp.core.errors import DomainError
from planapp.extensions import db

INVITATION = "invitation"
PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose name, not a password)
DECISION = "decision"
# Purposes where only the newest link of a person may work: a new one ends the older unused ones.
ONE_LIVE_LINK = frozenset({INVITATION, PASSWORD_RESET})

RANDOM_LENGTH = 43  # secrets.token_urlsafe(32)
TOKEN_LENGTH = 86  # the random part and its signature (32 bytes, URL-safe base64 without padding)

UNKNOWN, EXPIRED, USED = "unknown", "expired", "used"

# What the person reads, by purpose and reason: what happened, and what to do now.
_REFUSALS = {
    (INVITATION, UNKNOWN): _l("This invitation link is not valid. Check that you opened the whole address from "
                              "the e-mail, or ask the person who invited you to send a new invitation."),
    (INVITATION, EXPIRED): _l("This invitation link has expired (or a newer invitation was sent to you). Ask the "
                              "person who invited you to send a new invitation."),
    (INVITATION, USED): _l("This invitation link has already been used: it works only once. If you set your "
                           "password, sign in; if not, ask the person who invited you to send a new invitation."),
    (PASSWORD_RESET, UNKNOWN): _l("This password-reset link is not valid. Check that you opened the whole address "
                                  "from the e-mail, or ask for a new link."),
    (PASSWORD_RESET, EXPIRED): _l("This password-reset link has expired (or a newer one was sent to you). Ask for "
                                  "a new link on the «Forgot your password?» page."),
    (PASSWORD_RESET, USED): _l("This password-reset link has already been used: it works only once. Sign in with "
                               "your new password, or ask for a new link."),
    (DECISION, UNKNOWN): _l("This decision link is not valid. Open the plan in PlanApp to decide there."),
    (DECISION, EXPIRED): _l("This decision link has expired. Open the plan in PlanApp to decide there."),
    (DECISION, USED): _l("This decision link has already been used: it works only once. Open the plan in "
                         "PlanApp to see the decision."),
}


class LinkRefused(DomainError):
    """A link that cannot be used: unknown (404), expired or already used (410 Gone)."""

    def __init__(self, purpose: str, reason: str):
        super().__init__(_REFUSALS[(purpose, reason)])
        self.purpose, self.reason = purpose, reason

    @property
    def status(self) -> int:
        return 404 if self.reason == UNKNOWN else 410


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _signature(purpose: str, random_part: str) -> str:
    key = current_app.config["SECRET_KEY"]
    digest = hmac.new(key.encode() if isinstance(key, str) else key, f"{purpose}:{random_part}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _signed_here(purpose: str, raw: str) -> bool:
    """True when the link's token was signed by this app for this purpose (constant-time compare)."""
    if not raw or len(raw) != TOKEN_LENGTH or not raw.isascii():
        return False
    return hmac.compare_digest(raw[RANDOM_LENGTH:], _signature(purpose, raw[:RANDOM_LENGTH]))


def issue(purpose: str, user: User, ttl: timedelta, now: datetime, payload: dict[str, Any] | None = None,
          created_by: User | None = None) -> str:
    """A new link for `user`; returns the raw token (for the e-mail only — it is never stored)."""
    if purpose in ONE_LIVE_LINK:
        # The older unused links of this purpose stop working now (they read as expired, never as used).
        db.session.execute(
            sa.update(ActionToken)
            .where(ActionToken.purpose == purpose, ActionToken.user_id == user.id, ActionToken.used_at.is_(None),
                   ActionToken.expires_at > now)
            .values(expires_at=now)
            .execution_options(synchronize_session=False)
        )
    random_part = secrets.token_urlsafe(32)
    raw = random_part + _signature(purpose, random_part)
    db.session.add(ActionToken(purpose=purpose, token_hash=hash_token(raw), user_id=user.id, payload=payload or {},
                               created_at=now, expires_at=now + ttl,
                               created_by_id=created_by.id if created_by is not None else None))
    return raw


def _find(purpose: str, raw: str) -> ActionToken | None:
    if not _signed_here(purpose, raw):
        return None
    return db.session.scalar(
        sa.select(ActionToken).where(ActionToken.token_hash == hash_token(raw), ActionToken.purpose == purpose)
        .execution_options(populate_existing=True)
    )


def _reason(token: ActionToken | None, now: datetime) -> str | None:
    if token is None:
        return UNKNOWN
    if token.used_at is not None:
        return USED
    if token.expires_at <= now:
        return EXPIRED
    return None


def peek(purpose: str, raw: str, now: datetime) -> ActionToken:
    """The link's row if it may still be used; LinkRefused (unknown / expired / used) otherwise. Changes nothing."""
    token = _find(purpose, raw)
    reason = _reason(token, now)
    if reason is not None:
        raise LinkRefused(purpose, reason)
    return token


def consume(purpose: str, raw: str, now: datetime) -> ActionToken:
    """Use the link: one UPDATE … WHERE used_at IS NULL AND expires_at > now, which only one request can win.

    In the caller's transaction: if the work that follows fails and rolls back, the link still works."""
    if not _signed_here(purpose, raw):
        raise LinkRefused(purpose, UNKNOWN)
    result = db.session.execute(
        sa.update(ActionToken)
        .where(ActionToken.token_hash == hash_token(raw), ActionToken.purpose == purpose,
               ActionToken.used_at.is_(None), ActionToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = _find(purpose, raw)
    if result.rowcount != 1:
        # Lost the race, or it was never usable: say which (a row that looks usable now was used meanwhile).
        raise LinkRefused(purpose, _reason(token, now) or USED)
    return token
