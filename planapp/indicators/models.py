"""Situation data: the indicator catalog, regions (the nation, the province, its counties), economic sectors,
and the values gathered from agencies, with the history of every change."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planapp.agencies.models import Agency
from planapp.core.db import JSONType, TimestampMixin, str_enum
from planapp.extensions import db

if TYPE_CHECKING:
    from planapp.accounts.models import User
    from planapp.tasks.models import Task


class Category(enum.StrEnum):
    ECONOMIC = "economic"
    SOCIAL = "social"
    CULTURAL = "cultural"
    ENVIRONMENTAL = "environmental"
    INFRASTRUCTURE = "infrastructure"

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS[self])


CATEGORY_LABELS = {
    Category.ECONOMIC: _l("Economic"),
    Category.SOCIAL: _l("Social"),
    Category.CULTURAL: _l("Cultural"),
    Category.ENVIRONMENTAL: _l("Environmental"),
    Category.INFRASTRUCTURE: _l("Infrastructure"),
}


class Frequency(enum.StrEnum):
    ANNUAL = "annual"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"
    CENSUS = "census"  # every five or ten years

    @property
    def label(self) -> str:
        return str(FREQUENCY_LABELS[self])


FREQUENCY_LABELS = {
    Frequency.ANNUAL: _l("Annual"),
    Frequency.QUARTERLY: _l("Quarterly"),
    Frequency.MONTHLY: _l("Monthly"),
    Frequency.CENSUS: _l("Census years"),
}


class Direction(enum.StrEnum):
    HIGHER_BETTER = "higher_better"
    LOWER_BETTER = "lower_better"
    NEUTRAL = "neutral"

    @property
    def label(self) -> str:
        return str(DIRECTION_LABELS[self])


DIRECTION_LABELS = {
    Direction.HIGHER_BETTER: _l("Higher is better"),
    Direction.LOWER_BETTER: _l("Lower is better"),
    Direction.NEUTRAL: _l("Neither"),
}


class RegionKind(enum.StrEnum):
    COUNTRY = "country"  # national reference values (location quotients, shift-share)
    PROVINCE = "province"
    COUNTY = "county"


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)  # what import files name
    name: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str | None] = mapped_column(sa.String(120))
    kind: Mapped[RegionKind] = mapped_column(str_enum(RegionKind))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"))
    is_active: Mapped[bool] = mapped_column(default=True)

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


TOTAL_SECTOR = "TOTAL"  # the sector of a value that is not by sector


class Sector(db.Model):
    """ISIC sections (A–U), a finer admin-editable list under them, and TOTAL for values not by sector."""

    __tablename__ = "sectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sectors.id"))
    is_active: Mapped[bool] = mapped_column(default=True)

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


class Indicator(TimestampMixin, db.Model):
    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    category: Mapped[Category] = mapped_column(str_enum(Category), index=True)
    unit: Mapped[str] = mapped_column(sa.String(60))
    unit_en: Mapped[str | None] = mapped_column(sa.String(60))
    source_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    frequency: Mapped[Frequency] = mapped_column(str_enum(Frequency), default=Frequency.ANNUAL)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction), default=Direction.HIGHER_BETTER)
    by_sector: Mapped[bool] = mapped_column(default=False)  # values per economic sector (employment, value added)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)

    source_agency: Mapped[Agency | None] = relationship(lazy="joined")

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


class IndicatorValue(db.Model):
    """One value: indicator × region × sector (TOTAL when not by sector) × Jalali year. Unique, so an import of
    the same data is an upsert; a changed value keeps its previous one in IndicatorValueChange."""

    __tablename__ = "indicator_values"
    __table_args__ = (
        sa.UniqueConstraint("indicator_id", "region_id", "sector_id", "year"),
        sa.Index("ix_indicator_values_explore", "indicator_id", "year", "region_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicators.id"))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    sector_id: Mapped[int] = mapped_column(sa.ForeignKey("sectors.id"))
    year: Mapped[int]  # Jalali
    value: Mapped[float] = mapped_column(sa.Float)
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime]
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("indicator_imports.id"), index=True)


class IndicatorValueChange(db.Model):
    """The value a row had before a change, who changed it and how (form, import)."""

    __tablename__ = "indicator_value_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    value_id: Mapped[int] = mapped_column(sa.ForeignKey("indicator_values.id", ondelete="CASCADE"), index=True)
    old_value: Mapped[float] = mapped_column(sa.Float)
    old_source: Mapped[str] = mapped_column(sa.String(200), default="")
    new_value: Mapped[float] = mapped_column(sa.Float)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    changed_at: Mapped[datetime]
    import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("indicator_imports.id"))


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    VALIDATING = "validating"
    FAILED = "failed"  # the file has errors: nothing stored, the report says where
    STAGING = "staging"  # every row is good: copied into indicator_import_rows in committed chunks
    IMPORTING = "importing"  # applying the staged rows to the values, in one transaction
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED

    @property
    def label(self) -> str:
        return str(IMPORT_STATUS_LABELS[self])


IMPORT_STATUS_LABELS = {
    ImportStatus.QUEUED: _l("Waiting"),
    ImportStatus.VALIDATING: _l("Checking"),
    ImportStatus.FAILED: _l("Failed"),
    ImportStatus.STAGING: _l("Preparing"),
    ImportStatus.IMPORTING: _l("Storing"),
    ImportStatus.DONE: _l("Done"),
    ImportStatus.CANCELLED: _l("Cancelled"),
}


FINISHED = frozenset({ImportStatus.FAILED, ImportStatus.DONE, ImportStatus.CANCELLED})
CANCELLABLE = frozenset({ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.STAGING})


class IndicatorImport(db.Model):
    """An uploaded file on its way in: validated as a whole first, stored only if every row is good."""

    __tablename__ = "indicator_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))
    file_name: Mapped[str] = mapped_column(sa.String(255))  # as uploaded, for showing
    stored_name: Mapped[str] = mapped_column(sa.String(80))  # generated, in the upload folder
    status: Mapped[ImportStatus] = mapped_column(str_enum(ImportStatus), default=ImportStatus.QUEUED)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    # {"problems": [{row, column, code, value}] (the first 1,000), "counts": {code: n}, "file": {code, details},
    # "error": code} — whichever apply; older rows may hold a list.
    report: Mapped[dict] = mapped_column(JSONType, default=dict)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    progress_at: Mapped[datetime | None]  # the runner's last sign of life: a stuck import is failed after a while

    task: Mapped[Task | None] = relationship()  # an import made for a task is seen by those on the task
    user: Mapped[User] = relationship(lazy="joined")


class IndicatorImportRow(db.Model):
    """A validated row of an import on its way in: staged in committed chunks (progress and cancel stay writable
    beside them, even on SQLite), then applied to indicator_values in one transaction and deleted."""

    __tablename__ = "indicator_import_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("indicator_imports.id", ondelete="CASCADE"))
    row: Mapped[int]  # as the spreadsheet shows it
    indicator_id: Mapped[int]
    region_id: Mapped[int]
    sector_id: Mapped[int]
    year: Mapped[int]
    value: Mapped[float] = mapped_column(sa.Float)
    source: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    # Applying joins the staged rows to the values by key; deleting them goes by import.
    __table_args__ = (sa.Index("ix_indicator_import_rows_key", "import_id", "indicator_id", "region_id", "sector_id",
                               "year"),)
