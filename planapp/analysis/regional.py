"""The province against the nation from the indicator values: location quotients per ISIC section, Krugman
specialization and Herfindahl in the end year, and shift-share between the base and the end year.

No request and no database here: the view passes the values (planapp/analysis/queries.py) and the query string;
the results carry messages in the user's language for every case without numbers (no common year, zero totals…).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from flask_babel import gettext as _

from planapp.analytics import AnalyticsError, herfindahl, location_quotient, shift_share, specialization
from planapp.core.i18n import ascii_digits, lazy_digits
from planapp.scoring.messages import analytics_message

DEFAULT_CODES = ("EMP", "VA")  # employment by sector first; value added when employment has no common year


@dataclass(frozen=True)
class LQRow:
    code: str
    name: str
    province: float
    nation: float
    lq: float


@dataclass(frozen=True)
class ShiftRow:
    code: str
    name: str
    base: float
    end: float
    national_share: float
    industry_mix: float
    regional_shift: float
    total_change: float


@dataclass
class Regional:
    indicator: object | None = None
    years: list[int] = field(default_factory=list)  # years both the province and the nation have values for
    base: int | None = None
    end: int | None = None
    problems: list[str] = field(default_factory=list)  # about the choices (a year without data…)
    lq_rows: list[LQRow] = field(default_factory=list)
    specialization: float | None = None
    herfindahl_province: float | None = None
    herfindahl_nation: float | None = None
    lq_problem: str = ""
    shift_rows: list[ShiftRow] = field(default_factory=list)
    shift_problem: str = ""

    def chart_data(self) -> dict:
        return {
            "lq": {"names": [row.name for row in self.lq_rows], "codes": [row.code for row in self.lq_rows],
                   "values": [round(row.lq, 4) for row in self.lq_rows]},
            "shift": {"names": [row.name for row in self.shift_rows],
                      "nationalShare": [round(row.national_share, 4) for row in self.shift_rows],
                      "industryMix": [round(row.industry_mix, 4) for row in self.shift_rows],
                      "regionalShift": [round(row.regional_shift, 4) for row in self.shift_rows]},
        }


def _year(text: str | None) -> int | None:
    text = ascii_digits((text or "").strip())
    return int(text) if text.isdecimal() and len(text) == 4 else None


def pick_indicator(indicators: list, code: str | None) -> tuple[object | None, list, str]:
    """The chosen indicator, or the candidates to default to (EMP, then VA, then the first); and a problem text."""
    by_code = {indicator.code: indicator for indicator in indicators}
    if code and code in by_code:
        return by_code[code], [by_code[code]], ""
    problem = _("There is no indicator by sector with the code «%(code)s»; the default is shown.",
                code=code[:20]) if code else ""
    defaults = [by_code[c] for c in DEFAULT_CODES if c in by_code] or indicators[:1]
    return None, defaults, problem


def common_years(values: pd.DataFrame, indicator_id: int, province_id: int, nation_id: int) -> list[int]:
    mine = values[values.indicator_id == indicator_id]
    years = [set(mine.loc[mine.region_id == region, "year"]) for region in (province_id, nation_id)]
    return sorted(int(year) for year in years[0] & years[1])


def analyse(values: pd.DataFrame, candidates: list, province_id: int, nation_id: int, args: dict, locale: str,
            problems: list[str] | None = None) -> Regional:
    """`values`: the candidates' section values (indicator_id, region_id, sector_id, code, name, name_en, year,
    value); the first candidate with a common year is used; `args`: the query string (base, end)."""
    result = Regional(problems=list(problems or []))
    for indicator in candidates:
        years = common_years(values, indicator.id, province_id, nation_id)
        if years or indicator is candidates[-1]:
            result.indicator, result.years = indicator, years
            break
    if result.indicator is None:
        result.lq_problem = result.shift_problem = _("There is no indicator by sector yet.")
        return result
    if not result.years:
        result.lq_problem = result.shift_problem = _(
            "The province and the nation have no year in common for this indicator, so they cannot be compared.")
        return result
    result.base, result.end = _settle_years(result, args)
    mine = values[values.indicator_id == result.indicator.id].copy()
    mine["label"] = mine.name_en.where((locale == "en") & mine.name_en.notna() & (mine.name_en != ""), mine.name)
    table = mine.pivot_table(index=["code", "label"], columns=["region_id", "year"], values="value", aggfunc="sum")
    _quotients(result, table, province_id, nation_id)
    _shift_share(result, table, province_id, nation_id)
    return result


def _settle_years(result: Regional, args: dict) -> tuple[int, int]:
    years = result.years
    wanted_end, wanted_base = _year(args.get("end")), _year(args.get("base"))
    end = wanted_end if wanted_end in years else years[-1]
    base = wanted_base if wanted_base in years else years[0]
    for given, used in ((args.get("end"), end), (args.get("base"), base)):
        if given and _year(given) != used:
            result.problems.append(_("«%(given)s» is not a year both the province and the nation have values for; "
                                     "%(used)s is used.", given=lazy_digits(str(given)[:10]), used=lazy_digits(used)))
    return base, end


def _column(table: pd.DataFrame, region_id: int, year: int) -> pd.Series | None:
    return table[(region_id, year)] if (region_id, year) in table.columns else None


def _quotients(result: Regional, table: pd.DataFrame, province_id: int, nation_id: int) -> None:
    province, nation = _column(table, province_id, result.end), _column(table, nation_id, result.end)
    both = pd.concat([province, nation], axis=1, keys=["province", "nation"]).dropna()
    both = both[both.nation > 0]  # a section absent from the nation has no quotient (as in the suggestions)
    try:
        lq = location_quotient(both.province, both.nation)
        result.specialization = specialization(both.province, both.nation)
        result.herfindahl_province = herfindahl(both.province)
        result.herfindahl_nation = herfindahl(both.nation)
    except AnalyticsError as error:
        result.lq_problem = analytics_message(error)
        return
    for (code, name), value in lq.sort_values(ascending=False).items():
        result.lq_rows.append(LQRow(code, name, float(both.province[(code, name)]), float(both.nation[(code, name)]),
                                    float(value)))


def _shift_share(result: Regional, table: pd.DataFrame, province_id: int, nation_id: int) -> None:
    if result.base >= result.end:
        result.shift_problem = (_("Shift-share needs two years: the province and the nation have values for both in "
                                  "only one year.") if len(result.years) < 2 else
                                _("The base year must come before the end year."))
        return
    columns = [_column(table, region, year) for region in (province_id, nation_id)
               for year in (result.base, result.end)]
    frame = pd.concat(columns, axis=1, keys=["e0", "et", "n0", "nt"]).dropna()
    try:
        parts = shift_share(frame.e0, frame.et, frame.n0, frame.nt)
    except AnalyticsError as error:
        result.shift_problem = analytics_message(error)
        return
    for (code, name), row in parts.iterrows():
        result.shift_rows.append(ShiftRow(code, name, float(frame.e0[(code, name)]), float(frame.et[(code, name)]),
                                          float(row.national_share), float(row.industry_mix),
                                          float(row.regional_shift), float(row.total_change)))
