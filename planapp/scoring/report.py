"""A plan's scoring round as plain data: the matrix (candidates, criteria, weights), the closed round's results kept
on the matrix, who scored, and the confirmed driving cores. Read by the results page, its export, and the plan
document; nothing here reads the request or the signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.accounts.models import User
from planapp.agencies.models import Agency
from planapp.extensions import db
from planapp.scoring import queries
from planapp.scoring.models import (
    Candidate,
    CandidateOrigin,
    Criterion,
    CriterionKind,
    MatrixStatus,
    Score,
    WeightMethod,
)

# Reading Kendall's W after Schmidt (1997), "Managing Delphi surveys using nonparametric statistical techniques",
# Decision Sciences 28(3), 763–774, table 3: W = 0.1 very weak, 0.3 weak, 0.5 moderate, 0.7 strong, 0.9 unusually
# strong agreement. A value takes the reading of the nearest of those anchors, so the bounds are the midpoints.
AGREEMENT_BOUNDS = ((0.2, "very_weak"), (0.4, "weak"), (0.6, "moderate"), (0.8, "strong"))
AGREEMENT_LABELS = {"very_weak": _l("very weak agreement"), "weak": _l("weak agreement"),
                    "moderate": _l("moderate agreement"), "strong": _l("strong agreement"),
                    "very_strong": _l("very strong agreement")}
CR_LIMIT = 0.1  # Saaty: judgements with a consistency ratio above 0.1 should be revised


def agreement_level(w: float | None) -> str | None:
    """The plain-language reading of Kendall's W (a key of AGREEMENT_LABELS), None without a W."""
    if w is None:
        return None
    return next((level for bound, level in AGREEMENT_BOUNDS if w < bound), "very_strong")


@dataclass(frozen=True)
class CriterionRow:
    id: int
    name: str
    kind: CriterionKind
    weight: float | None


@dataclass(frozen=True)
class CandidateRow:
    """A candidate of the matrix, and after the round its place in the ranking."""

    id: int
    name: str
    origin: CandidateOrigin
    note: str
    confirmed: bool
    reason: str
    confirmed_at: datetime | None


@dataclass(frozen=True)
class Ranked:
    id: int
    name: str
    mean: tuple[float, ...]  # in the order of PlanResults.criteria
    weighted_sum: float
    rank_weighted_sum: int
    topsis: float
    rank_topsis: int
    p_top: float  # the chance of the top k when the weights vary (0–1)
    top_ranked: bool  # within the top k of either method
    confirmed: bool


@dataclass(frozen=True)
class Scorer:
    user_id: int
    name: str
    agency: str
    cells: int


@dataclass(frozen=True)
class NotScored:
    """Asked to score and saved nothing in the round: an agency's task nobody scored on (`agency` empty: the name is
    the agency's), or a person — with a personal task, or invited to a task as its guest — named with their agency.
    After a Delphi round: who saved no revision."""

    name: str
    agency: str = ""
    participant: bool = False
    guest: bool = False


@dataclass(frozen=True)
class PlanResults:
    plan_id: int
    matrix_id: int
    status: MatrixStatus
    weight_method: WeightMethod
    consistency_ratio: float | None  # of the AHP judgements, when the weights come from them
    criteria: list[CriterionRow]
    candidates: list[CandidateRow]  # in the matrix's order
    closed: bool  # the round is closed and its results are kept
    round: int | None = None  # the round the results come from, when the results say
    ranking: tuple[Ranked, ...] = ()  # by TOPSIS, then the weighted sum (as closing stored them)
    top_k: int = 0
    kendall_w: float | None = None
    kendall_note: str = ""
    complete_scorers: int = 0
    cells: int = 0
    scorers: tuple[Scorer, ...] = ()
    not_scored: tuple[NotScored, ...] = ()
    agreement_by_round: tuple[tuple[int, float | None], ...] = ()  # (round, Kendall's W) after a Delphi round

    @property
    def agreement(self) -> str | None:
        return agreement_level(self.kendall_w)

    @property
    def cores(self) -> list[CandidateRow]:
        return [c for c in self.candidates if c.confirmed]

    @property
    def inconsistent(self) -> bool:
        return self.consistency_ratio is not None and self.consistency_ratio > CR_LIMIT


def _criterion(c: Criterion) -> CriterionRow:
    return CriterionRow(c.id, c.name, c.kind, c.weight)


def _candidate(c: Candidate) -> CandidateRow:
    return CandidateRow(c.id, c.name, c.origin, c.note, c.confirmed_at is not None, c.confirm_reason or "",
                        c.confirmed_at)


