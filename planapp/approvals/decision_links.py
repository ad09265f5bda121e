"""Decisions by e-mail: the e-mail about a request carries, for each supervisor who may decide it, a signed (secret),
expiring, single-use link to a confirm page. Opening the link changes nothing; the decision is taken by the
confirm page's POST, which uses the link and calls the same `decide_request` as the plan page.

The in-app notification keeps the plain plan link; only the e-mail twin differs per person.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from planapp.accounts import tokens
from planapp.accounts.models import ActionToken, User
from planapp.approvals.models import TransitionRequest
from planapp.core.permissions import AccessDenied, Decision, can
from planapp.extensions import db
from planapp.mail.outbox import Email, queue, users_by_id
from planapp.notifications.services import notify

KIND = "transition.requested"


def link_valid_for() -> timedelta:
    return timedelta(hours=current_app.config["DECISION_LINK_VALID_HOURS"])


def notify_request(request: TransitionRequest, user_ids: Iterable[int | None], params: dict[str, Any],
                   now: datetime) -> None:
    """Tell each person in-app (plan link) and by e-mail: a decision link for those who may decide, the plan link
    for the others (the owner who asked, under the four-eyes rule). Idempotent per request and person."""
    plan_link = f"/plans/{request.plan_id}"
    ids = sorted({uid for uid in user_ids if uid is not None})
    notify(ids, KIND, params, plan_link, now, email=False)
    people = users_by_id(ids)
    emails = []
    for uid in ids:
        user = people.get(uid)
        if user is None:
            continue
        link = plan_link
        if can(user, request.transition.decide_permission, request):
            raw = tokens.issue(tokens.DECISION, user, link_valid_for(), now, payload={"request_id": request.id})
            link = f"/decide/{raw}"
        emails.append(Email(KIND, f"{KIND}:{request.id}:{uid}", params, link, user=user))
    queue(emails, now)


def open_link(user: User, raw: str, now: datetime) -> tuple[ActionToken, TransitionRequest]:
    """The link and its request, for the person it was sent to; LinkRefused (unknown, expired, used) or 403."""
    token = tokens.peek(tokens.DECISION, raw, now)
    if token.user_id != getattr(user, "id", None):
        raise AccessDenied(Decision(False, str(_l("This link was sent to someone else. Sign in as the person it was "
                                                  "sent to, or open the plan to decide there."))))
    request = db.session.get(TransitionRequest, token.payload.get("request_id") or 0)
    if request is None:
        raise tokens.LinkRefused(tokens.DECISION, tokens.UNKNOWN)
    return token, request


def decide_by_link(actor: User, raw: str, approve: bool, comment: str, now: datetime,
                   expected_version: int | None = None) -> TransitionRequest:
    """Use the link (once) and decide, in one transaction: if the decision is refused (no reason given, already
    decided, the plan changed) the caller rolls back and the link still works."""
    from planapp.approvals.services import decide_request

    token, request = open_link(actor, raw, now)
    tokens.consume(tokens.DECISION, raw, now)
    return decide_request(actor, request.id, approve, comment, now, expected_version=expected_version)
