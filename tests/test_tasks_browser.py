"""Tasks in a real browser (issue 4): an officer of an agency takes a task from the inbox, comments, attaches a PDF
and submits it; a supervisor returns it with a reason (required, refused in Persian in place when blank); the
officer sees the reason and submits again; the supervisor accepts, and the plan's exit checklist item for
mandatory tasks turns done, so the pending move can be approved. Every action swaps a component in place (htmx, no
reload), and screenshots of the task page, the inbox and a phone-sized task page go to test-artifacts/.

Served with CSRF protection ON (as in production); every browser context is watched for CSP violations and
JavaScript errors (RELIABILITY X3).
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from planapp.audit.models import AuditEvent
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task, TaskAttachment, TaskComment, TaskTemplate
from tests.browser_fixtures import (
    MOBILE,
    assert_same_document,
    expect_language,
    expect_no_horizontal_overflow,
    hand_over,
    no_reload_marker,
    signed_in_page,
)
from tests.factories import make_agency, make_plan, make_request, make_user

pytestmark = pytest.mark.browser

# Persian UI strings (planapp/translations/fa/LC_MESSAGES/messages.po).
TASKS_FA = "وظایف"
MY_TASKS_FA = "وظایف من"
TO_REVIEW_FA = "ارسال‌های در انتظار بررسی"
DONE_FA = "انجام شد."
COMMENT_ADDED_FA = "توضیح شما افزوده شد."
FILE_ADDED_FA = "پرونده افزوده شد."
ADD_COMMENT_FA = "افزودن توضیح"
UPLOAD_FA = "بارگذاری"
GIVE_REASON_FA = "دلیل را بنویسید."
RETURNED_FA = "بازگشته برای اصلاح:"
STATUS_FA = {TaskStatus.OPEN: "باز", TaskStatus.IN_PROGRESS: "در حال انجام",
             TaskStatus.SUBMITTED: "ارسال‌شده برای بررسی", TaskStatus.RETURNED: "بازگشته برای اصلاح",
             TaskStatus.ACCEPTED: "پذیرفته شد"}
ALL_ACCEPTED_FA = "همهٔ ۱ وظیفهٔ الزامی پذیرفته شده است"
NOT_ACCEPTED_FA = "۱ از ۱ وظیفهٔ الزامی هنوز پذیرفته نشده است"
FIRST_STAGE_FA = "شناخت وضع موجود"
ANALYSIS_FA = "تحلیل و هسته‌های پیشران"
CONFIRM_APPROVE_FA = "تأیید نهایی"
TOOK_FA = "انجام وظیفه را پذیرفت"
ADDED_FILE_FA = "پرونده‌ای افزود"
HISTORY_RETURNED_FA = "برای اصلاح بازگرداند"

AGENCY = "ادارهٔ کل راه و شهرسازی استان"
OFFICER = "نرگس جعفری"
REVIEWER = "سارا احمدی"
OWNER = "بهرام کاظمی"
PLAN_TITLE = "برنامهٔ هفتم توسعهٔ استان آذربایجان شرقی"
TASK_TITLE = "ارسال شاخص‌های حمل و نقل و مسکن"
COMMENT = "جدول شاخص‌های سال‌های ۱۴۰۰ تا ۱۴۰۳ پیوست شد."
REASON = "شاخص‌های شهرستان مرند در جدول نیامده است؛ لطفاً کامل کنید."
ANSWER = "شاخص‌های مرند افزوده شد."
FILE_NAME = "شاخص‌های راه و مسکن ۱۴۰۳.pdf"


# --------------------------------------------------------------------------- fixtures and helpers


# `server` (CSRF on) and `contexts` (watched browser contexts) come from tests/browser_fixtures.py, and so does
# `signed_in_page` (a watched context's page, signed in).


def small_pdf(folder: Path) -> Path:
    """A real one-page PDF (reportlab), under a Persian file name."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = folder / FILE_NAME
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle("Indicators 1403")
    pdf.drawString(72, 770, "Transport and housing indicators, 1400-1403")
    pdf.showPage()
    pdf.save()
    return path


