"""Requests, decisions and the council's vote, answered as the plan's workflow panel (htmx swaps it in place)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from planapp.approvals import council, queries, services
from planapp.approvals.forms import DecisionForm, RequestForm, ResolutionForm, VoteForm, version_of
from planapp.approvals.models import TransitionRequest
from planapp.approvals.panel import workflow_panel
from planapp.core import storage
from planapp.core.clock import now
from planapp.core.errors import Conflict, DomainError
from planapp.core.i18n import parse_jalali_date
from planapp.core.permissions import Perm, require
from planapp.extensions import db
from planapp.plans.effects import preview
from planapp.plans.models import Plan
from planapp.plans.views import load_plan
from planapp.web.access import requires
from planapp.web.htmx import render_fragment, trigger

bp = Blueprint("approvals", __name__, url_prefix="/plans/<int:plan_id>/requests")


def _load_request(plan: Plan, request_id: int) -> TransitionRequest:
    transition_request = queries.get_request(plan.id, request_id)
    if transition_request is None:
        abort(404)
    return transition_request


def _panel(plan_id: int, error: str | None = None, status: int = 200):
    """The workflow panel as it now stands, with the error (if any) shown inside it."""
    plan = load_plan(plan_id)
    body = render_fragment("plans/_workflow.html", error=error, **workflow_panel(plan, current_user))
    body += render_template("plans/_head.html", plan=plan, oob=True)  # stage and document version may change
    response = trigger(body, "plan-changed")
    response.status_code = status
    return response


def _run(plan_id: int, action, success: str):
    """Do one change; commit and show the panel, or roll back and show why not (409 for conflicts)."""
    try:
        action()
    except Conflict as error:
        db.session.rollback()
        return _panel(plan_id, str(error.message), 409)
    except DomainError as error:
        db.session.rollback()
        return _panel(plan_id, str(error.message))
    db.session.commit()
    flash(success, "success")
    return _panel(plan_id)


@bp.post("/")
@requires(Perm.REQUEST_TRANSITION)
def create(plan_id: int):
    plan = load_plan(plan_id, Perm.REQUEST_TRANSITION)
    form = RequestForm()
    if not form.validate_on_submit():
        return _panel(plan.id, _("The form is incomplete; reload the page and try again."))
    return _run(plan.id, lambda: services.request_transition(
        current_user, plan.id, form.event.data, form.comment.data, now(), expected_version=version_of(form)),
        _("Your request was sent to the supervisors."))


@bp.get("/<int:request_id>/confirm")
@requires(Perm.DECIDE_TRANSITION)
def confirm(plan_id: int, request_id: int):
    """The confirm step: the checklist, what approving will do and who will be told — nothing changes yet."""
    plan = load_plan(plan_id)
    transition_request = _load_request(plan, request_id)
    require(current_user, transition_request.transition.decide_permission, transition_request)
    if not transition_request.is_pending:  # decided meanwhile by someone else: show the panel as it now is
        return _panel(plan.id, str(services.already_decided(transition_request).message), 409)
    decision = "reject" if request.args.get("decision") == "reject" else "approve"
    notified = [u.name for u in (transition_request.requested_by, plan.owner) if u is not None]
    return render_fragment(
        "plans/_confirm.html", plan=plan, request=transition_request, decision=decision,
        consequences=preview(plan, transition_request.transition) if decision == "approve" else [],
        notified=sorted(set(notified)), blocking=services.blocking_reasons(transition_request, plan),
    )


@bp.post("/<int:request_id>/decide")
@requires(Perm.DECIDE_TRANSITION)
def decide(plan_id: int, request_id: int):
    plan = load_plan(plan_id)
    transition_request = _load_request(plan, request_id)
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        return _panel(plan.id, _("The form is incomplete; reload the page and try again."))
    approve = form.decision.data == "approve"
    return _run(plan.id, lambda: services.decide_request(
        current_user, transition_request.id, approve, form.comment.data, now(), expected_version=version_of(form)),
        _("The move was approved.") if approve else _("The request was rejected and its author told why."))


@bp.post("/<int:request_id>/withdraw")
@requires(Perm.REQUEST_TRANSITION)
def withdraw(plan_id: int, request_id: int):
    plan = load_plan(plan_id)
    transition_request = _load_request(plan, request_id)
    return _run(plan.id, lambda: services.cancel_request(current_user, transition_request.id, now()),
                _("Your request was withdrawn."))


@bp.post("/<int:request_id>/vote")
@requires(Perm.VOTE_IN_COUNCIL)
def vote(plan_id: int, request_id: int):
    plan = load_plan(plan_id)
    transition_request = _load_request(plan, request_id)
    form = VoteForm()
    if not form.validate_on_submit():
        return _panel(plan.id, _("Choose in favour, against or abstain."))
    return _run(plan.id, lambda: services.cast_vote(
        current_user, transition_request.id, form.choice.data, form.comment.data, now()),
        _("Your vote was recorded."))


@bp.post("/<int:request_id>/resolution")
@requires(Perm.RECORD_RESOLUTION)
def resolution(plan_id: int, request_id: int):
    plan = load_plan(plan_id)
    transition_request = _load_request(plan, request_id)
    form = ResolutionForm()
    if not form.validate_on_submit():
        errors = [error for field in form for error in field.errors]
        return _panel(plan.id, " ".join(str(e) for e in errors) or _("The form is incomplete."))
    resolved_on = parse_jalali_date(form.resolved_on.data)
    if resolved_on is None:
        return _panel(plan.id, _("Enter the resolution's date as a Jalali date, e.g. 1405/09/15."))
    upload = form.document.data
    file = (upload.filename or "resolution.pdf", upload.read()) if upload and upload.filename else None
    return _run(plan.id, lambda: services.record_resolution(
        current_user, transition_request.id, form.number.data, resolved_on, now(), file),
        _("The council's resolution was recorded."))


@bp.get("/<int:request_id>/resolution/document")
@requires(Perm.VIEW_PLANS)
def resolution_document(plan_id: int, request_id: int):
    plan = load_plan(plan_id)
    found = council.resolution(_load_request(plan, request_id))
    if found is None or not found.stored_name:
        abort(404)
    return send_file(storage.path_of(found.stored_name), mimetype="application/pdf", as_attachment=True,
                     download_name=found.file_name or "resolution.pdf")
