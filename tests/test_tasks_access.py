"""AC2 for tasks: an officer of agency B, and a participant, try every task URL of agency A — pages, htmx
fragments, actions, comments, files, downloads, exports — and get 403 or 404, never a byte of A's data, and the
database and the upload folder stay exactly as they were. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import lxml.html
import openpyxl
import pytest
import sqlalchemy as sa

from planapp.accounts.models import User
from planapp.audit.models import AuditEvent
from planapp.core import clock
from planapp.extensions import db
from planapp.notifications.models import Notification
from planapp.plans.models import Plan
from planapp.tasks import services
from planapp.tasks.lifecycle import ACTIONS, TaskStatus
from planapp.tasks.models import Task, TaskAttachment, TaskComment
from tests.factories import make_agency, make_plan, make_user, signed_in

NOW = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)  # Tuesday 1405/02/15 in Tehran
DUE = date(2026, 5, 12)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MAX = 10 * 1024 * 1024

# Agency A's secrets: none of these may appear in any answer to someone else.
A_TITLE = "وظیفهٔ محرمانهٔ دستگاه الف"
A_SUBMITTED_TITLE = "ارسال محرمانهٔ دستگاه الف"
A_PERSONAL_TITLE = "کار شخصی محرمانهٔ علی"
A_COMMENT = "یادداشت محرمانهٔ الف دربارهٔ بودجه"
A_FILE = "نقشهٔ محرمانهٔ راه.pdf"
A_PERSONAL_FILE = "فهرست محرمانهٔ علی.pdf"
SECRETS = (A_TITLE, A_SUBMITTED_TITLE, A_PERSONAL_TITLE, A_COMMENT, A_FILE, A_PERSONAL_FILE, "نقشهٔ محرمانهٔ راه",
           "فهرست محرمانهٔ علی")
PARTICIPANT_TITLE = "نظر کارشناسی دعوت‌شده"


@dataclass
class Setup:
    plan: Plan
    sup: User
    a1: User
    a2: User
    b1: User
    participant: User
    tasks: list[Task]  # agency A's: open, submitted, and a1's personal task
    b_task: Task
    participant_task: Task
    comments: list[TaskComment]
    files: list[TaskAttachment]


@pytest.fixture
def uploads(ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setitem(ctx.config, "UPLOAD_FOLDER", str(folder))
    return folder


@pytest.fixture
def s(ctx, uploads) -> Setup:
    clock.freeze(NOW)  # the ctx fixture thaws it
    office = make_agency("سازمان مدیریت و برنامه‌ریزی استان", kind="private")
    agency_a = make_agency("اداره کل راه و شهرسازی")
    agency_b = make_agency("اداره کل منابع طبیعی")
    chamber = make_agency("اتاق بازرگانی استان", kind="non_government")
    sup = make_user("supervisor", office, name="ناظر برنامه")
    a1 = make_user("officer", agency_a, name="علی راهور")
    a2 = make_user("officer", agency_a, name="مریم راهور")
    b1 = make_user("officer", agency_b, name="بهرام جنگلبان")
    participant = make_user("participant", chamber, name="لیلا کارشناس")
    plan = make_plan(sup, title="برنامهٔ آمایش استان")

    def task(title: str, agency=None, assignee=None) -> Task:
        return services.create_task(sup, plan, {"title": title, "agency_id": agency.id if agency else None,
                                                "assignee_id": assignee.id if assignee else None, "due_on": DUE,
                                                "mandatory": True}, NOW)

    open_task = task(A_TITLE, agency_a)
    submitted = task(A_SUBMITTED_TITLE, agency_a)
    personal = task(A_PERSONAL_TITLE, assignee=a1)
    b_task = task("کار دستگاه ب", agency_b)
    participant_task = task(PARTICIPANT_TITLE, assignee=participant)
    db.session.commit()
    services.apply_action(a1, submitted.id, "take", NOW)
    services.apply_action(a1, submitted.id, "submit", NOW)
    comments = [services.add_comment(a1, open_task.id, A_COMMENT, NOW),
                services.add_comment(a1, personal.id, A_COMMENT + " (شخصی)", NOW)]
    files = [services.add_attachment(a1, open_task.id, A_FILE, PDF, NOW, MAX),
             services.add_attachment(a1, personal.id, A_PERSONAL_FILE, PDF, NOW, MAX)]
    hidden = services.add_comment(a1, open_task.id, A_COMMENT + " (پنهان)", NOW)
    services.set_comment_deleted(a1, hidden.id, True, NOW)
    db.session.commit()
    return Setup(plan, sup, a1, a2, b1, participant, [open_task, submitted, personal], b_task, participant_task,
                 [*comments, hidden], files)


def files_on_disk(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def state(folder: Path) -> dict[str, Any]:
    db.session.expire_all()
    return {
        "tasks": list(db.session.execute(sa.select(
            Task.id, Task.status, Task.version, Task.taken_by_id, Task.due_on, Task.agency_id, Task.assignee_id,
            Task.title, Task.return_reason).order_by(Task.id)).all()),
        "comments": list(db.session.execute(sa.select(
            TaskComment.id, TaskComment.task_id, TaskComment.body, TaskComment.deleted_at).order_by(TaskComment.id))
            .all()),
        "files": list(db.session.execute(sa.select(
            TaskAttachment.id, TaskAttachment.task_id, TaskAttachment.file_name, TaskAttachment.deleted_at)
            .order_by(TaskAttachment.id)).all()),
        "audit": list(db.session.scalars(sa.select(AuditEvent.id).where(AuditEvent.action.notlike("auth.%"))
                                         .order_by(AuditEvent.id))),
        "notifications": db.session.scalar(sa.select(sa.func.count()).select_from(Notification)),
        "disk": files_on_disk(folder),
    }


def body_text(response) -> str:
    """Whatever the answer holds, as text: pages, fragments, CSV, and the cells of an XLSX workbook."""
    data = response.get_data()
    response.close()
    if data.startswith(b"PK\x03\x04"):
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        text = "\n".join(str(cell) for row in book.active.iter_rows(values_only=True) for cell in row)
        book.close()
        return text
    return data.decode("utf-8", errors="replace") + str(dict(response.headers))


def task_urls(task: Task, comment_id: int, attachment_id: int, version: int) -> list[tuple[str, str, dict]]:
    """(method, url, form) for every route of one task."""
    base = f"/tasks/{task.id}"
    actions = [("POST", f"{base}/act", {"action": name, "reason": "دلیل", "version": version}) for name in ACTIONS]
    return [
        ("GET", f"{base}/", {}),
        *actions,
        ("POST", f"{base}/act", {"action": "take"}),  # without a version
        ("POST", f"{base}/reassign", {"user_id": "", "reason": "دلیل"}),
        ("GET", f"{base}/comments", {}),
        ("POST", f"{base}/comments", {"body": "نفوذ"}),
        ("POST", f"{base}/comments/{comment_id}/delete", {}),
        ("POST", f"{base}/comments/{comment_id}/restore", {}),
        ("POST", f"{base}/files", {"file": (io.BytesIO(PDF), "نفوذ.pdf")}),
        ("GET", f"{base}/files/{attachment_id}", {}),
        ("POST", f"{base}/files/{attachment_id}/delete", {}),
        ("POST", f"{base}/files/{attachment_id}/restore", {}),
        # The data forms other domains plug into the task page (tasks/kinds.py).
        ("GET", f"{base}/indicators", {}),
        ("POST", f"{base}/indicators", {"region": "", "cell-1-1405": "12"}),
        ("GET", f"{base}/indicators/template.csv", {}),
        ("GET", f"{base}/indicators/template.xlsx", {}),
        ("POST", f"{base}/scores", {"candidate_id": "1", "criterion_id": "1", "score": "9"}),
        ("POST", f"{base}/swot", {"kind": "strength", "text": "نفوذ"}),
        ("GET", f"/indicators/imports/new?task_id={task.id}", {}),
    ]


def every_url(s: Setup, intruder: User) -> list[tuple[str, str, dict]]:
    urls = []
    comments = {c.task_id: c.id for c in s.comments}
    files = {f.task_id: f.id for f in s.files}
    for task in s.tasks:
        db.session.refresh(task)
        urls += task_urls(task, comments.get(task.id, s.comments[0].id), files.get(task.id, s.files[0].id),
                          task.version)
    # The intruder's own task as a door to A's comments and files.
    own = s.participant_task if intruder.id == s.participant.id else s.b_task
    for comment in s.comments:
        urls += [("POST", f"/tasks/{own.id}/comments/{comment.id}/{change}", {}) for change in ("delete", "restore")]
    for attachment in s.files:
        urls += [("GET", f"/tasks/{own.id}/files/{attachment.id}", {}),
                 *(("POST", f"/tasks/{own.id}/files/{attachment.id}/{change}", {})
                   for change in ("delete", "restore"))]
    # Lists: A's tasks must not leak through filters, the review queue, bulk changes or ad-hoc creation.
    ids = [task.id for task in s.tasks]
    urls += [
        ("POST", "/tasks/extend", {"task_id": ids, "due_on": "۱۴۰۵/۰۳/۰۵", "reason": "دلیل"}),
        ("GET", f"/tasks/new/{s.plan.id}", {}),
        ("POST", f"/tasks/new/{s.plan.id}", {"title": "نفوذ", "kind": "other", "agency_id": intruder.agency_id,
                                            "due_on": "۱۴۰۵/۰۳/۰۵"}),
        ("GET", "/tasks/review", {}),
    ]
    return urls


LISTS = [
    # Pages that speak of the plan's tasks: the stage's open work and the exit checklist name only what the
    # reader may see.
    "/plans/{plan}", "/plans/{plan}/tasks", "/", "/notifications/",
    "/tasks/?plan={plan}&status=all", "/tasks/?q=محرمانه&status=all", "/tasks/?mine=1&status=all&plan={plan}",
    "/tasks/export.csv?plan={plan}&status=all", "/tasks/export.xlsx?plan={plan}&status=all",
    "/tasks/export.csv?list=review&status=all", "/tasks/export.xlsx?list=review&plan={plan}&status=all",
    "/tasks/export.csv?q=محرمانه&status=all",
]


@pytest.mark.parametrize("who", ["officer_of_b", "participant"])
@pytest.mark.parametrize("htmx", [False, True])
def test_every_task_url_of_agency_a_is_closed_to_others(ctx, s, uploads, who, htmx):
    intruder = s.b1 if who == "officer_of_b" else s.participant
    client = signed_in(ctx.test_client(), intruder)
    headers = {"HX-Request": "true", "HX-Target": "task-panel"} if htmx else {}
    urls = every_url(s, intruder)
    before = state(uploads)
    assert len(urls) > 40
    for method, url, form in urls:
        if method == "GET":
            response = client.get(url, headers=headers)
        else:
            response = client.post(url, data=form, headers=headers,
                                   content_type="multipart/form-data" if "file" in form else None)
        assert response.status_code in (403, 404), f"{method} {url}: {response.status_code}"
        text = body_text(response)
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, f"{method} {url} shows {leaked}"
    for url in LISTS:
        response = client.get(url.format(plan=s.plan.id), headers=headers)
        assert response.status_code == 200, url
        text = body_text(response)
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, f"GET {url} shows {leaked}"
    assert state(uploads) == before


def test_the_refused_urls_reach_every_route_of_a_task(ctx, s):
    """A route added under /tasks/<task_id>/ (a new kind form, say) fails here until the test above tries it."""
    adapter = ctx.url_map.bind("localhost")
    tried = {adapter.match(url.split("?")[0], method=method)[0]
             for method, url, _form in task_urls(s.tasks[0], 1, 1, 1)}
    per_task = {rule.endpoint for rule in ctx.url_map.iter_rules() if "<int:task_id>" in rule.rule}
    assert per_task - tried == set()


def test_the_plan_page_names_open_mandatory_tasks_only_to_planning_staff(ctx, s, uploads):
    """The exit checklist counts the tasks not accepted for everyone; their titles and agencies are for the
    supervisors, who see every agency's work."""
    def checklist_item(person: User) -> str:
        page = signed_in(ctx.test_client(), person).get(f"/plans/{s.plan.id}")
        assert page.status_code == 200
        return lxml.html.fromstring(page.text).xpath('//li[@data-key="mandatory_tasks"]')[0].text_content()

    assert f"{A_TITLE} (اداره کل راه و شهرسازی)" in checklist_item(s.sup)
    for person in (s.a1, s.b1, s.participant):
        item = checklist_item(person)
        assert "وظیفهٔ الزامی هنوز پذیرفته نشده است" in item
        assert not [secret for secret in SECRETS if secret in item], person.name


