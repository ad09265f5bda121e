"""The indicator grid of a "submit indicators" task, and its CSV/XLSX template: which indicators, regions, sectors
and years a task collects, the values stored for them, and saving a whole grid at once.

No flask.request here: the view hands over the posted fields as a plain mapping, and the acting user.
Saving checks every cell first; if any cell is wrong nothing is stored and each problem is named next to its cell.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.accounts.models import User
from planapp.agencies.models import Agency
from planapp.audit.services import record
from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.i18n import ascii_digits, jalali, persian_digits
from planapp.core.permissions import Perm, can, require
from planapp.extensions import db
from planapp.indicators.models import TOTAL_SECTOR, Indicator, IndicatorValue, Region, RegionKind, Sector
from planapp.indicators.queries import YEARS
from planapp.indicators.validate import MAX_SOURCE, parse_numbers
from planapp.indicators.values import Stored, store_values
from planapp.tasks.lifecycle import TO_DO, TaskKind
from planapp.tasks.models import Task

SPAN = 5  # years shown at once
MAX_CELLS = 20_000  # more posted fields than any grid of ours has: refused before parsing


# --- what a task collects -------------------------------------------------------------------------------------


def task_agency(task: Task) -> Agency | None:
    """The agency whose indicators the task asks for: the task's agency, or its assignee's."""
    if task.agency is not None:
        return task.agency
    return task.assignee.agency if task.assignee is not None else None


def agency_indicators(agency_id: int | None) -> list[Indicator]:
    """Active indicators whose source is the agency, by category then code."""
    if agency_id is None:
        return []
    return list(db.session.scalars(sa.select(Indicator).where(
        Indicator.source_agency_id == agency_id, Indicator.is_active.is_(True))
        .order_by(Indicator.category, Indicator.code)))


def grid_regions() -> list[Region]:
    """The province first, then its active counties by name (the grid's region choices)."""
    province = db.session.scalar(sa.select(Region).where(Region.kind == RegionKind.PROVINCE,
                                                         Region.is_active.is_(True)).order_by(Region.id).limit(1))
    if province is None:
        return []
    counties = db.session.scalars(sa.select(Region).where(
        Region.kind == RegionKind.COUNTY, Region.parent_id == province.id, Region.is_active.is_(True))
        .order_by(Region.name, Region.id))
    return [province, *counties]


def total_sector() -> Sector | None:
    return db.session.scalar(sa.select(Sector).where(Sector.code == TOTAL_SECTOR))


def sections() -> list[Sector]:
    """ISIC sections: the active top-level sectors other than TOTAL, by code."""
    return list(db.session.scalars(sa.select(Sector).where(
        Sector.parent_id.is_(None), Sector.code != TOTAL_SECTOR, Sector.is_active.is_(True)).order_by(Sector.code)))


def last_year(now: datetime) -> int:
    """The Jalali year before the current one (in Tehran): the newest year an agency has figures for."""
    return jalali(now).year - 1


def window(end: int | str | None, now: datetime, span: int = SPAN) -> list[int]:
    """`span` Jalali years ending with `end` (last year when missing or not a year we store), oldest first."""
    newest = last_year(now) + 1
    text = ascii_digits(str(end or "")).strip()
    year = int(text) if text.isdecimal() and len(text) <= 6 else last_year(now)
    year = max(YEARS[0] + span - 1, min(year, newest, YEARS[1]))
    return list(range(year - span + 1, year + 1))


def format_cell(value: float, locale: str) -> str:
    """A stored value as the grid shows it: the shortest text that reads back as the same number, grouped by
    thousands; Persian digits and separators (٬ ٫) in Persian. Never rounded, so saving it again changes nothing."""
    text = repr(float(value)).removesuffix(".0")
    if "e" not in text and text.lstrip("-").replace(".", "").isdecimal():
        sign, number = ("-", text[1:]) if text.startswith("-") else ("", text)
        whole, _dot, fraction = number.partition(".")
        text = f"{sign}{int(whole):,}" + (f".{fraction}" if fraction else "")
    if locale == "fa":
        text = persian_digits(text.translate(str.maketrans({",": "٬", ".": "٫"})))
    return text


# --- the grid ---------------------------------------------------------------------------------------------------


@dataclass
class Cell:
    name: str  # the form field: v-<indicator id>-<sector id>-<year>
    indicator_id: int
    sector_id: int
    year: int
    stored: float | None  # the value in the database
    stored_source: str
    shown: str = ""  # the stored value as the grid shows it
    text: str = ""  # what the input holds: the stored value, or what the user typed when the save was refused
    error: str = ""


@dataclass
class Row:
    sector: Sector | None  # None: the indicator is not by sector (the TOTAL sector)
    cells: list[Cell]


@dataclass
class Block:
    """One indicator: a single row, or one row per ISIC section for a by-sector indicator."""

    indicator: Indicator
    rows: list[Row]
    source: str = ""  # the source field as shown
    source_error: str = ""

    @property
    def source_name(self) -> str:
        return f"source-{self.indicator.id}"

    @property
    def cells(self) -> Iterator[Cell]:
        return (cell for row in self.rows for cell in row.cells)

    @property
    def filled(self) -> int:
        return sum(cell.stored is not None for cell in self.cells)

    @property
    def has_error(self) -> bool:
        return bool(self.source_error) or any(cell.error for cell in self.cells)

    @property
    def edited(self) -> bool:
        """Typed in but not stored (a refused save): a folded block is shown open so nothing typed is hidden."""
        return any(cell.text != cell.shown for cell in self.cells)

    def default_source(self) -> str:
        """The source most of the stored values give (what the field shows before the user changes it)."""
        counts = Counter(cell.stored_source for cell in self.cells if cell.stored is not None)
        return min(counts, key=lambda source: (-counts[source], source)) if counts else ""


@dataclass
class Grid:
    task: Task
    agency: Agency | None
    regions: list[Region]
    region: Region | None
    years: list[int]
    newest_year: int  # the window may not end after it
    blocks: list[Block] = field(default_factory=list)
    error: str = ""  # a refusal of the whole save
    stored: Stored | None = None  # what the last save did

    @property
    def plain(self) -> list[Block]:
        return [block for block in self.blocks if not block.indicator.by_sector]

    @property
    def by_sector(self) -> list[Block]:
        return [block for block in self.blocks if block.indicator.by_sector]

    @property
    def error_count(self) -> int:
        return sum(bool(cell.error) for block in self.blocks for cell in block.cells) + sum(
            bool(block.source_error) for block in self.blocks)

    @property
    def earlier(self) -> int | None:
        return self.years[-1] - 1 if self.years[0] - 1 >= YEARS[0] else None

    @property
    def later(self) -> int | None:
        return self.years[-1] + 1 if self.years[-1] < self.newest_year else None

    def cells(self) -> Iterator[tuple[Block, Cell]]:
        return ((block, cell) for block in self.blocks for cell in block.cells)


def _stored(indicator_ids: list[int], region_id: int, years: list[int]) -> dict[tuple[int, int, int], tuple]:
    if not indicator_ids:
        return {}
    rows = db.session.execute(sa.select(
        IndicatorValue.indicator_id, IndicatorValue.sector_id, IndicatorValue.year, IndicatorValue.value,
        IndicatorValue.source).where(IndicatorValue.indicator_id.in_(indicator_ids),
                                     IndicatorValue.region_id == region_id, IndicatorValue.year.in_(years)))
    return {(i, s, y): (value, source or "") for i, s, y, value, source in rows}


def load_grid(task: Task, region_id: int | str | None, end: int | str | None, now: datetime,
              locale: str) -> Grid:
    """The grid of `task` for one region (the province when `region_id` is not one of the choices) and the
    SPAN years ending with `end`, prefilled with the stored values."""
    agency = task_agency(task)
    regions = grid_regions()
    chosen = str(region_id or "")
    region = next((r for r in regions if str(r.id) == ascii_digits(chosen)), regions[0] if regions else None)
    years = window(end, now)
    grid = Grid(task=task, agency=agency, regions=regions, region=region, years=years,
                newest_year=last_year(now) + 1)
    total = total_sector()
    indicators = agency_indicators(agency.id if agency else None)
    if region is None or total is None or not indicators:
        return grid
    isic = sections()
    stored = _stored([i.id for i in indicators], region.id, years)
    for indicator in indicators:
        rows = []
        for sector in (isic if indicator.by_sector else [None]):
            sector_id = sector.id if sector else total.id
            cells = []
            for year in years:
                value, source = stored.get((indicator.id, sector_id, year), (None, ""))
                shown = "" if value is None else format_cell(value, locale)
                cells.append(Cell(name=f"v-{indicator.id}-{sector_id}-{year}", indicator_id=indicator.id,
                                  sector_id=sector_id, year=year, stored=value, stored_source=source, shown=shown,
                                  text=shown))
            rows.append(Row(sector=sector, cells=cells))
        block = Block(indicator=indicator, rows=rows)
        block.source = block.default_source()
        grid.blocks.append(block)
    return grid


# --- saving -----------------------------------------------------------------------------------------------------


def save_refusal(actor: User, task: Task) -> str | None:
    """Why the actor may not put values on this task now (None: they may): they must be allowed to work on it,
    the task must collect indicators, and it must still wait for the agency (not submitted, accepted or
    cancelled)."""
    decision = can(actor, Perm.WORK_ON_TASK, task)
    if not decision:
        return decision.reason
    if task.kind != TaskKind.SUBMIT_INDICATORS:
        return str(_l("This task does not collect indicator values."))
    if task.status not in TO_DO:
        return str(_l("This task is «%(status)s»: its values can no longer be changed here.",
                      status=task.status.label))
    return None


def check_workable(actor: User, task: Task) -> None:
    require(actor, Perm.WORK_ON_TASK, task)  # 403 with the reason
    refusal = save_refusal(actor, task)
    if refusal:
        raise Conflict(refusal)


def save_grid(actor: User, task: Task, form: Mapping[str, str], now: datetime, locale: str) -> Grid:
    """Check every posted cell of the grid; store them all (with the task and the actor) only if every one is
    good. Returns the grid: with the problems next to their cells (stored is None), or with what was stored.

    Empty cells mean "no value": a value already stored is never deleted from here. A row's source applies to the
    values typed in the row; stored values keep their own source unless the user changed the row's source."""
    check_workable(actor, task)
    grid = load_grid(task, form.get("region"), form.get("end"), now, locale)
    if grid.region is None or str(grid.region.id) != ascii_digits(str(form.get("region", ""))):
        raise ValidationFailed(_l("Choose the province or one of its counties."), field="region")
    if len(form) > MAX_CELLS:
        raise ValidationFailed(_l("The form is too large; save fewer years at a time."))
    known = {cell.name for _block, cell in grid.cells()}
    if any(name.startswith("v-") and name not in known for name in form):
        raise ValidationFailed(_l("The indicator catalog changed since you opened this grid. Nothing was saved: "
                                  "reload the page and enter the values again."))

    typed = [(block, cell, str(form.get(cell.name, "")).strip()) for block, cell in grid.cells()]
    numbers = parse_numbers(pd.Series([text for _b, _c, text in typed], dtype=object)).tolist()
    for (_block, cell, text), number in zip(typed, numbers, strict=True):
        cell.text = text
        if text and pd.isna(number):
            cell.error = str(_l("Not a number (e.g. %(example)s)", example=format_cell(12345.6, locale)))
    sources = {}
    for block in grid.blocks:
        source = " ".join(str(form.get(block.source_name, "")).split())
        block.source = source
        if len(source) > MAX_SOURCE:
            block.source_error = str(_l("The source is too long (at most %(max)s characters).",
                                        max=format_cell(MAX_SOURCE, locale)))
        sources[block.indicator.id] = source
    if grid.error_count:
        return grid

    rows = []
    for (block, cell, text), number in zip(typed, numbers, strict=True):
        if not text:
            continue  # no value: whatever is stored stays
        source = sources[block.indicator.id]
        if cell.stored is not None and source == block.default_source():
            source = cell.stored_source  # the row's source was left as it was: each stored value keeps its own
        rows.append({"indicator_id": cell.indicator_id, "region_id": grid.region.id, "sector_id": cell.sector_id,
                     "year": cell.year, "value": float(number), "source": source})
    frame = pd.DataFrame(rows, columns=["indicator_id", "region_id", "sector_id", "year", "value", "source"])
    stored = store_values(frame, actor.id, now, task_id=task.id) if len(frame) else Stored()
    if stored.inserted or stored.updated:
        record(actor, "task.indicators", task, summary=task.title,
               after={"region": grid.region.code, "years": [grid.years[0], grid.years[-1]],
                      "inserted": stored.inserted, "updated": stored.updated})
    grid.stored = stored  # the caller commits, then shows the grid again (load_grid): stored values only
    return grid


# --- the template file ------------------------------------------------------------------------------------------

TEMPLATE_COLUMNS = ("indicator", "region", "sector", "year", "value", "source")  # validate.COLUMNS, English codes


def template_rows(task: Task, now: datetime) -> list[dict]:
    """One row per agency indicator × (the province and each county) × (each ISIC section if by sector) for last
    year, with the stored value and source when there is one. The sector is blank for indicators not by sector
    (the importer reads blank as the total)."""
    agency = task_agency(task)
    indicators = agency_indicators(agency.id if agency else None)
    regions, total = grid_regions(), total_sector()
    if not indicators or not regions or total is None:
        return []
    year = last_year(now)
    isic = sections()
    stored = {(i, r, s): (value, source) for i, r, s, value, source in db.session.execute(sa.select(
        IndicatorValue.indicator_id, IndicatorValue.region_id, IndicatorValue.sector_id, IndicatorValue.value,
        IndicatorValue.source).where(IndicatorValue.indicator_id.in_([i.id for i in indicators]),
                                     IndicatorValue.year == year))}
    rows = []
    for indicator in indicators:
        for region in regions:
            for sector in (isic if indicator.by_sector else [None]):
                value, source = stored.get((indicator.id, region.id, sector.id if sector else total.id), (None, ""))
                rows.append({"indicator": indicator.code, "region": region.code,
                             "sector": sector.code if sector else "", "year": year, "value": value,
                             "source": source or ""})
    return rows
