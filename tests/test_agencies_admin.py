"""Agencies admin (issue 2): create and edit in place through htmx, bad input, cycles, deactivation, search,
pagination, the audit trail, and 403 for every other role."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from planapp.accounts.models import User
from planapp.agencies.models import Agency
from planapp.audit.models import AuditEvent
from planapp.core.i18n import ascii_digits
from planapp.extensions import db
from tests.factories import make_agency, make_user, signed_in

HX = {"HX-Request": "true"}

# The Persian texts, as messages.po has them.
REQUIRED_FA = "پر کردن این بخش الزامی است."
TOO_LONG_200_FA = "حداکثر 200 نویسه مجاز است."  # compared after folding digits: ۲۰۰ or 200 both pass
BAD_EMAIL_FA = "یک نشانی رایانامهٔ درست وارد کنید، مانند name@example.ir."
DUPLICATE_FA = "دستگاهی با این نام از پیش وجود دارد."
CYCLE_FA = "یک دستگاه نمی‌تواند زیرمجموعهٔ خودش باشد."
NO_MATCH_FA = "دستگاهی یافت نشد."


# --- helpers ---------------------------------------------------------------------------------------------


def sign_in_admin(client):
    admin = make_user(role="admin", agency=make_agency("دفتر مدیریت سامانه"), email="admin@example.ir")
    signed_in(client, admin)
    return admin


def agency_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Agency))


def agency_events() -> list[AuditEvent]:
    return list(
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("agency.%")).order_by(AuditEvent.id))
    )


def form_data(agency: Agency | None = None, **changes) -> dict[str, str]:
    """What the browser sends: every field of the form, as text."""
    data = {"name": "", "name_en": "", "kind": "government", "parent_id": "", "email": ""}
    if agency is not None:
        data.update(name=agency.name, name_en=agency.name_en or "", kind=agency.kind.value,
                    parent_id=str(agency.parent_id or ""), email=agency.email or "")
    data.update({key: "" if value is None else str(value) for key, value in changes.items()})
    return data


def row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="agency-(\d+)"', html)]


def table(client, **params):
    """The agencies table as htmx asks for it (search box, pager)."""
    response = client.get("/admin/agencies/", query_string=params, headers={**HX, "HX-Target": "agency-table"})
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="agency-table"' in response.text
    return response


def by_name(name: str) -> Agency | None:
    return db.session.scalar(sa.select(Agency).where(Agency.name == name))


# --- create ----------------------------------------------------------------------------------------------


def test_admin_creates_agency_through_htmx_and_it_is_audited(client):
    admin = sign_in_admin(client)
    parent = make_agency("سازمان مدیریت و برنامه‌ریزی استان")
    before = agency_count()

    response = client.post(
        "/admin/agencies/",
        data=form_data(name="  اداره کل حفاظت محیط زیست  ", name_en="Environment Office", kind="government",
                       parent_id=parent.id, email=" Env@Example.IR "),
        headers=HX,
    )

    assert response.status_code == 200
    assert "agencies-changed" in response.headers["HX-Trigger"]  # the table refreshes itself
    assert "<html" not in response.text and 'id="agency-create"' in response.text
    assert "دستگاه «اداره کل حفاظت محیط زیست» ایجاد شد." in response.text  # flash, out of band
    assert 'value="اداره کل حفاظت محیط زیست"' not in response.text  # a fresh, empty form
    assert agency_count() == before + 1
    agency = by_name("اداره کل حفاظت محیط زیست")
    assert agency is not None
    assert (agency.name_en, agency.kind.value, agency.parent_id, agency.email, agency.is_active) == (
        "Environment Office", "government", parent.id, "env@example.ir", True)

    [event] = [e for e in agency_events() if e.object_id == agency.id]
    assert (event.action, event.actor_id, event.actor_label) == ("agency.create", admin.id, "admin@example.ir")
    assert (event.object_type, event.object_id) == ("agencies", agency.id)
    assert event.occurred_at is not None
    assert event.before is None
    assert event.after == {"name": "اداره کل حفاظت محیط زیست", "name_en": "Environment Office",
                           "kind": "government", "parent_id": parent.id, "email": "env@example.ir",
                           "is_active": True}


def test_name_of_exactly_200_characters_is_accepted(client):
    sign_in_admin(client)
    response = client.post("/admin/agencies/", data=form_data(name="ب" * 200), headers=HX)
    assert response.status_code == 200
    assert by_name("ب" * 200) is not None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", REQUIRED_FA),
        ({"name": "   "}, "name", REQUIRED_FA),
        ({"name": "ب" * 201}, "name", TOO_LONG_200_FA),
        ({"name": "دستگاه نو", "email": "not-an-email"}, "email", BAD_EMAIL_FA),
        ({"name": "دستگاه نو", "email": "name@"}, "email", BAD_EMAIL_FA),
    ],
    ids=["empty-name", "blank-name", "name-201-chars", "email-without-at", "email-without-domain"],
)
def test_bad_input_shows_persian_error_and_saves_nothing(client, changes, field, message):
    sign_in_admin(client)
    before, events = agency_count(), len(agency_events())

    response = client.post("/admin/agencies/", data=form_data(**changes), headers=HX)

    # htmx 2 does not swap 4xx: the form comes back with status 200, open, the error under its field.
    assert response.status_code == 200
    assert 'id="agency-create"' in response.text and " open>" in response.text
    assert f'<p class="error" id="{field}-error">{message}</p>' in ascii_digits(response.text)
    assert "HX-Trigger" not in response.headers
    assert agency_count() == before
    assert len(agency_events()) == events


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("سازمان جهاد کشاورزی", "سازمان جهاد کشاورزی"),  # the very same name
        ("سازمان جهاد کشاورزی", "سازمان جهاد كشاورزي"),  # Arabic kaf and yeh
        ("سازمان مدیریت و برنامه‌ریزی", "سازمان مدیریت و برنامهریزی"),  # without the zero-width non-joiner
        ("سازمان مدیریت و برنامه‌ریزی", "سازمان  مديريت و برنامه\u200cريزي "),  # both, and extra spaces
    ],
    ids=["same", "arabic-letters", "no-zwnj", "arabic-letters-zwnj-spaces"],
)
def test_duplicate_name_is_refused_even_when_typed_differently(client, existing, typed):
    sign_in_admin(client)
    make_agency(existing)
    before, events = agency_count(), len(agency_events())

    response = client.post("/admin/agencies/", data=form_data(name=typed), headers=HX)

    assert response.status_code == 200
    assert f'<p class="error" id="name-error">{DUPLICATE_FA}</p>' in response.text
    assert agency_count() == before
    assert len(agency_events()) == events


# --- edit in place ---------------------------------------------------------------------------------------


def test_edit_returns_the_row_form_and_save_returns_the_row(client):
    admin = sign_in_admin(client)
    agency = make_agency("اداره کل راه", email="roads@example.ir")

    form = client.get(f"/admin/agencies/{agency.id}/edit", headers=HX)
    assert form.status_code == 200
    assert "<html" not in form.text
    assert f'<tr id="agency-{agency.id}" class="editing">' in form.text
    assert 'value="اداره کل راه"' in form.text and 'value="roads@example.ir"' in form.text
    assert f'hx-post="/admin/agencies/{agency.id}"' in form.text

    saved = client.post(f"/admin/agencies/{agency.id}",
                        data=form_data(agency, name="اداره کل راه و شهرسازی", kind="non_government"), headers=HX)
    assert saved.status_code == 200
    assert f'<tr id="agency-{agency.id}">' in saved.text  # the plain row, not the form
    assert "editing" not in saved.text
    assert "اداره کل راه و شهرسازی" in saved.text
    assert "دستگاه «اداره کل راه و شهرسازی» ذخیره شد." in saved.text

    db.session.refresh(agency)
    assert (agency.name, agency.kind.value, agency.email) == ("اداره کل راه و شهرسازی", "non_government",
                                                               "roads@example.ir")
    [event] = [e for e in agency_events() if e.action == "agency.update"]
    assert (event.actor_id, event.actor_label, event.object_id) == (admin.id, admin.email, agency.id)
    # Only what changed, before → after.
    assert event.before == {"name": "اداره کل راه", "kind": "government"}
    assert event.after == {"name": "اداره کل راه و شهرسازی", "kind": "non_government"}


def test_cancel_returns_the_unchanged_row(client):
    sign_in_admin(client)
    agency = make_agency("اداره کل راه")
    response = client.get(f"/admin/agencies/{agency.id}/row", headers=HX)
    assert response.status_code == 200
    assert f'<tr id="agency-{agency.id}">' in response.text and "اداره کل راه" in response.text


def test_saving_nothing_new_writes_no_audit_event(client):
    sign_in_admin(client)
    agency = make_agency("اداره کل راه")
    events = len(agency_events())
    response = client.post(f"/admin/agencies/{agency.id}", data=form_data(agency), headers=HX)
    assert response.status_code == 200
    assert len(agency_events()) == events


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, REQUIRED_FA),
        ({"name": "ب" * 201}, TOO_LONG_200_FA),
        ({"email": "bad@"}, BAD_EMAIL_FA),
        ({"name": "سازمان جهاد كشاورزي"}, DUPLICATE_FA),  # another agency's name, in Arabic letters
    ],
    ids=["empty-name", "name-201-chars", "bad-email", "other-agencys-name"],
)
def test_bad_edit_keeps_the_form_with_the_error_and_changes_nothing(client, changes, message):
    sign_in_admin(client)
    make_agency("سازمان جهاد کشاورزی")
    agency = make_agency("اداره کل راه", email="roads@example.ir")
    events = len(agency_events())

    response = client.post(f"/admin/agencies/{agency.id}", data=form_data(agency, **changes), headers=HX)

    assert response.status_code == 200
    assert f'<tr id="agency-{agency.id}" class="editing">' in response.text
    assert message in ascii_digits(response.text)
    db.session.refresh(agency)
    assert (agency.name, agency.email) == ("اداره کل راه", "roads@example.ir")
    assert len(agency_events()) == events


def test_edit_of_a_missing_agency_is_404(client):
    sign_in_admin(client)
    assert client.get("/admin/agencies/999999/edit", headers=HX).status_code == 404
    assert client.post("/admin/agencies/999999", data=form_data(name="هیچ"), headers=HX).status_code == 404


# --- parents ---------------------------------------------------------------------------------------------


def test_parent_cycles_are_refused(client):
    sign_in_admin(client)
    a, b, c = make_agency("دستگاه الف"), make_agency("دستگاه ب"), make_agency("دستگاه ج")

    # A under B: fine.
    response = client.post(f"/admin/agencies/{a.id}", data=form_data(a, parent_id=b.id), headers=HX)
    assert response.status_code == 200 and "editing" not in response.text
    assert db.session.get(Agency, a.id).parent_id == b.id
    events = len(agency_events())

    # Then B under A: a cycle.
    response = client.post(f"/admin/agencies/{b.id}", data=form_data(b, parent_id=a.id), headers=HX)
    assert response.status_code == 200
    assert f'<tr id="agency-{b.id}" class="editing">' in response.text
    assert CYCLE_FA in response.text
    assert db.session.get(Agency, b.id).parent_id is None
    assert len(agency_events()) == events

    # A longer loop: B under C is fine, then C under A would close A → B → C → A.
    assert client.post(f"/admin/agencies/{b.id}", data=form_data(b, parent_id=c.id), headers=HX).status_code == 200
    assert db.session.get(Agency, b.id).parent_id == c.id
    events = len(agency_events())
    response = client.post(f"/admin/agencies/{c.id}", data=form_data(c, parent_id=a.id), headers=HX)
    assert CYCLE_FA in response.text
    assert db.session.get(Agency, c.id).parent_id is None
    assert len(agency_events()) == events


def test_an_agency_is_not_offered_as_its_own_parent(client):
    sign_in_admin(client)
    agency = make_agency("دستگاه الف")
    form = client.get(f"/admin/agencies/{agency.id}/edit", headers=HX).text
    assert f'<option value="{agency.id}"' not in form
    response = client.post(f"/admin/agencies/{agency.id}", data=form_data(agency, parent_id=agency.id), headers=HX)
    assert 'class="editing"' in response.text
    assert db.session.get(Agency, agency.id).parent_id is None


# --- deactivate / reactivate -----------------------------------------------------------------------------


def test_deactivate_hides_the_agency_keeps_its_users_and_reactivate_brings_it_back(client):
    admin = sign_in_admin(client)
    agency = make_agency("اداره کل میراث فرهنگی")
    member = make_user(agency=agency, name="سارا نوری")
    users_before = db.session.scalar(sa.select(sa.func.count()).select_from(User))

    response = client.post(f"/admin/agencies/{agency.id}/deactivate", headers=HX)
    assert response.status_code == 200
    assert f'<tr id="agency-{agency.id}" class="inactive">' in response.text
    assert f'/admin/agencies/{agency.id}/reactivate' in response.text
    assert "دستگاه «اداره کل میراث فرهنگی» غیرفعال شد." in response.text

    assert db.session.get(Agency, agency.id).is_active is False
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users_before
    assert db.session.get(User, member.id).agency_id == agency.id

    assert agency.id not in row_ids(table(client).text)  # default: active only
    assert agency.id in row_ids(table(client, status="inactive").text)
    assert agency.id in row_ids(table(client, status="all").text)
    assert admin.agency_id not in row_ids(table(client, status="inactive").text)
    # A deactivated agency is no longer offered as a parent.
    assert f'<option value="{agency.id}"' not in client.get("/admin/agencies/").text

    response = client.post(f"/admin/agencies/{agency.id}/reactivate", headers=HX)
    assert response.status_code == 200
    assert f'<tr id="agency-{agency.id}">' in response.text
    assert db.session.get(Agency, agency.id).is_active is True
    assert agency.id in row_ids(table(client).text)

    deactivate, reactivate = [e for e in agency_events() if e.object_id == agency.id and e.actor_id is not None]
    assert (deactivate.action, deactivate.before, deactivate.after) == (
        "agency.deactivate", {"is_active": True}, {"is_active": False})
    assert (reactivate.action, reactivate.before, reactivate.after) == (
        "agency.reactivate", {"is_active": False}, {"is_active": True})
    assert {deactivate.actor_id, reactivate.actor_id} == {admin.id}


def test_deactivating_twice_records_one_event(client):
    sign_in_admin(client)
    agency = make_agency("اداره کل میراث فرهنگی")
    client.post(f"/admin/agencies/{agency.id}/deactivate", headers=HX)
    client.post(f"/admin/agencies/{agency.id}/deactivate", headers=HX)
    assert [e.action for e in agency_events() if e.object_id == agency.id] == ["agency.create", "agency.deactivate"]


# --- search and pagination -------------------------------------------------------------------------------


def test_search_folds_arabic_letters_digits_and_zwnj(client):
    sign_in_admin(client)
    env = make_agency("اداره کل حفاظت محیط زیست", name_en="Environmental Protection Office",
                      email="env@example.ir")
    agri = make_agency("سازمان جهاد کشاورزی")
    plan = make_agency("سازمان مدیریت و برنامه‌ریزی")
    region = make_agency("اداره راه منطقه ۳")

    def found(q: str) -> set[int]:
        return set(row_ids(table(client, q=q).text))

    assert found("محيط") == {env.id}  # Arabic yeh finds Persian yeh
    assert found("محیط") == {env.id}
    assert found("كشاورزي") == {agri.id}  # Arabic kaf and yeh
    assert found("برنامهریزی") == {plan.id}  # typed without the ZWNJ
    assert found("3") == {region.id}  # ASCII digit finds a Persian one
    assert found("٣") == {region.id}  # and so does an Arabic-Indic one
    assert found("PROTECTION") == {env.id}  # English name, any case
    assert found("ENV@EXAMPLE") == {env.id}  # e-mail
    assert found("%") == set()  # a LIKE wildcard is a plain character
    response = table(client, q="ناموجود")
    assert row_ids(response.text) == [] and NO_MATCH_FA in response.text


def test_search_page_without_htmx_is_a_full_page_keeping_the_query(client):
    sign_in_admin(client)
    env = make_agency("اداره کل حفاظت محیط زیست")
    response = client.get("/admin/agencies/", query_string={"q": "محيط"})
    assert response.status_code == 200
    assert "<html" in response.text and 'value="محيط"' in response.text
    assert row_ids(response.text) == [env.id]


def test_pagination(client):
    admin = sign_in_admin(client)  # the admin's own agency is one of the rows
    per_page = client.application.config["PER_PAGE"]
    created = [make_agency(f"دستگاه شماره {n:02d}").id for n in range(1, 26)]
    total = agency_count()
    assert total == 26 and per_page == 20

    first = table(client, page=1).text
    second = table(client, page=2).text
    page_1, page_2 = row_ids(first), row_ids(second)

    assert len(page_1) == per_page
    assert len(page_2) == total - per_page
    assert not set(page_1) & set(page_2)
    assert set(page_1) | set(page_2) == {*created, admin.agency_id}
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert re.search(r'href="/admin/agencies/\?[^"]*\bpage=2\b[^"]*"', first)

    beyond = table(client, page=3).text
    assert row_ids(beyond) == [] and NO_MATCH_FA in beyond
    assert row_ids(table(client, page="x").text) == page_1  # a bad page number is page 1


# --- access ----------------------------------------------------------------------------------------------


def agency_urls(agency_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", "/admin/agencies/"),
        ("GET", "/admin/agencies/?status=inactive"),
        ("POST", "/admin/agencies/"),
        ("GET", f"/admin/agencies/{agency_id}/row"),
        ("GET", f"/admin/agencies/{agency_id}/edit"),
        ("POST", f"/admin/agencies/{agency_id}"),
        ("POST", f"/admin/agencies/{agency_id}/deactivate"),
        ("POST", f"/admin/agencies/{agency_id}/reactivate"),
    ]


@pytest.mark.parametrize("role", ["officer", "supervisor", "participant", "viewer"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_non_admin_gets_403_on_every_agencies_url(client, role, htmx):
    target = make_agency("دستگاه هدف", email="target@example.ir")
    signed_in(client, make_user(role=role))
    before = agency_count()
    headers = HX if htmx else {}

    for method, url in agency_urls(target.id):
        data = form_data(target, name="نام تازه") if url == f"/admin/agencies/{target.id}" else form_data(
            name="دستگاه تازه")
        response = client.open(url, method=method, data=data if method == "POST" else None, headers=headers)
        assert response.status_code == 403, (method, url)

    db.session.refresh(target)
    assert (target.name, target.is_active) == ("دستگاه هدف", True)
    assert agency_count() == before
    assert [e.action for e in agency_events()] == ["agency.create"] * before


def test_signed_out_visitor_is_sent_to_sign_in(client):
    target = make_agency("دستگاه هدف")
    response = client.get("/admin/agencies/")
    assert response.status_code == 302 and response.location.startswith("/login")
    response = client.post(f"/admin/agencies/{target.id}/deactivate", headers=HX)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")
    assert db.session.get(Agency, target.id).is_active is True