def test_the_same_urls_answer_agency_a_so_the_refusals_above_are_real(ctx, s, uploads):
    """A control: A's officer reads every page, fragment, download and export the intruders were refused."""
    client = signed_in(ctx.test_client(), s.a1)
    comments = {c.task_id: c.id for c in s.comments}
    files = {f.task_id: f.id for f in s.files}
    for task in s.tasks:
        page = client.get(f"/tasks/{task.id}/")
        assert page.status_code == 200 and task.title in page.text
        assert client.get(f"/tasks/{task.id}/comments").status_code == 200
        if task.id in files:
            download = client.get(f"/tasks/{task.id}/files/{files[task.id]}")
            assert download.status_code == 200 and download.get_data() == PDF
            download.close()
        if task.id in comments:
            assert A_COMMENT in client.get(f"/tasks/{task.id}/comments").text
    inbox = client.get(f"/tasks/?plan={s.plan.id}&status=all").text
    assert all(title in inbox for title in (A_TITLE, A_SUBMITTED_TITLE, A_PERSONAL_TITLE))
    export = body_text(client.get(f"/tasks/export.xlsx?plan={s.plan.id}&status=all"))
    assert all(title in export for title in (A_TITLE, A_SUBMITTED_TITLE, A_PERSONAL_TITLE))
    # Even a colleague of the same agency does not see a1's personal task.
    colleague = signed_in(ctx.test_client(), s.a2)
    assert colleague.get(f"/tasks/{s.tasks[2].id}/").status_code == 404
    assert A_PERSONAL_TITLE not in colleague.get("/tasks/?status=all").text


