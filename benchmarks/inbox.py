"""The officer's inbox with 500,000 tasks in the database (issue 4).

A fresh SQLite database is filled with generated tasks (plain dicts, one executemany per chunk through SQLAlchemy
core): a few plans, a few hundred agencies, realistic statuses and due dates; the officer's agency holds 2,000 of
them and the officer a few personal ones. The officer's inbox page (GET /tasks/?mine=1, signed in, through the test
client) is timed against a bare endpoint that renders one row of the same table, requests interleaved, and the
median and p95 of each are printed as ratios. Times are never asserted; the SQL statements per page are counted.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from flask import Flask, render_template_string

from benchmarks.harness import report_distribution
from planapp import create_app
from planapp.accounts import services as accounts
from planapp.agencies import services as agencies
from planapp.agencies.models import Agency
from planapp.core.clock import now
from planapp.core.i18n import local_date
from planapp.core.text import search_key
from planapp.extensions import db
from planapp.plans import services as plans
from planapp.plans.workflow import Stage
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task
from planapp.web.access import public

TASKS = 500_000
AGENCIES = 300
OFFICER_TASKS = 2_000  # held by the officer's agency
PERSONAL_TASKS = 5_000  # addressed to one person (no agency); 25 of them to the officer
OFFICER_PERSONAL = 25
PLANS = 6
CHUNK = 25_000
REQUESTS = 50
PASSWORD = "bench-password-1"  # noqa: S105  (a throw-away database)

TITLES = ["ارسال شاخص‌های اقتصادی، اجتماعی و فرهنگی", "ارائهٔ نقاط قوت، ضعف، فرصت و تهدید",
          "امتیازدهی ماتریس معیارها", "پیشنهاد اهداف و پیوند آن‌ها با اسناد بالادستی", "پیشنهاد برنامه‌ها و طرح‌ها",
          "زمان‌بندی و برآورد منابع طرح‌ها", "بررسی پیش‌نویس سند", "گزارش پیشرفت دوره‌ای طرح‌ها",
          "پیشنهاد اصلاحات سند", "تکمیل جدول آمار اشتغال شهرستان‌ها"]
PLAN_TITLES = ["برنامهٔ هفتم توسعهٔ استان آذربایجان شرقی", "برنامهٔ آمایش سرزمین استان",
               "برنامهٔ توسعهٔ گردشگری ارسباران", "برنامهٔ مدیریت منابع آب", "برنامهٔ توسعهٔ صنایع تبدیلی کشاورزی",
               "برنامهٔ حمل و نقل ریلی"]

# The bare baseline: one row of the same table, loaded and rendered the way the list does it.
ONE_ROW = """<table><tbody><tr id="task-{{ t.id }}"><td><a href="/tasks/{{ t.id }}/">{{ t.title }}</a></td>
<td>{{ t.plan.title }} · {{ t.stage.label }}</td><td>{{ t.agency.name if t.agency else "—" }}</td>
<td>{{ t.status.label }}</td><td>{{ t.due_on|jdate }}</td></tr></tbody></table>"""


def _status_for(rng: random.Random, due_offset: int) -> TaskStatus:
    """Old tasks are mostly closed; recent ones are spread over the cycle."""
    r = rng.random()
    if due_offset < -30:
        table = ((0.80, TaskStatus.ACCEPTED), (0.86, TaskStatus.CANCELLED), (0.91, TaskStatus.SUBMITTED),
                 (0.95, TaskStatus.RETURNED), (0.98, TaskStatus.IN_PROGRESS), (1.0, TaskStatus.OPEN))
    else:
        table = ((0.25, TaskStatus.OPEN), (0.50, TaskStatus.IN_PROGRESS), (0.68, TaskStatus.SUBMITTED),
                 (0.76, TaskStatus.RETURNED), (0.97, TaskStatus.ACCEPTED), (1.0, TaskStatus.CANCELLED))
    return next(status for limit, status in table if r < limit)


def _populate(app: Flask) -> dict:
    """People, agencies and plans through the services; the tasks in bulk. Returns what the timing needs."""
    rng = random.Random(4)  # the same database every run
    started = now()
    today = local_date(started)
    with app.app_context():
        flask_migrate.upgrade()
        for n in range(AGENCIES):
            agencies.create_agency(None, {"name": f"دستگاه اجرایی شمارهٔ {n + 1}", "kind": "government"})
        agency_ids = list(db.session.scalars(sa.select(Agency.id).order_by(Agency.id)))
        home = agency_ids[0]
        officer = accounts.create_user(None, {"email": "officer@example.ir", "name": "نرگس جعفری",
                                              "role": "officer", "agency_id": home}, PASSWORD)
        supervisor = accounts.create_user(None, {"email": "supervisor@example.ir", "name": "سارا احمدی",
                                                 "role": "supervisor", "agency_id": agency_ids[1]}, PASSWORD)
        others = [accounts.create_user(None, {"email": f"person{n}@example.ir", "name": f"کارشناس {n}",
                                              "role": "participant", "agency_id": agency_ids[2 + n]}, PASSWORD)
                  for n in range(20)]
        db.session.flush()
        plan_rows = []
        for title, stage in zip(PLAN_TITLES[:PLANS], list(Stage)[:PLANS], strict=True):
            plan = plans.create_plan(supervisor, {"title": title, "province": "آذربایجان شرقی",
                                                  "period_start": 1405, "period_end": 1409,
                                                  "description": "شرح", "owner_id": supervisor.id}, started)
            plan.stage = stage
            plan_rows.append((plan.id, title))
        db.session.commit()
        officer_id, supervisor_id = officer.id, supervisor.id
        other_ids = [person.id for person in others]
        keys = {(title, plan_title): search_key(title, plan_title) for title in TITLES for _, plan_title in plan_rows}

        # Which rows are the officer's: 2,000 agency tasks and 25 personal ones, spread through the id range.
        positions = rng.sample(range(TASKS), OFFICER_TASKS + PERSONAL_TASKS)
        mine = set(positions[:OFFICER_TASKS])
        personal = positions[OFFICER_TASKS:]
        personal_to = {position: (officer_id if n < OFFICER_PERSONAL else rng.choice(other_ids))
                       for n, position in enumerate(personal)}
        kinds, stages = list(TaskKind), list(Stage)[:PLANS]

        table = Task.__table__
        connection = db.session.connection()
        connection.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MB for the load: the indexes stay in memory
        load_started = time.perf_counter()
        for chunk_start in range(0, TASKS, CHUNK):
            rows = []
            for position in range(chunk_start, min(TASKS, chunk_start + CHUNK)):
                plan_id, plan_title = plan_rows[position % PLANS]
                title = TITLES[rng.randrange(len(TITLES))]
                offset = rng.randint(-400, 120)
                status = _status_for(rng, offset)
                due = today + timedelta(days=offset)
                created = started + timedelta(days=offset - 20)
                if position in personal_to:
                    agency_id, assignee_id = None, personal_to[position]
                else:
                    agency_id = home if position in mine else agency_ids[1 + position % (AGENCIES - 1)]
                    assignee_id = None
                worked = status not in (TaskStatus.OPEN, TaskStatus.CANCELLED)
                sent = status in (TaskStatus.SUBMITTED, TaskStatus.RETURNED, TaskStatus.ACCEPTED)
                reviewed = status in (TaskStatus.RETURNED, TaskStatus.ACCEPTED)
                rows.append({
                    "plan_id": plan_id, "stage": stages[position % PLANS], "template_id": None,
                    "kind": kinds[rng.randrange(len(kinds))], "title": title, "description": "",
                    "search_key": keys[title, plan_title], "agency_id": agency_id, "assignee_id": assignee_id,
                    "taken_by_id": officer_id if worked and agency_id == home else None, "status": status,
                    "mandatory": rng.random() < 0.7, "due_on": due, "created_at": created,
                    "created_by_id": supervisor_id, "submitted_at": created + timedelta(days=15) if sent else None,
                    "reviewed_at": created + timedelta(days=18) if reviewed else None,
                    "return_reason": "جدول ناقص است." if status == TaskStatus.RETURNED else "", "version": 1,
                })
            connection.execute(table.insert(), rows)  # one executemany per chunk
            done = min(TASKS, chunk_start + CHUNK)
            if done % 100_000 == 0 or done == TASKS:
                print(f"  … {done:,} tasks ({time.perf_counter() - load_started:.1f} s)", flush=True)
        db.session.commit()
        one_id = db.session.scalar(sa.select(Task.id).where(Task.agency_id == home).limit(1))
        counts = dict(db.session.execute(sa.select(Task.status, sa.func.count()).where(Task.agency_id == home)
                                         .group_by(Task.status)).all())
    return {"one_id": one_id, "officer_statuses": counts}


def _bare_endpoint(app: Flask, task_id: int) -> str:
    """GET /bench/one-task-row: the same table, one row (added before the first request, public policy)."""

    @public
    def one_task_row() -> str:
        task = db.session.get(Task, task_id)
        return render_template_string(ONE_ROW, t=task)

    app.add_url_rule("/bench/one-task-row", "bench_one_task_row", one_task_row)
    return "/bench/one-task-row"


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args) -> None:
        self.count += 1


def _queries_per_request(app: Flask, client, url: str) -> int:
    counter = QueryCounter()
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)
    return counter.count


def bench_inbox(folder: Path) -> None:
    print(f"Officer inbox ({TASKS:,} tasks, {AGENCIES} agencies, {PLANS} plans; the officer's agency holds "
          f"{OFFICER_TASKS:,}, {OFFICER_PERSONAL} personal)", flush=True)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'inbox.db'}"})
    started = time.perf_counter()
    data = _populate(app)
    statuses = ", ".join(f"{status.value} {n:,}" for status, n in sorted(data["officer_statuses"].items()))
    print(f"  database ready in {time.perf_counter() - started:.1f} s; the agency's tasks: {statuses}", flush=True)
    bare = _bare_endpoint(app, data["one_id"])

    client = app.test_client()
    assert client.post("/login", data={"email": "officer@example.ir", "password": PASSWORD}).status_code == 302
    inbox = "/tasks/?mine=1"
    first = client.get(inbox)
    assert first.status_code == 200, first.status_code
    assert "task-list" in first.text
    for _ in range(3):  # warm the template and statement caches
        client.get(inbox)
        client.get(bare)

    inbox_times, bare_times = [], []
    for n in range(REQUESTS):  # interleaved, so both see the same machine
        start = time.perf_counter()
        client.get(bare)
        bare_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        response = client.get(inbox)
        inbox_times.append(time.perf_counter() - start)
        assert response.status_code == 200
        if (n + 1) % 10 == 0:
            print(f"  … {n + 1}/{REQUESTS} requests", flush=True)
    report_distribution("officer inbox page (GET /tasks/?mine=1)", inbox_times, bare_times, "one row, same table")

    pages = {"page 1": inbox, "page 20": f"{inbox}&page=20", "all statuses": f"{inbox}&status=all",
             "search «ماتریس»": f"{inbox}&q=ماتریس", "htmx fragment": inbox}
    counts = []
    for name, url in pages.items():
        if name == "htmx fragment":
            client.environ_base.update({"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "task-list"})
        counts.append(f"{name} {_queries_per_request(app, client, url)}")
    client.environ_base.pop("HTTP_HX_REQUEST", None)
    client.environ_base.pop("HTTP_HX_TARGET", None)
    print(f"  SQL statements per inbox request: {', '.join(counts)}; "
          f"bare endpoint {_queries_per_request(app, client, bare)}", flush=True)
    with app.app_context():
        db.engine.dispose()
