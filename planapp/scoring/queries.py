"""Reading a plan's scoring matrix, and the indicator values the candidate suggestions rest on."""

from __future__ import annotations

import sqlalchemy as sa

from planapp.extensions import db
from planapp.indicators.models import TOTAL_SECTOR, Indicator, IndicatorValue, Region, RegionKind, Sector
from planapp.scoring.models import Candidate, Criterion, PairwiseJudgement, ScoringMatrix


def get_active_matrix(plan_id: int) -> ScoringMatrix | None:
    return db.session.scalar(sa.select(ScoringMatrix).where(ScoringMatrix.plan_id == plan_id,
                                                            ScoringMatrix.is_active.is_(True))
                             .order_by(ScoringMatrix.id.desc()).limit(1))


def list_candidates(matrix_id: int) -> list[Candidate]:
    return list(db.session.scalars(sa.select(Candidate).where(Candidate.matrix_id == matrix_id)
                                   .order_by(Candidate.position, Candidate.id)))


def list_criteria(matrix_id: int) -> list[Criterion]:
    return list(db.session.scalars(sa.select(Criterion).where(Criterion.matrix_id == matrix_id)
                                   .order_by(Criterion.position, Criterion.id)))


def list_judgements(matrix_id: int) -> list[PairwiseJudgement]:
    return list(db.session.scalars(sa.select(PairwiseJudgement).where(PairwiseJudgement.matrix_id == matrix_id)))


def get_candidate(matrix_id: int, candidate_id: int) -> Candidate | None:
    candidate = db.session.get(Candidate, candidate_id)
    return candidate if candidate is not None and candidate.matrix_id == matrix_id else None


def get_criterion(matrix_id: int, criterion_id: int) -> Criterion | None:
    criterion = db.session.get(Criterion, criterion_id)
    return criterion if criterion is not None and criterion.matrix_id == matrix_id else None


def get_sector(sector_id: int) -> Sector | None:
    return db.session.get(Sector, sector_id)


# --- the data suggestions rest on -----------------------------------------------------------------------------


def find_indicator(code: str) -> Indicator | None:
    return db.session.scalar(sa.select(Indicator).where(Indicator.code == code, Indicator.by_sector.is_(True)))


def the_nation() -> Region | None:
    return db.session.scalar(sa.select(Region).where(Region.kind == RegionKind.COUNTRY, Region.is_active.is_(True))
                             .order_by(Region.id).limit(1))


def the_province(name: str) -> Region | None:
    """The province region the plan names (exactly, or within a longer name: «استان آذربایجان شرقی»); when the
    plan's province matches none, the only province there is."""
    provinces = list(db.session.scalars(sa.select(Region).where(Region.kind == RegionKind.PROVINCE,
                                                                Region.is_active.is_(True)).order_by(Region.id)))
    wanted = " ".join((name or "").split())
    for match in (lambda r: wanted in (r.name, r.name_en), lambda r: bool(wanted) and wanted in r.name):
        found = [region for region in provinces if match(region)]
        if found:
            return found[0]
    return provinces[0] if len(provinces) == 1 else None


def section_values(indicator_id: int, region_ids: tuple[int, int]) -> list[tuple[int, int, int, float]]:
    """(region_id, sector_id, year, value) of ISIC sections (top-level sectors, not TOTAL) in the two regions."""
    return [tuple(row) for row in db.session.execute(
        sa.select(IndicatorValue.region_id, IndicatorValue.sector_id, IndicatorValue.year, IndicatorValue.value)
        .join(Sector, Sector.id == IndicatorValue.sector_id)
        .where(IndicatorValue.indicator_id == indicator_id, IndicatorValue.region_id.in_(region_ids),
               Sector.parent_id.is_(None), Sector.code != TOTAL_SECTOR)
    )]


def sectors_by_id(ids: list[int]) -> dict[int, Sector]:
    if not ids:
        return {}
    return {sector.id: sector for sector in db.session.scalars(sa.select(Sector).where(Sector.id.in_(ids)))}
