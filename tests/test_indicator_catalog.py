"""The starter catalog of situation data (issue 6): the nation for reference values, East Azerbaijan and its
counties, the ISIC sections with a total, and at least forty indicators across the five categories. Seeding is
idempotent and leaves what an admin changed alone. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from planapp.extensions import db
from planapp.indicators.models import TOTAL_SECTOR, Category, Indicator, Region, RegionKind, Sector
from planapp.indicators.seed import seed_catalog


def test_the_catalog_is_seeded_once_and_admin_changes_survive_a_second_seed(ctx):
    added = seed_catalog()
    db.session.commit()
    assert added > 90

    regions = {region.code: region for region in db.session.scalars(sa.select(Region))}
    country, province = regions["IR"], regions["EA"]
    assert (country.kind, province.kind, province.parent_id) == (RegionKind.COUNTRY, RegionKind.PROVINCE, country.id)
    counties = [r for r in regions.values() if r.kind == RegionKind.COUNTY]
    assert len(counties) == 21 and {r.parent_id for r in counties} == {province.id}
    assert regions["EA-TABRIZ"].name == "تبریز" and regions["EA-TABRIZ"].display_name("en") == "Tabriz"

    sectors = set(db.session.scalars(sa.select(Sector.code)))
    assert sectors == {TOTAL_SECTOR, *"ABCDEFGHIJKLMNOPQRSTU"}

    indicators = list(db.session.scalars(sa.select(Indicator)))
    assert len(indicators) >= 40
    assert {i.category for i in indicators} == set(Category)
    by_code = {i.code: i for i in indicators}
    assert by_code["EMP"].by_sector and by_code["VA"].by_sector and not by_code["POP"].by_sector
    assert by_code["UNEMP"].direction == "lower_better" and by_code["UNEMP"].unit == "درصد"
    assert all(i.name and i.name_en and i.unit and i.unit_en for i in indicators)

    by_code["UNEMP"].name = "نرخ بیکاری (ویرایش مدیر)"
    db.session.commit()
    assert seed_catalog() == 0
    db.session.commit()
    assert db.session.scalar(sa.select(Indicator.name).where(Indicator.code == "UNEMP")) == "نرخ بیکاری (ویرایش مدیر)"
