"""The closed scoring round as a workbook (ranking, mean scores, each scorer's scores, criteria and agreement) or
its ranking as CSV, in the user's language; written by the formula-safe helpers of planapp.core.exports."""

from __future__ import annotations

from flask_babel import gettext as _

from planapp.core import exports
from planapp.scoring.report import AGREEMENT_LABELS, PlanResults, RawScore


def _yes_no(flag: bool) -> str:
    return _("yes") if flag else _("no")


def ranking_sheet(found: PlanResults) -> exports.Sheet:
    columns = [("name", _("Candidate")), ("weighted_sum", _("Weighted sum")),
               ("rank_weighted_sum", _("Rank (weighted sum)")), ("topsis", _("TOPSIS closeness")),
               ("rank_topsis", _("Rank (TOPSIS)")), ("p_top", _("Chance of the top %(k)s", k=found.top_k)),
               ("core", _("Driving core")), ("reason", _("Reason"))]
    reasons = {c.id: c.reason for c in found.candidates}
    rows = [{"name": r.name, "weighted_sum": r.weighted_sum, "rank_weighted_sum": r.rank_weighted_sum,
             "topsis": r.topsis, "rank_topsis": r.rank_topsis, "p_top": r.p_top, "core": _yes_no(r.confirmed),
             "reason": reasons.get(r.id, "")} for r in found.ranking]
    return _("Ranking"), columns, rows


def _means_sheet(found: PlanResults) -> exports.Sheet:
    columns = [("name", _("Candidate")), *((f"c{j}", c.name) for j, c in enumerate(found.criteria))]
    rows = [{"name": r.name, **{f"c{j}": m for j, m in enumerate(r.mean)}} for r in found.ranking]
    return _("Mean scores"), columns, rows


def _raw_sheet(raw: list[RawScore]) -> exports.Sheet:
    columns = [("round", _("Round")), ("scorer", _("Scorer")), ("agency", _("Agency")), ("candidate", _("Candidate")),
               ("criterion", _("Criterion")), ("value", _("Score"))]
    return _("Scores by scorer"), columns, raw


def _criteria_sheet(found: PlanResults) -> exports.Sheet:
    columns = [("name", _("Criterion")), ("kind", _("Kind")), ("weight", _("Weight"))]
    rows = [{"name": c.name, "kind": c.kind.label, "weight": c.weight} for c in found.criteria]
    return _("Criteria and weights"), columns, rows


def _agreement_sheet(found: PlanResults) -> exports.Sheet:
    columns = [("item", _("Measure")), ("value", _("Value")), ("note", _("Reading"))]
    rows = [{"item": _("Kendall's W"), "value": found.kendall_w,
             "note": str(AGREEMENT_LABELS[found.agreement]) if found.agreement else found.kendall_note},
            {"item": _("Scorers who scored every cell"), "value": found.complete_scorers, "note": ""},
            {"item": _("Scorers"), "value": len(found.scorers), "note": ""}]
    if found.consistency_ratio is not None:
        rows.append({"item": _("Consistency ratio of the pairwise comparisons"), "value": found.consistency_ratio,
                     "note": _("above 0.1: inconsistent") if found.inconsistent else ""})
    return _("Agreement"), columns, rows


def workbook(found: PlanResults, raw: list[RawScore], rtl: bool) -> bytes:
    return exports.to_xlsx_sheets([ranking_sheet(found), _means_sheet(found), _raw_sheet(raw),
                                   _criteria_sheet(found), _agreement_sheet(found)], rtl)


def ranking_csv(found: PlanResults) -> bytes:
    _title, columns, rows = ranking_sheet(found)
    return exports.to_csv(columns, rows)
