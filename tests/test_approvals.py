"""Transition requests, decisions and the council (issue 3): the services and the routes of the workflow panel.

Every test runs on SQLite and on PostgreSQL. Refusals are checked for their Persian message and for leaving the
database exactly as it was (`state()` before and after).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from planapp.accounts.models import User
from planapp.approvals import council
from planapp.approvals import services as approvals
from planapp.approvals.models import CouncilResolution, CouncilVote, RequestStatus, TransitionRequest, VoteChoice
from planapp.audit.models import AuditEvent
from planapp.core import storage
from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.permissions import AccessDenied
from planapp.extensions import db
from planapp.notifications.models import Notification
from planapp.plans import services as plans
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from tests.factories import make_user, signed_in
from tests.refusals import message, refused

NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# What the user reads (fa): fragments of the messages, so a reworded sentence still has to say the same thing.
FA_STALE = "شخص دیگری آن را تغییر داده است"
FA_PENDING = "یک درخواست انتقال در انتظار تصمیم است"
FA_NOT_READY = "هنوز آماده نیست"
FA_DESCRIPTION_ITEM = "شرح برنامه نوشته شده است"
FA_REJECT_REASON = "بنویسید چرا درخواست رد"
FA_FOUR_EYES = "قاعدهٔ چهار چشم"
FA_NOT_FROM_STAGE = "این انتقال از مرحلهٔ"
FA_NO_SUCH_MOVE = "چنین انتقالی وجود ندارد"
FA_FORM_INCOMPLETE = "فرم کامل نیست"
FA_GIVE_REASON = "دلیل این انتقال را بنویسید"
FA_ALREADY_DECIDED = "دربارهٔ این درخواست پیش‌تر تصمیم گرفته شده است"
FA_CLOSED = "این برنامه بسته شده است"
FA_NOT_PDF = "مصوبه باید پروندهٔ PDF باشد"
FA_NOT_CARRIED = "رأی شورا به تصویب نرسیده است"
FA_RESOLUTION_TWICE = "مصوبهٔ شورا پیش‌تر ثبت شده است"
FA_VOTES_FROZEN = "دیگر نمی‌توان رأی را تغییر داد"
FA_RESOLUTION_ITEM = "مصوبهٔ شورا ثبت شده است"
FA_BAD_DATE = "تاریخ مصوبه را به تاریخ شمسی وارد کنید"
FA_ONLY_REQUESTER = "فقط درخواست‌دهنده می‌تواند درخواست را پس بگیرد"


# --- helpers -----------------------------------------------------------------------------------------------------

def new_plan(owner: User, description: str = "شرح وضع موجود استان", stage: Stage | None = None,
             actor: User | None = None) -> Plan:
    plan = plans.create_plan(actor or owner, {
        "title": "برنامهٔ توسعهٔ استان", "province": "آذربایجان شرقی", "period_start": 1405, "period_end": 1409,
        "description": description, "owner_id": owner.id,
    }, NOW)
    db.session.commit()
    if stage is not None:  # test setup only: put the plan straight at a stage
        plan.stage = stage
        db.session.commit()
    return plan


def ask(actor: User | None, plan: Plan, event: str, comment: str = "", **kwargs: Any) -> TransitionRequest:
    request = approvals.request_transition(actor, plan.id, event, comment, NOW, **kwargs)
    db.session.commit()
    return request


def decide(actor: User, request: TransitionRequest, approve: bool = True, comment: str = "",
           **kwargs: Any) -> TransitionRequest:
    decided = approvals.decide_request(actor, request.id, approve, comment, NOW, **kwargs)
    db.session.commit()
    return decided


def move(plan: Plan, event: str, requester: User, decider: User, comment: str = "دلیل") -> None:
    decide(decider, ask(requester, plan, event, comment))


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def audit_count(action: str, plan: Plan) -> int:
    return count(AuditEvent, AuditEvent.action == action, AuditEvent.object_id == plan.id,
                 AuditEvent.object_type == "plans")


def notified(kind: str) -> list[int]:
    return sorted(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == kind)))


def state(plan_id: int) -> dict[str, Any]:
    """Everything a workflow action may change, as plain values."""
    db.session.expire_all()
    plan = db.session.get(Plan, plan_id)
    requests = db.session.scalars(sa.select(TransitionRequest).order_by(TransitionRequest.id))
    return {
        "plan": (plan.stage, plan.version, plan.document_version, plan.description, plan.closed_at),
        "requests": [(r.id, r.event, r.status, r.decided_by_id, r.decision_comment) for r in requests],
        "entries": [(e.stage, e.approved_by_id, e.left_at) for e in plan.entries],
        "audit": list(db.session.scalars(
            sa.select(AuditEvent.id).where(AuditEvent.action.like("plan.%"), AuditEvent.object_id == plan_id)
            .order_by(AuditEvent.id))),
        "notifications": count(Notification),
        "votes": list(db.session.execute(sa.select(CouncilVote.member_id, CouncilVote.choice)
                                         .order_by(CouncilVote.id)).all()),
        "resolutions": count(CouncilResolution),
    }


def client_for(ctx, user: User):
    return signed_in(ctx.test_client(), user)


def requests_url(plan: Plan, rest: str = "") -> str:
    return f"/plans/{plan.id}/requests/{rest}"


def panel_stage(response) -> str:
    match = re.search(r'id="plan-workflow"[^>]*data-stage="([a-z_]+)"', response.text)
    assert match, response.text[:2000]
    return match.group(1)


def approve_button(html: str) -> str:
    match = re.search(r"<button[^>]*id=\"approve-button\"[^>]*>", html, re.S)
    assert match, "no approve button on the page"
    return match.group(0)


@pytest.fixture
def people(ctx) -> dict[str, User]:
    """Two supervisors who ask and decide, the plan's owner (a third supervisor), and the other roles."""
    return {
        "owner": make_user(role="supervisor", name="مالک برنامه"),
        "a": make_user(role="supervisor", name="ناظر الف"),
        "b": make_user(role="supervisor", name="ناظر ب"),
        "officer": make_user(role="officer"),
        "admin": make_user(role="admin"),
        "viewer": make_user(role="viewer"),
    }


