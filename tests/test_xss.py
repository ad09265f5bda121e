"""RELIABILITY X1: user-written text is always escaped — in pages, fragments, flashes, forms and the audit log.

A corpus of payloads goes into every text field a user can write, through the real HTTP forms (agency name,
English name and e-mail; user full name and e-mail; the sign-in e-mail; search boxes and query strings). Then every
page and fragment is rendered in both languages and checked two ways: the raw payload never appears (its escaped
form does), and no element, attribute or URL a payload could have created exists in the parsed HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import jdatetime
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from planapp.accounts import tokens
from planapp.accounts.models import Delegation, User
from planapp.agencies.models import Agency
from planapp.audit.models import AuditEvent
from planapp.calendar.models import Holiday
from planapp.core.clock import now
from planapp.core.i18n import local_date
from planapp.extensions import db
from planapp.indicators.models import Indicator, Region, RegionKind, Sector
from planapp.mail.models import OutboxMessage
from planapp.notifications.services import notify
from planapp.tasks.models import TaskTemplate
from tests.factories import PASSWORD, make_user, signed_in

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PLAN_AREAS = ("plans.", "approvals.", "notifications.", "tasks.", "task.", "swot.",  # swot: tests/test_swot.py
              "task_indicators.",  # the indicator grid: tests/test_indicator_grid.py
              "imports.",  # indicator imports (supervisors and officers): tests/test_indicator_imports_views.py
              "analysis.",  # the analysis page and its input-output table: tests/test_analysis.py
              "scoring.")  # the scoring matrix: tests/test_scoring_views.py; its results: tests/test_scoring_results.py
LINK_AREAS = ("decisions.",)  # decision links open for their supervisor only: see tests/test_decision_links.py

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><svg onload=alert(1)>",
    "</title><script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "<div hx-get=/logout hx-trigger=load>x</div>",
    "&lt;b&gt;already escaped&lt;/b&gt;",
    "{{7*7}}",
    "{% print 7*7 %}",
    "javascript:alert(1)",
]
# Valid e-mail addresses can still hold characters that matter in HTML: ' and & (and { }). N is a number.
EMAIL_PAYLOADS = ["o'neil&coN@example.ir", "a&b'N{{7*7}}@example.ir"]
HTML_SPECIAL = set("<>\"'&")
FIRST_HOLIDAY = date(2026, 4, 20)  # 1405/01/31: the hostile holidays are days of 1405
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}


# --- checking rendered HTML ---------------------------------------------------------------------------------


class InjectedMarkupFinder(HTMLParser):
    """Elements, attributes and URLs that only an unescaped payload could have put into the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._inside_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in {"img", "svg", "iframe", "object", "embed"}:
            self.problems.append(f"<{tag}> element")
        if tag == "script":
            self._inside_script = True
            if not attributes.get("src"):
                self.problems.append("<script> without src")
        if tag == "div" and "hx-trigger" in attributes and attributes["hx-trigger"] == "load":
            self.problems.append("injected hx-trigger=load")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside_script = False

    def handle_data(self, data: str) -> None:
        if self._inside_script and data.strip():
            self.problems.append(f"inline script {data.strip()[:40]!r}")


def unescaped_reflections(body: str, texts: list[str]) -> list[str]:
    """What is wrong with one response body: raw payloads (those escaping changes) and injected markup."""
    problems = [f"raw {text!r}" for text in texts if HTML_SPECIAL & set(text) and text in body]
    finder = InjectedMarkupFinder()
    finder.feed(body)
    finder.close()
    return problems + finder.problems


def assert_all_escaped(responses: dict[str, TestResponse], texts: list[str]) -> None:
    problems = {
        label: found for label, response in responses.items() if (found := unescaped_reflections(response.text, texts))
    }
    assert not problems, problems


def shows_escaped(body: str, text: str) -> bool:
    return str(escape(text)) in body


# --- writing the payloads through the real forms ---------------------------------------------------------------


@dataclass
class HostileSite:
    admin: User
    agencies: list[Agency] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    template_ids: list[int] = field(default_factory=list)
    holiday_ids: list[int] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    indicator_ids: list[int] = field(default_factory=list)
    region_ids: list[int] = field(default_factory=list)
    sector_ids: list[int] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    form_responses: dict[str, TestResponse] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        """Every string written, as the user typed it (e-mails are stored lower-cased)."""
        return [*PAYLOADS, *self.emails, *(email.lower() for email in self.emails)]


