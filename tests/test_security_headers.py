"""Cookie flags and security headers on real responses.

RELIABILITY S1 (cookie flags), X4 (security headers on every GET) and the header half of X3 (a strict CSP on every
HTML response, and no inline code in the pages that the CSP would block).
"""

from __future__ import annotations

import json
import secrets
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from planapp.accounts import tokens
from planapp.approvals import services as approvals
from planapp.calendar import services as calendar_services
from planapp.config import ProductionConfig, check_production_config
from planapp.core.clock import now
from planapp.extensions import db
from planapp.indicators.models import Category, Indicator, IndicatorImport, Region, RegionKind, Sector
from planapp.mail.models import OutboxMessage
from planapp.notifications.models import Notification
from planapp.tasks import services as task_services
from planapp.tasks import template_services
from tests.analysis_data import io_table_row
from tests.factories import PASSWORD, make_agency, make_plan, make_request, make_user, signed_in
from tests.scoring_data import closed_round

SESSION_COOKIE = "planapp_session"
INLINE_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}


# --- helpers ----------------------------------------------------------------------------------------


def parse_set_cookie(header: str) -> tuple[str, dict[str, str | bool]]:
    """`name=value; HttpOnly; SameSite=Lax` → ("name", {"httponly": True, "samesite": "Lax"})."""
    first, *attributes = (part.strip() for part in header.split(";"))
    attributes_by_name: dict[str, str | bool] = {}
    for attribute in attributes:
        key, has_value, value = attribute.partition("=")
        attributes_by_name[key.strip().lower()] = value.strip() if has_value else True
    return first.partition("=")[0], attributes_by_name


