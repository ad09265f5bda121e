"""Candidates suggested from the province's data: ISIC sections in which the province is more specialised than
the nation (location quotient above 1), from employment by sector (value added when there is no employment data).
And the key sectors of the plan's uploaded input-output table (origin key_sector; planapp/analysis)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from planapp.analysis import queries as analysis_queries
from planapp.analysis.linkages import plan_key_sectors
from planapp.analytics import AnalyticsError, location_quotient
from planapp.core.i18n import format_number, localized_digits
from planapp.scoring import queries
from planapp.scoring.messages import analytics_message

INDICATOR_CODES = ("EMP", "VA")  # employment by sector first; value added when there is no employment data


@dataclass(frozen=True)
class Suggestion:
    sector_id: int
    code: str
    name: str
    lq: float


@dataclass
class Suggestions:
    items: list[Suggestion] = field(default_factory=list)
    indicator: str = ""  # the indicator's name, in the user's language
    year: int | None = None
    problem: str = ""  # why there are no suggestions, in the user's language

    def note_for(self, suggestion: Suggestion, locale: str) -> str:
        """What the candidate keeps of its origin, in the supervisor's language: «ضریب مکانی ۳٫۰۰ (…، ۱۴۰۳)»."""
        return str(gettext("LQ %(lq)s (%(indicator)s, %(year)s)", lq=format_number(suggestion.lq, locale, 2),
                      indicator=self.indicator, year=localized_digits(self.year)))


def _latest_common_year(values: pd.DataFrame, province_id: int, nation_id: int) -> int | None:
    years = [set(values.loc[values.region_id == region, "year"]) for region in (province_id, nation_id)]
    common = years[0] & years[1]
    return max(common) if common else None


def location_quotient_suggestions(province_name: str, locale: str) -> Suggestions:
    """Sections with LQ > 1 in the latest year both the province and the nation have values for, highest first."""
    province, nation = queries.the_province(province_name), queries.the_nation()
    if province is None or nation is None:
        return Suggestions(problem=str(_l("The province and the nation must both be among the regions.")))
    for code in INDICATOR_CODES:
        indicator = queries.find_indicator(code)
        if indicator is None:
            continue
        rows = queries.section_values(indicator.id, (province.id, nation.id))
        values = pd.DataFrame(rows, columns=["region_id", "sector_id", "year", "value"])
        year = _latest_common_year(values, province.id, nation.id) if len(values) else None
        if year is not None:
            return _quotients(values[values.year == year], province.id, nation.id, indicator.display_name(locale),
                              year, locale)
    return Suggestions(problem=str(_l("There are no values by sector for both the province and the nation yet.")))


def _quotients(values: pd.DataFrame, province_id: int, nation_id: int, indicator: str, year: int,
               locale: str) -> Suggestions:
    by_region = values.pivot_table(index="sector_id", columns="region_id", values="value", aggfunc="sum")
    if province_id not in by_region or nation_id not in by_region:
        return Suggestions(indicator=indicator, year=year, problem=str(_l("There is nothing to compare yet.")))
    both = by_region[[province_id, nation_id]].dropna()
    both = both[both[nation_id] > 0]  # a section absent from the nation has no quotient
    result = Suggestions(indicator=indicator, year=year)
    try:
        lq = location_quotient(both[province_id], both[nation_id])
    except AnalyticsError as error:
        result.problem = analytics_message(error)
        return result
    sectors = queries.sectors_by_id([int(i) for i in lq.index])
    for sector_id, value in lq[lq > 1].sort_values(ascending=False).items():
        sector = sectors[int(sector_id)]
        result.items.append(Suggestion(sector.id, sector.code, sector.display_name(locale), float(value)))
    if not result.items:
        result.problem = str(_l("No sector is more concentrated in the province than in the nation."))
    return result


@dataclass(frozen=True)
class KeySector:
    """A key sector of the plan's input-output table (both linkages above 1), tied to its ISIC section when its
    label names one."""

    label: str
    sector_id: int | None
    backward: float
    forward: float
    note: str  # «پیوند پسین ۱٫۲۱، پیشین ۱٫۰۸», kept on the candidate
    taken: bool  # already a candidate (same name or section)


def key_sector_suggestions(plan_id: int, locale: str, candidates: list | None = None) -> list[KeySector]:
    """The key sectors of the plan's uploaded input-output table (planapp/analysis), strongest pull first."""
    rows = plan_key_sectors(plan_id)
    sections = analysis_queries.sections_by_code([row.section for row in rows if row.section])
    names = {" ".join(c.name.split()) for c in candidates or []}
    sector_ids = {c.sector_id for c in candidates or [] if c.sector_id is not None}
    found = []
    for row in rows:
        sector = sections.get(row.section) if row.section else None
        note = str(gettext("backward %(backward)s, forward %(forward)s",
                           backward=format_number(row.backward, locale, 2),
                           forward=format_number(row.forward, locale, 2)))
        found.append(KeySector(row.label, sector.id if sector else None, row.backward, row.forward, note,
                               row.label in names or (sector is not None and sector.id in sector_ids)))
    return found
