"""Demo indicator values for `make run`: East Azerbaijan, its 21 counties and Iran (the national reference values
that location quotients and shift-share need), Jalali years 1398–1404.

Plausible, not official: magnitudes follow the published orders (Tabriz county ~1.8 million people, the province
~4 million, the nation ~85 million; unemployment around 8–10%), and employment and value added by ISIC section
give East Azerbaijan a location quotient above 1 in agriculture (A) and manufacturing (C). Deterministic (one
seeded numpy generator), built as arrays and stored in one set-based pass through `values.store_values`.
Idempotent: only values whose (indicator, region, sector, year) is not stored yet are added, so a second run —
or a run after someone corrected a demo value — changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from planapp.core.clock import now
from planapp.extensions import db
from planapp.indicators.models import TOTAL_SECTOR, Indicator, IndicatorValue, Region, Sector
from planapp.indicators.seed import COUNTRY, PROVINCE
from planapp.indicators.values import KEY, store_values

YEARS = np.arange(1398, 1405)
SEED = 1398
SCI = "مرکز آمار ایران (دادهٔ نمایشی)"
CBI = "بانک مرکزی (دادهٔ نمایشی)"
MOH = "وزارت بهداشت (دادهٔ نمایشی)"
MPO = "سازمان مدیریت و برنامه‌ریزی استان (دادهٔ نمایشی)"

# Population of each county in 1398 (census 1395 carried forward, rounded); the province is their sum (~3.95 M).
COUNTY_POPULATION = {
    "EA-TABRIZ": 1_790_000, "EA-MARAGHEH": 265_000, "EA-MARAND": 245_000, "EA-MIANEH": 184_000,
    "EA-AHAR": 137_000, "EA-BONAB": 138_000, "EA-SARAB": 129_000, "EA-SHABESTAR": 125_000, "EA-OSKU": 122_000,
    "EA-AZARSHAHR": 116_000, "EA-MALEKAN": 110_000, "EA-BOSTANABAD": 95_000, "EA-HERIS": 72_000,
    "EA-AJABSHIR": 69_000, "EA-HASHTRUD": 67_000, "EA-JOLFA": 58_000, "EA-KALEYBAR": 49_000,
    "EA-VARZAQAN": 46_000, "EA-KHODAAFARIN": 33_000, "EA-CHARUYMAQ": 32_000, "EA-HURAND": 25_000,
}
NATION_POPULATION = 83_000_000


@dataclass(frozen=True)
class Total:
    """An additive quantity: counties share the province's value (weights ∝ population ** concentration)."""

    code: str
    province: float  # 1398
    growth: float  # a year, as a fraction
    nation: float
    nation_growth: float
    source: str
    concentration: float = 1.0  # > 1: gathered in Tabriz; < 1: spread over rural counties
    counties: bool = True
    noise: float = 0.02


@dataclass(frozen=True)
class Rate:
    """A rate or ratio: counties vary around the province with their size (z = standardised log population)."""

    code: str
    province: float
    trend: float  # a year, in the indicator's unit
    nation: float
    nation_trend: float
    source: str
    size_slope: float = 0.0  # units per standard deviation of log population
    spread: float = 0.0  # county noise
    low: float = 0.0
    high: float = 100.0
    decimals: int = 1
    counties: bool = True
    gaps: bool = False  # a few county values missing (shown as —)


