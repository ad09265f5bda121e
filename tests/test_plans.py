"""Plans (issue 3): creating and editing (Persian digits, bad input, the optimistic lock), no mass assignment
(RELIABILITY AC3), the board and the table with their filters, what viewers may see, copying a plan, closed plans,
the workflow reference (page and `flask workflow show`), and queries per page that do not grow with the data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import lxml.html
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale

from planapp.accounts.models import User
from planapp.approvals import services as approvals
from planapp.approvals.models import RequestStatus, TransitionRequest
from planapp.audit.models import AuditEvent
from planapp.audit.services import record
from planapp.core import clock
from planapp.core.i18n import ascii_digits
from planapp.extensions import db
from planapp.plans import services
from planapp.plans.models import Plan, StageEntry
from planapp.plans.queries import BOARD_CARDS_PER_STAGE
from planapp.plans.workflow import PUBLISHED, TRANSITIONS, Stage
from tests.factories import make_user, signed_in
from tests.sql_helpers import count_statements

HX = {"HX-Request": "true"}

# The Persian texts, as messages.po has them (digits are compared after folding to ASCII).
REQUIRED_FA = "پر کردن این بخش الزامی است."
TOO_LONG_200_FA = "حداکثر 200 نویسه مجاز است."
NOT_YEARS_FA = "دوره را با سال‌های شمسی وارد کنید، مانند 1405 تا 1409."
YEAR_RANGE_FA = "سالی شمسی بین 1390 و 1500 وارد کنید."
END_BEFORE_START_FA = "پایان دوره نمی‌تواند پیش از آغاز آن باشد."
TOO_LONG_PERIOD_FA = "دورهٔ هر برنامه حداکثر 10 سال است."
OWNER_FA = "مسئول برنامه باید یک ناظر فعال باشد."
NOT_A_CHOICE_FA = "انتخاب درستی نیست."
STALE_FA = "پس از آنکه این برنامه را باز کردید، شخص دیگری آن را تغییر داده است."
CLOSED_FA = "این برنامه بسته شده است و فقط قابل مشاهده است."
NO_SUCH_MOVE_FA = "چنین انتقالی وجود ندارد."
NOT_FROM_HERE_FA = "این انتقال از مرحلهٔ «شناخت وضع موجود» ممکن نیست."
NO_MATCH_FA = "برنامه‌ای یافت نشد."
FIRST_STAGE_FA = "شناخت وضع موجود"


# --- helpers ---------------------------------------------------------------------------------------------


def supervisor(name: str | None = None, **data) -> User:
    return make_user(role="supervisor", **({"name": name} if name else {}), **data)


def plan_data(owner: User | None = None, **changes) -> dict:
    data = {"title": "برنامهٔ توسعهٔ استان", "province": "آذربایجان شرقی", "period_start": "1405",
            "period_end": "1409", "description": "", "owner_id": owner.id if owner else ""}
    data.update(changes)
    return data


def form(owner: User | None = None, **changes) -> dict[str, str]:
    """What the browser sends: every field of the form, as text."""
    return {key: "" if value is None else str(value) for key, value in plan_data(owner, **changes).items()}


def make_plan(actor: User, stage: Stage | None = None, **data) -> Plan:
    plan = services.create_plan(actor, plan_data(actor, **data), clock.now())
    if stage is not None:
        plan.stage = stage  # a shortcut for listing tests; the workflow's own tests move plans properly
    db.session.commit()
    return plan


def plan_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Plan))


def plan_events(plan_id: int | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.object_type == "plans")
    if plan_id is not None:
        query = query.where(AuditEvent.object_id == plan_id)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def reload(plan: Plan) -> Plan:
    db.session.expire_all()
    return db.session.get(Plan, plan.id)


def doc(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def text_of(element) -> str:
    return ascii_digits(" ".join(element.text_content().split()))


def field_error(response, field: str) -> str:
    errors = doc(response).xpath(f'//p[@id="{field}-error"]')
    return " ".join(text_of(e) for e in errors)


def page_text(response) -> str:
    return ascii_digits(" ".join(doc(response).text_content().split()))


def fa(lazy) -> str:
    with force_locale("fa"):
        return str(lazy)


@contextmanager
def persian(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("fa"):
        yield


def move(plan: Plan, event: str, requester: User, decider: User, approve: bool = True, comment: str = "") -> None:
    """Ask for a move and decide it, through the approvals services."""
    request = approvals.request_transition(requester, plan.id, event, comment, clock.now())
    approvals.decide_request(decider, request.id, approve, comment or "دلیل رد", clock.now())
    db.session.commit()


# --- create ----------------------------------------------------------------------------------------------


def test_supervisor_creates_a_plan_with_persian_digits_in_the_years(client):
    owner = supervisor("مهدی نادری")
    actor = supervisor("سارا احمدی")
    signed_in(client, actor)

    page = client.get("/plans/new")
    assert page.status_code == 200
    assert doc(page).xpath('//form[@action="/plans/"]//input[@name="period_start"]')

    response = client.post("/plans/", data=form(owner, title="برنامهٔ هفتم توسعهٔ استان", period_start="۱۴۰۵",
                                                 period_end="۱۴۰۹", description="شرح برنامه"))
    assert response.status_code == 302, response.text
    plan = db.session.scalars(sa.select(Plan)).one()
    assert response.headers["Location"] == f"/plans/{plan.id}"
    assert (plan.title, plan.period_start, plan.period_end) == ("برنامهٔ هفتم توسعهٔ استان", 1405, 1409)
    assert plan.owner_id == owner.id and plan.created_by_id == actor.id
    assert plan.stage == Stage.SITUATION_ASSESSMENT
    assert (plan.version, plan.document_version, plan.source_plan_id) == (1, "1.0", None)

    # The timeline starts with one entry: the first stage, open.
    entries = db.session.scalars(sa.select(StageEntry).where(StageEntry.plan_id == plan.id)).all()
    assert [(e.stage, e.left_at, e.approved_by_id) for e in entries] == [(Stage.SITUATION_ASSESSMENT, None, None)]

    # One audit row says who created it, and with what.
    [event] = plan_events(plan.id)
    assert (event.action, event.actor_id) == ("plan.create", actor.id)
    assert event.after["title"] == "برنامهٔ هفتم توسعهٔ استان"
    assert (event.after["period_start"], event.after["period_end"], event.after["owner_id"]) == (1405, 1409, owner.id)

    # The plan page: the first stage is the current one, and the creation shows in the activity feed.
    detail = client.get(f"/plans/{plan.id}")
    assert detail.status_code == 200
    page_doc = doc(detail)
    [current] = page_doc.xpath('//ol[@id="plan-timeline"]/li[@aria-current="step"]')
    assert current.get("data-stage") == "situation_assessment"
    assert FIRST_STAGE_FA in text_of(current)
    assert "1405–1409" in page_text(detail)  # shown in Persian digits
    assert "۱۴۰۵–۱۴۰۹" in detail.text
    assert "برنامه را ایجاد کرد" in text_of(page_doc.get_element_by_id("plan-activity"))


def test_the_activity_feed_names_the_creation_of_a_stages_tasks_without_a_dangling_arrow(client):
    """The stage's tasks being created showed as the raw key "task.created_for_stage:  ← stage" (no 'from' stage)."""
    owner = supervisor()
    plan = make_plan(owner)
    record(owner, "task.created_for_stage", plan, summary=f"{plan.title}: 3",
           after={"stage": Stage.SITUATION_ASSESSMENT.value, "tasks": 3})
    db.session.commit()
    signed_in(client, owner)
    feed = text_of(doc(client.get(f"/plans/{plan.id}")).get_element_by_id("plan-activity"))
    assert "task.created_for_stage" not in feed
    assert f"وظایف مرحله را ایجاد کرد: {FIRST_STAGE_FA}" in feed
    assert f": ← {FIRST_STAGE_FA}" not in feed


