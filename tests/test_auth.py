"""Sign-in, sign-out and sessions: RELIABILITY A1, A3, A4, S2, S3, S5, L1, X8 and the session lifetimes."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from planapp.accounts.models import LoginThrottle, User
from planapp.audit.models import AuditEvent
from planapp.core import clock
from planapp.extensions import db
from tests.factories import PASSWORD, login, make_user, signed_in

WRONG_CREDENTIALS_FA = "رایانامه یا گذرواژه درست نیست."
LOCKED_FA = "ورود با این رایانامه به مدت ۱۵ دقیقه قفل شد"  # digits come from the message's own numbers


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


# --- A1: password storage -------------------------------------------------------------------------------


def test_password_is_stored_as_argon2id_with_owasp_parameters(ctx):
    user = make_user()
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored


def test_legacy_pbkdf2_hash_is_upgraded_at_next_sign_in(client):
    user = make_user()
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:600000")
    db.session.commit()
    assert login(client, user).status_code == 302
    assert db.session.get(User, user.id).password_hash.startswith("$argon2id$")


# --- sign-in ---------------------------------------------------------------------------------------------


def test_sign_in_redirects_to_dashboard_and_records_it(client):
    user = make_user(name="زهرا حسینی")
    response = login(client, user)
    assert response.status_code == 302 and response.location == "/"
    assert "زهرا حسینی" in client.get("/").text
    assert db.session.get(User, user.id).last_login_at is not None
    assert "auth.login" in actions()


def test_wrong_password_is_refused_in_persian(client):
    user = make_user()
    response = login(client, user, "not-the-password")
    assert response.status_code == 200
    assert WRONG_CREDENTIALS_FA in response.text
    assert client.get("/").status_code == 302  # still signed out


def test_email_is_case_and_space_insensitive(client):
    user = make_user(email="Mixed.Case@Example.ir")
    assert login(client, "  mixed.case@EXAMPLE.ir ").status_code == 302
    assert user.email == "mixed.case@example.ir"


# --- A3: brute force -------------------------------------------------------------------------------------


def test_account_locks_after_repeated_failures_and_says_so(client):
    user = make_user()
    for _ in range(4):
        assert WRONG_CREDENTIALS_FA in login(client, user, "wrong-password").text
    fifth = login(client, user, "wrong-password")
    assert "قفل شد" in fifth.text
    # Locked: even the right password is refused, with the same message.
    right = login(client, user)
    assert right.status_code == 200 and "قفل شد" in right.text
    assert "auth.login_locked" in actions()


def test_lock_ends_after_fifteen_minutes(client):
    user = make_user()
    for _ in range(5):
        login(client, user, "wrong-password")
    clock.freeze(clock.now() + timedelta(minutes=14))
    assert login(client, user).status_code == 200
    clock.freeze(clock.now() + timedelta(minutes=2))
    assert login(client, user).status_code == 302
    assert db.session.get(LoginThrottle, user.email) is None  # success clears the count


def test_per_ip_limit_answers_429_in_persian(make_app, ctx):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [login(client, f"nobody{i}@example.ir", "x").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    page = login(client, "nobody@example.ir", "x")
    assert page.status_code == 429 and "درخواست‌ها بیش از حد مجاز است" in page.text
    # Other apps (workers with their own settings) are not affected by this one's counts.
    assert ctx.extensions["planapp.ratelimit"] is not app.extensions["planapp.ratelimit"]


def test_per_ip_limit_is_shared_through_redis(make_app, ctx):
    """Two workers pointed at one Redis share the count (A3 'shared across workers')."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis not reachable on 127.0.0.1:6379")
    # A key prefix of its own: parallel test workers share this Redis server.
    settings = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per minute",
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379", "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    first, second = make_app(**settings), make_app(**settings)
    first.extensions["planapp.ratelimit"].storage.reset()
    try:
        a, b = first.test_client(), second.test_client()
        assert [login(a, "x@example.ir", "x").status_code, login(b, "x@example.ir", "x").status_code] == [200, 200]
        assert login(a, "x@example.ir", "x").status_code == 429
        assert login(b, "x@example.ir", "x").status_code == 429
    finally:
        first.extensions["planapp.ratelimit"].storage.reset()


# --- A4: no user enumeration -----------------------------------------------------------------------------


def page_without(text: str, email: str) -> str:
    """The page with the typed e-mail and the (time-stamped) CSRF token blanked out."""
    text = re.sub(r'(X-CSRFToken": "|name="csrf_token" value=")[^"]+', r"\1TOKEN", text)
    return text.replace(email, "EMAIL")


def test_unknown_and_known_email_get_the_same_answer(client):
    user = make_user(email="known@example.ir")
    known = login(client, user, "wrong-password")
    unknown = login(client, "unknown@example.ir", "wrong-password")
    assert known.status_code == unknown.status_code == 200
    assert page_without(known.text, "known@example.ir") == page_without(unknown.text, "unknown@example.ir")


def test_unknown_email_locks_like_a_known_one(client):
    make_user(email="known@example.ir")
    answers = {}
    for email in ("known@example.ir", "ghost@example.ir"):
        for _ in range(5):
            response = login(client, email, "wrong-password")
        answers[email] = (response.status_code, page_without(response.text, email))
    assert answers["known@example.ir"] == answers["ghost@example.ir"]
    assert "قفل شد" in answers["ghost@example.ir"][1]