def the_story() -> SimpleNamespace:
    """An agency with an officer; a plan at its first stage whose one mandatory template opened a task for the
    agency; a pending move asked by the plan's owner, to be decided by another supervisor (four eyes)."""
    agency = make_agency(AGENCY)
    officer = make_user("officer", agency, name=OFFICER)
    reviewer = make_user("supervisor", name=REVIEWER)
    owner = make_user("supervisor", name=OWNER)
    template = TaskTemplate(stage=Stage.SITUATION_ASSESSMENT, kind=TaskKind.SUBMIT_INDICATORS, title=TASK_TITLE,
                            title_en="Submit transport and housing indicators",
                            description="شاخص‌های حوزهٔ کاری دستگاه را به تفکیک شهرستان بارگذاری کنید.",
                            mandatory=True, due_in_days=10, agencies=[agency])
    db.session.add(template)
    db.session.commit()
    plan = make_plan(owner, title=PLAN_TITLE)  # entering the first stage opens the template's task
    make_request(plan, "complete_assessment", asker=owner)
    tasks = db.session.scalars(sa.select(Task).where(Task.plan_id == plan.id)).all()
    assert [(t.title, t.agency_id, t.mandatory, t.status) for t in tasks] == [
        (TASK_TITLE, agency.id, True, TaskStatus.OPEN)]
    story = SimpleNamespace(officer=officer.email, reviewer=reviewer.email, plan_id=plan.id, task_id=tasks[0].id)
    hand_over()
    return story


def task_row(task_id: int) -> tuple[TaskStatus, str, int, int, int]:
    """The task as the database holds it, as plain values: status, return reason, comments, files, version."""
    db.session.expire_all()
    task = db.session.get(Task, task_id)
    comments = db.session.scalar(sa.select(sa.func.count()).where(TaskComment.task_id == task_id))
    files = db.session.scalar(sa.select(sa.func.count()).where(TaskAttachment.task_id == task_id))
    row = (task.status, task.return_reason, comments, files, task.version)
    hand_over()
    return row


def task_actions(task_id: int) -> list[str]:
    actions = list(db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "tasks", AuditEvent.object_id == task_id).order_by(AuditEvent.id)))
    hand_over()
    return actions


def plan_stage(plan_id: int) -> Stage:
    db.session.expire_all()
    stage = db.session.get(Plan, plan_id).stage
    hand_over()
    return stage


def expect_status(page: Page, status: TaskStatus) -> None:
    panel = page.locator("#task-panel")
    expect(panel).to_have_attribute("data-status", status.value)
    expect(panel.locator(".task-status")).to_have_text(STATUS_FA[status])


def expect_buttons(page: Page, *names: str) -> None:
    """Exactly these action buttons in the task panel (the user's allowed moves from the current status)."""
    expect(page.locator("#task-panel .task-actions button")).to_have_count(len(names))
    for name in names:
        expect(page.locator(f"#action-{name}")).to_be_visible()


# --------------------------------------------------------------------------- the whole cycle


