"""Builders for test data. They go through the services, so the rows are what the application makes."""

from __future__ import annotations

import functools
import itertools
from unittest import mock

from flask.testing import FlaskClient

from planapp.accounts import services as accounts
from planapp.accounts.models import User
from planapp.accounts.passwords import hash_password
from planapp.agencies import services as agencies
from planapp.agencies.models import Agency
from planapp.extensions import db

PASSWORD = "correct-horse-battery-42"
_seq = itertools.count(1)


def make_agency(name: str | None = None, kind: str = "government", **data) -> Agency:
    n = next(_seq)
    agency = agencies.create_agency(None, {"name": name or f"دستگاه آزمایشی {n}", "kind": kind, **data})
    db.session.commit()
    return agency


@functools.cache
def _hash(password: str) -> str:
    # A real argon2id hash, computed once per password: tests make hundreds of users.
    return hash_password(password)


def make_user(role: str = "officer", agency: Agency | None = None, email: str | None = None,
              password: str = PASSWORD, **data) -> User:
    n = next(_seq)
    agency = agency or make_agency()
    fields = {"email": email or f"user{n}@example.ir", "name": data.pop("name", f"کاربر {n}"), "role": role,
              "agency_id": agency.id, "language": data.pop("language", "fa"), **data}
    with mock.patch.object(accounts, "hash_password", _hash):
        user = accounts.create_user(None, fields, password)
    db.session.commit()
    return user


def login(client: FlaskClient, user: User | str, password: str = PASSWORD, **kwargs):
    email = user if isinstance(user, str) else user.email
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def signed_in(client: FlaskClient, user: User, password: str = PASSWORD) -> FlaskClient:
    response = login(client, user, password)
    assert response.status_code == 302, response.text
    return client


def make_plan(owner: User | None = None, stage: str = "situation_assessment", **data):
    """A plan created through the service, then placed at `stage` directly (test setup only)."""
    from planapp.core.clock import now
    from planapp.plans import services as plans
    from planapp.plans.workflow import Stage

    owner = owner or make_user(role="supervisor")
    fields = {"title": "برنامهٔ آزمایشی", "province": "آذربایجان شرقی", "period_start": 1405, "period_end": 1409,
              "description": "شرح برنامه", "owner_id": owner.id, **data}
    plan = plans.create_plan(owner, fields, now())
    plan.stage = Stage(stage)
    db.session.commit()
    return plan


def make_request(plan, event: str, asker: User | None = None, comment: str = "دلیل"):
    """A pending transition request on `plan`, asked by `asker` (another supervisor by default)."""
    from planapp.approvals import services as approvals
    from planapp.core.clock import now

    asker = asker or make_user(role="supervisor")
    request = approvals.request_transition(asker, plan.id, event, comment, now())
    db.session.commit()
    return request