@pytest.fixture
def uploads(ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setitem(ctx.config, "UPLOAD_FOLDER", str(folder))
    return folder


# --- request → approve -------------------------------------------------------------------------------------------

def test_request_then_approve_moves_the_stage(ctx, people):
    owner, a, b = people["owner"], people["a"], people["b"]
    plan = new_plan(owner)
    as_a, as_b = client_for(ctx, a), client_for(ctx, b)

    response = as_a.post(requests_url(plan), data={"event": "complete_assessment", "comment": "آماده است",
                                                   "version": plan.version})
    assert response.status_code == 200
    assert 'id="pending-request"' in response.text
    assert "HX-Trigger" in response.headers
    request = db.session.scalars(sa.select(TransitionRequest)).one()
    assert (request.status, request.requested_by_id, request.event) == (RequestStatus.PENDING, a.id,
                                                                         "complete_assessment")
    assert notified("transition.requested") == sorted([owner.id, b.id])  # the owner and the other supervisors
    assert audit_count("plan.transition_requested", plan) == 1

    response = as_b.post(requests_url(plan, f"{request.id}/decide"),
                         data={"decision": "approve", "comment": "", "version": plan.version})
    assert response.status_code == 200, response.text
    assert panel_stage(response) == "analysis"
    assert "ناظر ب" in response.text  # the timeline names who approved

    plan = db.session.get(Plan, plan.id)
    assert plan.stage == Stage.ANALYSIS
    assert db.session.get(TransitionRequest, request.id).status == RequestStatus.APPROVED
    first, second = plan.entries
    assert (first.stage, first.left_at is not None) == (Stage.SITUATION_ASSESSMENT, True)
    assert (second.stage, second.approved_by_id, second.request_id, second.left_at) == (
        Stage.ANALYSIS, b.id, request.id, None)
    transition_rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "plan.transition")).all()
    assert len(transition_rows) == 1
    assert transition_rows[0].actor_id == b.id
    assert transition_rows[0].before["stage"] == "situation_assessment"
    assert transition_rows[0].after["stage"] == "analysis"
    assert notified("transition.approved") == sorted([a.id, owner.id])

    page = as_a.get(f"/plans/{plan.id}")
    assert 'aria-current="step" data-stage="analysis"' in page.text