def test_an_officer_submits_a_task_a_supervisor_returns_then_accepts_and_the_move_can_be_approved(
    server: str, contexts, artifacts: Path, backend: str, tmp_path: Path
):
    story = the_story()
    task_url = f"{server}/tasks/{story.task_id}/"
    pdf = small_pdf(tmp_path)

    # --- the supervisor first sees the gate closed: the mandatory task is not accepted, Approve… is disabled.
    page_s, watch_s = signed_in_page(contexts, server, story.reviewer)
    page_s.goto(f"{server}/plans/{story.plan_id}")
    item = page_s.locator("#exit-checklist li[data-key=mandatory_tasks]")
    expect(item).to_have_class("open")
    expect(item).to_contain_text(NOT_ACCEPTED_FA)
    expect(item).to_contain_text(f"{TASK_TITLE} ({AGENCY})")
    expect(page_s.locator("#approve-button")).to_be_disabled()
    expect(page_s.locator("#approve-blocked")).to_contain_text(NOT_ACCEPTED_FA)
    expect(page_s.locator(f"#plan-task-{story.task_id}")).to_contain_text(STATUS_FA[TaskStatus.OPEN])

    # --- the officer signs in: the navigation counts one task to do; the inbox lists it.
    page_o, watch_o = signed_in_page(contexts, server, story.officer, viewport={"width": 1280, "height": 900})
    expect_language(page_o, "fa", "rtl")
    link = page_o.locator("#tasks-link")
    expect(link).to_contain_text(TASKS_FA)
    expect(link.locator(".count")).to_have_text("۱")
    link.click()
    expect(page_o).to_have_url(f"{server}/tasks/")
    expect(page_o.get_by_role("heading", level=1)).to_have_text(MY_TASKS_FA)
    row = page_o.locator(f"#task-list #task-{story.task_id}")
    expect(row).to_contain_text(TASK_TITLE)
    expect(row).to_contain_text(PLAN_TITLE)
    expect(row).to_contain_text(AGENCY)
    expect(row).to_contain_text(STATUS_FA[TaskStatus.OPEN])
    expect(page_o.locator("#task-list .count")).to_have_text("۱ وظیفه")
    page_o.screenshot(path=artifacts / f"tasks-inbox-fa-{backend}.png", full_page=True)

    # --- the task page; take it (the panel swaps in place).
    row.get_by_role("link", name=TASK_TITLE).click()
    expect(page_o).to_have_url(task_url)
    expect(page_o.get_by_role("heading", level=1)).to_have_text(TASK_TITLE)
    expect_status(page_o, TaskStatus.OPEN)
    expect_buttons(page_o, "take")
    no_reload_marker(page_o)
    page_o.locator("#action-take").click()
    expect_status(page_o, TaskStatus.IN_PROGRESS)
    expect(page_o.locator("#task-panel")).to_contain_text(f"در دست {OFFICER}")
    expect(page_o.locator("#flash")).to_contain_text(DONE_FA)
    expect_buttons(page_o, "submit")
    expect(page_o.locator("#task-history")).to_contain_text(f"{OFFICER} — {TOOK_FA}")  # refreshed in place

    # A comment, swapped into the thread; the textarea is empty again.
    comments = page_o.locator("#task-comments")
    comments.locator("#comment-body").fill(COMMENT)
    comments.get_by_role("button", name=ADD_COMMENT_FA).click()
    expect(comments.locator(".comment-body")).to_have_text([COMMENT])
    expect(comments).to_contain_text(OFFICER)
    expect(page_o.locator("#comment-body")).to_have_value("")
    expect(page_o.locator("#flash")).to_contain_text(COMMENT_ADDED_FA)

    # A real PDF, uploaded through the file input; its Persian name is kept for the download.
    files = page_o.locator("#task-files")
    files.locator("#task-file").set_input_files(pdf)
    files.get_by_role("button", name=UPLOAD_FA).click()
    download = page_o.locator("#task-files ul.files a")
    expect(download).to_have_text(FILE_NAME)
    expect(page_o.locator("#flash")).to_contain_text(FILE_ADDED_FA)
    expect(page_o.locator("#file-error")).to_have_count(0)
    served = page_o.context.request.get(server + download.get_attribute("href"))
    assert served.status == 200
    assert served.body() == pdf.read_bytes()
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment")
    expect(page_o.locator("#task-history")).to_contain_text(ADDED_FILE_FA)

    expect(page_o.locator("#tasks-link .count")).to_have_text("۱")  # taken, still to do
    page_o.locator("#action-submit").click()
    expect_status(page_o, TaskStatus.SUBMITTED)
    expect(page_o.locator("#task-panel .task-actions")).to_have_count(0)  # nothing left for the officer to do
    expect(page_o.locator("#tasks-link")).to_contain_text(TASKS_FA)
    expect(page_o.locator("#tasks-link .count")).to_have_count(0)  # the navigation followed, without a reload
    assert_same_document(page_o)
    assert task_row(story.task_id)[:4] == (TaskStatus.SUBMITTED, "", 1, 1)
    page_o.screenshot(path=artifacts / f"task-page-fa-{backend}.png", full_page=True)

    # --- the supervisor: one submission to review; the Tasks link leads to the review list.
    page_s.goto(f"{server}/")
    expect(page_s.locator("#tasks-link .count")).to_have_text("۱")
    page_s.locator("#tasks-link").click()
    expect(page_s).to_have_url(re.compile(r"/tasks/review$"))
    expect(page_s.get_by_role("heading", level=1)).to_have_text(TO_REVIEW_FA)
    review_row = page_s.locator(f"#task-list #task-{story.task_id}")
    expect(review_row).to_contain_text(STATUS_FA[TaskStatus.SUBMITTED])
    page_s.screenshot(path=artifacts / f"tasks-review-fa-{backend}.png", full_page=True)
    review_row.get_by_role("link", name=TASK_TITLE).click()
    expect(page_s).to_have_url(task_url)
    expect_status(page_s, TaskStatus.SUBMITTED)
    expect_buttons(page_s, "accept", "return", "cancel")
    expect(page_s.locator("#task-comments .comment-body")).to_have_text([COMMENT])
    expect(page_s.locator("#task-files ul.files a")).to_have_text(FILE_NAME)

    # Return: the reason is required. Empty, the browser holds the form back …
    no_reload_marker(page_s)
    reason = page_s.locator("#reason-return")
    page_s.locator("#action-return").click()
    assert reason.evaluate("el => el.validity.valueMissing") is True
    expect(page_s.locator("#task-error")).to_have_count(0)
    # … and only spaces reach the server, which answers in Persian, in place; nothing changes.
    reason.fill("   ")
    page_s.locator("#action-return").click()
    expect(page_s.locator("#task-error")).to_have_text(GIVE_REASON_FA)
    expect_status(page_s, TaskStatus.SUBMITTED)
    assert task_row(story.task_id)[:2] == (TaskStatus.SUBMITTED, "")
    # With a reason it is returned.
    page_s.locator("#reason-return").fill(REASON)
    page_s.locator("#action-return").click()
    expect_status(page_s, TaskStatus.RETURNED)
    expect(page_s.locator("#return-reason")).to_contain_text(REASON)
    expect(page_s.locator("#task-history li").first).to_contain_text(f"{REVIEWER} — {HISTORY_RETURNED_FA}: {REASON}")
    expect(page_s.locator("#task-error")).to_have_count(0)
    expect(page_s.locator("#task-panel .task-actions button")).to_have_count(1)  # cancel is all that is left
    expect(page_s.locator("#tasks-link .count")).to_have_count(0)  # nothing waits for review any more
    assert_same_document(page_s)
    assert task_row(story.task_id)[:2] == (TaskStatus.RETURNED, REASON)

    # --- the officer sees the reason, answers it and submits again.
    page_o.goto(f"{server}/tasks/")
    expect(page_o.locator(f"#task-{story.task_id}")).to_contain_text(STATUS_FA[TaskStatus.RETURNED])
    page_o.locator(f"#task-{story.task_id}").get_by_role("link", name=TASK_TITLE).click()
    expect(page_o).to_have_url(task_url)
    expect_status(page_o, TaskStatus.RETURNED)
    expect(page_o.locator("#return-reason")).to_have_text(f"{RETURNED_FA} {REASON}")
    expect(page_o.locator("#task-history")).to_contain_text(REASON)
    expect_buttons(page_o, "submit")
    expect(page_o.locator("#tasks-link .count")).to_have_text("۱")  # returned: to do again
    no_reload_marker(page_o)
    page_o.locator("#comment-body").fill(ANSWER)
    page_o.locator("#task-comments").get_by_role("button", name=ADD_COMMENT_FA).click()
    expect(page_o.locator("#task-comments .comment-body")).to_have_text([COMMENT, ANSWER])
    page_o.locator("#action-submit").click()
    expect_status(page_o, TaskStatus.SUBMITTED)
    expect(page_o.locator("#return-reason")).to_have_count(0)
    assert_same_document(page_o)

    # --- the supervisor accepts.
    page_s.reload()
    expect_status(page_s, TaskStatus.SUBMITTED)
    expect(page_s.locator("#task-comments .comment-body")).to_have_text([COMMENT, ANSWER])
    no_reload_marker(page_s)
    page_s.locator("#action-accept").click()
    expect_status(page_s, TaskStatus.ACCEPTED)
    expect(page_s.locator("#task-panel .task-actions")).to_have_count(0)
    assert_same_document(page_s)
    status, reason_left, n_comments, n_files, _version = task_row(story.task_id)
    assert (status, reason_left, n_comments, n_files) == (TaskStatus.ACCEPTED, "", 2, 1)
    assert task_actions(story.task_id) == ["task.take", "task.comment", "task.attach", "task.submit",
                                           "task.return", "task.comment", "task.submit", "task.accept"]

    # --- the plan page: the checklist item is done and the pending move can be approved, and is.
    page_s.locator("main").get_by_role("link", name=PLAN_TITLE).click()
    expect(page_s).to_have_url(f"{server}/plans/{story.plan_id}")
    item = page_s.locator("#exit-checklist li[data-key=mandatory_tasks]")
    expect(item).to_have_class("done")
    expect(item).to_contain_text(ALL_ACCEPTED_FA)
    expect(page_s.locator("#exit-checklist li.open")).to_have_count(0)
    expect(page_s.locator(f"#plan-task-{story.task_id}")).to_contain_text(STATUS_FA[TaskStatus.ACCEPTED])
    approve = page_s.locator("#approve-button")
    expect(approve).to_be_enabled()
    expect(page_s.locator("#approve-blocked")).to_have_count(0)
    no_reload_marker(page_s)
    approve.click()
    page_s.locator("#confirm-decision").get_by_role("button", name=CONFIRM_APPROVE_FA).click()
    expect(page_s.locator("#plan-workflow")).to_have_attribute("data-stage", "analysis")
    expect(page_s.locator("#plan-stage")).to_have_text(ANALYSIS_FA)
    assert_same_document(page_s)
    assert plan_stage(story.plan_id) == Stage.ANALYSIS

    for page, watch in ((page_o, watch_o), (page_s, watch_s)):
        watch.assert_clean(page)


