"""The page after sign-in: a greeting by role and the way to the user's work."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from planapp.accounts.queries import count_users_by_role
from planapp.agencies.queries import list_agencies
from planapp.approvals.queries import count_pending_for_review
from planapp.core.clock import now
from planapp.core.i18n import local_date
from planapp.core.permissions import Perm, can
from planapp.tasks import queries as tasks
from planapp.web.access import requires

bp = Blueprint("dashboard", __name__)


@bp.get("/", endpoint="index")
@requires(Perm.USE_APP)
def index():
    stats = None
    if can(current_user, Perm.MANAGE_USERS):
        stats = {"users": count_users_by_role(), "agencies": list_agencies(per_page=1).total}
    waiting = count_pending_for_review(current_user.id) if can(current_user, Perm.DECIDE_TRANSITION) else None
    # Reviewers see the submissions waiting for them; the agencies' people what waits for them to do.
    to_review = tasks.count_to_review() if can(current_user, Perm.REVIEW_TASK) else None
    today = local_date(now())
    to_do = tasks.to_do(current_user, today) if to_review is None and can(current_user, Perm.VIEW_TASKS) else None
    return render_template("dashboard/index.html", stats=stats, waiting=waiting, to_review=to_review, to_do=to_do,
                           today=today)
