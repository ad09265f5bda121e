"""The task inbox (issue 4): what each user sees and in which order, the review queue, filters, search as Persian
users type it, pagination, exports (X10) and the number of queries per page.

Every test runs on SQLite and on PostgreSQL, with the clock frozen on Tuesday 1405/02/15 (2026-05-05) in Tehran.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from werkzeug.http import parse_options_header

from planapp.accounts.models import User
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task
from tests.factories import make_plan
from tests.sql_helpers import count_statements
from tests.task_helpers import (
    NEXT_DUE,
    NOW,
    TODAY,
    World,
    client_for,
    count,
    delegate,
    doc,
    get,
    new_task,
    page_text,
    task_world,
    titles_in,
)

w = task_world  # a fixture from tests/task_helpers.py, under the name the tests use


# --- the inbox ---------------------------------------------------------------------------------------------------


def test_supervisors_are_sent_to_the_review_queue_unless_they_ask_for_their_own(ctx, w):
    mine = new_task(w, w.office, title="کار دفتر برنامه‌ریزی")
    reviewer = client_for(ctx, w.sup)
    response = reviewer.get("/tasks/?q=x")
    assert response.status_code == 302 and response.headers["Location"].startswith("/tasks/review")
    assert "q=x" in response.headers["Location"]
    response = reviewer.get("/tasks/?mine=1")
    assert response.status_code == 200, response.text[:2000]
    assert titles_in(response) == [mine.title]
    # The filter form and the export links keep "mine" once, whatever the query string holds.
    response = reviewer.get("/tasks/?mine=1&q=%DA%A9%D8%A7%D8%B1&status=all")
    assert response.status_code == 200 and titles_in(response) == [mine.title]
    officer = client_for(ctx, w.a1)
    assert officer.get("/tasks/?mine=1&kind=other").status_code == 200


def set_due(task: Task, due: date, status: TaskStatus | None = None) -> Task:
    task.due_on = due  # test setup: a date in the past cannot be given through the service
    if status is not None:
        task.status = status
    db.session.commit()
    return task


def test_the_inbox_shows_overdue_work_first_then_by_due_date(ctx, w):
    later = new_task(w, w.agency_a, title="کار هفتهٔ بعد", due=date(2026, 5, 12))
    soon = new_task(w, w.agency_a, title="کار فردا", due=date(2026, 5, 6))
    old = set_due(new_task(w, w.agency_a, title="کار دیرکرد قدیمی"), date(2026, 4, 20))
    recent = set_due(new_task(w, w.agency_a, title="کار دیرکرد تازه"), date(2026, 5, 4), TaskStatus.RETURNED)
    waiting = set_due(new_task(w, w.agency_a, title="کار ارسال‌شده"), date(2026, 4, 25), TaskStatus.SUBMITTED)
    personal = new_task(w, assignee=w.a1, title="کار شخصی علی", due=date(2026, 5, 9))
    set_due(new_task(w, w.agency_a, title="کار پذیرفته"), date(2026, 4, 1), TaskStatus.ACCEPTED)
    new_task(w, w.agency_b, title="کار دستگاه دیگر", due=date(2026, 5, 6))
    new_task(w, assignee=w.a2, title="کار شخصی مریم")

    page = client_for(ctx, w.a1).get("/tasks/")
    assert page.status_code == 200
    assert titles_in(page) == [old.title, recent.title, waiting.title, soon.title, personal.title, later.title]
    overdue = doc(page).xpath('//tr[contains(concat(" ", @class, " "), " overdue ")]/@id')
    assert overdue == [f"task-{old.id}", f"task-{recent.id}"]
    # The due dates are shown in Jalali.
    row = doc(page).xpath(f'//tr[@id="task-{soon.id}"]')[0].text_content()
    assert "۱۴۰۵/۰۲/۱۶" in row
    # The navigation counts the agency's work still to do (open, in progress, returned; not submitted).
    assert re.search(r'id="tasks-link"[^>]*>[^<]*<span class="count"[^>]*>۵</span>', page.text)
    # The supervisor's badge counts the submissions waiting for review.
    review = client_for(ctx, w.sup).get("/tasks/review")
    assert re.search(r'id="tasks-link"[^>]*>[^<]*<span class="count"[^>]*>۱</span>', review.text)
    assert titles_in(review) == [waiting.title]


def test_the_inbox_filters_by_plan_stage_status_and_kind(ctx, w):
    other_plan = make_plan(w.sup, stage="analysis", title="برنامهٔ گردشگری")
    first = new_task(w, w.agency_a, title="شاخص‌های راه", kind="submit_indicators")
    scoring = new_task(w, w.agency_a, title="امتیاز گردشگری", kind="score_matrix", plan=other_plan)
    submitted = new_task(w, w.agency_a, title="تحلیل ارسال‌شده", status=TaskStatus.SUBMITTED)
    accepted = new_task(w, w.agency_a, title="کار پذیرفته", status=TaskStatus.ACCEPTED)
    officer = client_for(ctx, w.a1)

    def titles(**params: Any) -> set[str]:
        response = officer.get("/tasks/", query_string=params)
        assert response.status_code == 200
        return set(titles_in(response))

    assert titles() == {first.title, scoring.title, submitted.title}
    assert titles(plan=other_plan.id) == {scoring.title}
    assert titles(plan=w.plan.id) == {first.title, submitted.title}
    assert titles(stage="analysis") == {scoring.title}
    assert titles(status="submitted") == {submitted.title}
    assert titles(status="accepted") == {accepted.title}
    assert titles(status="all") == {first.title, scoring.title, submitted.title, accepted.title}
    assert titles(kind="score_matrix") == {scoring.title}
    assert titles(kind="submit_indicators", plan=w.plan.id) == {first.title}
    # Unknown values are ignored rather than failing.
    assert titles(stage="nowhere", kind="x", status="x", plan="۱") == {first.title, scoring.title, submitted.title}
    # The plan is chosen from the filter form, open plans first.
    closed = make_plan(w.sup, stage="closed", title="برنامهٔ آغازین")
    form = doc(officer.get("/tasks/", query_string={"plan": other_plan.id}))
    options = [(o.get("value"), o.text_content(), o.get("selected") is not None)
               for o in form.xpath('//form[@id="task-search"]//select[@name="plan"]/option')]
    assert options == [("", "همهٔ برنامه‌ها", False), (str(w.plan.id), w.plan.title, False),
                       (str(other_plan.id), other_plan.title, True), (str(closed.id), closed.title, False)]
    # htmx asks for the list only.
    fragment = officer.get("/tasks/", query_string={"kind": "score_matrix"},
                           headers={"HX-Request": "true", "HX-Target": "task-list"})
    assert fragment.text.lstrip().startswith('<div id="task-list">') and "<html" not in fragment.text


@pytest.mark.parametrize(("title", "query"), [
    ("بررسی كيفيت آب", "کیفیت"),  # Arabic kaf and yeh in the title, Persian typed
    ("بررسی کیفیت آب", "كيفيت"),  # and the other way round
    ("گزارش پیشرفت می‌شود", "میشود"),  # ZWNJ in the title, none typed
    ("گزارش پیشرفت میشود", "می‌شود"),
    ("شاخص‌های سال ۱۴۰۴", "1404"),  # Persian digits in the title, ASCII typed
    ("شاخص‌های سال 1404", "۱۴۰۴"),
    ("شاخص‌های سال 1404", "١٤٠٤"),  # Arabic-Indic digits
    ("Road Indicators", "road"),
])
def test_search_treats_persian_text_as_users_type_it(ctx, w, title, query):
    wanted = new_task(w, w.agency_a, title=title)
    new_task(w, w.agency_a, title="کار دیگر")
    response = client_for(ctx, w.a1).get("/tasks/", query_string={"q": query})
    assert titles_in(response) == [wanted.title]


def test_search_finds_the_plan_title_and_escapes_like_wildcards(ctx, w):
    other_plan = make_plan(w.sup, title="برنامهٔ گردشگری")
    wanted = new_task(w, w.agency_a, title="کار یکم", plan=other_plan)
    new_task(w, w.agency_a, title="کار دوم")
    officer = client_for(ctx, w.a1)
    assert titles_in(officer.get("/tasks/", query_string={"q": "گردشگري"})) == [wanted.title]
    assert titles_in(officer.get("/tasks/", query_string={"q": "%"})) == []
    assert titles_in(officer.get("/tasks/", query_string={"q": "_"})) == []


def test_search_follows_a_renamed_plan(ctx, w):
    from planapp.plans import services as plans

    wanted = new_task(w, w.agency_a, title="کار یکم")
    new_task(w, w.agency_a, title="کار دوم", plan=make_plan(w.sup, title="برنامهٔ دیگر"))
    plan = db.session.get(Plan, w.plan.id)
    data = {"title": "برنامهٔ گردشگری ارسباران", "province": plan.province, "description": plan.description,
            "period_start": plan.period_start, "period_end": plan.period_end, "owner_id": plan.owner_id}
    old_title = plan.title
    plans.update_plan(w.sup, plan, data, plan.version)
    db.session.commit()
    officer = client_for(ctx, w.a1)
    assert titles_in(officer.get("/tasks/", query_string={"q": "گردشگري ارسباران"})) == [wanted.title]
    assert titles_in(officer.get("/tasks/", query_string={"q": old_title})) == []
    assert get(wanted.id).version == 1  # a rename does not make an open task page stale


def test_the_inbox_is_paginated(ctx, w):
    for n in range(25):
        new_task(w, w.agency_a, title=f"کار شمارهٔ {n:02d}", due=NEXT_DUE + timedelta(days=7 * (n // 5)))
    officer = client_for(ctx, w.a1)
    first, second = officer.get("/tasks/"), officer.get("/tasks/?page=2")
    assert len(titles_in(first)) == 20 and len(titles_in(second)) == 5
    assert set(titles_in(first)).isdisjoint(titles_in(second))
    assert "۲۵" in doc(first).xpath('//p[contains(@class, "count")]')[0].text_content()


# --- exports (X10) -----------------------------------------------------------------------------------------------

DANGEROUS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
             "\u200f=1+1"]  # the last one hides behind a right-to-left mark


def read_export(response, fmt: str) -> list[list[Any]]:
    assert response.status_code == 200, response.text[:2000]
    disposition = parse_options_header(response.headers["Content-Disposition"])
    assert disposition[0] == "attachment" and disposition[1]["filename"].endswith(f".{fmt}")
    if fmt == "csv":
        assert response.mimetype == "text/csv"
        return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formula anywhere
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_of_the_inbox_and_the_review_list_neutralise_formulas(ctx, w, fmt):
    for n, title in enumerate(DANGEROUS):
        new_task(w, w.agency_a, title=title, status=TaskStatus.SUBMITTED if n % 2 else None)
    new_task(w, w.agency_b, title="کار دستگاه دیگر", status=TaskStatus.SUBMITTED)

    inbox = read_export(client_for(ctx, w.a1).get(f"/tasks/export.{fmt}"), fmt)
    header, rows = inbox[0], inbox[1:]
    assert header[:4] == ["شماره", "برنامه", "مرحله", "وظیفه"]
    titles = [row[3] for row in rows]
    assert sorted(titles) == sorted("'" + title for title in DANGEROUS)
    assert "کار دستگاه دیگر" not in titles
    assert {row[1] for row in rows} == {w.plan.title}

    review = read_export(client_for(ctx, w.sup).get(f"/tasks/export.{fmt}?list=review"), fmt)
    titles = sorted(row[3] for row in review[1:])
    assert titles == sorted(["'" + DANGEROUS[1], "'" + DANGEROUS[3], "کار دستگاه دیگر"])
    # An officer asking for the review list gets the inbox: never other agencies' tasks.
    officer_review = read_export(client_for(ctx, w.a1).get(f"/tasks/export.{fmt}?list=review"), fmt)
    assert "کار دستگاه دیگر" not in [row[3] for row in officer_review[1:]]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_follow_the_filters(ctx, w, fmt):
    other_plan = make_plan(w.sup, title="برنامهٔ گردشگری")
    new_task(w, w.agency_a, title="کار برنامهٔ یکم")
    new_task(w, w.agency_a, title="کار گردشگری", plan=other_plan, kind="score_matrix")
    officer = client_for(ctx, w.a1)
    rows = read_export(officer.get(f"/tasks/export.{fmt}", query_string={"plan": other_plan.id}), fmt)[1:]
    assert [row[3] for row in rows] == ["کار گردشگری"]
    rows = read_export(officer.get(f"/tasks/export.{fmt}", query_string={"q": "برنامه یکم"}), fmt)[1:]
    assert [row[3] for row in rows] == ["کار برنامهٔ یکم"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_over_the_limit_is_refused_in_persian_never_cut_short(ctx, w, fmt, monkeypatch):
    from planapp.tasks import views

    monkeypatch.setattr(views, "EXPORT_LIMIT", 2)
    other_plan = make_plan(w.sup, title="برنامهٔ گردشگری")
    for n in range(2):
        new_task(w, w.agency_a, title=f"کار {n}", status=TaskStatus.SUBMITTED)
    new_task(w, w.agency_a, title="کار گردشگری", plan=other_plan)
    officer, reviewer = client_for(ctx, w.a1), client_for(ctx, w.sup)

    response = officer.get(f"/tasks/export.{fmt}", query_string={"mine": 1, "status": "all"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/tasks/?mine=1&status=all"
    page = officer.get(response.headers["Location"])
    assert "بیش از 2 وظیفه" in page_text(page) and "پالایه‌ها" in page_text(page)  # digits folded
    response = reviewer.get(f"/tasks/export.{fmt}", query_string={"list": "review", "status": "all"})
    assert response.status_code == 302 and response.headers["Location"] == "/tasks/review?status=all"
    # Exactly the limit, or fewer: every row is in the file.
    rows = read_export(reviewer.get(f"/tasks/export.{fmt}", query_string={"list": "review"}), fmt)
    assert sorted(row[3] for row in rows[1:]) == ["کار 0", "کار 1"]
    rows = read_export(officer.get(f"/tasks/export.{fmt}", query_string={"status": "all", "plan": other_plan.id}),
                       fmt)
    assert [row[3] for row in rows[1:]] == ["کار گردشگری"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_due_dates_are_jalali_in_persian_and_iso_in_english(ctx, w, fmt):
    new_task(w, w.agency_a, title="کار با مهلت")  # due 2026-05-12, 1405/02/22
    officer = client_for(ctx, w.a1)
    header, row = read_export(officer.get(f"/tasks/export.{fmt}"), fmt)[:2]
    assert row[header.index("مهلت")] == "1405/02/22"
    w.a1.language = "en"
    db.session.commit()
    header, row = read_export(officer.get(f"/tasks/export.{fmt}"), fmt)[:2]
    assert str(row[header.index("Due date")])[:10] == "2026-05-12"


# --- queries per page --------------------------------------------------------------------------------------------


def statements_for(client, url: str, **kwargs: Any) -> list[str]:
    db.session.commit()
    client.get(url, **kwargs)  # warm up
    with count_statements() as statements:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.text[:2000]
    return statements


def add_tasks(w: World, count_: int, start: int = 0) -> None:
    """Rows straight through the model (fast), spread over plans, agencies, people and statuses."""
    plans = [w.plan, *(make_plan(w.sup, title=f"برنامهٔ انبوه {n}") for n in range(2))] if start == 0 else \
        list(db.session.scalars(sa.select(Plan).order_by(Plan.id)))
    statuses = [TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED, TaskStatus.SUBMITTED]
    rows = []
    for n in range(start, start + count_):
        personal = n % 7 == 0
        rows.append(Task(plan_id=plans[n % len(plans)].id, stage=Stage.SITUATION_ASSESSMENT, kind=TaskKind.OTHER,
                         title=f"کار انبوه {n}", search_key=f"کار انبوه {n}",
                         agency_id=None if personal else (w.agency_a.id if n % 2 else w.agency_b.id),
                         assignee_id=(w.a1.id if n % 3 else w.a2.id) if personal else None,
                         taken_by_id=w.a2.id if n % 5 == 1 else None, status=statuses[n % 4],
                         due_on=TODAY + timedelta(days=n % 40 - 20), created_at=NOW, created_by_id=w.sup.id))
    db.session.add_all(rows)
    db.session.commit()


def test_the_number_of_queries_for_the_inbox_does_not_grow_with_tasks(ctx, w):
    delegate(w.a2, w.a1)  # delegations are part of the inbox's question too
    add_tasks(w, 10)
    officer, reviewer = client_for(ctx, w.a1), client_for(ctx, w.sup)
    # Every page shows rows with 10 tasks as with 500 (an empty page skips the loads of the rows' plans).
    urls = [(officer, "/tasks/"), (officer, "/tasks/?status=all&q=%DA%A9%D8%A7%D8%B1"),
            (officer, f"/tasks/?plan={w.plan.id}&stage=situation_assessment&kind=other"),
            (reviewer, "/tasks/review"), (reviewer, "/tasks/?mine=1")]
    small = [statements_for(client, url) for client, url in urls]
    assert statements_for(officer, "/tasks/") == small[0]  # deterministic

    add_tasks(w, 490, start=10)
    assert count(Task) == 500
    large = [statements_for(client, url) for client, url in urls]
    for (_, url), before, after in zip(urls, small, large, strict=True):
        assert len(after) == len(before), f"{url}\n\n" + "\n\n".join(after)
    assert len(small[0]) <= 12, "\n\n".join(small[0])
    assert len(titles_in(officer.get("/tasks/"))) == 20
    page_2 = statements_for(officer, "/tasks/?status=all&page=2")
    assert len(page_2) == len(large[0]), "\n\n".join(page_2)


def test_the_inbox_query_searches_by_index_for_agency_person_and_guest_tasks(ctx, w, backend):
    """A subquery in the inbox's OR once made SQLite scan all 500,000 tasks of the benchmark (88x slower): the
    plan must search the agency and person indexes, also for someone invited to a task as a guest."""
    if backend != "sqlite":
        pytest.skip("the plan of a tiny PostgreSQL table is a sequential scan whatever the indexes")
    from planapp.tasks import queries
    from planapp.tasks.models import task_guests

    guest_task = new_task(w, w.agency_b, title="کار مهمان")
    db.session.execute(task_guests.insert().values(task_id=guest_task.id, user_id=w.a1.id))
    db.session.commit()
    officer = db.session.get(User, w.a1.id)
    query = queries.inbox_query(officer, queries.TaskFilters(), TODAY)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = [row[-1] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))]
    assert any("ix_tasks_agency_inbox" in step for step in plan), plan
    assert any("ix_tasks_assignee_inbox" in step for step in plan), plan
    assert not any(step.startswith("SCAN tasks") for step in plan), plan
    assert guest_task.id in {task.id for task in db.session.scalars(query)}