def test_the_plans_description_takes_its_own_direction(client):
    """A Persian description on an English page put its full stop on the left: written text gets dir="auto"."""
    owner = supervisor()
    plan = make_plan(owner, description="شرح برنامه.")
    signed_in(client, owner)
    [paragraph] = doc(client.get(f"/plans/{plan.id}")).xpath('//section[contains(@class, "description")]/p')
    assert (paragraph.text, paragraph.get("dir")) == ("شرح برنامه.", "auto")


def test_only_supervisors_create_plans(client):
    officer = make_user(role="officer")
    signed_in(client, officer)
    assert client.get("/plans/new").status_code == 403
    assert client.post("/plans/", data=form(officer)).status_code == 403
    assert plan_count() == 0
    assert plan_events() == []


def _bad_input_cases():
    return [
        pytest.param({"title": ""}, "title", REQUIRED_FA, id="empty-title"),
        pytest.param({"title": "   "}, "title", REQUIRED_FA, id="blank-title"),
        pytest.param({"title": "ب" * 201}, "title", TOO_LONG_200_FA, id="title-too-long"),
        pytest.param({"period_start": "1409", "period_end": "1405"}, "period_end", END_BEFORE_START_FA,
                     id="end-before-start"),
        pytest.param({"period_start": "۱۳۸۹", "period_end": "۱۳۹۲"}, "period_start", YEAR_RANGE_FA,
                     id="start-before-1390"),
        pytest.param({"period_start": "1499", "period_end": "1501"}, "period_end", YEAR_RANGE_FA,
                     id="end-after-1500"),
        pytest.param({"period_start": "2026", "period_end": "2030"}, "period_start", YEAR_RANGE_FA,
                     id="gregorian-years"),
        pytest.param({"period_start": "1400", "period_end": "1410"}, "period_end", TOO_LONG_PERIOD_FA,
                     id="eleven-years"),
        pytest.param({"period_start": "سال ۱۴۰۵", "period_end": "1409"}, "period_start", NOT_YEARS_FA,
                     id="words-in-year"),
        pytest.param({"period_start": "1405", "period_end": "14O9"}, "period_start", NOT_YEARS_FA,
                     id="letter-o-in-year"),
        pytest.param({"period_start": "1405.5", "period_end": "1409"}, "period_start", NOT_YEARS_FA,
                     id="fraction-year"),
        pytest.param({"period_start": "", "period_end": "1409"}, "period_start", REQUIRED_FA, id="no-start"),
    ]


@pytest.mark.parametrize(("changes", "field", "message"), _bad_input_cases())
def test_bad_input_is_refused_in_persian_and_nothing_is_stored(client, changes, field, message):
    actor = supervisor()
    signed_in(client, actor)
    response = client.post("/plans/", data=form(actor, **changes))
    assert response.status_code == 200
    assert field_error(response, field) == message
    assert doc(response).xpath(f'//*[@id="{field}"][@aria-invalid="true"]')
    assert plan_count() == 0
    assert plan_events() == []


