"""/healthz: 200 when the database answers, 503 without the error's text when it does not."""

from __future__ import annotations

import logging

import pytest

from planapp import create_app
from planapp.extensions import db


def test_healthz_ok_on_the_working_database(client):
    response = client.get("/healthz")  # no sign-in needed
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json()["status"] == "ok"
    assert response.get_json() == {"status": "ok", "database": "ok"}


UNREACHABLE = {
    # Nothing listens on port 1.
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/none",
    # SQLite cannot create a file in a directory that does not exist.
    "sqlite": "sqlite:///{tmp}/missing-directory/planapp.db",
}


@pytest.mark.parametrize("kind", list(UNREACHABLE))
def test_healthz_503_when_the_database_is_unreachable(kind, tmp_path, caplog):
    url = UNREACHABLE[kind].format(tmp=tmp_path)
    options = {"connect_args": {"connect_timeout": 5}} if kind == "postgresql" else {}
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options})
    try:
        with caplog.at_level(logging.ERROR):
            response = app.test_client().get("/healthz")
    finally:
        with app.app_context():
            db.engine.dispose()

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert set(body) <= {"status", "database"}
    for leak in ("127.0.0.1", "missing-directory", str(tmp_path), "refused", "unable to open", "psycopg",
                 "OperationalError", "sqlite3", "Traceback"):
        assert leak.lower() not in response.text.lower(), leak
    # The reason goes to the log, for the operators.
    assert any("health check" in record.getMessage() and record.exc_info for record in caplog.records)
