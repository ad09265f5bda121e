"""The audit log page: every change with who, when, what and before → after; admins only."""

from __future__ import annotations

from tests.factories import make_agency, make_user, signed_in


def test_admin_sees_changes_with_before_and_after(client):
    admin = make_user(role="admin", email="boss@example.ir")
    agency = make_agency(name="اداره کل منابع طبیعی")
    signed_in(client, admin)
    client.post(f"/admin/agencies/{agency.id}", headers={"HX-Request": "true"},
                data={"name": "اداره کل منابع طبیعی و آبخیزداری", "kind": "government"})
    page = client.get("/admin/audit/?realm=agency")
    assert page.status_code == 200
    assert "agency.update" in page.text and "boss@example.ir" in page.text
    assert "اداره کل منابع طبیعی → اداره کل منابع طبیعی و آبخیزداری" in page.text
    assert "auth.login" not in page.text  # the realm filter keeps sign-ins out


def test_sign_in_events_are_listed_under_security(client):
    admin = make_user(role="admin", email="boss@example.ir")
    signed_in(client, admin)
    page = client.get("/admin/audit/?realm=auth")
    assert "auth.login" in page.text and "127.0.0.1" in page.text


def test_search_finds_events_by_person(client):
    admin = make_user(role="admin", email="boss@example.ir")
    make_user(email="someone@example.ir")
    signed_in(client, admin)
    page = client.get("/admin/audit/?q=someone")
    assert "someone@example.ir" in page.text and "boss@example.ir" not in page.text.split("<tbody>")[1]


def test_audit_log_pages_without_counting_every_row(client):
    admin = make_user(role="admin")
    for n in range(55):
        make_agency(name=f"دستگاه {n}")
    signed_in(client, admin)
    first = client.get("/admin/audit/")
    assert 'rel="next"' in first.text
    second = client.get("/admin/audit/?page=2")
    assert second.status_code == 200 and 'rel="prev"' in second.text


def test_non_admins_cannot_read_the_audit_log(client):
    for role in ("supervisor", "officer", "participant", "viewer"):
        other = client.application.test_client()
        signed_in(other, make_user(role=role))
        assert other.get("/admin/audit/").status_code == 403