def test_the_owner_must_be_an_active_supervisor(client):
    actor = supervisor()
    officer = make_user(role="officer")
    retired = supervisor()
    retired.is_active = False
    db.session.commit()
    signed_in(client, actor)
    for owner_id in (officer.id, retired.id, 999_999, "", "abc"):
        response = client.post("/plans/", data={**form(actor), "owner_id": str(owner_id)})
        assert response.status_code == 200, owner_id
        # Only active supervisors are offered; anything else is "not a valid choice" (WTForms, in Persian).
        expected = REQUIRED_FA if owner_id in ("", "abc") else NOT_A_CHOICE_FA  # "abc" is no number: no owner
        assert field_error(response, "owner_id") == expected, (owner_id, field_error(response, "owner_id"))
    options = doc(client.get("/plans/new")).xpath('//select[@name="owner_id"]/option/@value')
    assert sorted(options) == sorted(["", str(actor.id)])
    assert plan_count() == 0
    # The service refuses too, whatever the caller (a form is not the only door).
    for owner in (officer, retired):
        with pytest.raises(services.ValidationFailed) as refused:
            services.create_plan(actor, plan_data(owner), clock.now())
        assert refused.value.field == "owner_id"
        assert fa(refused.value.message) == OWNER_FA
    db.session.rollback()
    assert plan_count() == 0


# --- edit ------------------------------------------------------------------------------------------------


def test_supervisor_edits_a_plan_with_the_current_version(client):
    actor = supervisor()
    plan = make_plan(actor, title="عنوان نخست")
    signed_in(client, actor)

    page = client.get(f"/plans/{plan.id}/edit")
    assert page.status_code == 200
    [version] = doc(page).xpath('//input[@name="version"]')
    assert (version.get("type"), version.get("value")) == ("hidden", "1")

    response = client.post(f"/plans/{plan.id}", data=form(actor, title="عنوان تازه", period_end="۱۴۰۸", version=1))
    assert response.status_code == 302, response.text
    assert response.headers["Location"] == f"/plans/{plan.id}"
    plan = reload(plan)
    assert (plan.title, plan.period_end, plan.version) == ("عنوان تازه", 1408, 2)
    create, update = plan_events(plan.id)
    assert (update.action, update.actor_id) == ("plan.update", actor.id)
    assert update.before == {"title": "عنوان نخست", "period_end": 1409}
    assert update.after == {"title": "عنوان تازه", "period_end": 1408}

    # Saving without a change stores nothing and records nothing.
    response = client.post(f"/plans/{plan.id}", data=form(actor, title="عنوان تازه", period_end="1408", version=2))
    assert response.status_code == 302
    assert reload(plan).version == 2
    assert len(plan_events(plan.id)) == 2


def test_a_stale_edit_is_refused_with_409_and_the_current_values(client):
    alice, bob = supervisor("آلیس"), supervisor("بابک")
    plan = make_plan(alice, title="عنوان نخست", description="شرح نخست")
    signed_in(client, bob)
    opened = client.get(f"/plans/{plan.id}/edit")
    assert doc(opened).xpath('//input[@name="version"]/@value') == ["1"]

    # Meanwhile Alice saves.
    services.update_plan(alice, reload(plan), plan_data(alice, title="عنوان آلیس", description="شرح آلیس"), 1)
    db.session.commit()

    response = client.post(f"/plans/{plan.id}", data=form(bob, title="عنوان بابک", description="شرح بابک", version=1))
    assert response.status_code == 409
    assert STALE_FA in page_text(response)
    page = doc(response)
    # The form shows what is stored now, with the new version to save against.
    assert page.xpath('//input[@name="title"]/@value') == ["عنوان آلیس"]
    assert page.xpath('//textarea[@name="description"]')[0].text_content().strip() == "شرح آلیس"
    assert page.xpath('//input[@name="version"]/@value') == ["2"]
    plan = reload(plan)
    assert (plan.title, plan.description, plan.version) == ("عنوان آلیس", "شرح آلیس", 2)
    assert [e.action for e in plan_events(plan.id)] == ["plan.create", "plan.update"]
    assert all(e.actor_id != bob.id for e in plan_events(plan.id))


@pytest.mark.parametrize("version", ["", "abc", "0", "99", "-1", "²", "۱۱"],
                         ids=["empty", "word", "zero", "future", "minus", "superscript", "persian-11"])
def test_a_missing_or_forged_version_is_refused(client, version):
    actor = supervisor()
    plan = make_plan(actor, title="عنوان نخست")
    signed_in(client, actor)
    response = client.post(f"/plans/{plan.id}", data=form(actor, title="عنوان دیگر", version=version))
    assert response.status_code == 409
    assert STALE_FA in page_text(response)
    assert reload(plan).title == "عنوان نخست"


def test_a_post_without_the_version_field_does_not_overwrite(client):
    """A crafted POST that leaves the hidden version out must not bypass the lock (nor crash)."""
    actor = supervisor()
    plan = make_plan(actor, title="عنوان نخست")
    signed_in(client, actor)
    data = form(actor, title="عنوان دیگر")  # no version at all
    response = client.post(f"/plans/{plan.id}", data=data)
    assert response.status_code == 409, response.status_code
    assert reload(plan).title == "عنوان نخست"


def test_bad_input_on_edit_is_refused_in_place_and_nothing_changes(client):
    actor = supervisor()
    plan = make_plan(actor, title="عنوان نخست")
    signed_in(client, actor)
    response = client.post(f"/plans/{plan.id}", data=form(actor, title="", version=1))
    assert response.status_code == 200
    assert field_error(response, "title") == REQUIRED_FA
    response = client.post(f"/plans/{plan.id}", data=form(actor, period_start="1409", period_end="1405", version=1))
    assert field_error(response, "period_end") == END_BEFORE_START_FA
    plan = reload(plan)
    assert (plan.title, plan.period_start, plan.version) == ("عنوان نخست", 1405, 1)
    assert [e.action for e in plan_events(plan.id)] == ["plan.create"]