def test_approve_is_refused_while_the_exit_checklist_is_open(ctx, people):
    a, b = people["a"], people["b"]
    plan = new_plan(people["owner"], description="")
    request = ask(a, plan, "complete_assessment")  # asking is allowed; approving waits for the checklist
    as_b = client_for(ctx, b)

    page = as_b.get(f"/plans/{plan.id}")
    assert page.status_code == 200
    assert "disabled" in approve_button(page.text)
    assert FA_NOT_READY in page.text and FA_DESCRIPTION_ITEM in page.text

    confirm = as_b.get(requests_url(plan, f"{request.id}/confirm?decision=approve"))
    assert re.search(r'id="confirm-approve"[^>]*disabled', confirm.text)
    assert FA_NOT_READY in confirm.text

    before = state(plan.id)
    response = as_b.post(requests_url(plan, f"{request.id}/decide"),
                         data={"decision": "approve", "version": plan.version})
    assert response.status_code == 200
    assert FA_NOT_READY in response.text and FA_DESCRIPTION_ITEM in response.text
    assert 'id="workflow-error"' in response.text
    assert state(plan.id) == before

    error = refused(ValidationFailed, approvals.decide_request, b, request.id, True, "", NOW)
    assert FA_NOT_READY in message(error) and FA_DESCRIPTION_ITEM in message(error)
    assert state(plan.id) == before

    # Once the description is written the same button is enabled and the move goes through.
    plans.update_plan(a, plan, {**_plan_data(plan), "description": "شرح کامل"}, plan.version)
    db.session.commit()
    assert "disabled" not in approve_button(as_b.get(f"/plans/{plan.id}").text)
    decide(b, request)
    assert db.session.get(Plan, plan.id).stage == Stage.ANALYSIS


def _plan_data(plan: Plan) -> dict[str, Any]:
    return {"title": plan.title, "province": plan.province, "period_start": plan.period_start,
            "period_end": plan.period_end, "description": plan.description, "owner_id": plan.owner_id}


# --- reject ------------------------------------------------------------------------------------------------------

def test_reject_requires_a_reason_keeps_the_stage_and_tells_the_requester(ctx, people):
    a, b = people["a"], people["b"]
    plan = new_plan(people["owner"])
    request = ask(a, plan, "complete_assessment")
    as_b = client_for(ctx, b)
    before = state(plan.id)

    for comment in ("", "   "):
        response = as_b.post(requests_url(plan, f"{request.id}/decide"),
                             data={"decision": "reject", "comment": comment, "version": plan.version})
        assert response.status_code == 200
        assert FA_REJECT_REASON in response.text
        assert state(plan.id) == before
    error = refused(ValidationFailed, approvals.decide_request, b, request.id, False, "", NOW)
    assert FA_REJECT_REASON in message(error)
    assert state(plan.id) == before

    reason = "جدول جمعیت شهرستان‌ها ناقص است"
    response = as_b.post(requests_url(plan, f"{request.id}/decide"),
                         data={"decision": "reject", "comment": reason, "version": plan.version})
    assert response.status_code == 200
    assert panel_stage(response) == "situation_assessment"
    request = db.session.get(TransitionRequest, request.id)
    assert (request.status, request.decided_by_id, request.decision_comment) == (RequestStatus.REJECTED, b.id,
                                                                                  reason)
    plan = db.session.get(Plan, plan.id)
    assert plan.stage == Stage.SITUATION_ASSESSMENT and len(plan.entries) == 1
    assert audit_count("plan.transition", plan) == 0
    assert audit_count("plan.request_rejected", plan) == 1
    rejection = db.session.scalars(sa.select(Notification).where(Notification.kind == "transition.rejected")).one()
    assert rejection.user_id == a.id
    assert rejection.params["reason"] == reason
    # The plan is free again: a new request may be made.
    ask(a, plan, "complete_assessment", "اصلاح شد")


# --- four eyes and roles -----------------------------------------------------------------------------------------

def test_four_eyes_the_requester_cannot_decide_but_can_withdraw(ctx, people):
    a, b = people["a"], people["b"]
    plan = new_plan(people["owner"])
    request = ask(a, plan, "complete_assessment")
    as_a = client_for(ctx, a)
    before = state(plan.id)

    page = as_a.get(f"/plans/{plan.id}")
    assert 'id="approve-button"' not in page.text and 'id="withdraw-button"' in page.text
    for approve in ("approve", "reject"):
        response = as_a.post(requests_url(plan, f"{request.id}/decide"),
                             data={"decision": approve, "comment": "خودم", "version": plan.version})
        assert response.status_code == 403
        assert FA_FOUR_EYES in response.text
    assert as_a.get(requests_url(plan, f"{request.id}/confirm?decision=approve")).status_code == 403
    for approve in (True, False):
        error = refused(AccessDenied, approvals.decide_request, a, request.id, approve, "خودم", NOW)
        assert FA_FOUR_EYES in message(error)
    assert state(plan.id) == before

    error = refused(ValidationFailed, approvals.cancel_request, b, request.id, NOW)  # only the requester withdraws
    assert FA_ONLY_REQUESTER in message(error)
    assert state(plan.id) == before

    response = as_a.post(requests_url(plan, f"{request.id}/withdraw"))
    assert response.status_code == 200
    assert 'id="pending-request"' not in response.text
    request = db.session.get(TransitionRequest, request.id)
    assert request.status == RequestStatus.CANCELLED
    assert db.session.get(Plan, plan.id).stage == Stage.SITUATION_ASSESSMENT
    assert audit_count("plan.request_withdrawn", plan) == 1
    # Withdrawn is decided: no decision can follow.
    error = refused(Conflict, approvals.decide_request, b, request.id, True, "", NOW)
    assert FA_ALREADY_DECIDED in message(error)


