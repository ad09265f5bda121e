"""Ad-hoc tasks and due dates (issue 4): a supervisor adds a task for an agency or a person, due on a working day
of the Iranian calendar, and moves several due dates with a reason; bad dates, bad targets and the wrong people
are refused in Persian.

Every test runs on SQLite and on PostgreSQL, with the clock frozen on Tuesday 1405/02/15 (2026-05-05) in Tehran.
Each refusal is checked for its Persian message and for leaving the database as it was.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.i18n import ascii_digits
from planapp.core.permissions import AccessDenied
from planapp.extensions import db
from planapp.notifications.models import Notification
from planapp.plans.workflow import Stage
from planapp.tasks import services
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task
from tests.factories import make_plan, make_user
from tests.task_helpers import (
    HOLIDAY,
    NEXT_DUE,
    NOW,
    client_for,
    count,
    doc,
    get,
    holiday,
    message,
    new_task,
    page_text,
    refused,
    state,
    task_events,
    task_world,
    titles_in,
)

# What the user reads (fa). Digits are compared after folding to ASCII.
FA_BAD_DATE = "یک تاریخ شمسی درست وارد کنید"
FA_NOT_WORKING_DAY = "روز کاری نیست"
FA_NEXT_WORKING_DAY = "نخستین روز کاری پس از آن"
FA_ONE_TARGET = "وظیفه را به یک دستگاه یا یک نفر بسپارید"
FA_PASSED = "این مهلت گذشته است"
FA_EXTEND_INCOMPLETE = "وظایف، مهلت جدید و دلیل را مشخص کنید"
FA_REQUIRED = "پر کردن این بخش الزامی است"

w = task_world  # a fixture from tests/task_helpers.py, under the name the tests use


# --- ad-hoc tasks and deadlines ----------------------------------------------------------------------------------


def new_task_form(**changes: Any) -> dict[str, Any]:
    data = {"title": "گزارش ویژهٔ سیلاب", "description": "برآورد خسارت", "kind": "other", "agency_id": "",
            "assignee_id": "", "due_on": "۱۴۰۵/۰۲/۲۲", "mandatory": "y"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def field_error(response, field: str) -> str:
    return ascii_digits(" ".join(" ".join(e.text_content().split())
                                 for e in doc(response).xpath(f'//p[@id="{field}-error"]')))


def test_a_supervisor_adds_an_ad_hoc_task_for_an_agency_or_a_person(ctx, w):
    reviewer = client_for(ctx, w.sup)
    assert reviewer.get(f"/tasks/new/{w.plan.id}").status_code == 200

    response = reviewer.post(f"/tasks/new/{w.plan.id}", data=new_task_form(agency_id=w.agency_a.id))
    assert response.status_code == 302, page_text(response)
    task = db.session.scalars(sa.select(Task)).one()
    assert response.headers["Location"].endswith(f"/tasks/{task.id}/")
    assert (task.title, task.description, task.plan_id, task.stage, task.agency_id, task.assignee_id,
            task.due_on, task.mandatory, task.status, task.created_by_id, task.kind) == (
        "گزارش ویژهٔ سیلاب", "برآورد خسارت", w.plan.id, Stage.SITUATION_ASSESSMENT, w.agency_a.id, None,
        NEXT_DUE, True, TaskStatus.OPEN, w.sup.id, TaskKind.OTHER)
    [event] = task_events(task, "task.create")
    assert event.actor_id == w.sup.id and event.after["due_on"] == "2026-05-12"
    assert sorted(n.user_id for n in db.session.scalars(sa.select(Notification).where(
        Notification.kind == "task.assigned"))) == sorted([w.a1.id, w.a2.id])
    assert "گزارش ویژهٔ سیلاب" in titles_in(client_for(ctx, w.a2).get("/tasks/"))

    # For one person, with ASCII digits and without leading zeros; not mandatory.
    response = reviewer.post(f"/tasks/new/{w.plan.id}", data=new_task_form(
        title="بازبینی شخصی", assignee_id=w.b1.id, due_on="1405/2/22", mandatory=None))
    assert response.status_code == 302
    personal = db.session.scalars(sa.select(Task).where(Task.title == "بازبینی شخصی")).one()
    assert (personal.assignee_id, personal.agency_id, personal.due_on, personal.mandatory) == (
        w.b1.id, None, NEXT_DUE, False)
    assert "بازبینی شخصی" in titles_in(client_for(ctx, w.b1).get("/tasks/"))
    assert "بازبینی شخصی" not in titles_in(client_for(ctx, w.a1).get("/tasks/"))


@pytest.mark.parametrize("role", ["viewer", "council_member", "admin", "supervisor"])
def test_a_personal_task_goes_only_to_someone_who_can_work_on_it(ctx, w, role):
    person = make_user(role, name="کسی که کار نمی‌کند")
    before = state()
    response = client_for(ctx, w.sup).post(f"/tasks/new/{w.plan.id}", data=new_task_form(assignee_id=person.id))
    assert response.status_code == 200 and "یک فرد فعال انتخاب کنید" in field_error(response, "assignee_id")
    assert state() == before


def _bad_new_task_cases():
    return [
        pytest.param({"due_on": "1405/13/40"}, "due_on", FA_BAD_DATE, id="invalid-jalali"),
        pytest.param({"due_on": "۱۴۰۵/۱۳/۴۰"}, "due_on", FA_BAD_DATE, id="invalid-jalali-persian-digits"),
        pytest.param({"due_on": "1405/12/30"}, "due_on", FA_BAD_DATE, id="esfand-30-of-a-common-year"),
        pytest.param({"due_on": "فردا"}, "due_on", FA_BAD_DATE, id="words"),
        pytest.param({"due_on": "۱۴۰۵/۰۲/۲۵"}, "due_on",
                     f"1405/02/25 {FA_NOT_WORKING_DAY} (تعطیل آخر هفته یا رسمی). {FA_NEXT_WORKING_DAY} 1405/02/26",
                     id="friday"),
        pytest.param({"due_on": "1405/02/17"}, "due_on", f"{FA_NEXT_WORKING_DAY} 1405/02/19", id="holiday"),
        pytest.param({"due_on": "1405/02/10"}, "due_on", FA_PASSED, id="past"),
        pytest.param({"title": ""}, "title", FA_REQUIRED, id="no-title"),
        pytest.param({"agency_id": "", "assignee_id": ""}, "agency_id", FA_ONE_TARGET, id="nobody"),
        pytest.param({"assignee_id": "ME"}, "agency_id", FA_ONE_TARGET, id="both"),
    ]


@pytest.mark.parametrize(("changes", "field", "expected"), _bad_new_task_cases())
def test_bad_input_for_a_new_task_is_refused_in_persian_and_nothing_is_stored(ctx, w, changes, field, expected):
    holiday(HOLIDAY)
    changes = {"agency_id": w.agency_a.id, **changes}
    if changes.get("assignee_id") == "ME":
        changes["assignee_id"] = w.a1.id
    reviewer = client_for(ctx, w.sup)
    before = state()
    response = reviewer.post(f"/tasks/new/{w.plan.id}", data=new_task_form(**changes))
    assert response.status_code == 200
    assert expected in field_error(response, field), page_text(response)
    assert state() == before


def test_the_friday_refusal_names_the_next_working_day_in_the_service_too(ctx, w):
    error = refused(ValidationFailed, services.create_task, w.sup, w.plan, {
        "title": "کار", "agency_id": w.agency_a.id, "due_on": "۱۴۰۵/۰۲/۲۵"}, NOW)
    assert (error.field, FA_NOT_WORKING_DAY in message(error)) == ("due_on", True)
    assert f"{FA_NEXT_WORKING_DAY} 1405/02/26" in message(error)
    assert count(Task) == 0


def test_only_supervisors_add_tasks_and_never_to_a_closed_plan(ctx, w):
    closed = make_plan(w.sup, stage="closed", title="برنامهٔ بسته")
    closed.closed_at = NOW
    db.session.commit()
    officer, reviewer = client_for(ctx, w.a1), client_for(ctx, w.sup)
    before = state()
    assert officer.get(f"/tasks/new/{w.plan.id}").status_code == 403
    assert officer.post(f"/tasks/new/{w.plan.id}", data=new_task_form(agency_id=w.agency_a.id)).status_code == 403
    refused(AccessDenied, services.create_task, w.a1, w.plan, {"title": "x", "agency_id": w.agency_a.id,
                                                               "due_on": NEXT_DUE}, NOW)
    refused(Conflict, services.create_task, w.sup, closed, {"title": "x", "agency_id": w.agency_a.id,
                                                            "due_on": NEXT_DUE}, NOW)
    assert reviewer.get(f"/tasks/new/{closed.id}").status_code == 404
    assert reviewer.post(f"/tasks/new/{closed.id}", data=new_task_form(agency_id=w.agency_a.id)).status_code == 404
    assert reviewer.get("/tasks/new/999999").status_code == 404
    assert state() == before


# --- moving due dates --------------------------------------------------------------------------------------------


def extend(client, tasks: list[Task], due_on: str, reason: str):
    return client.post("/tasks/extend", data={"task_id": [t.id for t in tasks], "due_on": due_on, "reason": reason},
                       follow_redirects=True)


def test_a_supervisor_moves_several_due_dates_with_a_reason(ctx, w):
    first = new_task(w, w.agency_a, title="کار یکم")
    second = new_task(w, w.agency_b, title="کار دوم", status=TaskStatus.SUBMITTED)
    done = new_task(w, w.agency_b, title="کار پذیرفته", status=TaskStatus.ACCEPTED)
    reviewer = client_for(ctx, w.sup)

    response = extend(reviewer, [first, second, done], "۱۴۰۵/۰۳/۰۵", "سیل و تعطیلی ادارات")
    assert response.status_code == 200 and response.request.path == "/tasks/review"
    assert "مهلت ۲ وظیفه تغییر کرد" in response.text  # in Persian digits
    new_due = date(2026, 5, 26)
    assert (get(first.id).due_on, get(second.id).due_on, get(done.id).due_on) == (new_due, new_due, NEXT_DUE)
    for task in (first, second):
        [event] = task_events(task, "task.extend")
        assert (event.actor_id, event.before, event.after) == (
            w.sup.id, {"due_on": "2026-05-12"}, {"due_on": "2026-05-26", "reason": "سیل و تعطیلی ادارات"})
    assert task_events(done, "task.extend") == []
    history = client_for(ctx, w.a1).get(f"/tasks/{first.id}/")
    assert "سیل و تعطیلی ادارات" in doc(history).xpath('//section[@id="task-history"]')[0].text_content()


@pytest.mark.parametrize(("due_on", "reason", "choose", "expected"), [
    ("۱۴۰۵/۰۳/۰۵", "", True, FA_EXTEND_INCOMPLETE),
    ("", "دلیل", True, FA_EXTEND_INCOMPLETE),
    ("۱۴۰۵/۰۳/۰۵", "دلیل", False, FA_EXTEND_INCOMPLETE),
    ("1405/13/40", "دلیل", True, FA_BAD_DATE),
    ("۱۴۰۵/۰۲/۲۵", "دلیل", True, f"{FA_NEXT_WORKING_DAY} 1405/02/26"),
    ("1405/02/01", "دلیل", True, FA_PASSED),
])
def test_a_bad_extension_is_refused_in_persian_and_changes_nothing(ctx, w, due_on, reason, choose, expected):
    task = new_task(w, w.agency_a)
    reviewer = client_for(ctx, w.sup)
    before = state()
    response = extend(reviewer, [task] if choose else [], due_on, reason)
    assert response.status_code == 200 and expected in page_text(response)
    assert state() == before


def test_officers_cannot_move_due_dates(ctx, w):
    task = new_task(w, w.agency_a)
    before = state()
    response = client_for(ctx, w.a1).post("/tasks/extend", data={"task_id": task.id, "due_on": "۱۴۰۵/۰۳/۰۵",
                                                                  "reason": "دلیل"})
    assert response.status_code == 403
    refused(AccessDenied, services.extend_due_dates, w.a1, [task.id], date(2026, 5, 26), "دلیل", NOW)
    assert state() == before