def test_only_supervisors_edit(client):
    owner = supervisor()
    plan = make_plan(owner, stage=Stage.MONITORING)
    for role in ("officer", "participant", "viewer", "council_member", "admin"):
        with client.session_transaction() as session:
            session.clear()
        signed_in(client, make_user(role=role))
        assert client.get(f"/plans/{plan.id}/edit").status_code == 403, role
        assert client.post(f"/plans/{plan.id}", data=form(owner, title="دیگر", version=1)).status_code == 403, role
    assert reload(plan).title == "برنامهٔ توسعهٔ استان"


# --- AC3: no mass assignment -----------------------------------------------------------------------------

EXTRA = {
    "stage": "monitoring",
    "status": "approved",
    "doc_major": "9",
    "doc_minor": "9",
    "published_at": "2020-01-01T00:00:00",
    "closed_at": "2020-01-01T00:00:00",
    "search_key": "forged",
    "id": "4242",
    "created_at": "2000-01-01T00:00:00",
    "updated_at": "2000-01-01T00:00:00",
    "stage_entered_at": "2000-01-01T00:00:00",
}


def test_ac3_create_ignores_fields_that_are_not_in_the_form(client):
    actor, other = supervisor(), supervisor()
    earlier = make_plan(other, title="برنامهٔ پیشین")
    signed_in(client, actor)
    data = {**form(actor, title="برنامهٔ تازه"), **EXTRA, "version": "7", "created_by_id": str(other.id),
            "source_plan_id": str(earlier.id)}
    response = client.post("/plans/", data=data)
    assert response.status_code == 302, response.text
    plan = db.session.scalar(sa.select(Plan).where(Plan.title == "برنامهٔ تازه"))
    assert plan.id != 4242
    assert plan.stage == Stage.SITUATION_ASSESSMENT
    assert (plan.version, plan.doc_major, plan.doc_minor) == (1, 1, 0)
    assert (plan.created_by_id, plan.source_plan_id) == (actor.id, None)
    assert (plan.published_at, plan.closed_at) == (None, None)
    assert plan.created_at.year > 2000 and plan.stage_entered_at.year > 2000
    assert "forged" not in plan.search_key


def test_ac3_update_ignores_fields_that_are_not_in_the_form(client):
    actor, other = supervisor(), supervisor()
    earlier = make_plan(other, title="برنامهٔ پیشین")
    plan = make_plan(actor, title="عنوان نخست")
    signed_in(client, actor)
    data = {**form(actor, title="عنوان تازه", version=1), **EXTRA, "created_by_id": str(other.id),
            "source_plan_id": str(earlier.id)}
    response = client.post(f"/plans/{plan.id}", data=data)
    assert response.status_code == 302, response.text
    plan = reload(plan)
    assert plan.title == "عنوان تازه"  # the form's own field is saved …
    assert plan.stage == Stage.SITUATION_ASSESSMENT  # … and nothing else
    assert (plan.version, plan.doc_major, plan.doc_minor) == (2, 1, 0)
    assert (plan.created_by_id, plan.source_plan_id) == (actor.id, None)
    assert (plan.published_at, plan.closed_at) == (None, None)
    assert plan.created_at.year > 2000
    assert len(plan.entries) == 1


def test_ac3_a_request_ignores_fields_that_are_not_in_its_form(client):
    actor, other = supervisor(), supervisor()
    plan = make_plan(actor, description="شرح نوشته شده")
    signed_in(client, actor)
    data = {"event": "complete_assessment", "comment": "آماده است", "version": "1", **EXTRA,
            "owner_id": str(other.id), "to_stage": "closed", "from_stage": "monitoring",
            "requested_by_id": str(other.id), "decided_by_id": str(other.id), "plan_id": "4242",
            "title": "عنوان جعلی", "decision_comment": "x"}
    response = client.post(f"/plans/{plan.id}/requests/", data=data, headers=HX)
    assert response.status_code == 200, response.text
    [request] = db.session.scalars(sa.select(TransitionRequest)).all()
    assert (request.plan_id, request.event) == (plan.id, "complete_assessment")
    assert (request.from_stage, request.to_stage) == (Stage.SITUATION_ASSESSMENT, Stage.ANALYSIS)
    assert request.status == RequestStatus.PENDING
    assert (request.requested_by_id, request.decided_by_id, request.decision_comment) == (actor.id, None, "")
    plan = reload(plan)
    assert (plan.stage, plan.owner_id, plan.title, plan.version) == (
        Stage.SITUATION_ASSESSMENT, actor.id, "برنامهٔ توسعهٔ استان", 1)
    assert (plan.doc_major, plan.doc_minor) == (1, 0)


def test_ac3_a_decision_ignores_fields_that_are_not_in_its_form(client):
    alice, bob = supervisor(), supervisor()
    plan = make_plan(alice, description="شرح نوشته شده")
    request = approvals.request_transition(alice, plan.id, "complete_assessment", "", clock.now())
    db.session.commit()
    signed_in(client, bob)
    data = {"decision": "reject", "comment": "شاخص‌ها کامل نیست", "version": "1", **EXTRA,
            "to_stage": "closed", "event": "close_plan", "requested_by_id": str(bob.id), "owner_id": str(bob.id)}
    response = client.post(f"/plans/{plan.id}/requests/{request.id}/decide", data=data, headers=HX)
    assert response.status_code == 200, response.text
    request = db.session.get(TransitionRequest, request.id)
    assert (request.status, request.event, request.to_stage) == (RequestStatus.REJECTED, "complete_assessment",
                                                                 Stage.ANALYSIS)
    assert request.requested_by_id == alice.id
    plan = reload(plan)
    assert (plan.stage, plan.owner_id, plan.version, plan.doc_major) == (Stage.SITUATION_ASSESSMENT, alice.id, 1, 1)