def agency_email(n: int) -> str:
    return EMAIL_PAYLOADS[n % len(EMAIL_PAYLOADS)].replace("N", str(n))


def create_agency_through_the_form(client: FlaskClient, site: HostileSite, n: int, payload: str) -> Agency:
    data = {
        "name": payload,
        "name_en": payload,
        "kind": "ngo",
        "email": agency_email(n),
        "parent_id": str(site.agencies[0].id) if site.agencies else "",
    }
    response = client.post("/admin/agencies/", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers.get("HX-Trigger"), response.text
    site.form_responses[f"agency create {n}"] = response
    site.emails.append(data["email"])
    return db.session.scalar(sa.select(Agency).where(Agency.name == payload))


def create_user_through_the_form(client: FlaskClient, site: HostileSite, n: int, payload: str, agency: Agency) -> User:
    email = f"user{n}'&x@example.ir"
    data = {
        "name": payload,
        "email": email,
        "role": "officer",
        "agency_id": str(agency.id),
        "language": "fa",
        "password": PASSWORD,
    }
    response = client.post("/admin/users/", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers.get("HX-Trigger"), response.text
    site.form_responses[f"user create {n}"] = response
    site.emails.append(email)
    return db.session.scalar(sa.select(User).where(User.email == email.lower()))


def write_every_field(client: FlaskClient, site: HostileSite) -> None:
    for n, payload in enumerate(PAYLOADS):
        site.agencies.append(create_agency_through_the_form(client, site, n, payload))
    for n, (payload, agency) in enumerate(zip(PAYLOADS, site.agencies, strict=True)):
        site.users.append(create_user_through_the_form(client, site, n, payload, agency))

    # Edits (audited before → after), including the admin's own name, shown in the top bar and greeting.
    renamed_agency = site.agencies[1]
    responses = site.form_responses
    responses["agency update"] = client.post(
        f"/admin/agencies/{renamed_agency.id}",
        data={
            "name": PAYLOADS[0] + " ۲",
            "name_en": PAYLOADS[2],
            "kind": "ngo",
            "email": agency_email(99),
            "parent_id": str(site.agencies[0].id),
        },
        headers={"HX-Request": "true"},
    )
    site.emails.append(agency_email(99))
    responses["own name update"] = client.post(
        f"/admin/users/{site.admin.id}",
        data={
            "name": PAYLOADS[1],
            "email": site.admin.email,
            "role": "admin",
            "agency_id": str(site.admin.agency_id),
            "language": "fa",
        },
        headers={"HX-Request": "true"},
    )

    # Refused forms are shown again with what was typed in them.
    for n, payload in enumerate(PAYLOADS):
        responses[f"agency form with errors {n}"] = client.post(
            "/admin/agencies/",
            data={"name": payload, "name_en": payload, "kind": "ngo", "email": payload},
            headers={"HX-Request": "true"},
        )
        responses[f"user form with errors {n}"] = client.post(
            "/admin/users/",
            data={"name": payload, "email": payload, "role": "officer", "agency_id": "", "password": "short"},
            headers={"HX-Request": "true"},
        )
        responses[f"agency row form with errors {n}"] = client.post(
            f"/admin/agencies/{renamed_agency.id}",
            data={"name": "", "name_en": payload, "kind": "ngo", "email": payload},
            headers={"HX-Request": "true"},
        )
        responses[f"user row form with errors {n}"] = client.post(
            f"/admin/users/{site.users[0].id}",
            data={"name": payload, "email": payload, "role": "officer", "agency_id": str(renamed_agency.id)},
            headers={"HX-Request": "true"},
        )
    for label in ("agency update", "own name update"):
        assert responses[label].status_code == 200 and "editing" not in responses[label].text, label


def jalali_text(day: date) -> str:
    return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")


def template_form(payload: str, agency: Agency, **changes: str) -> dict:
    return {"stage": "goals", "kind": "other", "title": payload, "title_en": payload, "description": payload,
            "description_en": payload, "agency_kind": "", "agency_ids": [str(agency.id)], "due_in_days": "5",
            "mandatory": "y", **changes}


def write_settings(client: FlaskClient, site: HostileSite) -> None:
    """Task templates (titles, descriptions) and holidays (names) with payloads, addressed to the hostile agencies;
    the admin's delegations to a colleague named with a payload, with payload reasons; refused forms for each."""
    responses = site.form_responses
    for n, (payload, agency) in enumerate(zip(PAYLOADS, site.agencies, strict=True)):
        responses[f"template create {n}"] = client.post("/admin/task-templates/", headers={"HX-Request": "true"},
                                                        data=template_form(payload, agency))
        responses[f"holiday create {n}"] = client.post("/admin/holidays/", headers={"HX-Request": "true"}, data={
            "day": jalali_text(FIRST_HOLIDAY + timedelta(days=n)), "name": payload, "name_en": payload})
        for label in (f"template create {n}", f"holiday create {n}"):
            assert responses[label].status_code == 200 and responses[label].headers.get("HX-Trigger"), label
        responses[f"template form with errors {n}"] = client.post(
            "/admin/task-templates/", headers={"HX-Request": "true"}, data=template_form(payload, agency,
                                                                                         due_in_days=payload))
        responses[f"holiday form with errors {n}"] = client.post(
            "/admin/holidays/", headers={"HX-Request": "true"}, data={"day": payload, "name": payload,
                                                                      "name_en": payload})
    site.template_ids = list(db.session.scalars(sa.select(TaskTemplate.id).order_by(TaskTemplate.id)))
    site.holiday_ids = list(db.session.scalars(sa.select(Holiday.id).order_by(Holiday.id)))
    assert len(site.template_ids) == len(site.holiday_ids) == len(PAYLOADS)

    make_user(role="officer", agency=site.admin.agency, name=PAYLOADS[4])
    colleague = db.session.scalar(sa.select(User).where(User.name == PAYLOADS[4], User.id != site.users[4].id))
    tomorrow = local_date(now()) + timedelta(days=1)
    for n, payload in enumerate(PAYLOADS[:3]):
        starts = tomorrow + timedelta(days=10 * n)
        responses[f"delegation {n}"] = client.post("/account/delegation", headers={
            "HX-Request": "true", "HX-Target": "delegation-panel"}, data={
            "starts_on": jalali_text(starts), "ends_on": jalali_text(starts + timedelta(days=3)),
            "substitute_id": str(colleague.id), "reason": payload})
        responses[f"delegation form with errors {n}"] = client.post("/account/delegation", headers={
            "HX-Request": "true", "HX-Target": "delegation-panel"}, data={
            "starts_on": payload, "ends_on": payload, "substitute_id": str(colleague.id), "reason": payload})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delegation)) == 3


