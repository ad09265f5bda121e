"""SWOT: the input form on SWOT input tasks, and the supervisors' page of a plan's factors with IFE/EFE."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from planapp.analytics import IE_CELL_NAMES, IE_COLUMNS, IE_REGIONS, IE_ROWS
from planapp.core.clock import now
from planapp.core.errors import Conflict, DomainError
from planapp.core.permissions import Perm, can
from planapp.extensions import db
from planapp.plans.views import load_plan
from planapp.swot import queries, services
from planapp.swot.models import Quadrant
from planapp.tasks.detail_views import load_task
from planapp.tasks.kinds import KindForm, register_kind_form
from planapp.tasks.lifecycle import TaskKind
from planapp.web.access import requires
from planapp.web.htmx import render_fragment, trigger

bp = Blueprint("swot", __name__)

BAND_LABELS = {"strong": _l("IFE strong (3–4)"), "average": _l("IFE average (2–2.99)"), "weak": _l("IFE weak (1–1.99)"),
               "high": _l("EFE high (3–4)"), "medium": _l("EFE medium (2–2.99)"), "low": _l("EFE low (1–1.99)")}
REGION_LABELS = {"grow and build": _l("grow and build"), "hold and maintain": _l("hold and maintain"),
                 "harvest or divest": _l("harvest or divest")}


def input_context(task, user, error: str | None = None, text: str = "", quadrant: str = "") -> dict:
    return {"factors": queries.list_task_factors(task.id, user.id), "quadrants": list(Quadrant),
            "may_submit": bool(can(user, Perm.WORK_ON_TASK, task)), "error": error, "text": text,
            "quadrant": quadrant}


register_kind_form(TaskKind.SWOT_INPUT, KindForm("swot/_task_input.html", input_context))


@bp.post("/tasks/<int:task_id>/swot")
@requires(Perm.WORK_ON_TASK)
def submit(task_id: int):
    task = load_task(task_id)
    text, quadrant = request.form.get("text", ""), request.form.get("quadrant", "")
    try:
        services.submit_factor(current_user, task, quadrant, text, now())
    except DomainError as error:
        db.session.rollback()
        context = input_context(task, current_user, str(error.message), text, quadrant)
        return render_fragment("swot/_task_input.html", task=task, kind_context=context)
    db.session.commit()
    flash(_("The factor was added."), "success")
    body = render_fragment("swot/_task_input.html", task=task, kind_context=input_context(task, current_user))
    return trigger(body, "task-changed")


def _board(plan, error: str | None = None, status: int = 200, fragment: bool = False):
    factors = queries.list_plan_factors(plan.id)
    context = {"plan": plan, "quadrants": queries.by_quadrant(factors), "summary": services.evaluation_summary(plan.id),
               "may_edit": bool(can(current_user, Perm.EDIT_PLAN, plan)), "error": error,
               "region_labels": REGION_LABELS, "ie_names": IE_CELL_NAMES, "ie_regions": IE_REGIONS,
               "ie_columns": [BAND_LABELS[b] for b in IE_COLUMNS], "ie_rows": [BAND_LABELS[b] for b in IE_ROWS]}
    if fragment:
        response = trigger(render_fragment("swot/_board.html", **context), "swot-changed")
        response.status_code = status
        return response
    return render_template("swot/board.html", **context)


@bp.get("/plans/<int:plan_id>/swot")
@requires(Perm.EDIT_PLAN)
def board(plan_id: int):
    return _board(load_plan(plan_id))


def _change(plan, change, success: str):
    try:
        change()
    except Conflict as error:
        db.session.rollback()
        return _board(plan, str(error.message), 409, fragment=True)
    except DomainError as error:
        db.session.rollback()
        return _board(plan, str(error.message), fragment=True)
    db.session.commit()
    flash(success, "success")
    return _board(plan, fragment=True)


def _int(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isdecimal() else None


@bp.post("/plans/<int:plan_id>/swot/merge")
@requires(Perm.EDIT_PLAN)
def merge(plan_id: int):
    plan = load_plan(plan_id)
    return _change(plan, lambda: services.merge_factors(current_user, plan, _int("keep_id"), _int("duplicate_id"),
                                                        request.form.get(f"version-{_int('duplicate_id')}"),
                                                        now()),
                   _("The duplicate was merged."))


@bp.post("/plans/<int:plan_id>/swot/<any(internal, external):evaluation>")
@requires(Perm.EDIT_PLAN)
def evaluate(plan_id: int, evaluation: str):
    plan = load_plan(plan_id)
    values: dict[int, dict[str, str]] = {}
    for key in request.form:
        name, _sep, factor_id = key.partition("-")
        if name in {"weight", "rating", "version"} and factor_id.isdecimal():
            values.setdefault(int(factor_id), {})[name] = request.form.get(key, "")
    if not values:
        abort(400)
    return _change(plan, lambda: services.set_evaluation(current_user, plan, evaluation, values, now()),
                   _("The weights and ratings were saved."))
