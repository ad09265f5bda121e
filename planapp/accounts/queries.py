from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from planapp.accounts.models import User
from planapp.core.permissions import Role
from planapp.core.text import fold
from planapp.extensions import db


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def list_users(
    q: str = "", page: int = 1, per_page: int = 20, role: str = "", status: str = "active"
) -> Pagination:
    query = sa.select(User).order_by(User.name)
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
