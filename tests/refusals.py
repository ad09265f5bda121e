"""Checking a service's refusal: call it expecting the error, roll back as a view would, read what the user reads."""

from __future__ import annotations

from typing import Any

import pytest

from planapp.extensions import db


def refused(error_type: type[Exception], call, *args: Any, **kwargs: Any) -> Exception:
    """Call a service that must refuse; roll the unit of work back as a view would."""
    with pytest.raises(error_type) as info:
        call(*args, **kwargs)
    db.session.rollback()
    return info.value


def message(error: Exception) -> str:
    """The refusal's text as the user reads it (digits as written: Persian ones stay Persian)."""
    return str(getattr(error, "message", None) or getattr(error, "description", "") or error)