def fetch(client: FlaskClient, url: str, **kwargs) -> TestResponse:
    """GET, read the whole body and close the response (static files are open files until closed)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def set_cookies(response: TestResponse) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def cookies_of_a_whole_visit(client: FlaskClient, user) -> dict[str, list[str]]:
    """Every Set-Cookie header of a visit, by step: anonymous, sign-in, pages, language switches, sign-out."""
    steps = {
        "login page": lambda: client.get("/login"),
        "language switch (anonymous)": lambda: client.post("/language", data={"language": "en", "next": "/login"}),
        "sign-in": lambda: client.post("/login", data={"email": user.email, "password": PASSWORD}),
        "dashboard": lambda: client.get("/"),
        "language switch (signed in)": lambda: client.post("/language", data={"language": "fa", "next": "/"}),
        "password change": lambda: client.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "new_password": "another-horse-battery-43",
                "confirm": "another-horse-battery-43",
            },
        ),
        "sign-out": lambda: client.post("/logout"),
    }
    return {name: set_cookies(step()) for name, step in steps.items()}


def assert_cookie_flags(cookies_by_step: dict[str, list[str]], *, secure: bool) -> None:
    problems = []
    for step, headers in cookies_by_step.items():
        for header in headers:
            name, attributes = parse_set_cookie(header)
            if attributes.get("httponly") is not True:
                problems.append(f"{step}: {name} without HttpOnly")
            if attributes.get("samesite") != "Lax":
                problems.append(f"{step}: {name} with SameSite={attributes.get('samesite')}")
            if secure and attributes.get("secure") is not True:
                problems.append(f"{step}: {name} without Secure")
    assert not problems, problems


def session_cookie_names(headers: list[str]) -> list[str]:
    return [parse_set_cookie(header)[0] for header in headers if parse_set_cookie(header)[0] == SESSION_COOKIE]


def production_settings() -> dict:
    """The settings ProductionConfig itself declares, plus the strong key production insists on."""
    settings = {name: getattr(ProductionConfig, name) for name in vars(ProductionConfig) if name.isupper()}
    settings["SECRET_KEY"] = secrets.token_urlsafe(48)
    check_production_config({**settings, "SQLALCHEMY_DATABASE_URI": "set"})  # the key is good enough for production
    return settings


def url_values(agency_id: int, user_id: int, plan_ids: dict[str, int] | None = None) -> dict[str, object]:
    return {"agency_id": agency_id, "user_id": user_id, "filename": "css/app.css", **(plan_ids or {})}


def a_plan_before_the_council() -> dict[str, int]:
    """A plan at approval with a carried council vote, a recorded resolution (with its PDF) and notifications."""
    owner = make_user(role="supervisor")
    plan = make_plan(owner, stage="approval")
    request = make_request(plan, "approve_plan")
    approvals.cast_vote(make_user(role="council_member"), request.id, "approve", "", now())
    approvals.record_resolution(owner, request.id, "۷", date(2026, 11, 1), now(), ("r.pdf", b"%PDF-1.4 x"))
    task = task_services.create_task(owner, plan, {"title": "وظیفه", "agency_id": owner.agency_id,
                                                   "kind": "submit_indicators",  # its indicator grid is a page too
                                                   "due_on": date(2099, 1, 3)}, now())
    attachment = task_services.add_attachment(owner, task.id, "a.pdf", b"%PDF-1.4 x", now(), 1_000_000)
    template = template_services.create_template(None, {"stage": "goals", "kind": "other", "title": "الگو",
                                                        "agency_ids": [owner.agency_id],
                                                        "due_in_days": 5})
    holiday = calendar_services.add_holiday(None, {"day": date(2026, 3, 21), "name": "نوروز"})
    db.session.commit()
    notification = db.session.scalar(sa.select(Notification.id))
    message = db.session.scalar(sa.select(OutboxMessage.id))  # the e-mail twin of a notification
    catalog = [Indicator(code="POP", name="جمعیت", category=Category.SOCIAL, unit="نفر"),
               Region(code="EA-X", name="شهرستان", kind=RegionKind.COUNTY), Sector(code="A", name="کشاورزی")]
    db.session.add_all(catalog)
    upload = IndicatorImport(user_id=owner.id, file_name="v.csv", stored_name="0" * 32, created_at=now())
    db.session.add(upload)
    db.session.add(io_table_row(plan.id, owner.id))  # the analysis page with its linkage chart
    db.session.commit()
    closed_round(plan, owner, [make_user(role="officer")])  # the scoring results page and its export
    return {**dict(zip(("indicator_id", "region_id", "sector_id"), (row.id for row in catalog), strict=True)),
            "import_id": upload.id,
            "message_id": message,
            "plan_id": plan.id, "request_id": request.id, "notification_id": notification, "task_id": task.id,
            "attachment_id": attachment.id, "fmt": "xlsx", "template_id": template.id, "holiday_id": holiday.id}


def every_get_url(app: Flask, values: dict[str, object]) -> dict[str, str]:
    """endpoint → a URL for every GET rule of the app, its arguments filled with real values."""
    adapter = app.url_map.bind("localhost")
    urls = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        missing = rule.arguments - values.keys()
        assert not missing, f"{rule.endpoint}: say how to fill {sorted(missing)} in url_values()"
        urls[rule.endpoint] = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})
    return urls


def csp_directives(response: TestResponse) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for directive in filter(None, (part.strip() for part in header.split(";"))):
        name, *sources = directive.split()
        directives[name.lower()] = sources
    return directives


class InlineCodeFinder(HTMLParser):
    """Collects everything a strict CSP (no 'unsafe-inline') would block: inline scripts, styles, handlers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.script_tags = 0
        self.script_sources: list[str] = []
        self._inside_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}=…> inline event handler")
            elif name == "style":
                self.problems.append(f"<{tag} style=…> inline style")
            elif name in INLINE_URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}> javascript: URL")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self.script_tags += 1
            if not dict(attrs).get("src"):
                self.problems.append("<script> without src")
            else:
                self.script_sources.append(dict(attrs)["src"])
            self._inside_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside_script = False

    def handle_data(self, data: str) -> None:
        if self._inside_script and data.strip():
            self.problems.append(f"inline <script> body: {data.strip()[:60]!r}")