def write_catalog(client: FlaskClient, site: HostileSite) -> None:
    """Indicators (names, units, description, sourced from the hostile agencies), counties and sectors named with
    payloads, through the admin forms; refused forms for each."""
    responses, hx = site.form_responses, {"HX-Request": "true"}
    province = Region(code="EA", name="استان", kind=RegionKind.PROVINCE)
    section = Sector(code="C", name="صنعت")
    db.session.add_all([province, section])
    db.session.commit()
    for n, (payload, agency) in enumerate(zip(PAYLOADS, site.agencies, strict=True)):
        indicator = {"code": f"X{n}", "name": payload, "name_en": payload, "category": "social", "unit": payload,
                     "unit_en": payload, "source_agency_id": str(agency.id), "frequency": "annual",
                     "direction": "neutral", "description": payload}
        responses[f"indicator create {n}"] = client.post("/admin/indicators/", headers=hx, data=indicator)
        responses[f"region create {n}"] = client.post("/admin/regions/", headers=hx, data={
            "code": f"EA-{n}", "name": payload, "name_en": payload})
        responses[f"sector create {n}"] = client.post("/admin/sectors/", headers=hx, data={
            "code": f"C{n}", "name": payload, "name_en": payload, "parent_id": str(section.id)})
        for label in (f"indicator create {n}", f"region create {n}", f"sector create {n}"):
            assert responses[label].status_code == 200 and responses[label].headers.get("HX-Trigger"), label
        responses[f"indicator form with errors {n}"] = client.post("/admin/indicators/", headers=hx,
                                                                   data={**indicator, "code": payload})
        responses[f"region form with errors {n}"] = client.post("/admin/regions/", headers=hx, data={
            "code": payload, "name": payload, "name_en": payload})
        responses[f"sector form with errors {n}"] = client.post("/admin/sectors/", headers=hx, data={
            "code": payload, "name": payload, "name_en": payload})
    site.indicator_ids = list(db.session.scalars(sa.select(Indicator.id).order_by(Indicator.id)))
    site.region_ids = list(db.session.scalars(sa.select(Region.id).order_by(Region.id)))
    site.sector_ids = list(db.session.scalars(sa.select(Sector.id).order_by(Sector.id)))
    assert len(site.indicator_ids) == len(PAYLOADS)


