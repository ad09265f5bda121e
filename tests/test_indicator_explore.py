"""The indicator explorer's pure shaping (planapp/indicators/explore.py): reading the query string, pivoting,
missing values, direction colours, ranking ties, two axes, the chart data and the export rows. No database."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from planapp.indicators import explore
from planapp.indicators.models import Direction, RegionKind


@dataclass
class R:
    id: int
    code: str
    name: str
    kind: RegionKind
    name_en: str | None = None

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


@dataclass
class I:  # noqa: E742 — an indicator, as the view hands it in
    id: int
    code: str = "POP"
    name: str = "جمعیت"
    name_en: str | None = "Population"
    unit: str = "نفر"
    unit_en: str | None = "persons"
    direction: Direction = Direction.HIGHER_BETTER
    by_sector: bool = False

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


@dataclass
class S:
    id: int
    code: str
    name: str

    def display_name(self, locale: str) -> str:
        return self.name


NATION = R(1, "IR", "ایران", RegionKind.COUNTRY, "Iran")
PROVINCE = R(2, "EA", "آذربایجان شرقی", RegionKind.PROVINCE, "East Azerbaijan")
TABRIZ = R(3, "EA-TABRIZ", "تبریز", RegionKind.COUNTY, "Tabriz")
MARAGHEH = R(4, "EA-MARAGHEH", "مراغه", RegionKind.COUNTY, "Maragheh")
CHARUYMAQ = R(5, "EA-CHARUYMAQ", "چاراویماق", RegionKind.COUNTY, "Charuymaq")
REGIONS = [NATION, PROVINCE, TABRIZ, MARAGHEH, CHARUYMAQ]
TOTAL, FARMING = S(10, "TOTAL", "کل"), S(11, "A", "کشاورزی")


def parse(query: dict[str, list[str]]):
    return explore.parse_selection(query, [7, 8], REGIONS, [TOTAL.id, FARMING.id], TOTAL.id)


def values(rows: list[tuple[int, int, float, str]], indicator_id: int = 7, sector_id: int = 10) -> pd.DataFrame:
    return pd.DataFrame([{"indicator_id": indicator_id, "region_id": region, "sector_id": sector_id, "year": year,
                          "value": value, "source": source} for region, year, value, source in rows])


# ------------------------------------------------------------------------------------------------ the query string


def test_a_good_query_string_is_read_whole():
    selection, problems = parse({"indicator": ["7", "۸"], "region": ["3", "2"], "sector": ["11"],
                                 "from": ["۱۳۹۸"], "to": ["1404"], "year": ["1402"], "q": ["  جمعیت "]})
    assert problems == []
    assert selection.indicator_ids == [7, 8]  # Persian digits read as numbers
    assert selection.region_ids == [3, 2]
    assert (selection.sector_id, selection.first_year, selection.last_year, selection.year) == (11, 1398, 1404, 1402)
    assert selection.query == "جمعیت"
    assert selection.params() == {"indicator": [7, 8], "region": [3, 2], "sector": 11, "from": 1398, "to": 1404,
                                  "year": 1402}


def test_without_regions_the_nation_and_the_province_are_shown():
    selection, problems = parse({"indicator": ["7"]})
    assert problems == [] and selection.region_ids == [1, 2] and selection.sector_id == TOTAL.id
    all_counties, _ = parse({"indicator": ["7"], "counties": ["all"]})
    assert all_counties.region_ids == [] and all_counties.all_counties
    assert explore.shown_region_ids(all_counties, REGIONS) == [3, 4, 5]


@pytest.mark.parametrize(("query", "code", "value"), [
    ({"indicator": ["99"]}, "indicator_unknown", "99"),
    ({"indicator": ["abc"]}, "indicator_not_number", "abc"),
    ({"indicator": ["-1"]}, "indicator_not_number", "-1"),
    ({"indicator": ["1e3"]}, "indicator_not_number", "1e3"),
    ({"region": ["42"]}, "region_unknown", "42"),
    ({"region": ["x"]}, "region_not_number", "x"),
    ({"sector": ["77"]}, "sector_unknown", "77"),
    ({"sector": ["A"]}, "sector_not_number", "A"),
    ({"from": ["سال"]}, "year_not_number", "سال"),
    ({"to": ["14o4"]}, "year_not_number", "14o4"),
    ({"from": ["99999"]}, "year_out_of_range", "99999"),
    ({"year": ["1200"]}, "year_out_of_range", "1200"),
    ({"from": ["1404"], "to": ["1398"]}, "years_reversed", "1404–1398"),
    ({"from": ["1300"], "to": ["1404"]}, "span_too_long", str(explore.MAX_SPAN)),
])
def test_bad_values_are_reported_and_left_out(query, code, value):
    selection, problems = parse(query)
    assert problems == [explore.Problem(code, value)]
    assert selection.indicator_ids == [] and selection.sector_id == TOTAL.id
    if code == "years_reversed":
        assert (selection.first_year, selection.last_year) == (1398, 1404)  # turned around, not refused
    if code == "span_too_long":
        assert (selection.first_year, selection.last_year) == (1404 - explore.MAX_SPAN + 1, 1404)


def test_too_many_indicators_keeps_the_first_ones():
    many = list(range(1, 10))
    selection, problems = explore.parse_selection({"indicator": [str(i) for i in many]}, many, REGIONS, [10], 10)
    assert selection.indicator_ids == many[:explore.MAX_INDICATORS]
    assert problems == [explore.Problem("too_many_indicators", str(explore.MAX_INDICATORS))]


def test_hostile_text_is_cut_short_in_the_problem():
    _, problems = parse({"indicator": ["<script>" * 20]})
    assert problems[0].code == "indicator_not_number" and len(problems[0].value) == 40


def test_open_years_end_at_the_latest_value_and_the_comparison_year_must_fit():
    selection, _ = parse({"indicator": ["7"]})
    assert explore.settle_years(selection, {7: 1403, 8: 1401}, 1405) == []
    assert (selection.first_year, selection.last_year) == (1403 - explore.DEFAULT_SPAN + 1, 1403)
    empty, _ = parse({})
    explore.settle_years(empty, {}, 1405)
    assert empty.last_year == 1405  # nothing stored: this Jalali year
    outside, _ = parse({"from": ["1400"], "to": ["1402"], "year": ["1404"]})
    assert explore.settle_years(outside, {}, 1405) == [explore.Problem("year_outside_range", "1404")]
    assert outside.year is None
    only_start, _ = parse({"from": ["1390"]})
    explore.settle_years(only_start, {7: 1385}, 1405)
    assert (only_start.first_year, only_start.last_year) == (1390, 1390)  # never an end before the start


# ------------------------------------------------------------------------------------------------ shaping


def test_pivot_orders_regions_and_years_and_leaves_gaps():
    frame = values([(3, 1399, 5.0, "a"), (2, 1398, 1.0, "b"), (2, 1400, 3.0, "c")])
    table = explore.pivot(frame, [2, 3, 4], [1398, 1399, 1400])
    assert list(table.index) == [2, 3, 4] and list(table.columns) == [1398, 1399, 1400]
    assert table.at[2, 1398] == 1.0 and table.at[3, 1399] == 5.0
    assert np.isnan(table.at[2, 1399]) and table.loc[4].isna().all()
    sources = explore.pivot(frame, [2, 3], [1398, 1399], "source")
    assert sources.at[2, 1398] == "b" and explore.is_missing(sources.at[3, 1398])
    assert explore.pivot(values([]).reindex(columns=["region_id", "year", "value"]), [2], [1398]).isna().all().all()


@pytest.mark.parametrize(("value", "locale", "text"), [
    (1_888_861.0, "fa", "۱٬۸۸۸٬۸۶۱"),
    (1_888_861.0, "en", "1,888,861"),
    (7.6, "fa", "۷٫۶"),
    (12.25, "en", "12.25"),
    (0.362, "en", "0.362"),
    (3.0, "en", "3"),
    (float("nan"), "fa", "—"),
    (None, "en", "—"),
])
def test_values_are_formatted_in_the_users_digits(value, locale, text):
    assert explore.format_value(value, locale) == text


@pytest.mark.parametrize(("value", "reference", "direction", "expected"), [
    (10, 8, Direction.HIGHER_BETTER, "better"),
    (6, 8, Direction.HIGHER_BETTER, "worse"),
    (6, 8, Direction.LOWER_BETTER, "better"),
    (10, 8, Direction.LOWER_BETTER, "worse"),
    (8, 8, Direction.LOWER_BETTER, "equal"),
    (10, 8, Direction.NEUTRAL, "neutral"),
    (10, None, Direction.HIGHER_BETTER, "neutral"),
    (float("nan"), 8, Direction.HIGHER_BETTER, "neutral"),
])
def test_direction_colours(value, reference, direction, expected):
    assert explore.tone(value, reference, str(direction)) == expected


def test_ranking_best_first_with_shared_ranks_for_ties():
    names = {3: "تبریز", 4: "مراغه", 5: "چاراویماق", 6: "اهر", 7: "بناب"}
    data = {3: 9.0, 4: 7.5, 5: 7.5, 6: float("nan"), 7: 4.0}
    higher = explore.rank_regions(data, names, "higher_better")
    assert [(r.rank, r.region_id) for r in higher] == [(1, 3), (2, 5), (2, 4), (4, 7)]  # ties by name: چ before م
    lower = explore.rank_regions(data, names, "lower_better")
    assert [(r.rank, r.region_id) for r in lower] == [(1, 7), (2, 5), (2, 4), (4, 3)]
    assert explore.rank_regions({}, names, "neutral") == []


def test_persian_alphabetical_order():
    names = ["ورزقان", "کلیبر", "چاراویماق", "تبریز", "جلفا", "هوراند", "آذرشهر", "بناب", "ملکان", "گوگان"]
    assert sorted(names, key=explore.alphabetical_key) == [
        "آذرشهر", "بناب", "تبریز", "جلفا", "چاراویماق", "کلیبر", "گوگان", "ملکان", "ورزقان", "هوراند"]
    ordered = explore.ordered_regions([CHARUYMAQ, TABRIZ, PROVINCE, MARAGHEH, NATION], "fa")
    assert [r.id for r in ordered] == [1, 2, 3, 5, 4]


def test_two_axes_only_when_magnitudes_differ():
    assert explore.needs_two_axes([3_900_000, 4_000_000], [83_000_000, np.nan])
    assert not explore.needs_two_axes([9.5, 8.2], [10.7, 9.1])  # rates share one axis
    assert not explore.needs_two_axes([np.nan], [10.0]) and not explore.needs_two_axes([], [])


# ------------------------------------------------------------------------------------------------ a block


def block_for(indicator, frame, query, locale="fa"):
    selection, problems = parse(query)
    assert problems == []
    explore.settle_years(selection, {}, 1405)
    return explore.indicator_block(indicator, TOTAL, frame, selection, REGIONS, locale)


def test_a_block_holds_the_table_and_the_four_charts():
    frame = values([
        (1, 1403, 85_000_000, "مرکز آمار"), (1, 1404, 86_000_000, "مرکز آمار"),
        (2, 1403, 4_050_000, "مرکز آمار"), (2, 1404, 4_090_000, "مرکز آمار"),
        (3, 1403, 1_870_000, "استانداری"), (3, 1404, 1_890_000, "استانداری"),
        (4, 1404, 270_000, ""), (5, 1404, 33_000, ""),
    ])
    block = block_for(I(7), frame, {"region": ["1", "2", "3", "4"], "from": ["1403"], "to": ["1404"]})
    assert [row["name"] for row in block.rows] == ["ایران", "آذربایجان شرقی", "تبریز", "مراغه"]
    tabriz = block.rows[2]["cells"]
    assert [cell["text"] for cell in tabriz] == ["۱٬۸۷۰٬۰۰۰", "۱٬۸۹۰٬۰۰۰"]
    assert tabriz[0]["source"] == "استانداری" and not tabriz[0]["missing"]
    maragheh = block.rows[3]["cells"]
    assert maragheh[0] == {"text": "—", "source": "", "missing": True}
    charts = block.charts
    assert charts["yearLabels"] == ["۱۴۰۳", "۱۴۰۴"] and charts["years"] == [1403, 1404]
    assert charts["series"][2] == {"name": "تبریز", "kind": "county", "values": [1_870_000.0, 1_890_000.0],
                                   "axis": "y"}
    assert charts["series"][0]["axis"] == "y2" and charts["twoAxes"]  # the nation on its own axis
    assert charts["series"][3]["values"] == [None, 270_000.0]  # JSON null for the gap
    assert charts["compare"] == {"year": 1404, "yearLabel": "۱۴۰۴", "names": ["تبریز", "مراغه"],
                                 "values": [1_890_000.0, 270_000.0]}
    assert charts["national"]["province"] == [4_050_000.0, 4_090_000.0]
    assert charts["national"]["nation"] == [85_000_000.0, 86_000_000.0]
    ranked = charts["ranked"]  # every county, not only the chosen ones
    assert ranked["names"] == ["تبریز", "مراغه", "چاراویماق"] and ranked["ranks"] == [1, 2, 3]
    assert ranked["tones"] == ["worse", "worse", "worse"]  # all below the province's total
    assert block.has_values and block.shown_have_values


def test_ranked_bars_take_their_colour_from_the_direction():
    frame = values([(2, 1404, 9.0, ""), (3, 1404, 12.0, ""), (4, 1404, 6.0, ""), (5, 1404, 9.0, "")])
    lower = block_for(I(7, direction=Direction.LOWER_BETTER), frame, {"from": ["1404"], "to": ["1404"]})
    assert lower.charts["ranked"]["names"] == ["مراغه", "چاراویماق", "تبریز"]
    assert lower.charts["ranked"]["tones"] == ["better", "equal", "worse"]
    higher = block_for(I(7), frame, {"from": ["1404"], "to": ["1404"]})
    assert higher.charts["ranked"]["tones"] == ["better", "equal", "worse"]
    assert higher.charts["ranked"]["names"] == ["تبریز", "چاراویماق", "مراغه"]
    assert not higher.charts["twoAxes"]


def test_no_county_chosen_compares_every_county_and_english_uses_english_names():
    frame = values([(3, 1404, 1.5, ""), (4, 1404, 2.5, "")])
    block = block_for(I(7), frame, {"from": ["1404"], "to": ["1404"]}, locale="en")
    assert block.charts["compare"]["names"] == ["Tabriz", "Maragheh", "Charuymaq"]
    assert block.charts["compare"]["values"] == [1.5, 2.5, None]
    assert block.charts["unit"] == "persons" and block.charts["yearLabels"] == ["1404"]
    assert not block.shown_have_values and block.has_values  # the table (nation, province) is empty


def test_export_rows_are_the_stored_values_on_the_page():
    frame = values([(2, 1403, 4_050_000, "=HYPERLINK(\"x\")"), (3, 1404, 1_890_000, "مرکز آمار"),
                    (5, 1404, 33_000, "")])
    block = block_for(I(7), frame, {"region": ["2", "3"], "from": ["1403"], "to": ["1404"]})
    rows = explore.export_rows([block], frame, "fa")
    assert [(row["region_code"], row["year"], row["value"]) for row in rows] == [
        ("EA", 1403, 4_050_000.0), ("EA-TABRIZ", 1404, 1_890_000.0)]  # Charuymaq is not on the page
    assert rows[0] == {"indicator_code": "POP", "indicator": "جمعیت", "region_code": "EA",
                       "region": "آذربایجان شرقی", "sector_code": "TOTAL", "sector": "کل", "year": 1403,
                       "value": 4_050_000.0, "unit": "نفر", "source": "=HYPERLINK(\"x\")"}


def test_the_sector_of_an_indicator():
    assert explore.sector_for(I(7, by_sector=True), FARMING, TOTAL) is FARMING
    assert explore.sector_for(I(7), FARMING, TOTAL) is TOTAL
