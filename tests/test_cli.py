"""Command-line tools: `flask seed-demo` (idempotent, prints the demo logins), `flask create-user`,
`flask create-agency`."""

from __future__ import annotations

import contextvars

import pytest
import sqlalchemy as sa
from click.testing import Result

from planapp.accounts.models import User
from planapp.accounts.passwords import verify_password
from planapp.agencies.models import Agency
from planapp.audit.models import AuditEvent
from planapp.core.permissions import Role
from planapp.demo import AGENCIES, DEMO_PASSWORD, USERS, demo_email
from planapp.extensions import db
from tests.factories import login, make_agency

CLI_PASSWORD = "cli-password-2026"


def invoke(app, *args: str) -> Result:
    """Run a command as `flask …` does: in its own application context (and database session)."""
    db.session.commit()

    def run() -> Result:
        with app.app_context():
            return app.test_cli_runner().invoke(args=list(args))

    result = contextvars.Context().run(run)
    db.session.expire_all()
    return result


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def create_user_args(agency: str = "سازمان آزمون", **options: str) -> list[str]:
    values = {"email": "first.admin@example.ir", "name": "مدیر نخست", "role": "admin", "agency": agency,
              "password": CLI_PASSWORD, **options}
    args = ["create-user"]
    for name, value in values.items():
        args += [f"--{name}", value]
    return args


# --- seed-demo -------------------------------------------------------------------------------------------


def test_seed_demo_is_idempotent_and_prints_every_roles_login(ctx):
    first = invoke(ctx, "seed-demo")
    assert first.exit_code == 0, first.output
    counts = (count(Agency), count(User), count(AuditEvent))
    assert counts[0] == len(AGENCIES) and counts[1] == len(USERS)

    second = invoke(ctx, "seed-demo")
    assert second.exit_code == 0, second.output
    assert (count(Agency), count(User), count(AuditEvent)) == counts  # nothing added, nothing changed

    for output in (first.output, second.output):
        assert DEMO_PASSWORD in output
        lines = output.splitlines()
        for role in Role:
            assert any(role.value in line and "@" in line for line in lines), role
        for demo in USERS:
            assert any(demo_email(demo.email) in line and demo.role.value in line for line in lines), demo.email


def test_seed_demo_reuses_agencies_typed_with_arabic_letters(ctx):
    # An installation where someone already typed the planning organization with Arabic yeh and kaf.
    make_agency("سازمان مديريت و برنامهريزي استان آذربايجان شرقي")
    result = invoke(ctx, "seed-demo")
    assert result.exit_code == 0, result.output
    assert count(Agency) == len(AGENCIES)  # not one more


def test_demo_logins_work(client):
    assert invoke(client.application, "seed-demo").exit_code == 0
    admin = db.session.scalar(sa.select(User).where(User.email == demo_email("admin")))
    assert admin.role == Role.ADMIN and admin.password_hash.startswith("$argon2id$")
    assert login(client, demo_email("admin"), DEMO_PASSWORD).status_code == 302
    assert client.get("/admin/users/").status_code == 200


def test_the_demo_plan_past_analysis_shows_a_real_closed_round(client):
    """The monitored demo plan left analysis after a scoring round its agencies scored: results, agreement and
    the two top-ranked candidates confirmed, readable on the results page."""
    from planapp.plans.models import Plan
    from planapp.scoring import queries, rounds

    assert invoke(client.application, "seed-demo").exit_code == 0
    plan = db.session.scalar(sa.select(Plan).where(Plan.stage == "monitoring"))
    results = queries.get_active_matrix(plan.id).results
    assert len(results["scorers"]) == 3 and all(s["cells"] == 9 for s in results["scorers"])
    assert results["kendall_w"] is not None and not results["not_scored"]
    top_two = [c["id"] for c in results["candidates"][:2]]
    assert sorted(c.id for c in rounds.confirmed_cores(plan.id)) == sorted(top_two)
    assert login(client, demo_email("supervisor"), DEMO_PASSWORD).status_code == 302
    page = client.get(f"/plans/{plan.id}/scoring/results").text
    assert 'id="results-agreement"' in page and 'id="results-ranking-table"' in page
    assert all(c["name"] in page for c in results["candidates"])


# --- create-user -----------------------------------------------------------------------------------------


