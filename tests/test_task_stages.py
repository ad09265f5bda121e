"""Tasks and the plan's stages (issue 4): entering a stage opens one task per agency of each active template, due
in working days; the seeded templates; the mandatory tasks gate the stage's exit, and accepting the last one asks
for the move by itself.

Every test runs on SQLite and on PostgreSQL, with the clock frozen on Tuesday 1405/02/15 (2026-05-05) in Tehran.
A refused move is checked for its Persian message and for leaving the database as it was.
"""

from __future__ import annotations

import re
from datetime import date

import lxml.html
import sqlalchemy as sa

from planapp.approvals import services as approvals
from planapp.approvals.models import RequestStatus, TransitionRequest
from planapp.audit.models import AuditEvent
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import ascii_digits
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task, TaskTemplate
from planapp.tasks.seed import seed_templates
from tests.factories import make_agency
from tests.task_helpers import (
    HOLIDAY,
    NOW,
    act,
    client_for,
    count,
    holiday,
    message,
    move,
    new_task,
    page_text,
    panel_status,
    post_action,
    refused,
    state,
    task_world,
)

# What the user reads (fa). Digits are compared after folding to ASCII.
FA_NOT_ACCEPTED = "وظیفهٔ الزامی هنوز پذیرفته نشده است"
FA_NOT_READY = "هنوز آماده نیست"

w = task_world  # a fixture from tests/task_helpers.py, under the name the tests use


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
    seeded = list(db.session.scalars(sa.select(TaskTemplate)))
    # Agencies work in every stage but the council's approval (the council votes) and the archive.
    assert {t.stage for t in seeded} == set(Stage) - {Stage.APPROVAL, Stage.CLOSED}
    assert all(t.title and t.title_en and t.due_in_days > 0 and (t.agency_kind or t.agencies) for t in seeded)
    assert all(t.description and t.description_en for t in seeded)  # what the work is, in both languages
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


def test_an_english_reader_sees_a_templates_task_in_english_until_the_template_is_reworded(ctx, w):
    template = TaskTemplate(stage=Stage.ANALYSIS, kind=TaskKind.SCORE_MATRIX, title="امتیازدهی ماتریس معیارها",
                            title_en="Score the criteria matrix", description="نامزدها را امتیاز دهید.",
                            description_en="Score the candidates.", agencies=[w.agency_a], due_in_days=4)
    db.session.add(template)
    db.session.commit()
    move(w.plan, "complete_assessment", w.sup, w.sup2)
    task = db.session.scalars(sa.select(Task).where(Task.template_id == template.id)).one()
    ad_hoc = new_task(w, w.agency_a, title="گزارش ویژهٔ سیلاب")
    w.a1.language = "en"
    db.session.commit()
    officer = client_for(ctx, w.a1)
    bell = lxml.html.fromstring(officer.get("/notifications/").text)
    assert "New task «Score the criteria matrix»" in bell.text_content()  # its in-app notice, in English too

    def list_titles(**query) -> list[str]:
        page = lxml.html.fromstring(officer.get("/tasks/", query_string=query).text)
        return sorted(" ".join(a.text_content().split()) for a in page.xpath('//div[@id="task-list"]//tbody//a'))

    assert list_titles() == sorted(["Score the criteria matrix", "گزارش ویژهٔ سیلاب"])
    assert list_titles(q="criteria MATRIX") == ["Score the criteria matrix"]  # found in English too
    page = lxml.html.fromstring(officer.get(f"/tasks/{task.id}/").text)
    assert page.xpath("//h1")[0].text_content() == "Score the criteria matrix"
    assert page.xpath('//section[contains(@class, "description")]//p')[0].text_content() == "Score the candidates."
    exported = officer.get("/tasks/export.csv").data.decode("utf-8-sig")
    assert "Score the criteria matrix" in exported and "گزارش ویژهٔ سیلاب" in exported
    assert ad_hoc.title in officer.get(f"/tasks/{ad_hoc.id}/").text
    # A Persian reader sees the Persian words.
    assert "امتیازدهی ماتریس معیارها" in client_for(ctx, w.a2).get(f"/tasks/{task.id}/").text

    # Once the admin rewords the template, the task keeps the words it was given.
    template.title = "امتیازدهی ماتریس معیارهای نو"
    template.title_en = "Score the new matrix"
    db.session.commit()
    assert list_titles() == sorted(["امتیازدهی ماتریس معیارها", "گزارش ویژهٔ سیلاب"])


def test_an_english_reader_sees_a_seeded_templates_task_described_in_english(ctx, w):
    seed_templates()
    db.session.commit()
    move(w.plan, "complete_assessment", w.sup, w.sup2)
    task = db.session.scalars(sa.select(Task).where(Task.plan_id == w.plan.id, Task.agency_id == w.agency_a.id,
                                                    Task.kind == TaskKind.SCORE_MATRIX)).one()
    w.a1.language = "en"
    db.session.commit()

    def description(user) -> str:
        page = lxml.html.fromstring(client_for(ctx, user).get(f"/tasks/{task.id}/").text)
        return page.xpath('//section[contains(@class, "description")]//p')[0].text_content()

    assert description(w.a1) == "Score the candidate driving cores against the criteria that have been set."
    assert description(w.a2) == "نامزدهای هستهٔ پیشران را بر پایهٔ معیارهای تعیین‌شده امتیاز دهید."


# --- the mandatory tasks gate the stage's exit -------------------------------------------------------------------


def test_an_english_reader_sees_the_open_mandatory_tasks_by_their_english_names(ctx, w):
    """The exit check listed the tasks and agencies in Persian, joined by a Persian comma, on English pages."""
    from planapp.tasks import services
    from tests.factories import make_user

    w.agency_a.name_en, w.agency_b.name_en = "Roads Office", None
    for agency, title_en in ((w.agency_a, "Submit the indicators"), (w.agency_b, None)):
        db.session.add(TaskTemplate(stage=Stage.SITUATION_ASSESSMENT, kind=TaskKind.OTHER, agencies=[agency],
                                    title=f"ارسال شاخص‌ها {agency.id}", title_en=title_en, mandatory=True,
                                    due_in_days=5))
    db.session.commit()
    services.create_stage_tasks(w.plan, Stage.SITUATION_ASSESSMENT, w.sup, NOW)
    db.session.commit()

    def checklist_item(user) -> str:
        page = client_for(ctx, user).get(f"/plans/{w.plan.id}")
        item = lxml.html.fromstring(page.text).xpath('//li[@data-key="mandatory_tasks"]')[0]
        return " ".join(item.text_content().split())

    english = checklist_item(make_user(role="supervisor", language="en"))
    assert "2 of 2 mandatory tasks are not accepted yet" in english
    # Where there is no English name the Persian one stands in.
    assert (f"Submit the indicators (Roads Office), ارسال شاخص‌ها {w.agency_b.id} ({w.agency_b.name})"
            in english)
    persian = ascii_digits(checklist_item(w.sup2))
    assert f"ارسال شاخص‌ها {w.agency_a.id} ({w.agency_a.name})، ارسال شاخص‌ها {w.agency_b.id}" in persian


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
