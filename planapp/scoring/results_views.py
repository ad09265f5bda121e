"""The results page of a plan's scoring round and its export, for everyone who may read the plan's analysis
(routes on the scoring blueprint; the matrix itself is edited on the scoring page by supervisors)."""

from __future__ import annotations

from flask import Response, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.core import exports
from planapp.core.clock import now
from planapp.core.i18n import local_date
from planapp.core.permissions import Perm, can
from planapp.plans.views import load_plan
from planapp.scoring import report
from planapp.scoring.report import AGREEMENT_LABELS, PlanResults
from planapp.scoring.results_export import ranking_csv, workbook
from planapp.scoring.views import bp
from planapp.web.access import requires
from planapp.web.filters import locale_code


def chart_data(found: PlanResults) -> dict:
    """What static/js/scoring_results.js draws: both methods per candidate, and the chance of the top k."""
    return {"locale": locale_code(), "chartjs": url_for("static", filename="vendor/chartjs/chart.umd.min.js"),
            "names": [r.name for r in found.ranking],
            "weightedSum": [round(r.weighted_sum, 4) for r in found.ranking],
            "topsis": [round(r.topsis, 4) for r in found.ranking],
            "pTop": [round(r.p_top * 100, 1) for r in found.ranking],
            "labels": {"weightedSum": _("Weighted sum"), "topsis": _("TOPSIS closeness"),
                       "pTop": _("Chance of the top %(k)s (%%)", k=found.top_k)}}


@bp.get("/results", endpoint="results")
@requires(Perm.VIEW_SCORING)
def results(plan_id: int):
    plan = load_plan(plan_id, Perm.VIEW_SCORING)
    found = report.plan_results(plan.id)
    return render_template("scoring/results.html", plan=plan, found=found, agreement_labels=AGREEMENT_LABELS,
                           agreement_level=report.agreement_level,
                           may_edit=bool(can(current_user, Perm.EDIT_PLAN, plan)),
                           chart_data=chart_data(found) if found and found.closed else None)


@bp.get("/results.<any(csv, xlsx):fmt>", endpoint="results_export")
@requires(Perm.VIEW_SCORING)
def results_export(plan_id: int, fmt: str):
    plan = load_plan(plan_id, Perm.VIEW_SCORING)
    found = report.plan_results(plan.id)
    if found is None or not found.closed:
        abort(404)  # nothing to export before the round closes (the page says so and shows no export link)
    name = exports.export_filename(f"scoring-results-plan-{plan.id}", fmt, local_date(now()))
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(ranking_csv(found), mimetype=exports.CSV_MIMETYPE, headers=disposition)
    body = workbook(found, report.raw_scores(found.matrix_id), rtl=locale_code() == "fa")
    return Response(body, mimetype=exports.XLSX_MIMETYPE, headers=disposition)
