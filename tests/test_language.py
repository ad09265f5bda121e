"""Persian by default, English on request, and the choice remembered per user."""

from __future__ import annotations

from planapp.accounts.models import User
from planapp.extensions import db
from tests.factories import login, make_user, signed_in


def test_anonymous_pages_are_persian_rtl_by_default(client):
    page = client.get("/login")
    assert '<html lang="fa" dir="rtl">' in page.text
    assert "ورود به سامانهٔ برنامه‌ریزی توسعهٔ استان" in page.text


def test_switching_to_english_before_sign_in(client):
    response = client.post("/language", data={"language": "en", "next": "/login"})
    assert response.status_code == 302 and response.location == "/login"
    page = client.get("/login")
    assert '<html lang="en" dir="ltr">' in page.text and "Sign in to PlanApp" in page.text


def test_language_choice_is_remembered_for_the_user(client):
    user = make_user(name="Sara Nouri")
    signed_in(client, user)
    client.post("/language", data={"language": "en", "next": "/"})
    assert db.session.get(User, user.id).language == "en"
    client.post("/logout")
    # A new browser (no session cookie) gets the user's language as soon as they sign in.
    fresh = client.application.test_client()
    assert 'lang="fa"' in fresh.get("/login").text
    login(fresh, user)
    page = fresh.get("/")
    assert '<html lang="en" dir="ltr">' in page.text and "Hello, Sara Nouri" in page.text
    assert "2026" not in page.text or "۲۰۲۶" not in page.text  # English pages use ASCII digits


def test_unknown_language_is_ignored(client):
    user = make_user()
    signed_in(client, user)
    client.post("/language", data={"language": "de", "next": "/"})
    assert db.session.get(User, user.id).language == "fa"
    assert 'lang="fa"' in client.get("/").text


def test_english_dates_are_gregorian_and_persian_dates_jalali(client):
    user = make_user(role="admin")
    signed_in(client, user)
    persian = client.get("/admin/audit/").text
    assert "۱۴۰" in persian  # Jalali year in Persian digits
    client.post("/language", data={"language": "en", "next": "/"})
    english = client.get("/admin/audit/").text
    assert "20" in english and "۱۴۰" not in english