# --------------------------------------------------------------------------- a phone


def test_the_task_page_on_a_phone(server: str, contexts, artifacts: Path, backend: str):
    story = the_story()
    phone, watch = signed_in_page(contexts, server, story.officer, viewport=MOBILE, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    phone.goto(f"{server}/tasks/{story.task_id}/")
    expect_language(phone, "fa", "rtl")
    expect_status(phone, TaskStatus.OPEN)
    no_reload_marker(phone)
    phone.locator("#action-take").click()
    expect_status(phone, TaskStatus.IN_PROGRESS)
    phone.locator("#comment-body").fill(COMMENT)
    phone.locator("#task-comments").get_by_role("button", name=ADD_COMMENT_FA).click()
    expect(phone.locator("#task-comments .comment-body")).to_have_text([COMMENT])
    assert_same_document(phone)
    expect_no_horizontal_overflow(phone, "task page on a phone")
    phone.screenshot(path=artifacts / f"task-page-mobile-{backend}.png", full_page=True)
    phone.goto(f"{server}/tasks/")
    expect(phone.locator(f"#task-{story.task_id}")).to_be_visible()
    expect_no_horizontal_overflow(phone, "inbox on a phone")
    phone.screenshot(path=artifacts / f"tasks-inbox-mobile-{backend}.png", full_page=True)
    watch.assert_clean(phone)