def sign_in_with_payloads(app: Flask, site: HostileSite) -> None:
    """Failed sign-ins typed with payloads: the login form shows them again, the audit log records them."""
    stranger = app.test_client()
    for n, payload in enumerate(PAYLOADS):
        site.form_responses[f"sign-in form {n}"] = stranger.post(
            "/login", data={"email": payload, "password": "wrong-password"}
        )


def write_outbox(site: HostileSite) -> None:
    """E-mails to the hostile users about tasks titled with payloads: subjects, names and bodies in the outbox."""
    for n, (payload, user) in enumerate(zip(PAYLOADS, site.users, strict=True)):
        notify([user.id], "task.returned", {"task": payload, "plan": payload, "reason": payload}, f"/tasks/{n}/",
               now())
    db.session.commit()
    site.message_ids = list(db.session.scalars(sa.select(OutboxMessage.id).order_by(OutboxMessage.id)))
    assert len(site.message_ids) >= len(PAYLOADS)


@pytest.fixture
def hostile_site(client: FlaskClient, ctx: Flask) -> HostileSite:
    admin = make_user(role="admin")
    signed_in(client, admin)
    site = HostileSite(admin=admin)
    write_every_field(client, site)
    write_settings(client, site)
    write_catalog(client, site)
    sign_in_with_payloads(ctx, site)
    write_outbox(site)
    return site


# --- rendering everything --------------------------------------------------------------------------------------


def every_page_and_fragment(client: FlaskClient, app: Flask, site: HostileSite) -> dict[str, TestResponse]:
    """Every GET route with every id, lists with every filter, and each list's htmx fragment."""
    values = {
        "agency_id": [agency.id for agency in site.agencies],
        "user_id": [user.id for user in [*site.users, site.admin]],
        "template_id": site.template_ids,
        "holiday_id": site.holiday_ids,
        # Invitation and reset pages greet the person by name: links for the users named with payloads.
        "invitation_token": [tokens.issue(tokens.INVITATION, user, timedelta(days=7), now()) for user in site.users],
        "reset_token": [tokens.issue(tokens.PASSWORD_RESET, user, timedelta(minutes=60), now()) for user in site.users],
        "message_id": site.message_ids,
        "indicator_id": site.indicator_ids,
        "region_id": site.region_ids,
        "sector_id": site.sector_ids,
        "fmt": ["csv"],  # the explorer's export (no selection: the header row only); XLSX is not text
    }
    adapter = app.url_map.bind("localhost")
    responses: dict[str, TestResponse] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in {"static", "health.healthz"}:
            continue
        if rule.endpoint.startswith(PLAN_AREAS + LINK_AREAS):
            continue  # rendered with plan and task payloads in tests/test_xss_plans.py
        (argument, *more) = sorted(rule.arguments) or [None]
        assert not more and (argument is None or argument in values), f"{rule.endpoint}: fill {rule.arguments}"
        for value in values.get(argument, [None]):
            url = adapter.build(rule.endpoint, {argument: value} if argument else {})
            responses[url] = client.get(url)
    fragments = {"/admin/agencies/": "agency-table", "/admin/users/": "user-table", "/admin/audit/": "audit-table",
                 "/admin/task-templates/": "template-table", "/admin/outbox/": "outbox-table",
                 "/admin/indicators/": "indicator-table"}
    for url, target in {"/admin/holidays/?year=1405": "holiday-table",
                        "/account/delegation": "delegation-panel"}.items():
        responses[url] = client.get(url)
        responses[f"{url} fragment"] = client.get(url, headers={"HX-Request": "true", "HX-Target": target})
    for url, target in fragments.items():
        for query in ("?status=all", "?status=inactive", "?status=all&page=2"):
            responses[url + query] = client.get(url + query)
            responses[f"{url}{query} fragment"] = client.get(
                url + query, headers={"HX-Request": "true", "HX-Target": target}
            )
    expected = {label: 302 if label == "/login" else 200 for label in responses}  # /login sends the admin on
    assert {label: response.status_code for label, response in responses.items()} == expected
    return responses


