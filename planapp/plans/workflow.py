"""The life cycle of a development plan, declared as data. This file is the one place it is defined.

Stages run situation assessment → … → approval → monitoring ⇄ revision → closed. Each row of TRANSITIONS names
its event, source and target, the permission to request it, the guards that must hold before it can be approved
(named functions returning a reason a user can read), whether four eyes are needed, whether the provincial
planning council must vote, and the effects applied on the way. Which buttons a user sees is derived from it;
`flask workflow show` and /plans/workflow print it for documentation.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from planapp.core.permissions import Perm

if TYPE_CHECKING:
    from planapp.plans.models import Plan


class Stage(enum.StrEnum):
    SITUATION_ASSESSMENT = "situation_assessment"
    ANALYSIS = "analysis"
    GOALS = "goals"
    PROGRAMS = "programs"
    PHASING_RESOURCES = "phasing_resources"
    DRAFTING = "drafting"
    APPROVAL = "approval"
    MONITORING = "monitoring"
    REVISION = "revision"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self])

    @property
    def number(self) -> int:
        """1-based position on the timeline (revision shares monitoring's loop, after it)."""
        return list(Stage).index(self) + 1


STAGE_LABELS = {
    Stage.SITUATION_ASSESSMENT: _l("Situation assessment"),
    Stage.ANALYSIS: _l("Analysis and driving cores"),
    Stage.GOALS: _l("Goals"),
    Stage.PROGRAMS: _l("Programs and projects"),
    Stage.PHASING_RESOURCES: _l("Time phasing and resources"),
    Stage.DRAFTING: _l("Drafting the document"),
    Stage.APPROVAL: _l("Approval"),
    Stage.MONITORING: _l("Monitoring"),
    Stage.REVISION: _l("Revision"),
    Stage.CLOSED: _l("Closed"),
}

PREPARATION = (
    Stage.SITUATION_ASSESSMENT,
    Stage.ANALYSIS,
    Stage.GOALS,
    Stage.PROGRAMS,
    Stage.PHASING_RESOURCES,
    Stage.DRAFTING,
    Stage.APPROVAL,
)
PUBLISHED = frozenset({Stage.MONITORING, Stage.REVISION, Stage.CLOSED})  # what viewers may read
FIRST_STAGE = Stage.SITUATION_ASSESSMENT


class Kind(enum.StrEnum):
    ADVANCE = "advance"
    SEND_BACK = "send_back"
    REVISE = "revise"
    CLOSE = "close"


# A guard answers None when it holds, or the reason (in the user's language) why it does not.
Guard = Callable[["Plan"], str | None]


def exit_checklist_complete(plan: Plan) -> str | None:
    """Every item of the current stage's exit checklist is done."""
    from planapp.plans.checklist import open_items

    items = open_items(plan, plan.stage)
    if not items:
        return None
    return str(_l("Not ready yet: %(items)s", items="؛ ".join(item.full_label for item in items)))


@dataclass(frozen=True)
class Transition:
    event: str
    source: Stage
    target: Stage
    kind: Kind
    label: Any  # lazy string: the button's text
    permission: Perm = Perm.REQUEST_TRANSITION
    decide_permission: Perm = Perm.DECIDE_TRANSITION
    guards: tuple[Guard, ...] = ()
    four_eyes: bool = True
    council: bool = False
    reason_required: bool = False
    auto_request: bool = False  # the system may ask for it by itself once the guards hold
    effects: tuple[str, ...] = ()  # named effects, see plans/effects.py

    def failing_guards(self, plan: Plan) -> list[str]:
        return [reason for guard in self.guards if (reason := guard(plan))]


def _advance(event: str, source: Stage, target: Stage, label: Any, **extra: Any) -> Transition:
    return Transition(event, source, target, Kind.ADVANCE, label, guards=(exit_checklist_complete,),
                      auto_request=True, **extra)


def _send_back(event: str, source: Stage, target: Stage) -> Transition:
    return Transition(event, source, target, Kind.SEND_BACK, _l("Send back to %(stage)s", stage=STAGE_LABELS[target]),
                      reason_required=True)


S = Stage
TRANSITIONS: tuple[Transition, ...] = (
    _advance("complete_assessment", S.SITUATION_ASSESSMENT, S.ANALYSIS, _l("Move on to analysis")),
    _advance("complete_analysis", S.ANALYSIS, S.GOALS, _l("Move on to goals")),
    _advance("complete_goals", S.GOALS, S.PROGRAMS, _l("Move on to programs and projects")),
    _advance("complete_programs", S.PROGRAMS, S.PHASING_RESOURCES, _l("Move on to phasing and resources")),
    _advance("complete_phasing", S.PHASING_RESOURCES, S.DRAFTING, _l("Move on to drafting")),
    _advance("submit_for_approval", S.DRAFTING, S.APPROVAL, _l("Submit the document for approval")),
    _advance("approve_plan", S.APPROVAL, S.MONITORING, _l("Approve the plan and start monitoring"),
             council=True, effects=("publish_document",)),
    _send_back("back_to_assessment", S.ANALYSIS, S.SITUATION_ASSESSMENT),
    _send_back("back_to_analysis", S.GOALS, S.ANALYSIS),
    _send_back("back_to_goals", S.PROGRAMS, S.GOALS),
    _send_back("back_to_programs", S.PHASING_RESOURCES, S.PROGRAMS),
    _send_back("back_to_phasing", S.DRAFTING, S.PHASING_RESOURCES),
    _send_back("back_to_drafting", S.APPROVAL, S.DRAFTING),
    Transition("open_revision", S.MONITORING, S.REVISION, Kind.REVISE, _l("Open a revision"),
               reason_required=True),
    Transition("approve_revision", S.REVISION, S.MONITORING, Kind.REVISE, _l("Approve the revised document"),
               guards=(exit_checklist_complete,), effects=("bump_document_version",)),
    Transition("close_plan", S.MONITORING, S.CLOSED, Kind.CLOSE, _l("Close and archive the plan"),
               reason_required=True, effects=("archive",)),
)

BY_EVENT: dict[str, Transition] = {t.event: t for t in TRANSITIONS}


def transitions_from(stage: Stage) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == stage]


def get_transition(event: str) -> Transition | None:
    return BY_EVENT.get(event)
