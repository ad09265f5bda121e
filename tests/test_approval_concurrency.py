"""RELIABILITY W1, W2, W3 for plans: concurrent decisions, stale edits, all-or-nothing transitions.

Threads are released together by a barrier; each works in an application context (and so a session and a
connection) of its own, exactly as concurrent requests do. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from planapp.accounts.models import User
from planapp.approvals import services as approvals
from planapp.approvals.models import RequestStatus, TransitionRequest
from planapp.audit.chain import verify_chain
from planapp.audit.models import AuditEvent
from planapp.audit.queries import iter_chain_rows
from planapp.core.errors import Conflict
from planapp.extensions import db
from planapp.notifications.models import Notification
from planapp.plans import services as plans
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from tests import concurrency
from tests.factories import make_user, signed_in

NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
THREADS, ROUNDS = 24, 3
FA_ALREADY_DECIDED = "دربارهٔ این درخواست پیش‌تر تصمیم گرفته شده است"
FA_PENDING = "یک درخواست انتقال در انتظار تصمیم است"
FA_STALE = "شخص دیگری آن را تغییر داده است"
FA_SERVER_ERROR = "خطایی رخ داد"


# --- helpers -----------------------------------------------------------------------------------------------------

def new_plan(owner: User, stage: Stage | None = None, title: str = "برنامهٔ توسعهٔ استان") -> Plan:
    plan = plans.create_plan(owner, {
        "title": title, "province": "آذربایجان شرقی", "period_start": 1405, "period_end": 1409,
        "description": "شرح وضع موجود", "owner_id": owner.id,
    }, NOW)
    db.session.commit()
    if stage is not None:  # test setup only
        plan.stage = stage
        db.session.commit()
    return plan


def plan_data(plan: Plan, **changes: Any) -> dict[str, Any]:
    return {"title": plan.title, "province": plan.province, "period_start": plan.period_start,
            "period_end": plan.period_end, "description": plan.description, "owner_id": plan.owner_id, **changes}


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def audit_count(action: str, plan_id: int) -> int:
    return count(AuditEvent, AuditEvent.action == action, AuditEvent.object_id == plan_id)


def state(plan_id: int) -> dict[str, Any]:
    db.session.expire_all()
    plan = db.session.get(Plan, plan_id)
    return {
        "plan": (plan.stage, plan.version, plan.document_version, plan.title, plan.description, plan.published_at),
        "requests": list(db.session.execute(
            sa.select(TransitionRequest.id, TransitionRequest.status, TransitionRequest.decided_by_id,
                      TransitionRequest.decided_at).where(TransitionRequest.plan_id == plan_id)
            .order_by(TransitionRequest.id)).all()),
        "entries": [(e.stage, e.approved_by_id, e.left_at) for e in plan.entries],
        "audit": list(db.session.scalars(sa.select(AuditEvent.id).where(AuditEvent.object_id == plan_id,
                                                                          AuditEvent.action.like("plan.%"))
                                         .order_by(AuditEvent.id))),
        "notifications": count(Notification),
    }


def run_at_once(app, workers: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """The workers at once (tests/concurrency.py); a Conflict, the clear refusal, is ("conflict", message)."""
    return concurrency.run_at_once(app, workers, Conflict, lambda conflict: ("conflict", str(conflict.message)))


def chain_is_intact() -> bool:
    db.session.commit()
    return verify_chain(iter_chain_rows()).ok


@pytest.fixture
def crowd(ctx) -> dict[str, Any]:
    """The plan's owner, a requester and THREADS other supervisors."""
    return {
        "owner": make_user(role="supervisor", name="مالک"),
        "requester": make_user(role="supervisor", name="درخواست‌دهنده"),
        "deciders": [make_user(role="supervisor").id for _ in range(THREADS)],
    }


# --- W1: concurrent decisions ------------------------------------------------------------------------------------

