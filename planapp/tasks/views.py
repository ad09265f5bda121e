"""Task lists: the inbox of an agency's officers, the review queue of supervisors, exports, bulk deadlines,
ad-hoc tasks."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.agencies.queries import agency_choices
from planapp.core import exports
from planapp.core.clock import now
from planapp.core.errors import DomainError
from planapp.core.forms import apply_service_error
from planapp.core.i18n import ascii_digits, format_jalali, local_date, localized_digits
from planapp.core.permissions import Perm, can
from planapp.extensions import db
from planapp.plans.views import load_plan
from planapp.plans.workflow import Stage
from planapp.tasks import deadlines, queries, services
from planapp.tasks.forms import ExtendForm, NewTaskForm
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task
from planapp.web.access import requires
from planapp.web.filters import locale_code
from planapp.web.htmx import render
from planapp.web.pagination import page_arg, per_page, text_arg

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def _filters() -> queries.TaskFilters:
    plan = text_arg("plan", 10)
    return queries.TaskFilters(q=text_arg("q"), plan_id=int(plan) if plan.isdecimal() and plan.isascii() else None,
                               stage=text_arg("stage", 30), status=text_arg("status", 20) or "active",
                               kind=text_arg("kind", 30))


def _list_context(filters: queries.TaskFilters) -> dict:
    return {"filters": filters, "stages": list(Stage), "statuses": list(TaskStatus), "kinds": list(TaskKind),
            "today": local_date(now()), "plan_choices": queries.plan_choices}  # read by the full page alone


@bp.get("/", endpoint="inbox")
@requires(Perm.VIEW_TASKS)
def inbox():
    if can(current_user, Perm.REVIEW_TASK) and "mine" not in request.args:
        return redirect(url_for("tasks.review", **request.args))
    filters = _filters()
    page = queries.inbox(current_user, filters, local_date(now()), page_arg(), per_page())
    return render("tasks/inbox.html", "tasks/_list.html", target_id="task-list", page=page, list_name="inbox",
                  **_list_context(filters))


@bp.get("/review")
@requires(Perm.REVIEW_TASK)
def review():
    filters = _filters()
    page = queries.review_queue(filters, page_arg(), per_page())
    return render("tasks/review.html", "tasks/_list.html", target_id="task-list", page=page, list_name="review",
                  extend_form=ExtendForm(), **_list_context(filters))


EXPORT_LIMIT = 100_000


@bp.get("/export.<any(csv, xlsx):fmt>")
@requires(Perm.VIEW_TASKS)
def export(fmt: str):
    filters, today = _filters(), local_date(now())
    review = request.args.get("list") == "review" and can(current_user, Perm.REVIEW_TASK)
    query = queries.review_query(filters) if review else queries.inbox_query(current_user, filters, today)
    if db.session.scalar(query.order_by(None).with_only_columns(Task.id).offset(EXPORT_LIMIT).limit(1)):
        # Refused rather than cut short: a file missing rows without saying so would be read as complete.
        flash(_("More than %(n)s tasks match: narrow the filters (plan, stage, status or kind) and export again.",
                n=localized_digits(EXPORT_LIMIT)), "error")
        args = {key: value for key, value in request.args.items() if key != "list"}
        return redirect(url_for("tasks.review" if review else "tasks.inbox", **args))
    tasks = db.session.scalars(query.limit(EXPORT_LIMIT))
    columns = [("id", _("Number")), ("plan", _("Plan")), ("stage", _("Stage")), ("title", _("Task")),
               ("agency", _("Agency")), ("status", _("Status")), ("due_on", _("Due date")),
               ("mandatory", _("Mandatory"))]
    rows = ({"id": t.id, "plan": t.plan.title, "stage": t.stage.label, "title": t.display_title(locale_code()),
             "agency": t.agency.display_name(locale_code()) if t.agency else (t.assignee.name if t.assignee else ""),
             "status": t.status.label, "due_on": _export_date(t.due_on),
             "mandatory": _("yes") if t.mandatory else _("no")}
            for t in tasks)
    name = exports.export_filename("tasks", fmt, today)
    if fmt == "csv":
        # Built here, while the request's session is open: a streamed body is read after the request's context
        # (and its session) has ended, so the rows could no longer be loaded.
        return Response(exports.to_csv(columns, rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    body = exports.to_xlsx(columns, rows, sheet_title=_("Tasks"), rtl=locale_code() == "fa")
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _export_date(value):
    """Jalali in Persian (ASCII digits, so spreadsheets keep it as typed), the date itself in English."""
    return ascii_digits(format_jalali(value)) if locale_code() == "fa" else value


@bp.get("/count")
@requires(Perm.VIEW_TASKS)
def nav_count():
    """The navigation link with its count, refreshed after in-place task actions (`task-changed`)."""
    return render_template("_nav_tasks_link.html")


@bp.post("/extend")
@requires(Perm.REVIEW_TASK)
def extend():
    form = ExtendForm()
    ids = [int(part) for part in request.form.getlist("task_id") if part.isdecimal() and part.isascii()]
    if not form.validate_on_submit() or not ids:
        flash(_("Choose the tasks, the new due date and the reason."), "error")
        return redirect(url_for("tasks.review"))
    try:
        moved = services.extend_due_dates(current_user, ids, deadlines.parse_due_date(form.due_on.data),
                                          form.reason.data, now())
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The due date of %(n)s tasks was moved.", n=localized_digits(moved)), "success")
    return redirect(url_for("tasks.review"))


def _new_task_form(**kwargs) -> NewTaskForm:
    from planapp.accounts.queries import list_users

    people = [(user.id, user.name) for user in list_users(per_page=500).items]
    return NewTaskForm(agencies=agency_choices(locale_code()), people=people, **kwargs)


@bp.route("/new/<int:plan_id>", methods=["GET", "POST"])
@requires(Perm.REVIEW_TASK)
def new(plan_id: int):
    plan = load_plan(plan_id)
    if plan.is_archived:
        abort(404)
    form = _new_task_form()
    if form.validate_on_submit():
        data = {name: form[name].data for name in ("title", "description", "kind", "agency_id", "assignee_id",
                                                   "due_on", "mandatory")}
        try:
            task = services.create_task(current_user, plan, data, now())
        except DomainError as error:
            db.session.rollback()
            apply_service_error(form, error)
        else:
            db.session.commit()
            flash(_("Task «%(title)s» was created.", title=task.title), "success")
            return redirect(url_for("task.detail", task_id=task.id))
    return render_template("tasks/new.html", plan=plan, form=form,
                           max_upload=current_app.config.get("TASK_FILE_MAX_BYTES"))
