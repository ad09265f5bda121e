"""Changes to a plan's scoring matrix by its supervisors: candidates, criteria, and weights typed directly or
derived by AHP from pairwise judgements. Every change is audited; a stale form is refused (Conflict).

Extension points for the next slices: `open_round` / `close_round` move `MatrixStatus` on (DRAFT → OPEN → CLOSED);
`editable` is the single check that the structure may still change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from planapp.accounts.models import User
from planapp.audit.services import record
from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.i18n import ascii_digits
from planapp.core.permissions import Perm, can, require
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.scoring import queries
from planapp.scoring.judgements import SCALE_VALUES, Judged, judge, pairs, stored_choices
from planapp.scoring.models import (
    Candidate,
    CandidateOrigin,
    Criterion,
    CriterionKind,
    MatrixStatus,
    PairwiseJudgement,
    ScoringMatrix,
    WeightMethod,
)

MAX_NAME = 200
MAX_CANDIDATES = 60
MAX_CRITERIA = 20
def stale() -> Conflict:
    return Conflict(_l("Someone else changed this matrix after you opened it. Nothing was saved: look again."))


# The goals stage builds on the driving cores the analysis confirmed: past analysis the matrix, its rounds and its
# cores only change after the plan is sent back to analysis (the workflow's back_to_analysis).
CHANGEABLE_STAGES = frozenset({Stage.SITUATION_ASSESSMENT, Stage.ANALYSIS})


def require_changeable(actor: User, plan: Plan) -> None:
    """The one check before any change to a plan's matrix, round or cores: its supervisor, before goals."""
    require(actor, Perm.EDIT_PLAN, plan)
    if plan.stage not in CHANGEABLE_STAGES:
        raise Conflict(_l("The plan has left the analysis stage: its scoring matrix and driving cores can only be "
                          "read. To change them, send the plan back to analysis."))


def may_change(user: User, plan: Plan) -> bool:
    """What the page shows: the forms only where require_changeable would pass."""
    return bool(can(user, Perm.EDIT_PLAN, plan)) and plan.stage in CHANGEABLE_STAGES


def editable(matrix: ScoringMatrix) -> None:
    if matrix.status != MatrixStatus.DRAFT:
        raise ValidationFailed(_l("The matrix can only be changed while it is a draft."))


def get_or_create_matrix(actor: User, plan: Plan, now: datetime) -> ScoringMatrix:
    require_changeable(actor, plan)
    matrix = queries.get_active_matrix(plan.id)
    if matrix is None:
        # Two first changes at once (a candidate and a criterion) must not make two matrices: the plan's row lock
        # (PostgreSQL) queues the second, which then finds the first one's matrix.
        db.session.execute(sa.select(Plan.id).where(Plan.id == plan.id).with_for_update())
        matrix = queries.get_active_matrix(plan.id)
    if matrix is None:
        matrix = ScoringMatrix(plan_id=plan.id, created_by_id=actor.id, created_at=now, updated_at=now, version=1)
        db.session.add(matrix)
        db.session.flush()
        record(actor, "scoring.create", matrix, summary=plan.title[:200], after={"plan_id": plan.id})
    return matrix