def switch_language(client: FlaskClient, language: str) -> None:
    assert client.post("/language", data={"language": language, "next": "/"}).status_code == 302


# --- tests -----------------------------------------------------------------------------------------------------


def test_the_payloads_are_stored_as_typed(hostile_site):
    """X1 precondition: the forms took every payload verbatim (escaping is output's job, not input's)."""
    names = [PAYLOADS[0], PAYLOADS[0] + " ۲", *PAYLOADS[2:]]  # agency 1 was renamed by the update form
    assert [agency.name for agency in hostile_site.agencies] == names
    assert [agency.name_en for agency in hostile_site.agencies] == [PAYLOADS[0], PAYLOADS[2], *PAYLOADS[2:]]
    assert {agency.email for agency in hostile_site.agencies} >= {"o'neil&co0@example.ir", "a&b'3{{7*7}}@example.ir"}
    assert [user.name for user in hostile_site.users] == PAYLOADS
    assert db.session.get(User, hostile_site.admin.id).name == PAYLOADS[1]
    summaries = set(db.session.scalars(sa.select(AuditEvent.summary)))
    assert set(PAYLOADS) <= summaries  # the agency creations and the failed sign-ins


def test_no_page_or_fragment_shows_a_payload_unescaped(client, ctx, hostile_site):
    """X1: every page and fragment, in Persian and in English (where English names are shown)."""
    for language in ("fa", "en"):
        switch_language(client, language)
        responses = every_page_and_fragment(client, ctx, hostile_site)
        assert_all_escaped(responses, hostile_site.texts)


def test_the_payloads_are_shown_escaped_where_they_belong(client, ctx, hostile_site):
    """X1: the text is there for people to read — escaped, not dropped and not evaluated."""
    agencies = client.get("/admin/agencies/?status=all").text
    users = client.get("/admin/users/?status=all").text
    audit = client.get("/admin/audit/").text
    dashboard = client.get("/").text
    for payload in PAYLOADS[2:]:
        assert shows_escaped(agencies, payload), payload
        assert shows_escaped(users, payload), payload  # the user's name, and the agency column
        assert shows_escaped(audit, payload), payload
    assert "{{7*7}}" in agencies and "{% print 7*7 %}" in users  # shown as typed, never run as a template
    templates = client.get("/admin/task-templates/").text
    holidays = client.get("/admin/holidays/?year=1405").text
    delegation = client.get("/account/delegation").text
    for payload in PAYLOADS[2:]:
        assert shows_escaped(templates, payload), payload  # title, English title, description, agency
        assert shows_escaped(holidays, payload), payload
    outbox = client.get("/admin/outbox/").text
    for payload in PAYLOADS:
        assert shows_escaped(outbox, payload), payload  # the subjects (task titles) and the recipients' names
    for payload in PAYLOADS[:3]:
        assert shows_escaped(delegation, payload), payload  # the reasons
    assert shows_escaped(delegation, PAYLOADS[4])  # the substitute's name
    assert shows_escaped(dashboard, PAYLOADS[1])  # the admin's own name, greeted
    assert shows_escaped(agencies, "o'neil&co0@example.ir")
    switch_language(client, "en")
    users_in_english = client.get("/admin/users/?status=all").text
    assert shows_escaped(users_in_english, PAYLOADS[2])  # agency 1's English name, in its users' agency column


def test_catalog_names_are_shown_escaped(client, hostile_site):
    """X1: indicator names, units and sources, county and sector names: escaped in the lists, in both languages."""
    for language in ("fa", "en"):
        switch_language(client, language)
        pages = [client.get(url).text for url in ("/admin/indicators/?status=all", "/admin/indicators/?q=script",
                                                  "/admin/regions/", "/admin/sectors/")]
        for payload in PAYLOADS[2:]:
            assert all(shows_escaped(page, payload) for page in pages), payload
        assert shows_escaped(pages[1], PAYLOADS[0])


