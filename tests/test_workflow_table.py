"""The declared life cycle, cell by cell: every (stage, event, role) is allowed or refused with its reason."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from planapp.approvals import services as approvals
from planapp.approvals.models import TransitionRequest
from planapp.core.clock import now
from planapp.core.errors import DomainError
from planapp.core.permissions import Perm, Role
from planapp.extensions import db
from planapp.plans import services as plans
from planapp.plans.checklist import checklist
from planapp.plans.models import Plan
from planapp.plans.workflow import BY_EVENT, PREPARATION, TRANSITIONS, Kind, Stage, transitions_from
from tests.factories import make_user, signed_in

WRONG_STAGE = "این انتقال از مرحلهٔ «{stage}» ممکن نیست."
WRONG_ROLE = "نقش شما اجازهٔ این کار را نمی‌دهد."
CLOSED = "این برنامه بسته شده است و فقط قابل مشاهده است."


def new_plan(owner, stage: Stage) -> Plan:
    plan = plans.create_plan(owner, {"title": "برنامهٔ آزمون", "province": "آذربایجان شرقی", "period_start": 1405,
                                     "period_end": 1409, "description": "شرح", "owner_id": owner.id}, now())
    plan.stage = stage
    db.session.commit()
    return plan


def attempt(actor, plan: Plan, event: str) -> str | None:
    """None if the request is accepted, else the refusal's text. Nothing is kept either way."""
    savepoint = db.session.begin_nested()
    try:
        approvals.request_transition(actor, plan.id, event, "دلیل آزمون", now())
    except DomainError as error:
        return str(error.message)
    except Exception as error:  # AccessDenied (403) carries its reason as description
        return getattr(error, "description", repr(error))
    finally:
        savepoint.rollback()
    return None


def test_the_table_is_well_formed():
    assert len(BY_EVENT) == len(TRANSITIONS)  # events are unique
    for stage in PREPARATION[:-1]:
        forward = [t for t in transitions_from(stage) if t.kind == Kind.ADVANCE]
        assert len(forward) == 1 and forward[0].target.number == stage.number + 1
    for stage in PREPARATION[1:]:  # every stage after the first can be sent back exactly one stage
        back = [t for t in transitions_from(stage) if t.kind == Kind.SEND_BACK]
        assert len(back) == 1 and back[0].target.number == stage.number - 1 and back[0].reason_required
    assert transitions_from(Stage.CLOSED) == []
    assert {t.event for t in transitions_from(Stage.MONITORING)} == {"open_revision", "close_plan"}
    assert [t.event for t in transitions_from(Stage.REVISION)] == ["approve_revision"]
    assert all(t.four_eyes for t in TRANSITIONS)
    assert [t.event for t in TRANSITIONS if t.council] == ["approve_plan"]


@pytest.mark.parametrize("stage", list(Stage))
def test_every_event_for_every_role_from_this_stage(ctx, stage):
    owner = make_user(role="supervisor")
    users = {role: (owner if role == Role.SUPERVISOR else make_user(role=role)) for role in Role}
    plan = new_plan(owner, stage)
    refusals = {}
    for transition in TRANSITIONS:
        for role, user in users.items():
            outcome = attempt(user, plan, transition.event)
            refusals[(transition.event, role)] = outcome
            if transition.source != stage:
                assert outcome == WRONG_STAGE.format(stage=stage.label), (transition.event, role)
            elif role != Role.SUPERVISOR:
                assert outcome == WRONG_ROLE, (transition.event, role)
            elif stage == Stage.CLOSED:
                assert outcome == CLOSED
            else:
                assert outcome is None, (transition.event, role, outcome)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TransitionRequest)) == 0


@pytest.mark.parametrize("event", [t.event for t in TRANSITIONS])
def test_every_event_is_decided_only_by_another_supervisor(ctx, event):
    transition = BY_EVENT[event]
    asker, other = make_user(role="supervisor"), make_user(role="supervisor")
    deciders = {role: make_user(role=role) for role in Role if role != Role.SUPERVISOR}
    plan = new_plan(asker, transition.source)
    request = approvals.request_transition(asker, plan.id, event, "دلیل", now())
    db.session.commit()
    for role, user in deciders.items():
        savepoint = db.session.begin_nested()
        with pytest.raises(Exception) as refused:
            approvals.decide_request(user, request.id, False, "نه", now())
        savepoint.rollback()
        assert getattr(refused.value, "description", None) == WRONG_ROLE, role
    savepoint = db.session.begin_nested()
    with pytest.raises(Exception) as refused:
        approvals.decide_request(asker, request.id, False, "نه", now())
    savepoint.rollback()
    assert "چهار چشم" in refused.value.description
    # Another supervisor may decide; rejection is always possible (with a reason), approval when guards hold.
    decided = approvals.decide_request(other, request.id, False, "اصلاح شود", now())
    assert decided.status.value == "rejected"
    assert db.session.get(Plan, plan.id).stage == transition.source


def test_guard_reasons_appear_on_the_plan_page(client):
    owner = make_user(role="supervisor")
    plan = plans.create_plan(owner, {"title": "برنامه", "province": "آذربایجان شرقی", "period_start": 1405,
                                     "period_end": 1409, "description": "", "owner_id": owner.id}, now())
    db.session.commit()
    signed_in(client, owner)
    page = client.get(f"/plans/{plan.id}").text
    items = checklist(plan, Stage.SITUATION_ASSESSMENT)
    assert items and all(item.label in page for item in items)
    assert 'class="open" data-key="description"' in page
    # At the approval stage, the council's items are listed before anyone asks.
    plan.stage = Stage.APPROVAL
    db.session.commit()
    page = client.get(f"/plans/{plan.id}").text
    for item in checklist(plan, Stage.APPROVAL):
        assert item.label in page and not item.done


def test_buttons_follow_the_allowed_transitions(client):
    owner = make_user(role="supervisor")
    officer = make_user(role="officer")
    plan = new_plan(owner, Stage.GOALS)
    signed_in(client, owner)
    page = client.get(f"/plans/{plan.id}").text
    shown = {t.event for t in TRANSITIONS if f'data-event="{t.event}"' in page}
    assert shown == {"complete_goals", "back_to_analysis"}
    other = client.application.test_client()
    signed_in(other, officer)
    page = other.get(f"/plans/{plan.id}").text
    assert not any(f'data-event="{t.event}"' in page for t in TRANSITIONS)


def test_workflow_reference_page_and_command(client, ctx):
    signed_in(client, make_user(role="officer"))
    page = client.get("/plans/workflow").text
    assert all(f'id="t-{t.event}"' in page for t in TRANSITIONS)
    assert all(stage.label in page for stage in Stage)
    with ctx.app_context():
        output = ctx.test_cli_runner().invoke(args=["workflow", "show"]).output
    assert all(t.event in output for t in TRANSITIONS)
    assert "situation_assessment → analysis" in output and "council vote" in output


def test_every_decision_permission_is_the_supervisors():
    assert {t.decide_permission for t in TRANSITIONS} == {Perm.DECIDE_TRANSITION}
    assert {t.permission for t in TRANSITIONS} == {Perm.REQUEST_TRANSITION}
