"""Shared by tests/test_indicator_imports*.py: the people and catalog an import test needs, real files written by
pandas and openpyxl, queuing an import as the upload view does, and what the database holds afterwards.

Fixtures are defined here under descriptive names; a test file binds those it needs (`w = import_world`)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from planapp.accounts.models import User
from planapp.agencies.models import Agency
from planapp.core import clock
from planapp.extensions import db
from planapp.indicators import imports
from planapp.indicators.models import (
    Indicator,
    IndicatorImport,
    IndicatorImportRow,
    IndicatorValue,
    IndicatorValueChange,
)
from planapp.indicators.seed import seed_catalog
from tests.factories import make_agency, make_plan, make_user

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MB = 1024 * 1024
HEADER = ["indicator", "region", "sector", "year", "value", "source"]
GOOD = [
    ["POP", "EA-TABRIZ", "", "1403", "1800000", "سرشماری"],
    ["POP", "EA-MARAND", "", "1403", "250000", ""],
    ["EMP", "EA-TABRIZ", "C", "1403", "41250.5", "مرکز آمار"],
]


@dataclass
class World:
    stats: Agency  # collects POP and EMP
    roads: Agency  # collects ROAD_DENSITY
    sup: User
    officer: User  # of stats
    other: User  # of roads
    plan: object


@pytest.fixture
def import_world(ctx) -> World:
    clock.freeze(NOW)
    seed_catalog()
    stats, roads = make_agency("مرکز آمار استان"), make_agency("اداره کل راه و شهرسازی")
    db.session.execute(sa.update(Indicator).where(Indicator.code.in_(["POP", "EMP"])).values(source_agency_id=stats.id))
    db.session.execute(sa.update(Indicator).where(Indicator.code == "ROAD_DENSITY").values(source_agency_id=roads.id))
    db.session.commit()
    sup = make_user("supervisor", make_agency("سازمان مدیریت و برنامه‌ریزی", kind="private"), name="ناظر")
    officer = make_user("officer", stats, name="آمارگر")
    other = make_user("officer", roads, name="راهور")
    return World(stats, roads, sup, officer, other, make_plan(sup))


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    pd.DataFrame(rows, columns=header).to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def queue(user: User, data: bytes, name: str = "values.csv", task_id: int | None = None) -> int:
    """Store the file and queue the import, as the upload view does (without running it)."""
    upload = imports.create_import(user, name, data, NOW, max_bytes=30 * MB, task_id=task_id)
    db.session.commit()
    return upload.id


def run(user: User, data: bytes, name: str = "values.csv", **kwargs) -> IndicatorImport:
    import_id = queue(user, data, name)
    imports.run_import(import_id, **kwargs)
    return reloaded(import_id)


def reloaded(import_id: int) -> IndicatorImport:
    db.session.expire_all()
    return db.session.get(IndicatorImport, import_id)


def values() -> dict[tuple[str, str, str, int], tuple[float, str]]:
    """Every stored value by (indicator, region, sector) codes and year."""
    from planapp.indicators.models import Region, Sector

    db.session.expire_all()
    rows = db.session.execute(sa.select(Indicator.code, Region.code, Sector.code, IndicatorValue.year,
                                        IndicatorValue.value, IndicatorValue.source)
                              .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
                              .join(Region, Region.id == IndicatorValue.region_id)
                              .join(Sector, Sector.id == IndicatorValue.sector_id)).all()
    return {(i, r, s, y): (v, src) for i, r, s, y, v, src in rows}


def history() -> list[tuple[float, float]]:
    return sorted(db.session.execute(sa.select(IndicatorValueChange.old_value, IndicatorValueChange.new_value)).all())


def staged() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorImportRow))


def problems(upload: IndicatorImport) -> list[tuple[int, str, str]]:
    return [(p["row"], p["column"], p["code"]) for p in upload.report["problems"]]
