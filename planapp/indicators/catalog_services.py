"""Changes to the catalog: indicators, counties and sectors. Never deleted (values point at them), only
deactivated. Every change is audited; the caller's request commits."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.agencies.models import Agency
from planapp.audit.services import record, record_changes, snapshot
from planapp.core import checks
from planapp.core.errors import ValidationFailed
from planapp.extensions import db
from planapp.indicators.models import (
    TOTAL_SECTOR,
    Category,
    Direction,
    Frequency,
    Indicator,
    Region,
    RegionKind,
    Sector,
)

INDICATOR_AUDITED = ("code", "name", "name_en", "category", "unit", "unit_en", "source_agency_id", "frequency",
                     "direction", "by_sector", "description", "is_active")
PLACE_AUDITED = ("code", "name", "name_en", "parent_id", "is_active")
CODE = re.compile(r"[A-Z0-9_-]+")


def _code(value: str | None, max_length: int) -> str:
    code = checks.text(value, "code", max_length).upper()
    if not CODE.fullmatch(code):
        raise ValidationFailed(_l("Use only Latin letters, digits, “_” and “-” in the code."), field="code")
    return code


def _check_unique_code(model: Any, code: str, exclude_id: int | None) -> None:
    checks.unique(model.code, code, exclude_id, _l("This code is already used."), "code")


def _enum(kind: Any, value: Any, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ValidationFailed(_l("Choose one of the listed options."), field=field) from None


def _source_agency(agency_id: Any, current_id: int | None) -> int | None:
    if not agency_id:
        return None
    agency = db.session.get(Agency, agency_id) if isinstance(agency_id, int) else None
    # The current source may stay even if deactivated since; a new one must be active.
    if agency is None or (not agency.is_active and agency.id != current_id):
        raise ValidationFailed(_l("Choose an active agency as the source."), field="source_agency_id")
    return agency.id


# Indicators ----------------------------------------------------------------------------------------------------


def _apply_indicator(indicator: Indicator, data: dict[str, Any]) -> None:
    code = _code(data.get("code"), 40)
    _check_unique_code(Indicator, code, indicator.id)
    name = checks.text(data.get("name"), "name", 200)
    name_en = checks.text(data.get("name_en"), "name_en", 200, required=False) or None
    unit = checks.text(data.get("unit"), "unit", 60)
    unit_en = checks.text(data.get("unit_en"), "unit_en", 60, required=False) or None
    category = _enum(Category, data.get("category"), "category")
    frequency = _enum(Frequency, data.get("frequency"), "frequency")
    direction = _enum(Direction, data.get("direction"), "direction")
    source = _source_agency(data.get("source_agency_id"), indicator.source_agency_id)
    description = (data.get("description") or "").strip()
    if len(description) > 2000:
        raise ValidationFailed(_l("At most %(n)s characters are allowed.", n=2000), field="description")
    indicator.code, indicator.name, indicator.name_en = code, name, name_en
    indicator.unit, indicator.unit_en, indicator.category = unit, unit_en, category
    indicator.frequency, indicator.direction, indicator.source_agency_id = frequency, direction, source
    indicator.by_sector = bool(data.get("by_sector"))
    indicator.description = description


def create_indicator(actor: Any, data: dict[str, Any]) -> Indicator:
    indicator = Indicator()
    _apply_indicator(indicator, data)
    db.session.add(indicator)
    db.session.flush()
    record(actor, "indicator.create", indicator, summary=indicator.name,
           after=snapshot(indicator, INDICATOR_AUDITED))
    return indicator


def update_indicator(actor: Any, indicator: Indicator, data: dict[str, Any]) -> Indicator:
    before = snapshot(indicator, INDICATOR_AUDITED)
    _apply_indicator(indicator, data)
    db.session.flush()
    record_changes(actor, "indicator.update", indicator, before, snapshot(indicator, INDICATOR_AUDITED),
                   summary=indicator.name)
    return indicator


def _set_active(actor: Any, obj: Any, active: bool, realm: str) -> Any:
    if obj.is_active == active:
        return obj
    obj.is_active = active
    db.session.flush()
    action = f"{realm}.reactivate" if active else f"{realm}.deactivate"
    record(actor, action, obj, summary=obj.name, before={"is_active": not active}, after={"is_active": active})
    return obj


def set_indicator_active(actor: Any, indicator: Indicator, active: bool) -> Indicator:
    return _set_active(actor, indicator, active, "indicator")


# Regions: counties are added and edited; the country and the province only get new names ----------------------


def province() -> Region:
    return db.session.scalars(sa.select(Region).where(Region.kind == RegionKind.PROVINCE).order_by(Region.id)).first()


def _apply_names(obj: Any, data: dict[str, Any], max_length: int) -> None:
    obj.name = checks.text(data.get("name"), "name", max_length)
    obj.name_en = checks.text(data.get("name_en"), "name_en", max_length, required=False) or None


def create_county(actor: Any, data: dict[str, Any]) -> Region:
    parent = province()
    if parent is None:
        raise ValidationFailed(_l("Add the province first."))
    code = _code(data.get("code"), 20)
    _check_unique_code(Region, code, None)
    region = Region(code=code, kind=RegionKind.COUNTY, parent_id=parent.id, is_active=True)
    _apply_names(region, data, 120)
    db.session.add(region)
    db.session.flush()
    record(actor, "region.create", region, summary=region.name, after=snapshot(region, PLACE_AUDITED))
    return region


def update_region(actor: Any, region: Region, data: dict[str, Any]) -> Region:
    """Names of any region; the code too for a county (import files name it)."""
    before = snapshot(region, PLACE_AUDITED)
    if region.kind == RegionKind.COUNTY:
        code = _code(data.get("code"), 20)
        _check_unique_code(Region, code, region.id)
        region.code = code
    _apply_names(region, data, 120)
    db.session.flush()
    record_changes(actor, "region.update", region, before, snapshot(region, PLACE_AUDITED), summary=region.name)
    return region


def set_county_active(actor: Any, region: Region, active: bool) -> Region:
    if region.kind != RegionKind.COUNTY:
        raise ValidationFailed(_l("Only a county can be deactivated."))
    return _set_active(actor, region, active, "region")


# Sectors: ISIC sections and finer sectors under a section; TOTAL is fixed -----------------------------------------


def _check_editable(sector: Sector | None) -> None:
    if sector is not None and sector.code == TOTAL_SECTOR:
        raise ValidationFailed(_l("The total of all sectors cannot be changed."))


def _section(parent_id: Any) -> int | None:
    if not parent_id:
        return None
    parent = db.session.get(Sector, parent_id) if isinstance(parent_id, int) else None
    if parent is None or parent.parent_id is not None or parent.code == TOTAL_SECTOR:
        raise ValidationFailed(_l("Choose an ISIC section as the parent."), field="parent_id")
    return parent.id


def _apply_sector(sector: Sector, data: dict[str, Any]) -> None:
    code = _code(data.get("code"), 20)
    if code == TOTAL_SECTOR:
        raise ValidationFailed(_l("This code is already used."), field="code")
    _check_unique_code(Sector, code, sector.id)
    parent_id = _section(data.get("parent_id"))
    if sector.id and parent_id is not None and db.session.scalar(
            sa.select(sa.func.count()).where(Sector.parent_id == sector.id)):
        raise ValidationFailed(_l("A section with finer sectors cannot be placed under another."), field="parent_id")
    sector.code = code
    sector.parent_id = parent_id
    _apply_names(sector, data, 200)


def create_sector(actor: Any, data: dict[str, Any]) -> Sector:
    sector = Sector(is_active=True)
    _apply_sector(sector, data)
    db.session.add(sector)
    db.session.flush()
    record(actor, "sector.create", sector, summary=sector.name, after=snapshot(sector, PLACE_AUDITED))
    return sector


def update_sector(actor: Any, sector: Sector, data: dict[str, Any]) -> Sector:
    _check_editable(sector)
    before = snapshot(sector, PLACE_AUDITED)
    _apply_sector(sector, data)
    db.session.flush()
    record_changes(actor, "sector.update", sector, before, snapshot(sector, PLACE_AUDITED), summary=sector.name)
    return sector


def set_sector_active(actor: Any, sector: Sector, active: bool) -> Sector:
    _check_editable(sector)
    return _set_active(actor, sector, active, "sector")