def test_the_participant_sees_only_their_own_task(ctx, s, uploads):
    client = signed_in(ctx.test_client(), s.participant)
    inbox = client.get("/tasks/?status=all")
    assert inbox.status_code == 200
    titles = [" ".join(link.split()) for link in
              lxml.html.fromstring(inbox.text).xpath('//div[@id="task-list"]//tbody//a/text()')]
    assert titles == [PARTICIPANT_TITLE]
    assert client.get(f"/tasks/{s.participant_task.id}/").status_code == 200
    assert client.get(f"/tasks/{s.b_task.id}/").status_code == 404
    exported = body_text(client.get("/tasks/export.csv?status=all"))
    assert PARTICIPANT_TITLE in exported and "کار دستگاه ب" not in exported
    # And works on it.
    version = db.session.get(Task, s.participant_task.id).version
    response = client.post(f"/tasks/{s.participant_task.id}/act", data={"action": "take", "version": version})
    assert response.status_code == 200
    assert db.session.get(Task, s.participant_task.id).status == TaskStatus.IN_PROGRESS


@pytest.mark.parametrize("role", ["viewer", "council_member", "admin"])
def test_roles_without_tasks_get_403_on_every_task_list_and_page(ctx, s, uploads, role):
    client = signed_in(ctx.test_client(), make_user(role))
    before = state(uploads)
    urls = ["/tasks/", "/tasks/?mine=1", "/tasks/review", "/tasks/export.csv", "/tasks/export.xlsx",
            f"/tasks/{s.tasks[0].id}/", f"/tasks/{s.tasks[0].id}/comments",
            f"/tasks/{s.tasks[0].id}/files/{s.files[0].id}", f"/tasks/new/{s.plan.id}"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403, url
        assert not [secret for secret in SECRETS if secret in body_text(response)], url
    for url in (f"/tasks/{s.tasks[0].id}/act", f"/tasks/{s.tasks[0].id}/comments", "/tasks/extend"):
        assert client.post(url, data={"action": "take", "body": "x"}).status_code == 403, url
    assert state(uploads) == before


def test_signed_out_visitors_are_sent_to_sign_in(ctx, s):
    client = ctx.test_client()
    for url in ("/tasks/", f"/tasks/{s.tasks[0].id}/", f"/tasks/{s.tasks[0].id}/files/{s.files[0].id}",
                "/tasks/export.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    response = client.get(f"/tasks/{s.tasks[0].id}/comments", headers={"HX-Request": "true"})
    assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]