TOTALS = (
    Total("TOURISTS", 4_200_000, 0.03, 95_000_000, 0.02, MPO, concentration=1.3),
    Total("HOTEL_BEDS", 9_200, 0.04, 260_000, 0.035, MPO, concentration=1.4),
    Total("HOUSING", 24_000, -0.01, 390_000, -0.015, MPO),
    Total("ELECTRICITY", 11_200, 0.035, 305_000, 0.04, SCI, concentration=1.15),
    Total("WATER_USE", 3_150, -0.005, 96_000, -0.004, SCI, concentration=0.6),
    Total("FIRMS", 4_750, 0.02, 94_000, 0.018, SCI, concentration=1.35),
    Total("EXPORTS", 1_450, 0.06, 41_000, 0.05, CBI, counties=False, noise=0.08),
    Total("GFCF", 95_000, 0.36, 3_300_000, 0.35, CBI, counties=False, noise=0.05),
)
RATES = (
    Rate("UNEMP", 9.6, -0.35, 10.7, -0.45, SCI, size_slope=0.6, spread=1.6, low=3, high=25, gaps=True),
    Rate("YOUTH_UNEMP", 22.5, -0.6, 26.0, -0.7, SCI, size_slope=1.2, spread=3.0, low=8, high=45),
    Rate("LFPR", 41.2, 0.1, 42.6, 0.05, SCI, size_slope=-0.4, spread=1.5, low=30, high=55),
    Rate("LITERACY", 87.5, 0.3, 88.7, 0.25, SCI, size_slope=2.5, spread=1.2, low=70, high=99.5),
    Rate("URBAN", 72.0, 0.4, 75.5, 0.3, SCI, size_slope=12.0, spread=5.0, low=25, high=98),
    Rate("HH_SIZE", 3.2, -0.02, 3.3, -0.02, SCI, size_slope=-0.15, spread=0.1, low=2.6, high=4.2, decimals=2),
    Rate("DOCTORS", 13.5, 0.3, 12.6, 0.25, MOH, size_slope=4.0, spread=1.5, low=3, high=30, gaps=True),
    Rate("BEDS", 17.8, 0.2, 17.1, 0.2, MOH, size_slope=5.0, spread=2.0, low=2, high=35),
    Rate("INFANT_MORT", 12.8, -0.3, 13.4, -0.3, MOH, size_slope=-1.2, spread=1.0, low=5, high=25),
    Rate("INTERNET", 78.0, 2.6, 80.5, 2.5, SCI, size_slope=4.5, spread=2.0, low=40, high=99, gaps=True),
    Rate("RURAL_GAS", 91.0, 1.0, 88.0, 1.2, SCI, size_slope=2.0, spread=3.0, low=60, high=100),
    Rate("RAINFALL", 310.0, 0.0, 250.0, 0.0, SCI, size_slope=0.0, spread=45.0, low=150, high=600, decimals=0),
    Rate("INFLATION", 36.0, 1.5, 34.8, 1.8, CBI, counties=False, high=70),
    Rate("POVERTY", 21.0, 0.8, 26.5, 0.9, SCI, counties=False),
    Rate("LIFE_EXP", 75.6, 0.12, 75.9, 0.12, MOH, counties=False),
    Rate("ROAD_DEATHS", 19.5, -0.4, 20.2, -0.3, MOH, counties=False),
    Rate("GINI", 0.36, 0.002, 0.39, 0.002, SCI, counties=False, high=1, decimals=3),
)

# ISIC sections: (East Azerbaijan's share of employment, Iran's share, East Azerbaijan's share of value added,
# Iran's share). Agriculture (A) and manufacturing (C) weigh more in the province; mining (B, with crude oil and
# gas) much more in the nation.
SECTION_SHARES = {
    "A": (0.21, 0.170, 0.120, 0.090), "B": (0.004, 0.006, 0.020, 0.170), "C": (0.225, 0.170, 0.230, 0.170),
    "D": (0.005, 0.006, 0.020, 0.020), "E": (0.005, 0.005, 0.005, 0.005), "F": (0.115, 0.125, 0.060, 0.050),
    "G": (0.130, 0.140, 0.120, 0.110), "H": (0.080, 0.090, 0.080, 0.070), "I": (0.022, 0.025, 0.015, 0.012),
    "J": (0.008, 0.011, 0.025, 0.030), "K": (0.013, 0.015, 0.050, 0.055), "L": (0.004, 0.005, 0.120, 0.100),
    "M": (0.012, 0.015, 0.015, 0.015), "N": (0.013, 0.015, 0.010, 0.010), "O": (0.055, 0.060, 0.050, 0.045),
    "P": (0.055, 0.060, 0.030, 0.025), "Q": (0.033, 0.035, 0.020, 0.018), "R": (0.006, 0.007, 0.003, 0.002),
    "S": (0.027, 0.030, 0.007, 0.003), "T": (0.003, 0.003, 0.0005, 0.0005), "U": (0.0001, 0.0001, 0.00005, 0.00005),
}
EMPLOYED = (1_260_000, 0.012, 23_900_000, 0.013)  # province in 1398, growth; nation, growth
GDP = (610_000.0, 0.38, 17_200_000.0, 0.37)  # billion rials, nominal


class _Ids:
    def __init__(self) -> None:
        self.regions = dict(db.session.execute(sa.select(Region.code, Region.id)).all())
        self.indicators = dict(db.session.execute(sa.select(Indicator.code, Indicator.id)).all())
        self.sectors = dict(db.session.execute(sa.select(Sector.code, Sector.id)).all())


def _frame(indicator: str, region: str, sector: str, values: np.ndarray, source: str, decimals: int) -> dict:
    return {"indicator": indicator, "region": region, "sector": sector, "year": YEARS,
            "value": np.round(values, decimals), "source": source}


def _county_weights(concentration: float) -> np.ndarray:
    population = np.array(list(COUNTY_POPULATION.values()), dtype=float)
    weights = population ** concentration
    return weights / weights.sum()


