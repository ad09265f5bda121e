"""Paging without COUNT(*): for tables with millions of rows (audit log), fetch one row more to know if a next
page exists. Offers the attributes of Flask-SQLAlchemy's Pagination that the pager macro uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from planapp.extensions import db


@dataclass(frozen=True)
class PeekPage:
    items: list[Any]
    page: int
    per_page: int
    has_next: bool
    total: None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def peek_paginate(query: Select, page: int, per_page: int) -> PeekPage:
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)))
    return PeekPage(items=rows[:per_page], page=page, per_page=per_page, has_next=len(rows) > per_page)
