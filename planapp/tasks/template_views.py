"""Admin table of task templates: filter by stage, create and edit in place, deactivate (never delete)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user

from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.tasks import template_queries as queries
from planapp.tasks import template_services as services
from planapp.tasks.forms import TaskTemplateForm
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import TaskTemplate
from planapp.web.access import requires
from planapp.web.filters import locale_code
from planapp.web.forms import save_form
from planapp.web.htmx import render_fragment, trigger, wants_fragment
from planapp.web.pagination import page_arg, per_page, text_arg

bp = Blueprint("task_templates", __name__, url_prefix="/admin/task-templates")

FIELDS = ("stage", "kind", "title", "title_en", "description", "description_en", "agency_kind", "agency_ids",
          "mandatory", "due_in_days", "remind_before_days", "overdue_every_days", "escalate_after_days")


def _load(template_id: int) -> TaskTemplate:
    template = queries.get_template(template_id)
    if template is None:
        abort(404)
    return template


def _form(template: TaskTemplate | None = None, **kwargs) -> TaskTemplateForm:
    chosen = {agency.id for agency in template.agencies} if template else set()
    return TaskTemplateForm(obj=template, agency_ids=sorted(chosen), stages=list(services.TEMPLATE_STAGES),
                            agencies=queries.agency_options(locale_code(), chosen), **kwargs)


def _data(form: TaskTemplateForm) -> dict:
    return {name: form[name].data for name in FIELDS}


def _filters() -> dict[str, str]:
    return {"stage": text_arg("stage", 30), "kind": text_arg("kind", 30), "status": text_arg("status", 10) or "active"}


@bp.get("/", endpoint="list")
@requires(Perm.MANAGE_TASK_TEMPLATES)
def list_templates():
    filters = _filters()
    page = queries.list_templates(**filters, page=page_arg(), per_page=per_page())
    if wants_fragment("template-table"):  # the table alone: no need to build the create form's choices
        return render_fragment("task_templates/_table.html", page=page, filters=filters)
    return render_template("task_templates/list.html", page=page, filters=filters, form=_form(),
                           stages=services.TEMPLATE_STAGES, kinds=list(TaskKind))


@bp.post("/")
@requires(Perm.MANAGE_TASK_TEMPLATES)
def create():
    form = _form()
    if saved := save_form(form, lambda: services.create_template(current_user, _data(form))):
        flash(_("Task template «%(title)s» was created.", title=saved.value.title), "success")
        fresh = _form(formdata=None)
        return trigger(render_fragment("task_templates/_create_form.html", form=fresh), "templates-changed")
    return render_fragment("task_templates/_create_form.html", form=form, open=True)


@bp.get("/<int:template_id>/row")
@requires(Perm.MANAGE_TASK_TEMPLATES)
def row(template_id: int):
    return render_fragment("task_templates/_row.html", template=_load(template_id))


@bp.get("/<int:template_id>/edit")
@requires(Perm.MANAGE_TASK_TEMPLATES)
def edit(template_id: int):
    template = _load(template_id)
    return render_fragment("task_templates/_row_form.html", template=template, form=_form(template, formdata=None))


@bp.post("/<int:template_id>")
@requires(Perm.MANAGE_TASK_TEMPLATES)
def update(template_id: int):
    template = _load(template_id)
    form = _form(template)
    stage = template.stage
    if save_form(form, lambda: services.update_template(current_user, template, _data(form))):
        flash(_("Task template «%(title)s» was saved. Stages entered from now on use it.", title=template.title),
              "success")
        body = render_fragment("task_templates/_row.html", template=template)
        # Moved to another stage: the table regroups itself.
        return trigger(body, "templates-changed") if template.stage != stage else body
    return render_fragment("task_templates/_row_form.html", template=template, form=form)


@bp.post("/<int:template_id>/deactivate")
@requires(Perm.MANAGE_TASK_TEMPLATES)
def deactivate(template_id: int):
    template = services.set_template_active(current_user, _load(template_id), False)
    db.session.commit()
    flash(_("Task template «%(title)s» was deactivated: it opens no more tasks. Tasks it opened are kept.",
            title=template.title), "success")
    return render_fragment("task_templates/_row.html", template=template)


@bp.post("/<int:template_id>/reactivate")
@requires(Perm.MANAGE_TASK_TEMPLATES)
def reactivate(template_id: int):
    template = services.set_template_active(current_user, _load(template_id), True)
    db.session.commit()
    flash(_("Task template «%(title)s» was reactivated.", title=template.title), "success")
    return render_fragment("task_templates/_row.html", template=template)
