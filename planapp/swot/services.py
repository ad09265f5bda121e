"""SWOT with IFE/EFE: stakeholders put factors forward on a SWOT input task; supervisors merge duplicates and give
each kept factor a weight and a rating; the totals and the IE matrix cell come from planapp.analytics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from planapp.accounts.models import User
from planapp.analytics import IECell, factor_evaluation, ie_matrix_cell
from planapp.audit.services import record
from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.i18n import ascii_digits
from planapp.core.permissions import Perm, require
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.swot import queries
from planapp.swot.models import Quadrant, SwotFactor
from planapp.tasks.lifecycle import TO_DO, TaskKind
from planapp.tasks.models import Task
from planapp.tasks.services import acting_for

MAX_TEXT = 1000
EVALUATIONS = {"internal": (Quadrant.STRENGTH, Quadrant.WEAKNESS), "external": (Quadrant.OPPORTUNITY, Quadrant.THREAT)}


def stale_factor() -> Conflict:
    return Conflict(_l("Someone else changed these factors after you opened them. Nothing was saved: look again."))


def submit_factor(actor: User, task: Task, quadrant: str, text: str, now: datetime) -> SwotFactor:
    """An officer or invited participant puts a factor forward on a SWOT input task addressed to them."""
    require(actor, Perm.WORK_ON_TASK, task)
    if task.kind != TaskKind.SWOT_INPUT:
        raise ValidationFailed(_l("This task does not collect SWOT factors."))
    if task.status not in TO_DO:
        raise ValidationFailed(_l("This task is no longer open for new factors."))
    try:
        quadrant = Quadrant(quadrant)
    except ValueError:
        raise ValidationFailed(_l("Choose strength, weakness, opportunity or threat."), field="quadrant") from None
    text = " ".join((text or "").split())
    if not text:
        raise ValidationFailed(_l("Write the factor first."), field="text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(_l("The text is too long."), field="text")
    factor = SwotFactor(plan_id=task.plan_id, quadrant=quadrant, text=text, author_id=actor.id,
                        acting_for_id=acting_for(actor, task), task_id=task.id, created_at=now)
    db.session.add(factor)
    db.session.flush()
    after = {"quadrant": quadrant.value, "text": text, "task_id": task.id}
    if factor.acting_for_id:
        after["acting_for"] = factor.acting_for_id
    record(actor, "swot.submit", factor, summary=text[:200], after=after)
    return factor


def _plan_factor(plan: Plan, factor_id: Any) -> SwotFactor:
    factor = queries.get_factor(factor_id) if isinstance(factor_id, int) else None
    if factor is None or factor.plan_id != plan.id:
        raise ValidationFailed(_l("This factor does not belong to the plan."))
    return factor


def _check_version(factor: SwotFactor, version: Any) -> None:
    if version is None or str(version) != str(factor.version):
        raise stale_factor()


def merge_factors(actor: User, plan: Plan, keep_id: int, duplicate_id: int, duplicate_version: Any,
                  now: datetime) -> SwotFactor:
    """The duplicate is merged into the kept factor: hidden from evaluation, shown as merged."""
    require(actor, Perm.EDIT_PLAN, plan)
    keep, duplicate = _plan_factor(plan, keep_id), _plan_factor(plan, duplicate_id)
    if keep.id == duplicate.id:
        raise ValidationFailed(_l("Choose two different factors."))
    if keep.merged_into_id or duplicate.merged_into_id:
        raise ValidationFailed(_l("A merged factor cannot be merged again."))
    if keep.quadrant != duplicate.quadrant:
        raise ValidationFailed(_l("Only factors of the same quadrant can be merged."))
    _check_version(duplicate, duplicate_version)
    duplicate.merged_into_id, duplicate.weight, duplicate.rating = keep.id, None, None
    try:
        db.session.flush()
    except StaleDataError:
        raise stale_factor() from None
    record(actor, "swot.merge", duplicate, summary=duplicate.text[:200],
           after={"merged_into": keep.id, "plan_id": plan.id})
    return keep


def _number(raw: Any) -> float | None:
    text = ascii_digits(str(raw or "")).strip().replace("٫", ".").replace("/", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationFailed(_l("A weight is a number between 0 and 1, such as 0.15.")) from None


def set_evaluation(actor: User, plan: Plan, evaluation: str, values: dict[int, dict[str, Any]],
                   now: datetime) -> list[SwotFactor]:
    """Weights and ratings of one evaluation (internal: S+W, external: O+T), each factor at the version seen.

    `values` maps factor id → {"weight": text, "rating": text, "version": text}; blanks clear a value.
    """
    require(actor, Perm.EDIT_PLAN, plan)
    quadrants = EVALUATIONS.get(evaluation)
    if quadrants is None:
        raise ValidationFailed(_l("Unknown evaluation."))
    changed = []
    for factor_id, entry in values.items():
        factor = _plan_factor(plan, factor_id)
        if factor.quadrant not in quadrants or factor.merged_into_id:
            raise ValidationFailed(_l("This factor is not part of this evaluation."))
        _check_version(factor, entry.get("version"))
        weight = _number(entry.get("weight"))
        if weight is not None and not 0 <= weight <= 1:
            raise ValidationFailed(_l("A weight is a number between 0 and 1, such as 0.15."))
        rating_text = ascii_digits(str(entry.get("rating") or "")).strip()
        if rating_text and rating_text not in {"1", "2", "3", "4"}:
            raise ValidationFailed(_l("A rating is a whole number from 1 to 4."))
        rating = int(rating_text) if rating_text else None
        if (factor.weight, factor.rating) != (weight, rating):
            before = {"weight": factor.weight, "rating": factor.rating}
            factor.weight, factor.rating = weight, rating
            changed.append((factor, before))
    try:
        db.session.flush()
    except StaleDataError:
        raise stale_factor() from None
    for factor, before in changed:
        record(actor, "swot.evaluate", factor, summary=factor.text[:200], before=before,
               after={"weight": factor.weight, "rating": factor.rating, "evaluation": evaluation})
    return [factor for factor, _ in changed]


@dataclass
class Evaluation:
    name: str  # "internal" (IFE) or "external" (EFE)
    factors: list[SwotFactor]
    weight_sum: float
    total: float | None = None
    problem: str = ""  # why there is no total yet, in the user's language

    @property
    def weights_balanced(self) -> bool:
        return abs(self.weight_sum - 1.0) <= 1e-6


@dataclass
class Summary:
    internal: Evaluation
    external: Evaluation
    cell: IECell | None = None
    evaluations: list[Evaluation] = field(default_factory=list)


def _evaluate(name: str, factors: list[SwotFactor]) -> Evaluation:
    kept = [f for f in factors if f.quadrant in EVALUATIONS[name] and f.merged_into_id is None]
    result = Evaluation(name, kept, float(sum(f.weight or 0 for f in kept)))
    if not kept:
        result.problem = str(_l("No factors yet."))
    elif any(f.weight is None or f.rating is None for f in kept):
        result.problem = str(_l("Give every factor a weight and a rating first."))
    elif not result.weights_balanced:
        result.problem = str(_l("The weights must add up to 1."))
    else:
        ids = [f.id for f in kept]
        try:
            result.total = factor_evaluation(pd.Series([f.weight for f in kept], index=ids),
                                             pd.Series([f.rating for f in kept], index=ids))
        except ValueError:
            result.problem = str(_l("The weights and ratings cannot be evaluated; check them."))
    return result


def evaluation_summary(plan_id: int) -> Summary:
    """IFE and EFE totals of the plan's kept factors, and the IE matrix cell when both are known."""
    factors = queries.list_plan_factors(plan_id)
    internal, external = _evaluate("internal", factors), _evaluate("external", factors)
    cell = None
    if internal.total is not None and external.total is not None:
        cell = ie_matrix_cell(internal.total, external.total)
    return Summary(internal, external, cell, [internal, external])
