"""A task's life, declared as data: statuses, the actions between them, who may take each action."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from planapp.core.permissions import Perm


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    TaskStatus.OPEN: _l("Open"),
    TaskStatus.IN_PROGRESS: _l("In progress"),
    TaskStatus.SUBMITTED: _l("Submitted for review"),
    TaskStatus.RETURNED: _l("Returned for changes"),
    TaskStatus.ACCEPTED: _l("Accepted"),
    TaskStatus.CANCELLED: _l("Cancelled"),
}
ACTIVE = frozenset({TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED, TaskStatus.SUBMITTED})
TO_DO = frozenset({TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED})  # waiting for the agency
CLOSED = frozenset({TaskStatus.ACCEPTED, TaskStatus.CANCELLED})


class TaskKind(enum.StrEnum):
    SUBMIT_INDICATORS = "submit_indicators"
    SWOT_INPUT = "swot_input"
    SCORE_MATRIX = "score_matrix"
    PROPOSE_GOALS = "propose_goals"
    PROPOSE_PROJECTS = "propose_projects"
    PHASING_RESOURCES = "phasing_resources"
    REVIEW_DRAFT = "review_draft"
    PROGRESS_REPORT = "progress_report"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    TaskKind.SUBMIT_INDICATORS: _l("Submit indicators"),
    TaskKind.SWOT_INPUT: _l("SWOT input"),
    TaskKind.SCORE_MATRIX: _l("Score the criteria matrix"),
    TaskKind.PROPOSE_GOALS: _l("Propose goals"),
    TaskKind.PROPOSE_PROJECTS: _l("Propose programs and projects"),
    TaskKind.PHASING_RESOURCES: _l("Phasing and resources"),
    TaskKind.REVIEW_DRAFT: _l("Review the draft"),
    TaskKind.PROGRESS_REPORT: _l("Progress report"),
    TaskKind.OTHER: _l("Other"),
}


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset[TaskStatus]
    target: TaskStatus
    permission: Perm
    label: object
    reason_required: bool = False


S = TaskStatus
ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("take", frozenset({S.OPEN}), S.IN_PROGRESS, Perm.WORK_ON_TASK, _l("Take this task")),
    # Submitting again after a return is the "resubmit" of the cycle.
    Action("submit", frozenset({S.IN_PROGRESS, S.RETURNED}), S.SUBMITTED, Perm.WORK_ON_TASK, _l("Submit")),
    Action("accept", frozenset({S.SUBMITTED}), S.ACCEPTED, Perm.REVIEW_TASK, _l("Accept")),
    Action("return", frozenset({S.SUBMITTED}), S.RETURNED, Perm.REVIEW_TASK, _l("Return for changes"),
           reason_required=True),
    Action("cancel", frozenset({S.OPEN, S.IN_PROGRESS, S.RETURNED, S.SUBMITTED}), S.CANCELLED, Perm.REVIEW_TASK,
           _l("Cancel the task"), reason_required=True),
)}


def actions_from(status: TaskStatus) -> list[Action]:
    return [action for action in ACTIONS.values() if status in action.sources]
