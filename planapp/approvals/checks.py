"""The approval stage's exit checklist: the council's vote has carried and its resolution is recorded."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _

from planapp.approvals import council
from planapp.approvals.queries import pending_request
from planapp.core.i18n import localized_digits as d
from planapp.plans.checklist import CheckItem, exit_check
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage


@exit_check(Stage.APPROVAL)
def council_decision(plan: Plan) -> Iterator[CheckItem]:
    request = pending_request(plan.id)
    if request is None or not request.transition.council:
        yield CheckItem("council_vote", _("The council votes once the approval is requested"), False)
        yield CheckItem("council_resolution", _("The council's resolution is recorded"), False)
        return
    tally = council.tally(request)
    yield CheckItem(
        "council_vote",
        _("Council vote: %(present)s of %(members)s members present (quorum %(quorum)s); %(approve)s in favour, "
          "%(reject)s against, %(abstain)s abstaining",
          present=d(tally.present), members=d(tally.members), quorum=d(tally.quorum), approve=d(tally.approve),
          reject=d(tally.reject), abstain=d(tally.abstain)),
        tally.carries,
    )
    resolution = council.resolution(request)
    label = (_("Resolution no. %(number)s recorded", number=d(resolution.number)) if resolution
             else _("The council's resolution is recorded"))
    yield CheckItem("council_resolution", label, resolution is not None)