@pytest.mark.parametrize("role", ["officer", "admin", "viewer", "council_member", "participant"])
def test_only_supervisors_request_and_decide(ctx, people, role):
    plan = new_plan(people["owner"])
    request = ask(people["a"], plan, "complete_assessment")
    other_plan = new_plan(people["owner"])
    user = make_user(role=role)
    as_user = client_for(ctx, user)
    before, other_before = state(plan.id), state(other_plan.id)

    decision = as_user.post(requests_url(plan, f"{request.id}/decide"),
                            data={"decision": "approve", "version": plan.version})
    asked = as_user.post(requests_url(other_plan), data={"event": "complete_assessment",
                                                         "version": other_plan.version})
    assert (decision.status_code, asked.status_code) == (403, 403)
    refused(AccessDenied, approvals.decide_request, user, request.id, True, "", NOW)
    refused(AccessDenied, approvals.request_transition, user, other_plan.id, "complete_assessment", "", NOW)
    assert (state(plan.id), state(other_plan.id)) == (before, other_before)


# --- one pending request; bad and stale input ---------------------------------------------------------------------

def test_only_one_pending_request_per_plan(ctx, people):
    a, b = people["a"], people["b"]
    plan = new_plan(people["owner"])
    ask(a, plan, "complete_assessment")
    before = state(plan.id)

    response = client_for(ctx, b).post(requests_url(plan), data={"event": "complete_assessment",
                                                                 "version": plan.version})
    assert response.status_code == 409
    assert FA_PENDING in response.text
    error = refused(Conflict, approvals.request_transition, b, plan.id, "complete_assessment", "", NOW)
    assert FA_PENDING in message(error)
    assert state(plan.id) == before
    assert count(TransitionRequest, TransitionRequest.status == RequestStatus.PENDING) == 1


@pytest.mark.parametrize(("event", "expected"), [
    ("approve_plan", FA_NOT_FROM_STAGE),  # a real event, from another stage
    ("back_to_assessment", FA_NOT_FROM_STAGE),
    ("open_revision", FA_NOT_FROM_STAGE),
    ("fly_to_the_moon", FA_NO_SUCH_MOVE),  # no such event
    ("monitoring", FA_NO_SUCH_MOVE),  # a crafted POST naming a stage
    ("closed", FA_NO_SUCH_MOVE),
    ("complete_assessment' OR '1'='1", FA_NO_SUCH_MOVE),
    ("", FA_FORM_INCOMPLETE),
])
def test_a_move_that_is_not_allowed_changes_nothing(ctx, people, event, expected):
    plan = new_plan(people["owner"])
    before = state(plan.id)
    response = client_for(ctx, people["a"]).post(
        requests_url(plan), data={"event": event, "stage": "closed", "to_stage": "monitoring",
                                  "comment": "دلیل", "version": plan.version})
    assert response.status_code == 200
    assert expected in response.text
    assert 'id="workflow-error"' in response.text
    if event:
        error = refused(ValidationFailed, approvals.request_transition, people["a"], plan.id, event, "دلیل", NOW)
        assert expected in message(error)
    assert state(plan.id) == before


def test_a_crafted_decision_changes_nothing(ctx, people):
    plan = new_plan(people["owner"])
    request = ask(people["a"], plan, "complete_assessment")
    as_b = client_for(ctx, people["b"])
    before = state(plan.id)
    for decision in ("", "approve_all", "closed"):
        response = as_b.post(requests_url(plan, f"{request.id}/decide"),
                             data={"decision": decision, "version": plan.version})
        assert response.status_code == 200
        assert FA_FORM_INCOMPLETE in response.text
    assert as_b.post(requests_url(plan, "999999/decide"), data={"decision": "approve"}).status_code == 404
    other = new_plan(people["owner"])  # a request id under the wrong plan is not found either
    assert as_b.post(requests_url(other, f"{request.id}/decide"), data={"decision": "approve"}).status_code == 404
    assert state(plan.id) == before


