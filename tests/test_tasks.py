"""Tasks (issue 4): created from templates when a stage begins, the take → submit → return → resubmit → accept
cycle, refusals, reassignment, delegation, deadlines in the Iranian calendar, comments and files (with soft
delete), the inbox, exports and the number of queries per page.

Every test runs on SQLite and on PostgreSQL, with the clock frozen on Tuesday 1405/02/15 (2026-05-05) in Tehran.
Refusals are checked for their Persian message and for leaving the database (and the upload folder) as it was.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import openpyxl
import pytest
import sqlalchemy as sa
from werkzeug.http import parse_options_header

from planapp.accounts.models import Delegation, User
from planapp.agencies.models import Agency
from planapp.approvals import services as approvals
from planapp.approvals.models import RequestStatus, TransitionRequest
from planapp.audit.models import AuditEvent
from planapp.calendar.models import Holiday
from planapp.core import clock
from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.i18n import ascii_digits
from planapp.core.permissions import AccessDenied
from planapp.extensions import db
from planapp.notifications.models import Notification
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.tasks import services
from planapp.tasks.lifecycle import ACTIONS, TaskKind, TaskStatus
from planapp.tasks.models import Task, TaskAttachment, TaskComment, TaskTemplate
from planapp.tasks.seed import seed_templates
from tests.factories import make_agency, make_plan, make_user, signed_in

NOW = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)  # Tuesday 1405/02/15, 11:30 in Tehran
TODAY = date(2026, 5, 5)
HOLIDAY = date(2026, 5, 7)  # Thursday 1405/02/17, made a holiday in the tests that need one
FRIDAY = date(2026, 5, 15)  # 1405/02/25
NEXT_DUE = date(2026, 5, 12)  # Tuesday 1405/02/22: a working day a week ahead

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
MB = 1024 * 1024

# What the user reads (fa). Digits are compared after folding to ASCII.
FA_WRONG_STATE = "اکنون ممکن نیست"
FA_STALE = "شخص دیگری آن را تغییر داده است"
FA_GIVE_REASON = "دلیل را بنویسید"
FA_NOT_ACCEPTED = "وظیفهٔ الزامی هنوز پذیرفته نشده است"
FA_NOT_READY = "هنوز آماده نیست"
FA_COLLEAGUE = "یکی از همکاران فعال همین دستگاه را انتخاب کنید"
FA_CHOOSE_COLLEAGUE = "همکار را انتخاب کنید و دلیل را بنویسید"
FA_ACTING_FOR = "به جانشینی از"
FA_BAD_DATE = "یک تاریخ شمسی درست وارد کنید"
FA_NOT_WORKING_DAY = "روز کاری نیست"
FA_NEXT_WORKING_DAY = "نخستین روز کاری پس از آن"
FA_EMPTY_FILE = "پرونده خالی است"
FA_TOO_LARGE = "بیش از حد مجاز"
FA_NOT_REALLY = "این پرونده در واقع PDF نیست"
FA_413_TITLE = "پرونده یا فرم بیش از حد بزرگ است"
FA_ONE_TARGET = "وظیفه را به یک دستگاه یا یک نفر بسپارید"
FA_PASSED = "این مهلت گذشته است"
FA_EXTEND_INCOMPLETE = "وظایف، مهلت جدید و دلیل را مشخص کنید"
FA_REQUIRED = "پر کردن این بخش الزامی است"


# --- helpers -----------------------------------------------------------------------------------------------------


@dataclass
class World:
    office: Agency
    agency_a: Agency
    agency_b: Agency
    sup: User
    sup2: User
    a1: User
    a2: User
    b1: User
    plan: Plan


@pytest.fixture
def frozen(ctx) -> datetime:
    clock.freeze(NOW)  # the ctx fixture thaws it
    return NOW


@pytest.fixture
def w(ctx, frozen) -> World:
    """Two supervisors of the planning office, two officers of agency A, one of agency B, and a plan."""
    office = make_agency("سازمان مدیریت و برنامه‌ریزی استان", kind="private")
    agency_a = make_agency("اداره کل راه و شهرسازی")
    agency_b = make_agency("اداره کل منابع طبیعی")
    sup = make_user("supervisor", office, name="ناظر یکم")
    sup2 = make_user("supervisor", office, name="ناظر دوم")
    a1 = make_user("officer", agency_a, name="علی راهور")
    a2 = make_user("officer", agency_a, name="مریم راهور")
    b1 = make_user("officer", agency_b, name="بهرام جنگلبان")
    plan = make_plan(sup, title="برنامهٔ آمایش استان")
    return World(office, agency_a, agency_b, sup, sup2, a1, a2, b1, plan)


@pytest.fixture
def uploads(ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private upload folder, so "no file on disk" can be checked exactly."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(ctx.config, "UPLOAD_FOLDER", str(folder))
    return folder


def files_on_disk(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def new_task(w: World, agency: Agency | None = None, assignee: User | None = None, title: str = "گزارش راه‌ها",
             due: date | str = NEXT_DUE, mandatory: bool = True, kind: str = "other", plan: Plan | None = None,
             status: TaskStatus | None = None) -> Task:
    """An ad-hoc task through the service (agency A's by default), optionally put straight at a status."""
    if agency is None and assignee is None:
        agency = w.agency_a
    task = services.create_task(w.sup, plan or w.plan, {
        "title": title, "description": "شرح کار", "kind": kind, "mandatory": mandatory, "due_on": due,
        "agency_id": agency.id if agency else None, "assignee_id": assignee.id if assignee else None}, NOW)
    db.session.commit()
    if status is not None:
        task.status = status  # test setup only
        db.session.commit()
    return task


def act(actor: User, task: Task, action: str, reason: str = "", **kwargs: Any) -> Task:
    changed = services.apply_action(actor, task.id, action, NOW, reason, **kwargs)
    db.session.commit()
    return changed


def refused(error_type: type[Exception], call, *args: Any, **kwargs: Any) -> Exception:
    """Call a service that must refuse; roll the unit of work back as a view would."""
    with pytest.raises(error_type) as info:
        call(*args, **kwargs)
    db.session.rollback()
    return info.value


def message(error: Exception) -> str:
    return ascii_digits(str(getattr(error, "message", None) or getattr(error, "description", "") or error))


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def task_events(task: Task, action: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.object_type == "tasks", AuditEvent.object_id == task.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def get(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.get(Task, task_id)


def state(folder: Path | None = None) -> dict[str, Any]:
    """Everything a task action may change, as plain values (and the files in the upload folder)."""
    db.session.expire_all()
    tasks = db.session.scalars(sa.select(Task).order_by(Task.id))
    return {
        "tasks": [(t.id, t.status, t.version, t.taken_by_id, t.due_on, t.return_reason, t.submitted_at,
                   t.reviewed_at, t.agency_id, t.assignee_id, t.title) for t in tasks],
        "comments": list(db.session.execute(sa.select(
            TaskComment.id, TaskComment.body, TaskComment.deleted_at, TaskComment.deleted_by_id)).all()),
        "files": list(db.session.execute(sa.select(
            TaskAttachment.id, TaskAttachment.file_name, TaskAttachment.deleted_at)).all()),
        "audit": list(db.session.scalars(sa.select(AuditEvent.id).where(AuditEvent.action.notlike("auth.%"))
                                         .order_by(AuditEvent.id))),  # signing in is audited too
        "notifications": count(Notification),
        "requests": count(TransitionRequest),
        "disk": files_on_disk(folder) if folder else None,
    }


def client_for(ctx, user: User):
    return signed_in(ctx.test_client(), user)


def doc(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def page_text(response) -> str:
    return ascii_digits(" ".join(doc(response).text_content().split()))


def panel_status(response) -> str:
    match = re.search(r'id="task-panel"[^>]*data-status="([a-z_]+)"', response.text)
    assert match, response.text[:3000]
    return match.group(1)


def panel_version(response) -> int:
    match = re.search(r'id="task-panel"[^>]*data-version="(\d+)"', response.text)
    assert match, response.text[:3000]
    return int(match.group(1))


def post_action(client, task: Task, action: str, reason: str = "", version: int | None = None):
    version = get(task.id).version if version is None else version
    return client.post(f"/tasks/{task.id}/act", data={"action": action, "reason": reason, "version": version})


def upload(client, task: Task, name: str, data: bytes, **kwargs: Any):
    response = client.post(f"/tasks/{task.id}/files", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data", **kwargs)
    # The test client spools a big body to a temporary file; close it even when the app refused to read it.
    response.request.environ["wsgi.input"].close()
    return response


def holiday(day: date, name: str = "تعطیل رسمی آزمایشی") -> Holiday:
    row = Holiday(day=day, name=name)
    db.session.add(row)
    db.session.commit()
    return row


def titles_in(response) -> list[str]:
    return [" ".join(a.text_content().split()) for a in doc(response).xpath('//div[@id="task-list"]//tbody//a')]


def move(plan: Plan, event: str, requester: User, decider: User) -> TransitionRequest:
    request = approvals.request_transition(requester, plan.id, event, "", NOW)
    db.session.commit()
    decided = approvals.decide_request(decider, request.id, True, "", NOW)
    db.session.commit()
    return decided


# --- tasks created when a stage begins ---------------------------------------------------------------------------


def test_entering_a_stage_creates_one_task_per_agency_due_in_working_days(ctx, w):
    holiday(HOLIDAY)
    ngo1 = make_agency("انجمن حامیان محیط زیست", kind="ngo")
    ngo2 = make_agency("انجمن کارآفرینان جوان", kind="ngo")
    closed = make_agency("انجمن منحل شده", kind="ngo")
    closed.is_active = False
    scoring = TaskTemplate(stage=Stage.ANALYSIS, kind=TaskKind.SCORE_MATRIX, title="امتیازدهی ماتریس",
                           agency_kind="ngo", agencies=[w.agency_a, ngo1], mandatory=True, due_in_days=4)
    review = TaskTemplate(stage=Stage.ANALYSIS, kind=TaskKind.OTHER, title="نظر دربارهٔ تحلیل",
                          agencies=[w.agency_b, ngo1], mandatory=False, due_in_days=1)
    retired = TaskTemplate(stage=Stage.ANALYSIS, kind=TaskKind.OTHER, title="قالب کنار گذاشته",
                           agencies=[w.agency_a], is_active=False)
    later = TaskTemplate(stage=Stage.GOALS, kind=TaskKind.PROPOSE_GOALS, title="پیشنهاد اهداف", agencies=[w.agency_a])
    db.session.add_all([scoring, review, retired, later])
    db.session.commit()

    move(w.plan, "complete_assessment", w.sup, w.sup2)

    tasks = db.session.scalars(sa.select(Task).where(Task.plan_id == w.plan.id).order_by(Task.id)).all()
    made = {(t.title, t.agency_id): t for t in tasks}
    # One task per agency of the template (its list and its kind, each agency once, inactive ones left out).
    assert set(made) == {("امتیازدهی ماتریس", w.agency_a.id), ("امتیازدهی ماتریس", ngo1.id),
                         ("امتیازدهی ماتریس", ngo2.id), ("نظر دربارهٔ تحلیل", w.agency_b.id),
                         ("نظر دربارهٔ تحلیل", ngo1.id)}
    for task in tasks:
        assert (task.stage, task.status, task.assignee_id, task.taken_by_id) == (Stage.ANALYSIS, TaskStatus.OPEN,
                                                                                None, None)
    # 4 working days after Tuesday 1405/02/15: Wednesday, (Thursday is a holiday, Friday the weekend), Saturday,
    # Sunday, Monday 1405/02/21. One working day: Wednesday 1405/02/16.
    assert {t.due_on for t in tasks if t.template_id == scoring.id} == {date(2026, 5, 11)}
    assert {t.due_on for t in tasks if t.template_id == review.id} == {date(2026, 5, 6)}
    assert {t.mandatory for t in tasks if t.template_id == scoring.id} == {True}
    assert {t.mandatory for t in tasks if t.template_id == review.id} == {False}
    assert {t.kind for t in tasks if t.template_id == scoring.id} == {TaskKind.SCORE_MATRIX}
    created = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "task.created_for_stage")).one()
    assert (created.object_type, created.object_id, created.after) == ("plans", w.plan.id,
                                                                       {"stage": "analysis", "tasks": 5})
    # The agencies' people are shown the new work in the navigation.
    page = client_for(ctx, w.a1).get("/tasks/")
    assert "امتیازدهی ماتریس" in page.text and "نظر دربارهٔ تحلیل" not in page.text
    assert re.search(r'id="tasks-link"[^>]*>[^<]*<span class="count"[^>]*>۱</span>', page.text)


def test_the_seeded_templates_open_work_for_a_new_plan_and_for_each_stage(ctx, w):
    ngo = make_agency("انجمن حامیان محیط زیست", kind="ngo")
    assert seed_templates() > 0
    db.session.commit()
    assert seed_templates() == 0  # idempotent
    from planapp.plans import services as plans

    plan = plans.create_plan(w.sup, {"title": "برنامهٔ تازه", "province": "آذربایجان شرقی", "period_start": 1405,
                                     "period_end": 1409, "description": "شرح", "owner_id": w.sup.id}, NOW)
    db.session.commit()
    first = {(t.kind, t.agency_id, t.mandatory) for t in db.session.scalars(sa.select(Task).where(
        Task.plan_id == plan.id))}
    # Government agencies submit indicators (mandatory); NGOs give their SWOT input (optional). The office is a
    # private agency: no seeded template addresses it.
    assert first == {(TaskKind.SUBMIT_INDICATORS, w.agency_a.id, True),
                     (TaskKind.SUBMIT_INDICATORS, w.agency_b.id, True),
                     (TaskKind.SWOT_INPUT, ngo.id, False)}
    # The confirm step tells what entering the next stage opens.
    from planapp.plans.effects import preview
    from planapp.plans.workflow import get_transition

    lines = [ascii_digits(line) for line in preview(plan, get_transition("complete_assessment"))]
    assert any("امتیازدهی ماتریس معیارها" in line and "2" in line for line in lines), lines


# --- the mandatory tasks gate the stage's exit -------------------------------------------------------------------


def test_open_mandatory_tasks_block_the_move_and_the_guard_names_them(ctx, w):
    roads = new_task(w, w.agency_a, title="ارسال شاخص‌های راه", due=date(2026, 5, 10))
    forests = new_task(w, w.agency_b, title="ارسال شاخص‌های جنگل", due=date(2026, 5, 11))
    new_task(w, w.agency_b, title="نظر اختیاری", mandatory=False)
    new_task(w, w.agency_a, title="کار لغوشده", status=TaskStatus.CANCELLED)
    request = approvals.request_transition(w.sup, w.plan.id, "complete_assessment", "", NOW)
    db.session.commit()

    before = state()
    error = refused(ValidationFailed, approvals.decide_request, w.sup2, request.id, True, "", NOW)
    assert FA_NOT_READY in message(error)
    assert "2 از 2 " + FA_NOT_ACCEPTED in message(error)
    assert f"ارسال شاخص‌های راه ({w.agency_a.name})" in message(error)
    assert f"ارسال شاخص‌های جنگل ({w.agency_b.name})" in message(error)
    assert "نظر اختیاری" not in message(error) and "کار لغوشده" not in message(error)
    assert state() == before
    # The plan page's approve button says the same.
    page = client_for(ctx, w.sup2).get(f"/plans/{w.plan.id}")
    assert "2 از 2 " + FA_NOT_ACCEPTED in page_text(page)

    # One accepted: still blocked, and only the other one is named.
    for actor, action in ((w.a1, "take"), (w.a1, "submit"), (w.sup, "accept")):
        act(actor, roads, action)
    error = refused(ValidationFailed, approvals.decide_request, w.sup2, request.id, True, "", NOW)
    assert "1 از 2 " + FA_NOT_ACCEPTED in message(error)
    assert "ارسال شاخص‌های جنگل" in message(error) and "ارسال شاخص‌های راه" not in message(error)

    # The last one accepted: the move goes through (and no second request is opened while one waits).
    for actor, action in ((w.b1, "take"), (w.b1, "submit"), (w.sup, "accept")):
        act(actor, forests, action)
    assert count(TransitionRequest) == 1
    approvals.decide_request(w.sup2, request.id, True, "", NOW)
    db.session.commit()
    assert db.session.get(Plan, w.plan.id).stage == Stage.ANALYSIS


def test_accepting_the_last_mandatory_task_opens_the_request_by_itself(ctx, w):
    roads = new_task(w, w.agency_a, title="ارسال شاخص‌های راه", status=TaskStatus.SUBMITTED)
    forests = new_task(w, w.agency_b, title="ارسال شاخص‌های جنگل", status=TaskStatus.SUBMITTED)
    act(w.sup, roads, "accept")
    assert count(TransitionRequest) == 0  # one mandatory task is still open

    reviewer = client_for(ctx, w.sup)
    response = post_action(reviewer, forests, "accept")
    assert response.status_code == 200 and panel_status(response) == "accepted"
    request = db.session.scalars(sa.select(TransitionRequest)).one()
    assert (request.event, request.requested_by_id, request.status) == ("complete_assessment", None,
                                                                        RequestStatus.PENDING)
    # Any supervisor may approve the system's request, and the plan moves on.
    approvals.decide_request(w.sup2, request.id, True, "", NOW)
    db.session.commit()
    assert db.session.get(Plan, w.plan.id).stage == Stage.ANALYSIS


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
        Notification.kind == "task.assigned", Notification.link == f"/tasks/{task.id}"))][-1] == w.a2.id


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


