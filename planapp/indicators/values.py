"""Storing indicator values: an upsert by (indicator, region, sector, year) that keeps every replaced value in
its history. Set-based — a few statements per chunk of rows, never one per row — so an import of a million values
and a grid of twenty go through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from planapp.extensions import db
from planapp.indicators.models import IndicatorValue, IndicatorValueChange

KEY = ["indicator_id", "region_id", "sector_id", "year"]
CHUNK = 5_000


@dataclass
class Stored:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: Stored) -> Stored:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def _existing(chunk: pd.DataFrame) -> pd.DataFrame:
    """The stored rows among the chunk's keys (read through a superset on indicator and year, then matched)."""
    rows = db.session.execute(
        sa.select(IndicatorValue.id, IndicatorValue.indicator_id, IndicatorValue.region_id, IndicatorValue.sector_id,
                  IndicatorValue.year, IndicatorValue.value, IndicatorValue.source)
        .where(IndicatorValue.indicator_id.in_(sorted(set(chunk.indicator_id.tolist()))),
               IndicatorValue.year.in_(sorted(set(chunk.year.tolist()))),
               IndicatorValue.region_id.in_(sorted(set(chunk.region_id.tolist()))))).all()
    return pd.DataFrame(rows, columns=["id", *KEY, "old_value", "old_source"])


def _same(old: pd.Series, new: pd.Series) -> pd.Series:
    """Equal values: floats from a spreadsheet round-trip, so compare to 12 significant digits."""
    scale = new.abs().clip(lower=1.0)
    return (old - new).abs() <= scale * 1e-12


def _records(frame: pd.DataFrame, constants: dict) -> list[dict]:
    """Plain Python values (numpy's int64 and float64 are not what drivers expect), plus the same constants."""
    columns = list(frame.columns)
    return [{**dict(zip(columns, values, strict=True)), **constants}
            for values in zip(*(frame[name].tolist() for name in columns), strict=True)]


def store_chunk(chunk: pd.DataFrame, user_id: int | None, now: datetime, import_id: int | None = None,
                task_id: int | None = None) -> Stored:
    """Upsert one chunk (columns: KEY, value, source) in the caller's transaction."""
    chunk = chunk[[*KEY, "value", "source"]].astype({name: "int64" for name in KEY})
    merged = chunk.merge(_existing(chunk), on=KEY, how="left")
    new = merged[merged["id"].isna()]
    stored = merged[merged["id"].notna()]
    same = _same(stored["old_value"], stored["value"]) & (stored["old_source"] == stored["source"])
    changed = stored[~same].astype({"id": "int64"})  # ids are floats after the left join (NaN for new rows)
    stamp = {"submitted_by_id": user_id, "submitted_at": now, "task_id": task_id, "import_id": import_id}
    if len(new):  # Core inserts: the ORM's per-row bookkeeping is most of the cost at a million rows
        db.session.execute(IndicatorValue.__table__.insert(), _records(new[[*KEY, "value", "source"]], stamp))
    if len(changed):
        history = changed.rename(columns={"id": "value_id", "value": "new_value"})[
            ["value_id", "old_value", "old_source", "new_value"]]
        db.session.execute(IndicatorValueChange.__table__.insert(), _records(
            history, {"changed_by_id": user_id, "changed_at": now, "import_id": import_id}))
        db.session.execute(
            IndicatorValue.__table__.update().where(IndicatorValue.id == sa.bindparam("value_id")).values(
                value=sa.bindparam("new_value"), source=sa.bindparam("new_source"),
                submitted_by_id=sa.bindparam("by"), submitted_at=sa.bindparam("at"),
                task_id=sa.bindparam("task"), import_id=sa.bindparam("import")),
            _records(changed.rename(columns={"id": "value_id", "value": "new_value", "source": "new_source"})[
                ["value_id", "new_value", "new_source"]], {"by": user_id, "at": now, "task": task_id,
                                                            "import": import_id}))
    return Stored(inserted=len(new), updated=len(changed), unchanged=int(same.sum()))


def store_values(rows: pd.DataFrame, user_id: int | None, now: datetime, import_id: int | None = None,
                 task_id: int | None = None, chunk: int = CHUNK) -> Stored:
    """Upsert validated rows (planapp.indicators.validate.Result.rows) chunk by chunk, in the caller's
    transaction: the caller commits once, so a file is stored whole or not at all."""
    total = Stored()
    if "source" not in rows:
        rows = rows.assign(source="")
    rows = rows.drop_duplicates(subset=KEY, keep="last")
    for start in range(0, len(rows), chunk):
        total += store_chunk(rows.iloc[start:start + chunk], user_id, now, import_id, task_id)
    return total