@pytest.mark.parametrize("version", ["²", "x", ""])
def test_a_request_with_a_forged_version_is_not_an_error(client, version):
    actor = supervisor()
    plan = make_plan(actor, description="شرح نوشته شده")
    signed_in(client, actor)
    response = client.post(f"/plans/{plan.id}/requests/", headers=HX,
                           data={"event": "complete_assessment", "comment": "", "version": version})
    assert response.status_code == 200  # a version that is no number is as good as none
    assert reload(plan).stage == Stage.SITUATION_ASSESSMENT


@pytest.mark.parametrize(("event", "message"), [
    ("jump_to_monitoring", NO_SUCH_MOVE_FA),
    ("monitoring", NO_SUCH_MOVE_FA),
    ("", "فرم کامل نیست؛ صفحه را دوباره بارگذاری کنید و دوباره تلاش کنید."),
    ("close_plan", NOT_FROM_HERE_FA),
    ("approve_plan", NOT_FROM_HERE_FA),
])
def test_a_crafted_request_for_an_unknown_or_impossible_move_is_refused_in_persian(client, event, message):
    actor = supervisor()
    plan = make_plan(actor, description="شرح نوشته شده")
    signed_in(client, actor)
    response = client.post(f"/plans/{plan.id}/requests/", data={"event": event, "comment": "", "version": "1"},
                           headers=HX)
    assert response.status_code == 200
    panel = doc(response)
    assert text_of(panel.get_element_by_id("workflow-error")) == message
    assert db.session.scalars(sa.select(TransitionRequest)).all() == []
    plan = reload(plan)
    assert (plan.stage, plan.version) == (Stage.SITUATION_ASSESSMENT, 1)
    assert [e.action for e in plan_events(plan.id)] == ["plan.create"]


# --- board and table -------------------------------------------------------------------------------------


def board_columns(response) -> dict[str, tuple[int, list[str]]]:
    """stage -> (the count in its heading, the titles of its cards)."""
    columns = {}
    for section in doc(response).xpath('//section[contains(@class, "board-column")]'):
        heading = section.xpath(".//h2")[0]
        count = re.search(r"\((\d+)\)", text_of(heading))
        titles = [text_of(card.xpath(".//strong")[0]) for card in section.xpath('.//a[@class="plan-card"]')]
        columns[heading.get("id").removeprefix("col-")] = (int(count.group(1)), titles)
    return columns


def table_titles(response) -> list[str]:
    return [text_of(a) for a in doc(response).xpath('//div[@id="plan-results"]//tbody/tr/td[1]/a')]


def test_the_board_has_a_column_per_stage_with_counts(client):
    actor = supervisor()
    for n in range(3):
        make_plan(actor, title=f"شناخت {n}")
    make_plan(actor, title="تحلیل ۱", stage=Stage.ANALYSIS)
    make_plan(actor, title="پایش ۱", stage=Stage.MONITORING)
    make_plan(actor, title="پایش ۲", stage=Stage.MONITORING)
    signed_in(client, actor)

    response = client.get("/plans/")
    assert response.status_code == 200
    columns = board_columns(response)
    assert list(columns) == [stage.value for stage in Stage]
    counts = {stage: count for stage, (count, _) in columns.items()}
    assert counts == {stage.value: 0 for stage in Stage} | {"situation_assessment": 3, "analysis": 1,
                                                            "monitoring": 2}
    assert sorted(columns["monitoring"][1]) == ["پایش 1", "پایش 2"]
    assert columns["analysis"][1] == ["تحلیل 1"]
    with persian(client.application):
        for stage in Stage:
            heading = doc(response).get_element_by_id(f"col-{stage.value}")
            assert stage.label in heading.text_content()

    # htmx asks only for the results.
    fragment = client.get("/plans/", headers={**HX, "HX-Target": "plan-results"})
    assert "<html" not in fragment.text and fragment.text.lstrip().startswith('<div id="plan-results">')
    assert board_columns(fragment) == columns


def test_the_board_shows_a_bounded_number_of_cards_and_links_to_the_rest(client):
    actor = supervisor()
    for n in range(BOARD_CARDS_PER_STAGE + 3):
        make_plan(actor, title=f"برنامه {n}")
    signed_in(client, actor)
    response = client.get("/plans/")
    count, titles = board_columns(response)["situation_assessment"]
    assert count == BOARD_CARDS_PER_STAGE + 3
    assert len(titles) == BOARD_CARDS_PER_STAGE
    [more] = doc(response).xpath('//a[@class="more"]')
    assert more.get("href") == "/plans/?view=table&stage=situation_assessment&q="
    assert str(BOARD_CARDS_PER_STAGE + 3) in text_of(more)


def test_the_table_paginates(client):
    actor = supervisor()
    for n in range(25):
        make_plan(actor, title=f"برنامهٔ شمارهٔ {n:02d}")
    signed_in(client, actor)
    first = client.get("/plans/?view=table")
    assert first.status_code == 200
    assert len(table_titles(first)) == 20
    assert "25 برنامه" in page_text(first)
    assert doc(first).xpath('//nav[@class="pager"]//a[@rel="next"]/@href') == [
        "/plans/?page=2&view=table&q=&stage=&year=&owner="]
    second = client.get("/plans/?view=table&page=2", headers={**HX, "HX-Target": "plan-results"})
    assert "<html" not in second.text
    assert len(table_titles(second)) == 5
    assert set(table_titles(first)).isdisjoint(table_titles(second))
    assert len(set(table_titles(first)) | set(table_titles(second))) == 25
    # A page past the end is empty, not an error.
    beyond = client.get("/plans/?view=table&page=9")
    assert beyond.status_code == 200
    assert NO_MATCH_FA in page_text(beyond)


