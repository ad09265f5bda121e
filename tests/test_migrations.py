"""Migrations are the only way the schema is made, and they make exactly what the models declare."""

from __future__ import annotations

import uuid

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from planapp.extensions import db
from tests.factories import make_user


def schema_drift() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_to_head_yields_exactly_the_models_schema(ctx):
    assert schema_drift() == []


def test_downgrade_and_upgrade_again(make_app, ctx, backend, tmp_path):
    """On a database of its own: base → head → base → head, the schema ends equal to the models'."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    else:
        # A second schema, so the session's own one is not disturbed.
        schema = f"roundtrip_{uuid.uuid4().hex[:8]}"
        db.session.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        db.session.commit()
        base = sa.make_url(ctx.config["SQLALCHEMY_DATABASE_URI"])
        url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    other = make_app(SQLALCHEMY_DATABASE_URI=url)
    with other.app_context():
        assert db.engine.url.render_as_string(hide_password=False) == url
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert schema_drift() == []
        make_user()  # the migrated schema takes real rows
    if backend == "postgresql":
        db.session.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        db.session.commit()
