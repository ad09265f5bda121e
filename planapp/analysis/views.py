"""The analysis page of a plan: the province against the nation (location quotients, specialization, shift-share)
from the indicator values, and the plan's input-output table (multipliers, linkages, key sectors).

    GET  /plans/<id>/analysis                     the page (htmx aimed at #analysis-results: only the results)
    POST /plans/<id>/analysis/io-table            upload an input-output table (replaces the plan's earlier one)
    GET  /plans/<id>/analysis/io-template.<fmt>   the table's layout as a CSV or XLSX to fill
    GET  /plans/<id>/analysis/export.<fmt>        what the page shows: XLSX (a sheet a table) or the LQ as CSV

Query string: indicator=<code of an indicator by sector>, base=<Jalali year>, end=<Jalali year>.

For browser tests: the chart data are JSON text in <template class="analysis-data" data-kind="regional|io">;
canvases carry data-chart="lq", "shift" or "linkages" (no ids: Chart.js styles them and htmx would copy an old
style onto a swapped element of the same id); tables #analysis-lq-table, #analysis-shift-table, #analysis-io-table,
whose numeric cells carry the unrounded value in data-value.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.analysis import export as analysis_export
from planapp.analysis import io_tables, linkages, queries, regional
from planapp.core import exports
from planapp.core.clock import now
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import local_date
from planapp.core.permissions import Perm, can
from planapp.extensions import db
from planapp.plans.views import load_plan
from planapp.scoring import queries as places
from planapp.web.access import requires
from planapp.web.filters import locale_code
from planapp.web.htmx import is_htmx, render_fragment, wants_fragment

bp = Blueprint("analysis", __name__, url_prefix="/plans/<int:plan_id>/analysis")


def _regional(plan, locale: str) -> tuple[regional.Regional, list]:
    """Four statements whatever is chosen: the sector indicators, the province, the nation, their values."""
    indicators = queries.list_sector_indicators()
    chosen, candidates, problem = regional.pick_indicator(indicators, request.args.get("indicator"))
    province, nation = places.the_province(plan.province), places.the_nation()
    if province is None or nation is None:
        result = regional.Regional(problems=[problem] if problem else [])
        result.lq_problem = result.shift_problem = _("The province and the nation must both be among the regions.")
        return result, indicators
    values = queries.section_values([c.id for c in candidates], [province.id, nation.id]) if candidates else \
        queries.section_values([], [])
    args = {name: request.args.get(name) for name in ("base", "end")}
    return regional.analyse(values, candidates, province.id, nation.id, args, locale,
                            [problem] if problem else []), indicators


def chart_labels() -> dict[str, str]:
    return {"lq": _("Location quotient"), "nationalShare": _("National share"), "industryMix": _("Industry mix"),
            "regionalShift": _("Regional shift"), "backward": _("Backward linkage"), "forward": _("Forward linkage")}


def _io(plan, error: str | None = None) -> dict:
    return {"io": linkages.linkages(queries.get_io_table(plan.id)), "io_error": error, "labels": chart_labels(),
            "may_upload": bool(can(current_user, Perm.EDIT_PLAN, plan)), "max_bytes": io_tables.MAX_BYTES}


def _page(plan, io_error: str | None = None):
    locale = locale_code()
    result, indicators = _regional(plan, locale)
    context = {"plan": plan, "result": result, "indicators": indicators, "locale": locale,
               "regional_data": {"locale": locale, "labels": chart_labels(), **result.chart_data()}}
    if io_error is None and wants_fragment("analysis-results"):
        return render_fragment("analysis/_results.html", **context)
    return render_template("analysis/page.html", **context, **_io(plan, io_error))


@bp.get("", endpoint="page")
@requires(Perm.VIEW_INDICATORS)
def page(plan_id: int):
    return _page(load_plan(plan_id))


@bp.get("/export.<any(csv, xlsx):fmt>", endpoint="export")
@requires(Perm.VIEW_INDICATORS)
def export(plan_id: int, fmt: str):
    """The page's tables for the same query string; a table without numbers carries the page's reason."""
    plan = load_plan(plan_id)
    locale = locale_code()
    result, _indicators = _regional(plan, locale)
    name = exports.export_filename(f"analysis-plan-{plan.id}", fmt, local_date(now()))
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(analysis_export.lq_csv(result), mimetype=exports.CSV_MIMETYPE, headers=disposition)
    body = analysis_export.workbook(result, linkages.linkages(queries.get_io_table(plan.id)), rtl=locale == "fa")
    return Response(body, mimetype=exports.XLSX_MIMETYPE, headers=disposition)


@bp.post("/io-table", endpoint="upload_io")
@requires(Perm.EDIT_PLAN)
def upload_io(plan_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    upload = request.files.get("file")
    error = None
    if upload is None or not upload.filename:
        error = _("Choose a file first.")
    else:
        try:
            table = io_tables.upload_io_table(current_user, plan, upload.filename, upload.read(), now())
        except ValidationFailed as refused:
            db.session.rollback()
            error = str(refused.message)
        else:
            db.session.commit()
            flash(_("The input-output table «%(name)s» was stored.", name=table.file_name), "success")
    if is_htmx():
        return render_fragment("analysis/_io.html", plan=plan, locale=locale_code(), **_io(plan, error))
    if error is None:
        return redirect(url_for("analysis.page", plan_id=plan.id))
    return _page(plan, error)


@bp.get("/io-template.<any(csv, xlsx):fmt>", endpoint="io_template")
@requires(Perm.EDIT_PLAN)
def io_template(plan_id: int, fmt: str):
    load_plan(plan_id, Perm.EDIT_PLAN)
    header, *body = io_tables.template_rows()
    columns = [(f"c{i}", title) for i, title in enumerate(header)]
    rows = [{f"c{i}": (int(cell) if i else cell) for i, cell in enumerate(row)} for row in body]
    name = f"input-output-template.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(exports.to_csv(columns, rows), mimetype=exports.CSV_MIMETYPE, headers=disposition)
    body_bytes = exports.to_xlsx(columns, rows, sheet_title=_("Input-output table"), rtl=locale_code() == "fa")
    return Response(body_bytes, mimetype=exports.XLSX_MIMETYPE, headers=disposition)