def inline_code_in(html: str) -> InlineCodeFinder:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder


def htmx_config_of(html: str) -> dict:
    """The JSON of <meta name="htmx-config" content=…>, or {} if the page has none."""
    found: dict = {}

    class MetaReader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            attributes = dict(attrs)
            if tag == "meta" and attributes.get("name") == "htmx-config":
                found.update(json.loads(attributes.get("content") or "{}"))

    MetaReader().feed(html)
    return found


class AdminOrSupervisor:
    """GETs as the admin; pages only supervisors may open (admins keep the system, they do not decide plans)
    are fetched as a supervisor instead, so every page is seen as someone allowed to see it."""

    def __init__(self, admin: FlaskClient, supervisor: FlaskClient):
        self.admin, self.supervisor, self.application = admin, supervisor, admin.application

    def get(self, url: str, **kwargs) -> TestResponse:
        response = self.admin.get(url, **kwargs)
        if response.status_code == 403:
            response.close()
            response = self.supervisor.get(url, **kwargs)
        return response


def links_from_e_mails(supervisor, person, request_id: int) -> dict[str, str]:
    """An invitation and a password-reset link for `person`, a decision link for `supervisor`."""
    links = {"invitation_token": tokens.issue(tokens.INVITATION, person, timedelta(days=7), now()),
             "reset_token": tokens.issue(tokens.PASSWORD_RESET, person, timedelta(minutes=60), now()),
             "decision_token": tokens.issue(tokens.DECISION, supervisor, timedelta(hours=72), now(),
                                            payload={"request_id": request_id})}
    db.session.commit()
    return links


@pytest.fixture
def supervisor(ctx: Flask):
    return make_user(role="supervisor")


@pytest.fixture
def site_client(client: FlaskClient, ctx: Flask, supervisor) -> AdminOrSupervisor:
    return AdminOrSupervisor(client, signed_in(ctx.test_client(), supervisor))


@pytest.fixture
def admin_site(client: FlaskClient, ctx: Flask, supervisor):
    """A signed-in admin, one agency and one other user: every GET URL of the app can be filled in (a decision
    link opens for the supervisor it was sent to, the one `site_client` signs in)."""
    admin = make_user(role="admin")
    other = make_user(role="officer", agency=make_agency())
    signed_in(client, admin)
    plan_ids = a_plan_before_the_council()
    links = links_from_e_mails(supervisor, other, plan_ids["request_id"])
    return every_get_url(ctx, url_values(other.agency_id, other.id, {**plan_ids, **links}))


# The GET routes that answer with something else than HTML (a new download route is added here, in review).
NOT_HTML = {"static", "health.healthz", "approvals.resolution_document", "task.download", "tasks.export",
            "task_indicators.template", "explorer.export", "analysis.io_template", "scoring.results_export",
            "analysis.export"}


def html_responses_of_the_app(client: FlaskClient, admin_site: dict[str, str], make_app) -> dict[str, TestResponse]:
    """Pages and fragments as the admin sees them, error pages, and the anonymous pages."""
    responses = {url: fetch(client, url) for url in admin_site.values()}
    responses["agencies table fragment"] = client.get(
        "/admin/agencies/?q=x", headers={"HX-Request": "true", "HX-Target": "agency-table"}
    )
    responses["users table fragment"] = client.get(
        "/admin/users/?q=x", headers={"HX-Request": "true", "HX-Target": "user-table"}
    )
    responses["404 page"] = client.get("/no-such-page")
    responses["404 fragment"] = client.get("/admin/users/999999/row", headers={"HX-Request": "true"})
    anonymous = client.application.test_client()
    responses["login page"] = anonymous.get("/login")
    responses["anonymous 404 page"] = anonymous.get("/no-such-page")
    officer = make_user(role="officer")
    signed_in(anonymous, officer)
    responses["403 page"] = anonymous.get("/admin/users/")
    responses["403 fragment"] = anonymous.get(
        "/admin/users/", headers={"HX-Request": "true", "HX-Target": "user-table"}
    )
    responses["400 page (CSRF refusal)"] = make_app(WTF_CSRF_ENABLED=True).test_client().post("/login")
    expected_statuses = {
        "agencies table fragment": 200,
        "users table fragment": 200,
        "404 page": 404,
        "404 fragment": 404,
        "login page": 200,
        "403 page": 403,
        "403 fragment": 403,
        "400 page (CSRF refusal)": 400,
    }
    assert {name: responses[name].status_code for name in expected_statuses} == expected_statuses
    return {name: response for name, response in responses.items() if response.mimetype == "text/html"}


