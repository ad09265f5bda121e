"""The supervisors' scoring matrix page of a plan: candidates, criteria, direct or AHP weights."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from planapp.core.clock import now
from planapp.core.errors import Conflict, DomainError
from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.plans.views import load_plan
from planapp.scoring import delphi, judgements, queries, rounds, services, suggest
from planapp.scoring.models import CandidateOrigin, CriterionKind, MatrixStatus, WeightMethod
from planapp.web.access import requires
from planapp.web.htmx import render, render_fragment, trigger

bp = Blueprint("scoring", __name__, url_prefix="/plans/<int:plan_id>/scoring")

# Saaty's fundamental scale: how much more important the first of a pair is.
SAATY_LABELS = {2: _l("between equal and moderately more important"), 3: _l("moderately more important"),
                4: _l("between moderately and strongly more important"), 5: _l("strongly more important"),
                6: _l("between strongly and very strongly more important"), 7: _l("very strongly more important"),
                8: _l("between very strongly and extremely more important"), 9: _l("extremely more important")}


def _locale() -> str:
    return str(get_locale() or "fa")


def _choices_from_form(criteria) -> dict[tuple[int, int], str]:
    return {(a.id, b.id): request.values.get(f"pair-{a.id}-{b.id}", "") for a, b in judgements.pairs(criteria)}


def _context(plan, error: str | None = None, judged: judgements.Judged | None = None) -> dict:
    matrix = queries.get_active_matrix(plan.id)
    candidates = queries.list_candidates(matrix.id) if matrix else []
    criteria = queries.list_criteria(matrix.id) if matrix else []
    if judged is None:  # the form shows the saved judgements, "equally important" where there is none yet
        stored = judgements.stored_choices(matrix.id, criteria) if matrix else {}
        judged = judgements.judge(criteria, {(a.id, b.id): stored.get((a.id, b.id), "1")
                                           for a, b in judgements.pairs(criteria)})
    suggestions = suggest.location_quotient_suggestions(plan.province, _locale())
    taken = {c.sector_id for c in candidates if c.sector_id is not None}
    return {"plan": plan, "matrix": matrix, "candidates": candidates, "criteria": criteria, "error": error,
            "pairs": judgements.pairs(criteria), "judged": judged, "scale": judgements.SCALE,
            "saaty_labels": SAATY_LABELS,
            "suggestions": suggestions, "taken": taken, "kinds": list(CriterionKind),
            "key_sectors": suggest.key_sector_suggestions(plan.id, _locale(), candidates),
            "weights_complete": bool(criteria) and all(c.weight is not None for c in criteria),
            "ahp_method": matrix is not None and matrix.weight_method == WeightMethod.AHP,
            "may_edit": services.may_change(current_user, plan),
            "past_analysis": plan.stage not in services.CHANGEABLE_STAGES,
            "not_ready": rounds.readiness(matrix, candidates, criteria),
            "round_tasks": rounds.round_tasks(plan.id) if matrix and matrix.status != MatrixStatus.DRAFT else [],
            "agencies": rounds.active_agencies(), "round_panel": delphi.round_panel(plan.id, matrix),
            "top_ranked": rounds.top_ranked(matrix.results) if matrix and matrix.results else set()}


@bp.get("", endpoint="page")
@requires(Perm.EDIT_PLAN)
def page(plan_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    return render("scoring/page.html", "scoring/_matrix.html", target_id="scoring-matrix", **_context(plan))


def _matrix(plan, error: str | None = None, status: int = 200, judged=None):
    response = trigger(render_fragment("scoring/_matrix.html", **_context(plan, error, judged)), "scoring-changed")
    response.status_code = status
    return response


def _change(plan, change, success):
    """One change: refused ones re-render the matrix with the reason (409 when the form was stale)."""
    try:
        outcome = change()
    except Conflict as error:
        db.session.rollback()
        return _matrix(plan, str(error.message), 409)
    except DomainError as error:
        db.session.rollback()
        return _matrix(plan, str(error.message))
    db.session.commit()
    flash(success(outcome) if callable(success) else success, "success")
    return _matrix(plan)


def _owned(plan, get, row_id: int) -> None:
    """404 unless the row belongs to this plan's matrix (another plan's ids stay hidden)."""
    matrix = queries.get_active_matrix(plan.id)
    if matrix is None or get(matrix.id, row_id) is None:
        abort(404)


def _added(row) -> str:
    return _("«%(name)s» was added.", name=row.name)


def _saved(row) -> str:
    return _("«%(name)s» was saved.", name=row.name)


def _int(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isdecimal() else None


@bp.post("/candidates", endpoint="add_candidate")
@requires(Perm.EDIT_PLAN)
def add_candidate(plan_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    if "key_sector" in request.form:  # a key sector of the plan's input-output table, named by its label
        key = next((s for s in suggest.key_sector_suggestions(plan.id, _locale())
                    if s.label == request.form["key_sector"]), None)
        if key is None:
            return _matrix(plan, _("This sector is not among the key sectors."))
        return _change(plan, lambda: services.add_candidate(current_user, plan, key.label, now(),
                                                            CandidateOrigin.KEY_SECTOR, key.sector_id, key.note),
                       _added)
    sector_id = _int("sector_id")
    if sector_id is None:
        return _change(plan, lambda: services.add_candidate(current_user, plan, request.form.get("name", ""), now()),
                       _added)
    found = suggest.location_quotient_suggestions(plan.province, _locale())
    item = next((s for s in found.items if s.sector_id == sector_id), None)
    if item is None:
        return _matrix(plan, _("This sector is not among the suggestions."))
    return _change(plan, lambda: services.add_candidate(current_user, plan, item.name, now(),
                                                        CandidateOrigin.LOCATION_QUOTIENT, item.sector_id,
                                                        found.note_for(item, _locale())),
                   _added)


@bp.post("/candidates/<int:candidate_id>", endpoint="rename_candidate")
@requires(Perm.EDIT_PLAN)
def rename_candidate(plan_id: int, candidate_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    _owned(plan, queries.get_candidate, candidate_id)
    return _change(plan, lambda: services.rename_candidate(current_user, plan, candidate_id,
                                                           request.form.get(f"name-{candidate_id}", ""),
                                                           request.form.get("version"), now()),
                   _saved)


@bp.post("/candidates/<int:candidate_id>/remove", endpoint="remove_candidate")
@requires(Perm.EDIT_PLAN)
def remove_candidate(plan_id: int, candidate_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    _owned(plan, queries.get_candidate, candidate_id)
    return _change(plan, lambda: services.remove_candidate(current_user, plan, candidate_id,
                                                           request.form.get("version"), now()),
                   _("The candidate was removed."))


@bp.post("/criteria", endpoint="add_criterion")
@requires(Perm.EDIT_PLAN)
def add_criterion(plan_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    return _change(plan, lambda: services.add_criterion(current_user, plan, request.form.get("name", ""),
                                                        request.form.get("kind"), now()),
                   _added)


@bp.post("/criteria/<int:criterion_id>", endpoint="update_criterion")
@requires(Perm.EDIT_PLAN)
def update_criterion(plan_id: int, criterion_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    _owned(plan, queries.get_criterion, criterion_id)
    return _change(plan, lambda: services.update_criterion(current_user, plan, criterion_id,
                                                           request.form.get(f"name-{criterion_id}", ""),
                                                           request.form.get(f"kind-{criterion_id}"),
                                                           request.form.get("version"), now()),
                   _saved)


@bp.post("/criteria/<int:criterion_id>/remove", endpoint="remove_criterion")
@requires(Perm.EDIT_PLAN)
def remove_criterion(plan_id: int, criterion_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    _owned(plan, queries.get_criterion, criterion_id)
    return _change(plan, lambda: services.remove_criterion(current_user, plan, criterion_id,
                                                           request.form.get("version"), now()),
                   _("The criterion was removed."))


@bp.post("/weights", endpoint="weights")
@requires(Perm.EDIT_PLAN)
def weights(plan_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    typed = {int(key[7:]): value for key, value in request.form.items()
             if key.startswith("weight-") and key[7:].isdecimal()}
    if not typed:
        abort(400)

    def saved(outcome: services.WeightsSaved) -> str:
        if outcome.rescaled:
            return _("The weights were saved, scaled to add up to 1 (you typed a total of %(sum)s).",
                     sum=f"{outcome.typed_sum:.4g}")
        return _("The weights were saved.")

    return _change(plan, lambda: services.set_direct_weights(current_user, plan, typed,
                                                             request.form.get("matrix_version"), now()), saved)


@bp.get("/ahp", endpoint="ahp_result")
@requires(Perm.EDIT_PLAN)
def ahp_result(plan_id: int):
    """The consistency ratio and weights of the pairwise form as it stands, nothing saved (the form's change)."""
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    matrix = queries.get_active_matrix(plan.id)
    criteria = queries.list_criteria(matrix.id) if matrix else []
    judged = judgements.judge(criteria, _choices_from_form(criteria))
    return render_template("scoring/_ahp_result.html", judged=judged, criteria=criteria, saved=False)


@bp.post("/ahp", endpoint="save_ahp")
@requires(Perm.EDIT_PLAN)
def save_ahp(plan_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    matrix = queries.get_active_matrix(plan.id)
    criteria = queries.list_criteria(matrix.id) if matrix else []
    choices = _choices_from_form(criteria)

    def saved(judged: judgements.Judged) -> str:
        if judged.warn:
            return _("The weights were saved, but the comparisons are inconsistent (CR above 0.1): review them.")
        return _("The comparisons and the weights they give were saved.")

    try:
        judged = services.save_judgements(current_user, plan, choices, request.form.get("matrix_version"), now())
    except Conflict as error:
        db.session.rollback()
        return _matrix(plan, str(error.message), 409)
    except DomainError as error:
        db.session.rollback()
        return _matrix(plan, str(error.message), judged=judgements.judge(criteria, choices))
    db.session.commit()
    flash(saved(judged), "success" if not judged.warn else "info")
    return _matrix(plan)


@bp.post("/round", endpoint="open_round")
@requires(Perm.EDIT_PLAN)
def open_round(plan_id: int):
    """Open the scoring round: one scoring task per chosen agency and person; the candidates, criteria and weights
    freeze."""
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    return _change(plan, lambda: rounds.open_round(current_user, plan, request.form.getlist("agency_ids"),
                                                   request.form.get("days"), now(), request.form.getlist("user_ids")),
                   lambda created: _("The scoring round is open: %(count)s scoring tasks were sent.",
                                     count=len(created)))


@bp.post("/round/close", endpoint="close_round")
@requires(Perm.EDIT_PLAN)
def close_round(plan_id: int):
    """Close the round: aggregate, rank (weighted sum and TOPSIS), agreement and stability, kept on the matrix."""
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    return _change(plan, lambda: rounds.close_round(current_user, plan, now()),
                   _("The scoring round is closed and its results are below."))


@bp.post("/cores", endpoint="confirm_cores")
@requires(Perm.EDIT_PLAN)
def confirm_cores(plan_id: int):
    """Confirm the driving cores: the chosen candidates, each outside the top ranked with its reason."""
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    reasons = {int(key[7:]): value for key, value in request.form.items()
               if key.startswith("reason-") and key[7:].isdecimal()}
    return _change(plan, lambda: rounds.confirm_cores(current_user, plan, request.form.getlist("core"), reasons, now()),
                   lambda cores: _("%(count)s driving cores were confirmed.", count=len(cores)))