def test_a_stale_version_is_refused_on_request_and_on_decision(ctx, people):
    a, b = people["a"], people["b"]
    plan = new_plan(people["owner"])
    loaded_version = plan.version
    plans.update_plan(people["owner"], plan, {**_plan_data(plan), "title": "عنوان تازه"}, plan.version)
    db.session.commit()
    before = state(plan.id)

    response = client_for(ctx, a).post(requests_url(plan), data={"event": "complete_assessment",
                                                                 "version": loaded_version})
    assert response.status_code == 409
    assert FA_STALE in response.text
    error = refused(Conflict, approvals.request_transition, a, plan.id, "complete_assessment", "", NOW,
                    expected_version=loaded_version)
    assert FA_STALE in message(error)
    assert state(plan.id) == before

    request = ask(a, plan, "complete_assessment", expected_version=db.session.get(Plan, plan.id).version)
    seen_version = db.session.get(Plan, plan.id).version
    plan = db.session.get(Plan, plan.id)
    plans.update_plan(people["owner"], plan, {**_plan_data(plan), "description": "شرح دیگر"}, plan.version)
    db.session.commit()
    before = state(plan.id)
    response = client_for(ctx, b).post(requests_url(plan, f"{request.id}/decide"),
                                       data={"decision": "approve", "version": seen_version})
    assert response.status_code == 409
    assert FA_STALE in response.text
    error = refused(Conflict, approvals.decide_request, b, request.id, True, "", NOW, expected_version=seen_version)
    assert FA_STALE in message(error)
    assert state(plan.id) == before


# --- revision loop, closing --------------------------------------------------------------------------------------

def test_the_revision_loop_bumps_the_document_version(ctx, people):
    a, b = people["a"], people["b"]
    plan = new_plan(people["owner"], stage=Stage.MONITORING)
    assert plan.document_version == "1.0"

    error = refused(ValidationFailed, approvals.request_transition, a, plan.id, "open_revision", "  ", NOW)
    assert FA_GIVE_REASON in message(error)
    response = client_for(ctx, a).post(requests_url(plan), data={"event": "open_revision", "comment": "",
                                                                 "version": plan.version})
    assert FA_GIVE_REASON in response.text
    assert count(TransitionRequest) == 0

    for expected in ("1.1", "1.2"):
        move(plan, "open_revision", a, b, "شاخص‌های جدید سازمان برنامه")
        assert db.session.get(Plan, plan.id).stage == Stage.REVISION
        move(plan, "approve_revision", b, a, "")  # the roles may swap: four eyes is per request
        plan = db.session.get(Plan, plan.id)
        assert (plan.stage, plan.document_version) == (Stage.MONITORING, expected)
    assert audit_count("plan.transition", plan) == 4
    assert [e.stage for e in plan.entries][-4:] == [Stage.REVISION, Stage.MONITORING] * 2
    last = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "plan.transition")
                              .order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (last.before["document_version"], last.after["document_version"]) == ("1.1", "1.2")


def test_closing_archives_the_plan_read_only(ctx, people):
    a, b = people["a"], people["b"]
    plan = new_plan(people["owner"], stage=Stage.MONITORING)
    refused(ValidationFailed, approvals.request_transition, a, plan.id, "close_plan", "", NOW)
    move(plan, "close_plan", a, b, "دورهٔ برنامه به پایان رسید")
    plan = db.session.get(Plan, plan.id)
    assert plan.stage == Stage.CLOSED and plan.is_archived and plan.closed_at is not None
    before = state(plan.id)

    error = refused(Conflict, plans.update_plan, people["owner"], plan, {**_plan_data(plan), "title": "تغییر"},
                    plan.version)
    assert FA_CLOSED in message(error)
    for event in ("open_revision", "close_plan", "complete_assessment"):
        refused(ValidationFailed, approvals.request_transition, a, plan.id, event, "دلیل", NOW)

    as_owner = client_for(ctx, people["owner"])
    assert as_owner.get(f"/plans/{plan.id}/edit").status_code == 403
    response = as_owner.post(f"/plans/{plan.id}", data={**_plan_data(plan), "title": "تغییر",
                                                        "version": plan.version})
    assert response.status_code == 403
    response = as_owner.post(requests_url(plan), data={"event": "open_revision", "comment": "دلیل",
                                                       "version": plan.version})
    assert response.status_code == 403
    assert FA_CLOSED in response.text
    page = as_owner.get(f"/plans/{plan.id}")
    assert page.status_code == 200 and 'id="plan-moves"' not in page.text and FA_CLOSED in page.text
    assert state(plan.id) == before


# --- the confirm step --------------------------------------------------------------------------------------------

