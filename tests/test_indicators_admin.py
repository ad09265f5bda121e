"""Indicator catalog admin (issue 6): indicators, regions and sectors created and edited in place through htmx,
bad input refused in Persian with nothing stored, deactivation instead of deletion, the audit trail, the list's
category filter and folded search, and 403 for every other role."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from planapp.agencies import services as agencies
from planapp.audit.models import AuditEvent
from planapp.extensions import db
from planapp.indicators.models import TOTAL_SECTOR, Category, Direction, Frequency, Indicator, Region, Sector
from planapp.indicators.seed import seed_catalog
from tests.factories import make_agency, make_user, signed_in

HX = {"HX-Request": "true"}

REQUIRED_FA = "پر کردن این بخش الزامی است."
DUPLICATE_FA = "این کد پیش‌تر به کار رفته است."
BAD_CODE_FA = "در کد تنها حروف لاتین، رقم، «_» و «-» به کار ببرید."
TOTAL_FIXED_FA = "ردیف «همهٔ بخش‌ها» را نمی‌توان تغییر داد."


def sign_in_admin(client):
    admin = make_user(role="admin", agency=make_agency("دفتر مدیریت سامانه"), email="admin@example.ir")
    signed_in(client, admin)
    return admin


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def events(prefix: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like(f"{prefix}.%")).order_by(AuditEvent.id)))


def form_data(**changes) -> dict[str, str]:
    data = {"code": "lit_rate", "name": "نرخ باسوادی", "name_en": "Literacy rate", "category": "social",
            "unit": "درصد", "unit_en": "%", "source_agency_id": "", "frequency": "census",
            "direction": "higher_better", "description": ""}
    data.update({key: "" if value is None else str(value) for key, value in changes.items()})
    return data


def make_indicator(code: str, name: str, category: Category = Category.ECONOMIC, **kw) -> Indicator:
    indicator = Indicator(code=code, name=name, category=category, unit=kw.pop("unit", "درصد"),
                          frequency=Frequency.ANNUAL, direction=Direction.HIGHER_BETTER, **kw)
    db.session.add(indicator)
    db.session.commit()
    return indicator


def table(client, **params) -> str:
    response = client.get("/admin/indicators/", query_string=params, headers={**HX, "HX-Target": "indicator-table"})
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="indicator-table"' in response.text
    return response.text


def codes(html: str) -> list[str]:
    return re.findall(r'<code dir="ltr">([A-Z0-9_-]+)</code> <strong>', html)


def by_code(code: str) -> Indicator | None:
    return db.session.scalar(sa.select(Indicator).where(Indicator.code == code))


# --- indicators: create, edit, deactivate -------------------------------------------------------------------


def test_admin_creates_indicator_through_htmx_upper_cased_and_audited(client):
    admin = sign_in_admin(client)
    source = make_agency("مرکز آمار ایران")
    response = client.post("/admin/indicators/", data=form_data(source_agency_id=source.id, by_sector="y"),
                           headers=HX)
    assert response.status_code == 200
    assert "indicators-changed" in response.headers["HX-Trigger"]
    assert "شاخص «نرخ باسوادی» ایجاد شد." in response.text
    indicator = by_code("LIT_RATE")
    assert indicator is not None and indicator.source_agency_id == source.id and indicator.by_sector
    assert (indicator.category, indicator.frequency) == (Category.SOCIAL, Frequency.CENSUS)
    [event] = events("indicator")
    assert (event.action, event.actor_id, event.object_id) == ("indicator.create", admin.id, indicator.id)
    assert event.after["code"] == "LIT_RATE" and event.after["source_agency_id"] == source.id


def test_admin_edits_indicator_in_place_and_only_changes_are_audited(client):
    sign_in_admin(client)
    indicator = make_indicator("GDP", "تولید ناخالص")
    edit = client.get(f"/admin/indicators/{indicator.id}/edit", headers=HX)
    assert edit.status_code == 200 and f'id="indicator-{indicator.id}" class="editing"' in edit.text
    response = client.post(f"/admin/indicators/{indicator.id}", headers=HX, data=form_data(
        code="GDP", name="تولید ناخالص داخلی", name_en="", category="economic", unit="میلیارد ریال",
        unit_en="", frequency="annual", direction="higher_better"))
    assert response.status_code == 200 and 'class="editing"' not in response.text
    assert "تولید ناخالص داخلی" in response.text
    db.session.refresh(indicator)
    assert indicator.unit == "میلیارد ریال"
    [event] = events("indicator")
    assert event.action == "indicator.update"
    assert event.before == {"name": "تولید ناخالص", "unit": "درصد"}
    assert event.after == {"name": "تولید ناخالص داخلی", "unit": "میلیارد ریال"}
    cancel = client.get(f"/admin/indicators/{indicator.id}/row", headers=HX)
    assert cancel.status_code == 200 and 'class="editing"' not in cancel.text


def test_deactivate_and_reactivate_keep_the_row_and_are_audited(client):
    sign_in_admin(client)
    indicator = make_indicator("POP", "جمعیت")
    before = count(Indicator)
    response = client.post(f"/admin/indicators/{indicator.id}/deactivate", headers=HX)
    assert response.status_code == 200 and 'class="inactive"' in response.text
    assert "غیرفعال شد" in response.text
    db.session.refresh(indicator)
    assert not indicator.is_active and count(Indicator) == before
    assert "POP" not in codes(table(client)) and "POP" in codes(table(client, status="inactive"))
    client.post(f"/admin/indicators/{indicator.id}/reactivate", headers=HX)
    db.session.refresh(indicator)
    assert indicator.is_active
    assert [e.action for e in events("indicator")] == ["indicator.deactivate", "indicator.reactivate"]


# --- bad input: refused in Persian, nothing stored ----------------------------------------------------------


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, REQUIRED_FA),
    ({"name": "   "}, REQUIRED_FA),
    ({"unit": ""}, REQUIRED_FA),
    ({"code": ""}, REQUIRED_FA),
    ({"code": "GDP"}, DUPLICATE_FA),
    ({"code": "gdp"}, DUPLICATE_FA),  # stored upper-case: the same code
    ({"code": "نرخ"}, BAD_CODE_FA),
    ({"code": "A B"}, BAD_CODE_FA),
    ({"code": "A.B"}, BAD_CODE_FA),
    ({"code": "X" * 41}, None),
    ({"source_agency_id": "999999"}, None),
], ids=["empty-name", "blank-name", "empty-unit", "empty-code", "duplicate", "duplicate-lower", "persian-code",
        "space", "dot", "too-long", "unknown-agency"])
def test_bad_input_is_refused_in_persian_and_nothing_is_stored(client, changes, message):
    sign_in_admin(client)
    make_indicator("GDP", "تولید ناخالص")
    before = count(Indicator)
    response = client.post("/admin/indicators/", data=form_data(**changes), headers=HX)
    assert response.status_code == 200  # htmx swaps the form back with its errors
    assert "HX-Trigger" not in response.headers
    assert 'class="error' in response.text
    if message:
        assert message in response.text
    assert count(Indicator) == before and not events("indicator.create")


def test_deactivated_agency_is_refused_as_a_new_source(client):
    admin = sign_in_admin(client)
    closed = make_agency("ادارهٔ منحل")
    agencies.set_agency_active(admin, closed, False)
    db.session.commit()
    response = client.post("/admin/indicators/", data=form_data(source_agency_id=closed.id), headers=HX)
    # The form does not offer it; the service refuses it whatever the door.
    assert response.status_code == 200 and by_code("LIT_RATE") is None
    assert 'class="error' in response.text
    from planapp.core.errors import ValidationFailed
    from planapp.indicators import catalog_services
    with pytest.raises(ValidationFailed) as refused:
        catalog_services.create_indicator(admin, form_data(source_agency_id=closed.id))
    assert refused.value.field == "source_agency_id"
    db.session.rollback()
    assert by_code("LIT_RATE") is None


def test_a_deactivated_source_may_stay_on_an_existing_indicator(client):
    admin = sign_in_admin(client)
    source = make_agency("مرکز آمار ایران")
    indicator = make_indicator("GDP", "تولید ناخالص", source_agency_id=source.id)
    agencies.set_agency_active(admin, source, False)
    db.session.commit()
    response = client.post(f"/admin/indicators/{indicator.id}", headers=HX, data=form_data(
        code="GDP", name="تولید ناخالص داخلی", category="economic", source_agency_id=source.id))
    assert response.status_code == 200 and 'class="editing"' not in response.text
    db.session.refresh(indicator)
    assert indicator.name == "تولید ناخالص داخلی" and indicator.source_agency_id == source.id


def test_edit_refused_with_duplicate_code_keeps_the_row_unchanged(client):
    sign_in_admin(client)
    make_indicator("GDP", "تولید ناخالص")
    other = make_indicator("POP", "جمعیت")
    response = client.post(f"/admin/indicators/{other.id}", headers=HX, data=form_data(code="gdp", name="جمعیت"))
    assert DUPLICATE_FA in response.text and 'class="editing"' in response.text
    db.session.refresh(other)
    assert other.code == "POP" and not events("indicator")


# --- list: filter, folded search, pagination ---------------------------------------------------------------


def test_category_filter_and_persian_folded_search(client):
    sign_in_admin(client)
    make_indicator("UNEMP", "نرخ بيكاري", unit="درصد")  # Arabic ي and ك, as some agencies type them
    make_indicator("POP", "جمعیت", Category.SOCIAL, name_en="Population")
    make_indicator("WATER", "مصرف آب", Category.ENVIRONMENTAL)
    assert codes(table(client)) == ["POP", "UNEMP", "WATER"]
    assert codes(table(client, category="social")) == ["POP"]
    assert codes(table(client, q="بیکاری")) == ["UNEMP"]  # Persian ی and ک find the Arabic letters
    assert codes(table(client, q="POPULATION")) == ["POP"]
    assert codes(table(client, q="unemp")) == ["UNEMP"]
    assert codes(table(client, q="آب", category="economic")) == []
    assert "شاخصی یافت نشد." in table(client, q="هیچ")
    assert codes(table(client, category="nonsense")) == ["POP", "UNEMP", "WATER"]


def test_the_list_is_paginated(client, app):
    sign_in_admin(client)
    per_page = app.config["PER_PAGE"]
    for n in range(per_page + 2):
        db.session.add(Indicator(code=f"I{n:03d}", name=f"شاخص {n}", category=Category.ECONOMIC, unit="واحد",
                                 frequency=Frequency.ANNUAL, direction=Direction.NEUTRAL))
    db.session.commit()
    assert len(codes(table(client))) == per_page
    assert len(codes(table(client, page=2))) == 2


def test_full_page_has_the_form_tabs_and_seeded_catalog(client):
    sign_in_admin(client)
    seed_catalog()
    db.session.commit()
    page = client.get("/admin/indicators/")
    assert page.status_code == 200 and 'id="indicator-create"' in page.text
    assert 'href="/admin/regions/"' in page.text and 'href="/admin/sectors/"' in page.text
    assert "GDP" in page.text


# --- regions ------------------------------------------------------------------------------------------------


def test_admin_adds_and_edits_a_county_and_renames_the_province(client):
    admin = sign_in_admin(client)
    seed_catalog()
    db.session.commit()
    page = client.get("/admin/regions/")
    assert page.status_code == 200 and "EA-TABRIZ" in page.text
    response = client.post("/admin/regions/", data={"code": "ea-new", "name": "شهرستان نو", "name_en": ""},
                           headers=HX)
    assert response.status_code == 200 and "regions-changed" in response.headers["HX-Trigger"]
    county = db.session.scalar(sa.select(Region).where(Region.code == "EA-NEW"))
    assert county is not None and county.kind.value == "county" and county.parent_id is not None
    duplicate = client.post("/admin/regions/", data={"code": "EA-TABRIZ", "name": "تکراری"}, headers=HX)
    assert DUPLICATE_FA in duplicate.text
    province = db.session.scalar(sa.select(Region).where(Region.code == "EA"))
    renamed = client.post(f"/admin/regions/{province.id}", data={"code": "X", "name": "آذربایجان شرقی",
                                                                 "name_en": "East Azarbaijan"}, headers=HX)
    assert renamed.status_code == 200 and 'class="editing"' not in renamed.text
    db.session.refresh(province)
    assert (province.code, province.name) == ("EA", "آذربایجان شرقی")  # the province's code stays
    assert client.post(f"/admin/regions/{province.id}/deactivate", headers=HX).status_code == 404
    client.post(f"/admin/regions/{county.id}/deactivate", headers=HX)
    db.session.refresh(county)
    assert not county.is_active
    assert [e.action for e in events("region")] == ["region.create", "region.update", "region.deactivate"]
    assert all(e.actor_id == admin.id for e in events("region"))


# --- sectors ------------------------------------------------------------------------------------------------


def test_admin_adds_a_finer_sector_under_a_section_and_total_is_fixed(client):
    sign_in_admin(client)
    seed_catalog()
    db.session.commit()
    section = db.session.scalar(sa.select(Sector).where(Sector.code == "C"))
    total = db.session.scalar(sa.select(Sector).where(Sector.code == TOTAL_SECTOR))
    response = client.post("/admin/sectors/", headers=HX,
                           data={"code": "c10", "name": "صنایع غذایی", "name_en": "Food", "parent_id": section.id})
    assert response.status_code == 200 and "sectors-changed" in response.headers["HX-Trigger"]
    finer = db.session.scalar(sa.select(Sector).where(Sector.code == "C10"))
    assert finer.parent_id == section.id
    under_total = client.post("/admin/sectors/", headers=HX,
                              data={"code": "X1", "name": "نادرست", "parent_id": total.id})
    assert 'class="error' in under_total.text and count(Sector) == count(Sector)
    assert db.session.scalar(sa.select(Sector).where(Sector.code == "X1")) is None
    assert client.get(f"/admin/sectors/{total.id}/edit", headers=HX).status_code == 404
    assert client.post(f"/admin/sectors/{total.id}/deactivate", headers=HX).status_code == 404
    edited = client.post(f"/admin/sectors/{finer.id}", headers=HX,
                         data={"code": "C10", "name": "صنایع مواد غذایی", "parent_id": section.id})
    assert edited.status_code == 200 and 'class="editing"' not in edited.text
    assert [e.action for e in events("sector")] == ["sector.create", "sector.update"]
    page = client.get("/admin/sectors/")
    assert page.status_code == 200 and "صنایع مواد غذایی" in page.text


def test_total_sector_refused_by_the_service(client):
    admin = sign_in_admin(client)
    seed_catalog()
    from planapp.core.errors import ValidationFailed
    from planapp.indicators import catalog_services
    total = db.session.scalar(sa.select(Sector).where(Sector.code == TOTAL_SECTOR))
    with client.application.test_request_context():
        with pytest.raises(ValidationFailed) as refused:
            catalog_services.update_sector(admin, total, {"code": "TOTAL", "name": "x"})
        assert str(refused.value.message) == TOTAL_FIXED_FA
    db.session.rollback()
    assert db.session.scalar(sa.select(Sector.name).where(Sector.code == TOTAL_SECTOR)) != "x"


# --- access -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["officer", "supervisor", "participant", "viewer"])
def test_non_admin_gets_403_on_every_catalog_url(client, role):
    seed_catalog()
    indicator = make_indicator("ZZ", "آزمایشی")
    region = db.session.scalar(sa.select(Region).where(Region.code == "EA-TABRIZ"))
    sector = db.session.scalar(sa.select(Sector).where(Sector.code == "A"))
    signed_in(client, make_user(role=role))
    urls = [("get", "/admin/indicators/"), ("post", "/admin/indicators/"),
            ("get", f"/admin/indicators/{indicator.id}/edit"), ("get", f"/admin/indicators/{indicator.id}/row"),
            ("post", f"/admin/indicators/{indicator.id}"), ("post", f"/admin/indicators/{indicator.id}/deactivate"),
            ("post", f"/admin/indicators/{indicator.id}/reactivate"),
            ("get", "/admin/regions/"), ("post", "/admin/regions/"), ("get", f"/admin/regions/{region.id}/edit"),
            ("post", f"/admin/regions/{region.id}"), ("post", f"/admin/regions/{region.id}/deactivate"),
            ("get", "/admin/sectors/"), ("post", "/admin/sectors/"), ("get", f"/admin/sectors/{sector.id}/edit"),
            ("post", f"/admin/sectors/{sector.id}"), ("post", f"/admin/sectors/{sector.id}/deactivate")]
    for method, url in urls:
        response = getattr(client, method)(url, data=form_data(), headers=HX)
        assert response.status_code == 403, (method, url)
    db.session.refresh(indicator)
    assert indicator.is_active and indicator.name == "آزمایشی" and not events("indicator")


def test_admin_sees_the_nav_link(client):
    sign_in_admin(client)
    page = client.get("/")
    assert 'href="/admin/indicators/"' in page.text and "شاخص‌ها" in page.text
