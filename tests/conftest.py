"""Test harness: every database test runs on SQLite and on PostgreSQL (skipped, with the reason, if none answers).

Each test starts from empty tables. Requests made with the test client run in their own application context,
exactly as in production, so nothing (current user, session, `g`) leaks between the test and the request.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from planapp import create_app
from planapp.core import clock
from planapp.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

pytest_plugins = ["tests.browser_fixtures", "tests.smtp_fixtures"]


def _postgres_error() -> str | None:
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:  # any failure means "not reachable"; the reason is shown in the skip
        return str(error).splitlines()[0]
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """Replaces pytest-playwright 0.10's fallback `base_url` fixture (used when pytest-base-url is absent).

    That one is a session fixture defined as an instance method, which pytest 9.2 deprecates with a
    PytestRemovedIn10Warning raised from _pytest itself (so the pyproject filter for pytest_playwright
    does not catch it, and warnings are errors). These tests use absolute URLs from `live_server`.
    """
    return None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, private database per backend and per test run (PostgreSQL: its own schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'planapp.db'}"
        return
    error = _postgres_error()
    if error:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {error}")
    schema = f"planapp_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    # No waiting for the WAL flush at each commit: a test database need not survive a crash, and the suite commits
    # thousands of times (locks, isolation and constraints are unchanged).
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema} -csynchronous_commit=off"})
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


class IsolatedClient(FlaskClient):
    """A test client whose requests never share the test's application context.

    Before a request the test's own transaction is committed (so the request sees the test's rows and,
    on SQLite, is not blocked by the test's lock); afterwards the test's objects are expired so it reads
    what the request wrote.
    """

    def open(self, *args, **kwargs):  # type: ignore[override]
        _hand_over_database()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        _hand_over_database()
        return response


def _hand_over_database() -> None:
    from flask import has_app_context

    if has_app_context():
        db.session.commit()
        db.session.expire_all()


UPLOADS = Path(tempfile.mkdtemp(prefix="planapp-test-uploads-"))  # never the developer's instance/uploads


@pytest.fixture(scope="session", autouse=True)
def _remove_test_uploads() -> Iterator[None]:
    yield
    shutil.rmtree(UPLOADS, ignore_errors=True)


def build_app(database_url: str, **overrides) -> Flask:
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_FOLDER": str(UPLOADS), **overrides})
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = build_app(database_url)
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def make_app(database_url: str, app: Flask):
    """Another app on the same (migrated) database, with different settings (CSRF on, limits on, …)."""
    created: list[Flask] = []

    def factory(**overrides) -> Flask:
        other = build_app(database_url, **overrides)
        created.append(other)
        return other

    yield factory
    for other in created:
        with other.app_context():
            db.engine.dispose()


def _serial_key(table: sa.Table) -> list[sa.Column]:
    key = list(table.primary_key.columns)
    return key if len(key) == 1 and isinstance(key[0].type, sa.Integer) and key[0].autoincrement in (True, "auto") \
        else []


def _empty_all_tables() -> None:
    db.session.rollback()
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        # TRUNCATE costs ~80–200 ms however few rows a test left (it replaces each table's files), DELETE a few
        # ms; the append-only audit log refuses DELETE (its trigger) and nothing references it, so it alone is
        # truncated. Ids start again at 1, as after TRUNCATE … RESTART IDENTITY (the seeded catalog's ids).
        db.session.execute(sa.text("TRUNCATE audit_events RESTART IDENTITY"))
        for table in tables:
            if table.name != "audit_events":
                db.session.execute(table.delete())
        sequences = sa.union_all(*(sa.select(sa.func.pg_get_serial_sequence(t.name, column.name).label("s"))
                                   for t in tables for column in _serial_key(t)))
        db.session.execute(sa.select(sa.func.setval(sa.column("s"), 1, False))
                           .select_from(sequences.subquery()).where(sa.column("s").is_not(None)))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An application context for the test's own database work; the tables are emptied afterwards."""
    with app.app_context():
        try:
            yield app
        finally:
            clock.freeze(None)
            _empty_all_tables()


@pytest.fixture
def client(ctx: Flask) -> FlaskClient:
    return ctx.test_client()
