"""Reading the catalog for imports and forms."""

from __future__ import annotations

import sqlalchemy as sa

from planapp.extensions import db
from planapp.indicators.models import TOTAL_SECTOR, Indicator, Region, Sector
from planapp.indicators.validate import Catalog

YEARS = (1300, 1500)  # Jalali years an import may name


def import_catalog(years: tuple[int, int] = YEARS) -> Catalog:
    """What an import file may name: active indicators, regions and sectors, by code (three small queries)."""
    indicators = {code: (id_, by_sector) for id_, code, by_sector in db.session.execute(
        sa.select(Indicator.id, Indicator.code, Indicator.by_sector).where(Indicator.is_active.is_(True)))}
    regions = dict(db.session.execute(sa.select(Region.code, Region.id).where(Region.is_active.is_(True))).all())
    sectors = dict(db.session.execute(sa.select(Sector.code, Sector.id).where(Sector.is_active.is_(True))).all())
    return Catalog(indicators=indicators, regions=regions, sectors=sectors, total_sector_id=sectors[TOTAL_SECTOR],
                   years=years)
