"""Exit checks the plan itself can answer. Other domains add theirs (tasks, indicators, driving cores)."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _

from planapp.plans.checklist import CheckItem, exit_check
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage


@exit_check(Stage.SITUATION_ASSESSMENT)
def plan_described(plan: Plan) -> Iterator[CheckItem]:
    yield CheckItem("description", _("The plan's description is written"), bool(plan.description.strip()))
