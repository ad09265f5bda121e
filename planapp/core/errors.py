"""Errors raised by services; views turn them into messages in the user's language."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can act on. `message` is already translated (or a lazy string)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    pass


class Conflict(DomainError):
    """The object changed since the user loaded it, or a decision was already taken."""
