"""Who works on a task (issue 4): an officer hands it to a colleague of the same agency (never to someone who
cannot work on it, nor to another agency), and a substitute acts for an absent user while the delegation lasts,
which the task shows.

Every test runs on SQLite and on PostgreSQL, with the clock frozen on Tuesday 1405/02/15 (2026-05-05) in Tehran.
A refused hand-over is checked for its Persian message and for leaving the database as it was.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from planapp.core.errors import ValidationFailed
from planapp.core.permissions import AccessDenied
from planapp.extensions import db
from planapp.notifications.models import Notification
from planapp.tasks import services
from planapp.tasks.lifecycle import TaskStatus
from planapp.tasks.models import TaskAttachment, TaskComment
from tests.factories import make_user
from tests.task_helpers import (
    NOW,
    PDF,
    TODAY,
    client_for,
    delegate,
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
FA_COLLEAGUE = "یکی از همکاران فعال همین دستگاه را انتخاب کنید"
FA_CHOOSE_COLLEAGUE = "همکار را انتخاب کنید و دلیل را بنویسید"
FA_ACTING_FOR = "به جانشینی از"

w, uploads = task_world, upload_folder  # fixtures from tests/task_helpers.py, under the names the tests use


# --- reassignment and delegation ---------------------------------------------------------------------------------


def test_an_officer_hands_a_task_to_a_colleague_of_the_same_agency(ctx, w):
    task = new_task(w, w.agency_a)
    officer = client_for(ctx, w.a1)
    page = officer.get(f"/tasks/{task.id}/")
    options = doc(page).xpath('//select[@id="reassign-user"]/option/@value')
    assert str(w.a2.id) in options and str(w.b1.id) not in options

    before = state()
    response = officer.post(f"/tasks/{task.id}/reassign", data={"user_id": w.a2.id, "reason": ""})
    assert response.status_code == 200 and FA_CHOOSE_COLLEAGUE in response.text
    assert state() == before

    response = officer.post(f"/tasks/{task.id}/reassign", data={"user_id": w.a2.id, "reason": "مرخصی دارم"})
    assert response.status_code == 200 and panel_status(response) == "in_progress"
    assert get(task.id).taken_by_id == w.a2.id
    [event] = task_events(task, "task.reassign")
    assert (event.actor_id, event.before, event.after) == (w.a1.id, {"taken_by_id": None},
                                                            {"taken_by_id": w.a2.id, "reason": "مرخصی دارم"})
    assert [n.user_id for n in db.session.scalars(sa.select(Notification).where(
        Notification.kind == "task.assigned", Notification.link == f"/tasks/{task.id}")
        .order_by(Notification.id))][-1] == w.a2.id  # the latest: the scan order is no order


def test_a_task_is_handed_only_to_someone_who_can_work_on_it(ctx, w):
    task = new_task(w, w.agency_a)
    viewer = make_user("viewer", w.agency_a, name="بیننده راه")
    chief = make_user("supervisor", w.agency_a, name="ناظر راه")
    participant = make_user("participant", w.agency_a, name="مشارک راه")
    options = doc(client_for(ctx, w.a1).get(f"/tasks/{task.id}/")).xpath('//select[@id="reassign-user"]/option/@value')
    assert sorted(options) == sorted(str(u.id) for u in (w.a1, w.a2, participant))
    before = state()
    for person in (viewer, chief):
        error = refused(ValidationFailed, services.reassign, w.a1, task.id, person.id, "دلیل", NOW)
        assert FA_COLLEAGUE in message(error)
        response = client_for(ctx, w.a1).post(f"/tasks/{task.id}/reassign", data={"user_id": person.id,
                                                                                  "reason": "دلیل"})
        assert response.status_code == 200 and FA_CHOOSE_COLLEAGUE in response.text
    assert state() == before


def test_a_task_cannot_be_handed_to_another_agency(ctx, w):
    task = new_task(w, w.agency_a)
    personal = new_task(w, assignee=w.a1, title="کار شخصی")
    before = state()
    response = client_for(ctx, w.a1).post(f"/tasks/{task.id}/reassign", data={"user_id": w.b1.id, "reason": "دلیل"})
    assert response.status_code == 200 and FA_CHOOSE_COLLEAGUE in response.text
    assert state() == before
    # The service refuses by itself, whatever the form offered.
    for target, person in ((task, w.b1), (task, w.sup), (personal, w.a2)):
        error = refused(ValidationFailed, services.reassign, w.a1, target.id, person.id, "دلیل", NOW)
        assert FA_COLLEAGUE in message(error)
    w.a2.is_active = False
    db.session.commit()
    error = refused(ValidationFailed, services.reassign, w.a1, task.id, w.a2.id, "دلیل", NOW)
    assert FA_COLLEAGUE in message(error)
    # Another agency's officer may not hand it over at all.
    refused(AccessDenied, services.reassign, w.b1, task.id, w.b1.id, "دلیل", NOW)
    assert state() == before


def test_a_substitute_acts_for_an_absent_user_and_it_shows(ctx, w, uploads):
    task = new_task(w, assignee=w.a1, title="گزارش شخصی علی")
    delegate(w.a1, w.b1)  # an officer of another agency stands in for a1
    substitute = client_for(ctx, w.b1)

    assert "گزارش شخصی علی" in titles_in(substitute.get("/tasks/"))
    assert post_action(substitute, task, "take").status_code == 200
    assert substitute.post(f"/tasks/{task.id}/comments", data={"body": "به جای علی انجام شد"}).status_code == 200
    assert upload(substitute, task, "گزارش.pdf", PDF).status_code == 200
    assert post_action(substitute, task, "submit").status_code == 200

    done = get(task.id)
    assert (done.status, done.taken_by_id) == (TaskStatus.SUBMITTED, w.a1.id)  # the work stays a1's
    comment = db.session.scalars(sa.select(TaskComment)).one()
    attachment = db.session.scalars(sa.select(TaskAttachment)).one()
    assert (comment.author_id, comment.acting_for_id) == (w.b1.id, w.a1.id)
    assert (attachment.uploaded_by_id, attachment.acting_for_id) == (w.b1.id, w.a1.id)
    for action in ("task.take", "task.comment", "task.attach", "task.submit"):
        [event] = task_events(task, action)
        assert (event.actor_id, event.after["acting_for"]) == (w.b1.id, w.a1.id), action

    page = client_for(ctx, w.sup).get(f"/tasks/{task.id}/")
    comment_line = doc(page).xpath(f'//li[@id="comment-{comment.id}"]')[0].text_content()
    assert f"{FA_ACTING_FOR} {w.a1.name}" in comment_line and w.b1.name in comment_line
    file_line = doc(page).xpath(f'//li[@id="file-{attachment.id}"]')[0].text_content()
    assert f"{FA_ACTING_FOR} {w.a1.name}" in file_line
    history = [item.text_content() for item in doc(page).xpath('//section[@id="task-history"]//li')]
    assert sum(f"{w.b1.name} ({FA_ACTING_FOR} {w.a1.name})" in line for line in history) == 4

    # a1's own work (agency A's tasks) is not the substitute's, and the task's own user still sees it.
    agency_task = new_task(w, w.agency_a, title="کار دستگاه الف")
    assert substitute.get(f"/tasks/{agency_task.id}/").status_code == 404
    assert client_for(ctx, w.a1).get(f"/tasks/{task.id}/").status_code == 200


@pytest.mark.parametrize(("starts", "ends", "revoked"), [
    (TODAY - timedelta(days=10), TODAY - timedelta(days=1), False),  # over
    (TODAY + timedelta(days=1), TODAY + timedelta(days=9), False),  # not begun
    (TODAY - timedelta(days=1), TODAY + timedelta(days=1), True),  # revoked
])
def test_a_delegation_outside_its_dates_gives_nothing(ctx, w, starts, ends, revoked):
    task = new_task(w, assignee=w.a1, title="گزارش شخصی علی")
    row = delegate(w.a1, w.b1, starts, ends)
    if revoked:
        row.revoked_at = NOW
        db.session.commit()
    before = state()
    substitute = client_for(ctx, w.b1)
    assert "گزارش شخصی علی" not in substitute.get("/tasks/").text
    assert substitute.get(f"/tasks/{task.id}/").status_code == 404
    assert post_action(substitute, task, "take").status_code == 404
    assert state() == before
