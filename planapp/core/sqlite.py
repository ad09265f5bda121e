"""SQLite as a serious embedded database: WAL, a busy timeout, foreign keys, and IMMEDIATE transactions.

pysqlite starts transactions lazily and as DEFERRED, so two writers can both read and then fail to upgrade
their lock ("database is locked") without waiting. We take over BEGIN and ask for IMMEDIATE: writers queue
on the busy timeout instead (RELIABILITY D4). This is SQLAlchemy's documented recipe.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
