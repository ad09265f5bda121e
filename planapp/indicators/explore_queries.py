"""Database reads of the indicator explorer: a fixed number of statements per page, whatever is chosen.

The catalog, the regions and the sectors are one statement each (they are small: tens to hundreds of rows); the
values are one statement through the index ix_indicator_values_explore (indicator_id, year, region_id): chosen
indicators × a year range × the explorer's regions × at most two sectors.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from planapp.extensions import db
from planapp.indicators.models import TOTAL_SECTOR, Indicator, IndicatorValue, Region, RegionKind, Sector

VALUE_COLUMNS = ["indicator_id", "region_id", "sector_id", "year", "value", "source"]


def list_explorer_indicators() -> list[Indicator]:
    """Active indicators, by category then code (the picker groups them by category)."""
    return list(db.session.scalars(
        sa.select(Indicator).where(Indicator.is_active.is_(True)).order_by(Indicator.category, Indicator.code)))


def list_explorer_regions() -> list[Region]:
    """The nation, the province and the active counties (the explorer's rows)."""
    kind_order = sa.case({RegionKind.COUNTRY: 0, RegionKind.PROVINCE: 1}, value=Region.kind, else_=2)
    return list(db.session.scalars(
        sa.select(Region).where(Region.is_active.is_(True)).order_by(kind_order, Region.name, Region.id)))


def list_explorer_sectors() -> list[Sector]:
    """TOTAL first, then the ISIC sections and finer sectors by code."""
    total_first = sa.case((Sector.code == TOTAL_SECTOR, 0), else_=1)
    return list(db.session.scalars(
        sa.select(Sector).where(Sector.is_active.is_(True)).order_by(total_first, Sector.code)))


def read_values(indicator_ids: list[int], region_ids: list[int], sector_ids: list[int], first_year: int,
                last_year: int) -> pd.DataFrame:
    """The stored values of the selection, one row each (columns VALUE_COLUMNS); one statement."""
    if not indicator_ids or not region_ids or not sector_ids:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    rows = db.session.execute(
        sa.select(IndicatorValue.indicator_id, IndicatorValue.region_id, IndicatorValue.sector_id,
                  IndicatorValue.year, IndicatorValue.value, IndicatorValue.source)
        .where(IndicatorValue.indicator_id.in_(sorted(indicator_ids)),
               IndicatorValue.year.between(first_year, last_year),
               IndicatorValue.region_id.in_(sorted(region_ids)),
               IndicatorValue.sector_id.in_(sorted(sector_ids)))).all()
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)


def latest_years(indicator_ids: list[int]) -> dict[int, int]:
    """The last year with a value, per indicator (the default end of the year range); one statement, answered from
    the index's (indicator_id, year) prefix."""
    if not indicator_ids:
        return {}
    rows = db.session.execute(
        sa.select(IndicatorValue.indicator_id, sa.func.max(IndicatorValue.year))
        .where(IndicatorValue.indicator_id.in_(sorted(indicator_ids)))
        .group_by(IndicatorValue.indicator_id)).all()
    return {indicator_id: year for indicator_id, year in rows}
