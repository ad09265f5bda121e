"""The task cycle (issue 4): take → submit → return → resubmit → accept through the pages, cancel, and the
refusals: an action from the wrong state, a reviewer's action by an officer, a stale version, a crafted form, and
work on a closed plan's task.

Every test runs on SQLite and on PostgreSQL, with the clock frozen on Tuesday 1405/02/15 (2026-05-05) in Tehran.
A refused action is checked for its Persian message and for leaving the database (and the upload folder) as it was.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.permissions import AccessDenied
from planapp.extensions import db
from planapp.notifications.models import Notification
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.tasks import services
from planapp.tasks.lifecycle import ACTIONS, TaskStatus
from tests.task_helpers import (
    NOW,
    PDF,
    act,
    client_for,
    doc,
    get,
    message,
    new_task,
    panel_status,
    post_action,
    refused,
    state,
    task_events,
    task_world,
    titles_in,
    upload,
    upload_folder,
)

# What the user reads (fa). Digits are compared after folding to ASCII.
FA_WRONG_STATE = "اکنون ممکن نیست"
FA_STALE = "شخص دیگری آن را تغییر داده است"
FA_GIVE_REASON = "دلیل را بنویسید"

w, uploads = task_world, upload_folder  # fixtures from tests/task_helpers.py, under the names the tests use


def panel_version(response) -> int:
    match = re.search(r'id="task-panel"[^>]*data-version="(\d+)"', response.text)
    assert match, response.text[:3000]
    return int(match.group(1))


# --- the cycle ---------------------------------------------------------------------------------------------------


def test_take_submit_return_resubmit_accept_through_the_pages(ctx, w, uploads):
    task = new_task(w, w.agency_a, title="ارسال شاخص‌های راه")
    officer, reviewer = client_for(ctx, w.a1), client_for(ctx, w.sup)

    page = officer.get(f"/tasks/{task.id}/")
    assert page.status_code == 200 and panel_status(page) == "open"
    assert 'id="action-take"' in page.text and 'id="action-accept"' not in page.text

    response = post_action(officer, task, "take")
    assert response.status_code == 200 and panel_status(response) == "in_progress"
    assert get(task.id).taken_by_id == w.a1.id
    assert 'id="action-submit"' in response.text

    # The work: a comment and a file, then submit.
    response = officer.post(f"/tasks/{task.id}/comments", data={"body": "شاخص‌ها پیوست شد."})
    assert response.status_code == 200 and "شاخص‌ها پیوست شد." in response.text
    response = upload(officer, task, "شاخص‌ها.pdf", PDF)
    assert response.status_code == 200 and "شاخص‌ها.pdf" in response.text
    response = post_action(officer, task, "submit")
    assert response.status_code == 200 and panel_status(response) == "submitted"
    assert get(task.id).submitted_at == NOW
    assert [n.user_id for n in db.session.scalars(sa.select(Notification).where(
        Notification.kind == "task.submitted"))] == [w.plan.owner_id]

    # The reviewer sees it waiting, with the comment and the file.
    queue = reviewer.get("/tasks/review")
    assert "ارسال شاخص‌های راه" in titles_in(queue)
    detail = reviewer.get(f"/tasks/{task.id}/")
    assert "شاخص‌ها پیوست شد." in detail.text and "شاخص‌ها.pdf" in detail.text
    assert 'id="action-accept"' in detail.text and 'id="action-return"' in detail.text
    assert 'id="action-submit"' not in detail.text

    # Return needs a reason.
    before = state(uploads)
    response = post_action(reviewer, task, "return", reason="   ")
    assert response.status_code == 200 and FA_GIVE_REASON in response.text and 'id="task-error"' in response.text
    assert state(uploads) == before
    response = post_action(reviewer, task, "return", reason="سال ۱۴۰۴ جا افتاده است.")
    assert response.status_code == 200 and panel_status(response) == "returned"
    assert get(task.id).return_reason == "سال ۱۴۰۴ جا افتاده است."
    returned = [n.user_id for n in db.session.scalars(sa.select(Notification).where(
        Notification.kind == "task.returned"))]
    assert returned == [w.a1.id]  # the officer who took it

    # The officer reads why, and resubmits.
    page = officer.get(f"/tasks/{task.id}/")
    assert "سال ۱۴۰۴ جا افتاده است." in doc(page).xpath('//p[@id="return-reason"]')[0].text_content()
    assert f"/tasks/{task.id}/" in officer.get("/tasks/").text  # still in the inbox
    response = post_action(officer, task, "submit")
    assert response.status_code == 200 and panel_status(response) == "submitted"

    response = post_action(reviewer, task, "accept")
    assert response.status_code == 200 and panel_status(response) == "accepted"
    done = get(task.id)
    assert (done.status, done.reviewed_at, done.return_reason, done.taken_by_id) == (TaskStatus.ACCEPTED, NOW, "",
                                                                                      w.a1.id)
    assert 'id="action-' not in response.text  # nothing left to do
    # Every step is in the audit log and in the task's history.
    assert [e.action for e in task_events(task)] == [
        "task.create", "task.take", "task.comment", "task.attach", "task.submit", "task.return", "task.submit",
        "task.accept"]
    assert [(e.actor_id, e.before, e.after) for e in task_events(task, "task.return")] == [
        (w.sup.id, {"status": "submitted"}, {"status": "returned", "reason": "سال ۱۴۰۴ جا افتاده است."})]
    history = doc(officer.get(f"/tasks/{task.id}/")).xpath('//section[@id="task-history"]//li')
    assert len(history) == 8
    assert any("سال ۱۴۰۴ جا افتاده است." in item.text_content() for item in history)
    # An accepted task leaves the officer's open work.
    assert "ارسال شاخص‌های راه" not in titles_in(officer.get("/tasks/"))


def test_cancel_needs_a_reason_and_tells_the_agency(ctx, w):
    task = new_task(w, w.agency_a)
    before = state()
    error = refused(ValidationFailed, services.apply_action, w.sup, task.id, "cancel", NOW, "")
    assert FA_GIVE_REASON in message(error)
    assert state() == before
    act(w.sup, task, "cancel", "دیگر لازم نیست")
    assert get(task.id).status == TaskStatus.CANCELLED
    assert sorted(n.user_id for n in db.session.scalars(sa.select(Notification).where(
        Notification.kind == "task.cancelled"))) == sorted([w.a1.id, w.a2.id])


def _wrong_state_cases() -> list[tuple[TaskStatus, str]]:
    return [(status, name) for name, action in ACTIONS.items() for status in TaskStatus
            if status not in action.sources]


@pytest.mark.parametrize(("status", "name"), _wrong_state_cases())
def test_an_action_from_the_wrong_state_is_refused_in_persian_and_changes_nothing(ctx, w, status, name):
    task = new_task(w, w.agency_a, status=status)
    actor = w.a1 if ACTIONS[name].permission.value == "work_on_task" else w.sup
    before = state()
    error = refused(Conflict, services.apply_action, actor, task.id, name, NOW, "دلیل")
    assert FA_WRONG_STATE in message(error)
    assert f"«{status.label}»" in message(error)
    assert state() == before


def test_a_wrong_state_action_through_the_page_is_a_409_with_the_message(ctx, w):
    task = new_task(w, w.agency_a, status=TaskStatus.SUBMITTED)
    officer = client_for(ctx, w.a1)
    before = state()
    response = post_action(officer, task, "submit")
    assert response.status_code == 409
    assert FA_WRONG_STATE in response.text and 'id="task-error"' in response.text
    assert panel_status(response) == "submitted"
    assert state() == before


@pytest.mark.parametrize("name", ["accept", "return", "cancel"])
def test_officers_cannot_review(ctx, w, name):
    task = new_task(w, w.agency_a, status=TaskStatus.SUBMITTED)
    before = state()
    refused(AccessDenied, services.apply_action, w.a1, task.id, name, NOW, "دلیل")
    response = post_action(client_for(ctx, w.a1), task, name, reason="دلیل")
    assert response.status_code == 403
    assert state() == before


def test_a_stale_version_is_refused_with_409_and_nothing_changes(ctx, w):
    task = new_task(w, w.agency_a)
    officer, colleague = client_for(ctx, w.a1), client_for(ctx, w.a2)
    version = get(task.id).version
    assert post_action(colleague, task, "take", version=version).status_code == 200  # the colleague was first

    before = state()
    response = post_action(officer, task, "take", version=version)
    assert response.status_code == 409
    assert FA_STALE in response.text
    assert panel_status(response) == "in_progress" and panel_version(response) == version + 1
    assert state() == before
    error = refused(Conflict, services.apply_action, w.a1, task.id, "submit", NOW, "", expected_version=version)
    assert FA_STALE in message(error)
    assert state() == before
    # With the current version the same action goes through.
    assert post_action(officer, task, "submit", version=version + 1).status_code == 200
    assert get(task.id).status == TaskStatus.SUBMITTED


@pytest.mark.parametrize("form", [{}, {"action": "approve", "version": "1"}, {"action": "", "version": "1"}])
def test_a_crafted_or_incomplete_action_changes_nothing(ctx, w, form):
    task = new_task(w, w.agency_a)
    before = state()
    response = client_for(ctx, w.a1).post(f"/tasks/{task.id}/act", data=form)
    assert response.status_code == 200 and 'id="task-error"' in response.text
    assert state() == before


# --- a closed plan's tasks ---------------------------------------------------------------------------------------


def test_a_closed_plans_tasks_can_be_read_but_not_worked_on(ctx, w, uploads):
    task = new_task(w, w.agency_a, title="کار برنامهٔ بسته", status=TaskStatus.IN_PROGRESS)
    services.add_comment(w.a1, task.id, "توضیح پیشین", NOW)
    db.session.commit()
    plan = db.session.get(Plan, w.plan.id)
    plan.stage, plan.closed_at = Stage.CLOSED, NOW
    db.session.commit()
    officer, reviewer = client_for(ctx, w.a1), client_for(ctx, w.sup)
    before = state(uploads)
    page = officer.get(f"/tasks/{task.id}/")
    assert page.status_code == 200 and "توضیح پیشین" in page.text and 'id="action-' not in page.text
    assert post_action(officer, task, "submit").status_code == 403
    assert post_action(reviewer, task, "cancel", reason="دلیل").status_code == 403
    assert officer.post(f"/tasks/{task.id}/comments", data={"body": "تازه"}).status_code == 403
    assert upload(officer, task, "تازه.pdf", PDF).status_code == 403
    assert officer.post(f"/tasks/{task.id}/reassign", data={"user_id": w.a2.id, "reason": "دلیل"}).status_code == 403
    assert state(uploads) == before
