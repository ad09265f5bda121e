"""Storing indicator values (issue 6): an upsert by indicator × region × sector × year — importing the same data
again changes nothing, a changed value keeps its previous one in the history — in a fixed number of statements
per chunk, inside the caller's transaction. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from planapp.extensions import db
from planapp.indicators.models import Indicator, IndicatorValue, IndicatorValueChange, Region, Sector
from planapp.indicators.seed import seed_catalog
from planapp.indicators.values import Stored, store_values
from tests.factories import make_user
from tests.sql_helpers import count_statements

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def ids(model, *codes: str) -> list[int]:
    found = dict(db.session.execute(sa.select(model.code, model.id).where(model.code.in_(codes))).all())
    return [found[code] for code in codes]


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["indicator_id", "region_id", "sector_id", "year", "value", "source"])


def stored() -> dict[tuple, tuple]:
    return {(v.indicator_id, v.region_id, v.sector_id, v.year): (v.value, v.source)
            for v in db.session.scalars(sa.select(IndicatorValue))}


def test_the_same_data_again_changes_nothing_and_a_changed_value_keeps_its_history(ctx):
    seed_catalog()
    user = make_user("officer")
    pop, emp = ids(Indicator, "POP", "EMP")
    tabriz, marand = ids(Region, "EA-TABRIZ", "EA-MARAND")
    total, farming = ids(Sector, "TOTAL", "A")
    first = frame([(pop, tabriz, total, 1404, 1_800_000.0, "سرشماری"), (pop, marand, total, 1404, 250_000.0, ""),
                   (emp, tabriz, farming, 1404, 41_250.5, "مرکز آمار")])
    assert store_values(first, user.id, NOW) == Stored(inserted=3)
    db.session.commit()
    assert store_values(first, user.id, LATER) == Stored(unchanged=3)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorValueChange)) == 0

    second = frame([(pop, tabriz, total, 1404, 1_812_000.0, "سرشماری"), (pop, marand, total, 1404, 250_000.0,
                                                                           "برآورد"),
                    (emp, tabriz, farming, 1404, 41_250.5, "مرکز آمار"), (pop, tabriz, total, 1405, 1_830_000.0, "")])
    assert store_values(second, user.id, LATER) == Stored(inserted=1, updated=2, unchanged=1)
    db.session.commit()
    assert stored()[(pop, tabriz, total, 1404)] == (1_812_000.0, "سرشماری")
    assert stored()[(pop, marand, total, 1404)] == (250_000.0, "برآورد")
    history = db.session.execute(sa.select(IndicatorValueChange.old_value, IndicatorValueChange.old_source,
                                           IndicatorValueChange.new_value, IndicatorValueChange.changed_at)
                                 .order_by(IndicatorValueChange.old_value)).all()
    assert [tuple(row) for row in history] == [(250_000.0, "", 250_000.0, LATER),
                                               (1_800_000.0, "سرشماری", 1_812_000.0, LATER)]


def test_nothing_is_kept_when_the_callers_transaction_rolls_back(ctx):
    seed_catalog()
    db.session.commit()
    pop, = ids(Indicator, "POP")
    tabriz, = ids(Region, "EA-TABRIZ")
    total, = ids(Sector, "TOTAL")
    store_values(frame([(pop, tabriz, total, 1404, 1.0, "")]), None, NOW)
    db.session.rollback()
    assert stored() == {}


def test_the_statements_do_not_grow_with_the_rows_of_a_chunk(ctx):
    seed_catalog()
    db.session.commit()
    pop, = ids(Indicator, "POP")
    regions = list(db.session.scalars(sa.select(Region.id).order_by(Region.id)))
    total, = ids(Sector, "TOTAL")

    def statements(years: range, value: float) -> int:
        rows = frame([(pop, region, total, year, value, "") for region in regions for year in years])
        with count_statements(include_begin=False) as seen:
            store_values(rows, None, NOW)
        db.session.commit()
        return len(seen)

    small_new, large_new = statements(range(1390, 1391), 1.0), statements(range(1391, 1481), 1.0)
    small_changed, large_changed = statements(range(1390, 1391), 2.0), statements(range(1391, 1481), 2.0)
    assert small_new == large_new and small_changed == large_changed  # 23 rows or 2,070: the same statements


def test_a_checked_file_goes_in_through_the_catalog_of_the_database(ctx):
    """read_table → validate against import_catalog() → store_values: Persian digits and codes as typed."""
    from planapp.indicators.queries import import_catalog
    from planapp.indicators.validate import read_table, validate

    seed_catalog()
    db.session.commit()
    csv = ("indicator,region,sector,year,value,source\n"
           "pop,ea-tabriz,,۱۴۰۴,\"۱٬۸۰۰٬۰۰۰\",سرشماری\n"
           "EMP,EA-MARAND,A,1404,12500,\n").encode()
    result = validate(read_table(csv, "csv", 100), import_catalog())
    assert result.ok, result.problems
    assert store_values(result.rows, None, NOW) == Stored(inserted=2)
    db.session.commit()
    pop, emp = ids(Indicator, "POP", "EMP")
    tabriz, marand = ids(Region, "EA-TABRIZ", "EA-MARAND")
    total, farming = ids(Sector, "TOTAL", "A")
    assert stored() == {(pop, tabriz, total, 1404): (1_800_000.0, "سرشماری"),
                        (emp, marand, farming, 1404): (12_500.0, "")}
