"""Admin table of users: search, filters, pagination, create and edit in place, deactivate (never delete)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user

from planapp.accounts import queries, services
from planapp.accounts.forms import NewUserForm, UserForm
from planapp.accounts.models import User
from planapp.agencies.queries import agency_choices
from planapp.core.permissions import Perm, Role, require
from planapp.extensions import db
from planapp.web.access import requires
from planapp.web.filters import locale_code
from planapp.web.forms import save_form
from planapp.web.htmx import render_fragment, trigger, wants_fragment
from planapp.web.pagination import page_arg, per_page, text_arg

bp = Blueprint("users", __name__, url_prefix="/admin/users")

FIELDS = ("email", "name", "role", "agency_id", "language")


def _load(user_id: int) -> User:
    user = queries.get_user(user_id)
    if user is None:
        abort(404)
    return user


def _form(form_class: type[UserForm] = UserForm, user: User | None = None, **kwargs) -> UserForm:
    choices = agency_choices(locale_code(), keep_id=user.agency_id if user else None)
    return form_class(obj=user, agency_choices=choices, **kwargs)


def _data(form: UserForm) -> dict:
    return {name: form[name].data for name in FIELDS}


@bp.get("/", endpoint="list")
@requires(Perm.MANAGE_USERS)
def list_users():
    q, role, status = text_arg("q"), text_arg("role"), text_arg("status") or "active"
    page = queries.list_users(q, page_arg(), per_page(), role, status)
    context = {"page": page, "q": q, "role": role, "status": status}
    if wants_fragment("user-table"):  # the table alone: no need to build the create form's choices
        return render_fragment("users/_table.html", **context)
    return render_template("users/list.html", roles=list(Role), form=_form(NewUserForm), **context)


@bp.post("/")
@requires(Perm.MANAGE_USERS)
def create():
    form = _form(NewUserForm)
    if saved := save_form(form, lambda: services.create_user(current_user, _data(form), form.password.data)):
        flash(_("User %(email)s was created.", email=saved.value.email), "success")
        fresh = _form(NewUserForm, formdata=None)
        return trigger(render_fragment("users/_create_form.html", form=fresh), "users-changed")
    return render_fragment("users/_create_form.html", form=form, open=True)


@bp.get("/<int:user_id>/row")
@requires(Perm.MANAGE_USERS)
def row(user_id: int):
    return render_fragment("users/_row.html", user=_load(user_id))


@bp.get("/<int:user_id>/edit")
@requires(Perm.MANAGE_USERS)
def edit(user_id: int):
    user = _load(user_id)
    return render_fragment("users/_row_form.html", user=user, form=_form(user=user, formdata=None))


@bp.post("/<int:user_id>")
@requires(Perm.MANAGE_USERS)
def update(user_id: int):
    user = _load(user_id)
    form = _form(user=user)
    if save_form(form, lambda: services.update_user(current_user, user, _data(form))):
        flash(_("User %(email)s was saved.", email=user.email), "success")
        return render_fragment("users/_row.html", user=user)
    return render_fragment("users/_row_form.html", user=user, form=form)


@bp.post("/<int:user_id>/deactivate")
@requires(Perm.MANAGE_USERS)
def deactivate(user_id: int):
    user = _load(user_id)
    require(current_user, Perm.DEACTIVATE_USER, user)
    services.set_user_active(current_user, user, False)
    db.session.commit()
    flash(_("User %(email)s was deactivated and signed out. Their history is kept.", email=user.email), "success")
    return render_fragment("users/_row.html", user=user)


@bp.post("/<int:user_id>/reactivate")
@requires(Perm.MANAGE_USERS)
def reactivate(user_id: int):
    user = services.set_user_active(current_user, _load(user_id), True)
    db.session.commit()
    flash(_("User %(email)s was reactivated.", email=user.email), "success")
    return render_fragment("users/_row.html", user=user)
