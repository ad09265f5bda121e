"""Counting the SQL statements a piece of code runs: the tests that prove "no query per row" use it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from planapp.extensions import db


@contextmanager
def count_statements(include_begin: bool = True) -> Iterator[list[str]]:
    """The statements sent while the block runs; without SQLite's BEGIN IMMEDIATE (planapp/core/sqlite.py) when
    `include_begin` is false, so both databases count the same."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if include_begin or not statement.startswith("BEGIN"):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before_cursor_execute)