def test_the_confirm_step_lists_the_consequences_and_changes_nothing(ctx, people):
    owner, a, b = people["owner"], people["a"], people["b"]
    plan = new_plan(owner, stage=Stage.REVISION)
    request = ask(a, plan, "approve_revision")
    as_b = client_for(ctx, b)
    before = state(plan.id)

    response = as_b.get(requests_url(plan, f"{request.id}/confirm?decision=approve"))
    assert response.status_code == 200
    text = response.text
    assert 'id="confirm-decision"' in text
    assert "«بازنگری»" in text and "«پایش»" in text  # from → to
    assert "نسخهٔ سند 1.1" in text  # the effect, with the version it will have
    assert "آگاه‌شوندگان" in text and owner.name in text and a.name in text  # who is told
    assert f'name="version" value="{db.session.get(Plan, plan.id).version}"' in text

    response = as_b.get(requests_url(plan, f"{request.id}/confirm?decision=reject"))
    assert response.status_code == 200
    assert 'name="decision" value="reject"' in response.text and a.name in response.text
    assert "نسخهٔ سند" not in response.text  # a rejection has no consequences to list
    assert state(plan.id) == before

    approval = new_plan(owner, stage=Stage.APPROVAL)
    request = ask(a, approval, "approve_plan")
    response = as_b.get(requests_url(approval, f"{request.id}/confirm?decision=approve"))
    assert "سند با نسخهٔ 1.0 منتشر می‌شود" in response.text


# --- the council -------------------------------------------------------------------------------------------------

def expected_tally(members: int, votes: str) -> tuple[int, bool]:
    """The rule, written independently: quorum = ⌈2/3 of the members⌉ present; carries on a strict majority
    of those present (abstaining counts as present, not in favour)."""
    quorum = -(-2 * members // 3)
    present, approve = len(votes), votes.count("a")
    return quorum, present >= quorum and 2 * approve > present


CHOICE = {"a": "approve", "r": "reject", "b": "abstain"}


@pytest.mark.parametrize(("members", "votes", "carries"), [
    (1, "a", True),
    (1, "b", False),
    (2, "ab", False),
    (3, "a", False),  # no quorum (2 of 3)
    (3, "aa", True),
    (3, "ar", False),  # a tie does not carry
    (3, "ab", False),  # abstaining counts as present: 1 of 2 is no majority
    (3, "aab", True),
    (4, "aa", False),  # no quorum (3 of 4)
    (4, "aar", True),
    (4, "aarr", False),  # tie
    (5, "aaa", False),  # no quorum (4 of 5)
    (5, "aaab", True),
    (5, "aarb", False),
    (6, "aaarr", True),
    (6, "rrrr", False),
])
def test_the_council_vote_needs_quorum_and_majority(ctx, people, members, votes, carries):
    council_members = [make_user(role="council_member") for _ in range(members)]
    plan = new_plan(people["owner"], stage=Stage.APPROVAL)
    request = ask(people["a"], plan, "approve_plan")
    assert sorted(notified("council.vote_opened")) == sorted(m.id for m in council_members)
    for member, choice in zip(council_members, votes, strict=False):
        approvals.cast_vote(member, request.id, CHOICE[choice], "", NOW)
        db.session.commit()

    tally = council.tally(db.session.get(TransitionRequest, request.id))
    quorum, oracle = expected_tally(members, votes)
    assert oracle == carries
    assert (tally.members, tally.quorum, tally.present, tally.carries) == (members, quorum, len(votes), carries)
    if carries:
        approvals.record_resolution(people["b"], request.id, "۱۲/۴۵۶", date(2026, 12, 6), NOW)
        db.session.commit()
    else:
        error = refused(ValidationFailed, approvals.record_resolution, people["b"], request.id, "۱۲/۴۵۶",
                        date(2026, 12, 6), NOW)
        assert FA_NOT_CARRIED in message(error)
    assert count(CouncilResolution) == (1 if carries else 0)


def test_a_member_can_change_the_vote_until_the_resolution_is_recorded(ctx, people):
    m1, m2, m3 = (make_user(role="council_member") for _ in range(3))
    plan = new_plan(people["owner"], stage=Stage.APPROVAL)
    request = ask(people["a"], plan, "approve_plan")
    as_m1 = client_for(ctx, m1)

    assert as_m1.post(requests_url(plan, f"{request.id}/vote"), data={"choice": "reject"}).status_code == 200
    response = as_m1.post(requests_url(plan, f"{request.id}/vote"), data={"choice": "approve", "comment": "موافقم"})
    assert response.status_code == 200
    votes = db.session.scalars(sa.select(CouncilVote)).all()
    assert [(v.member_id, v.choice, v.comment) for v in votes] == [(m1.id, VoteChoice.APPROVE, "موافقم")]
    changed = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "plan.council_vote")
                                 .order_by(AuditEvent.id)).all()
    assert [(e.before, e.after["choice"]) for e in changed] == [(None, "reject"), ({"choice": "reject"}, "approve")]

    response = as_m1.post(requests_url(plan, f"{request.id}/vote"), data={"choice": "maybe"})
    assert "موافق، مخالف یا ممتنع" in response.text
    refused(ValidationFailed, approvals.cast_vote, m2, request.id, "yes", "", NOW)
    for user in (people["b"], people["officer"], people["admin"]):  # only council members vote
        assert client_for(ctx, user).post(requests_url(plan, f"{request.id}/vote"),
                                          data={"choice": "approve"}).status_code == 403
        refused(AccessDenied, approvals.cast_vote, user, request.id, "approve", "", NOW)

    approvals.cast_vote(m2, request.id, "approve", "", NOW)
    approvals.record_resolution(people["b"], request.id, "۱۲/۴۵۶", date(2026, 12, 6), NOW)
    db.session.commit()
    before = state(plan.id)
    response = as_m1.post(requests_url(plan, f"{request.id}/vote"), data={"choice": "reject"})
    assert response.status_code == 409 and FA_VOTES_FROZEN in response.text
    for member in (m1, m3):
        error = refused(Conflict, approvals.cast_vote, member, request.id, "reject", "", NOW)
        assert FA_VOTES_FROZEN in message(error)
    error = refused(Conflict, approvals.record_resolution, people["a"], request.id, "۹۹", date(2026, 12, 7), NOW)
    assert FA_RESOLUTION_TWICE in message(error)
    assert state(plan.id) == before


