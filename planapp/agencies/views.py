"""Admin table of agencies: search, pagination, create and edit in place, deactivate."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user

from planapp.agencies import queries, services
from planapp.agencies.forms import AgencyForm
from planapp.agencies.models import Agency
from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.web.access import requires
from planapp.web.filters import locale_code
from planapp.web.forms import save_form
from planapp.web.htmx import render_fragment, trigger, wants_fragment
from planapp.web.pagination import page_arg, per_page, text_arg

bp = Blueprint("agencies", __name__, url_prefix="/admin/agencies")


def _load(agency_id: int) -> Agency:
    agency = queries.get_agency(agency_id)
    if agency is None:
        abort(404)
    return agency


def _form(agency: Agency | None = None, **kwargs) -> AgencyForm:
    choices = queries.agency_choices(
        locale_code(), exclude_id=agency.id if agency else None, keep_id=agency.parent_id if agency else None
    )
    return AgencyForm(obj=agency, parent_choices=choices, **kwargs)


def _data(form: AgencyForm) -> dict:
    return {name: form[name].data for name in ("name", "name_en", "kind", "parent_id", "email")}


@bp.get("/", endpoint="list")
@requires(Perm.MANAGE_AGENCIES)
def list_agencies():
    q, status = text_arg("q"), text_arg("status") or "active"
    page = queries.list_agencies(q, page_arg(), per_page(), status)
    if wants_fragment("agency-table"):  # the table alone: no need to build the create form's choices
        return render_fragment("agencies/_table.html", page=page, q=q, status=status)
    return render_template("agencies/list.html", page=page, q=q, status=status, form=_form())


@bp.post("/")
@requires(Perm.MANAGE_AGENCIES)
def create():
    form = _form()
    if saved := save_form(form, lambda: services.create_agency(current_user, _data(form))):
        flash(_("Agency «%(name)s» was created.", name=saved.value.name), "success")
        return trigger(render_fragment("agencies/_create_form.html", form=_form(formdata=None)), "agencies-changed")
    return render_fragment("agencies/_create_form.html", form=form, open=True)


@bp.get("/<int:agency_id>/row")
@requires(Perm.MANAGE_AGENCIES)
def row(agency_id: int):
    return render_fragment("agencies/_row.html", agency=_load(agency_id))


@bp.get("/<int:agency_id>/edit")
@requires(Perm.MANAGE_AGENCIES)
def edit(agency_id: int):
    agency = _load(agency_id)
    return render_fragment("agencies/_row_form.html", agency=agency, form=_form(agency, formdata=None))


@bp.post("/<int:agency_id>")
@requires(Perm.MANAGE_AGENCIES)
def update(agency_id: int):
    agency = _load(agency_id)
    form = _form(agency)
    if save_form(form, lambda: services.update_agency(current_user, agency, _data(form))):
        flash(_("Agency «%(name)s» was saved.", name=agency.name), "success")
        return render_fragment("agencies/_row.html", agency=agency)
    return render_fragment("agencies/_row_form.html", agency=agency, form=form)


@bp.post("/<int:agency_id>/deactivate")
@requires(Perm.MANAGE_AGENCIES)
def deactivate(agency_id: int):
    agency = services.set_agency_active(current_user, _load(agency_id), False)
    db.session.commit()
    flash(_("Agency «%(name)s» was deactivated. Its users and history are kept.", name=agency.name), "success")
    return render_fragment("agencies/_row.html", agency=agency)


@bp.post("/<int:agency_id>/reactivate")
@requires(Perm.MANAGE_AGENCIES)
def reactivate(agency_id: int):
    agency = services.set_agency_active(current_user, _load(agency_id), True)
    db.session.commit()
    flash(_("Agency «%(name)s» was reactivated.", name=agency.name), "success")
    return render_fragment("agencies/_row.html", agency=agency)

