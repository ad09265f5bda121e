"""Requests to move a plan, the decisions on them and the council's vote. Each decision is taken under a lock
on the request row, so when twenty supervisors press "approve" at once exactly one move happens."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from planapp.accounts.models import User
from planapp.approvals import council
from planapp.approvals.decision_links import notify_request
from planapp.approvals.models import (
    CouncilResolution,
    CouncilVote,
    RequestStatus,
    TransitionRequest,
    VoteChoice,
)
from planapp.audit.services import record
from planapp.core import checks, storage
from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.permissions import Perm, Role, require
from planapp.core.uploads import CheckedUpload, UploadRefused, check_upload
from planapp.extensions import db
from planapp.notifications.services import notify
from planapp.plans.models import Plan
from planapp.plans.services import enter_stage, lock_plan, stale_plan
from planapp.plans.workflow import get_transition, transitions_from

MAX_RESOLUTION_BYTES = 10 * 1024 * 1024


def _plan_link(plan: Plan) -> str:
    return f"/plans/{plan.id}"


def _lock_request(request_id: int) -> TransitionRequest | None:
    """The request, locked after its plan: every writer takes the plan's row first, then the request's, then the
    audit chain's lock, so two decisions (or a decision and a new request) can never wait on each other in a
    circle on PostgreSQL. On SQLite the IMMEDIATE transaction already serializes them."""
    plan_id = db.session.scalar(sa.select(TransitionRequest.plan_id).where(TransitionRequest.id == request_id))
    if plan_id is None:
        return None
    lock_plan(plan_id)
    return db.session.scalar(
        sa.select(TransitionRequest).where(TransitionRequest.id == request_id)
        .with_for_update(of=TransitionRequest).execution_options(populate_existing=True)
    )


def already_decided(request: TransitionRequest) -> Conflict:
    who = request.decided_by.name if request.decided_by else ""
    return Conflict(_l("This request was already decided (%(status)s%(by)s). Nothing was changed.",
                       status=request.status.label, by=f" — {who}" if who else ""))


def _supervisors(exclude: int | None) -> list[int]:
    return list(db.session.scalars(
        sa.select(User.id).where(User.role == Role.SUPERVISOR, User.is_active.is_(True), User.id != (exclude or 0))
    ))


def request_transition(actor: User | None, plan_id: int, event: str, comment: str, now: datetime,
                       expected_version: int | None = None) -> TransitionRequest:
    """Ask for a move. `actor` None is the system asking by itself (auto_request rows, guards holding)."""
    plan = lock_plan(plan_id)
    transition = get_transition(event)
    if plan is None or transition is None:
        raise ValidationFailed(_l("This move does not exist."), field="event")
    if transition.source != plan.stage:
        raise ValidationFailed(_l("This move is not possible from the stage «%(stage)s».", stage=plan.stage.label),
                               field="event")
    if actor is not None:
        require(actor, transition.permission, plan)
    if expected_version is not None and expected_version != plan.version:
        raise stale_plan()
    comment = (comment or "").strip()
    if transition.reason_required and not comment:
        raise ValidationFailed(_l("Give the reason for this move."), field="comment")
    if len(comment) > 5000:
        raise ValidationFailed(_l("The comment is too long."), field="comment")
    request = TransitionRequest(plan_id=plan.id, event=event, from_stage=transition.source,
                                to_stage=transition.target, requested_by_id=actor.id if actor else None,
                                requested_at=now, comment=comment)
    try:
        with db.session.begin_nested():
            db.session.add(request)
    except IntegrityError as error:  # the partial unique index: one pending request per plan
        raise Conflict(_l("A move of this plan is already waiting for a decision.")) from error
    record(actor, "plan.transition_requested", plan, summary=f"{plan.title}: {event}",
           after={"event": event, "to_stage": transition.target.value, "comment": comment, "request": request.id})
    params = {"plan": plan.title, "stage": transition.target.value, "actor": actor.name if actor else ""}
    # Supervisors who may decide get a single-use decision link in the e-mail; the in-app twin links the plan.
    notify_request(request, [plan.owner_id, *_supervisors(actor.id if actor else None)], params, now)
    if transition.council:
        members = db.session.scalars(
            sa.select(User.id).where(User.role == Role.COUNCIL_MEMBER, User.is_active.is_(True)))
        notify(members, "council.vote_opened", params, _plan_link(plan), now)
    return request


def auto_request_ready(plan: Plan, now: datetime) -> TransitionRequest | None:
    """Open the request the workflow marks automatic once its guards hold (no request pending)."""
    from planapp.approvals.queries import pending_request

    if pending_request(plan.id) is not None:
        return None
    for transition in transitions_from(plan.stage):
        if transition.auto_request and not transition.failing_guards(plan):
            return request_transition(None, plan.id, transition.event, "", now)
    return None


def blocking_reasons(request: TransitionRequest, plan: Plan) -> list[str]:
    """Why `request` cannot be approved now (empty when it can)."""
    return request.transition.failing_guards(plan)


def decide_request(actor: User, request_id: int, approve: bool, comment: str, now: datetime,
                   expected_version: int | None = None) -> TransitionRequest:
    request = _lock_request(request_id)
    if request is None:
        raise ValidationFailed(_l("This request does not exist."))
    if not request.is_pending:
        raise already_decided(request)
    require(actor, request.transition.decide_permission, request)  # four eyes, plan still open
    plan = lock_plan(request.plan_id)
    if plan.stage != request.from_stage or (expected_version is not None and expected_version != plan.version):
        raise stale_plan()
    comment = (comment or "").strip()
    if len(comment) > 5000:
        raise ValidationFailed(_l("The comment is too long."), field="comment")
    params = {"plan": plan.title, "stage": request.to_stage.value, "actor": actor.name}
    if approve:
        reasons = blocking_reasons(request, plan)
        if reasons:
            raise ValidationFailed("؛ ".join(reasons))
    elif not comment:
        raise ValidationFailed(_l("Say why the move is rejected and what must be fixed."), field="comment")
    # Checked; from here on the decision is taken.
    request.decided_by_id, request.decided_at, request.decision_comment = actor.id, now, comment
    if approve:
        request.status = RequestStatus.APPROVED
        enter_stage(plan, request.transition, actor, request.id, now)
        notify([request.requested_by_id, plan.owner_id], "transition.approved", params, _plan_link(plan), now)
    else:
        request.status = RequestStatus.REJECTED
        record(actor, "plan.request_rejected", plan, summary=f"{plan.title}: {request.event}",
               after={"request": request.id, "reason": comment})
        notify([request.requested_by_id], "transition.rejected", {**params, "reason": comment},
               _plan_link(plan), now)
    db.session.flush()
    return request


def cancel_request(actor: User, request_id: int, now: datetime) -> TransitionRequest:
    """The requester withdraws a request nobody has decided yet."""
    request = _lock_request(request_id)
    if request is None or not request.is_pending:
        raise already_decided(request) if request else ValidationFailed(_l("This request does not exist."))
    if request.requested_by_id != actor.id:
        raise ValidationFailed(_l("Only the person who asked can withdraw the request."))
    request.status, request.decided_by_id, request.decided_at = RequestStatus.CANCELLED, actor.id, now
    record(actor, "plan.request_withdrawn", request.plan, summary=f"{request.plan.title}: {request.event}",
           after={"request": request.id})
    db.session.flush()
    return request


def _council_request(request_id: int) -> TransitionRequest:
    request = _lock_request(request_id)
    if request is None or not request.transition.council:
        raise ValidationFailed(_l("This request is not put to the council."))
    if not request.is_pending:
        raise already_decided(request)
    return request


def cast_vote(actor: User, request_id: int, choice: str, comment: str, now: datetime) -> CouncilVote:
    request = _council_request(request_id)
    require(actor, Perm.VOTE_IN_COUNCIL, request.plan)
    if council.resolution(request) is not None:
        raise Conflict(_l("The council's resolution is already recorded; votes can no longer change."))
    try:
        vote_choice = VoteChoice(choice)
    except ValueError as error:
        raise ValidationFailed(_l("Choose in favour, against or abstain."), field="choice") from error
    vote = db.session.scalar(
        sa.select(CouncilVote).where(CouncilVote.request_id == request.id, CouncilVote.member_id == actor.id))
    before = {"choice": vote.choice.value} if vote else None
    if vote is None:
        vote = CouncilVote(request_id=request.id, member_id=actor.id, choice=vote_choice, voted_at=now)
        db.session.add(vote)
    vote.choice, vote.comment, vote.voted_at = vote_choice, (comment or "").strip()[:2000], now
    record(actor, "plan.council_vote", request.plan, summary=request.plan.title, before=before,
           after={"choice": vote_choice.value, "request": request.id})
    db.session.flush()
    return vote


def _checked_resolution_pdf(name: str, data: bytes) -> CheckedUpload:
    """The shared upload checks, narrowed to PDF and worded for the resolution form."""
    try:
        return check_upload(name, data, MAX_RESOLUTION_BYTES, kinds={"pdf"})
    except UploadRefused as error:
        if error.reason == "too_large":
            raise ValidationFailed(_l("The file is larger than 10 MB."), field="document") from error
        raise ValidationFailed(_l("The resolution must be a PDF file."), field="document") from error


def record_resolution(actor: User, request_id: int, number: str, resolved_on: date | None, now: datetime,
                      file: tuple[str, bytes] | None = None) -> CouncilResolution:
    request = _council_request(request_id)
    require(actor, Perm.RECORD_RESOLUTION, request.plan)
    number = checks.text(number, "number", 50)
    if resolved_on is None:
        raise ValidationFailed(_l("Enter the resolution's date, e.g. 1405/09/15."), field="resolved_on")
    if not council.tally(request).carries:
        raise ValidationFailed(_l("The council's vote has not carried; the resolution cannot be recorded."))
    if council.resolution(request) is not None:
        raise Conflict(_l("The council's resolution is already recorded."))
    resolution = CouncilResolution(request_id=request.id, number=number, resolved_on=resolved_on,
                                   recorded_by_id=actor.id, recorded_at=now)
    if file is not None:
        name, data = file
        checked = _checked_resolution_pdf(name, data)
        resolution.file_name = checked.name
        resolution.stored_name, resolution.file_size = storage.save(data), checked.size
    db.session.add(resolution)
    record(actor, "plan.council_resolution", request.plan, summary=f"{request.plan.title}: {number}",
           after={"number": number, "resolved_on": resolved_on.isoformat(), "request": request.id,
                  "file": resolution.file_name})
    db.session.flush()
    return resolution