def test_the_resolution_is_recorded_with_a_pdf_stored_outside_static(ctx, people, uploads):
    a, b = people["a"], people["b"]
    m1, m2 = make_user(role="council_member"), make_user(role="council_member")
    plan = new_plan(people["owner"], stage=Stage.APPROVAL)
    request = ask(a, plan, "approve_plan")
    as_b = client_for(ctx, b)
    url = requests_url(plan, f"{request.id}/resolution")

    def post(number: str = "۱۲/۴۵۶", resolved_on: str = "۱۴۰۵/۰۹/۱۵", document: bytes | None = PDF,
             name: str = "مصوبه شورا.pdf"):
        data: dict[str, Any] = {"number": number, "resolved_on": resolved_on}
        if document is not None:
            data["document"] = (io.BytesIO(document), name)
        return as_b.post(url, data=data, content_type="multipart/form-data")

    before = state(plan.id)
    response = post()  # the vote has not carried yet
    assert response.status_code == 200 and FA_NOT_CARRIED in response.text
    for member in (m1, m2):
        approvals.cast_vote(member, request.id, "approve", "", NOW)
    db.session.commit()
    before = state(plan.id)

    for bad in (b"GIF89a not a pdf", b"<html>%PDF-</html>", b""):
        response = post(document=bad, name="resolution.pdf")
        assert response.status_code == 200
        assert FA_NOT_PDF in response.text
    assert FA_BAD_DATE in post(resolved_on="۱۴۰۵/۱۳/۴۰").text
    assert FA_BAD_DATE in post(resolved_on="فردا").text
    assert state(plan.id) == before
    assert not any(path.is_file() for path in uploads.rglob("*"))

    response = post()
    assert response.status_code == 200 and 'id="council-resolution"' in response.text
    resolution = db.session.scalars(sa.select(CouncilResolution)).one()
    assert (resolution.number, resolution.resolved_on, resolution.file_size) == ("۱۲/۴۵۶", date(2026, 12, 6),
                                                                                  len(PDF))
    assert resolution.file_name == "مصوبه شورا.pdf"
    stored = storage.path_of(resolution.stored_name)
    assert stored.read_bytes() == PDF
    assert stored.resolve().is_relative_to(uploads.resolve())
    assert not stored.resolve().is_relative_to(Path(ctx.static_folder).resolve())
    assert resolution.stored_name not in response.text  # the generated name is never shown

    download = requests_url(plan, f"{request.id}/resolution/document")
    for user in (b, m1, people["officer"]):
        got = client_for(ctx, user).get(download)
        assert got.status_code == 200
        assert got.headers["Content-Type"] == "application/pdf"
        assert got.headers["Content-Disposition"].startswith("attachment")
        assert got.get_data() == PDF
        got.close()
    # A viewer may not see a plan that is not published yet: the document does not exist for them.
    assert client_for(ctx, people["viewer"]).get(download).status_code == 404
    anonymous = ctx.test_client().get(download)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client_for(ctx, b).get(requests_url(new_plan(people["owner"]), f"{request.id}/resolution/document")
                                  ).status_code == 404


