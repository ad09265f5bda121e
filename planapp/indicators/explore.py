"""The indicator explorer's shaping, pure: the query string read into a selection (with problems a user can fix),
values pivoted into regions × years, ranks and direction colours, the charts' data and the export rows.

No Flask and no database here: the view hands in the catalog rows and the values (a DataFrame), and the locale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planapp.core.i18n import ascii_digits, format_number, persian_digits
from planapp.core.text import fold

MAX_INDICATORS = 6
MAX_SPAN = 30  # years in one view
FIRST_YEAR, LAST_YEAR = 1300, 1500  # Jalali years the explorer accepts
DEFAULT_SPAN = 7
TWO_AXES_FACTOR = 5  # the nation's values this many times the province's: each gets its own axis

COUNTRY, PROVINCE, COUNTY = "country", "province", "county"
HIGHER, LOWER = "higher_better", "lower_better"


@dataclass(frozen=True)
class Problem:
    """Something wrong in the query string: a code the view turns into a message, and its values."""

    code: str
    value: str = ""


@dataclass
class Selection:
    indicator_ids: list[int] = field(default_factory=list)
    region_ids: list[int] = field(default_factory=list)  # chosen: the nation, the province, counties
    all_counties: bool = False
    sector_id: int | None = None
    first_year: int | None = None
    last_year: int | None = None
    year: int | None = None  # the county comparison's year
    query: str = ""  # the picker's search text
    given_years: tuple[int | None, int | None] = (None, None)  # as the user wrote them (the form shows these)

    def params(self) -> dict[str, Any]:
        """The selection as query-string values (the same URL for the page, its exports and bookmarks)."""
        params: dict[str, Any] = {"indicator": self.indicator_ids, "region": self.region_ids}
        if self.all_counties:
            params["counties"] = "all"
        for name, value in (("sector", self.sector_id), ("from", self.first_year), ("to", self.last_year),
                            ("year", self.year)):
            if value is not None:
                params[name] = value
        return params


def _number(text: str) -> int | None:
    text = ascii_digits(text.strip())
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _ids(texts: Iterable[str], known: Iterable[int], what: str, problems: list[Problem]) -> list[int]:
    known = set(known)
    found: list[int] = []
    for text in texts:
        if not text.strip():
            continue
        number = _number(text)
        if number is None:
            problems.append(Problem(f"{what}_not_number", text[:40]))
        elif number not in known:
            problems.append(Problem(f"{what}_unknown", str(number)))
        elif number not in found:
            found.append(number)
    return found


def _year(text: str | None, name: str, problems: list[Problem]) -> int | None:
    if text is None or not text.strip():
        return None
    year = _number(text)
    if year is None:
        problems.append(Problem("year_not_number", text[:40]))
        return None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        problems.append(Problem("year_out_of_range", str(year)))
        return None
    return year


def parse_selection(args: Mapping[str, Sequence[str]], indicator_ids: Iterable[int], regions: Sequence[Any],
                    sector_ids: Iterable[int], total_sector_id: int | None) -> tuple[Selection, list[Problem]]:
    """Read the explorer's query string (each name → its list of values). Unknown or malformed values are left
    out and reported; without any region, the nation and the province are shown."""
    problems: list[Problem] = []

    def values(name: str) -> list[str]:
        return [str(value) for value in args.get(name, [])]

    def one(name: str) -> str | None:
        found = values(name)
        return found[-1] if found else None

    selection = Selection(query=(one("q") or "").strip()[:100])
    selection.indicator_ids = _ids(values("indicator"), indicator_ids, "indicator", problems)
    if len(selection.indicator_ids) > MAX_INDICATORS:
        problems.append(Problem("too_many_indicators", str(MAX_INDICATORS)))
        selection.indicator_ids = selection.indicator_ids[:MAX_INDICATORS]
    selection.region_ids = _ids(values("region"), (region.id for region in regions), "region", problems)
    selection.all_counties = one("counties") == "all"
    if not selection.region_ids and not selection.all_counties:
        selection.region_ids = [region.id for region in regions if region.kind in (COUNTRY, PROVINCE)]
    sector = _ids([one("sector") or ""], sector_ids, "sector", problems)
    selection.sector_id = sector[0] if sector else total_sector_id
    selection.first_year = _year(one("from"), "from", problems)
    selection.last_year = _year(one("to"), "to", problems)
    selection.year = _year(one("year"), "year", problems)
    if selection.first_year and selection.last_year:
        if selection.first_year > selection.last_year:
            problems.append(Problem("years_reversed", f"{selection.first_year}–{selection.last_year}"))
            selection.first_year, selection.last_year = selection.last_year, selection.first_year
        if selection.last_year - selection.first_year + 1 > MAX_SPAN:
            problems.append(Problem("span_too_long", str(MAX_SPAN)))
            selection.first_year = selection.last_year - MAX_SPAN + 1
    selection.given_years = (selection.first_year, selection.last_year)
    return selection, problems


def settle_years(selection: Selection, latest: Mapping[int, int], this_year: int) -> list[Problem]:
    """Fill the year range left open (ending at the chosen indicators' latest value, DEFAULT_SPAN years long) and
    check the comparison year against it."""
    problems: list[Problem] = []
    end = selection.last_year or max(latest.values(), default=this_year)
    if selection.last_year is None:
        selection.last_year = max(end, selection.first_year or end)
    if selection.first_year is None:
        selection.first_year = selection.last_year - DEFAULT_SPAN + 1
    if selection.year is not None and not selection.first_year <= selection.year <= selection.last_year:
        problems.append(Problem("year_outside_range", str(selection.year)))
        selection.year = None
    return problems


_ALPHABET = "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
_LETTER_RANK = {letter: index for index, letter in enumerate(_ALPHABET)}


def alphabetical_key(text: str) -> tuple[int, ...]:
    """Persian alphabetical order (پ after ب, چ after ج, ک and گ before ل, ی last), which code-point order and
    most databases' default collations get wrong; other letters after the Persian ones, in code-point order."""
    return tuple(_LETTER_RANK.get(char, len(_ALPHABET) + ord(char)) for char in fold(text))


def ordered_regions(regions: Iterable[Any], locale: str) -> list[Any]:
    """The nation, the province, then the counties alphabetically in the UI language."""
    rank = {COUNTRY: 0, PROVINCE: 1}
    return sorted(regions, key=lambda region: (rank.get(region.kind, 2), alphabetical_key(region.display_name(locale))))


def shown_region_ids(selection: Selection, regions: Sequence[Any]) -> list[int]:
    """The rows of the table, in the catalog's order: the chosen regions, and every county with 'all counties'."""
    chosen = set(selection.region_ids)
    return [region.id for region in regions
            if region.id in chosen or (selection.all_counties and region.kind == COUNTY)]


# ------------------------------------------------------------------------------------------------ shaping values


def pivot(values: pd.DataFrame, region_ids: Sequence[int], years: Sequence[int], column: str = "value") -> pd.DataFrame:
    """Regions × years (rows and columns in the given order; NaN, or None for text, where nothing is stored)."""
    table = (values.pivot_table(index="region_id", columns="year", values=column, aggfunc="last")
             if len(values) else pd.DataFrame())
    return table.reindex(index=list(region_ids), columns=list(years))


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def decimals_for(value: float) -> int:
    """Whole numbers for large values, up to two decimals for rates, three for indices below one."""
    size = abs(value)
    if size >= 1000 or float(value).is_integer():
        return 0
    return 3 if size < 1 else 2 if size < 100 else 1


def format_value(value: Any, locale: str) -> str:
    """A table cell: grouped, in the locale's digits, trailing zeros dropped; — when missing."""
    if is_missing(value):
        return "—"
    number = float(value)
    places = decimals_for(number)
    text = format_number(round(number, places), locale, None if places else 0)
    return text


def localized_year(year: int, locale: str) -> str:
    return str(year) if locale == "en" else persian_digits(year)


def tone(value: Any, reference: Any, direction: str) -> str:
    """'better', 'worse' or 'equal' than the reference given the indicator's direction; 'neutral' when the
    direction says neither, or a value is missing."""
    if direction not in (HIGHER, LOWER) or is_missing(value) or is_missing(reference):
        return "neutral"
    if math.isclose(float(value), float(reference), rel_tol=1e-9, abs_tol=1e-12):
        return "equal"
    higher = float(value) > float(reference)
    return "better" if higher == (direction == HIGHER) else "worse"


@dataclass(frozen=True)
class Ranked:
    rank: int
    region_id: int
    name: str
    value: float


def rank_regions(values: Mapping[int, Any], names: Mapping[int, str], direction: str) -> list[Ranked]:
    """Best first (highest unless lower is better; highest for neutral indicators), missing values left out.
    Ties share a rank and the next rank skips (1, 2, 2, 4), and tied regions are listed by name."""
    present = [(region_id, float(value)) for region_id, value in values.items() if not is_missing(value)]
    descending = direction != LOWER
    present.sort(key=lambda item: (-item[1] if descending else item[1], alphabetical_key(names.get(item[0], ""))))
    ranked: list[Ranked] = []
    for position, (region_id, value) in enumerate(present, start=1):
        tied = ranked and math.isclose(ranked[-1].value, value, rel_tol=1e-12, abs_tol=0.0)
        ranked.append(Ranked(ranked[-1].rank if tied else position, region_id, names.get(region_id, ""), value))
    return ranked


def needs_two_axes(province: Iterable[Any], nation: Iterable[Any], factor: float = TWO_AXES_FACTOR) -> bool:
    """Totals (population, GDP) differ by orders of magnitude between the province and the nation: two axes.
    Rates and per-capita figures are comparable: one shared axis, so the lines compare directly."""
    top_province = max((abs(float(v)) for v in province if not is_missing(v)), default=0.0)
    top_nation = max((abs(float(v)) for v in nation if not is_missing(v)), default=0.0)
    if top_province == 0 or top_nation == 0:
        return False
    ratio = top_nation / top_province
    return ratio >= factor or ratio <= 1 / factor


def _numbers(row: Iterable[Any]) -> list[float | None]:
    return [None if is_missing(value) else float(value) for value in row]


def latest_year_with_values(table: pd.DataFrame, region_ids: Sequence[int]) -> int | None:
    """The last year (column) in which at least one of the regions has a value."""
    rows = table.reindex(index=list(region_ids))
    filled = [year for year in rows.columns if rows[year].notna().any()]
    return max(filled) if filled else None


# ------------------------------------------------------------------------------------------------ one indicator


@dataclass
class Block:
    """What the page shows for one indicator: the table rows and the charts' data."""

    indicator: Any
    sector: Any
    rows: list[dict]
    years: list[int]
    year_labels: list[str]
    charts: dict
    has_values: bool  # anything to chart: the shown regions, the province, the nation or any county
    shown_have_values: bool  # anything in the table


def indicator_block(indicator: Any, sector: Any, values: pd.DataFrame, selection: Selection, regions: Sequence[Any],
                    locale: str) -> Block:
    """The table and the four charts of one indicator (values: already only this indicator and sector)."""
    years = list(range(selection.first_year, selection.last_year + 1))
    by_id = {region.id: region for region in regions}
    names = {region.id: region.display_name(locale) for region in regions}
    shown = shown_region_ids(selection, regions)
    county_ids = [region.id for region in regions if region.kind == COUNTY]
    nation = next((region.id for region in regions if region.kind == COUNTRY), None)
    province = next((region.id for region in regions if region.kind == PROVINCE), None)
    every = list(dict.fromkeys([*shown, *county_ids, *(r for r in (nation, province) if r is not None)]))
    table = pivot(values, every, years)
    sources = pivot(values, every, years, "source")
    direction = str(getattr(indicator.direction, "value", indicator.direction))

    rows = []
    for region_id in shown:
        cells = [{"text": format_value(table.at[region_id, year], locale),
                  "source": "" if is_missing(sources.at[region_id, year]) else str(sources.at[region_id, year]),
                  "missing": is_missing(table.at[region_id, year])} for year in years]
        rows.append({"region": by_id[region_id], "name": names[region_id], "kind": by_id[region_id].kind,
                     "cells": cells})

    year_labels = [localized_year(year, locale) for year in years]
    province_row = table.loc[province].tolist() if province is not None else []
    nation_row = table.loc[nation].tolist() if nation is not None else []
    two_axes = needs_two_axes(province_row, nation_row)
    series = [{"name": names[region_id], "kind": by_id[region_id].kind,
               "values": _numbers(table.loc[region_id].tolist()),
               "axis": "y2" if two_axes and region_id == nation else "y"} for region_id in shown]

    compared = [region_id for region_id in shown if by_id[region_id].kind == COUNTY] or county_ids
    compare_year = selection.year or latest_year_with_values(table, compared) or selection.last_year
    compare_values = table[compare_year] if compare_year in table.columns else pd.Series(dtype=float)
    latest = latest_year_with_values(table, county_ids)
    reference = (table.at[province, latest] if latest is not None and province is not None else None)
    ranked = rank_regions(table[latest].reindex(county_ids).to_dict() if latest is not None else {}, names,
                          direction)
    charts = {
        "id": indicator.id,
        "name": indicator.display_name(locale),
        "unit": (indicator.unit_en or indicator.unit) if locale == "en" else indicator.unit,
        "direction": direction,
        "years": years,
        "yearLabels": year_labels,
        "series": series,
        "twoAxes": two_axes,
        "compare": {"year": compare_year, "yearLabel": localized_year(compare_year, locale),
                    "names": [names[region_id] for region_id in compared],
                    "values": _numbers(compare_values.reindex(compared).tolist())},
        "national": {"province": _numbers(province_row), "nation": _numbers(nation_row),
                     "provinceName": names.get(province, ""), "nationName": names.get(nation, ""),
                     "twoAxes": two_axes},
        "ranked": {"year": latest, "yearLabel": localized_year(latest, locale) if latest else "",
                   "names": [item.name for item in ranked], "values": [item.value for item in ranked],
                   "ranks": [item.rank for item in ranked],
                   "tones": [tone(item.value, reference, direction) for item in ranked]},
    }
    return Block(indicator=indicator, sector=sector, rows=rows, years=years, year_labels=year_labels, charts=charts,
                 has_values=bool(table.notna().to_numpy().any()),
                 shown_have_values=bool(table.reindex(index=shown).notna().to_numpy().any()))


def sector_for(indicator: Any, chosen: Any, total: Any) -> Any:
    """Indicators by sector show the chosen sector; the others always their total."""
    return chosen if getattr(indicator, "by_sector", False) and chosen is not None else total


def export_rows(blocks: Sequence[Block], values: pd.DataFrame, locale: str) -> list[dict]:
    """One row per stored value on the page (long form, so it re-imports and pivots in any spreadsheet):
    indicator, region, sector, Jalali year, value, unit, source."""
    rows = []
    for block in blocks:
        indicator, sector = block.indicator, block.sector
        unit = (indicator.unit_en or indicator.unit) if locale == "en" else indicator.unit
        mine = values[(values.indicator_id == indicator.id) & (values.sector_id == sector.id)]
        lookup = {(row.region_id, row.year): (row.value, row.source) for row in mine.itertuples()}
        for row in block.rows:
            for year in block.years:
                value, source = lookup.get((row["region"].id, year), (None, ""))
                if value is None:
                    continue
                rows.append({"indicator_code": indicator.code, "indicator": indicator.display_name(locale),
                             "region_code": row["region"].code, "region": row["name"], "sector_code": sector.code,
                             "sector": sector.display_name(locale), "year": year, "value": float(value),
                             "unit": unit, "source": source})
    return rows