def _agencies(ids: set[int]) -> dict[int, str]:
    """The agency of each person, read now (one query for the scorers and those who did not score)."""
    return dict(db.session.execute(sa.select(User.id, Agency.name).join(Agency, Agency.id == User.agency_id)
                                   .where(User.id.in_(ids))).all()) if ids else {}


def _people(results: dict) -> tuple[tuple[Scorer, ...], tuple[NotScored, ...]]:
    rows = [r for r in results.get("scorers", []) if "user_id" in r]
    silent = results.get("not_scored", [])
    agencies = _agencies({int(r["user_id"]) for r in rows}
                         | {int(r["user_id"]) for r in silent if r.get("user_id") is not None})
    scorers = tuple(Scorer(int(r["user_id"]), str(r.get("name", "")), agencies.get(int(r["user_id"]), ""),
                           int(r.get("cells", 0))) for r in rows)
    return scorers, tuple(_not_scored(r, agencies) for r in silent)


def _not_scored(row: dict, agencies: dict[int, str]) -> NotScored:
    """A person is named with their agency, an agency's task by the agency alone. Results closed before people were
    listed with their user id carry the name alone, as they were shown then."""
    person = row.get("user_id")
    agency = agencies.get(int(person), str(row.get("agency", ""))) if person is not None else ""
    return NotScored(str(row.get("name", "")), agency, bool(row.get("participant")), bool(row.get("guest")))


def plan_results(plan_id: int) -> PlanResults | None:
    """The plan's active scoring matrix and, once its round is closed, the results kept on it; None without one."""
    matrix = queries.get_active_matrix(plan_id)
    if matrix is None:
        return None
    candidates = [_candidate(c) for c in queries.list_candidates(matrix.id)]
    criteria = [_criterion(c) for c in queries.list_criteria(matrix.id)]
    cr = matrix.consistency_ratio if matrix.weight_method == WeightMethod.AHP else None
    base = {"plan_id": plan_id, "matrix_id": matrix.id, "status": matrix.status, "weight_method": matrix.weight_method,
            "consistency_ratio": cr, "criteria": criteria, "candidates": candidates}
    results = matrix.results if isinstance(matrix.results, dict) else None
    if matrix.status != MatrixStatus.CLOSED or not results or "candidates" not in results:
        return PlanResults(**base, closed=False)
    stored = {int(c["id"]): c for c in results.get("criteria", [])}
    # The columns of the means are the criteria as they were when the round closed (the matrix is frozen by then).
    base["criteria"] = [CriterionRow(int(c["id"]), c["name"], CriterionKind(c["kind"]), c.get("weight"))
                        for c in stored.values()] or criteria
    k = int(results.get("top_k", 0))
    confirmed = {c.id for c in candidates if c.confirmed}
    scorers, not_scored = _people(results)
    ranking = tuple(Ranked(int(r["id"]), r["name"], tuple(float(m) for m in r["mean"]), float(r["weighted_sum"]),
                           int(r["rank_weighted_sum"]), float(r["topsis"]), int(r["rank_topsis"]), float(r["p_top"]),
                           r["rank_topsis"] <= k or r["rank_weighted_sum"] <= k, int(r["id"]) in confirmed)
                    for r in results["candidates"])
    return PlanResults(**base, closed=True, round=results.get("round"), ranking=ranking, top_k=k,
                       kendall_w=results.get("kendall_w"), kendall_note=results.get("kendall_note") or "",
                       complete_scorers=int(results.get("complete_scorers", 0)), cells=int(results.get("cells", 0)),
                       scorers=scorers, not_scored=not_scored,
                       agreement_by_round=tuple((int(r["round"]), r.get("kendall_w"))
                                                for r in results.get("rounds", []) if "round" in r))


@dataclass(frozen=True)
class RawScore:
    round: int  # a Delphi revision is a score of round 2; the first round's stays as it was
    scorer: str
    agency: str
    candidate: str
    criterion: str
    value: int


def raw_scores(matrix_id: int) -> list[RawScore]:
    """Every score given, by round, scorer, candidate and criterion (one query)."""
    rows = db.session.execute(
        sa.select(Score.round, User.name, Agency.name, Candidate.name, Criterion.name, Score.value)
        .join(User, User.id == Score.user_id).join(Agency, Agency.id == User.agency_id)
        .join(Candidate, Candidate.id == Score.candidate_id).join(Criterion, Criterion.id == Score.criterion_id)
        .where(Score.matrix_id == matrix_id)
        .order_by(Score.round, User.name, User.id, Candidate.position, Candidate.id, Criterion.position,
                  Criterion.id))
    return [RawScore(*row) for row in rows]
