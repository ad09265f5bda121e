"""Run every benchmark on throw-away SQLite databases and print ratios to same-run baselines."""

from __future__ import annotations

import tempfile
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from argon2 import PasswordHasher

from benchmarks.analytics import bench_analytics
from benchmarks.harness import best_time, report
from benchmarks.imports import bench_imports
from benchmarks.inbox import bench_inbox
from benchmarks.reminders import bench_reminders
from planapp import create_app
from planapp.accounts import services as accounts
from planapp.agencies import services as agencies
from planapp.extensions import db

AGENCIES = 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.db'}"})
        with app.app_context():
            flask_migrate.upgrade()
            home = agencies.create_agency(None, {"name": "سازمان مدیریت", "kind": "government"})
            for n in range(AGENCIES):
                agencies.create_agency(None, {"name": f"دستگاه شماره {n}", "kind": "government"})
            accounts.create_user(None, {"email": "admin@example.ir", "name": "مدیر", "role": "admin",
                                        "agency_id": home.id}, "bench-password-1")
            db.session.commit()
        print(f"PlanApp benchmarks (SQLite, {AGENCIES} agencies)")
        bench_list_page(app)
        bench_sign_in(app)
        with app.app_context():
            db.engine.dispose()
        print(flush=True)
        bench_inbox(Path(folder))
        print(flush=True)
        bench_reminders(Path(folder))
        print(flush=True)
        bench_imports(Path(folder))
        print(flush=True)
        bench_analytics()


def bench_list_page(app) -> None:
    """The admin agency table (one page of 20, searched) against the bare query for the same page."""
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.ir", "password": "bench-password-1"})

    def page() -> None:
        assert client.get("/admin/agencies/?q=شماره 9", headers={"HX-Request": "true",
                                                          "HX-Target": "agency-table"}).status_code == 200

    def bare_query() -> None:
        with app.app_context():
            db.session.execute(sa.text(
                "SELECT * FROM agencies WHERE search_key LIKE :q ORDER BY name_key LIMIT 20"), {"q": "%شماره 9%"}
            ).all()
            db.session.execute(sa.text("SELECT count(*) FROM agencies WHERE search_key LIKE :q"),
                               {"q": "%شماره 9%"}).scalar()

    report("agency table fragment (search, page 1)", best_time(page, number=20),
           best_time(bare_query, number=20), "bare SQL for the same rows")


def bench_sign_in(app) -> None:
    """A whole sign-in request against the argon2id verification it must do."""
    hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    stored = hasher.hash("bench-password-1")

    def sign_in() -> None:
        client = app.test_client()
        client.post("/login", data={"email": "admin@example.ir", "password": "bench-password-1"})

    report("sign-in request", best_time(sign_in, number=5),
           best_time(lambda: hasher.verify(stored, "bench-password-1"), number=5), "one argon2id verify")


if __name__ == "__main__":
    main()
