"""The analysis stage's exit check: a plan moves on to its goals only with confirmed driving cores."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _

from planapp.core.i18n import localized_digits
from planapp.plans.checklist import CheckItem, exit_check
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.scoring.rounds import confirmed_cores


@exit_check(Stage.ANALYSIS)
def driving_cores_confirmed(plan: Plan) -> Iterator[CheckItem]:
    count = len(confirmed_cores(plan.id))
    label = (_("Driving cores confirmed: %(n)s", n=localized_digits(count)) if count
             else _("The driving cores are confirmed (scoring matrix, after its round)"))
    yield CheckItem("driving_cores", label, count > 0)
