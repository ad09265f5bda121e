"""Tasks plug into the plan workflow: entering a stage opens its tasks; mandatory tasks gate the exit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from planapp.accounts.models import User
from planapp.agencies.models import Agency
from planapp.core.i18n import localized_digits as d
from planapp.core.i18n import localized_join, reads_english
from planapp.extensions import db
from planapp.plans import services as plan_services
from planapp.plans.checklist import CheckItem, exit_check
from planapp.plans.effects import EntryWork, on_stage_entered
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.tasks import services
from planapp.tasks.lifecycle import TaskStatus
from planapp.tasks.models import Task

SHOWN = 3  # open mandatory tasks named in the checklist line; the rest are counted


def _preview(plan: Plan, stage: Stage) -> list[str]:
    lines = []
    left_behind = db.session.scalar(sa.select(sa.func.count()).where(services.left_behind(plan, stage)))
    if left_behind:
        lines.append(_("%(n)s optional tasks that nobody submitted are cancelled.", n=d(left_behind)))
    for template in services.templates_for(stage):
        agencies = services.assignee_agencies(template)
        if agencies:
            lines.append(_("Task «%(title)s» opens for %(n)s agencies, due in %(days)s working days.",
                           title=template.title, n=d(len(agencies)), days=d(template.due_in_days)))
    return lines


ROUND_STAGES = frozenset({Stage.MONITORING})  # their tasks open per monitoring round (monitoring/rounds.py)


def _create(plan: Plan, stage: Stage, actor, now: datetime) -> None:
    services.cancel_left_behind(plan, stage, actor, now)
    if stage in ROUND_STAGES:
        from planapp.monitoring.rounds import open_round

        open_round(plan, actor, now)
    else:
        services.create_stage_tasks(plan, stage, actor, now)


on_stage_entered(EntryWork("stage_tasks", _create, _preview))
if services.refresh_search_keys not in plan_services.RENAME_STEPS:
    plan_services.RENAME_STEPS.append(services.refresh_search_keys)


@exit_check(*Stage)
def mandatory_tasks_accepted(plan: Plan) -> Iterator[CheckItem]:
    mandatory = sa.and_(Task.plan_id == plan.id, Task.stage == plan.stage, Task.mandatory.is_(True),
                        Task.status != TaskStatus.CANCELLED)
    total = db.session.scalar(sa.select(sa.func.count()).where(mandatory))
    if not total:
        return
    not_accepted = sa.and_(mandatory, Task.status != TaskStatus.ACCEPTED)
    open_count = db.session.scalar(sa.select(sa.func.count()).where(not_accepted))
    if not open_count:
        yield CheckItem("mandatory_tasks", _("All %(n)s mandatory tasks are accepted", n=d(total)), True)
        return
    first = db.session.execute(
        sa.select(Task.title, Task.title_en, Agency.name, Agency.name_en, User.name).where(not_accepted)
        .outerjoin(Agency, Task.agency_id == Agency.id).outerjoin(User, Task.assignee_id == User.id)
        .order_by(Task.due_on, Task.id).limit(SHOWN)
    ).all()
    # English readers get the template's and the agency's English names where there are any, as the task pages do.
    english = reads_english()
    names = localized_join(f"{english and title_en or title} ({english and agency_en or agency or person})"
                           for title, title_en, agency, agency_en, person in first)
    yield CheckItem("mandatory_tasks",
                    _("%(open)s of %(total)s mandatory tasks are not accepted yet", open=d(open_count),
                      total=d(total)),
                    False, detail=names + ("…" if open_count > SHOWN else ""))