def test_the_plan_is_approved_only_when_the_vote_carried_and_the_resolution_is_recorded(ctx, people):
    owner, a, b = people["owner"], people["a"], people["b"]
    members = [make_user(role="council_member") for _ in range(3)]
    plan = new_plan(owner, stage=Stage.APPROVAL)
    as_a, as_b = client_for(ctx, a), client_for(ctx, b)
    response = as_a.post(requests_url(plan), data={"event": "approve_plan", "version": plan.version})
    request = db.session.scalars(sa.select(TransitionRequest)).one()
    assert 'id="council-panel"' in response.text

    def try_approve():
        before = state(plan.id)
        response = as_b.post(requests_url(plan, f"{request.id}/decide"),
                             data={"decision": "approve", "version": db.session.get(Plan, plan.id).version})
        assert response.status_code == 200 and FA_NOT_READY in response.text
        assert state(plan.id) == before
        return response

    assert "disabled" in approve_button(as_b.get(f"/plans/{plan.id}").text)
    try_approve()
    for member, choice in zip(members, ("approve", "reject"), strict=False):
        assert client_for(ctx, member).post(requests_url(plan, f"{request.id}/vote"),
                                            data={"choice": choice}).status_code == 200
    try_approve()  # 1 of 2 present in favour: not carried
    client_for(ctx, members[2]).post(requests_url(plan, f"{request.id}/vote"), data={"choice": "approve"})
    response = try_approve()  # carried, but the resolution is missing
    assert FA_RESOLUTION_ITEM in response.text
    assert "disabled" in approve_button(as_b.get(f"/plans/{plan.id}").text)

    response = as_b.post(requests_url(plan, f"{request.id}/resolution"),
                         data={"number": "۷۷", "resolved_on": "1405/9/15"}, content_type="multipart/form-data")
    assert response.status_code == 200 and 'id="council-resolution"' in response.text
    assert "disabled" not in approve_button(as_b.get(f"/plans/{plan.id}").text)
    response = as_b.post(requests_url(plan, f"{request.id}/decide"),
                         data={"decision": "approve", "version": db.session.get(Plan, plan.id).version})
    assert response.status_code == 200 and panel_stage(response) == "monitoring"
    plan = db.session.get(Plan, plan.id)
    assert (plan.stage, plan.document_version, plan.published_at is not None) == (Stage.MONITORING, "1.0", True)
    assert audit_count("plan.transition", plan) == 1
    assert audit_count("plan.council_resolution", plan) == 1
    # Once decided, the council's request is closed to votes.
    error = refused(Conflict, approvals.cast_vote, members[0], request.id, "reject", "", NOW)
    assert FA_ALREADY_DECIDED in message(error)


# --- automatic requests ------------------------------------------------------------------------------------------

def test_the_system_asks_by_itself_once_the_checklist_holds(ctx, people):
    owner, a = people["owner"], people["a"]
    plan = new_plan(owner, description="")
    assert approvals.auto_request_ready(plan, NOW) is None  # the description is missing
    assert count(TransitionRequest) == 0

    plans.update_plan(owner, plan, {**_plan_data(plan), "description": "شرح کامل"}, plan.version)
    db.session.commit()
    request = approvals.auto_request_ready(db.session.get(Plan, plan.id), NOW)
    db.session.commit()
    assert request is not None
    assert (request.requested_by_id, request.event, request.status) == (None, "complete_assessment",
                                                                        RequestStatus.PENDING)
    assert approvals.auto_request_ready(db.session.get(Plan, plan.id), NOW) is None  # one is pending
    assert count(TransitionRequest) == 1
    requested = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "plan.transition_requested")
                                   ).one()
    assert requested.actor_id is None

    page = client_for(ctx, owner).get(f"/plans/{plan.id}")
    assert "درخواست خودکار سامانه" in page.text
    assert "disabled" not in approve_button(page.text)  # every supervisor may decide, the owner too
    response = client_for(ctx, a).post(requests_url(plan, f"{request.id}/decide"),
                                       data={"decision": "approve", "version": db.session.get(Plan, plan.id).version})
    assert response.status_code == 200 and panel_stage(response) == "analysis"
    assert notified("transition.approved") == [owner.id]  # nobody asked, so only the owner is told

    # From stages whose moves are not automatic, or whose checklist cannot hold yet, nothing is asked.
    for stage in (Stage.MONITORING, Stage.REVISION, Stage.CLOSED, Stage.APPROVAL):
        assert approvals.auto_request_ready(new_plan(owner, stage=stage), NOW) is None
    db.session.commit()
    assert count(TransitionRequest) == 1
