"""Users admin (issue 2): create and edit in place through htmx, bad input, deactivation (never deletion) and its
effect on sign-in and open sessions (RELIABILITY S5), filters, the audit trail, and 403 for every other role."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from planapp.accounts import services
from planapp.accounts.models import User
from planapp.accounts.passwords import verify_password
from planapp.agencies.models import Agency
from planapp.audit.models import AuditEvent
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import ascii_digits
from planapp.extensions import db
from tests.factories import PASSWORD, login, make_agency, make_user, signed_in

HX = {"HX-Request": "true"}
NEW_PASSWORD = "a-new-users-password-7"

# The Persian texts, as messages.po has them.
REQUIRED_FA = "پر کردن این بخش الزامی است."
TOO_LONG_120_FA = "حداکثر 120 نویسه مجاز است."  # compared after folding digits
BAD_EMAIL_FA = "یک نشانی رایانامهٔ درست وارد کنید، مانند name@example.ir."
DUPLICATE_EMAIL_FA = "کاربری با این نشانی رایانامه از پیش وجود دارد."
PASSWORD_LENGTH_FA = "گذرواژه باید بین 10 تا 128 نویسه باشد."  # compared after folding digits
AGENCY_DEACTIVATED_FA = "این دستگاه غیرفعال است."
# WTForms' own Persian catalogue: a deactivated agency is not among the form's choices at all.
NOT_A_CHOICE_FA = "انتخاب درستی نیست."
WRONG_CREDENTIALS_FA = "رایانامه یا گذرواژه درست نیست."
NOT_YOURSELF_FA = "نمی‌توانید حساب خودتان را غیرفعال کنید."


# --- helpers ---------------------------------------------------------------------------------------------


def sign_in_admin(client) -> User:
    admin = make_user(role="admin", agency=make_agency("دفتر مدیریت سامانه"), email="admin@example.ir",
                      name="مدیر سامانه")
    signed_in(client, admin)
    return admin


def user_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def user_events(object_id: int | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.action.like("user.%")).order_by(AuditEvent.id)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    return list(db.session.scalars(query))


def new_user_data(agency: Agency, **changes) -> dict[str, str]:
    data = {"name": "رضا احمدی", "email": "reza@example.ir", "role": "officer", "agency_id": str(agency.id),
            "language": "fa", "password": NEW_PASSWORD}
    data.update({key: str(value) for key, value in changes.items()})
    return data


def edit_data(user: User, **changes) -> dict[str, str]:
    data = {"name": user.name, "email": user.email, "role": user.role.value, "agency_id": str(user.agency_id),
            "language": user.language}
    data.update({key: str(value) for key, value in changes.items()})
    return data


def row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="user-(\d+)"', html)]


def table(client, **params) -> str:
    response = client.get("/admin/users/", query_string=params, headers={**HX, "HX-Target": "user-table"})
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="user-table"' in response.text
    return response.text


def error_text(html: str) -> list[str]:
    return re.findall(r'<p class="error[^"]*"[^>]*>([^<]*)</p>', html)


# --- create ----------------------------------------------------------------------------------------------


def test_admin_creates_user_with_argon2id_password_and_audit(client):
    admin = sign_in_admin(client)
    agency = make_agency("اداره کل حفاظت محیط زیست")
    before = user_count()

    response = client.post("/admin/users/", data=new_user_data(agency, email=" Reza.Ahmadi@Example.IR ",
                                                                 role="supervisor", language="en"), headers=HX)

    assert response.status_code == 200
    assert "users-changed" in response.headers["HX-Trigger"]
    assert "<html" not in response.text and 'id="user-create"' in response.text
    assert "کاربر reza.ahmadi@example.ir ایجاد شد." in response.text
    assert NEW_PASSWORD not in response.text
    assert user_count() == before + 1

    user = db.session.scalar(sa.select(User).where(User.email == "reza.ahmadi@example.ir"))
    assert (user.name, user.role.value, user.agency_id, user.language, user.is_active) == (
        "رضا احمدی", "supervisor", agency.id, "en", True)
    assert user.password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, NEW_PASSWORD)

    [event] = user_events(user.id)
    assert (event.action, event.actor_id, event.actor_label, event.object_type) == (
        "user.create", admin.id, "admin@example.ir", "users")
    assert event.before is None
    assert event.after == {"email": "reza.ahmadi@example.ir", "name": "رضا احمدی", "role": "supervisor",
                           "agency_id": agency.id, "language": "en", "is_active": True}
    assert NEW_PASSWORD not in json.dumps(event.after, ensure_ascii=False)

    # The new account works.
    other = client.application.test_client()
    assert login(other, "reza.ahmadi@example.ir", NEW_PASSWORD).status_code == 302


def test_name_of_exactly_120_characters_and_password_of_10_are_accepted(client):
    sign_in_admin(client)
    agency = make_agency()
    response = client.post("/admin/users/", data=new_user_data(agency, name="ب" * 120, password="0123456789"),
                           headers=HX)
    assert response.status_code == 200 and error_text(response.text) == []
    assert db.session.scalar(sa.select(User).where(User.name == "ب" * 120)) is not None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", REQUIRED_FA),
        ({"name": "   "}, "name", REQUIRED_FA),
        ({"email": ""}, "email", REQUIRED_FA),
        ({"name": "ب" * 121}, "name", TOO_LONG_120_FA),
        ({"email": "reza.example.ir"}, "email", BAD_EMAIL_FA),
        ({"email": "reza@"}, "email", BAD_EMAIL_FA),
        ({"password": "123456789"}, "password", PASSWORD_LENGTH_FA),
        ({"password": ""}, "password", REQUIRED_FA),
        ({"agency_id": ""}, "agency_id", REQUIRED_FA),
    ],
    ids=["empty-name", "blank-name", "empty-email", "name-121-chars", "email-without-at", "email-without-domain",
         "password-9-chars", "no-password", "no-agency"],
)
def test_bad_input_shows_persian_error_and_saves_nothing(client, changes, field, message):
    sign_in_admin(client)
    agency = make_agency()
    before, events = user_count(), len(user_events())

    response = client.post("/admin/users/", data=new_user_data(agency, **changes), headers=HX)

    assert response.status_code == 200  # htmx 2 swaps only 2xx: the form comes back, open, with the error
    assert 'id="user-create"' in response.text and " open>" in response.text
    assert f'<p class="error" id="{field}-error">{message}</p>' in ascii_digits(response.text)
    assert "HX-Trigger" not in response.headers
    assert user_count() == before
    assert len(user_events()) == events


@pytest.mark.parametrize("typed", ["taken@example.ir", "TAKEN@Example.IR", "  Taken@example.ir "])
def test_duplicate_email_is_refused_whatever_its_case(client, typed):
    sign_in_admin(client)
    agency = make_agency()
    make_user(email="taken@example.ir", agency=agency)
    before, events = user_count(), len(user_events())

    response = client.post("/admin/users/", data=new_user_data(agency, email=typed), headers=HX)

    assert response.status_code == 200
    assert f'<p class="error" id="email-error">{DUPLICATE_EMAIL_FA}</p>' in response.text
    assert user_count() == before
    assert len(user_events()) == events


def test_deactivated_agency_is_refused(client):
    sign_in_admin(client)
    closed = make_agency("دستگاه منحل‌شده")
    closed.is_active = False
    db.session.commit()
    before, events = user_count(), len(user_events())

    page = client.get("/admin/users/").text
    assert f'<option value="{closed.id}"' not in page  # not offered at all

    response = client.post("/admin/users/", data=new_user_data(closed), headers=HX)  # forged

    assert response.status_code == 200
    assert f'<p class="error" id="agency_id-error">{NOT_A_CHOICE_FA}</p>' in response.text
    assert user_count() == before
    assert len(user_events()) == events


def test_service_refuses_deactivated_agency_with_persian_reason(ctx):
    closed = make_agency("دستگاه منحل‌شده")
    closed.is_active = False
    db.session.commit()
    data = {"email": "x@example.ir", "name": "کاربر", "role": "officer", "agency_id": closed.id, "language": "fa"}
    with pytest.raises(ValidationFailed) as refused:
        services.create_user(None, data, NEW_PASSWORD)
    assert refused.value.field == "agency_id"
    with ctx.test_request_context():
        assert str(refused.value.message) == AGENCY_DEACTIVATED_FA
    db.session.rollback()
    assert db.session.scalar(sa.select(User).where(User.email == "x@example.ir")) is None


# --- edit in place ---------------------------------------------------------------------------------------


def test_edit_returns_row_form_and_save_returns_row_with_audit(client):
    admin = sign_in_admin(client)
    agency, other_agency = make_agency("سازمان جهاد کشاورزی"), make_agency("سازمان صنعت، معدن و تجارت")
    user = make_user(role="officer", agency=agency, name="زهرا حسینی", email="zahra@example.ir")

    form = client.get(f"/admin/users/{user.id}/edit", headers=HX)
    assert form.status_code == 200 and "<html" not in form.text
    assert f'<tr id="user-{user.id}" class="editing">' in form.text
    assert 'value="زهرا حسینی"' in form.text and 'value="zahra@example.ir"' in form.text
    assert "password" not in form.text  # the row form never shows or changes a password

    saved = client.post(f"/admin/users/{user.id}", headers=HX, data=edit_data(
        user, name="زهرا حسینی‌نژاد", role="supervisor", agency_id=other_agency.id, email="Zahra.H@Example.ir"))
    assert saved.status_code == 200
    assert f'<tr id="user-{user.id}">' in saved.text and "editing" not in saved.text
    assert "زهرا حسینی‌نژاد" in saved.text and "سازمان صنعت، معدن و تجارت" in saved.text
    assert "کاربر zahra.h@example.ir ذخیره شد." in saved.text

    db.session.refresh(user)
    assert (user.name, user.role.value, user.agency_id, user.email) == (
        "زهرا حسینی‌نژاد", "supervisor", other_agency.id, "zahra.h@example.ir")
    [event] = [e for e in user_events(user.id) if e.action == "user.update"]
    assert (event.actor_id, event.actor_label) == (admin.id, admin.email)
    assert event.before == {"email": "zahra@example.ir", "name": "زهرا حسینی", "role": "officer",
                            "agency_id": agency.id}
    assert event.after == {"email": "zahra.h@example.ir", "name": "زهرا حسینی‌نژاد", "role": "supervisor",
                           "agency_id": other_agency.id}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, REQUIRED_FA),
        ({"name": "ب" * 121}, TOO_LONG_120_FA),
        ({"email": "nope"}, BAD_EMAIL_FA),
        ({"email": "OTHER@example.ir"}, DUPLICATE_EMAIL_FA),
    ],
    ids=["empty-name", "name-121-chars", "bad-email", "other-users-email"],
)
def test_bad_edit_keeps_the_form_with_the_error_and_changes_nothing(client, changes, message):
    sign_in_admin(client)
    make_user(email="other@example.ir")
    user = make_user(name="زهرا حسینی", email="zahra@example.ir")
    events = len(user_events())

    response = client.post(f"/admin/users/{user.id}", data=edit_data(user, **changes), headers=HX)

    assert response.status_code == 200
    assert f'<tr id="user-{user.id}" class="editing">' in response.text
    assert message in ascii_digits(response.text)
    db.session.refresh(user)
    assert (user.name, user.email) == ("زهرا حسینی", "zahra@example.ir")
    assert len(user_events()) == events


def test_moving_a_user_to_a_deactivated_agency_is_refused(client):
    sign_in_admin(client)
    user = make_user()
    closed = make_agency("دستگاه منحل‌شده")
    closed.is_active = False
    db.session.commit()
    response = client.post(f"/admin/users/{user.id}", data=edit_data(user, agency_id=closed.id), headers=HX)
    assert NOT_A_CHOICE_FA in response.text
    assert db.session.get(User, user.id).agency_id != closed.id


# --- deactivate / reactivate -----------------------------------------------------------------------------


def test_deactivate_signs_the_user_out_blocks_sign_in_and_reactivate_restores(client, ctx):
    admin = sign_in_admin(client)
    user = make_user(role="officer", email="officer@example.ir")
    theirs = signed_in(ctx.test_client(), user)  # the user's own browser, with an open session
    assert theirs.get("/").status_code == 200

    response = client.post(f"/admin/users/{user.id}/deactivate", headers=HX)
    assert response.status_code == 200
    assert f'<tr id="user-{user.id}" class="inactive">' in response.text
    assert f"/admin/users/{user.id}/reactivate" in response.text
    assert "کاربر officer@example.ir غیرفعال و از سامانه خارج شد." in response.text
    assert db.session.get(User, user.id).is_active is False

    # S5: the open session ends at its next request, for pages and for htmx fragments alike.
    page = theirs.get("/")
    assert page.status_code == 302 and page.location.startswith("/login")
    fragment = theirs.get("/", headers=HX)
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"].startswith("/login")

    # Signing in again fails with exactly the answer a wrong password gets: nothing tells the account exists.
    fresh = ctx.test_client()
    refused = login(fresh, user)
    wrong = login(ctx.test_client(), "officer@example.ir", "not-the-password")
    assert refused.status_code == wrong.status_code == 200
    assert WRONG_CREDENTIALS_FA in refused.text
    assert error_text(refused.text) == error_text(wrong.text)
    assert re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', refused.text) == re.findall(
        r'class="flash[^"]*"[^>]*>([^<]*)<', wrong.text)
    assert "غیرفعال" not in refused.text  # no "deactivated" hint
    assert fresh.get("/").status_code == 302

    # Not deleted: the row and its history stay.
    assert db.session.get(User, user.id) is not None

    response = client.post(f"/admin/users/{user.id}/reactivate", headers=HX)
    assert response.status_code == 200
    assert f'<tr id="user-{user.id}">' in response.text
    assert db.session.get(User, user.id).is_active is True
    assert login(ctx.test_client(), user).status_code == 302

    deactivate, reactivate = [e for e in user_events(user.id) if e.actor_id == admin.id]
    assert (deactivate.action, deactivate.before, deactivate.after) == (
        "user.deactivate", {"is_active": True}, {"is_active": False})
    assert (reactivate.action, reactivate.before, reactivate.after) == (
        "user.reactivate", {"is_active": False}, {"is_active": True})


def test_admin_cannot_deactivate_themself(client):
    admin = sign_in_admin(client)
    other = make_user(role="officer")

    rows = table(client)
    assert admin.id in row_ids(rows) and other.id in row_ids(rows)
    assert f"/admin/users/{admin.id}/deactivate" not in rows  # no button on one's own row
    assert f"/admin/users/{other.id}/deactivate" in rows

    response = client.post(f"/admin/users/{admin.id}/deactivate")
    assert response.status_code == 403
    assert NOT_YOURSELF_FA in response.text
    fragment = client.post(f"/admin/users/{admin.id}/deactivate", headers=HX)
    assert fragment.status_code == 403 and fragment.headers["HX-Retarget"] == "#flash"

    assert db.session.get(User, admin.id).is_active is True
    assert [e for e in user_events(admin.id) if e.action == "user.deactivate"] == []
    assert client.get("/").status_code == 200  # still signed in


def test_users_are_never_hard_deleted(client):
    sign_in_admin(client)
    user = make_user()
    rules = [rule for rule in client.application.url_map.iter_rules() if rule.rule.startswith("/admin/users")]
    assert rules
    for rule in rules:
        assert "DELETE" not in rule.methods, rule.rule
        assert "delete" not in rule.endpoint and "delete" not in rule.rule, rule.rule

    assert client.delete(f"/admin/users/{user.id}", headers=HX).status_code == 405
    assert client.post(f"/admin/users/{user.id}/delete", headers=HX).status_code == 404
    assert db.session.get(User, user.id) is not None


# --- filters and search ----------------------------------------------------------------------------------


def test_role_filter_status_filter_and_folding_search(client):
    admin = sign_in_admin(client)
    officer = make_user(role="officer", name="رضا احمدی", email="reza@example.ir")
    supervisor = make_user(role="supervisor", name="علی محمدی", email="ali@example.ir")
    viewer = make_user(role="viewer", name="مریم کریمی", email="maryam@example.ir")
    gone = make_user(role="officer", name="حسین نوری", email="hossein@example.ir")
    client.post(f"/admin/users/{gone.id}/deactivate", headers=HX)

    assert set(row_ids(table(client))) == {admin.id, officer.id, supervisor.id, viewer.id}
    assert set(row_ids(table(client, role="officer"))) == {officer.id}
    assert set(row_ids(table(client, role="supervisor"))) == {supervisor.id}
    assert set(row_ids(table(client, role="officer", status="inactive"))) == {gone.id}
    assert set(row_ids(table(client, role="officer", status="all"))) == {officer.id, gone.id}
    assert set(row_ids(table(client, role="no-such-role"))) == {admin.id, officer.id, supervisor.id, viewer.id}

    assert set(row_ids(table(client, q="علي"))) == {supervisor.id}  # Arabic yeh
    assert set(row_ids(table(client, q="كريمي"))) == {viewer.id}  # Arabic kaf and yeh
    assert set(row_ids(table(client, q="REZA@"))) == {officer.id}  # e-mail, any case
    assert set(row_ids(table(client, q="محمدی", role="officer"))) == set()  # filters combine
    empty = table(client, q="ناموجود")
    assert row_ids(empty) == [] and "کاربری یافت نشد." in empty


def test_users_list_paginates(client):
    admin = sign_in_admin(client)
    agency = make_agency()
    created = [make_user(agency=agency, name=f"کاربر شماره {n:02d}").id for n in range(1, 25)]
    per_page = client.application.config["PER_PAGE"]
    first, second = row_ids(table(client, page=1)), row_ids(table(client, page=2))
    assert len(first) == per_page and len(second) == 25 - per_page
    assert set(first) | set(second) == {*created, admin.id}


# --- access ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["officer", "supervisor", "participant", "viewer"])
def test_non_admin_gets_403_on_every_users_url(client, role):
    target = make_user(role="officer", name="هدف", email="target@example.ir")
    signed_in(client, make_user(role=role))
    before, events = user_count(), len(user_events())
    urls = [
        ("GET", "/admin/users/", None),
        ("GET", "/admin/users/?role=admin", None),
        ("POST", "/admin/users/", new_user_data(target.agency, email="new@example.ir")),
        ("GET", f"/admin/users/{target.id}/row", None),
        ("GET", f"/admin/users/{target.id}/edit", None),
        ("POST", f"/admin/users/{target.id}", edit_data(target, role="admin")),
        ("POST", f"/admin/users/{target.id}/deactivate", None),
        ("POST", f"/admin/users/{target.id}/reactivate", None),
    ]
    for method, url, data in urls:
        for headers in ({}, HX):
            response = client.open(url, method=method, data=data, headers=headers)
            assert response.status_code == 403, (method, url, headers)

    db.session.refresh(target)
    assert (target.role.value, target.is_active) == ("officer", True)
    assert user_count() == before
    assert len(user_events()) == events


def test_password_is_never_in_the_users_pages(client):
    sign_in_admin(client)
    user = make_user(password=PASSWORD)
    for url in ("/admin/users/", f"/admin/users/{user.id}/edit", f"/admin/users/{user.id}/row"):
        text = client.get(url, headers=HX if "row" in url or "edit" in url else {}).text
        assert PASSWORD not in text and "$argon2" not in text