# --- S1: cookie flags -----------------------------------------------------------------------------------


def test_every_cookie_of_a_visit_is_httponly_and_samesite_lax(client):
    """S1: session cookie after sign-in, language switches, password change and sign-out."""
    cookies = cookies_of_a_whole_visit(client, make_user())
    assert session_cookie_names(cookies["sign-in"]), "sign-in must set the session cookie"
    assert session_cookie_names(cookies["language switch (anonymous)"])
    assert session_cookie_names(cookies["language switch (signed in)"])
    assert session_cookie_names(cookies["sign-out"])
    assert_cookie_flags(cookies, secure=False)


def test_every_cookie_is_secure_under_production_settings(ctx, make_app):
    """S1: with ProductionConfig's settings every cookie also carries Secure (sent over HTTPS only)."""
    app = make_app(**production_settings())
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    client = app.test_client()
    cookies = cookies_of_a_whole_visit(client, make_user())
    assert session_cookie_names(cookies["sign-in"])
    assert session_cookie_names(cookies["language switch (signed in)"])
    assert_cookie_flags(cookies, secure=True)


def test_remember_me_cookie_settings_match_the_session_cookie():
    """S1: should a remember-me cookie ever be issued, it carries the same flags."""
    assert ProductionConfig.REMEMBER_COOKIE_HTTPONLY is True
    assert ProductionConfig.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True


def test_the_cookie_flag_parser_sees_a_missing_flag():
    """The S1 checks above can fail: a cookie without the flags is reported."""
    with pytest.raises(AssertionError, match="without HttpOnly"):
        assert_cookie_flags({"step": ["planapp_session=x; Path=/; SameSite=Lax"]}, secure=False)
    with pytest.raises(AssertionError, match="without Secure"):
        assert_cookie_flags({"step": ["planapp_session=x; HttpOnly; Path=/; SameSite=Lax"]}, secure=True)


# --- X4: headers on every GET ------------------------------------------------------------------------------


def test_every_get_route_sends_the_security_headers(site_client, admin_site):
    """X4: nosniff, Referrer-Policy same-origin, frame-ancestors 'none'; no-store on authenticated pages."""
    problems = []
    for endpoint, url in admin_site.items():
        response = fetch(site_client, url)
        headers = response.headers
        if response.status_code >= 400:
            problems.append(f"{url}: status {response.status_code}")
        if headers.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{url}: X-Content-Type-Options {headers.get('X-Content-Type-Options')!r}")
        if headers.get("Referrer-Policy") != "same-origin":
            problems.append(f"{url}: Referrer-Policy {headers.get('Referrer-Policy')!r}")
        if csp_directives(response).get("frame-ancestors") != ["'none'"]:
            problems.append(f"{url}: CSP frame-ancestors {csp_directives(response).get('frame-ancestors')}")
        cache_control = {part.strip() for part in headers.get("Cache-Control", "").split(",")}
        if endpoint != "static" and "no-store" not in cache_control:
            problems.append(f"{url}: Cache-Control {headers.get('Cache-Control')!r} for a signed-in user")
    assert not problems, problems


