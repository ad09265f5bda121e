"""What the task page shows for each kind of task: later issues plug in their data forms here.

    register_kind_form(TaskKind.SUBMIT_INDICATORS, KindForm("indicators/_task_grid.html", indicator_grid_context))

The task page renders the registered partial, with its context, between the task's state and its comments.
Kinds without a form work through comments and files alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from planapp.tasks.lifecycle import TaskKind


@dataclass(frozen=True)
class KindForm:
    template: str  # a partial named _x.html with one root element
    context: Callable[[Any, Any], dict[str, Any]]  # (task, user) -> template variables


_FORMS: dict[TaskKind, KindForm] = {}


def register_kind_form(kind: TaskKind, form: KindForm) -> KindForm:
    _FORMS[TaskKind(kind)] = form
    return form


def kind_form(kind: TaskKind) -> KindForm | None:
    return _FORMS.get(kind)
