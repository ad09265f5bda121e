"""The reminder sweep over 100,000 open tasks (issue 5).

A fresh SQLite database holds 100,000 open tasks spread over 200 agencies (two officers each) with due dates from
20 days ago to 160 days ahead, so about one in eight is due soon, due today or late on the day of the run. The
sweep (claim the steps, write the in-app notifications, render and queue the e-mails) is timed against the
baseline the issue names: one indexed SELECT of the same due rows. The statements the sweep runs are counted (a
fixed number per chunk of reminders.CHUNK tasks, never one per task). A second sweep the same day finds everything
claimed. Times are printed, never asserted.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

from benchmarks.harness import report
from planapp import create_app
from planapp.accounts import services as accounts
from planapp.agencies import services as agencies
from planapp.core.clock import freeze
from planapp.extensions import db
from planapp.mail.models import OutboxMessage
from planapp.notifications.models import Notification
from planapp.plans import services as plans
from planapp.tasks import reminders
from planapp.tasks.lifecycle import TO_DO, TaskKind
from planapp.tasks.models import Task, TaskReminder

TASKS = 100_000
AGENCIES = 200
CHUNK = 20_000
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
TODAY = date(2026, 11, 24)
PASSWORD = "bench-password-1"  # noqa: S105  (a throw-away database)


def _populate(app) -> None:
    rng = random.Random(5)
    with app.app_context():
        flask_migrate.upgrade()
        agency_ids = [agencies.create_agency(None, {"name": f"دستگاه اجرایی شمارهٔ {n + 1}", "kind": "government"}).id
                      for n in range(AGENCIES)]
        for n, agency_id in enumerate(agency_ids):
            for k in range(2):
                accounts.create_user(None, {"email": f"officer{n}-{k}@example.ir", "name": f"کارشناس {n}-{k}",
                                            "role": "officer", "agency_id": agency_id}, PASSWORD)
        owner = accounts.create_user(None, {"email": "supervisor@example.ir", "name": "ناظر برنامه",
                                            "role": "supervisor", "agency_id": agency_ids[0]}, PASSWORD)
        plan = plans.create_plan(owner, {"title": "برنامهٔ هفتم توسعهٔ استان", "province": "آذربایجان شرقی",
                                         "period_start": 1405, "period_end": 1409, "description": "شرح",
                                         "owner_id": owner.id}, NOW)
        db.session.commit()
        statuses = sorted(TO_DO)
        connection = db.session.connection()
        for start in range(0, TASKS, CHUNK):
            connection.execute(Task.__table__.insert(), [{
                "plan_id": plan.id, "stage": plan.stage, "template_id": None, "kind": TaskKind.OTHER,
                "title": f"ارسال گزارش شمارهٔ {n}", "description": "", "search_key": "", "status": rng.choice(statuses),
                "agency_id": agency_ids[n % AGENCIES], "assignee_id": None, "taken_by_id": None, "mandatory": True,
                "due_on": TODAY + timedelta(days=rng.randint(-20, 160)), "created_at": NOW - timedelta(days=30),
                "created_by_id": owner.id, "return_reason": "", "version": 1,
            } for n in range(start, min(TASKS, start + CHUNK))])
        db.session.commit()


def _reset() -> None:
    for table in (TaskReminder, Notification, OutboxMessage):
        db.session.execute(sa.delete(table))
    db.session.commit()


def bench_reminders(folder: Path) -> None:
    print(f"Reminder sweep ({TASKS:,} open tasks, {AGENCIES} agencies with 2 officers each)", flush=True)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'reminders.db'}"})
    started = time.perf_counter()
    _populate(app)
    print(f"  database ready in {time.perf_counter() - started:.1f} s", flush=True)
    freeze(NOW)
    try:
        with app.app_context():
            horizon = TODAY + timedelta(days=reminders.LOOKAHEAD_DAYS)
            due_rows = sa.select(Task.id, Task.due_on, Task.agency_id, Task.title).where(
                Task.status.in_(TO_DO), Task.due_on <= horizon)

            def baseline() -> None:
                db.session.execute(due_rows).all()

            base = min(_timed(baseline) for _ in range(5))
            runs, statements = [], 0
            for _ in range(3):
                _reset()
                counter = _Counter()
                sa.event.listen(db.engine, "before_cursor_execute", counter)
                runs.append(_timed(lambda: reminders.sweep(NOW)))
                sa.event.remove(db.engine, "before_cursor_execute", counter)
                statements = counter.count
            steps = db.session.scalar(sa.select(sa.func.count()).select_from(TaskReminder))
            mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
            candidates = len(db.session.execute(due_rows).all())
            report("reminder sweep (claim, notify, queue e-mail)", min(runs), base, "one SELECT of the due rows")
            repeat = _timed(lambda: reminders.sweep(NOW))
            report("the same sweep again (nothing left to send)", repeat, base, "one SELECT of the due rows")
            print(f"  {candidates:,} tasks in the look-ahead → {steps:,} reminder steps, {mails:,} e-mails queued; "
                  f"{statements} SQL statements per sweep ({candidates // reminders.CHUNK + 1} chunks of "
                  f"{reminders.CHUNK:,} tasks)", flush=True)
            db.engine.dispose()
    finally:
        freeze(None)


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args) -> None:
        self.count += 1