def _size_z() -> np.ndarray:
    logs = np.log(np.array(list(COUNTY_POPULATION.values()), dtype=float))
    return (logs - logs.mean()) / logs.std()


def _growth(series: np.ndarray) -> np.ndarray:
    """Yearly growth in %, the first year's taken as the second's."""
    rates = series[1:] / series[:-1] - 1
    return np.concatenate([rates[:1], rates]) * 100


def _population(rng: np.random.Generator) -> tuple[list[dict], np.ndarray, np.ndarray]:
    steps = YEARS - YEARS[0]
    rows = []
    county_growth = 0.006 + rng.normal(0, 0.003, len(COUNTY_POPULATION))
    county_growth[0] = 0.009  # Tabriz draws people from the rest of the province
    province = np.zeros(len(YEARS))
    for (code, population), growth in zip(COUNTY_POPULATION.items(), county_growth, strict=True):
        values = np.round(population * (1 + growth) ** steps)
        province += values
        rows.append(_frame("POP", code, TOTAL_SECTOR, values, SCI, 0))
    rows.append(_frame("POP", PROVINCE[0], TOTAL_SECTOR, province, SCI, 0))
    nation = np.round(NATION_POPULATION * 1.0075 ** steps)
    rows.append(_frame("POP", COUNTRY[0], TOTAL_SECTOR, nation, SCI, 0))
    rows.append(_frame("POP_GROWTH", PROVINCE[0], TOTAL_SECTOR, _growth(province), SCI, 2))
    rows.append(_frame("POP_GROWTH", COUNTRY[0], TOTAL_SECTOR, _growth(nation), SCI, 2))
    gdp_p = GDP[0] * (1 + GDP[1]) ** steps * (1 + rng.normal(0, 0.02, len(YEARS)))
    gdp_n = GDP[2] * (1 + GDP[3]) ** steps * (1 + rng.normal(0, 0.02, len(YEARS)))
    rows.append(_frame("GDP", PROVINCE[0], TOTAL_SECTOR, gdp_p, CBI, 0))
    rows.append(_frame("GDP", COUNTRY[0], TOTAL_SECTOR, gdp_n, CBI, 0))
    rows.append(_frame("GDP_PC", PROVINCE[0], TOTAL_SECTOR, gdp_p * 1000 / province, CBI, 1))  # million rials
    rows.append(_frame("GDP_PC", COUNTRY[0], TOTAL_SECTOR, gdp_n * 1000 / nation, CBI, 1))
    return rows, gdp_p, gdp_n


def _totals(rng: np.random.Generator) -> list[dict]:
    steps = YEARS - YEARS[0]
    rows = []
    for spec in TOTALS:
        decimals = 0
        province = spec.province * (1 + spec.growth) ** steps * (1 + rng.normal(0, spec.noise, len(YEARS)))
        nation = spec.nation * (1 + spec.nation_growth) ** steps * (1 + rng.normal(0, spec.noise, len(YEARS)))
        if spec.counties:
            weights = _county_weights(spec.concentration) * rng.lognormal(0, 0.15, len(COUNTY_POPULATION))
            shares = weights[:, None] * rng.lognormal(0, 0.03, (len(COUNTY_POPULATION), len(YEARS)))
            counties = np.round(province * shares / shares.sum(axis=0), decimals)
            province = counties.sum(axis=0)  # the province is the sum of its counties
            for code, values in zip(COUNTY_POPULATION, counties, strict=True):
                rows.append(_frame(spec.code, code, TOTAL_SECTOR, values, spec.source, decimals))
        rows.append(_frame(spec.code, PROVINCE[0], TOTAL_SECTOR, province, spec.source, decimals))
        rows.append(_frame(spec.code, COUNTRY[0], TOTAL_SECTOR, nation, spec.source, decimals))
    return rows


def _rates(rng: np.random.Generator) -> list[dict]:
    steps = YEARS - YEARS[0]
    rows = []
    z = _size_z()
    for spec in RATES:
        province = spec.province + spec.trend * steps + rng.normal(0, abs(spec.province) * 0.01, len(YEARS))
        nation = spec.nation + spec.nation_trend * steps + rng.normal(0, abs(spec.nation) * 0.01, len(YEARS))
        rows.append(_frame(spec.code, PROVINCE[0], TOTAL_SECTOR, province, spec.source, spec.decimals))
        rows.append(_frame(spec.code, COUNTRY[0], TOTAL_SECTOR, nation, spec.source, spec.decimals))
        if not spec.counties:
            continue
        offsets = spec.size_slope * z + rng.normal(0, spec.spread, len(z))
        wobble = rng.normal(0, spec.spread * 0.25, (len(z), len(YEARS)))
        counties = np.clip(province[None, :] + offsets[:, None] + wobble, spec.low, spec.high)
        for index, (code, values) in enumerate(zip(COUNTY_POPULATION, counties, strict=True)):
            frame = _frame(spec.code, code, TOTAL_SECTOR, values, spec.source, spec.decimals)
            if spec.gaps and index % 7 == 3:  # a few counties did not report every year
                keep = rng.random(len(YEARS)) > 0.3
                frame = {**frame, "year": YEARS[keep], "value": frame["value"][keep]}
            rows.append(frame)
    return rows


