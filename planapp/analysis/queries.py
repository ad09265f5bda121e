"""Database reads of the analysis page: a fixed number of statements whatever is chosen (the sector indicators,
the province and the nation, one statement for all the chosen indicator's section values, the plan's IO table)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from planapp.analysis.models import InputOutputTable
from planapp.extensions import db
from planapp.indicators.models import TOTAL_SECTOR, Indicator, IndicatorValue, Sector

VALUE_COLUMNS = ["indicator_id", "region_id", "sector_id", "code", "name", "name_en", "year", "value"]


def list_sector_indicators() -> list[Indicator]:
    """Active indicators recorded by economic sector (employment, value added…), by code."""
    return list(db.session.scalars(sa.select(Indicator).where(Indicator.is_active.is_(True),
                                                              Indicator.by_sector.is_(True))
                                   .order_by(Indicator.code)))


def _sections():
    return sa.and_(Sector.parent_id.is_(None), Sector.code != TOTAL_SECTOR, Sector.is_active.is_(True))


def section_values(indicator_ids: list[int], region_ids: list[int]) -> pd.DataFrame:
    """Every year's values of the indicators by ISIC section (top-level sectors, not TOTAL) in the given regions,
    with the section's code and names: one statement."""
    rows = db.session.execute(
        sa.select(IndicatorValue.indicator_id, IndicatorValue.region_id, IndicatorValue.sector_id, Sector.code,
                  Sector.name, Sector.name_en, IndicatorValue.year, IndicatorValue.value)
        .join(Sector, Sector.id == IndicatorValue.sector_id)
        .where(IndicatorValue.indicator_id.in_(indicator_ids), IndicatorValue.region_id.in_(region_ids), _sections())
    ).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=VALUE_COLUMNS)


def section_names() -> dict[str, tuple[str, str]]:
    """ISIC section code → (Persian name, English name), to recognise the sections an IO table's labels name."""
    return {code: (name, name_en or "") for code, name, name_en in db.session.execute(
        sa.select(Sector.code, Sector.name, Sector.name_en).where(_sections()))}


def sections_by_code(codes: list[str]) -> dict[str, Sector]:
    if not codes:
        return {}
    return {sector.code: sector for sector in db.session.scalars(sa.select(Sector).where(Sector.code.in_(codes)))}


def get_io_table(plan_id: int) -> InputOutputTable | None:
    return db.session.scalar(sa.select(InputOutputTable).where(InputOutputTable.plan_id == plan_id))
