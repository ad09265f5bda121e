"""Reading indicator imports: one import, a user's list, a task's list (for the task page)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from planapp.core.paging import PeekPage, peek_paginate
from planapp.core.permissions import is_planning_staff
from planapp.extensions import db
from planapp.indicators.models import IndicatorImport

TASK_IMPORTS_SHOWN = 10


def get_import(import_id: int) -> IndicatorImport | None:
    return db.session.get(IndicatorImport, import_id)


def list_imports(user: Any, page: int, per_page: int) -> PeekPage:
    """The user's own imports, newest first; planning staff see everyone's."""
    query = sa.select(IndicatorImport).order_by(IndicatorImport.id.desc())
    if not is_planning_staff(user):
        query = query.where(IndicatorImport.user_id == user.id)
    return peek_paginate(query, page, per_page)


def task_imports(task_id: int) -> dict[str, Any]:
    """The context of the task page's partial `indicators/_task_imports.html`: the task's latest imports (with
    their status) and the task's id for the upload link. Whoever sees the task sees these imports."""
    imports = list(db.session.scalars(sa.select(IndicatorImport).where(IndicatorImport.task_id == task_id)
                                      .order_by(IndicatorImport.id.desc()).limit(TASK_IMPORTS_SHOWN)))
    return {"task_imports": imports, "import_task_id": task_id}
