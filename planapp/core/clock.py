"""The one place the application asks for the time, so tests can freeze it."""

from __future__ import annotations

from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(moment: datetime | None) -> None:
    """Freeze the clock at an aware datetime (None thaws it). For tests and simulations only."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = moment