def _bump(matrix: ScoringMatrix, now: datetime, seen: Any = None) -> None:
    """Compare-and-set of the matrix version: refused when `seen` is given and is not the current version."""
    condition = [ScoringMatrix.id == matrix.id]
    if seen is not None:
        if not str(seen).isdecimal():
            raise stale()
        condition.append(ScoringMatrix.version == int(seen))
    db.session.flush()
    changed = db.session.execute(sa.update(ScoringMatrix).where(*condition)
                                 .values(version=ScoringMatrix.version + 1, updated_at=now)
                                 .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise stale()
    db.session.refresh(matrix)


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise stale() from None


def _check_version(row: Candidate | Criterion, version: Any) -> None:
    if version is None or str(version) != str(row.version):
        raise stale()


def _clean_name(name: str | None, what: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_l("Write a name first."), field="name")
    if len(name) > MAX_NAME:
        raise ValidationFailed(_l("The name is too long (at most 200 characters)."), field="name")
    return name


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _next_position(rows: list) -> int:
    return max((row.position for row in rows), default=0) + 1


# --- candidates ---------------------------------------------------------------------------------------------------


def add_candidate(actor: User, plan: Plan, name: str, now: datetime, origin: str = CandidateOrigin.TYPED,
                  sector_id: int | None = None, note: str = "") -> Candidate:
    matrix = get_or_create_matrix(actor, plan, now)
    editable(matrix)
    name = _clean_name(name, "candidate")
    try:
        origin = CandidateOrigin(origin)
    except ValueError:
        raise ValidationFailed(_l("Unknown origin of a candidate.")) from None
    candidates = queries.list_candidates(matrix.id)
    if len(candidates) >= MAX_CANDIDATES:
        raise ValidationFailed(_l("A matrix has at most 60 candidates."))
    if sector_id is not None and queries.get_sector(sector_id) is None:
        raise ValidationFailed(_l("Unknown sector."))
    if any(_same(c.name, name) or (sector_id is not None and c.sector_id == sector_id) for c in candidates):
        raise ValidationFailed(_l("This candidate is already in the matrix."), field="name")
    candidate = Candidate(matrix_id=matrix.id, name=name, origin=origin, sector_id=sector_id, note=note[:300],
                          position=_next_position(candidates))
    db.session.add(candidate)
    db.session.flush()
    record(actor, "scoring.candidate_add", candidate, summary=name,
           after={"plan_id": plan.id, "origin": origin.value, "sector_id": sector_id, "note": candidate.note})
    return candidate


def _candidate(actor: User, plan: Plan, candidate_id: Any) -> tuple[ScoringMatrix, Candidate]:
    require_changeable(actor, plan)
    matrix = queries.get_active_matrix(plan.id)
    candidate = queries.get_candidate(matrix.id, candidate_id) if matrix and isinstance(candidate_id, int) else None
    if candidate is None:
        raise ValidationFailed(_l("This candidate does not belong to the plan."))
    editable(matrix)
    return matrix, candidate


def rename_candidate(actor: User, plan: Plan, candidate_id: int, name: str, version: Any,
                     now: datetime) -> Candidate:
    matrix, candidate = _candidate(actor, plan, candidate_id)
    _check_version(candidate, version)
    name = _clean_name(name, "candidate")
    if any(c.id != candidate.id and _same(c.name, name) for c in queries.list_candidates(matrix.id)):
        raise ValidationFailed(_l("This candidate is already in the matrix."), field="name")
    if name != candidate.name:
        before = candidate.name
        candidate.name = name
        _flush()
        record(actor, "scoring.candidate_rename", candidate, summary=name, before={"name": before},
               after={"name": name, "plan_id": plan.id})
    return candidate


def remove_candidate(actor: User, plan: Plan, candidate_id: int, version: Any, now: datetime) -> None:
    _matrix, candidate = _candidate(actor, plan, candidate_id)
    _check_version(candidate, version)
    before = {"name": candidate.name, "origin": candidate.origin.value, "sector_id": candidate.sector_id}
    record(actor, "scoring.candidate_remove", candidate, summary=candidate.name, before=before,
           after={"plan_id": plan.id})
    db.session.delete(candidate)
    _flush()


# --- criteria -----------------------------------------------------------------------------------------------------


def _kind(kind: str | None) -> CriterionKind:
    try:
        return CriterionKind(kind or CriterionKind.BENEFIT)
    except ValueError:
        raise ValidationFailed(_l("A criterion is either a benefit or a cost."), field="kind") from None


def add_criterion(actor: User, plan: Plan, name: str, kind: str | None, now: datetime) -> Criterion:
    matrix = get_or_create_matrix(actor, plan, now)
    editable(matrix)
    name, kind = _clean_name(name, "criterion"), _kind(kind)
    criteria = queries.list_criteria(matrix.id)
    if len(criteria) >= MAX_CRITERIA:
        raise ValidationFailed(_l("A matrix has at most 20 criteria."))
    if any(_same(c.name, name) for c in criteria):
        raise ValidationFailed(_l("This criterion is already in the matrix."), field="name")
    criterion = Criterion(matrix_id=matrix.id, name=name, kind=kind, position=_next_position(criteria))
    db.session.add(criterion)
    if matrix.weight_method == WeightMethod.AHP:  # the judgements no longer cover every pair
        for other in criteria:
            other.weight = None
        matrix.consistency_ratio = None
    _bump(matrix, now)
    record(actor, "scoring.criterion_add", criterion, summary=name, after={"plan_id": plan.id, "kind": kind.value})
    return criterion


def _criterion(actor: User, plan: Plan, criterion_id: Any) -> tuple[ScoringMatrix, Criterion]:
    require_changeable(actor, plan)
    matrix = queries.get_active_matrix(plan.id)
    criterion = queries.get_criterion(matrix.id, criterion_id) if matrix and isinstance(criterion_id, int) else None
    if criterion is None:
        raise ValidationFailed(_l("This criterion does not belong to the plan."))
    editable(matrix)
    return matrix, criterion


def update_criterion(actor: User, plan: Plan, criterion_id: int, name: str, kind: str | None, version: Any,
                     now: datetime) -> Criterion:
    """Rename a criterion or switch it between benefit and cost."""
    matrix, criterion = _criterion(actor, plan, criterion_id)
    _check_version(criterion, version)
    name, kind = _clean_name(name, "criterion"), _kind(kind)
    if any(c.id != criterion.id and _same(c.name, name) for c in queries.list_criteria(matrix.id)):
        raise ValidationFailed(_l("This criterion is already in the matrix."), field="name")
    before = {"name": criterion.name, "kind": criterion.kind.value}
    if (name, kind) != (criterion.name, criterion.kind):
        criterion.name, criterion.kind = name, kind
        _flush()
        record(actor, "scoring.criterion_update", criterion, summary=name, before=before,
               after={"name": name, "kind": kind.value, "plan_id": plan.id})
    return criterion


def remove_criterion(actor: User, plan: Plan, criterion_id: int, version: Any, now: datetime) -> None:
    """The criterion goes with its judgements; the remaining weights are derived again (AHP) or rescaled (direct)."""
    matrix, criterion = _criterion(actor, plan, criterion_id)
    _check_version(criterion, version)
    record(actor, "scoring.criterion_remove", criterion, summary=criterion.name,
           before={"name": criterion.name, "kind": criterion.kind.value, "weight": criterion.weight},
           after={"plan_id": plan.id})
    db.session.execute(sa.delete(PairwiseJudgement).where(
        sa.or_(PairwiseJudgement.criterion_a_id == criterion.id, PairwiseJudgement.criterion_b_id == criterion.id)))
    db.session.delete(criterion)
    _flush()
    db.session.expire_all()
    rest = queries.list_criteria(matrix.id)
    if matrix.weight_method == WeightMethod.AHP:
        view = judge(rest, stored_choices(matrix.id, rest))
        for c in rest:
            c.weight = float(view.result.weights[c.id]) if view.result is not None else None
        matrix.consistency_ratio = view.result.cr if view.result is not None else None
    elif rest and all(c.weight is not None for c in rest):
        total = sum(c.weight for c in rest)
        for c in rest:
            c.weight = c.weight / total if total > 0 else None
    _bump(matrix, now)


# --- weights ------------------------------------------------------------------------------------------------------


def parse_number(raw: Any) -> float | None:
    """A number as people type it: Persian or Arabic digits, «٫» or «/» as the decimal separator."""
    text = ascii_digits(str(raw or "")).strip().replace("٫", ".").replace("/", ".").replace("،", "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValidationFailed(_l("A weight is a number, such as 0.25 or 3.")) from None
    if not math.isfinite(value):
        raise ValidationFailed(_l("A weight is a number, such as 0.25 or 3."))
    return value


@dataclass
class WeightsSaved:
    criteria: list[Criterion]
    typed_sum: float  # what the typed weights added up to
    rescaled: bool  # True when they did not add up to 1 and were scaled


def set_direct_weights(actor: User, plan: Plan, typed: dict[int, Any], matrix_version: Any,
                       now: datetime) -> WeightsSaved:
    """Weights typed for every criterion, scaled to add up to 1. Negative, blank, or all-zero weights are refused."""
    require_changeable(actor, plan)
    matrix = queries.get_active_matrix(plan.id)
    if matrix is None:
        raise ValidationFailed(_l("Add criteria first."))
    editable(matrix)
    criteria = queries.list_criteria(matrix.id)
    if not criteria:
        raise ValidationFailed(_l("Add criteria first."))
    values = {}
    for criterion in criteria:
        value = parse_number(typed.get(criterion.id))
        if value is None:
            raise ValidationFailed(_l("Give every criterion a weight."))
        if value < 0:
            raise ValidationFailed(_l("A weight cannot be negative."))
        values[criterion.id] = value
    total = sum(values.values())
    if total <= 0:
        raise ValidationFailed(_l("At least one weight must be above zero."))
    before = {c.id: c.weight for c in criteria}
    for criterion in criteria:
        criterion.weight = values[criterion.id] / total
    matrix.weight_method, matrix.consistency_ratio = WeightMethod.DIRECT, None
    _bump(matrix, now, matrix_version)
    record(actor, "scoring.weights_direct", matrix, summary=plan.title[:200], before={"weights": before},
           after={"weights": {c.id: c.weight for c in criteria}, "typed_sum": total, "plan_id": plan.id})
    return WeightsSaved(criteria, total, abs(total - 1) > 1e-9)


def save_judgements(actor: User, plan: Plan, choices: dict[tuple[int, int], str], matrix_version: Any,
                    now: datetime) -> Judged:
    """Store the pairwise judgements and the weights AHP derives from them, with the consistency ratio (kept even
    above 0.1: the page warns, the supervisor decides)."""
    require_changeable(actor, plan)
    matrix = queries.get_active_matrix(plan.id)
    if matrix is None:
        raise ValidationFailed(_l("Add at least two criteria to compare them."))
    editable(matrix)
    criteria = queries.list_criteria(matrix.id)
    view = judge(criteria, choices)
    if view.result is None:
        raise ValidationFailed(view.problem)
    db.session.execute(sa.delete(PairwiseJudgement).where(PairwiseJudgement.matrix_id == matrix.id))
    for a, b in pairs(criteria):
        db.session.add(PairwiseJudgement(matrix_id=matrix.id, criterion_a_id=a.id, criterion_b_id=b.id,
                                         value=SCALE_VALUES[choices[(a.id, b.id)]]))
    before = {c.id: c.weight for c in criteria}
    for criterion in criteria:
        criterion.weight = float(view.result.weights[criterion.id])
    matrix.weight_method, matrix.consistency_ratio = WeightMethod.AHP, float(view.result.cr)
    _bump(matrix, now, matrix_version)
    record(actor, "scoring.weights_ahp", matrix, summary=plan.title[:200], before={"weights": before},
           after={"weights": {c.id: c.weight for c in criteria}, "cr": matrix.consistency_ratio, "plan_id": plan.id,
                  "judgements": {f"{a}-{b}": choice for (a, b), choice in choices.items()}})
    return view