def test_w1_many_supervisors_approve_the_same_request_at_once(ctx, crowd):
    owner, requester = crowd["owner"], crowd["requester"]
    for _ in range(ROUNDS):
        plan = new_plan(owner)
        request = approvals.request_transition(requester, plan.id, "complete_assessment", "", NOW)
        db.session.commit()
        plan_id, request_id = plan.id, request.id
        notifications_before = count(Notification)

        def approve(user_id: int, request_id: int = request_id) -> Callable[[], Any]:
            def work() -> Any:
                user = db.session.get(User, user_id)
                approvals.decide_request(user, request_id, True, "موافقم", NOW)
                return ("approved", user_id)
            return work

        outcomes, errors = run_at_once(ctx, [approve(uid) for uid in crowd["deciders"]])

        assert [repr(e) for e in errors] == []
        approved = [o for o in outcomes if o[0] == "approved"]
        conflicts = [o for o in outcomes if o[0] == "conflict"]
        assert len(approved) == 1 and len(conflicts) == THREADS - 1
        assert all(FA_ALREADY_DECIDED in text for _, text in conflicts)
        winner = approved[0][1]
        request = db.session.get(TransitionRequest, request_id)
        assert (request.status, request.decided_by_id) == (RequestStatus.APPROVED, winner)
        plan = db.session.get(Plan, plan_id)
        assert plan.stage == Stage.ANALYSIS
        assert [(e.stage, e.approved_by_id) for e in plan.entries] == [(Stage.SITUATION_ASSESSMENT, None),
                                                                      (Stage.ANALYSIS, winner)]
        assert audit_count("plan.transition", plan_id) == 1
        sent = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "transition.approved",
                                                                        Notification.link == f"/plans/{plan_id}"))
        assert sorted(sent) == sorted([requester.id, owner.id])  # one set: requester and owner, once each
        assert count(Notification) == notifications_before + 2
    assert chain_is_intact()


def test_w1_many_rejections_and_approvals_at_once_decide_once(ctx, crowd):
    """Half approve, half reject: whichever comes first decides, the rest are told it is already decided."""
    owner, requester = crowd["owner"], crowd["requester"]
    plan = new_plan(owner)
    request_id = approvals.request_transition(requester, plan.id, "complete_assessment", "", NOW).id
    plan_id = plan.id

    def decide(user_id: int, approve: bool) -> Callable[[], Any]:
        def work() -> Any:
            approvals.decide_request(db.session.get(User, user_id), request_id, approve, "نظر من", NOW)
            return ("approved" if approve else "rejected", user_id)
        return work

    workers = [decide(uid, n % 2 == 0) for n, uid in enumerate(crowd["deciders"])]
    outcomes, errors = run_at_once(ctx, workers)
    assert [repr(e) for e in errors] == []
    decided = [o for o in outcomes if o[0] != "conflict"]
    assert len(decided) == 1 and len(outcomes) == THREADS
    assert all(FA_ALREADY_DECIDED in o[1] for o in outcomes if o[0] == "conflict")
    request = db.session.get(TransitionRequest, request_id)
    assert request.decided_by_id == decided[0][1]
    approved = decided[0][0] == "approved"
    assert request.status == (RequestStatus.APPROVED if approved else RequestStatus.REJECTED)
    assert db.session.get(Plan, plan_id).stage == (Stage.ANALYSIS if approved else Stage.SITUATION_ASSESSMENT)
    assert audit_count("plan.transition", plan_id) == (1 if approved else 0)
    assert audit_count("plan.request_rejected", plan_id) == (0 if approved else 1)
    assert count(Notification, Notification.kind.in_(("transition.approved", "transition.rejected"))) == (
        2 if approved else 1)


def test_w1_many_supervisors_ask_for_a_move_at_once(ctx, crowd):
    plan = new_plan(crowd["owner"], stage=Stage.ANALYSIS)
    plan_id, version = plan.id, plan.version

    def ask(user_id: int, n: int) -> Callable[[], Any]:
        event, comment = ("complete_analysis", "") if n % 2 else ("back_to_assessment", "داده‌ها ناقص است")
        def work() -> Any:
            request = approvals.request_transition(db.session.get(User, user_id), plan_id, event, comment, NOW,
                                                   expected_version=version)
            return ("asked", user_id, request.id)
        return work

    outcomes, errors = run_at_once(ctx, [ask(uid, n) for n, uid in enumerate(crowd["deciders"])])
    assert [repr(e) for e in errors] == []
    asked = [o for o in outcomes if o[0] == "asked"]
    assert len(asked) == 1 and len(outcomes) == THREADS
    assert all(FA_PENDING in o[1] for o in outcomes if o[0] == "conflict")
    pending = db.session.scalars(sa.select(TransitionRequest).where(TransitionRequest.plan_id == plan_id)).all()
    assert [(r.id, r.status, r.requested_by_id) for r in pending] == [(asked[0][2], RequestStatus.PENDING,
                                                                       asked[0][1])]
    assert audit_count("plan.transition_requested", plan_id) == 1
    assert db.session.get(Plan, plan_id).stage == Stage.ANALYSIS
    # One set of "please decide" notifications: the owner and every supervisor but the requester, once each.
    told = list(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "transition.requested")))
    assert len(told) == len(set(told)) == THREADS + 1
    assert chain_is_intact()


