"""The scoring grid on a SCORE_MATRIX task: each cell is saved on its own as the stakeholder changes it; and the
supervisor's changes to who scores: a scorer added to the open round, the Delphi second round."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from planapp.core.clock import now
from planapp.core.errors import DomainError
from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.plans.views import load_plan
from planapp.scoring import delphi, queries, rounds, scorers
from planapp.scoring.views import _change
from planapp.tasks.detail_views import load_task
from planapp.tasks.kinds import KindForm, register_kind_form
from planapp.tasks.lifecycle import TaskKind
from planapp.web.access import requires

bp = Blueprint("task_scores", __name__)


def grid_context(task, user) -> dict:
    return {"grid": rounds.grid(task, user)}


register_kind_form(TaskKind.SCORE_MATRIX, KindForm("scoring/_task_grid.html", grid_context))


def _id(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isdecimal() else None


@bp.post("/tasks/<int:task_id>/scores")
@requires(Perm.WORK_ON_TASK)
def save(task_id: int):
    """One cell: answers the cell (with its message) and the progress line out of band."""
    task = load_task(task_id)
    matrix = rounds.task_matrix(task)
    candidate_id, criterion_id = _id("candidate_id"), _id("criterion_id")
    if matrix is None:
        abort(404)
    candidate = queries.get_candidate(matrix.id, candidate_id) if candidate_id else None
    criterion = queries.get_criterion(matrix.id, criterion_id) if criterion_id else None
    if candidate is None or criterion is None:
        abort(404)
    raw = request.form.get(f"score-{candidate.id}-{criterion.id}", "")
    error = None
    try:
        rounds.save_score(current_user, task, candidate.id, criterion.id, raw, now())
    except DomainError as err:
        db.session.rollback()
        error = str(err.message)
    else:
        db.session.commit()
    grid = rounds.grid(task, current_user)
    value = raw if error else grid.values.get((candidate.id, criterion.id))
    return render_template("scoring/_score_cell.html", task=task, grid=grid, candidate=candidate,
                           criterion=criterion, value=value, error=error, oob_progress=True)


@bp.post("/plans/<int:plan_id>/scoring/round/scorers")
@requires(Perm.EDIT_PLAN)
def add_scorer(plan_id: int):
    """One more scorer in the open round: an agency's or a person's task, due with the others."""
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    return _change(plan, lambda: scorers.add_scorer(current_user, plan, request.form.get("agency_id"),
                                                    request.form.get("user_id"), now()),
                   lambda task: _("%(name)s received a scoring task.", name=scorers.addressee(task)))


@bp.post("/plans/<int:plan_id>/scoring/round/second")
@requires(Perm.EDIT_PLAN)
def open_second_round(plan_id: int):
    """The Delphi round: each first-round scorer revises next to the group's median."""
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    return _change(plan, lambda: delphi.open_second_round(current_user, plan, request.form.get("days"), now()),
                   lambda created: _("The second round is open: %(count)s scorers received a task to revise their "
                                     "scores.", count=len(created)))
