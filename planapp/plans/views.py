"""Plans: the board and the table, creating, the plan page, editing, copying, and the workflow reference."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.approvals.panel import workflow_panel
from planapp.audit.labels import PLAN_ACTIONS
from planapp.core.clock import now
from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.forms import apply_service_error
from planapp.core.permissions import Perm, can, require
from planapp.extensions import db
from planapp.plans import queries, services
from planapp.plans.forms import PlanForm
from planapp.plans.models import Plan
from planapp.plans.workflow import TRANSITIONS, Stage
from planapp.tasks.queries import plan_stage_tasks
from planapp.web.access import requires
from planapp.web.forms import save_form
from planapp.web.htmx import render, render_fragment
from planapp.web.pagination import page_arg, per_page, text_arg

bp = Blueprint("plans", __name__, url_prefix="/plans")


def load_plan(plan_id: int, perm: Perm = Perm.VIEW_PLANS) -> Plan:
    """The plan, or 404 — also when the user may not see it (its existence stays hidden)."""
    plan = queries.get_plan(plan_id)
    if plan is None or not can(current_user, Perm.VIEW_PLANS, plan):
        abort(404)
    if perm != Perm.VIEW_PLANS:
        require(current_user, perm, plan)
    return plan


# Stands for "some plan not approved yet": may this user see such plans? (The rule lives in core.permissions.)
_UNPUBLISHED_PLAN = SimpleNamespace(is_published=False, is_archived=False)


def _published_only() -> bool:
    return not can(current_user, Perm.VIEW_PLANS, _UNPUBLISHED_PLAN)


def _filters() -> dict:
    year = text_arg("year", 4)
    owner = text_arg("owner", 10)
    return {"q": text_arg("q"), "stage": text_arg("stage", 30), "year": int(year) if year.isdecimal() else None,
            "owner_id": int(owner) if owner.isdecimal() else None}


def _form(plan: Plan | None = None, **kwargs) -> PlanForm:
    return PlanForm(obj=plan, owner_choices=queries.supervisor_choices(), **kwargs)


@bp.app_template_filter("plan_action")
def plan_action(action: str) -> str:
    return str(PLAN_ACTIONS.get(action, action))


@bp.app_template_filter("stage_label")
def stage_label(value: str | None) -> str:
    return Stage(value).label if value in set(Stage) else (value or "")


@bp.get("/", endpoint="list")
@requires(Perm.VIEW_PLANS)
def list_plans():
    filters, view = _filters(), text_arg("view", 10) or "board"
    published_only = _published_only()
    context = {"filters": filters, "view": view, "stages": list(Stage),
               "supervisors": queries.supervisor_choices()}
    if view == "table":
        context["page"] = queries.list_plans(page_arg(), per_page(), published_only=published_only, **filters)
    else:
        context["columns"] = queries.board(published_only=published_only, **filters)
    return render("plans/list.html", "plans/_results.html", target_id="plan-results", **context)


@bp.get("/new")
@requires(Perm.CREATE_PLAN)
def new():
    form = _form(formdata=None, data={"province": _("East Azerbaijan"), "owner_id": current_user.id})
    return render_template("plans/new.html", form=form)


@bp.post("/")
@requires(Perm.CREATE_PLAN)
def create():
    form = _form()
    if saved := save_form(form, lambda: services.create_plan(current_user, form.data_for_service(), now())):
        plan = saved.value
        flash(_("Plan «%(title)s» was created.", title=plan.title), "success")
        return redirect(url_for("plans.detail", plan_id=plan.id))
    return render_template("plans/new.html", form=form)


@bp.get("/<int:plan_id>")
@requires(Perm.VIEW_PLANS)
def detail(plan_id: int):
    plan = load_plan(plan_id)
    return render_template("plans/detail.html", activity=queries.activity(plan.id, 1),
                           **_stage_work(plan), **workflow_panel(plan, current_user))


def _stage_work(plan: Plan) -> dict:
    """The stage's tasks this user may see (others' titles stay hidden, RELIABILITY AC2), and how many in all."""
    tasks = plan_stage_tasks(plan.id, plan.stage)
    visible = [task for task in tasks if can(current_user, Perm.VIEW_TASKS, task)]
    return {"stage_tasks": visible, "hidden_tasks": len(tasks) - len(visible)}


@bp.get("/<int:plan_id>/tasks")
@requires(Perm.VIEW_PLANS)
def stage_tasks(plan_id: int):
    """The open work of the plan's current stage (refreshed when the stage changes)."""
    plan = load_plan(plan_id)
    return render_fragment("plans/_tasks.html", plan=plan, **_stage_work(plan))


@bp.get("/<int:plan_id>/activity")
@requires(Perm.VIEW_PLANS)
def activity(plan_id: int):
    plan = load_plan(plan_id)
    return render_fragment("plans/_activity.html", plan=plan, activity=queries.activity(plan.id, page_arg()))


@bp.get("/<int:plan_id>/edit")
@requires(Perm.EDIT_PLAN)
def edit(plan_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    return render_template("plans/edit.html", plan=plan, form=_form(plan, formdata=None))


@bp.post("/<int:plan_id>")
@requires(Perm.EDIT_PLAN)
def update(plan_id: int):
    plan = load_plan(plan_id, Perm.EDIT_PLAN)
    form = _form(plan)
    status = 200
    if form.validate_on_submit():
        try:
            services.update_plan(current_user, plan, form.data_for_service(), form.expected_version())
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_error(form, error)
        except Conflict as error:
            # Stale: show the current values and say so; nothing of the user's edit was stored (409).
            db.session.rollback()
            plan = load_plan(plan_id)
            form = _form(plan, formdata=None)
            form.form_errors.append(str(error.message))
            status = 409
        else:
            db.session.commit()
            flash(_("Plan «%(title)s» was saved.", title=plan.title), "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
    return render_template("plans/edit.html", plan=plan, form=form), status


@bp.route("/<int:plan_id>/copy", methods=["GET", "POST"])
@requires(Perm.CREATE_PLAN)
def copy(plan_id: int):
    source = load_plan(plan_id)
    length = source.period_end - source.period_start + 1
    defaults = {"title": _("%(title)s (next period)", title=source.title), "province": source.province,
                "period_start": source.period_end + 1, "period_end": source.period_end + length,
                "description": source.description, "owner_id": current_user.id}
    form = _form(formdata=None, data=defaults) if request.method == "GET" else _form()
    if request.method == "POST" and (saved := save_form(
            form, lambda: services.copy_plan(current_user, source, form.data_for_service(), now()))):
        plan = saved.value
        flash(_("Plan «%(title)s» was started from «%(source)s».", title=plan.title, source=source.title),
              "success")
        return redirect(url_for("plans.detail", plan_id=plan.id))
    return render_template("plans/copy.html", source=source, form=form)


@bp.get("/workflow")
@requires(Perm.USE_APP)
def workflow():
    return render_template("plans/workflow.html", transitions=TRANSITIONS, stages=list(Stage))