# --- W3: a transition is all or nothing --------------------------------------------------------------------------

class Boom(RuntimeError):
    pass


def _fail_at(monkeypatch: pytest.MonkeyPatch, point: str, plan_id: int) -> list[str]:
    """Make the approval fail at `point`, after the plan's new stage has been written (and checked to be)."""
    seen: list[str] = []

    def stage_in_database() -> Stage:
        return db.session.scalar(sa.select(Plan.stage).where(Plan.id == plan_id))

    if point == "audit":
        real_record = plans.record

        def record(actor, action, *args, **kwargs):
            if action == "plan.transition":
                seen.append(stage_in_database().value)  # the UPDATE has run in this transaction
                raise Boom("the audit write failed")
            return real_record(actor, action, *args, **kwargs)

        monkeypatch.setattr("planapp.plans.services.record", record)
    else:
        real_notify = approvals.notify

        def notify(user_ids, kind, *args, **kwargs):
            if kind == "transition.approved":
                seen.append(stage_in_database().value)
                seen.append(str(count(AuditEvent, AuditEvent.action == "plan.transition")))
                raise Boom("the notification write failed")
            return real_notify(user_ids, kind, *args, **kwargs)

        monkeypatch.setattr("planapp.approvals.services.notify", notify)
    return seen


@pytest.mark.parametrize("point", ["audit", "notify"])
def test_w3_a_failure_after_the_stage_update_leaves_everything_as_it_was(ctx, crowd, monkeypatch, point):
    plan = new_plan(crowd["owner"], stage=Stage.REVISION)
    request = approvals.request_transition(crowd["requester"], plan.id, "approve_revision", "", NOW)
    db.session.commit()
    decider = db.session.get(User, crowd["deciders"][0])
    before = state(plan.id)
    seen = _fail_at(monkeypatch, point, plan.id)

    with pytest.raises(Boom):
        approvals.decide_request(decider, request.id, True, "", NOW)
    db.session.rollback()
    assert seen[0] == "monitoring"  # the failure came after the stage was written…
    if point == "notify":
        assert seen[1] == "1"  # …and, here, after the audit row too
    assert state(plan.id) == before  # …and nothing of it stayed
    assert before["plan"][0] == Stage.REVISION and before["plan"][2] == "1.0"

    monkeypatch.undo()  # the request is intact and can still be decided
    approvals.decide_request(decider, request.id, True, "", NOW)
    db.session.commit()
    plan = db.session.get(Plan, plan.id)
    assert (plan.stage, plan.document_version) == (Stage.MONITORING, "1.1")
    assert audit_count("plan.transition", plan.id) == 1
    assert chain_is_intact()


@pytest.mark.parametrize("point", ["audit", "notify"])
def test_w3_via_the_route_the_user_gets_a_500_and_the_plan_is_unchanged(ctx, crowd, make_app, monkeypatch, point):
    plan = new_plan(crowd["owner"])
    request = approvals.request_transition(crowd["requester"], plan.id, "complete_assessment", "", NOW)
    db.session.commit()
    decider = db.session.get(User, crowd["deciders"][0])
    web = signed_in(make_app(PROPAGATE_EXCEPTIONS=False).test_client(), decider)
    before = state(plan.id)
    _fail_at(monkeypatch, point, plan.id)

    response = web.post(f"/plans/{plan.id}/requests/{request.id}/decide",
                        data={"decision": "approve", "version": before["plan"][1]})
    assert response.status_code == 500
    assert FA_SERVER_ERROR in response.text
    assert "Boom" not in response.text and "failed" not in response.text
    assert state(plan.id) == before

    monkeypatch.undo()
    response = web.post(f"/plans/{plan.id}/requests/{request.id}/decide",
                        data={"decision": "approve", "version": before["plan"][1]})
    assert response.status_code == 200
    assert db.session.get(Plan, plan.id).stage == Stage.ANALYSIS


# --- W2: stale edits ---------------------------------------------------------------------------------------------

