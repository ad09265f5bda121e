"""Reading the catalog for its admin pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from planapp.core.text import fold, search_key
from planapp.extensions import db
from planapp.indicators.models import TOTAL_SECTOR, Category, Indicator, Region, RegionKind, Sector


def get_indicator(indicator_id: int) -> Indicator | None:
    return db.session.get(Indicator, indicator_id)


def _status(query: sa.Select, model: type, status: str) -> sa.Select:
    if status == "active":
        return query.where(model.is_active.is_(True))
    if status == "inactive":
        return query.where(model.is_active.is_(False))
    return query


def list_indicators(q: str = "", category: str = "", status: str = "active", page: int = 1,
                    per_page: int = 20) -> Pagination:
    """The catalog by code; `q` matches code, names and unit folded (Arabic ي/ك, digits, diacritics)."""
    query = _status(sa.select(Indicator).order_by(Indicator.code), Indicator, status)
    if category in set(Category):
        query = query.where(Indicator.category == Category(category))
    if fold(q):
        # A catalog is hundreds of rows, not millions: fold its texts here rather than keep a search column.
        needle = fold(q)
        rows = db.session.execute(sa.select(Indicator.id, Indicator.code, Indicator.name, Indicator.name_en,
                                            Indicator.unit, Indicator.unit_en))
        ids = [row.id for row in rows if needle in search_key(*row[1:])]
        query = query.where(Indicator.id.in_(ids))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def get_region(region_id: int) -> Region | None:
    return db.session.get(Region, region_id)


def list_regions() -> list[Region]:
    """The country, the province, then its counties by name."""
    order = sa.case({RegionKind.COUNTRY: 0, RegionKind.PROVINCE: 1}, value=Region.kind, else_=2)
    return list(db.session.scalars(sa.select(Region).order_by(order, Region.name, Region.id)))


def get_sector(sector_id: int) -> Sector | None:
    return db.session.get(Sector, sector_id)


def list_sectors() -> list[Sector]:
    """TOTAL, then each ISIC section followed by its finer sectors."""
    sectors = list(db.session.scalars(sa.select(Sector).order_by(Sector.code)))
    children: dict[int | None, list[Sector]] = {}
    for sector in sectors:
        children.setdefault(sector.parent_id, []).append(sector)
    ordered: list[Sector] = []
    for top in sorted(children.get(None, []), key=lambda s: (s.code != TOTAL_SECTOR, s.code)):
        ordered.append(top)
        ordered.extend(children.get(top.id, []))
    return ordered


def section_choices(locale: str) -> list[tuple[int, str]]:
    rows = db.session.scalars(sa.select(Sector).where(Sector.parent_id.is_(None), Sector.code != TOTAL_SECTOR,
                                                      Sector.is_active.is_(True)).order_by(Sector.code))
    return [(s.id, f"{s.code} — {s.display_name(locale)}") for s in rows]


def section_codes() -> dict[int, str]:
    """Each section's code by id, to show a finer sector's parent."""
    return dict(db.session.execute(sa.select(Sector.id, Sector.code).where(Sector.parent_id.is_(None))).all())
