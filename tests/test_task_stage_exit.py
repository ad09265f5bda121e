"""What happens to tasks when a plan leaves a stage and when it comes back (issue 4), and the navigation count
that follows in-place task actions.

Rule: moving on cancels the optional tasks of other stages that nobody submitted (they can no longer change
anything); mandatory tasks and submissions waiting for review stay. Coming back to a stage opens its templates'
tasks again, except where the agency's task of that template is still active — no duplicates.
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from planapp.approvals import services as approvals
from planapp.approvals.models import RequestStatus, TransitionRequest
from planapp.core.i18n import ascii_digits
from planapp.extensions import db
from planapp.plans.effects import preview
from planapp.plans.workflow import Stage, get_transition
from planapp.tasks import services
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task, TaskTemplate
from tests.task_helpers import NOW, act, client_for, get, post_action, task_events, task_world

w = task_world


def templates(w):
    def template(stage, title, agency, mandatory):
        row = TaskTemplate(stage=stage, kind=TaskKind.OTHER, title=title, agencies=[agency], mandatory=mandatory,
                           due_in_days=5)
        db.session.add(row)
        return row

    made = {"indicators": template(Stage.SITUATION_ASSESSMENT, "ارسال شاخص‌ها", w.agency_a, True),
            "opinion": template(Stage.SITUATION_ASSESSMENT, "نظر اختیاری", w.agency_b, False),
            "swot": template(Stage.SITUATION_ASSESSMENT, "نقاط قوت و ضعف", w.agency_a, False),
            "scoring": template(Stage.ANALYSIS, "امتیازدهی", w.agency_a, True),
            "comment": template(Stage.ANALYSIS, "نظر بر تحلیل", w.agency_b, False)}
    db.session.commit()
    return made


def by_title(plan_id: int) -> dict[str, list[TaskStatus]]:
    result: dict[str, list[TaskStatus]] = {}
    for task in db.session.scalars(sa.select(Task).where(Task.plan_id == plan_id).order_by(Task.id)):
        result.setdefault(task.title, []).append(task.status)
    return result


def move(w, event: str, reason: str = "") -> None:
    """Ask (unless accepting the last mandatory task already asked by itself) and approve."""
    request = db.session.scalar(sa.select(TransitionRequest).where(
        TransitionRequest.plan_id == w.plan.id, TransitionRequest.status == RequestStatus.PENDING,
        TransitionRequest.event == event))
    if request is None:
        request = approvals.request_transition(w.sup, w.plan.id, event, reason, NOW)
        db.session.commit()
    approvals.decide_request(w.sup2, request.id, True, "", NOW)
    db.session.commit()


def test_moving_on_cancels_unsubmitted_optional_tasks_and_coming_back_does_not_duplicate(ctx, w):
    templates(w)
    services.create_stage_tasks(w.plan, Stage.SITUATION_ASSESSMENT, w.sup, NOW)
    db.session.commit()
    tasks = {t.title: t for t in db.session.scalars(sa.select(Task).where(Task.plan_id == w.plan.id))}
    for action in ("take", "submit"):
        act(w.a1, tasks["ارسال شاخص‌ها"], action)
        act(w.a1, tasks["نقاط قوت و ضعف"], action)  # optional, submitted: waits for review
    act(w.sup, tasks["ارسال شاخص‌ها"], "accept")
    # The confirm step says what happens to the optional task nobody submitted.
    lines = [ascii_digits(line) for line in preview(w.plan, get_transition("complete_assessment"))]
    assert any(line.startswith("1 ") and "اختیاری" in line and "لغو" in line for line in lines), lines

    move(w, "complete_assessment")
    assert by_title(w.plan.id) == {
        "ارسال شاخص‌ها": [TaskStatus.ACCEPTED],
        "نظر اختیاری": [TaskStatus.CANCELLED],
        "نقاط قوت و ضعف": [TaskStatus.SUBMITTED],
        "امتیازدهی": [TaskStatus.OPEN],
        "نظر بر تحلیل": [TaskStatus.OPEN],
    }
    cancelled = get(tasks["نظر اختیاری"].id)
    assert [e.after for e in task_events(cancelled, "task.cancel_stage_left")] == [
        {"status": "cancelled", "stage": "analysis"}]
    history = client_for(ctx, w.b1).get(f"/tasks/{cancelled.id}/").text
    assert "لغو شد: برنامه به مرحلهٔ دیگری رفت" in history

    move(w, "back_to_assessment", reason="داده‌ها ناقص است")
    assert by_title(w.plan.id) == {
        # Accepted before: opened afresh for the second pass.
        "ارسال شاخص‌ها": [TaskStatus.ACCEPTED, TaskStatus.OPEN],
        # Cancelled when the plan left: opened afresh too.
        "نظر اختیاری": [TaskStatus.CANCELLED, TaskStatus.OPEN],
        # Still waiting for review: carries on, no duplicate.
        "نقاط قوت و ضعف": [TaskStatus.SUBMITTED],
        # Mandatory analysis work stays for the return; the optional one nobody submitted is cancelled.
        "امتیازدهی": [TaskStatus.OPEN],
        "نظر بر تحلیل": [TaskStatus.CANCELLED],
    }


def test_the_navigation_count_follows_in_place_actions(ctx, w):
    task = services.create_task(w.sup, w.plan, {"title": "کار فوری", "agency_id": w.agency_a.id,
                                                "due_on": "1405/02/22", "kind": "other"}, NOW)
    db.session.commit()
    officer = client_for(ctx, w.a1)
    page = officer.get("/tasks/").text
    # The link reloads itself on "task-changed", without hx-target/hx-swap that the boosted link would inherit.
    wrapper = re.search(r'<span id="tasks-nav"[^>]*>', page).group(0)
    assert 'hx-get="/tasks/count"' in wrapper and 'hx-trigger="task-changed from:body"' in wrapper
    assert "hx-target" not in wrapper and "hx-swap" not in wrapper
    assert re.search(r'<span class="count"[^>]*>۱</span>', officer.get("/tasks/count").text)

    response = post_action(officer, task, "take")
    assert "task-changed" in response.headers["HX-Trigger"]
    response = post_action(officer, task, "submit")
    assert 'class="count"' not in officer.get("/tasks/count").text  # nothing left to do for agency A
    supervisor = client_for(ctx, w.sup)
    assert re.search(r'<span class="count"[^>]*>۱</span>', supervisor.get("/tasks/count").text)


def test_the_review_list_names_its_default_filter_for_what_it_shows(ctx, w):
    review = client_for(ctx, w.sup).get("/tasks/review").text
    assert re.search(r'<option value="active" selected>در انتظار بررسی</option>', review)
    inbox = client_for(ctx, w.a1).get("/tasks/").text
    assert re.search(r'<option value="active" selected>کارهای باز</option>', inbox)
