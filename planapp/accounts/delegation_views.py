"""The signed-in user's delegation: a colleague stands in for them while they are away."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.accounts import delegations as services
from planapp.accounts import queries
from planapp.accounts.forms import DelegationForm
from planapp.core.clock import now
from planapp.core.errors import DomainError
from planapp.core.i18n import local_date, parse_jalali_date
from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.web.access import requires
from planapp.web.filters import jdate
from planapp.web.forms import save_form
from planapp.web.htmx import render, wants_fragment

bp = Blueprint("delegations", __name__, url_prefix="/account/delegation")

TARGET = "delegation-panel"


def _form(**kwargs) -> DelegationForm:
    return DelegationForm(colleagues=queries.colleague_choices(current_user), **kwargs)


def _data(form: DelegationForm) -> dict:
    return {"starts_on": parse_jalali_date(form.starts_on.data), "ends_on": parse_jalali_date(form.ends_on.data),
            "substitute_id": form.substitute_id.data, "reason": form.reason.data}


def _page(form: DelegationForm, open_form: bool = False):
    today = local_date(now())
    current, past = queries.delegations_of(current_user, today)
    return render("delegations/page.html", "delegations/_panel.html", target_id=TARGET, form=form, today=today,
                  current=current, past=past, standing_in=queries.standing_in_for(current_user, today),
                  open_form=open_form)


@bp.get("", endpoint="list")
@requires(Perm.USE_APP)
def show():
    return _page(_form())


@bp.post("")
@requires(Perm.USE_APP)
def create():
    form = _form()
    if saved := save_form(form, lambda: services.set_delegation(current_user, _data(form), now())):
        delegation = saved.value
        flash(_("%(name)s stands in for you from %(start)s to %(end)s.", name=delegation.substitute.name,
                start=jdate(delegation.starts_on), end=jdate(delegation.ends_on)),
              "success")
        if not wants_fragment(TARGET):
            return redirect(url_for("delegations.list"))
        return _page(_form(formdata=None))
    return _page(form, open_form=True)


@bp.post("/<int:delegation_id>/revoke")
@requires(Perm.USE_APP)
def revoke(delegation_id: int):
    delegation = queries.get_own_delegation(current_user, delegation_id)
    if delegation is None:
        abort(404)
    try:
        services.revoke_delegation(current_user, delegation, now())
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The delegation to %(name)s was revoked.", name=delegation.substitute.name), "success")
    if not wants_fragment(TARGET):
        return redirect(url_for("delegations.list"))
    return _page(_form(formdata=None))

