"""Checks services apply themselves, whatever the caller (form, CLI, API): forms are not the only door."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.core.errors import ValidationFailed
from planapp.core.i18n import lazy_digits
from planapp.core.text import clean_line
from planapp.extensions import db


def text(value: str | None, field: str, max_length: int, required: bool = True) -> str:
    """A single line of text, cleaned; refused if required and blank, or longer than the column."""
    cleaned = clean_line(value)
    if required and not cleaned:
        raise ValidationFailed(_l("This field is required."), field=field)
    if len(cleaned) > max_length:
        raise ValidationFailed(_l("At most %(n)s characters are allowed.", n=lazy_digits(max_length)), field=field)
    return cleaned


def unique(column: Any, value: Any, exclude_id: int | None, message: Any, field: str) -> None:
    """Refuse `value` when another row of `column`'s table (not `exclude_id`, the row being edited) already has it."""
    others = column.class_.id != (exclude_id or 0)
    if db.session.scalar(sa.select(sa.func.count()).where(column == value, others)):
        raise ValidationFailed(message, field=field)
