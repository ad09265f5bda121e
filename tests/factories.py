"""Builders for test data. They go through the services, so the rows are what the application makes."""

from __future__ import annotations

import itertools

from flask.testing import FlaskClient

from planapp.accounts import services as accounts
from planapp.accounts.models import User
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


def make_user(role: str = "officer", agency: Agency | None = None, email: str | None = None,
              password: str = PASSWORD, **data) -> User:
    n = next(_seq)
    agency = agency or make_agency()
    fields = {"email": email or f"user{n}@example.ir", "name": data.pop("name", f"کاربر {n}"), "role": role,
              "agency_id": agency.id, "language": data.pop("language", "fa"), **data}
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
