"""The role × permission matrix, cell by cell, and the object rules with their reasons."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from werkzeug.exceptions import Forbidden

from planapp.core.permissions import Perm, Role, can, require

A, S, OF, P, V, C = Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.PARTICIPANT, Role.VIEWER, Role.COUNCIL_MEMBER

# Written out independently of planapp.core.permissions.POLICY: a change there must be a change here too.
EXPECTED: dict[Perm, set[Role]] = {
    Perm.USE_APP: {A, S, OF, P, V, C},
    Perm.MANAGE_AGENCIES: {A},
    Perm.MANAGE_USERS: {A},
    Perm.DEACTIVATE_USER: {A},
    Perm.VIEW_AUDIT: {A},
    Perm.VIEW_PLANS: {A, S, OF, P, V, C},
    Perm.CREATE_PLAN: {S},
    Perm.EDIT_PLAN: {S},
    Perm.REQUEST_TRANSITION: {S},
    Perm.DECIDE_TRANSITION: {S},  # admins keep the system, they do not decide plans
    Perm.VOTE_IN_COUNCIL: {C},
    Perm.RECORD_RESOLUTION: {S},
    Perm.VIEW_TASKS: {S, OF, P},
    Perm.WORK_ON_TASK: {OF, P},
    Perm.REVIEW_TASK: {S},
    Perm.MANAGE_TASK_TEMPLATES: {A},
    Perm.MANAGE_HOLIDAYS: {A},
    Perm.MANAGE_OUTBOX: {A},
    Perm.MANAGE_INDICATORS: {A},
    Perm.VIEW_INDICATORS: {A, S, OF, V, C},  # participants contribute where invited, they do not browse data
    Perm.IMPORT_INDICATORS: {S, OF},  # officers their agency's indicators; admins keep the catalog only
    Perm.INVITE_PARTICIPANT: {A, S},
    Perm.VIEW_SCORING: {A, S, OF, V, C},  # the scoring results name each scorer: not for participants
}


@dataclass
class FakeUser:
    role: Role
    id: int = 1
    is_active: bool = True
    is_authenticated: bool = True


@dataclass
class FakeTarget:
    """Any object a permission may be asked about: a user, a published open plan, someone else's request."""

    id: int = 99
    is_published: bool = True
    is_archived: bool = False
    requires_four_eyes: bool = True
    requested_by_id: int = 99
    plan: object = None
    agency_id: int = 1
    user_id: int = 1  # an indicator import made by the asking user
    task: object = None

    def is_for(self, user) -> bool:  # a task addressed to the asking user
        return True


def test_every_permission_has_a_declared_row():
    assert set(EXPECTED) == set(Perm)


@pytest.mark.parametrize("perm", list(Perm))
@pytest.mark.parametrize("role", list(Role))
def test_matrix_cell(role, perm):
    decision = can(FakeUser(role), perm, FakeTarget())
    assert bool(decision) is (role in EXPECTED[perm])
    if not decision:
        assert decision.reason  # every refusal says why


@pytest.mark.parametrize("perm", list(Perm))
def test_anonymous_and_deactivated_users_may_do_nothing(perm, ctx):
    with ctx.test_request_context("/"):
        anonymous = FakeUser(Role.ADMIN, is_authenticated=False)
        inactive = FakeUser(Role.ADMIN, is_active=False)
        assert not can(anonymous, perm)
        assert not can(None, perm)
        decision = can(inactive, perm)
        assert not decision and decision.reason == "این حساب غیرفعال است."


def test_admin_cannot_deactivate_themself_and_is_told_why(ctx):
    admin = FakeUser(Role.ADMIN, id=7)
    with ctx.test_request_context("/"):
        assert can(admin, Perm.DEACTIVATE_USER, FakeUser(Role.OFFICER, id=8))
        decision = can(admin, Perm.DEACTIVATE_USER, admin)
        assert not decision and decision.reason == "نمی‌توانید حساب خودتان را غیرفعال کنید."


def test_require_raises_403_with_the_reason(ctx):
    with ctx.test_request_context("/"), pytest.raises(Forbidden) as raised:
        require(FakeUser(Role.VIEWER), Perm.MANAGE_USERS)
    assert raised.value.code == 403
    assert raised.value.description == "نقش شما اجازهٔ این کار را نمی‌دهد."


def test_viewers_see_published_plans_only(ctx):
    with ctx.test_request_context("/"):
        viewer = FakeUser(Role.VIEWER)
        assert can(viewer, Perm.VIEW_PLANS, FakeTarget(is_published=True))
        decision = can(viewer, Perm.VIEW_PLANS, FakeTarget(is_published=False))
        assert not decision and decision.reason == "این برنامه هنوز منتشر نشده است."
        assert can(FakeUser(Role.OFFICER), Perm.VIEW_PLANS, FakeTarget(is_published=False))


def test_four_eyes_refuses_the_requester_with_a_reason(ctx):
    with ctx.test_request_context("/"):
        supervisor = FakeUser(Role.SUPERVISOR, id=5)
        own = FakeTarget(requested_by_id=5)
        decision = can(supervisor, Perm.DECIDE_TRANSITION, own)
        assert not decision and "چهار چشم" in decision.reason
        assert can(supervisor, Perm.DECIDE_TRANSITION, FakeTarget(requested_by_id=6))
        assert can(supervisor, Perm.DECIDE_TRANSITION, FakeTarget(requested_by_id=5, requires_four_eyes=False))


@pytest.mark.parametrize("perm", [Perm.EDIT_PLAN, Perm.REQUEST_TRANSITION, Perm.RECORD_RESOLUTION])
def test_closed_plans_are_read_only(ctx, perm):
    with ctx.test_request_context("/"):
        decision = can(FakeUser(Role.SUPERVISOR), perm, FakeTarget(is_archived=True))
        assert not decision and decision.reason == "این برنامه بسته شده است و فقط قابل مشاهده است."


def test_an_import_is_seen_by_its_maker_planning_staff_and_those_on_its_task(ctx):
    with ctx.test_request_context("/"):
        officer, supervisor = FakeUser(Role.OFFICER, id=3), FakeUser(Role.SUPERVISOR, id=4)

        class Elsewhere(FakeTarget):
            def is_for(self, user) -> bool:
                return False

        others = FakeTarget(user_id=9)
        assert can(officer, Perm.IMPORT_INDICATORS, FakeTarget(user_id=3))
        assert can(supervisor, Perm.IMPORT_INDICATORS, others)
        decision = can(officer, Perm.IMPORT_INDICATORS, others)
        assert not decision and decision.reason == "این ورود داده متعلق به شما نیست."
        assert can(officer, Perm.IMPORT_INDICATORS, FakeTarget(user_id=9, task=FakeTarget()))
        assert not can(officer, Perm.IMPORT_INDICATORS, FakeTarget(user_id=9, task=Elsewhere()))