# --- X8: open redirects ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["//evil.com", "/\\evil.com", "https:evil.com", "https://evil.com/x", "javascript:alert(1)",
     "\\\\evil.com", "/%0d%0aLocation:%20http://evil.com", " //evil.com", "http:/evil.com", "evil.com"],
)
def test_next_never_leaves_the_site(client, target):
    user = make_user()
    response = client.post("/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    location = response.location
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    assert "\r" not in location and "\n" not in location
    # Resolved by a browser against our origin, the target stays on our host.
    assert urlsplit(urljoin("https://planapp.example/", location)).netloc == "planapp.example"


def test_next_keeps_a_same_site_path(client):
    user = make_user(role="admin")
    response = client.post("/login?next=/admin/users/?q=x", data={"email": user.email, "password": PASSWORD})
    assert response.location == "/admin/users/?q=x"


def test_language_switch_next_is_same_site_only(client):
    response = client.post("/language", data={"language": "en", "next": "//evil.com"})
    assert response.status_code == 302 and response.location == "/"


# --- S2, S3, S5: session life ----------------------------------------------------------------------------


def test_pre_login_cookie_is_not_authenticated_after_login(client):
    user = make_user()
    client.get("/login")
    before = client.get_cookie("planapp_session")
    signed_in(client, user)
    after = client.get_cookie("planapp_session")
    assert before is None or before.value != after.value
    replay = client.application.test_client()
    if before is not None:
        replay.set_cookie("planapp_session", before.value)
    assert replay.get("/").status_code == 302


PAGES = ["/", "/account/password", "/admin/agencies/", "/admin/users/", "/admin/audit/",
         "/admin/agencies/?status=all", "/admin/users/?status=all", "/admin/audit/?realm=auth",
         "/admin/users/?role=admin", "/admin/agencies/?q=a"]


def test_logout_revokes_a_copied_cookie(client):
    user = make_user(role="admin")
    signed_in(client, user)
    stolen = client.get_cookie("planapp_session").value
    assert client.get("/admin/users/").status_code == 200
    assert client.post("/logout").status_code == 302
    thief = client.application.test_client()
    thief.set_cookie("planapp_session", stolen)
    reached = [page for page in PAGES if thief.get(page).status_code == 200]
    assert reached == []


def test_deactivation_ends_the_users_open_session(client):
    admin, officer = make_user(role="admin"), make_user(role="officer")
    officer_client = client.application.test_client()
    signed_in(officer_client, officer)
    assert officer_client.get("/").status_code == 200
    signed_in(client, admin)
    assert client.post(f"/admin/users/{officer.id}/deactivate", headers={"HX-Request": "true"}).status_code == 200
    assert officer_client.get("/").status_code == 302


def test_password_change_ends_other_sessions_and_keeps_this_one(client):
    user = make_user()
    other = client.application.test_client()
    signed_in(other, user)
    signed_in(client, user)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a-new-long-password", "confirm": "a-new-long-password"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert "auth.password_changed" in actions()
    client.post("/logout")
    assert login(client, user, "a-new-long-password").status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(client):
    user = make_user()
    signed_in(client, user)
    stored = user.password_hash
    response = client.post("/account/password", data={
        "current_password": "not-it-at-all", "new_password": "a-new-long-password", "confirm": "a-new-long-password"})
    assert response.status_code == 200 and "گذرواژهٔ فعلی درست نیست." in response.text
    assert db.session.get(User, user.id).password_hash == stored


def test_idle_session_expires_after_thirty_minutes(make_app, ctx, monkeypatch):
    import planapp.web.security as security

    user = make_user()
    client = ctx.test_client()
    signed_in(client, user)
    real = security.time.time()
    monkeypatch.setattr(security.time, "time", lambda: real + 29 * 60)
    assert client.get("/").status_code == 200
    monkeypatch.setattr(security.time, "time", lambda: real + 29 * 60 + 31 * 60)
    response = client.get("/")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_session_ends_after_twelve_hours_even_when_active(ctx, monkeypatch):
    import planapp.web.security as security

    user = make_user()
    client = ctx.test_client()
    signed_in(client, user)
    real = security.time.time()
    for minutes in range(20, 12 * 60, 20):  # active every 20 minutes
        monkeypatch.setattr(security.time, "time", lambda m=minutes: real + m * 60)
        assert client.get("/").status_code == 200
    monkeypatch.setattr(security.time, "time", lambda: real + 12 * 3600 + 60)
    assert client.get("/").status_code == 302


def test_htmx_request_without_session_gets_hx_redirect(client):
    response = client.get("/admin/agencies/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")


# --- L1: security events logged, passwords never ---------------------------------------------------------


def test_security_events_are_logged_without_passwords(client, caplog):
    user = make_user()
    with caplog.at_level(logging.INFO, logger="planapp.security"):
        login(client, user, "wrong-secret-attempt")
        login(client, user)
        client.post("/account/password", data={
            "current_password": PASSWORD, "new_password": "another-long-secret", "confirm": "another-long-secret"})
        client.post("/logout")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for event in ("auth.login_failed", "auth.login", "auth.password_changed", "auth.logout"):
        assert event in logged
    for secret in ("wrong-secret-attempt", PASSWORD, "another-long-secret"):
        assert secret not in logged
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.startswith("auth."))).all()
    assert {e.action for e in events} >= {"auth.login_failed", "auth.login", "auth.password_changed", "auth.logout"}
    assert all(e.occurred_at and e.ip == "127.0.0.1" for e in events)
    stored = " ".join(f"{e.summary} {e.before} {e.after}" for e in events)
    assert all(secret not in stored for secret in ("wrong-secret-attempt", PASSWORD, "another-long-secret"))


def test_log_lines_cannot_be_forged_through_the_email_field(client, caplog):
    with caplog.at_level(logging.INFO, logger="planapp.security"):
        login(client, "a@example.ir\nauth.login email='admin@example.ir' user=1", "x")
    assert all("\n" not in record.getMessage() for record in caplog.records)
