"""RELIABILITY X6: every state-changing request without a valid CSRF token is refused and changes nothing.

The app here runs with CSRF switched on (the test configuration switches it off for the other tests). Each case
signs in through the real CSRF-protected login form, then sends one POST three ways without a valid token
(none, empty, forged) — 400 and not one byte of the database changed — and finally the very same POST with the
token the page gave it in `<body hx-headers=…>`, as htmx sends it: accepted, and the change is made.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from planapp.accounts import delegations, invitations, resets
from planapp.accounts import services as accounts
from planapp.accounts.models import User
from planapp.agencies import services as agencies
from planapp.approvals import services as approvals
from planapp.calendar import services as calendar_services
from planapp.core.clock import now
from planapp.extensions import db
from planapp.indicators import grid as indicator_grid
from planapp.indicators.models import Category, Indicator, Region, RegionKind, Sector
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.notifications.models import Notification
from planapp.notifications.services import notify
from planapp.plans import services as plan_services
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.scoring import queries as scoring_queries
from planapp.scoring import rounds as scoring_rounds
from planapp.scoring import services as scoring_services
from planapp.swot import services as swot_services
from planapp.tasks import services as task_services
from planapp.tasks import template_services
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import Task
from tests.analysis_data import io_csv
from tests.factories import PASSWORD, make_agency, make_user

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
NEW_PASSWORD = "another-horse-battery-43"


# --- reading tokens from rendered pages --------------------------------------------------------------------


class TokenReader(HTMLParser):
    """The CSRF token of a page: from `<body hx-headers='{"X-CSRFToken": …}'>` and from hidden inputs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.header_token: str | None = None
        self.field_tokens: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "body" and attributes.get("hx-headers"):
            self.header_token = json.loads(attributes["hx-headers"]).get("X-CSRFToken")
        if tag == "input" and attributes.get("name") == "csrf_token":
            self.field_tokens.append(attributes.get("value") or "")


def read_tokens(html: str) -> TokenReader:
    reader = TokenReader()
    reader.feed(html)
    return reader


def token_from_page(client: FlaskClient, url: str = "/") -> str:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    token = read_tokens(page.text).header_token
    assert token, f"{url} has no <body hx-headers> CSRF token"
    return token


def sign_in_through_the_form(client: FlaskClient, email: str) -> None:
    """Sign in as a browser does: read the hidden csrf_token of the login form and post it back."""
    tokens = read_tokens(client.get("/login").text).field_tokens
    assert len(tokens) >= 1, "the login form carries no csrf_token field"
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": tokens[0]})
    assert response.status_code == 302, response.text


# --- the database, whole --------------------------------------------------------------------------------------


def database_checksum() -> str:
    """A digest of every row of every table, in primary-key order."""
    digest = hashlib.sha256()
    db.session.rollback()  # read what is committed now, not an older snapshot
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns))
        for row in rows:
            digest.update(json.dumps([table.name, *row], default=str, sort_keys=True).encode())
    db.session.rollback()
    return digest.hexdigest()


# --- the cases: one per state-changing route ------------------------------------------------------------------


@dataclass
class World:
    admin_email: str
    agency_id: int
    inactive_agency_id: int
    user_id: int
    inactive_user_id: int
    emails: dict[str, str]  # who signs in for a case: "admin", "supervisor", "council"
    plans: dict[str, int]  # plan ids by the situation a case needs
    requests: dict[str, int]
    notification_id: int
    tasks: dict[str, int]
    settings: dict[str, int] = field(default_factory=dict)  # task templates, holidays, delegations


@dataclass(frozen=True)
class Case:
    """How to send one route a request that would change the database, given a valid token."""

    url_values: Callable[[World], dict]
    form: Callable[[World], dict]
    signed_in: bool = True
    as_who: str = "admin"


def _plan_form(world: World, **extra) -> dict:
    return {"title": "برنامهٔ تازه", "province": "آذربایجان شرقی", "period_start": "1405", "period_end": "1409",
            "description": "شرح", "owner_id": str(world.plans["owner_id"]), **extra}


def _plan(name: str) -> Callable[[World], dict]:
    return lambda w: {"plan_id": w.plans[name]}


