from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from planapp.accounts.models import Delegation, User
from planapp.core.permissions import Role
from planapp.core.text import fold
from planapp.extensions import db


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def list_users(
    q: str = "", page: int = 1, per_page: int = 20, role: str = "", status: str = "active"
) -> Pagination:
    query = sa.select(User).order_by(User.name, User.id)  # two people may share a name: pages must not overlap
    if q.strip():
        query = query.where(User.search_key.contains(fold(q), autoescape=True))
    if role in set(Role):
        query = query.where(User.role == Role(role))
    if status == "active":
        query = query.where(User.is_active.is_(True))
    elif status == "inactive":
        query = query.where(User.is_active.is_(False))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def count_users_by_role() -> dict[Role, int]:
    rows = db.session.execute(
        sa.select(User.role, sa.func.count()).where(User.is_active.is_(True)).group_by(User.role)
    )
    return {role: count for role, count in rows}


def colleague_choices(user: User) -> list[tuple[int, str]]:
    """Who may stand in for `user`: the other active people of the same agency."""
    rows = db.session.execute(sa.select(User.id, User.name).where(
        User.agency_id == user.agency_id, User.is_active.is_(True), User.id != user.id).order_by(User.name, User.id))
    return [(user_id, name) for user_id, name in rows]


def get_own_delegation(user: User, delegation_id: int) -> Delegation | None:
    """The delegation if it is `user`'s own; None otherwise (another user's delegation is not shown to exist)."""
    return db.session.scalar(sa.select(Delegation).where(Delegation.id == delegation_id,
                                                         Delegation.user_id == user.id))


def delegations_of(user: User, today: date, limit: int = 50) -> tuple[list[Delegation], list[Delegation]]:
    """(current and planned, past or revoked) delegations that `user` made."""
    current = sa.and_(Delegation.revoked_at.is_(None), Delegation.ends_on >= today)
    mine = sa.select(Delegation).where(Delegation.user_id == user.id)
    upcoming = db.session.scalars(mine.where(current).order_by(Delegation.starts_on, Delegation.id).limit(limit))
    past = db.session.scalars(mine.where(sa.not_(current)).order_by(Delegation.starts_on.desc(),
                                                                    Delegation.id.desc()).limit(limit))
    return list(upcoming), list(past)


def standing_in_for(user: User, today: date) -> list[Delegation]:
    """Current and planned delegations that name `user` as the substitute."""
    return list(db.session.scalars(sa.select(Delegation).where(
        Delegation.substitute_id == user.id, Delegation.revoked_at.is_(None), Delegation.ends_on >= today,
    ).order_by(Delegation.starts_on, Delegation.id)))
