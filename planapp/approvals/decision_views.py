"""The decision link of an e-mail: GET shows the request and the confirm buttons (nothing changes); POST uses the
link once and decides with the same rules as the plan page (a reason to reject, the plan's version)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.accounts import tokens
from planapp.accounts.link_views import refused_page
from planapp.accounts.models import ActionToken
from planapp.approvals import decision_links, services
from planapp.approvals.forms import DecisionForm, version_of
from planapp.approvals.models import TransitionRequest
from planapp.core.clock import now
from planapp.core.errors import Conflict, DomainError
from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.plans.effects import preview
from planapp.web.access import requires

bp = Blueprint("decisions", __name__, url_prefix="/decide")


@bp.after_request
def never_stored(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(raw: str, token: ActionToken, request: TransitionRequest, form: DecisionForm | None = None,
          error: str | None = None, status: int = 200):
    plan = request.plan
    notified = sorted({u.name for u in (request.requested_by, plan.owner) if u is not None})
    pending = request.is_pending
    return render_template(
        "decisions/confirm.html", token=token, token_value=raw, request=request, plan=plan, error=error,
        form=form or DecisionForm(formdata=None),
        decided=None if pending else str(services.already_decided(request).message),
        consequences=preview(plan, request.transition) if pending else [],
        blocking=services.blocking_reasons(request, plan) if pending else [], notified=notified,
    ), status


@bp.get("/<decision_token>", endpoint="confirm")
@requires(Perm.DECIDE_TRANSITION)
def confirm(decision_token: str):
    try:
        token, request = decision_links.open_link(current_user, decision_token, now())
    except tokens.LinkRefused as refusal:
        return refused_page(refusal)
    return _page(decision_token, token, request)


@bp.post("/<decision_token>", endpoint="decide")
@requires(Perm.DECIDE_TRANSITION)
def decide(decision_token: str):
    try:
        token, request = decision_links.open_link(current_user, decision_token, now())
    except tokens.LinkRefused as refusal:
        return refused_page(refusal)
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        return _page(decision_token, token, request, form,
                     _("The form is incomplete; reload the page and try again."))
    approve = form.decision.data == "approve"
    try:
        decision_links.decide_by_link(current_user, decision_token, approve, form.comment.data, now(),
                                      expected_version=version_of(form))
    except tokens.LinkRefused as refusal:  # used by another request meanwhile
        db.session.rollback()
        return refused_page(refusal)
    except Conflict as error:
        db.session.rollback()
        return _page(decision_token, token, request, form, str(error.message), 409)
    except DomainError as error:  # nothing was used: the link still works once the form is right
        db.session.rollback()
        return _page(decision_token, token, request, form, str(error.message))
    db.session.commit()
    flash(_("The move was approved.") if approve else _("The request was rejected and its author told why."),
          "success")
    return redirect(url_for("plans.detail", plan_id=request.plan_id))