def _task(**extra: str) -> Callable[[World], dict]:
    """URL values for a task route; `extra` maps URL arguments to keys of World.tasks (or literal `change`)."""
    return lambda w: {"task_id": w.tasks["task_id"],
                      **{arg: (key if arg == "change" else w.tasks[key]) for arg, key in extra.items()}}


def _request(name: str) -> Callable[[World], dict]:
    return lambda w: {"plan_id": w.plans[name], "request_id": w.requests[name]}


def _user_form(world: World, **extra) -> dict:
    return {
        "email": "new.person@example.ir",
        "name": "کاربر تازه",
        "role": "officer",
        "agency_id": str(world.agency_id),
        "language": "fa",
        **extra,
    }


def _agency_form(**extra) -> dict:
    return {"name": "دستگاه تازه", "name_en": "New agency", "kind": "government", "parent_id": "", "email": "", **extra}


def no_url_values(world: World) -> dict:
    return {}


def _setting(name: str, argument: str) -> Callable[[World], dict]:
    return lambda w: {argument: w.settings[name]}


def _template_form(**extra) -> dict:
    return {"stage": "goals", "kind": "other", "title": "الگوی تازه", "title_en": "", "description": "",
            "description_en": "", "agency_kind": "government", "due_in_days": "5", "mandatory": "y", **extra}