def test_create_user_in_an_existing_agency(ctx):
    agency = make_agency("سازمان آزمون")
    result = invoke(ctx, *create_user_args())

    assert result.exit_code == 0, result.output
    assert "first.admin@example.ir" in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "first.admin@example.ir"))
    assert (user.name, user.role, user.agency_id, user.is_active) == ("مدیر نخست", Role.ADMIN, agency.id, True)
    assert user.password_hash.startswith("$argon2id$") and CLI_PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, CLI_PASSWORD)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.create",
                                                          AuditEvent.object_id == user.id))
    assert event is not None and event.actor_id is None  # done from the command line


def test_create_user_finds_the_agency_however_its_name_is_typed(ctx):
    agency = make_agency("سازمان جهاد کشاورزی")
    result = invoke(ctx, *create_user_args(agency="سازمان جهاد كشاورزي"))  # Arabic kaf and yeh
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.agency_id).where(User.email == "first.admin@example.ir")) == agency.id


def test_create_user_refuses_an_unknown_agency(ctx):
    make_agency("سازمان آزمون")
    result = invoke(ctx, *create_user_args(agency="سازمانی که نیست"))
    assert result.exit_code != 0
    assert "No agency named" in result.output and "سازمانی که نیست" in result.output
    assert "Traceback" not in result.output
    assert count(User) == 0


def test_create_user_refuses_a_short_password(ctx):
    make_agency("سازمان آزمون")
    result = invoke(ctx, *create_user_args(password="short-pw9"))
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert count(User) == 0


@pytest.mark.parametrize("email", ["first.admin@example.ir", "First.Admin@EXAMPLE.ir"])
def test_create_user_refuses_a_duplicate_email(ctx, email):
    make_agency("سازمان آزمون")
    assert invoke(ctx, *create_user_args()).exit_code == 0
    events = count(AuditEvent)

    result = invoke(ctx, *create_user_args(email=email, name="کسی دیگر"))

    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)  # a clean refusal, not a crash
    assert "کاربری با این نشانی رایانامه از پیش وجود دارد." in result.output
    assert count(User) == 1 and count(AuditEvent) == events


def test_create_user_refuses_a_deactivated_agency(ctx):
    agency = make_agency("سازمان آزمون")
    agency.is_active = False
    db.session.commit()
    result = invoke(ctx, *create_user_args())
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert "این دستگاه غیرفعال است." in result.output
    assert count(User) == 0


def test_create_user_refuses_an_unknown_role(ctx):
    make_agency("سازمان آزمون")
    result = invoke(ctx, *create_user_args(role="superuser"))
    assert result.exit_code != 0 and "superuser" in result.output
    assert count(User) == 0


# --- create-agency ---------------------------------------------------------------------------------------


def test_create_agency(ctx):
    result = invoke(ctx, "create-agency", "--name", "سازمان مدیریت و برنامه‌ریزی", "--name-en",
                    "Management and Planning Organization", "--kind", "government", "--email", "MPO@Example.ir")
    assert result.exit_code == 0, result.output
    agency = db.session.scalar(sa.select(Agency))
    assert (agency.name, agency.name_en, agency.kind.value, agency.email, agency.is_active) == (
        "سازمان مدیریت و برنامه‌ریزی", "Management and Planning Organization", "government", "mpo@example.ir", True)
    assert str(agency.id) in result.output
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_id == agency.id)) == "agency.create"

    # Then the first admin can be created in it.
    assert invoke(ctx, *create_user_args(agency="سازمان مدیریت و برنامه‌ریزی")).exit_code == 0


def test_create_agency_refuses_a_duplicate_name(ctx):
    assert invoke(ctx, "create-agency", "--name", "سازمان جهاد کشاورزی", "--kind", "government").exit_code == 0
    result = invoke(ctx, "create-agency", "--name", "سازمان جهاد كشاورزي", "--kind", "ngo")
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert "دستگاهی با این نام از پیش وجود دارد." in result.output
    assert count(Agency) == 1


def test_create_agency_refuses_an_unknown_kind(ctx):
    result = invoke(ctx, "create-agency", "--name", "سازمان تازه", "--kind", "ministry")
    assert result.exit_code != 0
    assert count(Agency) == 0
