"""Indicator imports: the upload page, one import's page (progress polled by htmx, cancel, the validation report)
and the list of imports. The work itself runs in planapp.indicators.imports."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.core.clock import now
from planapp.core.errors import ValidationFailed
from planapp.core.permissions import Perm, can
from planapp.extensions import db
from planapp.indicators import import_messages as messages
from planapp.indicators import imports
from planapp.indicators.import_queries import get_import, list_imports
from planapp.indicators.models import IndicatorImport
from planapp.indicators.validate import COLUMNS
from planapp.tasks.queries import get_task
from planapp.web.access import requires
from planapp.web.htmx import render_fragment, wants_fragment
from planapp.web.pagination import page_arg, per_page

bp = Blueprint("imports", __name__, url_prefix="/indicators/imports")

REPORT_PAGE = 100  # problems shown per page of the report (at most 1,000 are kept)
FORM_OVERHEAD = 256 * 1024  # multipart boundaries, the CSRF token, the task id


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict | None) -> None:
    """Runs before every before_request hook (CSRF reads the form): a bigger body than the app's default is
    allowed for the upload only; beyond it Werkzeug answers 413 with the app's error page."""
    if endpoint == "imports.create":
        request.max_content_length = current_app.config["INDICATOR_IMPORT_MAX_BYTES"] + FORM_OVERHEAD


def _load(import_id: int) -> IndicatorImport:
    """The import, or 404 — also when the user may not see it (its existence stays hidden)."""
    upload = get_import(import_id)
    if upload is None or not can(current_user, Perm.IMPORT_INDICATORS, upload):
        abort(404)
    return upload


def _task(value: str | None):
    """The task named by ?task_id= or the form, 404 if the user cannot see it; None when none is named."""
    if not value:
        return None
    task = get_task(int(value)) if value.isdecimal() and value.isascii() and len(value) < 12 else None
    if task is None or not can(current_user, Perm.VIEW_TASKS, task):
        abort(404)
    return task


def _new_page(task, error: str | None = None):
    refusal = can(current_user, Perm.WORK_ON_TASK, task) if task is not None else None
    if refusal is not None and not refusal:  # e.g. a supervisor, or a closed plan: said before a file is chosen
        error = refusal.reason
    return render_template("indicators/imports/new.html", task=task, error=error, columns=COLUMNS,
                           may_upload=refusal is None or bool(refusal),
                           column_labels=messages.COLUMN_LABELS,
                           max_bytes=current_app.config["INDICATOR_IMPORT_MAX_BYTES"],
                           template_url=_template_url(task))


def _template_url(task) -> str | None:
    """The task grid's downloadable template (planapp/indicators/task_views.py), where it is installed."""
    if task is None or "task_indicators.template" not in current_app.view_functions:
        return None
    return url_for("task_indicators.template", task_id=task.id, fmt="xlsx")


@bp.get("/new", endpoint="new")
@requires(Perm.IMPORT_INDICATORS)
def new():
    return _new_page(_task(request.args.get("task_id")))


@bp.post("/", endpoint="create")
@requires(Perm.IMPORT_INDICATORS)
def create():
    task = _task(request.form.get("task_id"))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _new_page(task, _("Choose a file first."))
    try:
        created = imports.create_import(current_user, upload.filename, upload.read(), now(),
                                        max_bytes=current_app.config["INDICATOR_IMPORT_MAX_BYTES"],
                                        task_id=task.id if task else None)
    except ValidationFailed as error:
        db.session.rollback()
        return _new_page(task, str(error.message))
    db.session.commit()
    imports.start(created.id)
    return redirect(url_for("imports.detail", import_id=created.id))


def _report_context(upload: IndicatorImport) -> dict:
    report = upload.report if isinstance(upload.report, dict) else {}
    problems = report.get("problems") or []
    pages = max(1, -(-len(problems) // REPORT_PAGE))
    page = min(page_arg(), pages)
    return {"problems": problems[(page - 1) * REPORT_PAGE:page * REPORT_PAGE], "report_page": page,
            "report_pages": pages, "counts": report.get("counts") or {}, "kept": len(problems),
            "whole_file": messages.report_message(upload)}


def _context(upload: IndicatorImport) -> dict:
    return {"upload": upload, "m": messages, **_report_context(upload)}


@bp.get("/<int:import_id>", endpoint="detail")
@requires(Perm.IMPORT_INDICATORS)
def detail(import_id: int):
    return render_template("indicators/imports/detail.html", **_context(_load(import_id)))


@bp.get("/<int:import_id>/progress", endpoint="progress")
@requires(Perm.IMPORT_INDICATORS)
def progress(import_id: int):
    """The polled partial: it carries its own trigger while the import runs, none once it has finished."""
    return render_fragment("indicators/imports/_progress.html", **_context(_load(import_id)))


@bp.post("/<int:import_id>/cancel", endpoint="cancel")
@requires(Perm.IMPORT_INDICATORS)
def cancel(import_id: int):
    upload = _load(import_id)
    imports.request_cancel(upload.id)
    db.session.expire_all()
    upload = _load(import_id)
    if wants_fragment("import-progress"):
        return render_fragment("indicators/imports/_progress.html", **_context(upload))
    return redirect(url_for("imports.detail", import_id=import_id))


@bp.get("/", endpoint="list")
@requires(Perm.IMPORT_INDICATORS)
def list_():
    page = list_imports(current_user, page_arg(), per_page())
    return render_template("indicators/imports/list.html", page=page)