CASES: dict[str, Case] = {
    "accounts.login": Case(no_url_values, lambda w: {"email": w.admin_email, "password": PASSWORD}, signed_in=False),
    "accounts.logout": Case(no_url_values, lambda w: {}),
    "accounts.set_language": Case(no_url_values, lambda w: {"language": "en", "next": "/"}),
    "accounts.change_password": Case(
        no_url_values, lambda w: {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    ),
    "users.create": Case(no_url_values, lambda w: _user_form(w, password=NEW_PASSWORD)),
    "users.update": Case(lambda w: {"user_id": w.user_id}, lambda w: _user_form(w, name="نام دیگر")),
    "users.deactivate": Case(lambda w: {"user_id": w.user_id}, lambda w: {}),
    "users.reactivate": Case(lambda w: {"user_id": w.inactive_user_id}, lambda w: {}),
    "agencies.create": Case(no_url_values, lambda w: _agency_form()),
    "agencies.update": Case(lambda w: {"agency_id": w.agency_id}, lambda w: _agency_form(name="نام دیگر")),
    "agencies.deactivate": Case(lambda w: {"agency_id": w.agency_id}, lambda w: {}),
    "agencies.reactivate": Case(lambda w: {"agency_id": w.inactive_agency_id}, lambda w: {}),
    "plans.create": Case(no_url_values, _plan_form, as_who="supervisor"),
    "plans.update": Case(_plan("open"), lambda w: _plan_form(w, version="1"), as_who="supervisor"),
    "plans.copy": Case(_plan("open"), lambda w: _plan_form(w, period_start="1410", period_end="1414"),
                       as_who="supervisor"),
    "approvals.create": Case(_plan("open"), lambda w: {"event": "complete_assessment", "comment": ""},
                             as_who="supervisor"),
    "approvals.decide": Case(_request("asked_by_other"), lambda w: {"decision": "reject", "comment": "اصلاح شود"},
                             as_who="supervisor"),
    "approvals.withdraw": Case(_request("asked_by_me"), lambda w: {}, as_who="supervisor"),
    "approvals.vote": Case(_request("council"), lambda w: {"choice": "approve"}, as_who="council"),
    "approvals.resolution": Case(_request("council_carried"), lambda w: {"number": "۱۲", "resolved_on": "1405/09/01"},
                                 as_who="supervisor"),
    "notifications.read": Case(lambda w: {"notification_id": w.notification_id}, lambda w: {}, as_who="supervisor"),
    "notifications.read_all": Case(no_url_values, lambda w: {}, as_who="supervisor"),
    "tasks.new": Case(_plan("open"), lambda w: {"title": "وظیفهٔ تازه", "kind": "other",
                                               "agency_id": str(w.tasks["agency_id"]), "due_on": "1478/10/13"},
                      as_who="supervisor"),
    "tasks.extend": Case(no_url_values, lambda w: {"task_id": str(w.tasks["task_id"]), "due_on": "1478/10/13",
                                                   "reason": "تمدید"}, as_who="supervisor"),
    "task.act": Case(_task(), lambda w: {"action": "take"}, as_who="officer"),
    "task.reassign": Case(_task(), lambda w: {"user_id": str(w.tasks["colleague_id"]), "reason": "مرخصی"},
                          as_who="officer"),
    "task.add_comment": Case(_task(), lambda w: {"body": "توضیح"}, as_who="officer"),
    "task.change_comment": Case(_task(comment_id="comment_id", change="delete"), lambda w: {}, as_who="officer"),
    "task.attach": Case(_task(), lambda w: {"file": (io.BytesIO(b"%PDF-1.4 csrf"), "a.pdf")}, as_who="officer"),
    "task.change_file": Case(_task(attachment_id="attachment_id", change="delete"), lambda w: {}, as_who="officer"),
    "task_templates.create": Case(no_url_values, lambda w: _template_form()),
    "task_templates.update": Case(_setting("template_id", "template_id"), lambda w: _template_form(title="نام دیگر")),
    "task_templates.deactivate": Case(_setting("template_id", "template_id"), lambda w: {}),
    "task_templates.reactivate": Case(_setting("inactive_template_id", "template_id"), lambda w: {}),
    "holidays.create": Case(no_url_values, lambda w: {"day": "۱۴۰۵/۰۲/۱۰", "name": "تعطیل تازه", "name_en": ""}),
    "holidays.update": Case(_setting("holiday_id", "holiday_id"),
                            lambda w: {"day": "1405/01/01", "name": "نام دیگر", "name_en": "Other"}),
    "holidays.delete": Case(_setting("holiday_id", "holiday_id"), lambda w: {}),
    "delegations.create": Case(no_url_values, lambda w: {"starts_on": "1479/01/10", "ends_on": "1479/01/15",
                                                         "substitute_id": str(w.tasks["colleague_id"]),
                                                         "reason": "مرخصی"}, as_who="officer"),
    "delegations.revoke": Case(_setting("delegation_id", "delegation_id"), lambda w: {}, as_who="officer"),
    "outbox.resend": Case(_setting("dead_message_id", "message_id"), lambda w: {}),
    "email_preferences.edit": Case(no_url_values, lambda w: {"email_preference": "digest"}, as_who="officer"),
}


def _mailed_link(pattern: str, key: str | None = None) -> str:
    """A link's raw token, read from its e-mail (the only place it exists): the newest such one, or by key."""
    query = sa.select(OutboxMessage.text_body).order_by(OutboxMessage.id.desc())
    bodies = db.session.scalars(query.where(OutboxMessage.key == key) if key else query)
    return next(found.group(1) for body in bodies if (found := re.search(pattern, body)))


def _invitation_link(world: World) -> dict:
    supervisor = db.session.scalar(sa.select(User).where(User.email == world.emails["supervisor"]))
    invitations.invite_participant(supervisor, {"email": "invited@example.ir", "name": "مهمان",
                                                "agency_id": world.agency_id}, now(), 7)
    db.session.commit()
    return {"invitation_token": _mailed_link(r"/invitation/([\w-]{86})")}


def _reset_link(world: World) -> dict:
    resets.request_password_reset(world.admin_email, now(), 60)
    db.session.commit()
    return {"reset_token": _mailed_link(r"/password/reset/([\w-]{86})")}


def _decision_link(world: World) -> dict:
    me = db.session.scalar(sa.select(User.id).where(User.email == world.emails["supervisor"]))
    key = f"transition.requested:{world.requests['asked_by_other']}:{me}"
    return {"decision_token": _mailed_link(r"/decide/([\w-]{86})", key)}


def _set_password(world: World) -> dict:
    return {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


# Links from e-mails: the URL is made (and the link issued, committed) before the database is checksummed.
CASES.update({
    "invitations.create": Case(no_url_values, lambda w: {"email": "new.guest@example.ir", "name": "مهمان تازه",
                                                         "agency_id": str(w.agency_id), "language": "fa"},
                               as_who="supervisor"),
    "invitations.accept": Case(_invitation_link, _set_password, signed_in=False),
    "password.forgot": Case(no_url_values, lambda w: {"email": w.admin_email}, signed_in=False),
    "password.reset": Case(_reset_link, _set_password, signed_in=False),
    "decisions.decide": Case(_decision_link, lambda w: {"decision": "reject", "comment": "اصلاح شود"},
                             as_who="supervisor"),
})


def _swot_task(world: World) -> dict:
    """A SWOT input task of the officer's agency (made and committed before the database is checksummed)."""
    supervisor = db.session.scalar(sa.select(User).where(User.email == world.emails["supervisor"]))
    task = task_services.create_task(supervisor, db.session.get(Plan, world.plans["open"]),
                                     {"title": "ورود سوات", "kind": TaskKind.SWOT_INPUT,
                                      "agency_id": world.tasks["agency_id"], "due_on": date(2099, 1, 3)}, now())
    db.session.commit()
    return {"task_id": task.id}


def _swot_factors(world: World) -> dict:
    """Two strengths of the open plan, put forward on a SWOT input task; their ids go to world.settings."""
    officer = db.session.scalar(sa.select(User).where(User.email == world.emails["officer"]))
    task = db.session.get(Task, _swot_task(world)["task_id"])
    for name in ("swot_keep", "swot_duplicate"):
        world.settings[name] = swot_services.submit_factor(officer, task, "strength", "نیروی کار جوان", now()).id
    db.session.commit()
    return {"plan_id": world.plans["open"]}


CASES.update({
    "swot.submit": Case(_swot_task, lambda w: {"quadrant": "strength", "text": "نیروی کار جوان"}, as_who="officer"),
    "swot.merge": Case(_swot_factors, lambda w: {"keep_id": str(w.settings["swot_keep"]),
                                                 "duplicate_id": str(w.settings["swot_duplicate"]),
                                                 f"version-{w.settings['swot_duplicate']}": "1"},
                       as_who="supervisor"),
    "swot.evaluate": Case(lambda w: {**_swot_factors(w), "evaluation": "internal"},
                          lambda w: {f"{name}-{w.settings['swot_keep']}": value
                                     for name, value in (("weight", "1"), ("rating", "3"), ("version", "1"))},
                          as_who="supervisor"),
})


def _scoring(world: World) -> dict:
    """The open plan's scoring matrix with a candidate and two criteria; their ids go to world.settings."""
    supervisor = db.session.scalar(sa.select(User).where(User.email == world.emails["supervisor"]))
    plan = db.session.get(Plan, world.plans["open"])
    candidate = scoring_services.add_candidate(supervisor, plan, "گردشگری سلامت", now())
    first, second = (scoring_services.add_criterion(supervisor, plan, name, "benefit", now())
                     for name in ("اشتغال", "صادرات"))
    db.session.commit()
    world.settings.update(candidate=candidate.id, criterion=first.id, other_criterion=second.id,
                          matrix_version=scoring_queries.get_active_matrix(plan.id).version)
    return {"plan_id": plan.id}


def _scoring_row(name: str) -> Callable[[World], dict]:
    def url_values(world: World) -> dict:
        values = _scoring(world)
        return {**values, f"{name}_id": world.settings[name]}
    return url_values


CASES.update({
    "scoring.add_candidate": Case(_plan("open"), lambda w: {"name": "صنایع غذایی"}, as_who="supervisor"),
    "scoring.rename_candidate": Case(_scoring_row("candidate"), lambda w: {f"name-{w.settings['candidate']}": "فرش",
                                                                        "version": "1"}, as_who="supervisor"),
    "scoring.remove_candidate": Case(_scoring_row("candidate"), lambda w: {"version": "1"}, as_who="supervisor"),
    "scoring.add_criterion": Case(_plan("open"), lambda w: {"name": "اشتغال", "kind": "benefit"}, as_who="supervisor"),
    "scoring.update_criterion": Case(_scoring_row("criterion"), lambda w: {f"name-{w.settings['criterion']}": "آب",
                                                                        f"kind-{w.settings['criterion']}": "cost",
                                                                        "version": "1"}, as_who="supervisor"),
    "scoring.remove_criterion": Case(_scoring_row("criterion"), lambda w: {"version": "1"}, as_who="supervisor"),
    "scoring.weights": Case(_scoring, lambda w: {f"weight-{w.settings['criterion']}": "۳",
                                                 f"weight-{w.settings['other_criterion']}": "1",
                                                 "matrix_version": str(w.settings["matrix_version"])},
                            as_who="supervisor"),
    "scoring.save_ahp": Case(_scoring, lambda w: {f"pair-{w.settings['criterion']}-{w.settings['other_criterion']}":
                                                  "3", "matrix_version": str(w.settings["matrix_version"])},
                             as_who="supervisor"),
})


def _weighted(world: World) -> dict:
    """The open plan's matrix with two candidates and two weighted criteria: ready for a round."""
    values = _scoring(world)
    supervisor = db.session.scalar(sa.select(User).where(User.email == world.emails["supervisor"]))
    plan = db.session.get(Plan, world.plans["open"])
    scoring_services.add_candidate(supervisor, plan, "فرش دستباف", now())
    scoring_services.set_direct_weights(supervisor, plan, {world.settings["criterion"]: "3",
                                                           world.settings["other_criterion"]: "1"},
                                        world.settings["matrix_version"], now())
    db.session.commit()
    return values


def _scoring_task(world: World) -> dict:
    """The round opened for the officer's agency: its scoring task."""
    _weighted(world)
    supervisor = db.session.scalar(sa.select(User).where(User.email == world.emails["supervisor"]))
    [task] = scoring_rounds.open_round(supervisor, db.session.get(Plan, world.plans["open"]),
                                       [world.tasks["agency_id"]], "7", now())
    db.session.commit()
    return {"task_id": task.id}


def _scored_round(world: World) -> dict:
    """The round opened and every cell scored by the officer: ready to close."""
    task = db.session.get(Task, _scoring_task(world)["task_id"])
    officer = db.session.scalar(sa.select(User).where(User.email == world.emails["officer"]))
    matrix = scoring_queries.get_active_matrix(task.plan_id)
    for n, candidate in enumerate(scoring_queries.list_candidates(matrix.id)):
        for criterion in scoring_queries.list_criteria(matrix.id):
            scoring_rounds.save_score(officer, task, candidate.id, criterion.id, str(3 + n), now())
    db.session.commit()
    return {"plan_id": task.plan_id}


def _closed_round(world: World) -> dict:
    """The round closed; its top-ranked candidate (confirmed without a reason) is world.settings["top_candidate"]."""
    values = _scored_round(world)
    supervisor = db.session.scalar(sa.select(User).where(User.email == world.emails["supervisor"]))
    results = scoring_rounds.close_round(supervisor, db.session.get(Plan, world.plans["open"]), now())
    world.settings["top_candidate"] = results["candidates"][0]["id"]
    db.session.commit()
    return values


CASES.update({
    "scoring.confirm_cores": Case(_closed_round, lambda w: {"core": str(w.settings["top_candidate"])},
                                  as_who="supervisor"),
    "scoring.close_round": Case(_scored_round, lambda w: {}, as_who="supervisor"),
    "scoring.open_round": Case(_weighted, lambda w: {"agency_ids": str(w.tasks["agency_id"]), "days": "7"},
                               as_who="supervisor"),
    "task_scores.save": Case(_scoring_task, lambda w: {
        "candidate_id": str(w.settings["candidate"]), "criterion_id": str(w.settings["criterion"]),
        f"score-{w.settings['candidate']}-{w.settings['criterion']}": "7"}, as_who="officer"),
    "task_scores.add_scorer": Case(lambda w: {"plan_id": _scored_round(w)["plan_id"]},
                                   lambda w: {"agency_id": str(w.agency_id)}, as_who="supervisor"),
    "task_scores.open_second_round": Case(_closed_round, lambda w: {"days": "7"}, as_who="supervisor"),
})


def _indicator_task(world: World) -> dict:
    """A "submit indicators" task of the officer's agency, the province, TOTAL and one indicator of the agency;
    the saved cell's name goes to world.settings."""
    supervisor = db.session.scalar(sa.select(User).where(User.email == world.emails["supervisor"]))
    task = task_services.create_task(supervisor, db.session.get(Plan, world.plans["open"]),
                                     {"title": "ارسال شاخص‌ها", "kind": TaskKind.SUBMIT_INDICATORS,
                                      "agency_id": world.tasks["agency_id"], "due_on": date(2099, 1, 3)}, now())
    province, total = Region(code="EA", name="استان", kind=RegionKind.PROVINCE), Sector(code="TOTAL", name="کل")
    indicator = Indicator(code="POP", name="جمعیت", category=Category.SOCIAL, unit="نفر",
                          source_agency_id=world.tasks["agency_id"])
    db.session.add_all([province, total, indicator])
    db.session.commit()
    year = indicator_grid.last_year(now())
    world.settings |= {"grid_region": province.id, "grid_end": year,
                       "grid_cell": f"v-{indicator.id}-{total.id}-{year}"}
    return {"task_id": task.id}


CASES["task_indicators.save"] = Case(_indicator_task, lambda w: {
    "region": str(w.settings["grid_region"]), "end": str(w.settings["grid_end"]), w.settings["grid_cell"]: "۱۲۳"},
    as_who="officer")


def _catalog_row(name: str, active: bool = True) -> Callable[[World], dict]:
    """An indicator, a county (under the province) or a sector, made and committed before the checksum."""
    def make(world: World) -> dict:
        province = Region(code="EA", name="استان", kind=RegionKind.PROVINCE)
        db.session.add(province)
        db.session.flush()
        row = {"indicator": Indicator(code="POP", name="جمعیت", category=Category.SOCIAL, unit="نفر"),
               "region": Region(code="EA-X", name="شهرستان", kind=RegionKind.COUNTY, parent_id=province.id),
               "sector": Sector(code="A", name="کشاورزی")}[name]
        row.is_active = active
        db.session.add(row)
        db.session.commit()
        return {f"{name}_id": row.id}
    return make


def _indicator_form(**extra) -> dict:
    return {"code": "LIT", "name": "نرخ باسوادی", "category": "social", "unit": "درصد", "frequency": "census",
            "direction": "higher_better", **extra}


CASES.update({
    "indicators.create": Case(no_url_values, lambda w: _indicator_form()),
    "indicators.update": Case(_catalog_row("indicator"), lambda w: _indicator_form(code="POP")),
    "indicators.deactivate": Case(_catalog_row("indicator"), lambda w: {}),
    "indicators.reactivate": Case(_catalog_row("indicator", active=False), lambda w: {}),
    "regions.create": Case(_catalog_row("region"), lambda w: {"code": "EA-NEW", "name": "شهرستان تازه"}),
    "regions.update": Case(_catalog_row("region"), lambda w: {"code": "EA-X", "name": "نام دیگر"}),
    "regions.deactivate": Case(_catalog_row("region"), lambda w: {}),
    "regions.reactivate": Case(_catalog_row("region", active=False), lambda w: {}),
    "sectors.create": Case(no_url_values, lambda w: {"code": "B", "name": "معدن"}),
    "sectors.update": Case(_catalog_row("sector"), lambda w: {"code": "A", "name": "نام دیگر"}),
    "sectors.deactivate": Case(_catalog_row("sector"), lambda w: {}),
    "sectors.reactivate": Case(_catalog_row("sector", active=False), lambda w: {}),
})


def _queued_import(world: World) -> dict:
    """An import the officer queued (committed before the checksum), for the cancel route."""
    from planapp.indicators.models import IndicatorImport

    officer = db.session.scalar(sa.select(User).where(User.email == world.emails["officer"]))
    upload = IndicatorImport(user_id=officer.id, file_name="v.csv", stored_name="0" * 32, created_at=now())
    db.session.add(upload)
    db.session.commit()
    return {"import_id": upload.id}


CASES.update({
    "imports.create": Case(no_url_values, lambda w: {"file": (io.BytesIO(b"indicator,region,year,value\nP,E,1403,1\n"),
                                                              "v.csv")}, as_who="officer"),
    "imports.cancel": Case(_queued_import, lambda w: {}, as_who="officer"),
})
# The analysis page's input-output table: an upload stores one for the plan.
CASES["analysis.upload_io"] = Case(_plan("open"), lambda w: {"file": (io.BytesIO(io_csv()), "io.csv")},
                                   as_who="supervisor")


def build_world() -> World:
    admin = make_user(role="admin")
    agency = make_agency()
    inactive_agency = make_agency()
    agencies.set_agency_active(None, inactive_agency, False)
    user = make_user(role="officer", agency=agency)
    inactive_user = make_user(role="viewer", agency=agency)
    accounts.set_user_active(None, inactive_user, False)
    db.session.commit()
    plans, requests, emails, notification_id = build_plan_world()
    emails["admin"] = admin.email
    tasks = build_task_world(plans["open"], emails)
    return World(admin.email, agency.id, inactive_agency.id, user.id, inactive_user.id, emails, plans, requests,
                 notification_id, tasks, build_settings_world(emails, tasks))


def build_settings_world(emails: dict[str, str], tasks: dict[str, int]) -> dict[str, int]:
    """An active and a retired task template, a holiday, and the officer's planned delegation to a colleague."""
    template = template_services.create_template(None, _template_form(title="الگو", mandatory=True))
    retired = template_services.create_template(None, _template_form(title="الگوی کنار گذاشته"))
    template_services.set_template_active(None, retired, False)
    holiday = calendar_services.add_holiday(None, {"day": date(2026, 3, 21), "name": "نوروز"})
    officer = db.session.scalar(sa.select(User).where(User.email == emails["officer"]))
    delegation = delegations.set_delegation(officer, {"starts_on": date(2099, 2, 1), "ends_on": date(2099, 2, 5),
                                                      "substitute_id": tasks["colleague_id"]}, now())
    notify([officer.id], "task.assigned", {"task": "وظیفه", "plan": "برنامه"}, "/tasks/", now())
    db.session.flush()
    dead = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.user_id == officer.id))
    dead.status, dead.last_error = MailStatus.DEAD, "SMTP 550: mailbox unavailable"
    db.session.commit()
    return {"template_id": template.id, "inactive_template_id": retired.id, "holiday_id": holiday.id,
            "delegation_id": delegation.id, "dead_message_id": dead.id}


