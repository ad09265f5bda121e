"""Indicator values and input-output tables whose analysis results are worked by hand, for the analysis tests.

Employment by ISIC section (EMP):
    province 1400: A 20, C 40, G 20 (80)     1403: A 30, C 50, G 20 (100)
    nation   1400: A 100, C 150, G 500 (750)  1403: A 100, C 200, G 700 (1,000)
Location quotients in 1403: A 0.30/0.10 = 3, C 0.50/0.20 = 2.5, G 0.20/0.70 ≈ 0.2857. Krugman specialization
|0.3−0.1| + |0.5−0.2| + |0.2−0.7| = 1.0; Herfindahl: the province 0.09+0.25+0.04 = 0.38, the nation 0.54.
Shift-share 1400 → 1403 with G = 1000/750 − 1 = 1/3:
    A: NS 20/3 ≈ 6.667, IM 20·(0 − 1/3) ≈ −6.667, RS 10 − 0 = 10, total 10
    C: NS 40/3 ≈ 13.333, IM 40·(1/3 − 1/3) = 0, RS 10 − 40/3 ≈ −3.333, total 10
    G: NS 20/3 ≈ 6.667, IM 20·(0.4 − 1/3) ≈ 1.333, RS 0 − 8 = −8, total 0
1401 has values for the province only, so the common years are 1400 and 1403.
"""

from __future__ import annotations

from planapp.core.clock import now
from planapp.extensions import db
from planapp.indicators.models import Category, Indicator, IndicatorValue, Region, RegionKind, Sector

PROVINCE = {1400: {"A": 20, "C": 40, "G": 20}, 1403: {"A": 30, "C": 50, "G": 20}, 1401: {"A": 25}}
NATION = {1400: {"A": 100, "C": 150, "G": 500}, 1403: {"A": 100, "C": 200, "G": 700}}
NAMES = {"A": ("کشاورزی", "Agriculture"), "C": ("صنعت (ساخت)", "Manufacturing"),
         "G": ("عمده‌فروشی و خرده‌فروشی", "Trade"), "TOTAL": ("کل", "Total")}

# Three sectors; the labels name ISIC sections the ways the layout allows (a code and a name, a name, a code);
# Persian digits are numbers too. Which sectors are key is checked against numpy in the tests.
IO_ROWS = [["بخش", "A کشاورزی", "صنعت (ساخت)", "G", "ستانده کل"],
           ["A کشاورزی", "۱۰", "۶۰", "۵", "۲۰۰"],
           ["صنعت (ساخت)", "40", "300", "60", "900"],
           ["G", "5", "80", "", "400"]]  # an empty flow is zero


def io_csv(rows: list[list[str]] | None = None) -> bytes:
    return "\n".join(",".join(row) for row in (rows or IO_ROWS)).encode() + b"\n"


def regional_world() -> dict[str, int]:
    """Regions, sections, EMP and VA (VA without values); returns the sector ids by code."""
    nation = Region(code="IR", name="ایران", kind=RegionKind.COUNTRY)
    province = Region(code="EA", name="استان آذربایجان شرقی", kind=RegionKind.PROVINCE)
    sectors = {code: Sector(code=code, name=fa, name_en=en) for code, (fa, en) in NAMES.items()}
    employment = Indicator(code="EMP", name="شاغلان به تفکیک بخش", name_en="Employment by sector",
                           category=Category.ECONOMIC, unit="نفر", by_sector=True)
    added = Indicator(code="VA", name="ارزش افزوده به تفکیک بخش", name_en="Value added by sector",
                      category=Category.ECONOMIC, unit="میلیارد ریال", by_sector=True)
    db.session.add_all([nation, province, employment, added, *sectors.values()])
    db.session.flush()
    rows = [IndicatorValue(indicator_id=employment.id, region_id=region.id, sector_id=sectors[code].id, year=year,
                           value=amount, submitted_at=now())
            for region, data in ((province, PROVINCE), (nation, NATION))
            for year, values in data.items() for code, amount in values.items()]
    db.session.add_all(rows)
    db.session.commit()
    return {code: sector.id for code, sector in sectors.items()}


def io_table_row(plan_id: int, user_id: int, labels: list[str] | None = None):
    """A stored input-output table (for pages crawled with lived-in rows): the hand-worked three sectors."""
    from planapp.analysis.models import InputOutputTable

    return InputOutputTable(plan_id=plan_id, labels=labels or ["A کشاورزی", "صنعت (ساخت)", "G"],
                            flows=[[10, 60, 5], [40, 300, 60], [5, 80, 0]], outputs=[200, 900, 400],
                            sections=["A", "C", "G"], file_name="io.csv", uploaded_by_id=user_id,
                            uploaded_at=now())
