"""Exit checklists: what must be done before a plan may leave a stage.

Domains register checks for the stages they serve (tasks: "2 mandatory tasks open"; analysis: "driving cores
not confirmed"; approvals: "council vote carried"). The gate in workflow.py only asks: is every item done?
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planapp.plans.workflow import Stage

if TYPE_CHECKING:
    from planapp.plans.models import Plan


@dataclass(frozen=True)
class CheckItem:
    key: str
    label: str  # already in the user's language: "۸ از ۱۱ دستگاه ارسال کرده‌اند"
    done: bool
    # Which ones exactly (e.g. the titles and agencies of tasks not accepted): for planning staff, who see every
    # agency's work. Others read the label alone — another agency's task titles are not theirs to see (AC2).
    detail: str = ""

    @property
    def full_label(self) -> str:
        return f"{self.label}: {self.detail}" if self.detail else self.label


ExitCheck = Callable[["Plan"], Iterable[CheckItem]]
_CHECKS: dict[Stage, list[ExitCheck]] = defaultdict(list)


def exit_check(*stages: Stage) -> Callable[[ExitCheck], ExitCheck]:
    """Register a check for the exit of the given stages."""

    def register(check: ExitCheck) -> ExitCheck:
        for stage in stages:
            if check not in _CHECKS[stage]:
                _CHECKS[stage].append(check)
        return check

    return register


def checklist(plan: Plan, stage: Stage) -> list[CheckItem]:
    return [item for check in _CHECKS.get(stage, []) for item in check(plan)]


def open_items(plan: Plan, stage: Stage) -> list[CheckItem]:
    return [item for item in checklist(plan, stage) if not item.done]