def build_task_world(plan_id: int, emails: dict[str, str]) -> dict[str, int]:
    """A task of an officer's agency, with a comment and a file, and a colleague to hand it to."""
    agency = make_agency()
    officer, colleague = make_user(role="officer", agency=agency), make_user(role="officer", agency=agency)
    supervisor = db.session.scalar(sa.select(User).where(User.email == emails["supervisor"]))
    task = task_services.create_task(supervisor, db.session.get(Plan, plan_id),
                                     {"title": "وظیفه", "agency_id": agency.id, "due_on": date(2099, 1, 3)}, now())
    comment = task_services.add_comment(officer, task.id, "توضیح", now())
    attachment = task_services.add_attachment(officer, task.id, "a.pdf", b"%PDF-1.4 x", now(), 1_000_000)
    db.session.commit()
    emails["officer"] = officer.email
    return {"task_id": task.id, "comment_id": comment.id, "attachment_id": attachment.id,
            "colleague_id": colleague.id, "agency_id": agency.id}


def build_plan_world() -> tuple[dict[str, int], dict[str, int], dict[str, str], int]:
    """Plans in the situations the plan and approval routes need, each ready to be changed by one POST."""
    me, other = make_user(role="supervisor"), make_user(role="supervisor")
    member = make_user(role="council_member")

    def plan(stage: Stage = Stage.SITUATION_ASSESSMENT) -> Plan:
        created = plan_services.create_plan(me, {"title": "برنامه", "province": "آذربایجان شرقی",
                                                 "period_start": 1405, "period_end": 1409, "description": "شرح",
                                                 "owner_id": me.id}, now())
        created.stage = stage
        db.session.flush()
        return created

    plans = {name: plan(Stage.APPROVAL if name.startswith("council") else Stage.SITUATION_ASSESSMENT)
             for name in ("open", "asked_by_other", "asked_by_me", "council", "council_carried")}
    requests = {
        "asked_by_other": approvals.request_transition(other, plans["asked_by_other"].id, "complete_assessment", "",
                                                       now()),
        "asked_by_me": approvals.request_transition(me, plans["asked_by_me"].id, "complete_assessment", "", now()),
        "council": approvals.request_transition(other, plans["council"].id, "approve_plan", "", now()),
        "council_carried": approvals.request_transition(other, plans["council_carried"].id, "approve_plan", "",
                                                        now()),
    }
    approvals.cast_vote(member, requests["council_carried"].id, "approve", "", now())
    db.session.commit()
    notification = db.session.scalar(sa.select(Notification).where(Notification.user_id == me.id))
    ids = {name: p.id for name, p in plans.items()} | {"owner_id": me.id}
    return ids, {name: r.id for name, r in requests.items()}, {"supervisor": me.email,
                                                                 "council": member.email}, notification.id