def test_the_explorer_shows_names_and_sources_escaped(client, hostile_site):
    """X1: the indicator explorer's picker, table (sources in title attributes) and chart data (JSON text in a
    <template>, where a payload's "</template>" or "<script>" must stay text) in both languages."""
    import json

    import pandas as pd

    from planapp.indicators.values import store_values

    site = hostile_site
    counties = list(db.session.scalars(sa.select(Region.id).where(Region.kind == RegionKind.COUNTY)))
    total = Sector(code="TOTAL", name="کل")
    db.session.add(total)
    db.session.flush()
    rows = [(indicator, region, total.id, 1404, float(n), PAYLOADS[n % len(PAYLOADS)])
            for n, (indicator, region) in enumerate((i, r) for i in site.indicator_ids[:6] for r in counties)]
    store_values(pd.DataFrame(rows, columns=["indicator_id", "region_id", "sector_id", "year", "value", "source"]),
                 None, now())
    db.session.commit()
    query = "&".join(f"indicator={i}" for i in site.indicator_ids[:6]) + "&counties=all&from=1404&to=1404"
    for language in ("fa", "en"):
        switch_language(client, language)
        page = client.get(f"/indicators/explore?{query}").text
        for payload in PAYLOADS:
            assert shows_escaped(page, payload), payload  # names in the picker and the table, sources in titles
        data = re.search(r'<template id="explorer-data"[^>]*>(.*?)</template>', page, re.S)
        charts = json.loads(data.group(1))
        assert {name for block in charts["indicators"] for name in block["ranked"]["names"]} >= set(PAYLOADS[2:])
        assert "<script>alert(1)</script>" not in page and "<svg onload" not in page


def test_the_analysis_page_and_its_export_keep_section_and_indicator_names_as_text(ctx, client):
    """X1 and X10: ISIC section and indicator names holding markup or a formula are escaped on the analysis page
    (table, picker, chart JSON) in both languages, and come out of its XLSX and CSV as text, formulas neutralised."""
    import csv
    import io

    import openpyxl

    from tests.analysis_data import regional_world
    from tests.factories import make_plan
    from tests.test_exports import assert_no_formula

    regional_world()
    markup, formulas = PAYLOADS[:3], ['=HYPERLINK("http://evil","x")', "@SUM(A1)", "\u200f=1+1"]
    for code, name, name_en in zip(("A", "C", "G"), markup, formulas, strict=True):
        db.session.execute(sa.update(Sector).where(Sector.code == code).values(name=name, name_en=name_en))
    db.session.execute(sa.update(Indicator).where(Indicator.code == "EMP").values(name=PAYLOADS[3],
                                                                                   name_en="+1+1" + PAYLOADS[4]))
    db.session.commit()
    supervisor = make_user(role="supervisor")
    plan = make_plan(supervisor, stage="analysis")
    browser = signed_in(client, supervisor)
    for language, names in (("fa", markup), ("en", formulas)):
        switch_language(browser, language)
        page = browser.get(f"/plans/{plan.id}/analysis")
        assert page.status_code == 200 and not unescaped_reflections(page.text, PAYLOADS)
        assert all(shows_escaped(page.text, name) for name in names)
        response = browser.get(f"/plans/{plan.id}/analysis/export.xlsx")
        assert response.status_code == 200
        assert_no_formula(response.data)
        sheets = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets
        shown = {row[1] for sheet in sheets for row in sheet.iter_rows(min_row=2, max_row=4, values_only=True)}
        expected = set(markup) if language == "fa" else {"'" + name for name in formulas}
        assert shown == expected  # markup is plain text in a workbook; a formula gets its quote
        table = list(csv.reader(io.StringIO(browser.get(f"/plans/{plan.id}/analysis/export.csv").data
                                            .decode("utf-8-sig"))))
        assert {row[1] for row in table[1:4]} == expected


def test_answers_to_the_forms_escape_what_was_typed(hostile_site):
    """X1: flashes after saving, and forms shown again with their errors, escape the typed values."""
    assert_all_escaped(hostile_site.form_responses, hostile_site.texts)
    responses = hostile_site.form_responses
    assert shows_escaped(responses["agency create 0"].text, PAYLOADS[0])  # the «created» flash
    assert shows_escaped(responses["agency form with errors 1"].text, PAYLOADS[1])  # value="…" of the input
    assert shows_escaped(responses["sign-in form 5"].text, PAYLOADS[5])


