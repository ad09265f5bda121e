from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from functools import cached_property

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planapp.agencies.models import Agency
from planapp.core.db import JSONType, TimestampMixin, str_enum
from planapp.core.permissions import Role
from planapp.extensions import db


class EmailPreference(enum.StrEnum):
    IMMEDIATE = "immediate"  # each e-mail as it happens
    DIGEST = "digest"  # one e-mail a day with everything
    OFF = "off"  # only the critical ones (escalations, invitations, password resets, decisions to take)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(sa.String(120), index=True)
    search_key: Mapped[str] = mapped_column(sa.String(1200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    language: Mapped[str] = mapped_column(sa.String(5), default="fa")
    is_active: Mapped[bool] = mapped_column(default=True)
    email_preference: Mapped[EmailPreference] = mapped_column(str_enum(EmailPreference),
                                                              default=EmailPreference.IMMEDIATE)
    # Part of the login id in the session cookie: rotating it ends every session of this user
    # (sign-out, password change, deactivation), so a copied cookie dies with them.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]

    agency: Mapped[Agency] = relationship(lazy="joined")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @cached_property
    def acting_for_ids(self) -> frozenset[int]:
        """Users this one stands in for today (their delegations name this user as substitute)."""
        from planapp.core.clock import now
        from planapp.core.i18n import local_date

        today = local_date(now())
        rows = db.session.scalars(
            sa.select(Delegation.user_id).where(
                Delegation.substitute_id == self.id, Delegation.revoked_at.is_(None),
                Delegation.starts_on <= today, Delegation.ends_on >= today,
            )
        )
        return frozenset(rows)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class LoginThrottle(db.Model):
    """Failed sign-ins per e-mail address, known or not (so a lock reveals nothing about accounts)."""

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]


class Delegation(db.Model):
    """While `user` is away (starts_on..ends_on, Tehran days), `substitute` may act on their work.
    Whatever the substitute does is recorded as done by them "acting for" the absent user."""

    __tablename__ = "delegations"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id], lazy="joined")


class ActionToken(db.Model):
    """A signed-by-secrecy, expiring, single-use link: invitation, password reset, a decision to take.

    Only the SHA-256 of the random token is stored; `used_at` is set by one compare-and-swap, so a link works once.
    """

    __tablename__ = "action_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(30))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