def test_the_table_filters_by_stage_owner_year_and_search(client):
    maryam, reza = supervisor("مریم"), supervisor("رضا")
    make_plan(maryam, title="برنامهٔ کشاورزی", period_start="1400", period_end="1404")
    make_plan(maryam, title="برنامهٔ گردشگری", period_start="1405", period_end="1409", stage=Stage.GOALS)
    make_plan(reza, title="برنامهٔ صنعتی", period_start="1403", period_end="1407", stage=Stage.GOALS)
    make_plan(reza, title="برنامهٔ آب و کشاورزی", period_start="1408", period_end="1412")
    signed_in(client, maryam)

    def titles(**params) -> list[str]:
        response = client.get("/plans/", query_string={"view": "table", **params})
        assert response.status_code == 200
        return sorted(table_titles(response))

    assert len(titles()) == 4
    assert titles(stage="goals") == ["برنامهٔ صنعتی", "برنامهٔ گردشگری"]
    assert titles(owner=reza.id) == ["برنامهٔ آب و کشاورزی", "برنامهٔ صنعتی"]
    assert titles(year="1404") == ["برنامهٔ صنعتی", "برنامهٔ کشاورزی"]
    assert titles(year="1409") == ["برنامهٔ آب و کشاورزی", "برنامهٔ گردشگری"]
    assert titles(stage="goals", owner=maryam.id) == ["برنامهٔ گردشگری"]
    # Search folds Arabic yeh and kaf (and Persian digits) the way people type them.
    assert titles(q="كشاورزي") == ["برنامهٔ آب و کشاورزی", "برنامهٔ کشاورزی"]
    assert titles(q="صنعتي") == ["برنامهٔ صنعتی"]
    assert titles(q="كشاورزی", owner=maryam.id) == ["برنامهٔ کشاورزی"]
    assert titles(q="۱۴۱۲") == ["برنامهٔ آب و کشاورزی"]
    # Nonsense is ignored, not an error; a miss says so.
    assert len(titles(stage="no-such-stage", owner="x", year="abcd")) == 4
    assert len(titles(owner="²", year="²")) == 4  # digits to str.isdigit, but not to int()
    assert titles(q="چیزی که نیست") == []
    assert NO_MATCH_FA in page_text(client.get("/plans/?view=table&q=%D9%86%DB%8C%D8%B3%D8%AA%DB%8C"))
    # The board honours the same filters.
    columns = board_columns(client.get("/plans/", query_string={"q": "كشاورزي"}))
    assert sum(count for count, _ in columns.values()) == 2
    assert sorted(columns["situation_assessment"][1]) == ["برنامهٔ آب و کشاورزی", "برنامهٔ کشاورزی"]


# --- viewers ---------------------------------------------------------------------------------------------


def test_viewers_see_only_published_plans(client):
    actor = supervisor()
    draft = make_plan(actor, title="پیش‌نویس محرمانه")
    analysed = make_plan(actor, title="تحلیل محرمانه", stage=Stage.ANALYSIS)
    in_approval = make_plan(actor, title="در انتظار شورا", stage=Stage.APPROVAL)
    monitored = make_plan(actor, title="برنامهٔ مصوب", stage=Stage.MONITORING)
    revised = make_plan(actor, title="برنامهٔ در بازنگری", stage=Stage.REVISION)
    closed = make_plan(actor, title="برنامهٔ بایگانی", stage=Stage.CLOSED)
    signed_in(client, make_user(role="viewer"))

    board = client.get("/plans/")
    columns = board_columns(board)
    assert set(columns) == {stage.value for stage in PUBLISHED}
    assert {title for _, titles in columns.values() for title in titles} == {
        "برنامهٔ مصوب", "برنامهٔ در بازنگری", "برنامهٔ بایگانی"}
    for secret in ("محرمانه", "در انتظار شورا"):
        assert secret not in board.text
    table = client.get("/plans/?view=table")
    assert sorted(table_titles(table)) == sorted(["برنامهٔ مصوب", "برنامهٔ در بازنگری", "برنامهٔ بایگانی"])
    assert "3 برنامه" in page_text(table)
    # Asking for an unpublished stage by name shows nothing either.
    assert table_titles(client.get("/plans/?view=table&stage=situation_assessment")) == []
    assert table_titles(client.get("/plans/?view=table&q=%D9%85%D8%AD%D8%B1%D9%85%D8%A7%D9%86%D9%87")) == []

    for plan in (draft, analysed, in_approval):
        assert client.get(f"/plans/{plan.id}").status_code == 404
        assert client.get(f"/plans/{plan.id}/activity", headers=HX).status_code == 404
    for plan in (monitored, revised, closed):
        page = client.get(f"/plans/{plan.id}")
        assert page.status_code == 200
        assert not doc(page).xpath('//a[contains(@href, "/edit")]')
        assert not doc(page).xpath('//form[contains(@class, "move")]')
    assert client.get("/plans/999999").status_code == 404


