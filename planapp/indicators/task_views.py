"""The indicator grid on "submit indicators" tasks (a kind form of the task page) and its CSV/XLSX template."""

from __future__ import annotations

import importlib
import importlib.util

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.core import exports
from planapp.core.clock import now
from planapp.core.errors import DomainError
from planapp.core.i18n import local_date
from planapp.core.permissions import Perm, can
from planapp.extensions import db
from planapp.indicators import grid as grids
from planapp.tasks.detail_views import load_task
from planapp.tasks.kinds import KindForm, register_kind_form
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import Task
from planapp.web.access import requires
from planapp.web.filters import locale_code
from planapp.web.htmx import render_fragment, trigger

bp = Blueprint("task_indicators", __name__, url_prefix="/tasks/<int:task_id>/indicators")

TEMPLATE = "indicators/_task_grid.html"


IMPORT_ENDPOINTS = ("indicator_imports.new", "imports.new")  # the upload page of the import module, if installed


def import_endpoint() -> str | None:
    return next((name for name in IMPORT_ENDPOINTS if name in current_app.view_functions), None)


def _imports(task: Task) -> dict:
    """The upload page for a filled template and the task's imports, when the import module is installed (it
    may come later than the grid): its partial, which links to its pages, is shown only when those pages exist."""
    found = {"import_url": None, "task_imports": None}
    endpoint = import_endpoint()
    if endpoint is None:
        return found
    if importlib.util.find_spec("planapp.indicators.import_queries") is not None:
        queries = importlib.import_module("planapp.indicators.import_queries")
        if hasattr(queries, "task_imports"):
            found["task_imports"] = queries.task_imports(task.id)
    if found["task_imports"] is None:  # the partial has its own upload button
        found["import_url"] = url_for(endpoint, task_id=task.id)
    return found


def grid_context(task: Task, user, grid: grids.Grid | None = None, success: str = "") -> dict:
    """What _task_grid.html reads (as kind_context), for the task page and for the grid's own requests."""
    grid = grid or grids.load_grid(task, None, None, now(), locale_code())
    refusal = grids.save_refusal(user, task)
    return {"grid": grid, "may_save": refusal is None, "success": success,
            # Shown to those who could work on the task but not in its state; reviewers simply read.
            "read_only_reason": refusal if refusal and can(user, Perm.WORK_ON_TASK, task) else None,
            **_imports(task)}


register_kind_form(TaskKind.SUBMIT_INDICATORS, KindForm(TEMPLATE, grid_context))


def _load(task_id: int) -> Task:
    task = load_task(task_id)  # 404 unless the task is the user's to see
    if task.kind != TaskKind.SUBMIT_INDICATORS:
        abort(404)
    return task


def _render(task: Task, grid: grids.Grid, status: int = 200, success: str = ""):
    body = render_fragment(TEMPLATE, task=task, kind_context=grid_context(task, current_user, grid, success))
    # A save changes the task's history: the page's other parts refresh on task-changed.
    response = trigger(body, "task-changed") if success else current_app.make_response(body)
    response.status_code = status
    return response


@bp.get("", endpoint="grid")
@requires(Perm.VIEW_TASKS)
def show(task_id: int):
    """The grid for another region or another window of years (the region select and the year arrows)."""
    task = _load(task_id)
    grid = grids.load_grid(task, request.args.get("region"), request.args.get("end"), now(), locale_code())
    return _render(task, grid)


@bp.post("", endpoint="save")
@requires(Perm.WORK_ON_TASK)
def save(task_id: int):
    task = _load(task_id)
    form = {key: request.form.get(key, "") for key in request.form}
    try:
        grid = grids.save_grid(current_user, task, form, now(), locale_code())
    except DomainError as error:
        db.session.rollback()
        grid = grids.load_grid(task, form.get("region"), form.get("end"), now(), locale_code())
        grid.error = str(error.message)
        return _render(task, grid)  # 200: the grid shows the refusal in place (htmx swaps it; no console error)
    if grid.stored is None:  # a cell was refused: nothing was written, the problems are next to their cells
        grid.error = _("Nothing was saved: correct the %(count)s marked fields and save again.",
                       count=grids.format_cell(grid.error_count, locale_code()))
        return _render(task, grid)
    db.session.commit()
    stored, locale = grid.stored, locale_code()
    # Read again after the commit (which expired every loaded row): the stored values, in a few queries.
    grid = grids.load_grid(task, grid.region.id, grid.years[-1], now(), locale)
    success = _("%(saved)s values saved: %(new)s new, %(changed)s changed, %(same)s unchanged.",
                saved=grids.format_cell(stored.inserted + stored.updated + stored.unchanged, locale),
                new=grids.format_cell(stored.inserted, locale), changed=grids.format_cell(stored.updated, locale),
                same=grids.format_cell(stored.unchanged, locale))
    return _render(task, grid, success=success)


@bp.get("/template.<any(csv, xlsx):fmt>", endpoint="template")
@requires(Perm.VIEW_TASKS)
def template(task_id: int, fmt: str):
    """The file an officer fills offline and uploads: the importer's columns, with the stored values."""
    task = _load(task_id)
    columns = [(name, name) for name in grids.TEMPLATE_COLUMNS]  # English codes: the importer reads them back
    rows = grids.template_rows(task, now())
    name = exports.export_filename(f"indicators-task-{task.id}", fmt, local_date(now()))
    if fmt == "csv":
        body, mimetype = exports.to_csv(columns, rows), exports.CSV_MIMETYPE
    else:
        body = exports.to_xlsx(columns, rows, sheet_title="indicators", rtl=locale_code() == "fa")
        mimetype = exports.XLSX_MIMETYPE
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
