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


def store_chunk(chunk: pd.DataFrame, user_id: int | None, now: datetime, import_id: int | None = None,
                task_id: int | None = None) -> Stored:
    """Upsert one chunk (columns: KEY, value, source) in the caller's transaction."""
    chunk = chunk[[*KEY, "value", "source"]].astype({name: "int64" for name in KEY})
    merged = chunk.merge(_existing(chunk), on=KEY, how="left")
    new = merged[merged["id"].isna()]
    stored = merged[merged["id"].notna()]
    same = _same(stored["old_value"], stored["value"]) & (stored["old_source"] == stored["source"])
    changed = stored[~same]
    if len(new):
        db.session.execute(sa.insert(IndicatorValue), [
            {"indicator_id": int(row.indicator_id), "region_id": int(row.region_id), "sector_id": int(row.sector_id),
             "year": int(row.year), "value": float(row.value), "source": row.source, "submitted_by_id": user_id,
             "submitted_at": now, "task_id": task_id, "import_id": import_id} for row in new.itertuples()])
    if len(changed):
        db.session.execute(sa.insert(IndicatorValueChange), [
            {"value_id": int(row.id), "old_value": float(row.old_value), "old_source": row.old_source,
             "new_value": float(row.value), "changed_by_id": user_id, "changed_at": now, "import_id": import_id}
            for row in changed.itertuples()])
        db.session.execute(sa.update(IndicatorValue), [
            {"id": int(row.id), "value": float(row.value), "source": row.source, "submitted_by_id": user_id,
             "submitted_at": now, "task_id": task_id, "import_id": import_id} for row in changed.itertuples()])
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
