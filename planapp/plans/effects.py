"""What happens when a plan enters a stage.

Named effects are declared on transitions in workflow.py (publish, bump the document version, archive).
Entry work (tasks from templates, reminders) is registered by the domains that own it with `on_stage_entered`:
every registered hook runs in the transition's transaction and can describe beforehand what it will do, for the
confirm step's preview.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from planapp.plans.workflow import Stage, Transition

if TYPE_CHECKING:
    from planapp.plans.models import Plan


@dataclass(frozen=True)
class EntryWork:
    name: str
    apply: Callable[[Plan, Stage, Any, datetime], None]  # (plan, stage entered, actor, now)
    preview: Callable[[Plan, Stage], list[str]]  # sentences for the confirm step


_ENTRY_WORK: list[EntryWork] = []


def on_stage_entered(work: EntryWork) -> EntryWork:
    """Register work created whenever a plan enters a stage (later issues: tasks, reminders)."""
    if all(existing.name != work.name for existing in _ENTRY_WORK):
        _ENTRY_WORK.append(work)
    return work


def entry_work() -> list[EntryWork]:
    return list(_ENTRY_WORK)


def _publish_document(plan: Plan, now: datetime) -> None:
    plan.published_at = plan.published_at or now


def _bump_document_version(plan: Plan, now: datetime) -> None:
    plan.doc_minor += 1


def _archive(plan: Plan, now: datetime) -> None:
    plan.closed_at = now


EFFECTS: dict[str, tuple[Callable[[Plan, datetime], None], Any]] = {
    "publish_document": (_publish_document, _l("The document is published as version %(version)s.")),
    "bump_document_version": (_bump_document_version, _l("The document version becomes %(version)s.")),
    "archive": (_archive, _l("The plan is archived and becomes read-only.")),
}


def apply_effects(plan: Plan, transition: Transition, now: datetime) -> None:
    for name in transition.effects:
        EFFECTS[name][0](plan, now)


def preview(plan: Plan, transition: Transition) -> list[str]:
    """The consequences of approving `transition`, in the user's language."""
    lines = []
    for name in transition.effects:
        next_minor = plan.doc_minor + 1 if name == "bump_document_version" else plan.doc_minor
        lines.append(str(EFFECTS[name][1] % {"version": f"{plan.doc_major}.{next_minor}"}))
    for work in _ENTRY_WORK:
        lines.extend(work.preview(plan, transition.target))
    return lines
