"""The role × permission matrix, cell by cell, and the object rules with their reasons."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from werkzeug.exceptions import Forbidden

from planapp.core.permissions import Perm, Role, can, require

A, S, OF, P, V = Role.ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.PARTICIPANT, Role.VIEWER

# Written out independently of planapp.core.permissions.POLICY: a change there must be a change here too.
EXPECTED: dict[Perm, set[Role]] = {
    Perm.USE_APP: {A, S, OF, P, V},
    Perm.MANAGE_AGENCIES: {A},
    Perm.MANAGE_USERS: {A},
    Perm.DEACTIVATE_USER: {A},
    Perm.VIEW_AUDIT: {A},
}


@dataclass
class FakeUser:
    role: Role
    id: int = 1
    is_active: bool = True
    is_authenticated: bool = True


def test_every_permission_has_a_declared_row():
    assert set(EXPECTED) == set(Perm)


@pytest.mark.parametrize("perm", list(Perm))
@pytest.mark.parametrize("role", list(Role))
def test_matrix_cell(role, perm):
    decision = can(FakeUser(role), perm, FakeUser(Role.OFFICER, id=99))
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
