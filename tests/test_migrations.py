"""Migrations are the only way the schema is made, and they make exactly what the models declare."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from planapp.extensions import db
from planapp.plans.workflow import Stage
from planapp.tasks.seed import TEMPLATES
from tests.factories import make_user


def schema_drift() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


@contextmanager
def empty_database(make_app, ctx: Flask, backend: str, tmp_path) -> Iterator[Flask]:
    """An app on an empty database of its own (a second schema on PostgreSQL, so the session's one is not
    disturbed), inside its application context."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    else:
        schema = f"roundtrip_{uuid.uuid4().hex[:8]}"
        db.session.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        db.session.commit()
        base = sa.make_url(ctx.config["SQLALCHEMY_DATABASE_URI"])
        url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    other = make_app(SQLALCHEMY_DATABASE_URI=url)
    try:
        with other.app_context():
            assert db.engine.url.render_as_string(hide_password=False) == url
            yield other
    finally:
        if backend == "postgresql":
            db.session.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            db.session.commit()


def test_upgrade_to_head_yields_exactly_the_models_schema(ctx):
    assert schema_drift() == []


def test_downgrade_and_upgrade_again(make_app, ctx, backend, tmp_path):
    """On a database of its own: base → head → base → head, the schema ends equal to the models'."""
    with empty_database(make_app, ctx, backend, tmp_path):
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert schema_drift() == []
        make_user()  # the migrated schema takes real rows


def test_0014_gives_the_templates_seeded_before_it_their_words_and_leaves_an_admins_alone(make_app, ctx, backend,
                                                                                           tmp_path):
    seeded = {(stage, title): (fa, en) for stage, _kind, title, _title_en, fa, en, *_ in TEMPLATES}
    indicators_title = "ارسال شاخص‌های اقتصادی، اجتماعی و فرهنگی"
    goals_title = "پیشنهاد اهداف و پیوند آن‌ها با اسناد بالادستی"
    indicators_fa, indicators_en = seeded[(Stage.SITUATION_ASSESSMENT, indicators_title)]
    goals_fa, goals_en = seeded[(Stage.GOALS, goals_title)]
    # name: (stage, title, description, description_en) as 0013's databases hold them
    rows = {
        "seeded": ("situation_assessment", indicators_title, indicators_fa, ""),
        "own English": ("situation_assessment", indicators_title, indicators_fa, "The admin's English."),
        "reworded": ("situation_assessment", indicators_title, "شاخص‌ها را تا پایان خرداد بفرستید.", ""),
        "seeded empty": ("goals", goals_title, "", ""),
        "described by the admin": ("goals", goals_title, "اهداف را با سند آمایش بسنجید.", ""),
        "another template": ("goals", "قالب دیگر", "", ""),
    }
    with empty_database(make_app, ctx, backend, tmp_path):
        flask_migrate.upgrade(revision="0013")
        now = datetime(2026, 5, 5, tzinfo=UTC)
        ids = {}
        for name, (stage, title, fa, en) in rows.items():
            ids[name] = db.session.execute(sa.text(
                "INSERT INTO task_templates (stage, kind, title, description, description_en, mandatory, "
                "due_in_days, is_active, created_at, updated_at) VALUES (:stage, 'other', :title, :fa, :en, true, "
                "10, true, :now, :now) RETURNING id"), {"stage": stage, "title": title, "fa": fa, "en": en,
                                                        "now": now}).scalar_one()
        db.session.commit()

        def words() -> dict[str, tuple[str, str]]:
            found = {id_: (fa, en) for id_, fa, en in db.session.execute(sa.text(
                "SELECT id, description, description_en FROM task_templates"))}
            db.session.commit()
            return {name: found[ids[name]] for name in rows}

        flask_migrate.upgrade(revision="0014")
        assert words() == {
            "seeded": (indicators_fa, indicators_en),
            "own English": (indicators_fa, "The admin's English."),
            "reworded": ("شاخص‌ها را تا پایان خرداد بفرستید.", ""),
            "seeded empty": (goals_fa, goals_en),
            "described by the admin": ("اهداف را با سند آمایش بسنجید.", ""),
            "another template": ("", ""),
        }
        # Down again: only the words 0014 wrote are taken back.
        flask_migrate.downgrade(revision="0013")
        assert words() == {name: (fa, en) for name, (_stage, _title, fa, en) in rows.items()}
