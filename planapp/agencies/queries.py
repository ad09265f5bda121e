from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from planapp.agencies.models import Agency
from planapp.core.text import fold
from planapp.extensions import db


def get_agency(agency_id: int) -> Agency | None:
    return db.session.get(Agency, agency_id)


def list_agencies(q: str = "", page: int = 1, per_page: int = 20, status: str = "active") -> Pagination:
    query = sa.select(Agency).order_by(Agency.name_key)
    if q.strip():
        query = query.where(Agency.search_key.contains(fold(q), autoescape=True))
    if status == "active":
        query = query.where(Agency.is_active.is_(True))
    elif status == "inactive":
        query = query.where(Agency.is_active.is_(False))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def agency_choices(
    locale: str, exclude_id: int | None = None, keep_id: int | None = None
) -> list[tuple[int, str]]:
    """Active agencies to choose from; `keep_id` (the current choice) stays listed even if deactivated."""
    visible = Agency.is_active.is_(True)
    if keep_id:
        visible = sa.or_(visible, Agency.id == keep_id)
    rows = db.session.scalars(
        sa.select(Agency).where(visible, Agency.id != (exclude_id or 0)).order_by(Agency.name_key)
    )
    return [(agency.id, agency.display_name(locale)) for agency in rows]