def test_error_pages_for_a_signed_in_user_are_not_stored(client, admin_site):
    """X4: a 404 seen by a signed-in user is an authenticated page too."""
    response = client.get("/admin/agencies/999999/edit")
    assert response.status_code == 404
    assert "no-store" in response.headers.get("Cache-Control", "")
    assert response.headers.get("X-Content-Type-Options") == "nosniff"


# --- X3: CSP on every HTML response, and no inline code for it to block -----------------------------------


def test_every_html_response_has_a_strict_csp(site_client, admin_site, make_app):
    """X3: a CSP on every HTML page and fragment, with no 'unsafe-inline' nor 'unsafe-eval'."""
    responses = html_responses_of_the_app(site_client, admin_site, make_app)
    # Pages, fragments and error pages were all HTML: only files, exports and the health check are not.
    assert {endpoint for endpoint, url in admin_site.items() if url not in responses} == NOT_HTML
    problems = []
    for name, response in responses.items():
        directives = csp_directives(response)
        if not directives:
            problems.append(f"{name}: no Content-Security-Policy")
            continue
        for directive in ("script-src", "style-src"):
            sources = directives.get(directive, directives.get("default-src"))
            if not sources:
                problems.append(f"{name}: {directive} not restricted")
            elif {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(sources):
                problems.append(f"{name}: {directive} {' '.join(sources)}")
        for sources in directives.values():
            if "'unsafe-eval'" in sources or "'unsafe-inline'" in sources:
                problems.append(f"{name}: unsafe source in {sources}")
        if directives.get("object-src") != ["'none'"]:
            problems.append(f"{name}: object-src {directives.get('object-src')}")
    assert not problems, problems


def test_no_rendered_page_holds_code_the_csp_would_block(site_client, admin_site, make_app):
    """X3: no inline <script> body, no style= attribute, no on*= handler, no javascript: URL in any page."""
    responses = html_responses_of_the_app(site_client, admin_site, make_app)
    problems = {name: inline_code_in(response.text).problems for name, response in responses.items()}
    assert not {name: found for name, found in problems.items() if found}
    # Every script is a file: the vendored htmx, the phone menu (static/js/menu.js), then static/js/charts.js before
    # the page scripts that use its window.PlanCharts (deferred scripts run in document order).
    home = inline_code_in(site_client.get("/").text)
    assert home.script_tags == len(home.script_sources) == 6
    names = [src.rsplit("/", 1)[-1] for src in home.script_sources]
    assert names == ["htmx.min.js", "menu.js", "charts.js", "explorer.js", "analysis.js", "scoring_results.js"]


def test_the_inline_code_finder_sees_what_the_csp_would_block():
    """The X3 page check can fail: each kind of inline code is found."""
    page = (
        '<script>alert(1)</script><p style="color:red" onclick="x()">a</p>'
        '<a href="javascript:alert(1)">b</a><style>p{}</style><div hx-on:click="x()"></div>'
    )
    found = " | ".join(inline_code_in(page).problems)
    for kind in (
        "<script> without src",
        "inline <script> body",
        "inline style",
        "<p onclick=",
        "javascript: URL",
        "<style> element",
        "<div hx-on:click=",
    ):
        assert kind in found


def test_htmx_is_configured_without_eval_or_script_tags(client, admin_site):
    """X3 with RELIABILITY decision 6: htmx must not evaluate strings or run scripts from swapped HTML."""
    config = htmx_config_of(client.get("/").text)
    assert config.get("allowEval") is False
    assert config.get("allowScriptTags") is False
    assert config.get("selfRequestsOnly") is True
    # htmx's default settling copies the old element's style attribute onto its swapped twin: an inline style,
    # which style-src 'self' refuses (a CSP violation in the console for each swap).
    assert "style" not in config.get("attributesToSettle", ["class", "style", "width", "height"])
