"""Everything the plan page's workflow panel shows, gathered in one place for the page and its fragments."""

from __future__ import annotations

from typing import Any

from planapp.approvals import council
from planapp.approvals.queries import pending_request, recent_requests
from planapp.approvals.services import blocking_reasons
from planapp.core.permissions import Perm, can, is_planning_staff
from planapp.plans.checklist import checklist
from planapp.plans.models import Plan
from planapp.plans.timeline import timeline
from planapp.plans.workflow import transitions_from


def workflow_panel(plan: Plan, user: Any) -> dict[str, Any]:
    request = pending_request(plan.id)
    panel: dict[str, Any] = {
        "plan": plan,
        "steps": timeline(plan),
        "request": request,
        "recent": recent_requests(plan.id, 5),
        "checklist": checklist(plan, plan.stage),
        "checklist_details": is_planning_staff(user),  # which tasks are missing: not for other agencies' eyes
        # The buttons are the transitions the workflow allows from here that this user may ask for.
        "moves": [] if request else [t for t in transitions_from(plan.stage) if can(user, t.permission, plan)],
    }
    if request is not None:
        panel["blocking"] = blocking_reasons(request, plan)
        panel["decide"] = can(user, request.transition.decide_permission, request)
        if request.transition.council:
            votes = council.votes(request)
            panel.update(
                tally=council.tally(request),
                votes=votes,
                resolution=council.resolution(request),
                my_vote=next((v for v in votes if v.member_id == getattr(user, "id", None)), None),
                may_vote=can(user, Perm.VOTE_IN_COUNCIL, plan),
                may_record=can(user, Perm.RECORD_RESOLUTION, plan),
            )
    return panel