def test_other_roles_see_every_plan(client):
    actor = supervisor()
    draft = make_plan(actor, title="پیش‌نویس")
    for role in ("officer", "participant", "council_member", "admin"):
        with client.session_transaction() as session:
            session.clear()
        signed_in(client, make_user(role=role))
        assert client.get(f"/plans/{draft.id}").status_code == 200, role
        assert board_columns(client.get("/plans/"))["situation_assessment"][0] == 1, role


# --- copy ------------------------------------------------------------------------------------------------


def test_copying_a_plan_starts_a_new_plan_without_its_history(client):
    alice, bob = supervisor("آلیس"), supervisor("بابک")
    source = make_plan(alice, title="برنامهٔ ششم", description="ساختار و متن برنامه", period_start="1400",
                       period_end="1404")
    move(source, "complete_assessment", alice, bob, approve=False, comment="کامل نیست")
    move(source, "complete_assessment", alice, bob)
    source = reload(source)
    assert source.stage == Stage.ANALYSIS and len(source.entries) == 2
    signed_in(client, bob)

    page = client.get(f"/plans/{source.id}/copy")
    assert page.status_code == 200
    values = {name: doc(page).xpath(f'//input[@name="{name}"]/@value') for name in ("period_start", "period_end")}
    assert values == {"period_start": ["1405"], "period_end": ["1409"]}

    response = client.post(f"/plans/{source.id}/copy", data={
        **form(bob, title="برنامهٔ هفتم", period_start="۱۴۰۵", period_end="۱۴۰۹", description="ساختار و متن برنامه"),
        "stage": "analysis", "source_plan_id": "1", "version": "5"})
    assert response.status_code == 302, response.text
    copy = db.session.scalar(sa.select(Plan).where(Plan.title == "برنامهٔ هفتم"))
    assert response.headers["Location"] == f"/plans/{copy.id}"
    assert copy.id != source.id
    assert copy.stage == Stage.SITUATION_ASSESSMENT
    assert copy.source_plan_id == source.id
    assert (copy.period_start, copy.period_end, copy.version, copy.document_version) == (1405, 1409, 1, "1.0")
    assert copy.description == "ساختار و متن برنامه"
    assert copy.created_by_id == bob.id
    # No history: one timeline entry, no requests, only its own creation in the audit.
    assert [(e.stage, e.approved_by_id, e.request_id) for e in copy.entries] == [
        (Stage.SITUATION_ASSESSMENT, None, None)]
    assert db.session.scalars(sa.select(TransitionRequest).where(TransitionRequest.plan_id == copy.id)).all() == []
    assert [e.action for e in plan_events(copy.id)] == ["plan.create", "plan.copy"]
    assert plan_events(copy.id)[1].after == {"source_plan_id": source.id}
    detail = doc(client.get(f"/plans/{copy.id}"))
    assert not detail.xpath('//details[contains(@class, "requests-history")]')
    assert len(detail.xpath('//ol[@id="plan-timeline"]/li[contains(@class, "step-done")]')) == 0
    # The source is untouched.
    source = reload(source)
    assert (source.stage, len(source.entries), source.title) == (Stage.ANALYSIS, 2, "برنامهٔ ششم")

    # The copy form refuses bad input like the new-plan form.
    bad = client.post(f"/plans/{source.id}/copy", data=form(bob, title="", period_start="1405", period_end="1409"))
    assert bad.status_code == 200
    assert field_error(bad, "title") == REQUIRED_FA
    assert plan_count() == 2


def test_viewers_cannot_copy_and_cannot_reach_unpublished_sources(client):
    actor = supervisor()
    draft = make_plan(actor)
    signed_in(client, make_user(role="viewer"))
    assert client.get(f"/plans/{draft.id}/copy").status_code == 403
    assert client.post(f"/plans/{draft.id}/copy", data=form(actor)).status_code == 403
    assert plan_count() == 1


# --- closed plans ----------------------------------------------------------------------------------------


def test_a_closed_plan_is_read_only_in_the_ui_and_through_post(client):
    actor = supervisor()
    plan = make_plan(actor, title="برنامهٔ بایگانی", description="شرح", stage=Stage.CLOSED)
    version = reload(plan).version
    signed_in(client, actor)

    page = client.get(f"/plans/{plan.id}")
    assert page.status_code == 200
    html_doc = doc(page)
    assert not html_doc.xpath(f'//a[@href="/plans/{plan.id}/edit"]')
    assert not html_doc.xpath('//form[contains(@class, "move")]')
    assert CLOSED_FA in page_text(page)

    assert client.get(f"/plans/{plan.id}/edit").status_code == 403
    response = client.post(f"/plans/{plan.id}", data=form(actor, title="عنوان دیگر", version=version))
    assert response.status_code == 403
    assert CLOSED_FA in page_text(response)
    requested = client.post(f"/plans/{plan.id}/requests/", data={"event": "open_revision", "comment": "دلیل",
                                                                  "version": str(version)}, headers=HX)
    assert requested.status_code == 403
    plan = reload(plan)
    assert (plan.title, plan.stage, plan.version) == ("برنامهٔ بایگانی", Stage.CLOSED, version)
    assert [e.action for e in plan_events(plan.id)] == ["plan.create"]
    assert db.session.scalars(sa.select(TransitionRequest)).all() == []
    # The service refuses as well.
    with pytest.raises(services.Conflict):
        services.update_plan(actor, plan, plan_data(actor, title="دیگر"), version)
    db.session.rollback()


# --- the workflow reference ------------------------------------------------------------------------------


