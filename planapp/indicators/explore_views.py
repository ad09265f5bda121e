"""The indicator explorer: choose indicators, regions, a sector and years; see a table and four charts; export.

    GET /indicators/explore          the page (htmx: only #explore-results, or only #indicator-choices)
    GET /indicators/explore.csv      the same selection (same query string) as CSV
    GET /indicators/explore.xlsx     … as XLSX

Query string: indicator=<id> (repeatable, up to 6), region=<id> (repeatable: the nation, the province, counties),
counties=all, sector=<id>, from=<Jalali year>, to=<Jalali year>, year=<the county comparison's year>, q=<search>.

For browser tests (stable ids):
  - chart data: <template id="explorer-data"> holding JSON text (read it with
    JSON.parse(document.getElementById("explorer-data").content.textContent); not a <script type="application/json">:
    htmx, configured with allowScriptTags: false, drops <script> elements from swapped content) —
    {"locale", "labels", "indicators": [
    {"id", "name", "unit", "direction", "years", "yearLabels", "series": [{"name", "kind", "values", "axis"}],
    "twoAxes", "compare": {"year", "names", "values"}, "national": {"province", "nation", "twoAxes"},
    "ranked": {"year", "names", "values", "ranks", "tones"}}]}
  - canvases, per chosen indicator <id>: #chart-series-<id> (time series of the chosen regions),
    #chart-compare-<id> (counties in one year), #chart-national-<id> (province vs nation),
    #chart-ranked-<id> (every county ranked, latest year, coloured by direction)
  - the table: #explore-table-<id>; the results wrapper: #explore-results; the form: #explore-form.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from planapp.core import exports
from planapp.core.clock import now
from planapp.core.i18n import jalali, lazy_digits, local_date
from planapp.core.permissions import Perm
from planapp.core.text import fold
from planapp.indicators import explore
from planapp.indicators import explore_queries as queries
from planapp.indicators.models import CATEGORY_LABELS, TOTAL_SECTOR, Category
from planapp.web.access import requires
from planapp.web.filters import locale_code
from planapp.web.htmx import render_fragment, wants_fragment

bp = Blueprint("explorer", __name__, url_prefix="/indicators")


def _problem_message(problem: explore.Problem) -> str:
    value = lazy_digits(problem.value)
    messages = {
        "indicator_not_number": _("«%(value)s» is not an indicator number; it was left out.", value=value),
        "indicator_unknown": _("There is no active indicator number %(value)s; it was left out.", value=value),
        "too_many_indicators": _("Choose at most %(value)s indicators at a time; the first ones are shown.",
                                 value=value),
        "region_not_number": _("«%(value)s» is not a region number; it was left out.", value=value),
        "region_unknown": _("There is no active region number %(value)s; it was left out.", value=value),
        "sector_not_number": _("«%(value)s» is not a sector number; all sectors are shown.", value=value),
        "sector_unknown": _("There is no active sector number %(value)s; all sectors are shown.", value=value),
        "year_not_number": _("«%(value)s» is not a year. Write a Jalali year such as 1403.", value=value),
        "year_out_of_range": _("The year %(value)s is outside the years the explorer shows (1300 to 1500).",
                               value=value),
        "years_reversed": _("The first year came after the last one (%(value)s); the range was turned around.",
                            value=value),
        "span_too_long": _("At most %(value)s years can be shown at once; the last ones are shown.", value=value),
        "year_outside_range": _("The comparison year %(value)s is outside the chosen years; the latest year is "
                                "used.", value=value),
    }
    return messages[problem.code]


def _choices(indicators: list, selection: explore.Selection, locale: str) -> list[tuple[str, list]]:
    """The picker: indicators by category, filtered by the folded search text; chosen ones always stay."""
    wanted = fold(selection.query)
    chosen = set(selection.indicator_ids)
    groups: dict[Category, list] = {}
    for indicator in indicators:
        text = fold(f"{indicator.code} {indicator.name} {indicator.name_en or ''}")
        if indicator.id in chosen or not wanted or wanted in text:
            groups.setdefault(indicator.category, []).append(indicator)
    return [(str(CATEGORY_LABELS[category]), groups[category]) for category in Category if category in groups]


def _explore() -> dict:
    """Load → parse → read the values once → shape. A fixed number of statements whatever is chosen."""
    locale = locale_code()
    indicators = queries.list_explorer_indicators()
    regions = explore.ordered_regions(queries.list_explorer_regions(), locale)
    sectors = queries.list_explorer_sectors()
    by_id = {indicator.id: indicator for indicator in indicators}
    sectors_by_id = {sector.id: sector for sector in sectors}
    total = next((sector for sector in sectors if sector.code == TOTAL_SECTOR), None)
    selection, problems = explore.parse_selection(request.args.to_dict(flat=False), by_id, regions, sectors_by_id,
                                                  total.id if total else None)
    latest = (queries.latest_years(selection.indicator_ids)
              if selection.indicator_ids and selection.last_year is None else {})
    problems += explore.settle_years(selection, latest, jalali(local_date(now())).year)
    chosen = [by_id[indicator_id] for indicator_id in selection.indicator_ids]
    sector = sectors_by_id.get(selection.sector_id) if selection.sector_id else total
    wanted_sectors = sorted({s.id for s in (sector, total) if s is not None})
    values = queries.read_values(selection.indicator_ids, [region.id for region in regions], wanted_sectors,
                                 selection.first_year, selection.last_year)
    blocks = []
    for indicator in chosen:
        shown_sector = explore.sector_for(indicator, sector, total)
        if shown_sector is None:
            continue
        mine = values[(values.indicator_id == indicator.id) & (values.sector_id == shown_sector.id)]
        blocks.append(explore.indicator_block(indicator, shown_sector, mine, selection, regions, locale))
    return {
        "selection": selection, "problems": [_problem_message(problem) for problem in problems],
        "choices": _choices(indicators, selection, locale), "regions": regions, "sectors": sectors,
        "blocks": blocks, "values": values, "locale": locale, "params": selection.params(),
        "any_by_sector": any(indicator.by_sector for indicator in chosen),
        "chart_data": {"locale": locale, "labels": _chart_labels(), "indicators": [b.charts for b in blocks]},
    }


def _chart_labels() -> dict[str, str]:
    return {"value": _("Value")}


@bp.get("/explore", endpoint="index")
@requires(Perm.VIEW_INDICATORS)
def index():
    page = _explore()
    if wants_fragment("indicator-choices"):
        return render_fragment("indicators/_explore_choices.html", **page)
    if wants_fragment("explore-results"):
        return render_fragment("indicators/_explore_results.html", **page)
    return render_template("indicators/explore.html", **page)


@bp.get("/explore.<any(csv, xlsx):fmt>", endpoint="export")
@requires(Perm.VIEW_INDICATORS)
def export(fmt: str):
    page = _explore()
    locale = page["locale"]
    columns = [("indicator_code", _("Indicator code")), ("indicator", _("Indicator")),
               ("region_code", _("Region code")), ("region", _("Region")), ("sector_code", _("Sector code")),
               ("sector", _("Sector")), ("year", _("Year (Jalali)")), ("value", _("Value")), ("unit", _("Unit")),
               ("source", _("Source"))]
    rows = explore.export_rows(page["blocks"], page["values"], locale)
    name = exports.export_filename("indicators", fmt, local_date(now()))
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(exports.to_csv(columns, rows), mimetype=exports.CSV_MIMETYPE, headers=disposition)
    body = exports.to_xlsx(columns, rows, sheet_title=_("Indicators"), rtl=locale == "fa")
    return Response(body, mimetype=exports.XLSX_MIMETYPE, headers=disposition)
