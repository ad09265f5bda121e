"""Demo indicator values (planapp/indicators/demo_values.py): deterministic, realistic in magnitude, with the
national reference values that location quotients need, and idempotent (a second run changes nothing)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from planapp.extensions import db
from planapp.indicators.demo_values import demo_frame, seed_demo_values
from planapp.indicators.models import Indicator, IndicatorValue, IndicatorValueChange, Region, Sector
from planapp.indicators.seed import seed_catalog


def stored() -> pd.DataFrame:
    rows = db.session.execute(
        sa.select(Indicator.code, Region.code, Sector.code, IndicatorValue.year, IndicatorValue.value,
                  IndicatorValue.source)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .join(Region, Region.id == IndicatorValue.region_id)
        .join(Sector, Sector.id == IndicatorValue.sector_id)).all()
    return pd.DataFrame(rows, columns=["indicator", "region", "sector", "year", "value", "source"])


def value(frame: pd.DataFrame, indicator: str, region: str, year: int, sector: str = "TOTAL") -> float:
    found = frame[(frame.indicator == indicator) & (frame.region == region) & (frame.sector == sector)
                  & (frame.year == year)]
    assert len(found) == 1, (indicator, region, year, sector)
    return float(found.value.iloc[0])


def test_the_demo_frame_is_deterministic():
    pd.testing.assert_frame_equal(demo_frame(), demo_frame())


def test_demo_values_are_realistic():
    frame = demo_frame()
    assert set(frame.year) == set(range(1398, 1405))
    assert len(set(frame.indicator)) >= 25  # a good part of the 53-indicator catalog
    assert 1_700_000 < value(frame, "POP", "EA-TABRIZ", 1404) < 2_000_000
    assert 3_800_000 < value(frame, "POP", "EA", 1404) < 4_300_000
    assert 80_000_000 < value(frame, "POP", "IR", 1404) < 90_000_000
    counties = frame[(frame.indicator == "POP") & frame.region.str.startswith("EA-") & (frame.year == 1404)]
    assert len(counties) == 21 and counties.value.sum() == value(frame, "POP", "EA", 1404)
    rates = frame[frame.indicator.isin(["UNEMP", "LITERACY", "URBAN", "INTERNET"])]
    assert rates.value.between(0, 100).all()
    assert 5 < value(frame, "UNEMP", "EA", 1404) < 12 and 5 < value(frame, "UNEMP", "IR", 1404) < 12


def test_east_azerbaijan_is_specialised_in_agriculture_and_manufacturing():
    """Location quotient LQ = (province's sector share) / (nation's sector share), from the demo values."""
    frame = demo_frame()
    def share(indicator: str, region: str, section: str) -> float:
        return value(frame, indicator, region, 1404, section) / value(frame, indicator, region, 1404)

    for indicator in ("EMP", "VA"):
        for section in ("A", "C"):
            assert share(indicator, "EA", section) / share(indicator, "IR", section) > 1.1, (indicator, section)
        assert share(indicator, "EA", "B") / share(indicator, "IR", "B") < 1  # mining (oil, gas) is the nation's
        sections = frame[(frame.indicator == indicator) & (frame.region == "EA") & (frame.year == 1404)
                         & (frame.sector != "TOTAL")]
        assert abs(sections.value.sum() - value(frame, indicator, "EA", 1404)) <= len(sections)


def test_seeding_twice_changes_nothing_and_keeps_corrections(ctx):
    seed_catalog()
    added = seed_demo_values()
    db.session.commit()
    assert added == len(demo_frame())
    first = stored()
    corrected = db.session.scalars(sa.select(IndicatorValue).order_by(IndicatorValue.id).limit(1)).one()
    corrected.value = 12_345.0  # someone fixed a demo value by hand
    db.session.commit()
    assert seed_demo_values() == 0
    db.session.commit()
    second = stored()
    assert len(second) == len(first)
    assert db.session.scalar(sa.select(IndicatorValue.value).where(IndicatorValue.id == corrected.id)) == 12_345.0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorValueChange)) == 0
    merged = first.merge(second, on=["indicator", "region", "sector", "year"], suffixes=("", "_again"))
    assert (merged.value != merged.value_again).sum() == 1 and (merged.source == merged.source_again).all()


def test_demo_values_need_the_catalog_and_skip_what_it_lacks(ctx):
    assert seed_demo_values() == 0  # no catalog: nothing to attach values to
    seed_catalog()
    db.session.execute(sa.update(Indicator).where(Indicator.code == "GDP").values(code="GDP_OLD"))
    assert 0 < seed_demo_values() < len(demo_frame())
    assert "GDP" not in set(stored().indicator)
    db.session.rollback()