@pytest.mark.parametrize("role", ["viewer", "council_member", "admin", "supervisor"])
def test_a_personal_task_goes_only_to_someone_who_can_work_on_it(ctx, w, role):
    person = make_user(role, name="کسی که کار نمی‌کند")
    before = state()
    response = client_for(ctx, w.sup).post(f"/tasks/new/{w.plan.id}", data=new_task_form(assignee_id=person.id))
    assert response.status_code == 200 and "یک فرد فعال انتخاب کنید" in field_error(response, "assignee_id")
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


def delegate(absent: User, substitute: User, starts: date = TODAY - timedelta(days=2),
             ends: date = TODAY + timedelta(days=5)) -> Delegation:
    row = Delegation(user_id=absent.id, substitute_id=substitute.id, starts_on=starts, ends_on=ends,
                     reason="مأموریت", created_at=NOW)
    db.session.add(row)
    db.session.commit()
    return row


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
    assert sum(FA_ACTING_FOR in line and w.b1.name in line for line in history) == 4

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


def fetch(client, url: str):
    """GET a file: the body is read and the response closed (send_file keeps the file open until then)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def download_name(response) -> str:
    """The name the browser saves the download under (always an attachment, never shown inline)."""
    kind, options = parse_options_header(response.headers["Content-Disposition"])
    assert kind == "attachment"
    return options["filename"]


# --- files: bad input, names and paths (F1, F2, F3) --------------------------------------------------------------


def file_error(response) -> str:
    errors = doc(response).xpath('//p[@id="file-error"]')
    return ascii_digits(" ".join(e.text_content() for e in errors))


@pytest.mark.parametrize(("name", "data", "expected"), [
    pytest.param("خالی.pdf", b"", FA_EMPTY_FILE, id="zero-bytes"),
    pytest.param("بزرگ.pdf", PDF + b"0" * (10 * MB), f"{FA_TOO_LARGE} 10 مگابایت", id="over-the-limit"),
    pytest.param("برنامه.pdf", EXE, FA_NOT_REALLY, id="exe-renamed-pdf"),
    pytest.param("setup.exe", EXE, "این نوع پرونده پذیرفته نمی‌شود", id="exe"),
    pytest.param("جدول.csv", b"<html><script>alert(1)</script></html>", "CSV", id="html-renamed-csv"),
    pytest.param("جدول.xlsx", EXE, "XLSX", id="exe-renamed-xlsx"),
    pytest.param("بی‌پسوند", PDF, "این نوع پرونده پذیرفته نمی‌شود", id="no-extension"),
])
def test_a_bad_file_is_refused_in_persian_and_nothing_is_stored(ctx, w, uploads, name, data, expected):
    task = new_task(w, w.agency_a, status=TaskStatus.IN_PROGRESS)
    officer = client_for(ctx, w.a1)
    before = state(uploads)
    response = upload(officer, task, name, data)
    assert response.status_code == 200
    assert expected in file_error(response), page_text(response)
    assert state(uploads) == before
    assert files_on_disk(uploads) == []


def test_a_post_without_a_file_is_refused(ctx, w, uploads):
    task = new_task(w, w.agency_a)
    before = state(uploads)
    response = client_for(ctx, w.a1).post(f"/tasks/{task.id}/files", data={}, content_type="multipart/form-data")
    assert response.status_code == 200 and "ابتدا پرونده را انتخاب کنید" in file_error(response)
    assert state(uploads) == before


@pytest.mark.parametrize("htmx", [False, True])
def test_a_50_mb_body_is_refused_with_413_in_persian(ctx, w, uploads, htmx):
    task = new_task(w, w.agency_a)
    officer = client_for(ctx, w.a1)
    before = state(uploads)
    headers = {"HX-Request": "true", "HX-Target": "task-files"} if htmx else {}
    response = upload(officer, task, "بزرگ.pdf", PDF + b"0" * (50 * MB), headers=headers)
    assert response.status_code == 413
    assert FA_413_TITLE in response.text and "پرونده یا متن کوچک‌تری بفرستید" in response.text
    if htmx:
        assert response.headers["HX-Retarget"] == "#flash"
    else:
        assert '<html lang="fa"' in response.text
    assert state(uploads) == before


@pytest.mark.parametrize(("sent", "kept"), [
    ("../../etc/گزارش نهایی.pdf", "گزارش نهایی.pdf"),
    ("C:/Users/x/../گزارش.pdf", "گزارش.pdf"),
    ("/etc/passwd.pdf", "passwd.pdf"),
    ("CON.pdf", "_CON.pdf"),
    ("\u202egpj.exe.pdf", "gpj.exe.pdf"),  # a right-to-left override would show it as "…fdp.exe.jpg"
    ("....pdf", "pdf"),
])
def test_a_file_name_with_a_path_is_stored_under_a_generated_name_and_downloads_cleaned(ctx, w, uploads, sent,
                                                                                        kept):
    task = new_task(w, w.agency_a)
    officer = client_for(ctx, w.a1)
    response = upload(officer, task, sent, PDF)
    assert response.status_code == 200
    if kept == "pdf":  # nothing but dots: no extension is left, so the type cannot be told
        assert "این نوع پرونده پذیرفته نمی‌شود" in file_error(response)
        assert files_on_disk(uploads) == []
        return
    attachment = db.session.scalars(sa.select(TaskAttachment)).one()
    assert attachment.file_name == kept
    assert re.fullmatch(r"[0-9a-f]{32}", attachment.stored_name)
    assert files_on_disk(uploads) == [uploads / attachment.stored_name[:2] / attachment.stored_name]
    assert not (uploads.parent / "etc").exists() and not any(uploads.parent.rglob("*passwd*"))

    download = fetch(officer, f"/tasks/{task.id}/files/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download_name(download) == kept


# --- soft delete of comments and files (D1) ----------------------------------------------------------------------


def export_text(client, fmt: str, **params: Any) -> str:
    response = client.get(f"/tasks/export.{fmt}", query_string={"status": "all", **params})
    assert response.status_code == 200
    if fmt == "csv":
        return response.data.decode("utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    return "\n".join(str(cell) for row in book.active.iter_rows(values_only=True) for cell in row)


def test_hidden_comments_and_files_disappear_for_non_reviewers_and_come_back_exactly(ctx, w, uploads):
    task = new_task(w, w.agency_a, title="شاخص‌های راه", status=TaskStatus.IN_PROGRESS)
    author, colleague, reviewer = client_for(ctx, w.a1), client_for(ctx, w.a2), client_for(ctx, w.sup)
    author.post(f"/tasks/{task.id}/comments", data={"body": "متن محرمانهٔ توضیح"})
    upload(author, task, "پیوست محرمانه.pdf", PDF)
    comment = db.session.scalars(sa.select(TaskComment)).one()
    attachment = db.session.scalars(sa.select(TaskAttachment)).one()
    kept_comment = (comment.id, comment.task_id, comment.author_id, comment.body, comment.created_at)
    kept_file = (attachment.id, attachment.file_name, attachment.stored_name, attachment.size, attachment.sha256,
                 attachment.content_type, attachment.uploaded_by_id, attachment.created_at)
    download = f"/tasks/{task.id}/files/{attachment.id}"

    # A colleague may not hide the author's comment or file.
    before = state(uploads)
    response = colleague.post(f"/tasks/{task.id}/comments/{comment.id}/delete")
    assert response.status_code == 200 and "فقط نویسنده یا ناظر" in response.text
    response = colleague.post(f"/tasks/{task.id}/files/{attachment.id}/delete")
    assert response.status_code == 200 and "فقط کسی که پرونده را افزوده یا ناظر" in page_text(response)
    assert state(uploads) == before

    # The author hides both.
    assert author.post(f"/tasks/{task.id}/comments/{comment.id}/delete").status_code == 200
    assert author.post(f"/tasks/{task.id}/files/{attachment.id}/delete").status_code == 200
    for viewer in (author, colleague):
        page = viewer.get(f"/tasks/{task.id}/")
        assert page.status_code == 200
        assert "متن محرمانهٔ توضیح" not in page.text and "پیوست محرمانه" not in page.text
        fragment = viewer.get(f"/tasks/{task.id}/comments")
        assert fragment.status_code == 200 and "متن محرمانهٔ توضیح" not in fragment.text
        assert fetch(viewer, download).status_code == 404
        for fmt in ("csv", "xlsx"):
            text = export_text(viewer, fmt)
            assert "شاخص‌های راه" in text
            assert "متن محرمانهٔ توضیح" not in text and "پیوست محرمانه" not in text
    # Nothing is erased: the file is still on disk and the reviewer sees both, marked, with a way back.
    assert files_on_disk(uploads) == [uploads / attachment.stored_name[:2] / attachment.stored_name]
    page = reviewer.get(f"/tasks/{task.id}/")
    hidden_comment = doc(page).xpath(f'//li[@id="comment-{comment.id}"]')[0]
    hidden_file = doc(page).xpath(f'//li[@id="file-{attachment.id}"]')[0]
    assert "hidden-item" in hidden_comment.get("class") and "متن محرمانهٔ توضیح" in hidden_comment.text_content()
    assert "hidden-item" in hidden_file.get("class") and "پیوست محرمانه.pdf" in hidden_file.text_content()
    assert hidden_comment.xpath(".//button/@hx-post") == [f"/tasks/{task.id}/comments/{comment.id}/restore"]
    assert hidden_file.xpath(".//button/@hx-post") == [f"/tasks/{task.id}/files/{attachment.id}/restore"]
    opened = fetch(reviewer, download)  # the reviewer may open it to judge whether to restore it
    assert opened.status_code == 200 and opened.data == PDF

    # The supervisor restores them: exactly as they were.
    assert reviewer.post(f"/tasks/{task.id}/comments/{comment.id}/restore").status_code == 200
    assert reviewer.post(f"/tasks/{task.id}/files/{attachment.id}/restore").status_code == 200
    db.session.expire_all()
    comment, attachment = db.session.get(TaskComment, comment.id), db.session.get(TaskAttachment, attachment.id)
    assert (comment.id, comment.task_id, comment.author_id, comment.body, comment.created_at) == kept_comment
    assert (attachment.id, attachment.file_name, attachment.stored_name, attachment.size, attachment.sha256,
            attachment.content_type, attachment.uploaded_by_id, attachment.created_at) == kept_file
    assert (comment.deleted_at, comment.deleted_by_id, attachment.deleted_at, attachment.deleted_by_id) == (
        None, None, None, None)
    page = colleague.get(f"/tasks/{task.id}/")
    assert "متن محرمانهٔ توضیح" in page.text and "پیوست محرمانه.pdf" in page.text
    restored = fetch(colleague, download)
    assert restored.status_code == 200 and restored.data == PDF

    # Every step is audited, with who did it.
    steps = [(e.action, e.actor_id) for e in task_events(task) if e.action.startswith(("task.comment_",
                                                                                     "task.file_"))]
    assert steps == [("task.comment_deleted", w.a1.id), ("task.file_deleted", w.a1.id),
                     ("task.comment_restored", w.sup.id), ("task.file_restored", w.sup.id)]


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


# --- queries per page --------------------------------------------------------------------------------------------


@contextmanager
def count_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before_cursor_execute)


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
        list(db.session.scalars(sa.select(Plan)))
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


# --- comments ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_an_empty_or_too_long_comment_is_refused_and_nothing_is_stored(ctx, w, body):
    task = new_task(w, w.agency_a)
    officer = client_for(ctx, w.a1)
    before = state()
    response = officer.post(f"/tasks/{task.id}/comments", data={"body": body})
    assert response.status_code == 200
    assert re.search(r'<p class="error">[^<]+</p>', response.text), response.text
    assert state() == before
    error = refused(ValidationFailed, services.add_comment, w.a1, task.id, body, NOW)
    assert error.field == "body"
    assert state() == before


def test_a_comment_or_file_of_another_task_cannot_be_changed_through_this_task(ctx, w, uploads):
    first = new_task(w, w.agency_a, title="کار یکم")
    second = new_task(w, w.agency_a, title="کار دوم")
    services.add_comment(w.a1, second.id, "توضیح کار دوم", NOW)
    services.add_attachment(w.a1, second.id, "دوم.pdf", PDF, NOW, 10 * MB)
    db.session.commit()
    comment = db.session.scalars(sa.select(TaskComment)).one()
    attachment = db.session.scalars(sa.select(TaskAttachment)).one()
    officer = client_for(ctx, w.a1)
    before = state(uploads)
    for change in ("delete", "restore"):
        assert officer.post(f"/tasks/{first.id}/comments/{comment.id}/{change}").status_code == 404
        assert officer.post(f"/tasks/{first.id}/files/{attachment.id}/{change}").status_code == 404
    assert fetch(officer, f"/tasks/{first.id}/files/{attachment.id}").status_code == 404
    assert officer.post(f"/tasks/{first.id}/comments/999999/delete").status_code == 404
    assert officer.post(f"/tasks/{first.id}/files/999999/delete").status_code == 404
    assert state(uploads) == before


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