def test_flask_workflow_show_prints_every_transition(ctx):
    result = ctx.test_cli_runner().invoke(args=["workflow", "show"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Stages: " + " → ".join(stage.value for stage in Stage)
    for t in TRANSITIONS:
        [line] = [line for line in lines if line.split(" ", 1)[0] == t.event]
        assert f"{t.source.value} → {t.target.value}" in line
        assert t.permission.value in line and t.decide_permission.value in line
        for guard in t.guards:
            assert guard.__name__ in line
        assert ("council vote" in line) == t.council
        assert ("reason required" in line) == t.reason_required
        assert ("four-eyes" in line) == t.four_eyes
    assert sum(1 for line in lines if line.split(" ", 1)[0] in {t.event for t in TRANSITIONS}) == len(TRANSITIONS)


def test_the_workflow_page_lists_every_transition(client):
    signed_in(client, make_user(role="officer"))
    response = client.get("/plans/workflow")
    assert response.status_code == 200
    page = doc(response)
    rows = page.xpath('//table[@id="workflow-table"]/tbody/tr')
    assert [row.get("id") for row in rows] == [f"t-{t.event}" for t in TRANSITIONS]
    with persian(client.application):
        for t in TRANSITIONS:
            cells = page.get_element_by_id(f"t-{t.event}").xpath("./td")
            label = " ".join(cells[0].xpath("./text()")).strip()
            assert label == fa(t.label)
            # In Persian throughout: no English stage name baked into a label at import time.
            assert not re.search(r"[A-Za-z]", label), label
            assert cells[1].text_content().strip() == t.source.label
            assert cells[2].text_content().strip() == t.target.label
        for stage in Stage:
            assert stage.label in response.text


# --- queries per page do not grow with the data ----------------------------------------------------------


def statements_for(client, url: str, **kwargs) -> list[str]:
    db.session.commit()
    client.get(url, **kwargs)  # warm up (first-use caches, the session's user)
    with count_statements() as statements:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.text
    return statements


def add_plans(owner: User, count: int) -> None:
    """Rows straight through the models: fast, and the same shape the service makes."""
    now = clock.now()
    stages = list(Stage)
    plans = [
        Plan(title=f"برنامهٔ انبوه {n}", province="آذربایجان شرقی", period_start=1400 + n % 10,
             period_end=1400 + n % 10 + 4, description="", owner_id=owner.id, created_by_id=owner.id,
             stage=stages[n % len(stages)], stage_entered_at=now, search_key=f"برنامه انبوه {n}")
        for n in range(count)
    ]
    for plan in plans:
        plan.entries.append(StageEntry(stage=plan.stage, entered_at=now))
    db.session.add_all(plans)
    db.session.commit()


def add_events(actor: User, plan: Plan, count: int) -> None:
    for n in range(count):
        record(actor, "plan.update", plan, summary=plan.title, before={"title": f"{n}"}, after={"title": f"{n + 1}"})
    db.session.commit()


@pytest.fixture
def busy_plan(client):
    """A supervisor signed in, looking at a plan that has moved once and has a request waiting."""
    alice, bob = supervisor("آلیس"), supervisor("بابک")
    plan = make_plan(alice, title="برنامهٔ زیر نظر", description="شرح نوشته شده")
    move(plan, "complete_assessment", alice, bob)
    approvals.request_transition(alice, plan.id, "complete_analysis", "", clock.now())
    db.session.commit()
    signed_in(client, bob)
    return plan, alice


def test_queries_for_a_plan_page_do_not_grow_with_plans_or_events(client, busy_plan):
    plan, alice = busy_plan
    add_plans(alice, 9)
    add_events(alice, plan, 10)
    small = statements_for(client, f"/plans/{plan.id}")
    assert statements_for(client, f"/plans/{plan.id}") == small  # deterministic

    add_plans(alice, 991)
    add_events(alice, plan, 290)
    assert plan_count() == 1001
    large = statements_for(client, f"/plans/{plan.id}")
    assert len(large) == len(small), "\n\n".join(large)
    assert len(small) <= 25, "\n\n".join(small)
    # The feed is paged: the page shows 20 events and a link to older ones.
    page = doc(client.get(f"/plans/{plan.id}"))
    assert len(page.xpath('//section[@id="plan-activity"]//li[starts-with(@id, "event-")]')) == 20
    activity = statements_for(client, f"/plans/{plan.id}/activity?page=3", headers=HX)
    assert len(activity) <= len(small)


def test_queries_for_the_board_and_the_table_do_not_grow_with_plans(client, busy_plan):
    plan, alice = busy_plan
    add_plans(alice, 10)
    board_small = statements_for(client, "/plans/")
    table_small = statements_for(client, "/plans/?view=table")
    filtered_small = statements_for(client, "/plans/?view=table&stage=goals&q=%D8%A8%D8%B1%D9%86%D8%A7%D9%85%D9%87")

    add_plans(alice, 990)
    for other in (supervisor(), supervisor()):  # more owners, too
        add_plans(other, 5)
    board_large = statements_for(client, "/plans/")
    table_large = statements_for(client, "/plans/?view=table")
    filtered_large = statements_for(client, "/plans/?view=table&stage=goals&q=%D8%A8%D8%B1%D9%86%D8%A7%D9%85%D9%87")
    assert len(board_large) == len(board_small), "\n\n".join(board_large)
    assert len(table_large) == len(table_small), "\n\n".join(table_large)
    assert len(filtered_large) == len(filtered_small), "\n\n".join(filtered_large)
    # And the pages hold what they should.
    columns = board_columns(client.get("/plans/"))
    assert all(len(titles) <= BOARD_CARDS_PER_STAGE for _, titles in columns.values())
    assert sum(count for count, _ in columns.values()) == 1 + 1000 + 10
    assert len(table_titles(client.get("/plans/?view=table"))) == 20
