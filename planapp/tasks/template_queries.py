"""Reading task templates for their admin table."""

from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from planapp.agencies.models import Agency
from planapp.extensions import db
from planapp.plans.workflow import Stage
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import TaskTemplate

# Stages are stored as text: order them as the plan's life goes, not alphabetically.
STAGE_ORDER = sa.case({stage.value: stage.number for stage in Stage}, value=TaskTemplate.stage, else_=99)


def get_template(template_id: int) -> TaskTemplate | None:
    return db.session.get(TaskTemplate, template_id)


def list_templates(stage: str = "", kind: str = "", status: str = "active", page: int = 1,
                   per_page: int = 20) -> Pagination:
    """Templates in the order of the stages they belong to (the table groups them by stage)."""
    query = sa.select(TaskTemplate).order_by(STAGE_ORDER, TaskTemplate.id)
    if stage in set(Stage):
        query = query.where(TaskTemplate.stage == Stage(stage))
    if kind in set(TaskKind):
        query = query.where(TaskTemplate.kind == TaskKind(kind))
    if status == "active":
        query = query.where(TaskTemplate.is_active.is_(True))
    elif status == "inactive":
        query = query.where(TaskTemplate.is_active.is_(False))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def agency_options(locale: str, keep_ids: set[int] | frozenset[int] = frozenset()) -> list[tuple[int, str]]:
    """Active agencies to address a template to; those already on it stay listed even if deactivated."""
    visible = Agency.is_active.is_(True)
    if keep_ids:
        visible = sa.or_(visible, Agency.id.in_(sorted(keep_ids)))
    rows = db.session.scalars(sa.select(Agency).where(visible).order_by(Agency.name_key))
    return [(agency.id, agency.display_name(locale)) for agency in rows]
