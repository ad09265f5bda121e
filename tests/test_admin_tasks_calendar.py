"""Task templates admin, holidays admin and delegation (issue 4): created and edited through the htmx forms,
refusals in Persian that store nothing, the audit trail, and their effect on the work itself — the tasks a stage
opens, the due dates working days give, and the personal tasks a substitute sees.

Every test runs on SQLite and on PostgreSQL, with the clock frozen on Tuesday 1405/02/15 (2026-05-05) in Tehran.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import lxml.html
import pytest
import sqlalchemy as sa

from planapp.accounts import delegations
from planapp.accounts.models import Delegation, User
from planapp.agencies.models import Agency
from planapp.approvals import services as approvals
from planapp.audit.models import AuditEvent
from planapp.calendar.models import Holiday
from planapp.core import clock
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
from tests.factories import make_agency, make_plan, make_user, signed_in

NOW = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)  # Tuesday 1405/02/15, 11:30 in Tehran
TODAY = date(2026, 5, 5)
HX = {"HX-Request": "true"}
MISSING_ID = 987654

# What the user reads (fa); digits are compared after folding to ASCII.
FA_REQUIRED = "پر کردن این بخش الزامی است."
FA_NO_ASSIGNEE = "یک نوع دستگاه یا دست‌کم یک دستگاه را انتخاب کنید؛ وگرنه این الگو هیچ وظیفه‌ای باز نمی‌کند."
FA_DAYS = "مهلت باید از 1 تا 90 روز کاری باشد."
FA_ACTIVE_AGENCIES = "دستگاه‌های فعال را از فهرست انتخاب کنید."
FA_BAD_DATE = "یک تاریخ شمسی درست وارد کنید، مانند 1405/09/15."
FA_DUPLICATE_DAY = "روز 1405/02/16 از پیش تعطیل ثبت شده است (تعطیل آزمایشی)."
FA_END_BEFORE_START = "پایان غیبت پیش از آغاز آن است."
FA_IN_THE_PAST = "آغاز غیبت نمی‌تواند در گذشته باشد (امروز 1405/02/15 است)."
FA_COLLEAGUE = "یکی از همکاران فعال دستگاه خودتان را انتخاب کنید."
FA_NOT_YOURSELF = "نمی‌توانید جانشین خودتان باشید."
FA_OVERLAP = "شما از 1405/02/26 تا 1405/02/31 جانشین دارید"
FA_AWAY_TOO = "هم از 1405/02/16 تا 1405/02/30 حضور ندارد"
FA_ALREADY_REVOKED = "این جانشینی پیش‌تر لغو شده است."


# --- helpers -----------------------------------------------------------------------------------------------------


@dataclass
class World:
    office: Agency
    agency_a: Agency
    agency_b: Agency
    admin: User
    sup: User
    sup2: User
    a1: User
    a2: User
    b1: User
    plan: Plan


@pytest.fixture
def w(ctx) -> World:
    """An admin, two supervisors of the planning office (a private agency, so no template of a government kind
    addresses it), two officers of government agency A, one of government agency B, and a plan at its first stage."""
    clock.freeze(NOW)  # the ctx fixture thaws it
    office = make_agency("سازمان مدیریت و برنامه‌ریزی استان", kind="private")
    agency_a = make_agency("اداره کل راه و شهرسازی")
    agency_b = make_agency("اداره کل منابع طبیعی")
    admin = make_user("admin", office, name="مدیر سامانه")
    sup, sup2 = make_user("supervisor", office, name="ناظر یکم"), make_user("supervisor", office, name="ناظر دوم")
    a1, a2 = make_user("officer", agency_a, name="علی راهور"), make_user("officer", agency_a, name="مریم راهور")
    b1 = make_user("officer", agency_b, name="بهرام جنگلبان")
    plan = make_plan(sup, title="برنامهٔ آمایش استان")
    return World(office, agency_a, agency_b, admin, sup, sup2, a1, a2, b1, plan)


def client_for(ctx, user: User):
    return signed_in(ctx.test_client(), user)


def doc(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def text_of(response) -> str:
    """The visible text, on one line, digits folded to ASCII."""
    return ascii_digits(" ".join(doc(response).text_content().split()))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def events(prefix: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.startswith(prefix))
                                   .order_by(AuditEvent.id)))


def move(plan: Plan, event: str, requester: User, decider: User) -> None:
    request = approvals.request_transition(requester, plan.id, event, "", NOW)
    db.session.commit()
    approvals.decide_request(decider, request.id, True, "", NOW)
    db.session.commit()


def stage_tasks(plan: Plan, stage: Stage) -> list[Task]:
    return list(db.session.scalars(sa.select(Task).where(Task.plan_id == plan.id, Task.stage == stage)
                                   .order_by(Task.id)))


def jalali_holiday(day: date, name: str = "تعطیل آزمایشی") -> Holiday:
    row = Holiday(day=day, name=name)
    db.session.add(row)
    db.session.commit()
    return row


def template_form(**changes) -> dict:
    """What the browser sends for a template: every field, as text (agency_ids may repeat)."""
    data = {"stage": "analysis", "kind": "score_matrix", "title": "امتیازدهی ماتریس معیارها",
            "title_en": "Score the criteria matrix", "description": "نامزدهای هستهٔ پیشران را امتیاز دهید.",
            "description_en": "", "agency_kind": "", "agency_ids": [], "due_in_days": "۵", "mandatory": "y"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def new_template(w: World, **changes) -> TaskTemplate:
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
            template.is_active)


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


BAD_TEMPLATES = [
    pytest.param({"title": "   "}, FA_REQUIRED, id="empty title"),
    pytest.param({"agency_kind": "", "agency_ids": []}, FA_NO_ASSIGNEE, id="nobody to address"),
    pytest.param({"due_in_days": "0"}, FA_DAYS, id="0 days"),
    pytest.param({"due_in_days": "۹۱"}, FA_DAYS, id="91 days"),
    pytest.param({"due_in_days": "ده"}, FA_DAYS, id="not a number"),
    pytest.param({"due_in_days": ""}, FA_REQUIRED, id="no days"),
    pytest.param({"agency_ids": ["INACTIVE"]}, FA_ACTIVE_AGENCIES, id="a deactivated agency"),
    pytest.param({"agency_ids": [str(MISSING_ID)]}, FA_ACTIVE_AGENCIES, id="an agency that does not exist"),
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


def test_only_admins_see_the_settings_links_and_everyone_their_substitute_link(ctx, w):
    admin_page = client_for(ctx, w.admin).get("/")
    nav = doc(admin_page).xpath('//nav[@class="mainnav"]//a/@href')
    assert "/admin/task-templates/" in nav and "/admin/holidays/" in nav
    officer_page = client_for(ctx, w.a1).get("/")
    assert "/admin/task-templates/" not in officer_page.text and "/admin/holidays/" not in officer_page.text
    assert doc(officer_page).xpath('//div[@class="topbar-end"]//a[@href="/account/delegation"]/text()') == ["جانشین"]
    for url in ("/admin/task-templates/", "/admin/holidays/"):
        assert client_for(ctx, w.sup).get(url).status_code == 403


# --- holidays ----------------------------------------------------------------------------------------------------


def test_holidays_added_moved_and_deleted_change_the_due_dates_computed_after(ctx, w):
    admin = client_for(ctx, w.admin)
    # 5 working days after Tuesday 1405/02/15: Wednesday, Thursday, (Friday) Saturday, Sunday, Monday 1405/02/21.
    assert due_after(TODAY, 5) == date(2026, 5, 11)

    added = admin.post("/admin/holidays/", headers=HX, data={"day": "۱۴۰۵/۰۲/۱۶", "name": "تعطیل آزمایشی",
                                                             "name_en": "Test holiday"})
    assert added.status_code == 200 and "holidays-changed" in added.headers["HX-Trigger"]
    assert "1405/02/16، «تعطیل آزمایشی»، به تعطیلات افزوده شد." in ascii_digits(added.text)
    holiday = db.session.scalars(sa.select(Holiday)).one()
    holiday_id = holiday.id
    assert (holiday.day, holiday.name, holiday.name_en) == (date(2026, 5, 6), "تعطیل آزمایشی", "Test holiday")
    assert due_after(TODAY, 5) == date(2026, 5, 12)  # Wednesday is skipped now

    row = doc(admin.get("/admin/holidays/")).xpath(f'//tr[@id="holiday-{holiday.id}"]')[0].text_content()
    assert "۱۴۰۵/۰۲/۱۶" in row and "چهارشنبه" in row and "تعطیل آزمایشی" in row

    edit = admin.get(f"/admin/holidays/{holiday.id}/edit", headers=HX)
    assert doc(edit).xpath(f'//input[@id="holiday-{holiday.id}-day"]/@value') == ["۱۴۰۵/۰۲/۱۶"]
    moved = admin.post(f"/admin/holidays/{holiday.id}", headers=HX,
                       data={"day": "1405/2/22", "name": "تعطیل جابه‌جاشده", "name_en": ""})
    assert moved.status_code == 200 and "editing" not in moved.text
    assert "holidays-changed" in moved.headers["HX-Trigger"]  # the day moved: the table re-sorts itself
    assert due_after(TODAY, 5) == date(2026, 5, 11)  # Tuesday 1405/02/22 is after the five days

    admin.post(f"/admin/holidays/{holiday.id}", headers=HX, data={"day": "1405-02-19", "name": "تعطیل",
                                                                  "name_en": ""})
    assert due_after(TODAY, 5) == date(2026, 5, 12)  # Saturday 1405/02/19 is within them again

    deleted = admin.post(f"/admin/holidays/{holiday.id}/delete", headers=HX)
    assert deleted.status_code == 200 and "holidays-changed" in deleted.headers["HX-Trigger"]
    assert "دیگر تعطیل نیست" in deleted.text
    assert count(Holiday) == 0 and due_after(TODAY, 5) == date(2026, 5, 11)

    trail = events("holiday.")
    assert [e.action for e in trail] == ["holiday.create", "holiday.update", "holiday.update", "holiday.delete"]
    assert {e.actor_id for e in trail} == {w.admin.id} and {e.object_id for e in trail} == {holiday_id}
    assert (trail[1].before, trail[1].after) == (
        {"day": "2026-05-06", "name": "تعطیل آزمایشی", "name_en": "Test holiday"},
        {"day": "2026-05-12", "name": "تعطیل جابه‌جاشده", "name_en": None})
    assert trail[-1].before == {"day": "2026-05-09", "name": "تعطیل", "name_en": None}


@pytest.mark.parametrize(("data", "expected"), [
    pytest.param({"day": "1405/13/40"}, FA_BAD_DATE, id="no such day"),
    pytest.param({"day": "۱۴۰۵/۱۲/۳۰"}, FA_BAD_DATE, id="30 Esfand 1405 (not a leap year)"),
    pytest.param({"day": "فردا"}, FA_BAD_DATE, id="words"),
    pytest.param({"day": ""}, FA_REQUIRED, id="no date"),
    pytest.param({"name": " "}, FA_REQUIRED, id="no name"),
    pytest.param({"day": "1405/02/16"}, FA_DUPLICATE_DAY, id="already a holiday"),
])
def test_a_bad_holiday_is_refused_in_persian_and_nothing_changes(ctx, w, data, expected):
    existing = jalali_holiday(date(2026, 5, 6))
    admin = client_for(ctx, w.admin)
    form = {"day": "1405/03/01", "name": "تعطیل تازه", "name_en": ""} | data

    added = admin.post("/admin/holidays/", headers=HX, data=form)
    assert added.status_code == 200 and "HX-Trigger" not in added.headers
    assert expected in text_of(added)
    assert doc(added).xpath('//details[@id="holiday-create"][@open]')

    other = jalali_holiday(date(2026, 5, 20), "تعطیل دیگر")
    edited = admin.post(f"/admin/holidays/{other.id}", headers=HX, data=form)
    assert edited.status_code == 200 and 'class="editing"' in edited.text
    assert expected in text_of(edited)

    db.session.expire_all()
    assert [(h.id, h.day, h.name) for h in db.session.scalars(sa.select(Holiday).order_by(Holiday.id))] == [
        (existing.id, date(2026, 5, 6), "تعطیل آزمایشی"), (other.id, date(2026, 5, 20), "تعطیل دیگر")]
    assert events("holiday.") == []


def test_the_holiday_list_shows_a_jalali_year_the_current_one_by_default(ctx, w):
    jalali_holiday(date(2026, 3, 21), "نوروز ۱۴۰۵")  # 1405/01/01
    jalali_holiday(date(2026, 3, 20), "روز ملی شدن صنعت نفت")  # 1404/12/29
    admin = client_for(ctx, w.admin)

    current = text_of(admin.get("/admin/holidays/"))
    assert "نوروز" in current and "صنعت نفت" not in current and "1 روز تعطیل در سال 1405" in current
    last_year = admin.get("/admin/holidays/?year=۱۴۰۴", headers={**HX, "HX-Target": "holiday-table"})
    assert "<html" not in last_year.text and 'id="holiday-table"' in last_year.text
    assert "صنعت نفت" in text_of(last_year) and "نوروز" not in text_of(last_year)
    for nonsense in ("bogus", "99999", "-1", "<script>"):
        assert "نوروز" in text_of(admin.get("/admin/holidays/", query_string={"year": nonsense}))
    assert "هنوز روز تعطیلی برای این سال ثبت نشده است." in text_of(admin.get("/admin/holidays/?year=1407"))


# --- delegation --------------------------------------------------------------------------------------------------


def delegation_form(**changes) -> dict:
    return {"starts_on": "۱۴۰۵/۰۲/۱۵", "ends_on": "1405/02/20", "substitute_id": "", "reason": "مأموریت اداری"} | {
        key: str(value) for key, value in changes.items()}


def post_delegation(client, **changes):
    return client.post("/account/delegation", headers={**HX, "HX-Target": "delegation-panel"},
                       data=delegation_form(**changes))


def inbox_titles(client) -> list[str]:
    page = client.get("/tasks/?mine=1")
    assert page.status_code == 200
    return [" ".join(a.text_content().split()) for a in doc(page).xpath('//div[@id="task-list"]//tbody//a')]


def test_a_substitute_sees_the_absent_officers_personal_task_until_it_is_revoked(ctx, w):
    task = tasks.create_task(w.sup, w.plan, {"title": "گزارش شخصی علی", "assignee_id": w.a1.id,
                                             "due_on": date(2026, 5, 12)}, NOW)
    db.session.commit()
    absent, substitute = client_for(ctx, w.a1), client_for(ctx, w.a2)
    assert "گزارش شخصی علی" not in inbox_titles(substitute)

    page = absent.get("/account/delegation")
    choices = doc(page).xpath('//select[@id="substitute_id"]/option/text()')
    assert choices == ["— انتخاب کنید —", "مریم راهور"]  # the other active people of agency A, not oneself

    saved = post_delegation(absent, substitute_id=w.a2.id)
    assert saved.status_code == 200 and "<html" not in saved.text and 'id="delegation-panel"' in saved.text
    assert "مریم راهور از 1405/02/15 تا 1405/02/20 جانشین شماست." in ascii_digits(saved.text)
    delegation = db.session.scalars(sa.select(Delegation)).one()
    assert (delegation.user_id, delegation.substitute_id, delegation.starts_on, delegation.ends_on,
            delegation.reason, delegation.created_at, delegation.revoked_at) == (
        w.a1.id, w.a2.id, date(2026, 5, 5), date(2026, 5, 10), "مأموریت اداری", NOW, None)
    current = doc(saved).xpath(f'//tr[@id="delegation-{delegation.id}"]')[0].text_content()
    assert "مریم راهور" in current and "برقرار" in current

    assert "گزارش شخصی علی" in inbox_titles(substitute)
    assert substitute.get(f"/tasks/{task.id}/").status_code == 200
    stands_in = text_of(substitute.get("/account/delegation"))
    assert "شما جانشین این افراد هستید" in stands_in and "علی راهور، از 1405/02/15 تا 1405/02/20" in stands_in
    assert "گزارش شخصی علی" not in inbox_titles(client_for(ctx, w.b1))  # nobody else

    revoked = absent.post(f"/account/delegation/{delegation.id}/revoke",
                          headers={**HX, "HX-Target": "delegation-panel"})
    assert revoked.status_code == 200 and "جانشینی مریم راهور لغو شد." in revoked.text
    assert "لغوشده در 1405/02/15" in ascii_digits(
        doc(revoked).xpath('//section[@id="past-delegations"]')[0].text_content())
    assert "گزارش شخصی علی" not in inbox_titles(client_for(ctx, w.a2))
    assert client_for(ctx, w.a2).get(f"/tasks/{task.id}/").status_code == 404

    trail = events("delegation.")
    assert [(e.action, e.actor_id, e.object_id) for e in trail] == [
        ("delegation.create", w.a1.id, delegation.id), ("delegation.revoke", w.a1.id, delegation.id)]
    assert trail[0].after == {"user_id": w.a1.id, "substitute_id": w.a2.id, "starts_on": "2026-05-05",
                              "ends_on": "2026-05-10", "reason": "مأموریت اداری"}
    # A revoked delegation no longer blocks the same days.
    assert post_delegation(absent, substitute_id=w.a2.id).status_code == 200
    assert count(Delegation) == 2


def test_a_planned_delegation_gives_nothing_before_it_begins(ctx, w):
    tasks.create_task(w.sup, w.plan, {"title": "گزارش شخصی علی", "assignee_id": w.a1.id,
                                      "due_on": date(2026, 5, 12)}, NOW)
    db.session.commit()
    saved = post_delegation(client_for(ctx, w.a1), starts_on="1405/02/18", ends_on="1405/02/25",
                            substitute_id=w.a2.id)
    assert "آینده" in doc(saved).xpath('//section[@id="current-delegations"]')[0].text_content()
    assert "گزارش شخصی علی" not in inbox_titles(client_for(ctx, w.a2))


@pytest.mark.parametrize(("changes", "expected"), [
    pytest.param({"starts_on": "1405/02/20", "ends_on": "1405/02/18"}, FA_END_BEFORE_START, id="end before start"),
    pytest.param({"starts_on": "1405/02/14"}, FA_IN_THE_PAST, id="starts yesterday"),
    pytest.param({"substitute_id": "b1"}, FA_COLLEAGUE, id="another agency"),
    pytest.param({"substitute_id": "a3"}, FA_COLLEAGUE, id="a deactivated colleague"),
    pytest.param({"substitute_id": str(MISSING_ID)}, FA_COLLEAGUE, id="nobody"),
    pytest.param({"substitute_id": "a1"}, FA_NOT_YOURSELF, id="oneself"),
    pytest.param({"substitute_id": ""}, FA_REQUIRED, id="no substitute"),
    pytest.param({"ends_on": "1405/13/40"}, FA_BAD_DATE, id="no such day"),
    pytest.param({"starts_on": ""}, FA_REQUIRED, id="no start"),
    pytest.param({"starts_on": "1405/02/28", "ends_on": "1405/03/05"}, FA_OVERLAP, id="overlaps another"),
    pytest.param({"substitute_id": "a4"}, FA_AWAY_TOO, id="the substitute is away too"),
])
def test_a_bad_delegation_is_refused_in_persian_and_nothing_is_stored(ctx, w, changes, expected):
    a3 = make_user("officer", w.agency_a, name="رضا راهور")
    a3.is_active = False
    a4 = make_user("officer", w.agency_a, name="زهرا راهور")
    a5 = make_user("officer", w.agency_a, name="سارا راهور")
    delegations.set_delegation(w.a1, {"starts_on": date(2026, 5, 16), "ends_on": date(2026, 5, 21),
                                      "substitute_id": w.a2.id}, NOW)  # 1405/02/26 … 1405/02/31
    delegations.set_delegation(a4, {"starts_on": date(2026, 5, 6), "ends_on": date(2026, 5, 20),
                                    "substitute_id": a5.id}, NOW)  # a4 is away 1405/02/16 … 1405/02/30
    db.session.commit()
    people = {"a1": w.a1.id, "b1": w.b1.id, "a3": a3.id, "a4": a4.id}
    form = {"substitute_id": w.a2.id} | {key: people.get(value, value) for key, value in changes.items()}
    before = (count(Delegation), len(events("delegation.")))

    response = post_delegation(client_for(ctx, w.a1), **form)
    assert response.status_code == 200
    assert expected in text_of(response)
    assert (count(Delegation), len(events("delegation."))) == before


def test_only_ones_own_current_delegation_can_be_revoked(ctx, w):
    mine = delegations.set_delegation(w.a1, {"starts_on": TODAY, "ends_on": date(2026, 5, 10),
                                             "substitute_id": w.a2.id}, NOW)
    db.session.commit()
    other = client_for(ctx, w.a2)
    assert other.post(f"/account/delegation/{mine.id}/revoke", headers=HX).status_code == 404  # not shown to exist
    assert client_for(ctx, w.admin).post(f"/account/delegation/{mine.id}/revoke", headers=HX).status_code == 404
    db.session.expire_all()
    assert db.session.get(Delegation, mine.id).revoked_at is None

    owner = client_for(ctx, w.a1)
    assert owner.post(f"/account/delegation/{mine.id}/revoke").status_code == 302  # without htmx: back to the page
    again = owner.post(f"/account/delegation/{mine.id}/revoke", headers={**HX, "HX-Target": "delegation-panel"})
    assert again.status_code == 200 and FA_ALREADY_REVOKED in again.text
    assert [e.action for e in events("delegation.")] == ["delegation.create", "delegation.revoke"]
    # One that is over stays as it was.
    clock.freeze(datetime(2026, 5, 20, 8, 0, tzinfo=UTC))
    over = Delegation(user_id=w.a1.id, substitute_id=w.a2.id, starts_on=TODAY, ends_on=date(2026, 5, 10),
                      created_at=NOW)
    db.session.add(over)
    db.session.commit()
    refused = owner.post(f"/account/delegation/{over.id}/revoke", headers={**HX, "HX-Target": "delegation-panel"})
    assert "این جانشینی پیش‌تر به پایان رسیده است." in refused.text
    db.session.expire_all()
    assert db.session.get(Delegation, over.id).revoked_at is None


def test_the_delegation_page_without_colleagues_says_so(ctx, w):
    loner = make_user("officer", make_agency("انجمن تک‌نفره", kind="ngo"), name="تنها")
    page = client_for(ctx, loner).get("/account/delegation")
    assert page.status_code == 200
    assert "در دستگاه شما کاربر فعال دیگری نیست" in text_of(page)
    assert doc(page).xpath('//select[@id="substitute_id"]') == []


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
        assert doc(page).xpath('//td[@data-label="چه کاری"]//code/text()') == [action], realm
