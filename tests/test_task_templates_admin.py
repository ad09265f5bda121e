"""Task templates admin (issue 4): created and edited through the htmx forms, deactivated and reactivated, listed by
stage; refusals in Persian that store nothing, the audit trail, and their effect on the work itself: the tasks the
next stage opens. Also the links to the settings pages and the audit log's filters for the new areas.

Every test runs on SQLite and on PostgreSQL, with the clock frozen on Tuesday 1405/02/15 (2026-05-05) in Tehran.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from planapp.accounts import delegations
from planapp.agencies.models import Agency
from planapp.calendar.models import Holiday
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import ascii_digits
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.tasks import services as tasks
from planapp.tasks import template_services
from planapp.tasks.deadlines import due_after
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import Task, TaskTemplate
from tests.factories import make_agency
from tests.task_admin_helpers import (
    FA_REQUIRED,
    HX,
    MISSING_ID,
    AdminWorld,
    admin_world,
    events,
    jalali_holiday,
    text_of,
)
from tests.task_helpers import NOW, TODAY, client_for, count, doc, move

# What the user reads (fa); digits are compared after folding to ASCII.
FA_NO_ASSIGNEE = "یک نوع دستگاه یا دست‌کم یک دستگاه را انتخاب کنید؛ وگرنه این الگو هیچ وظیفه‌ای باز نمی‌کند."
FA_DAYS = "مهلت باید از 1 تا 90 روز کاری باشد."
FA_ACTIVE_AGENCIES = "دستگاه‌های فعال را از فهرست انتخاب کنید."

w = admin_world  # a fixture from tests/task_admin_helpers.py, under the name the tests use


def stage_tasks(plan: Plan, stage: Stage) -> list[Task]:
    return list(db.session.scalars(sa.select(Task).where(Task.plan_id == plan.id, Task.stage == stage)
                                   .order_by(Task.id)))


def template_form(**changes) -> dict:
    """What the browser sends for a template: every field, as text (agency_ids may repeat)."""
    data = {"stage": "analysis", "kind": "score_matrix", "title": "امتیازدهی ماتریس معیارها",
            "title_en": "Score the criteria matrix", "description": "نامزدهای هستهٔ پیشران را امتیاز دهید.",
            "description_en": "", "agency_kind": "", "agency_ids": [], "due_in_days": "۵", "mandatory": "y"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def new_template(w: AdminWorld, **changes) -> TaskTemplate:
    data = {"stage": "analysis", "kind": "score_matrix", "title": "امتیازدهی ماتریس", "agency_ids": [w.agency_a.id],
            "mandatory": True, "due_in_days": 10, **changes}
    template = template_services.create_template(w.admin, data)
    db.session.commit()
    return template


def template_state(template_id: int) -> tuple:
    db.session.expire_all()
    template = db.session.get(TaskTemplate, template_id)
    return (template.stage, template.kind, template.title, template.title_en, template.description,
            template.agency_kind, sorted(a.id for a in template.agencies), template.mandatory, template.due_in_days,
            template.remind_before_days, template.overdue_every_days, template.escalate_after_days, template.is_active)


# --- task templates ----------------------------------------------------------------------------------------------


def test_the_admin_creates_a_template_through_htmx_and_it_is_audited(ctx, w):
    admin = client_for(ctx, w.admin)
    response = admin.post("/admin/task-templates/", headers=HX, data=template_form(
        agency_kind="ngo", agency_ids=[str(w.agency_b.id), str(w.agency_a.id)], due_in_days="۱۲"))

    assert response.status_code == 200
    assert "templates-changed" in response.headers["HX-Trigger"]  # the table refreshes itself
    assert "<html" not in response.text and 'id="template-create"' in response.text
    assert "الگوی وظیفهٔ «امتیازدهی ماتریس معیارها» ایجاد شد." in response.text  # the flash, out of band
    template = db.session.scalars(sa.select(TaskTemplate)).one()
    assert (template.stage, template.kind, template.title_en, template.agency_kind, template.mandatory,
            template.due_in_days, template.is_active) == (Stage.ANALYSIS, TaskKind.SCORE_MATRIX,
                                                          "Score the criteria matrix", "ngo", True, 12, True)
    assert sorted(a.id for a in template.agencies) == sorted([w.agency_a.id, w.agency_b.id])
    [event] = events("task_template.")
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "task_template.create", w.admin.id, "task_templates", template.id)
    assert event.after["agency_ids"] == sorted([w.agency_a.id, w.agency_b.id])
    assert (event.after["due_in_days"], event.after["agency_kind"], event.after["stage"]) == (12, "ngo", "analysis")

    page = admin.get("/admin/task-templates/")
    row = doc(page).xpath(f'//tr[@id="template-{template.id}"]')[0].text_content()
    assert "امتیازدهی ماتریس معیارها" in row and w.agency_a.name in row and w.agency_b.name in row
    assert "سازمان مردم‌نهاد" in row and "12 روز کاری" in ascii_digits(row)
    # Grouped by stage: the group's heading comes right before its rows.
    assert doc(page).xpath('//tr[@class="group"]/th/text()') == ["تحلیل و هسته‌های پیشران"]


def test_the_admin_sets_when_a_templates_tasks_are_reminded_and_escalated(ctx, w):
    admin = client_for(ctx, w.admin)
    admin.post("/admin/task-templates/", headers=HX, data=template_form(agency_ids=[str(w.agency_a.id)]))
    template = db.session.scalars(sa.select(TaskTemplate)).one()
    assert (template.remind_before_days, template.overdue_every_days, template.escalate_after_days) == (2, 3, 5)
    data = template_form(agency_ids=[str(w.agency_a.id)], remind_before_days="۷", overdue_every_days="1",
                         escalate_after_days="0")
    response = admin.post(f"/admin/task-templates/{template.id}", headers=HX, data=data)
    assert response.status_code == 200 and 'class="editing"' not in response.text
    assert template_state(template.id)[9:12] == (7, 1, 0)
    row = ascii_digits(text_of(response))
    assert "7 روز پیش از مهلت" in row and "هر 1 روز" in row and "گزارش به ناظر" not in row  # 0: never
    [edit] = [e for e in events("task_template.") if e.action == "task_template.update"]
    assert (edit.before["remind_before_days"], edit.after["remind_before_days"]) == (2, 7)


def test_an_edited_template_is_what_the_next_stage_opens(ctx, w):
    jalali_holiday(date(2026, 5, 6))  # Wednesday 1405/02/16
    template = new_template(w)
    admin = client_for(ctx, w.admin)

    form = admin.get(f"/admin/task-templates/{template.id}/edit", headers=HX)
    assert form.status_code == 200 and 'class="editing"' in form.text
    chosen = doc(form).xpath(f'//select[@id="template-{template.id}-agency_ids"]/option[@selected]/@value')
    assert chosen == [str(w.agency_a.id)]

    saved = admin.post(f"/admin/task-templates/{template.id}", headers=HX, data=template_form(
        title="امتیازدهی ماتریس معیارها (ویرایش‌شده)", agency_ids=[str(w.agency_b.id)], due_in_days="3",
        mandatory=None))
    assert saved.status_code == 200 and "editing" not in saved.text
    assert "HX-Trigger" not in saved.headers  # same stage: only the row changes
    assert "(ویرایش‌شده)" in doc(saved).xpath(f'//tr[@id="template-{template.id}"]')[0].text_content()
    [_, update] = events("task_template.")
    assert update.action == "task_template.update"
    assert (update.before["title"], update.before["agency_ids"], update.before["mandatory"],
            update.before["due_in_days"]) == ("امتیازدهی ماتریس", [w.agency_a.id], True, 10)
    assert set(update.after) == {"title", "title_en", "description", "agency_ids", "mandatory", "due_in_days"}
    assert (update.after["agency_ids"], update.after["mandatory"], update.after["due_in_days"]) == (
        [w.agency_b.id], False, 3)

    move(w.plan, "complete_assessment", w.sup, w.sup2)

    [task] = stage_tasks(w.plan, Stage.ANALYSIS)
    assert (task.template_id, task.title, task.agency_id, task.mandatory, task.kind) == (
        template.id, "امتیازدهی ماتریس معیارها (ویرایش‌شده)", w.agency_b.id, False, TaskKind.SCORE_MATRIX)
    # 3 working days after Tuesday 1405/02/15: (Wednesday is a holiday) Thursday, (Friday) Saturday, Sunday.
    assert task.due_on == date(2026, 5, 10) == due_after(TODAY, 3)


def test_moving_a_template_to_another_stage_regroups_the_table(ctx, w):
    template = new_template(w)
    saved = client_for(ctx, w.admin).post(f"/admin/task-templates/{template.id}", headers=HX,
                                          data=template_form(stage="goals", agency_ids=[str(w.agency_a.id)]))
    assert saved.status_code == 200 and "templates-changed" in saved.headers["HX-Trigger"]
    assert template_state(template.id)[0] == Stage.GOALS


def test_a_deactivated_template_opens_nothing_until_it_is_reactivated(ctx, w):
    template = new_template(w, title="الگوی کنار گذاشته")
    admin = client_for(ctx, w.admin)

    off = admin.post(f"/admin/task-templates/{template.id}/deactivate", headers=HX)
    assert off.status_code == 200 and 'class="inactive"' in off.text and "فعال‌سازی دوباره" in off.text
    assert "دیگر وظیفه‌ای باز نمی‌کند" in off.text  # the flash
    assert template_state(template.id)[-1] is False
    assert "الگوی کنار گذاشته" not in text_of(admin.get("/admin/task-templates/"))  # active ones by default
    assert "الگوی کنار گذاشته" in text_of(admin.get("/admin/task-templates/?status=inactive"))

    move(w.plan, "complete_assessment", w.sup, w.sup2)
    assert stage_tasks(w.plan, Stage.ANALYSIS) == []

    on = admin.post(f"/admin/task-templates/{template.id}/reactivate", headers=HX)
    assert on.status_code == 200 and template_state(template.id)[-1] is True
    assert [e.action for e in events("task_template.")] == ["task_template.create", "task_template.deactivate",
                                                          "task_template.reactivate"]
    # Deactivating twice changes and audits nothing more; there is no way to delete a template.
    template_services.set_template_active(w.admin, db.session.get(TaskTemplate, template.id), True)
    assert len(events("task_template.")) == 3
    assert admin.post(f"/admin/task-templates/{template.id}/delete", headers=HX).status_code in (404, 405)


FA_REMINDER_DAYS = "یک عدد درست از"
BAD_TEMPLATES = [
    pytest.param({"title": "   "}, FA_REQUIRED, id="empty title"),
    pytest.param({"agency_kind": "", "agency_ids": []}, FA_NO_ASSIGNEE, id="nobody to address"),
    pytest.param({"due_in_days": "0"}, FA_DAYS, id="0 days"),
    pytest.param({"due_in_days": "۹۱"}, FA_DAYS, id="91 days"),
    pytest.param({"due_in_days": "ده"}, FA_DAYS, id="not a number"),
    pytest.param({"due_in_days": ""}, FA_REQUIRED, id="no days"),
    pytest.param({"agency_ids": ["INACTIVE"]}, FA_ACTIVE_AGENCIES, id="a deactivated agency"),
    pytest.param({"agency_ids": [str(MISSING_ID)]}, FA_ACTIVE_AGENCIES, id="an agency that does not exist"),
    pytest.param({"remind_before_days": "۳۱"}, FA_REMINDER_DAYS, id="reminder 31 days before"),
    pytest.param({"overdue_every_days": "0"}, FA_REMINDER_DAYS, id="overdue reminders every 0 days"),
    pytest.param({"escalate_after_days": "-1"}, FA_REMINDER_DAYS, id="escalation after -1 days"),
]


def _resolve(changes: dict, inactive: Agency) -> dict:
    return {key: [str(inactive.id) if v == "INACTIVE" else v for v in value] if isinstance(value, list) else value
            for key, value in changes.items()}


@pytest.mark.parametrize(("changes", "expected"), BAD_TEMPLATES)
def test_a_bad_new_template_is_refused_in_persian_and_nothing_is_stored(ctx, w, changes, expected):
    inactive = make_agency("اداره کل منحل شده")
    inactive.is_active = False
    db.session.commit()
    data = template_form(agency_ids=[str(w.agency_a.id)]) | _resolve(changes, inactive)
    response = client_for(ctx, w.admin).post("/admin/task-templates/", headers=HX, data=data)
    assert response.status_code == 200 and "HX-Trigger" not in response.headers
    assert expected in text_of(response)
    assert doc(response).xpath('//details[@id="template-create"][@open]')
    assert (count(TaskTemplate), events("task_template.")) == (0, [])


@pytest.mark.parametrize(("changes", "expected"), BAD_TEMPLATES)
def test_a_bad_edit_is_refused_in_persian_and_the_template_stays_as_it_was(ctx, w, changes, expected):
    inactive = make_agency("اداره کل منحل شده")
    inactive.is_active = False
    db.session.commit()
    template = new_template(w)
    before = template_state(template.id)
    data = template_form(agency_ids=[str(w.agency_a.id)], title="عنوان تازه") | _resolve(changes, inactive)
    response = client_for(ctx, w.admin).post(f"/admin/task-templates/{template.id}", headers=HX, data=data)
    assert response.status_code == 200 and 'class="editing"' in response.text
    assert expected in text_of(response)
    assert template_state(template.id) == before
    assert [e.action for e in events("task_template.")] == ["task_template.create"]


def test_the_service_checks_for_itself_and_keeps_an_agency_deactivated_since(ctx, w):
    for bad, field in (({"stage": "closed"}, "stage"), ({"kind": "bogus"}, "kind"),
                       ({"agency_kind": "bogus"}, "agency_kind"), ({"due_in_days": 91}, "due_in_days"),
                       ({"agency_ids": ["x"]}, "agency_ids")):
        with pytest.raises(ValidationFailed) as refused:
            new_template(w, **bad)
        assert refused.value.field == field
        db.session.rollback()
    template = new_template(w, agency_ids=[w.agency_a.id, w.agency_b.id])
    w.agency_b.is_active = False
    db.session.commit()
    # Saving the template again keeps the agency chosen before it was deactivated (no task opens for it) …
    template_services.update_template(w.admin, template, {
        "stage": "analysis", "kind": "other", "title": "عنوان", "agency_ids": [w.agency_a.id, w.agency_b.id],
        "due_in_days": "۴"})
    db.session.commit()
    assert template_state(template.id)[6] == sorted([w.agency_a.id, w.agency_b.id])
    assert [a.id for a in tasks.assignee_agencies(template)] == [w.agency_a.id]
    # … but a deactivated agency cannot be added to another template.
    with pytest.raises(ValidationFailed):
        new_template(w, agency_ids=[w.agency_b.id])


def test_templates_are_listed_in_the_order_of_the_stages_and_filtered_by_stage(ctx, w):
    new_template(w, stage="goals", title="پیشنهاد اهداف", kind="propose_goals")
    new_template(w, stage="situation_assessment", title="ارسال شاخص‌ها", kind="submit_indicators")
    new_template(w, stage="analysis", title="امتیازدهی")
    admin = client_for(ctx, w.admin)

    page = admin.get("/admin/task-templates/")
    assert doc(page).xpath('//tr[@class="group"]/th/text()') == ["شناخت وضع موجود", "تحلیل و هسته‌های پیشران",
                                                                 "اهداف"]
    goals = admin.get("/admin/task-templates/?stage=goals", headers={**HX, "HX-Target": "template-table"})
    assert "<html" not in goals.text and 'id="template-table"' in goals.text
    assert [t.split()[0] for t in doc(goals).xpath('//tbody/tr[starts-with(@id, "template-")]//strong/text()')] == [
        "پیشنهاد"]
    assert "الگویی یافت نشد." in text_of(admin.get("/admin/task-templates/?stage=monitoring"))
    assert admin.get("/admin/task-templates/?stage=<x>&kind=bogus&status=bogus&page=-1").status_code == 200


# --- the settings links and the audit log ------------------------------------------------------------------------


def test_only_admins_see_the_settings_links_and_everyone_their_substitute_link(ctx, w):
    admin_page = client_for(ctx, w.admin).get("/")
    nav = doc(admin_page).xpath('//nav[@class="mainnav"]//a/@href')
    assert "/admin/task-templates/" in nav and "/admin/holidays/" in nav
    officer_page = client_for(ctx, w.a1).get("/")
    assert "/admin/task-templates/" not in officer_page.text and "/admin/holidays/" not in officer_page.text
    assert doc(officer_page).xpath('//div[@class="topbar-end"]//a[@href="/account/delegation"]/text()') == ["جانشین"]
    for url in ("/admin/task-templates/", "/admin/holidays/"):
        assert client_for(ctx, w.sup).get(url).status_code == 403


def test_the_audit_log_filters_each_new_area(ctx, w):
    new_template(w)
    jalali_holiday(date(2026, 5, 6))
    admin = client_for(ctx, w.admin)
    admin.post(f"/admin/holidays/{db.session.scalar(sa.select(Holiday.id))}/delete", headers=HX)
    delegations.set_delegation(w.a1, {"starts_on": TODAY, "ends_on": TODAY, "substitute_id": w.a2.id}, NOW)
    db.session.commit()
    for realm, action in (("task_template", "task_template.create"), ("holiday", "holiday.delete"),
                          ("delegation", "delegation.create")):
        page = admin.get(f"/admin/audit/?realm={realm}")
        # The action reads as a label; its stored key stays in the title (or as code where it has no label).
        shown = doc(page).xpath('//td[@data-label="چه کاری"]/span/@title | //td[@data-label="چه کاری"]/code/text()')
        assert shown == [action], realm
