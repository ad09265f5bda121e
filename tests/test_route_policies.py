"""RELIABILITY AC1: every route declares its access policy, and every GET answers every role as declared.

The declared matrix is `ROUTE_MATRIX` below (route → permission, reviewed here) with
`planapp.core.permissions.POLICY` (role → permissions). The routes' `@requires(perm)` / `@public` must match it,
and every cell is walked: each GET route × each role (and a stranger). A route added without a policy is refused,
even to an administrator.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from planapp.accounts import services as accounts
from planapp.accounts import tokens
from planapp.approvals import services as approvals
from planapp.calendar import services as calendar_services
from planapp.core.clock import now
from planapp.core.permissions import POLICY, Perm, Role, can
from planapp.extensions import db
from planapp.indicators.models import Category, Indicator, IndicatorImport, Region, RegionKind, Sector
from planapp.mail.models import OutboxMessage
from planapp.notifications.services import notify
from planapp.plans import services as plan_services
from planapp.plans.workflow import Stage
from planapp.tasks import services as task_services
from planapp.tasks import template_services
from planapp.web.access import PUBLIC, policy_of, requires
from tests.factories import make_agency, make_user, signed_in

ANONYMOUS = "anonymous"
# The declared matrix, route by route: who may reach it is decided here, in review, not only by a decorator.
ROUTE_MATRIX: dict[str, object] = {
    "static": PUBLIC,
    "accounts.login": PUBLIC,
    "accounts.set_language": PUBLIC,
    "invitations.accept": PUBLIC,
    "password.forgot": PUBLIC,
    "password.reset": PUBLIC,
    "invitations.list": Perm.INVITE_PARTICIPANT,
    "invitations.create": Perm.INVITE_PARTICIPANT,
    "decisions.confirm": Perm.DECIDE_TRANSITION,
    "decisions.decide": Perm.DECIDE_TRANSITION,
    "health.healthz": PUBLIC,
    "accounts.logout": Perm.USE_APP,
    "accounts.change_password": Perm.USE_APP,
    "dashboard.index": Perm.USE_APP,
    **{
        f"users.{name}": Perm.MANAGE_USERS
        for name in ("list", "create", "row", "edit", "update", "deactivate", "reactivate")
    },
    **{
        f"agencies.{name}": Perm.MANAGE_AGENCIES
        for name in ("list", "create", "row", "edit", "update", "deactivate", "reactivate")
    },
    **{
        f"task_templates.{name}": Perm.MANAGE_TASK_TEMPLATES
        for name in ("list", "create", "row", "edit", "update", "deactivate", "reactivate")
    },
    **{f"holidays.{name}": Perm.MANAGE_HOLIDAYS for name in ("list", "create", "row", "edit", "update", "delete")},
    **{
        f"{bp}.{name}": Perm.MANAGE_INDICATORS
        for bp in ("indicators", "regions", "sectors")
        for name in ("list", "create", "row", "edit", "update", "deactivate", "reactivate")
    },
    "regions.table": Perm.MANAGE_INDICATORS,
    "explorer.index": Perm.VIEW_INDICATORS,
    "explorer.export": Perm.VIEW_INDICATORS,
    "sectors.table": Perm.MANAGE_INDICATORS,
    **{f"delegations.{name}": Perm.USE_APP for name in ("list", "create", "revoke")},
    "audit.list": Perm.VIEW_AUDIT,
    "plans.list": Perm.VIEW_PLANS,
    "plans.detail": Perm.VIEW_PLANS,
    "plans.activity": Perm.VIEW_PLANS,
    "plans.new": Perm.CREATE_PLAN,
    "plans.create": Perm.CREATE_PLAN,
    "plans.copy": Perm.CREATE_PLAN,
    "plans.edit": Perm.EDIT_PLAN,
    "plans.update": Perm.EDIT_PLAN,
    "plans.workflow": Perm.USE_APP,
    "approvals.create": Perm.REQUEST_TRANSITION,
    "approvals.withdraw": Perm.REQUEST_TRANSITION,
    "approvals.confirm": Perm.DECIDE_TRANSITION,
    "approvals.decide": Perm.DECIDE_TRANSITION,
    "approvals.vote": Perm.VOTE_IN_COUNCIL,
    "approvals.resolution": Perm.RECORD_RESOLUTION,
    "approvals.resolution_document": Perm.VIEW_PLANS,
    "notifications.list": Perm.USE_APP,
    "notifications.read": Perm.USE_APP,
    "notifications.read_all": Perm.USE_APP,
    "notifications.count": Perm.USE_APP,
    "email_preferences.edit": Perm.USE_APP,
    **{f"outbox.{name}": Perm.MANAGE_OUTBOX for name in ("list", "detail", "resend")},
    "plans.stage_tasks": Perm.VIEW_PLANS,
    "tasks.inbox": Perm.VIEW_TASKS,
    "tasks.review": Perm.REVIEW_TASK,
    "tasks.export": Perm.VIEW_TASKS,
    "tasks.extend": Perm.REVIEW_TASK,
    "tasks.new": Perm.REVIEW_TASK,
    "tasks.nav_count": Perm.VIEW_TASKS,
    "task.detail": Perm.VIEW_TASKS,
    "task.act": Perm.VIEW_TASKS,
    "task.reassign": Perm.WORK_ON_TASK,
    "task.comments": Perm.VIEW_TASKS,
    "task.add_comment": Perm.VIEW_TASKS,
    "task.change_comment": Perm.VIEW_TASKS,
    "task.attach": Perm.VIEW_TASKS,
    "task.download": Perm.VIEW_TASKS,
    "task.change_file": Perm.VIEW_TASKS,
    "swot.board": Perm.EDIT_PLAN,
    "swot.merge": Perm.EDIT_PLAN,
    "swot.evaluate": Perm.EDIT_PLAN,
    "swot.submit": Perm.WORK_ON_TASK,
    **{f"scoring.{name}": Perm.EDIT_PLAN  # the scoring matrix: supervisors of a plan not closed
       for name in ("page", "add_candidate", "rename_candidate", "remove_candidate", "add_criterion",
                    "update_criterion", "remove_criterion", "weights", "ahp_result", "save_ahp", "open_round",
                    "close_round", "confirm_cores")},
    "scoring.results": Perm.VIEW_SCORING,  # the results page and its export: whoever reads the plan's analysis
    "scoring.results_export": Perm.VIEW_SCORING,
    "analysis.page": Perm.VIEW_INDICATORS,  # the analysis page: readers of situation data who may see the plan
    "analysis.upload_io": Perm.EDIT_PLAN,  # the plan's input-output table: its supervisors
    "analysis.io_template": Perm.EDIT_PLAN,
    "analysis.export": Perm.VIEW_INDICATORS,  # what the page shows, as XLSX/CSV: whoever may see the page
    "task_scores.save": Perm.WORK_ON_TASK,
    "task_scores.add_scorer": Perm.EDIT_PLAN,  # who scores in the open round, and the Delphi round: supervisors
    "task_scores.open_second_round": Perm.EDIT_PLAN,
    **{f"imports.{name}": Perm.IMPORT_INDICATORS
       for name in ("list", "new", "create", "detail", "progress", "cancel")},
    "task_indicators.grid": Perm.VIEW_TASKS,
    "task_indicators.save": Perm.WORK_ON_TASK,
    "task_indicators.template": Perm.VIEW_TASKS,
}
# Routes about one task: a user allowed tasks in general but not this one gets 404 (its existence stays hidden).
TASK_ROUTES = {"task.detail", "task.comments", "task.download", "task_indicators.grid", "task_indicators.template"}
# Routes about one indicator import: seen by its maker, planning staff and those on its task; others get 404.
IMPORT_ROUTES = {"imports.detail", "imports.progress"}
# Supervisors asking for the inbox are sent to their review queue.
SUPERVISORS_SENT_ON = {"tasks.inbox"}
# Allowed, but the sample object has nothing to serve: the sample request has no signed resolution file, the
# sample plan no closed scoring round to export.
ANSWERS_404_WHEN_ALLOWED = {"approvals.resolution_document", "scoring.results_export"}
# Public pages every visitor gets with 200 — except the sign-in page, which sends a signed-in user on.
SENDS_SIGNED_IN_USERS_ON = {"accounts.login"}
# A link from an e-mail, sent to someone else than the users walking the matrix: those allowed get 403.
SENT_TO_SOMEONE_ELSE = {"decisions.confirm"}


def endpoints_without_policy(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and policy_of(rule.endpoint) is None
        )


def declared_policies(app: Flask) -> dict[str, object]:
    with app.app_context():
        return {rule.endpoint: policy_of(rule.endpoint) for rule in app.url_map.iter_rules()}


def get_urls(app: Flask, values: dict[str, object]) -> dict[str, str]:
    """endpoint → URL of every GET rule, arguments filled with real values."""
    adapter = app.url_map.bind("localhost")
    urls = {}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            missing = rule.arguments - values.keys()
            assert not missing, f"{rule.endpoint}: say how to fill {sorted(missing)}"
            urls[rule.endpoint] = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})
    return urls


def expected_status(policy: object, endpoint: str, user, task=None, upload=None) -> int:
    """What the declared matrix says a GET must answer."""
    if user is not None and endpoint in TASK_ROUTES and can(user, policy) and not can(user, policy, task):
        return 404
    if user is not None and endpoint in IMPORT_ROUTES and can(user, policy) and not can(user, policy, upload):
        return 404
    if user is not None and endpoint in SUPERVISORS_SENT_ON and can(user, Perm.REVIEW_TASK):
        return 302
    if user is not None and endpoint in SENT_TO_SOMEONE_ELSE and can(user, policy):
        return 403
    if policy == PUBLIC:
        return 302 if user is not None and endpoint in SENDS_SIGNED_IN_USERS_ON else 200
    if user is None:
        return 302  # to the sign-in page, coming back afterwards
    if not can(user, policy):
        return 403
    return 404 if endpoint in ANSWERS_404_WHEN_ALLOWED else 200


def login_redirect_problem(response, url: str) -> str | None:
    """None if the response sends the visitor to /login?next=<the page asked for>."""
    location = urlsplit(response.headers.get("Location", ""))
    if location.netloc or location.path != "/login" or parse_qs(location.query).get("next") != [url]:
        return f"{url}: sent to {response.headers.get('Location')!r}, not to /login?next={url}"
    return None


@pytest.fixture
def ids(ctx: Flask) -> dict[str, object]:
    """Real ids for every URL argument: a published plan with a revision asked for by its owner."""
    other = make_user(role="viewer", agency=make_agency())
    owner = make_user(role="supervisor")
    plan = plan_services.create_plan(owner, {"title": "برنامهٔ نمونه", "province": "آذربایجان شرقی",
                                             "period_start": 1405, "period_end": 1409, "owner_id": owner.id}, now())
    plan.stage = Stage.MONITORING  # published, so every role may read it
    db.session.flush()
    request = approvals.request_transition(owner, plan.id, "open_revision", "بازنگری سالانه", now())
    task = task_services.create_task(owner, plan, {"title": "وظیفهٔ نمونه", "agency_id": other.agency_id,
                                                   "kind": "submit_indicators",  # so its indicator grid is walked too
                                                   "due_on": date(2099, 1, 3)}, now())
    attachment = task_services.add_attachment(owner, task.id, "a.pdf", b"%PDF-1.4 sample", now(), 1_000_000)
    template = template_services.create_template(None, {"stage": "goals", "kind": "other", "title": "الگوی نمونه",
                                                        "agency_kind": "government", "due_in_days": 5})
    holiday = calendar_services.add_holiday(None, {"day": date(2026, 3, 21), "name": "نوروز"})
    catalog = [Indicator(code="SAMPLE", name="شاخص نمونه", category=Category.SOCIAL, unit="درصد"),
               Region(code="R-1", name="شهرستان نمونه", kind=RegionKind.COUNTY), Sector(code="A", name="کشاورزی")]
    db.session.add_all(catalog)
    upload = IndicatorImport(user_id=owner.id, file_name="v.csv", stored_name="0" * 32, created_at=now())
    db.session.add(upload)
    links = {  # links from e-mails (invitation and reset pages are public; the decision link is the owner's)
        "invitation_token": tokens.issue(tokens.INVITATION, other, timedelta(days=7), now()),
        "reset_token": tokens.issue(tokens.PASSWORD_RESET, other, timedelta(minutes=60), now()),
        "decision_token": tokens.issue(tokens.DECISION, owner, timedelta(hours=72), now(),
                                       payload={"request_id": request.id}),
    }
    notify([other.id], "task.assigned", {"task": "وظیفهٔ نمونه", "plan": "برنامهٔ نمونه"}, "/tasks/", now())
    db.session.commit()
    message_id = db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.user_id == other.id))
    return {**links,
            "message_id": message_id,
            "user_id": other.id, "agency_id": other.agency_id, "filename": "css/app.css", "plan_id": plan.id,
            "request_id": request.id, "notification_id": 1, "task_id": task.id, "attachment_id": attachment.id,
            "fmt": "csv", "task": task, "template_id": template.id, "holiday_id": holiday.id,
            **dict(zip(("indicator_id", "region_id", "sector_id"), (row.id for row in catalog), strict=True)),
            "import_id": upload.id, "import": upload}


# --- (a) every endpoint has a policy ------------------------------------------------------------------------


def test_every_endpoint_declares_an_access_policy(app):
    """AC1 (a): no endpoint in app.url_map (static aside) is without @public or @requires(perm)."""
    assert endpoints_without_policy(app) == []
    policies = declared_policies(app)
    assert all(policy == PUBLIC or isinstance(policy, Perm) for policy in policies.values()), policies
    assert all(
        getattr(app.view_functions[endpoint], "access_policy", None) == policy
        for endpoint, policy in policies.items()
        if endpoint != "static"
    )


def test_each_route_requires_what_the_declared_matrix_says(app):
    """AC1 (a): the policy on each route is the reviewed one; a new or loosened route must change ROUTE_MATRIX."""
    assert declared_policies(app) == ROUTE_MATRIX


def test_every_permission_is_placed_in_the_role_matrix():
    """AC1: each permission is granted to someone; every role may use the app; admins keep the system."""
    assert set(POLICY) == set(Role)
    assert set().union(*POLICY.values()) == set(Perm)
    assert all(Perm.USE_APP in POLICY[role] for role in Role)
    assert {Perm.MANAGE_USERS, Perm.MANAGE_AGENCIES, Perm.VIEW_AUDIT} <= POLICY[Role.ADMIN]


# --- (b) every GET route × every role ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [ANONYMOUS, *Role])
def test_every_get_route_answers_each_role_as_declared(ctx, client: FlaskClient, ids, role):
    """AC1 (b): public 200; permission routes 200 if can(user, perm) else 403; strangers → /login?next=…"""
    user = None if role == ANONYMOUS else make_user(role=role)
    if user is not None:
        signed_in(client, user)
    mismatches, checked = [], 0
    for endpoint, url in get_urls(ctx, ids).items():
        if endpoint not in ROUTE_MATRIX:
            mismatches.append(f"{endpoint}: not in ROUTE_MATRIX")
            continue
        response = client.get(url)
        response.close()
        expected = expected_status(ROUTE_MATRIX[endpoint], endpoint, user, ids["task"], ids["import"])
        checked += 1
        if response.status_code != expected:
            mismatches.append(f"{endpoint} {url}: {response.status_code}, declared {expected}")
        elif expected == 302 and user is None:
            mismatches += filter(None, [login_redirect_problem(response, url)])
    assert not mismatches, mismatches
    assert checked == len(get_urls(ctx, ids)) > 5
    if user is not None:
        assert client.get("/").status_code == 200  # still signed in: the 403s came from the policy, not a logout


def test_the_matrix_has_both_answers(ctx):
    """AC1 (b) is not vacuous: can() follows POLICY for real users, and some cells of it are refusals."""
    users = {role: make_user(role=role) for role in Role}
    granted = {role: {perm for perm in Perm if can(user, perm)} for role, user in users.items()}
    assert granted == {role: set(POLICY[role]) for role in Role}
    assert all(granted[role] != set(Perm) for role in Role)  # everyone meets a 403 somewhere


def test_a_stranger_asking_for_a_fragment_is_told_to_sign_in_by_htmx(client, ids):
    """AC1 (b): htmx requests get 401 + HX-Redirect (a fragment must not turn into a login form)."""
    response = client.get(f"/admin/users/{ids['user_id']}/row", headers={"HX-Request": "true"})
    assert response.status_code == 401
    target = urlsplit(response.headers["HX-Redirect"])
    assert target.path == "/login" and parse_qs(target.query)["next"] == [f"/admin/users/{ids['user_id']}/row"]


def test_a_deactivated_account_reaches_nothing_behind_a_permission(ctx, client, ids):
    """AC1 (b): the matrix is for active accounts; deactivation ends the session and every permission."""
    admin = make_user(role="admin")
    signed_in(client, admin)
    accounts.set_user_active(None, admin, False)
    db.session.commit()
    assert not can(admin, Perm.USE_APP)
    assert client.get("/admin/users/").status_code == 302


# --- (c) a route without a policy fails closed -----------------------------------------------------------------


def test_a_new_route_without_a_policy_is_refused_even_to_an_admin(ctx, make_app):
    """AC1 (c): forgetting @requires/@public gives 403 to everyone, and (a) names the route."""
    app = make_app()
    calls = []

    def forgotten():
        calls.append(1)
        return "secret"

    app.add_url_rule("/forgotten", "forgotten", forgotten)
    assert endpoints_without_policy(app) == ["forgotten"]

    admin = make_user(role="admin")
    browser = signed_in(app.test_client(), admin)
    assert browser.get("/").status_code == 200  # the admin is signed in and may use the app
    response = browser.get("/forgotten")
    assert response.status_code == 403
    assert "secret" not in response.text
    assert app.test_client().get("/forgotten").status_code == 403  # strangers too, not a login redirect
    assert calls == []  # the view never ran


def test_a_new_route_with_a_policy_is_served(ctx, make_app):
    """AC1 (c), the other side: the same route declaring its policy is served by that policy."""
    app = make_app()

    @requires(Perm.VIEW_AUDIT)
    def audited():
        return "audited"

    app.add_url_rule("/audited", "audited", audited)
    assert endpoints_without_policy(app) == []
    assert signed_in(app.test_client(), make_user(role="admin")).get("/audited").text == "audited"
    assert signed_in(app.test_client(), make_user(role="supervisor")).get("/audited").status_code == 403
