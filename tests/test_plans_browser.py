"""Plans in a real browser (issue 3): supervisor A creates a plan and asks for the first move, supervisor B approves
it and the timeline moves on in place (htmx, no reload); an officer sees no approve button and is refused (403)
when posting the decision directly. Also: the approve button is disabled while the exit checklist is open, a
rejection needs a reason, and screenshots of the plan page, the board and a phone-sized plan page.

The app is served with CSRF protection ON (as in production), so every htmx request proves it carries the token.
Every browser context is watched for CSP violations and JavaScript errors (RELIABILITY X3).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from planapp.approvals import services as approvals
from planapp.approvals.models import RequestStatus, TransitionRequest
from planapp.core import clock
from planapp.extensions import db
from planapp.plans import services as plans
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from tests.browser_fixtures import (
    MOBILE,
    assert_same_document,
    expect_language,
    expect_no_horizontal_overflow,
    hand_over,
    no_reload_marker,
    signed_in_page,
)
from tests.factories import make_user

pytestmark = pytest.mark.browser

# Persian UI strings (planapp/translations/fa/LC_MESSAGES/messages.po).
FIRST_STAGE_FA = "شناخت وضع موجود"
ANALYSIS_FA = "تحلیل و هسته‌های پیشران"
MOVE_ON_FA = "رفتن به مرحلهٔ تحلیل"
NEXT_MOVE_FA = "رفتن به مرحلهٔ اهداف"
DESCRIBED_FA = "شرح برنامه نوشته شده است"
APPROVE_FA = "تأیید…"
REJECT_FA = "رد…"
CONFIRM_APPROVE_FA = "تأیید نهایی"
CONFIRM_REJECT_FA = "ثبت رد درخواست"
REQUEST_SENT_FA = "درخواست شما برای ناظران فرستاده شد."
APPROVED_FA = "انتقال تأیید شد."
REJECTED_FA = "درخواست رد شد و دلیل آن به درخواست‌دهنده اطلاع داده شد."
REASON_NEEDED_FA = "بنویسید چرا درخواست رد می‌شود و چه چیزی باید اصلاح شود."
FOUR_EYES_FA = "ناظر دیگری باید دربارهٔ این درخواست تصمیم بگیرد (قاعدهٔ چهار چشم)."
NOT_READY_FA = f"هنوز آماده نیست: {DESCRIBED_FA}"


# --------------------------------------------------------------------------- fixtures and helpers


# `server` (CSRF on) and `contexts` (watched browser contexts) come from tests/browser_fixtures.py, and so does
# `signed_in_page` (a watched context's page, signed in).


def person(role: str, name: str) -> str:
    email = make_user(role=role, name=name).email
    hand_over()
    return email


def csrf_token(page: Page) -> str:
    return json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRFToken"]


def the_plan(title: str) -> SimpleNamespace:
    """The plan's values as plain data: reading an expired ORM object later would open a transaction (and on
    SQLite take the write lock the served app needs)."""
    plan = db.session.scalar(sa.select(Plan).where(Plan.title == title))
    values = SimpleNamespace(id=plan.id, period=(plan.period_start, plan.period_end), stage=plan.stage)
    hand_over()
    return values


def plan_state(plan_id: int) -> tuple[Stage, int]:
    db.session.expire_all()
    plan = db.session.get(Plan, plan_id)
    state = (plan.stage, plan.version)
    hand_over()
    return state


def requests_of(plan_id: int) -> list[tuple[str, RequestStatus]]:
    rows = db.session.scalars(
        sa.select(TransitionRequest).where(TransitionRequest.plan_id == plan_id).order_by(TransitionRequest.id))
    result = [(r.event, r.status) for r in rows]
    hand_over()
    return result


def expect_current_stage(page: Page, stage: str, label: str) -> None:
    workflow = page.locator("#plan-workflow")
    expect(workflow).to_have_attribute("data-stage", stage)
    current = workflow.locator("#plan-timeline li[aria-current=step]")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("data-stage", stage)
    expect(current.locator(".step-label")).to_have_text(label)
    expect(workflow.locator("h2").first).to_have_text(f"مرحله: {label}")


# --------------------------------------------------------------------------- 1. the whole story


def test_a_plan_is_created_asked_to_move_approved_in_place_and_an_officer_is_refused(
    server: str, contexts, artifacts: Path, backend: str
):
    alice = person("supervisor", "سارا احمدی")
    bob = person("supervisor", "بهرام کاظمی")
    officer = person("officer", "اکبر رستمی")

    # --- supervisor A creates the plan through the form, years in Persian digits.
    page_a, watch_a = signed_in_page(contexts, server, alice)
    expect_language(page_a, "fa", "rtl")
    page_a.locator("nav.mainnav").get_by_role("link", name="برنامه‌ها").click()
    expect(page_a).to_have_url(f"{server}/plans/")
    page_a.get_by_role("link", name="برنامهٔ جدید").click()
    expect(page_a).to_have_url(f"{server}/plans/new")
    title = "برنامهٔ هفتم توسعهٔ استان آذربایجان شرقی"
    page_a.locator("#title").fill(title)
    expect(page_a.locator("#province")).to_have_value("آذربایجان شرقی")
    page_a.locator("#period_start").fill("۱۴۰۵")
    page_a.locator("#period_end").fill("۱۴۰۹")
    expect(page_a.locator("#owner_id option:checked")).to_have_text("سارا احمدی")
    page_a.get_by_role("button", name="ایجاد برنامه").click()

    expect(page_a).to_have_url(re.compile(r"/plans/\d+$"))
    expect(page_a.locator("#flash .flash-success")).to_have_text(f"برنامهٔ «{title}» ایجاد شد.")
    expect(page_a.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page_a.locator("#plan-stage")).to_have_text(FIRST_STAGE_FA)
    expect(page_a.locator(".plan-head")).to_contain_text("۱۴۰۵–۱۴۰۹")
    expect_current_stage(page_a, "situation_assessment", FIRST_STAGE_FA)
    # The checklist is open: the description is not written yet.
    expect(page_a.locator("#exit-checklist li[data-key=description]")).to_have_class("open")
    plan = the_plan(title)
    assert (plan.period, plan.stage) == ((1405, 1409), Stage.SITUATION_ASSESSMENT)

    # --- A writes the description (edit form) and comes back to a complete checklist.
    page_a.locator(".plan-head").get_by_role("link", name="ویرایش").click()
    expect(page_a).to_have_url(f"{server}/plans/{plan.id}/edit")
    page_a.locator("#description").fill("شناخت وضع موجود استان در ۱۲ بخش، با داده‌های سال ۱۴۰۳.")
    page_a.get_by_role("button", name="ذخیره").click()
    expect(page_a).to_have_url(f"{server}/plans/{plan.id}")
    expect(page_a.locator("#flash .flash-success")).to_have_text(f"برنامهٔ «{title}» ذخیره شد.")
    expect(page_a.locator("section.description")).to_contain_text("در ۱۲ بخش")
    expect(page_a.locator("#exit-checklist li[data-key=description]")).to_have_class("done")

    # --- A asks for the first move from the plan page; the panel swaps in place.
    no_reload_marker(page_a)
    moves = page_a.locator("#plan-moves")
    expect(moves.get_by_role("button", name=MOVE_ON_FA)).to_be_visible()
    moves.get_by_role("button", name=MOVE_ON_FA).click()
    pending = page_a.locator("#pending-request")
    expect(pending).to_contain_text(f"در انتظار تصمیم: {MOVE_ON_FA}")
    expect(page_a.locator("#flash .flash-success")).to_have_text(REQUEST_SENT_FA)
    # Four eyes: A may not decide her own request, only withdraw it.
    expect(pending).to_contain_text(FOUR_EYES_FA)
    expect(page_a.locator("#approve-button")).to_have_count(0)
    expect(page_a.locator("#withdraw-button")).to_be_visible()
    expect(page_a.locator("#plan-activity")).to_contain_text("درخواست انتقال داد")  # the feed refreshed itself
    assert_same_document(page_a)
    assert requests_of(plan.id) == [("complete_assessment", RequestStatus.PENDING)]

    # --- supervisor B opens the plan: checklist done, the request waiting, Approve… enabled.
    page_b, watch_b = signed_in_page(contexts, server, bob)
    page_b.locator("nav.mainnav").get_by_role("link", name="برنامه‌ها").click()
    expect(page_b.locator(f"#card-{plan.id}")).to_contain_text(title)
    page_b.locator(f"#card-{plan.id}").click()
    expect(page_b).to_have_url(f"{server}/plans/{plan.id}")
    expect(page_b.locator("#exit-checklist li[data-key=description]")).to_have_class("done")
    expect(page_b.locator("#exit-checklist li.open")).to_have_count(0)
    expect(page_b.locator("#pending-request")).to_contain_text(f"در انتظار تصمیم: {MOVE_ON_FA}")
    expect(page_b.locator("#pending-request")).to_contain_text("سارا احمدی")
    approve = page_b.locator("#approve-button")
    expect(approve).to_have_text(APPROVE_FA)
    expect(approve).to_be_enabled()
    expect(page_b.locator("#approve-blocked")).to_have_count(0)
    expect(page_b.locator("#plan-activity li").first).to_contain_text("درخواست انتقال داد")
    events_before = page_b.locator("#plan-activity li").count()

    # The confirm step shows the consequences; nothing has changed yet.
    no_reload_marker(page_b)
    approve.click()
    confirm = page_b.locator("#confirm-decision")
    expect(confirm).to_be_visible()
    expect(confirm.locator("h4")).to_have_text(f"تأیید: {MOVE_ON_FA}")
    consequences = confirm.locator("ul.consequences li")
    expect(consequences.first).to_have_text(f"برنامه از «{FIRST_STAGE_FA}» به «{ANALYSIS_FA}» منتقل می‌شود.")
    expect(confirm.locator("ul.consequences")).to_contain_text("آگاه‌شوندگان: سارا احمدی")
    assert plan_state(plan.id)[0] == Stage.SITUATION_ASSESSMENT
    page_b.screenshot(path=artifacts / f"plan-confirm-fa-{backend}.png", full_page=True)

    confirm.get_by_role("button", name=CONFIRM_APPROVE_FA).click()

    # The timeline shows the new current stage, swapped in place; the feed refreshes itself.
    expect_current_stage(page_b, "analysis", ANALYSIS_FA)
    expect(page_b.locator("#plan-stage")).to_have_text(ANALYSIS_FA)  # the header follows (out-of-band swap)
    done = page_b.locator("#plan-timeline li[data-stage=situation_assessment]")
    expect(done).to_have_class(re.compile(r"\bstep-done\b"))
    expect(page_b.locator("#plan-timeline li[data-stage=analysis] .step-meta")).to_contain_text("تأیید: بهرام کاظمی")
    expect(page_b.locator("#flash .flash-success")).to_have_text(APPROVED_FA)
    expect(page_b.locator("#pending-request")).to_have_count(0)
    expect(page_b.locator("#plan-activity li").first).to_contain_text("انتقالی را تأیید کرد")
    expect(page_b.locator("#plan-activity li").first).to_contain_text(
        f"انتقالی را تأیید کرد: {FIRST_STAGE_FA} ← {ANALYSIS_FA}")  # the arrow points the RTL way
    # The moves from here are labelled in Persian (the send-back names its stage in Persian too).
    expect(page_b.locator("#plan-moves button")).to_have_text([NEXT_MOVE_FA, f"بازگرداندن به {FIRST_STAGE_FA}"])
    expect(page_b.locator("#plan-activity li")).to_have_count(events_before + 1)
    assert_same_document(page_b)
    assert plan_state(plan.id)[0] == Stage.ANALYSIS
    assert requests_of(plan.id) == [("complete_assessment", RequestStatus.APPROVED)]
    page_b.screenshot(path=artifacts / f"plan-page-fa-{backend}.png", full_page=True)

    # A asks for the next move, so that a decision is waiting when the officer looks.
    page_a.reload()
    expect_current_stage(page_a, "analysis", ANALYSIS_FA)
    page_a.locator("#plan-moves").get_by_role("button", name=NEXT_MOVE_FA).click()
    expect(page_a.locator("#pending-request")).to_contain_text(f"در انتظار تصمیم: {NEXT_MOVE_FA}")
    second = requests_of(plan.id)[-1]
    assert second == ("complete_analysis", RequestStatus.PENDING)
    request_id = db.session.scalar(sa.select(sa.func.max(TransitionRequest.id)))
    hand_over()
    stage, version = plan_state(plan.id)

    # --- an officer sees the plan and the waiting request, but no button to decide or to ask.
    page_o, watch_o = signed_in_page(contexts, server, officer)
    page_o.goto(f"{server}/plans/{plan.id}")
    expect_current_stage(page_o, "analysis", ANALYSIS_FA)
    expect(page_o.locator("#pending-request")).to_contain_text(f"در انتظار تصمیم: {NEXT_MOVE_FA}")
    expect(page_o.locator("#approve-button")).to_have_count(0)
    expect(page_o.locator("#reject-button")).to_have_count(0)
    expect(page_o.locator("#withdraw-button")).to_have_count(0)
    expect(page_o.locator("#plan-moves")).to_have_count(0)
    expect(page_o.locator(".plan-head").get_by_role("link", name="ویرایش")).to_have_count(0)

    # Posting the decision directly, with the page's own CSRF token: 403, and the plan does not move.
    token = csrf_token(page_o)
    decide = f"{server}/plans/{plan.id}/requests/{request_id}/decide"
    refused = page_o.context.request.post(
        decide, form={"csrf_token": token, "decision": "approve", "comment": "", "version": str(version)},
        headers={"X-CSRFToken": token}, max_redirects=0)
    assert refused.status == 403, refused.text()
    assert "دسترسی مجاز نیست" in refused.text()
    for url in (f"{server}/plans/{plan.id}/requests/{request_id}/confirm?decision=approve",):
        assert page_o.context.request.get(url, max_redirects=0).status == 403
    asked = page_o.context.request.post(
        f"{server}/plans/{plan.id}/requests/", form={"csrf_token": token, "event": "back_to_assessment",
                                                      "comment": "x", "version": str(version)},
        max_redirects=0)
    assert asked.status == 403
    # Without the token it is refused before any permission is looked at (CSRF is on).
    assert page_o.context.request.post(decide, form={"decision": "approve"}, max_redirects=0).status == 400
    assert plan_state(plan.id) == (Stage.ANALYSIS, version)
    assert requests_of(plan.id)[-1] == ("complete_analysis", RequestStatus.PENDING)

    for page, watch in ((page_a, watch_a), (page_b, watch_b), (page_o, watch_o)):
        watch.assert_clean(page)


# --------------------------------------------------------------------------- 2. the gate and the rejection


def test_approve_is_disabled_while_the_checklist_is_open_and_a_rejection_needs_a_reason(
    server: str, contexts, artifacts: Path, backend: str
):
    alice_user = make_user(role="supervisor", name="سارا احمدی")
    bob = person("supervisor", "بهرام کاظمی")
    plan = plans.create_plan(alice_user, {"title": "برنامهٔ بی‌شرح", "province": "آذربایجان شرقی",
                                          "period_start": "1405", "period_end": "1409", "description": "",
                                          "owner_id": alice_user.id}, clock.now())
    approvals.request_transition(alice_user, plan.id, "complete_assessment", "زود است؟", clock.now())
    plan_id = plan.id
    hand_over()

    page, watch = signed_in_page(contexts, server, bob)
    page.goto(f"{server}/plans/{plan_id}")
    expect(page.locator("#exit-checklist li[data-key=description]")).to_have_class("open")
    approve = page.locator("#approve-button")
    expect(approve).to_be_disabled()
    expect(approve).to_have_attribute("aria-disabled", "true")
    expect(page.locator("#approve-blocked")).to_have_text(NOT_READY_FA)
    # Clicking a disabled button does nothing.
    approve.click(force=True)
    expect(page.locator("#confirm-decision")).to_have_count(0)

    # Reject: the confirm step asks for the reason.
    no_reload_marker(page)
    page.locator("#reject-button").click()
    confirm = page.locator("#confirm-decision")
    expect(confirm.locator("h4")).to_have_text(f"رد: {MOVE_ON_FA}")
    reason = confirm.locator("#decision-comment")
    submit = confirm.get_by_role("button", name=CONFIRM_REJECT_FA)
    # Empty: the browser itself holds the form back (required) …
    submit.click()
    assert reason.evaluate("el => el.validity.valueMissing") is True
    expect(page.locator("#workflow-error")).to_have_count(0)
    # … and a reason of only spaces reaches the server, which answers in Persian, in place.
    reason.fill("   ")
    submit.click()
    expect(page.locator("#workflow-error")).to_have_text(REASON_NEEDED_FA)
    expect(page.locator("#pending-request")).to_be_visible()
    assert_same_document(page)
    assert requests_of(plan_id) == [("complete_assessment", RequestStatus.PENDING)]

    # With a reason the rejection goes through; the plan stays where it was.
    page.locator("#reject-button").click()
    page.locator("#confirm-decision #decision-comment").fill("شرح برنامه نوشته نشده است.")
    page.locator("#confirm-decision").get_by_role("button", name=CONFIRM_REJECT_FA).click()
    expect(page.locator("#flash .flash-success")).to_have_text(REJECTED_FA)
    expect(page.locator("#pending-request")).to_have_count(0)
    expect_current_stage(page, "situation_assessment", FIRST_STAGE_FA)
    expect(page.locator("#plan-activity li").first).to_contain_text("درخواستی را رد کرد")
    page.locator("details.requests-history summary").click()
    expect(page.locator("details.requests-history")).to_contain_text("شرح برنامه نوشته نشده است.")
    assert_same_document(page)
    assert requests_of(plan_id) == [("complete_assessment", RequestStatus.REJECTED)]
    assert plan_state(plan_id)[0] == Stage.SITUATION_ASSESSMENT
    page.screenshot(path=artifacts / f"plan-rejected-fa-{backend}.png", full_page=True)

    watch.assert_clean(page)


# --------------------------------------------------------------------------- 3. the board, and a phone


def test_the_board_and_a_plan_page_on_a_phone(server: str, contexts, artifacts: Path, backend: str):
    owner = make_user(role="supervisor", name="مریم حسینی")
    titles = ["برنامهٔ آمایش سرزمین استان", "برنامهٔ توسعهٔ گردشگری ارسباران", "برنامهٔ مدیریت منابع آب",
              "برنامهٔ توسعهٔ صنایع تبدیلی کشاورزی", "برنامهٔ حمل و نقل ریلی"]
    stages = [Stage.SITUATION_ASSESSMENT, Stage.SITUATION_ASSESSMENT, Stage.ANALYSIS, Stage.GOALS,
              Stage.MONITORING]
    ids = []
    for title, stage in zip(titles, stages, strict=True):
        plan = plans.create_plan(owner, {"title": title, "province": "آذربایجان شرقی", "period_start": "1405",
                                         "period_end": "1409", "description": "شرح " * 40,
                                         "owner_id": owner.id}, clock.now())
        plan.stage = stage
        ids.append(plan.id)
    email = owner.email
    hand_over()

    page, watch = signed_in_page(contexts, server, email, viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/plans/")
    board = page.locator(".board")
    expect(board.locator(".board-column")).to_have_count(len(Stage))
    expect(page.locator("#col-situation_assessment")).to_contain_text("(۲)")
    expect(page.locator("#col-monitoring")).to_contain_text("(۱)")
    expect(page.locator("#col-closed")).to_contain_text("(۰)")
    # Right to left: the first stage's column is the rightmost one.
    first = page.locator(".board-column").nth(0).bounding_box()
    second = page.locator(".board-column").nth(1).bounding_box()
    assert first and second and first["x"] > second["x"], (first, second)
    page.screenshot(path=artifacts / f"plans-board-{backend}.png", full_page=True)

    # The table view, through the radio button (htmx swaps the results and pushes the URL).
    no_reload_marker(page)
    page.get_by_label("جدول").check()
    expect(page.locator("#plan-results table")).to_be_visible()
    expect(page.locator("#plan-results tbody tr")).to_have_count(5)
    expect(page).to_have_url(re.compile(r"view=table"))
    page.locator("#plan-stage").select_option("situation_assessment")
    expect(page.locator("#plan-results tbody tr")).to_have_count(2)
    page.locator("#plan-q").fill("ارسباران")
    expect(page.locator("#plan-results tbody tr")).to_have_count(1)
    assert_same_document(page)
    page.screenshot(path=artifacts / f"plans-table-{backend}.png", full_page=True)
    watch.assert_clean(page)

    # A phone: the plan page fits 375 px, right to left.
    phone, phone_watch = signed_in_page(contexts, server, email, viewport=MOBILE, device_scale_factor=2,
                                        is_mobile=True, has_touch=True)
    phone.goto(f"{server}/plans/{ids[0]}")
    expect_language(phone, "fa", "rtl")
    expect_current_stage(phone, "situation_assessment", FIRST_STAGE_FA)
    expect_no_horizontal_overflow(phone, "plan page on a phone")
    phone.screenshot(path=artifacts / f"plan-page-mobile-{backend}.png", full_page=True)
    phone.goto(f"{server}/plans/")
    expect_no_horizontal_overflow(phone, "plans board on a phone")
    phone.screenshot(path=artifacts / f"plans-board-mobile-{backend}.png", full_page=True)
    phone_watch.assert_clean(phone)
