"""Helpers shared by the task test files (tests/test_task_*.py, and through tests/task_admin_helpers.py the ones for
templates, holidays and delegation): the frozen clock, the people and plan the task tests work with, and short ways
to act on a task, to read a page and to check that a refusal left the database (and the upload folder) as it was.

The fixtures are defined here under descriptive names; a test file binds the ones it needs to the names its tests
ask for (`w = task_world`), so none of them is a fixture of the other test files.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import sqlalchemy as sa

from planapp.accounts.models import Delegation, User
from planapp.agencies.models import Agency
from planapp.approvals import services as approvals
from planapp.approvals.models import TransitionRequest
from planapp.audit.models import AuditEvent
from planapp.calendar.models import Holiday
from planapp.core import clock
from planapp.core.i18n import ascii_digits
from planapp.extensions import db
from planapp.notifications.models import Notification
from planapp.plans.models import Plan
from planapp.tasks import services
from planapp.tasks.lifecycle import TaskStatus
from planapp.tasks.models import Task, TaskAttachment, TaskComment
from tests import refusals
from tests.factories import make_agency, make_plan, make_user, signed_in
from tests.refusals import refused as refused  # re-exported: the task test files import it from here

NOW = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)  # Tuesday 1405/02/15, 11:30 in Tehran
TODAY = date(2026, 5, 5)
HOLIDAY = date(2026, 5, 7)  # Thursday 1405/02/17, made a holiday in the tests that need one
NEXT_DUE = date(2026, 5, 12)  # Tuesday 1405/02/22: a working day a week ahead

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --- fixtures ----------------------------------------------------------------------------------------------------


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
def task_world(ctx) -> World:
    """Two supervisors of the planning office, two officers of agency A, one of agency B, and a plan; the clock is
    frozen at NOW (the ctx fixture thaws it)."""
    clock.freeze(NOW)
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
def upload_folder(ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private upload folder, so "no file on disk" can be checked exactly."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(ctx.config, "UPLOAD_FOLDER", str(folder))
    return folder


# --- helpers -----------------------------------------------------------------------------------------------------


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


def message(error: Exception) -> str:
    """The refusal's text (tests/refusals.py) with its digits folded to ASCII, for the task tests' comparisons."""
    return ascii_digits(refusals.message(error))


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
            TaskComment.id, TaskComment.body, TaskComment.deleted_at, TaskComment.deleted_by_id)
            .order_by(TaskComment.id)).all()),
        "files": list(db.session.execute(sa.select(
            TaskAttachment.id, TaskAttachment.file_name, TaskAttachment.deleted_at).order_by(TaskAttachment.id)).all()),
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
    """The visible text, on one line, digits folded to ASCII."""
    return ascii_digits(" ".join(doc(response).text_content().split()))


def panel_status(response) -> str:
    match = re.search(r'id="task-panel"[^>]*data-status="([a-z_]+)"', response.text)
    assert match, response.text[:3000]
    return match.group(1)


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


def delegate(absent: User, substitute: User, starts: date = TODAY - timedelta(days=2),
             ends: date = TODAY + timedelta(days=5)) -> Delegation:
    row = Delegation(user_id=absent.id, substitute_id=substitute.id, starts_on=starts, ends_on=ends,
                     reason="مأموریت", created_at=NOW)
    db.session.add(row)
    db.session.commit()
    return row