def test_the_dashboard_of_a_user_named_with_a_payload_escapes_it(ctx, hostile_site):
    """X1: a user sees their own name and agency in the greeting and the top bar."""
    for user in hostile_site.users:
        browser = signed_in(ctx.test_client(), user)
        for language in ("fa", "en"):
            switch_language(browser, language)
            page = browser.get("/")
            assert page.status_code == 200
            assert not unescaped_reflections(page.text, hostile_site.texts)
            assert shows_escaped(page.text, user.name)


def test_query_strings_and_paths_are_not_reflected_unescaped(client, hostile_site):
    """X1: searches, filters, `next` and unknown paths echo nothing raw (reflected XSS)."""
    responses: dict[str, TestResponse] = {}
    lists = {"/admin/agencies/": "agency-table", "/admin/users/": "user-table", "/admin/audit/": "audit-table",
             "/admin/outbox/": "outbox-table"}
    for n, payload in enumerate(PAYLOADS):
        value = quote(payload, safe="")
        for url, target in lists.items():
            for parameter in ("q", "status", "role", "realm", "page"):
                responses[f"{url}?{parameter}={n}"] = client.get(f"{url}?{parameter}={value}")
                responses[f"{url}?{parameter}={n} fragment"] = client.get(
                    f"{url}?{parameter}={value}", headers={"HX-Request": "true", "HX-Target": target}
                )
        responses[f"/?x={n}"] = client.get(f"/?x={value}")  # echoed into the language switch's `next`
        responses[f"404 {n}"] = client.get(f"/admin/{value}")
        responses[f"login?next={n}"] = client.application.test_client().get(f"/login?next={value}")
    assert_all_escaped(responses, PAYLOADS)
    assert shows_escaped(responses["/admin/agencies/?q=0"].text, PAYLOADS[0])  # the search box keeps its text


def test_templates_never_mark_data_safe():
    """X1: no `|safe`, no autoescape switched off, no Markup built from strings in any template."""
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in (r"\|\s*safe\b", r"autoescape\s+false", r"\bMarkup\s*\(", r"\|\s*forceescape\b"):
            offenders += [f"{template.relative_to(TEMPLATES)}: {pattern}" for _ in re.finditer(pattern, text)]
    assert not offenders
    assert len(list(TEMPLATES.rglob("*.html"))) >= 10  # the templates really were read


def test_the_checks_catch_an_unescaped_payload():
    """The X1 checks can fail: raw payloads, injected elements, handlers and javascript: URLs are reported."""
    assert unescaped_reflections("<p>" + PAYLOADS[0] + "</p>", PAYLOADS)
    assert unescaped_reflections('<input value=""><img src=x onerror=alert(1)>">', [])
    assert unescaped_reflections('<a href="javascript:alert(1)">x</a>', [])
    assert unescaped_reflections("<div hx-get=/logout hx-trigger=load>x</div>", [])
    assert not unescaped_reflections(f"<p>{escape(PAYLOADS[1])}</p><script src=/x.js></script>", PAYLOADS)


def test_audit_values_told_in_words_stay_escaped(client):
    """X1: the audit page's labels, dates, digits and stored-data views escape keys, values and summaries —
    payloads as a field name, a value next to a known key, a list item and a plan move's summary."""
    from planapp.audit.services import record

    admin = make_user(role="admin")
    signed_in(client, admin)
    for payload in PAYLOADS:
        record(admin, "plan.transition", None, object_type="plans", summary=f"{payload}: complete_assessment",
               before={payload: "2024-06-01", "stage": payload, "event": payload},
               after={payload: [payload, 3], "stage": "analysis", "event": "complete_assessment"})
        record(admin, payload, None, object_type="robots", summary=payload, after={"role": payload})
    db.session.commit()
    for language in ("fa", "en"):
        switch_language(client, language)
        page = client.get("/admin/audit/?q=").text
        assert not unescaped_reflections(page, PAYLOADS), language
        for payload in PAYLOADS[2:]:
            assert shows_escaped(page, payload), (language, payload)