class _FormReader(HTMLParser):
    """The values of a page's form fields as a browser would post them back."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.fields[self._textarea or ""] = ""
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def _form_fields(html: str) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(html)
    fields = reader.fields
    fields["description"] = fields.get("description", "").strip()
    return fields


def test_w2_two_editors_the_second_save_is_refused_with_the_current_values(ctx, crowd):
    owner = crowd["owner"]
    plan = new_plan(owner, title="عنوان نخست")
    first, second = (signed_in(ctx.test_client(), db.session.get(User, uid)) for uid in crowd["deciders"][:2])

    form_1 = _form_fields(first.get(f"/plans/{plan.id}/edit").text)
    form_2 = _form_fields(second.get(f"/plans/{plan.id}/edit").text)
    assert form_1["version"] == form_2["version"] == str(plan.version)
    assert form_1["title"] == "عنوان نخست" and form_1["owner_id"] == str(owner.id)

    saved = first.post(f"/plans/{plan.id}", data={**form_1, "title": "عنوان ویرایشگر یکم"})
    assert saved.status_code == 302
    before = state(plan.id)

    refused = second.post(f"/plans/{plan.id}", data={**form_2, "title": "عنوان ویرایشگر دوم",
                                                      "description": "شرح ویرایشگر دوم", "period_end": "1407"})
    assert refused.status_code == 409
    assert FA_STALE in refused.text
    shown = _form_fields(refused.text)
    assert shown["title"] == "عنوان ویرایشگر یکم"  # the current values, not the refused ones
    assert shown["description"] == "شرح وضع موجود" and shown["period_end"] == "1409"
    assert shown["version"] == str(db.session.get(Plan, plan.id).version)
    assert "ویرایشگر دوم" not in refused.text
    assert state(plan.id) == before
    assert audit_count("plan.update", plan.id) == 1

    # Saving again from the refreshed form works and keeps the first editor's other fields.
    again = second.post(f"/plans/{plan.id}", data={**shown, "description": "شرح ویرایشگر دوم"})
    assert again.status_code == 302
    plan = db.session.get(Plan, plan.id)
    assert (plan.title, plan.description) == ("عنوان ویرایشگر یکم", "شرح ویرایشگر دوم")


def test_w2_an_interleaved_writer_makes_the_compare_and_swap_fail(ctx, crowd):
    """The version check passes on a stale in-memory plan; the UPDATE … WHERE version = … then refuses it."""
    owner = crowd["owner"]
    plan = new_plan(owner)
    owner_id, loaded = owner.id, plan_data(plan)
    session = db.session()  # the test's own session (not the scoped proxy)
    session.expire_on_commit = False
    try:
        loaded_version = plan.version
        db.session.commit()  # keep the loaded (soon stale) values, release the transaction
        with ctx.app_context():  # another request saves in between, in a session of its own
            other = db.session.get(Plan, plan.id)
            plans.update_plan(db.session.get(User, owner_id), other, plan_data(other, title="عنوان دیگری"),
                              other.version)
            db.session.commit()
        with pytest.raises(Conflict) as refused:
            plans.update_plan(owner, plan, {**loaded, "description": "شرح کهنه"}, loaded_version)
        db.session.rollback()
    finally:
        session.expire_on_commit = True
    assert FA_STALE in str(refused.value.message)
    assert isinstance(refused.value.__cause__, StaleDataError)  # refused by the UPDATE, not by the early check
    db.session.expire_all()
    plan = db.session.get(Plan, plan.id)
    assert (plan.title, plan.description) == ("عنوان دیگری", "شرح وضع موجود")
    assert audit_count("plan.update", plan.id) == 1


def test_w2_concurrent_editors_lose_no_update(ctx, crowd):
    owner = crowd["owner"]
    plan = new_plan(owner)
    plan_id, version, data = plan.id, plan.version, plan_data(plan)
    editors = crowd["deciders"][:10]

    def edit(user_id: int) -> Callable[[], Any]:
        def work() -> Any:
            plans.update_plan(db.session.get(User, user_id), db.session.get(Plan, plan_id),
                              {**data, "title": f"عنوان {user_id}"}, version)
            return ("saved", user_id)
        return work

    outcomes, errors = run_at_once(ctx, [edit(uid) for uid in editors])
    assert [repr(e) for e in errors] == []
    saved = [o for o in outcomes if o[0] == "saved"]
    assert len(saved) == 1 and len(outcomes) == len(editors)
    assert all(FA_STALE in o[1] for o in outcomes if o[0] == "conflict")
    plan = db.session.get(Plan, plan_id)
    assert plan.title == f"عنوان {saved[0][1]}" and plan.version == version + 1
    assert audit_count("plan.update", plan_id) == 1
