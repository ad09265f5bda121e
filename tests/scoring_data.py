"""A small world of indicator values whose location quotients are known, for the scoring matrix's tests."""

from __future__ import annotations

from planapp.core.clock import now
from planapp.extensions import db
from planapp.indicators.models import Category, Indicator, IndicatorValue, Region, RegionKind, Sector

# Employment in 1403: the province A 30, C 50, G 20 (of 100); the nation A 100, C 200, G 700 (of 1,000).
# LQ_A = 0.30 / 0.10 = 3, LQ_C = 0.50 / 0.20 = 2.5, LQ_G = 0.20 / 0.70 ≈ 0.29.
PROVINCE_1403 = {"A": 30, "C": 50, "G": 20, "TOTAL": 100}
NATION_1403 = {"A": 100, "C": 200, "G": 700, "TOTAL": 1000}
SECTOR_NAMES = {"A": "کشاورزی", "C": "صنعت (ساخت)", "G": "عمده‌فروشی و خرده‌فروشی", "TOTAL": "کل"}


def known_quotients(sector_names: dict[str, str] | None = None) -> dict[str, int]:
    """Regions, sectors and employment values; the latest year with both regions is 1403 (1404: the province
    only, 1401: the nation only). Returns the sector ids by code."""
    names = {**SECTOR_NAMES, **(sector_names or {})}
    nation = Region(code="IR", name="ایران", kind=RegionKind.COUNTRY)
    province = Region(code="EA", name="استان آذربایجان شرقی", kind=RegionKind.PROVINCE)
    sectors = {code: Sector(code=code, name=name) for code, name in names.items()}
    employment = Indicator(code="EMP", name="شاغلان به تفکیک بخش", name_en="Employment by sector",
                           category=Category.ECONOMIC, unit="نفر", by_sector=True)
    db.session.add_all([nation, province, employment, *sectors.values()])
    db.session.flush()

    def value(region: Region, code: str, year: int, amount: float) -> IndicatorValue:
        return IndicatorValue(indicator_id=employment.id, region_id=region.id, sector_id=sectors[code].id, year=year,
                              value=amount, submitted_at=now())

    rows = [value(province, code, 1403, amount) for code, amount in PROVINCE_1403.items()]
    rows += [value(nation, code, 1403, amount) for code, amount in NATION_1403.items()]
    rows += [value(province, "G", 1404, 99), value(nation, "G", 1401, 5)]
    db.session.add_all(rows)
    db.session.commit()
    return {code: sector.id for code, sector in sectors.items()}


def closed_round(plan, supervisor, scorers, candidates=("گردشگری", "فرش"), criteria=("اشتغال", "مصرف آب"),
                 weights=("3", "1"), kinds=("benefit", "cost")):
    """A scoring round on `plan` opened for the scorers' agencies, every cell scored by each (scorer n gives
    candidate i on criterion j the score 1 + (n + 2i + j) % 9), closed. Returns the matrix. A plan already past
    analysis held its round there: the stage is set back for the round and restored after."""
    from planapp.plans.workflow import Stage
    from planapp.scoring import queries, rounds, services

    stage, plan.stage = plan.stage, Stage.ANALYSIS
    for name in candidates:
        services.add_candidate(supervisor, plan, name, now())
    made = [services.add_criterion(supervisor, plan, name, kind, now())
            for name, kind in zip(criteria, kinds, strict=True)]
    matrix = queries.get_active_matrix(plan.id)
    services.set_direct_weights(supervisor, plan, {c.id: w for c, w in zip(made, weights, strict=True)},
                                matrix.version, now())
    tasks = rounds.open_round(supervisor, plan, sorted({u.agency_id for u in scorers}), "7", now())
    by_agency = {t.agency_id: t for t in tasks}
    for n, user in enumerate(scorers):
        for i, candidate in enumerate(queries.list_candidates(matrix.id)):
            for j, criterion in enumerate(queries.list_criteria(matrix.id)):
                rounds.save_score(user, by_agency[user.agency_id], candidate.id, criterion.id,
                                  str(1 + (n + 2 * i + j) % 9), now())
    rounds.close_round(supervisor, plan, now())
    plan.stage = stage
    db.session.commit()
    return matrix