def _by_section(rng: np.random.Generator, gdp_p: np.ndarray, gdp_n: np.ndarray) -> list[dict]:
    steps = YEARS - YEARS[0]
    rows = []
    codes = list(SECTION_SHARES)
    shares = np.array(list(SECTION_SHARES.values()))
    employed_p = EMPLOYED[0] * (1 + EMPLOYED[1]) ** steps
    employed_n = EMPLOYED[2] * (1 + EMPLOYED[3]) ** steps
    for column, region, total, source, decimals, indicator in (
            (0, PROVINCE[0], employed_p, SCI, 0, "EMP"), (1, COUNTRY[0], employed_n, SCI, 0, "EMP"),
            (2, PROVINCE[0], gdp_p, CBI, 0, "VA"), (3, COUNTRY[0], gdp_n, CBI, 0, "VA")):
        weights = shares[:, column][:, None] * rng.lognormal(0, 0.03, (len(codes), len(YEARS)))
        values = np.round(total * weights / weights.sum(axis=0), decimals)
        for code, series in zip(codes, values, strict=True):
            rows.append(_frame(indicator, region, code, series, source, decimals))
        rows.append(_frame(indicator, region, TOTAL_SECTOR, values.sum(axis=0), source, decimals))
        if indicator == "EMP" and region == PROVINCE[0]:
            rows.extend(_county_sections(rng, codes, values))
    return rows


def _county_sections(rng: np.random.Generator, codes: list[str], province: np.ndarray) -> list[dict]:
    """Employment by section in each county: Tabriz leans to manufacturing and services, the rest to farming."""
    z = _size_z()
    lean = np.zeros((len(codes), len(z)))
    lean[codes.index("A")] = -0.45 * z  # more farming in small counties
    lean[codes.index("C")] = 0.25 * z
    weights = _county_weights(1.0)[None, :] * np.exp(lean) * rng.lognormal(0, 0.1, lean.shape)
    weights = weights / weights.sum(axis=1, keepdims=True)  # each section's province total is shared out
    rows = []
    for index, code in enumerate(COUNTY_POPULATION):
        series = np.round(province * weights[:, index][:, None])
        for section, values in zip(codes, series, strict=True):
            rows.append(_frame("EMP", code, section, values, SCI, 0))
        rows.append(_frame("EMP", code, TOTAL_SECTOR, series.sum(axis=0), SCI, 0))
    return rows


def demo_frame() -> pd.DataFrame:
    """Every demo value by codes: indicator, region, sector, year, value, source."""
    rng = np.random.default_rng(SEED)
    population, gdp_p, gdp_n = _population(rng)
    parts = [*population, *_totals(rng), *_rates(rng), *_by_section(rng, gdp_p, gdp_n)]
    sizes = [len(part["year"]) for part in parts]
    return pd.DataFrame({
        **{name: np.repeat([part[name] for part in parts], sizes) for name in ("indicator", "region", "sector",
                                                                               "source")},
        **{name: np.concatenate([part[name] for part in parts]) for name in ("year", "value")}})


def seed_demo_values() -> int:
    """Store the demo values that are not stored yet (the catalog must be seeded); returns how many were added."""
    ids = _Ids()
    frame = demo_frame()
    frame = frame[frame.indicator.isin(ids.indicators.keys()) & frame.region.isin(ids.regions.keys())
                  & frame.sector.isin(ids.sectors.keys())]
    rows = pd.DataFrame({"indicator_id": frame.indicator.map(ids.indicators),
                         "region_id": frame.region.map(ids.regions),
                         "sector_id": frame.sector.map(ids.sectors), "year": frame.year, "value": frame.value,
                         "source": frame.source}).astype({name: "int64" for name in KEY})
    stored = db.session.execute(sa.select(*(getattr(IndicatorValue, name) for name in KEY))
                                .where(IndicatorValue.indicator_id.in_(sorted(set(rows.indicator_id.tolist()))))).all()
    if stored:
        present = pd.DataFrame(stored, columns=KEY).assign(present=True)
        rows = rows.merge(present, on=KEY, how="left")
        rows = rows[rows.present.isna()].drop(columns="present")
    if rows.empty:
        return 0
    return store_values(rows, None, now()).inserted
