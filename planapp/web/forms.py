"""The write step form handlers share: validate, change through a service, then commit or show the refusal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from planapp.core.errors import ValidationFailed
from planapp.core.forms import apply_service_error
from planapp.extensions import db

T = TypeVar("T")


@dataclass(frozen=True)
class Saved(Generic[T]):
    """A stored change and what its service returned (always truthy, even when the service returns None)."""

    value: T


def save_form(form: Any, change: Callable[[], T]) -> Saved[T] | None:
    """Validate `form`, run `change()` and commit the request's work: `Saved(result)`.

    None when nothing was stored: the form did not validate, or the service refused with ValidationFailed,
    in which case the session is rolled back and the refusal is shown next to its field (or at the form's top).
    The caller flashes and answers in both cases, so each view keeps its own messages and fragments.
    """
    if not form.validate_on_submit():
        return None
    try:
        value = change()
    except ValidationFailed as error:
        db.session.rollback()
        apply_service_error(form, error)
        return None
    db.session.commit()
    return Saved(value)