def state_changing_rules(app: Flask) -> dict[str, set[str]]:
    return {
        rule.endpoint: rule.methods & STATE_CHANGING
        for rule in app.url_map.iter_rules()
        if rule.methods & STATE_CHANGING
    }


@pytest.fixture
def csrf_app(ctx: Flask, make_app) -> Flask:
    app = make_app(WTF_CSRF_ENABLED=True)
    assert app.config["WTF_CSRF_ENABLED"]
    return app


# --- tests -----------------------------------------------------------------------------------------------------


def test_every_state_changing_route_has_a_csrf_case(csrf_app):
    """X6 coverage: a new POST/PUT/PATCH/DELETE route must be added to CASES, or this fails."""
    rules = state_changing_rules(csrf_app)
    assert set(rules) == set(CASES)
    assert all(methods == {"POST"} for methods in rules.values()), rules  # CASES send POSTs


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_post_without_a_valid_token_is_refused_and_changes_nothing(csrf_app, endpoint):
    """X6: no token, an empty token or a forged token → 400, database unchanged; the right token → accepted."""
    case, world = CASES[endpoint], build_world()
    client = csrf_app.test_client()
    if case.signed_in:
        sign_in_through_the_form(client, world.emails[case.as_who])
    token = token_from_page(client, "/" if case.signed_in else "/login")
    forged = token_from_page(csrf_app.test_client(), "/login")  # valid, but for another session
    url = csrf_app.url_map.bind("localhost").build(endpoint, case.url_values(world), method="POST")
    def form() -> dict:  # fresh each time: a file in the form is consumed by the request that sends it
        return case.form(world)

    before = database_checksum()
    refusals = {
        "no token": client.post(url, data=form()),
        "empty token": client.post(url, data=form(), headers={"X-CSRFToken": ""}),
        "forged token": client.post(url, data=form(), headers={"X-CSRFToken": forged}),
        "forged form field": client.post(url, data={**form(), "csrf_token": forged}),
        "htmx without token": client.post(url, data=form(), headers={"HX-Request": "true"}),
    }
    assert {how: response.status_code for how, response in refusals.items()} == dict.fromkeys(refusals, 400)
    assert database_checksum() == before, "a refused request changed the database"

    accepted = client.post(url, data=form(), headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert accepted.status_code != 400, accepted.text
    assert accepted.status_code < 400
    assert database_checksum() != before, "with its token the request should have made its change"


def test_the_hidden_form_field_token_is_accepted_too(csrf_app):
    """X6: forms that are not sent by htmx (sign-out, language) carry the token as a hidden field."""
    world = build_world()
    client = csrf_app.test_client()
    sign_in_through_the_form(client, world.admin_email)
    page = client.get("/")
    field_tokens = read_tokens(page.text).field_tokens
    assert field_tokens, "the page has no form with a csrf_token field"
    response = client.post("/logout", data={"csrf_token": field_tokens[0]})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # signed out: the dashboard sends to the sign-in page


def test_the_refusal_is_a_page_that_explains_itself(csrf_app):
    """X6: the 400 tells the user to reload, in their language (Persian by default)."""
    response = csrf_app.test_client().post("/login", data={"email": "x@example.ir", "password": "x"})
    assert response.status_code == 400
    assert 'lang="fa"' in response.text
    assert read_tokens(response.text).header_token  # the error page offers a fresh token to retry with


def test_the_checksum_sees_a_single_changed_field(ctx):
    """The X6 'changes nothing' check can fail: one changed field changes the checksum."""
    agency = make_agency()
    before = database_checksum()
    agency.email = "changed@example.ir"
    db.session.commit()
    assert database_checksum() != before
