from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from planapp.accounts.models import User
from planapp.audit.models import AuditEvent
from planapp.core.paging import PeekPage, peek_paginate
from planapp.core.permissions import Role
from planapp.core.text import fold
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.plans.workflow import PUBLISHED, Stage

BOARD_CARDS_PER_STAGE = 12


def get_plan(plan_id: int) -> Plan | None:
    return db.session.get(Plan, plan_id)


def _visible(query: sa.Select, published_only: bool) -> sa.Select:
    return query.where(Plan.stage.in_(PUBLISHED)) if published_only else query


def _filtered(q: str = "", stage: str = "", owner_id: int | None = None, year: int | None = None,
              published_only: bool = False) -> sa.Select:
    query = _visible(sa.select(Plan), published_only)
    if q.strip():
        query = query.where(Plan.search_key.contains(fold(q), autoescape=True))
    if stage in set(Stage):
        query = query.where(Plan.stage == Stage(stage))
    if owner_id:
        query = query.where(Plan.owner_id == owner_id)
    if year:
        query = query.where(Plan.period_start <= year, Plan.period_end >= year)
    return query


def list_plans(page: int, per_page: int, **filters) -> Pagination:
    query = _filtered(**filters).order_by(Plan.updated_at.desc(), Plan.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def board(published_only: bool = False, **filters) -> dict[Stage, tuple[list[Plan], int]]:
    """Per stage: the most recently changed plans (a bounded number) and how many there are in all."""
    base = _filtered(published_only=published_only, **filters).subquery()
    counts = dict(db.session.execute(sa.select(base.c.stage, sa.func.count()).group_by(base.c.stage)).all())
    ranked = (
        _filtered(published_only=published_only, **filters)
        .add_columns(sa.func.row_number().over(partition_by=Plan.stage,
                                               order_by=(Plan.updated_at.desc(), Plan.id.desc())).label("rank"))
        .subquery()
    )
    plan_alias = sa.orm.aliased(Plan, ranked)
    rows = db.session.scalars(
        sa.select(plan_alias).where(ranked.c.rank <= BOARD_CARDS_PER_STAGE).order_by(ranked.c.rank)
    ).all()
    columns: dict[Stage, tuple[list[Plan], int]] = {}
    for stage in Stage:
        if published_only and stage not in PUBLISHED:
            continue
        columns[stage] = ([plan for plan in rows if plan.stage == stage], counts.get(stage, 0))
    return columns


def activity(plan_id: int, page: int, per_page: int = 20) -> PeekPage:
    query = (
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == "plans", AuditEvent.object_id == plan_id)
        .order_by(AuditEvent.id.desc())
    )
    return peek_paginate(query, page, per_page)


def supervisor_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(User.id, User.name).where(User.role == Role.SUPERVISOR, User.is_active.is_(True))
        .order_by(User.name, User.id)
    )
    return [(user_id, name) for user_id, name in rows]
