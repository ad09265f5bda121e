"""Error pages in the user's language, as full pages or htmx fragments; generic 500s and a required SECRET_KEY
in production (RELIABILITY L3)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask

import planapp
from planapp.config import DEV_SECRET_KEY
from planapp.extensions import db
from planapp.web.access import public
from tests.factories import make_user, signed_in

HX = {"HX-Request": "true"}
STRONG_KEY = "k" * 32


def is_full_page(html: str) -> bool:
    return "<html" in html and "</html>" in html


# --- 404 -------------------------------------------------------------------------------------------------


def test_404_page_is_persian_by_default(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert is_full_page(response.text)
    assert '<html lang="fa" dir="rtl">' in response.text
    assert "صفحه پیدا نشد" in response.text
    assert "صفحه یا موردی که خواستید وجود ندارد یا اجازهٔ دیدن آن را ندارید." in response.text
    assert "۴۰۴" in response.text  # the code in Persian digits
    assert "Not Found" not in response.text  # never Werkzeug's English page


def test_404_page_is_english_after_switching_language(client):
    switched = client.post("/language", data={"language": "en"})
    assert switched.status_code == 302

    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert '<html lang="en" dir="ltr">' in response.text
    assert "Page not found" in response.text
    assert "404" in response.text
    assert "صفحه پیدا نشد" not in response.text

    client.post("/language", data={"language": "fa"})
    assert "صفحه پیدا نشد" in client.get("/no-such-page").text


def test_404_for_a_missing_object_of_a_real_route(client):
    signed_in(client, make_user(role="admin"))
    response = client.get("/admin/users/999999/edit")
    assert response.status_code == 404 and "صفحه پیدا نشد" in response.text


# --- 403 -------------------------------------------------------------------------------------------------


def test_403_page_in_persian_with_the_reason(client):
    signed_in(client, make_user(role="officer", language="fa"))
    response = client.get("/admin/agencies/")
    assert response.status_code == 403
    assert is_full_page(response.text) and '<html lang="fa" dir="rtl">' in response.text
    assert "دسترسی مجاز نیست" in response.text
    assert "نقش شما اجازهٔ این کار را نمی‌دهد." in response.text


def test_403_page_in_the_users_own_language(client):
    # The language is the user's saved choice, not the session's default.
    signed_in(client, make_user(role="officer", language="en"))
    response = client.get("/admin/users/")
    assert response.status_code == 403
    assert '<html lang="en" dir="ltr">' in response.text
    assert "Access denied" in response.text
    assert "Your role does not allow this action." in response.text
    assert "دسترسی مجاز نیست" not in response.text


# --- htmx fragments --------------------------------------------------------------------------------------


def test_htmx_fragment_request_gets_a_small_error_fragment_in_flash(client):
    signed_in(client, make_user(role="officer"))
    response = client.get("/admin/agencies/", headers=HX)
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert not is_full_page(response.text) and "<body" not in response.text
    assert len(response.text) < 1000
    assert "دسترسی مجاز نیست" in response.text


def test_htmx_404_fragment_in_english(client):
    signed_in(client, make_user(role="admin", language="en"))
    response = client.get("/admin/agencies/999999/edit", headers=HX)
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#flash"
    assert not is_full_page(response.text)
    assert "Page not found" in response.text


def test_boosted_navigation_gets_the_full_error_page(client):
    signed_in(client, make_user(role="officer"))
    response = client.get("/admin/agencies/", headers={**HX, "HX-Boosted": "true"})
    assert response.status_code == 403
    assert "HX-Retarget" not in response.headers
    assert is_full_page(response.text) and "دسترسی مجاز نیست" in response.text


# --- production: 500 and SECRET_KEY (L3) -----------------------------------------------------------------


@pytest.fixture
def production_app(database_url: str, app: Flask) -> Iterator[Flask]:
    """The production configuration on the (migrated) test database, with a view that fails."""
    prod = planapp.create_app("production", {"SECRET_KEY": STRONG_KEY, "SQLALCHEMY_DATABASE_URI": database_url})

    def explode():
        raise RuntimeError("secret-detail")

    prod.add_url_rule("/explode", "explode", public(explode))
    yield prod
    with prod.app_context():
        db.engine.dispose()


def test_production_500_is_generic_and_leaks_nothing(production_app, caplog):
    assert not production_app.debug and not production_app.testing
    client = production_app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/explode")

    assert response.status_code == 500
    assert is_full_page(response.text) and '<html lang="fa" dir="rtl">' in response.text
    assert "خطایی رخ داد" in response.text
    assert "خطا ثبت شد. لطفاً بعداً دوباره تلاش کنید." in response.text
    for leak in ("secret-detail", "Traceback", "RuntimeError", "raise ", 'File "'):
        assert leak not in response.text, leak
    # …but the detail is recorded for the operators.
    assert any(r.exc_info and "secret-detail" in str(r.exc_info[1]) for r in caplog.records)


def test_production_500_for_htmx_is_a_fragment(production_app):
    response = production_app.test_client().get("/explode", headers=HX)
    assert response.status_code == 500
    assert response.headers["HX-Retarget"] == "#flash"
    assert not is_full_page(response.text)
    assert "خطایی رخ داد" in response.text
    assert "secret-detail" not in response.text and "Traceback" not in response.text


@pytest.mark.parametrize("key", [DEV_SECRET_KEY, "", "short-key", "k" * 31], ids=["default", "empty", "short", "31"])
def test_production_refuses_to_start_without_a_strong_secret_key(key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        planapp.create_app("production", {"SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_a_32_character_secret_key():
    prod = planapp.create_app("production", {"SECRET_KEY": STRONG_KEY, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    with prod.app_context():
        db.engine.dispose()
