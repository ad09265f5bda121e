"""The scoring round: a supervisor opens it (one SCORE_MATRIX task per chosen agency and per chosen person — an
officer or a participant —, the structure frozen), and stakeholders score each candidate on each criterion, 1–9,
cell by cell on their task page. After it closes an optional Delphi round (delphi.py) lets the same scorers revise
their scores next to the group's first-round median.

The matrix of a task is the plan's active matrix (a plan has one at a time); the round of a task is in scorers.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.accounts.models import User
from planapp.agencies.models import Agency
from planapp.analytics import AnalyticsError, aggregate_scores, kendall_w, rank_stability, topsis, weighted_sum
from planapp.audit.services import record
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import ascii_digits, lazy_digits, local_date
from planapp.core.permissions import Perm, Role, can, require
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.scoring import queries, scorers
from planapp.scoring.messages import analytics_message
from planapp.scoring.models import Candidate, Criterion, CriterionKind, MatrixStatus, Score, ScoringMatrix
from planapp.scoring.services import _bump, require_changeable
from planapp.tasks import services as tasks
from planapp.tasks.lifecycle import TO_DO, TaskKind
from planapp.tasks.models import Task

MIN_SCORE, MAX_SCORE = 1, 9
MAX_DAYS = 90


def readiness(matrix: ScoringMatrix | None, candidates: list[Candidate], criteria: list[Criterion]) -> str | None:
    """Why the round cannot open yet, or None."""
    if matrix is None or len(candidates) < 2:
        return str(_l("A round needs at least two candidates."))
    if len(criteria) < 2:
        return str(_l("A round needs at least two criteria."))
    if any(c.weight is None for c in criteria) or abs(sum(c.weight for c in criteria) - 1) > 1e-6:
        return str(_l("Set the weights of the criteria first (they must add up to 1)."))
    return None


def round_days(raw: Any) -> int:
    text = ascii_digits(str(raw or "")).strip()
    if not text.isdecimal() or not 1 <= int(text) <= MAX_DAYS:
        raise ValidationFailed(_l("The round lasts between 1 and 90 days."), field="days")
    return int(text)


def open_round(actor: User, plan: Plan, agency_ids: list[Any], days: Any, now: datetime,
               user_ids: list[Any] = ()) -> list[Task]:
    """Freeze the matrix and address one scoring task to each chosen agency and each chosen person (a personal task:
    participants see only those), due in `days` days."""
    require_changeable(actor, plan)
    matrix = queries.get_active_matrix(plan.id)
    matrix = scorers.lock(matrix) if matrix is not None else None
    if matrix is not None and matrix.status != MatrixStatus.DRAFT:
        raise ValidationFailed(_l("The scoring round has already been opened."))
    problem = readiness(matrix, queries.list_candidates(matrix.id) if matrix else [],
                        queries.list_criteria(matrix.id) if matrix else [])
    if problem:
        raise ValidationFailed(problem)
    agencies, people = scorers.choose_agencies(agency_ids), scorers.choose_people(list(user_ids))
    if not agencies and not people:
        raise ValidationFailed(_l("Choose at least one agency or one person to score."), field="agency_ids")
    due_on = local_date(now) + timedelta(days=round_days(days))
    title = str(_l("Score the candidate driving cores"))
    description = str(_l("Score each candidate on each criterion from 1 (very weak) to 9 (very strong)."))
    # An agency (or person) with a scoring task still to do (the analysis stage's template makes one) scores on it.
    waiting = {(t.agency_id, t.assignee_id): t for t in round_tasks(plan.id) if t.status in TO_DO}
    created = [waiting.get((agency.id, None)) or tasks.create_task(actor, plan, {
        "title": title, "description": description, "kind": TaskKind.SCORE_MATRIX, "agency_id": agency.id,
        "due_on": due_on}, now) for agency in agencies]
    created += [waiting.get((None, person.id)) or tasks.create_task(actor, plan, {
        "title": title, "description": description, "kind": TaskKind.SCORE_MATRIX, "assignee_id": person.id,
        "due_on": due_on}, now) for person in people]
    scorers.enlist(matrix, created, 1)
    # The stage template's scoring tasks of agencies left out would otherwise wait, and be reminded, for nothing.
    chosen = {t.id for t in created}
    tasks.cancel_tasks([t for t in waiting.values() if t.id not in chosen], actor, "task.cancel_not_chosen",
                       {"matrix_id": matrix.id})
    matrix.status = MatrixStatus.OPEN
    _bump(matrix, now)
    record(actor, "scoring.round_open", matrix, summary=plan.title[:200],
           after={"plan_id": plan.id, "agency_ids": [a.id for a in agencies], "user_ids": [p.id for p in people],
                  "task_ids": [t.id for t in created], "due_on": due_on.isoformat()})
    return created


def active_agencies() -> list[Agency]:  # the round form's choices (its people: scorers.active_people)
    return list(db.session.scalars(sa.select(Agency).where(Agency.is_active.is_(True)).order_by(Agency.name)))


def round_tasks(plan_id: int) -> list[Task]:
    return list(db.session.scalars(sa.select(Task).where(Task.plan_id == plan_id,
                                                         Task.kind == TaskKind.SCORE_MATRIX).order_by(Task.id)))


# --- scoring on a task --------------------------------------------------------------------------------------------


def parse_score(raw: Any) -> int | None:
    """1–9 as typed (Persian or Arabic digits too); blank clears the cell."""
    text = ascii_digits(str(raw or "")).strip()
    if not text:
        return None
    if not text.isdecimal() or not MIN_SCORE <= int(text) <= MAX_SCORE:
        raise ValidationFailed(_l("A score is a whole number from 1 to 9."), field="value")
    return int(text)


def task_matrix(task: Task) -> ScoringMatrix | None:
    return queries.get_active_matrix(task.plan_id) if task.kind == TaskKind.SCORE_MATRIX else None


def scoring_refusal(user: User, task: Task, matrix: ScoringMatrix | None) -> str | None:
    """Why `user` may not score on this task now, or None."""
    if task.kind != TaskKind.SCORE_MATRIX:
        return str(_l("This task does not collect scores."))
    # A stage's scoring task exists from the start of analysis, before the supervisor has built any matrix.
    if matrix is None or matrix.status == MatrixStatus.DRAFT:
        return str(_l("The scoring round has not been opened yet: the grid appears here when it opens."))
    number = scorers.task_round(task)
    if number is None:
        return str(_l("This task is not among the scoring round's: its agency or person was not chosen to score."))
    if number != matrix.round:
        return str(_l("This task belonged to round %(number)s of the scoring, which is closed: scores can no longer "
                      "change.", number=lazy_digits(number)))
    if matrix.status != MatrixStatus.OPEN:
        return str(_l("The scoring round is closed: scores can no longer change."))
    if task.status not in TO_DO or not can(user, Perm.WORK_ON_TASK, task):
        return str(_l("This task is no longer open for scoring."))
    return None


def save_score(actor: User, task: Task, candidate_id: Any, criterion_id: Any, raw: Any, now: datetime) -> Score | None:
    """Store (or clear, when blank) the actor's score of one cell. Returns the score, or None when cleared."""
    require(actor, Perm.WORK_ON_TASK, task)
    matrix = task_matrix(task)
    matrix = scorers.lock(matrix, read=True) if matrix is not None else None  # closing waits for this score
    problem = scoring_refusal(actor, task, matrix)
    if problem:
        raise ValidationFailed(problem)
    candidate = queries.get_candidate(matrix.id, candidate_id) if isinstance(candidate_id, int) else None
    criterion = queries.get_criterion(matrix.id, criterion_id) if isinstance(criterion_id, int) else None
    if candidate is None or criterion is None:
        raise ValidationFailed(_l("This cell is not in the matrix."))
    value = parse_score(raw)
    score = db.session.scalar(sa.select(Score).where(Score.candidate_id == candidate.id,
                                                     Score.criterion_id == criterion.id, Score.user_id == actor.id,
                                                     Score.round == matrix.round))
    before = {"value": score.value} if score is not None else None
    after = {"plan_id": task.plan_id, "task_id": task.id, "candidate_id": candidate.id, "criterion_id": criterion.id,
             "value": value, "round": matrix.round}
    substitute_for = tasks.acting_for(actor, task)
    if substitute_for:
        after["acting_for"] = substitute_for
    summary = f"{candidate.name[:90]} / {criterion.name[:90]}"
    if value is None:
        if score is not None:
            record(actor, "scoring.score_clear", score, summary=summary, before=before, after=after)
            db.session.delete(score)
            db.session.flush()
        return None
    if score is None:
        score = Score(matrix_id=matrix.id, task_id=task.id, candidate_id=candidate.id, criterion_id=criterion.id,
                      user_id=actor.id, value=value, updated_at=now, round=matrix.round)
        db.session.add(score)
    elif score.value == value:
        return score
    score.value, score.updated_at, score.task_id, score.acting_for_id = value, now, task.id, substitute_for
    db.session.flush()
    record(actor, "scoring.score", score, summary=summary, before=before, after=after)
    return score


def my_scores(matrix_id: int, user_id: int, number: int = 1) -> dict[tuple[int, int], int]:
    return {(s.candidate_id, s.criterion_id): s.value for s in db.session.scalars(
        sa.select(Score).where(Score.matrix_id == matrix_id, Score.user_id == user_id, Score.round == number))}


@dataclass
class Grid:
    """A scorer's grid. In the Delphi round `values` are their revisions over their first-round values (what counts
    when the round closes), `first` their first-round values and `medians` the group's first-round medians."""

    candidates: list[Candidate]
    criteria: list[Criterion]
    values: dict[tuple[int, int], int]
    refusal: str | None
    round: int = 1
    first: dict[tuple[int, int], int] = field(default_factory=dict)
    medians: dict[tuple[int, int], float] = field(default_factory=dict)
    revised: set[tuple[int, int]] = field(default_factory=set)

    @property
    def total(self) -> int:
        return len(self.candidates) * len(self.criteria)

    @property
    def done(self) -> int:
        cells = {(a.id, c.id) for a in self.candidates for c in self.criteria}
        return len(cells & set(self.values))


def grid(task: Task, user: User) -> Grid:
    matrix = task_matrix(task)
    if matrix is None:
        return Grid([], [], {}, scoring_refusal(user, task, matrix))
    number = scorers.task_round(task) or 1  # a task outside the rounds shows the grid read-only, with the reason
    mine = my_scores(matrix.id, user.id, number)
    made = Grid(queries.list_candidates(matrix.id), queries.list_criteria(matrix.id), mine,
                scoring_refusal(user, task, matrix), number)
    if number > 1:
        made.first = my_scores(matrix.id, user.id, 1)
        made.medians = scorers.first_round_medians(matrix.id)
        made.values, made.revised = {**made.first, **mine}, set(mine)
    return made


# --- closing the round --------------------------------------------------------------------------------------------

TOP_K = 3
STABILITY_SAMPLES = 10_000


def scorer_totals(values: np.ndarray, weights: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """One scorer's overall value of each candidate, for Kendall's W: Σⱼ wⱼ s′ᵢⱼ with s′ = s on a benefit criterion
    and 10 − s on a cost one (9 is the most of the criterion, so the least wanted cost)."""
    return np.where(benefit, values, 10 - values) @ weights


def compute_results(candidates: list[Candidate], criteria: list[Criterion], scores: list[scorers.Counted | Score],
                    names: dict[int, str]) -> dict:
    """The round's results from its scores (pure but for reading the rows given): mean scores, weighted sum and
    TOPSIS side by side, Kendall's W over the scorers who scored every cell, P(top k) under weight noise."""
    row = {c.id: i for i, c in enumerate(candidates)}
    col = {c.id: j for j, c in enumerate(criteria)}
    by_user: dict[int, np.ndarray] = {}
    for s in scores:
        grid_ = by_user.setdefault(s.user_id, np.full((len(candidates), len(criteria)), np.nan))
        grid_[row[s.candidate_id], col[s.criterion_id]] = s.value
    if not by_user:
        raise ValidationFailed(_l("Nobody has scored yet, so the round cannot be closed."))
    labels, crit_labels = [c.id for c in candidates], [c.id for c in criteria]
    weights = pd.Series([c.weight for c in criteria], index=crit_labels)
    benefit = pd.Series([c.kind == CriterionKind.BENEFIT for c in criteria], index=crit_labels)
    try:
        mean = aggregate_scores([pd.DataFrame(v, index=labels, columns=crit_labels) for v in by_user.values()])
        ws, closeness = weighted_sum(mean, weights, benefit), topsis(mean, weights, benefit)
        top_k = max(1, min(TOP_K, len(candidates) - 1))  # "the top k" of k candidates would say nothing
        stable = rank_stability(mean, weights, benefit, method="topsis", top_k=top_k, samples=STABILITY_SAMPLES)
    except AnalyticsError as error:
        raise ValidationFailed(analytics_message(error)) from None
    complete = [v for v in by_user.values() if not np.isnan(v).any()]
    agreement, agreement_note = None, None
    if len(complete) < 2:
        agreement_note = str(_l("Agreement needs at least two scorers who scored every cell."))
    else:
        try:
            agreement = float(kendall_w(np.array([scorer_totals(v, weights.to_numpy(), benefit.to_numpy())
                                                  for v in complete])))
        except AnalyticsError as error:
            agreement_note = analytics_message(error)
    rank_ws = ws.rank(ascending=False, method="min")
    rank_topsis = closeness.rank(ascending=False, method="min")
    return {
        "top_k": top_k, "kendall_w": agreement, "kendall_note": agreement_note,
        "complete_scorers": len(complete),
        "criteria": [{"id": c.id, "name": c.name, "kind": c.kind.value, "weight": c.weight} for c in criteria],
        "candidates": sorted(({"id": c.id, "name": c.name, "mean": [float(mean.loc[c.id, k]) for k in crit_labels],
                               "weighted_sum": float(ws[c.id]), "rank_weighted_sum": int(rank_ws[c.id]),
                               "topsis": float(closeness[c.id]), "rank_topsis": int(rank_topsis[c.id]),
                               "p_top": float(stable[c.id])} for c in candidates),
                              key=lambda r: (r["rank_topsis"], r["rank_weighted_sum"], r["name"])),
        "scorers": sorted(({"user_id": u, "name": names.get(u, str(u)), "cells": int((~np.isnan(v)).sum())}
                           for u, v in by_user.items()), key=lambda r: r["name"]),
        "cells": len(candidates) * len(criteria),
    }


def close_round(actor: User, plan: Plan, now: datetime) -> dict:
    """Aggregate and rank, keep the results on the matrix, close it; tasks nobody scored on, and invited guests who
    saved no score, are listed (scorers.not_scored)."""
    require_changeable(actor, plan)
    matrix = queries.get_active_matrix(plan.id)
    matrix = scorers.lock(matrix) if matrix is not None else None  # a score being saved now lands first or not at all
    if matrix is None or matrix.status != MatrixStatus.OPEN:
        raise ValidationFailed(_l("Only an open scoring round can be closed."))
    candidates, criteria = queries.list_candidates(matrix.id), queries.list_criteria(matrix.id)
    scores = scorers.counted_scores(matrix)
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(
        User.id.in_({s.user_id for s in scores})))} if scores else {}
    results = compute_results(candidates, criteria, scores, {u.id: u.name for u in people.values()})
    revised: dict[int, int] = {}
    for s in scores:
        revised[s.user_id] = revised.get(s.user_id, 0) + (s.round == matrix.round)
    for row in results["scorers"]:
        row["participant"] = people[row["user_id"]].role == Role.PARTICIPANT
        if matrix.round > 1:
            row["revised"] = revised[row["user_id"]]  # cells changed in this round; the others kept round 1's value
    results["not_scored"] = scorers.not_scored(scorers.current_tasks(plan.id, matrix), scores, matrix.round)
    previous = matrix.results if matrix.round > 1 else None
    results["round"] = matrix.round
    results["rounds"] = [*(previous or {}).get("rounds", []),
                         {"round": matrix.round, "kendall_w": results["kendall_w"],
                          "kendall_note": results["kendall_note"], "complete_scorers": results["complete_scorers"]}]
    if previous:
        results["round_1"] = {k: v for k, v in previous.items() if k not in ("rounds", "round_1")}
    matrix.results = results
    matrix.status = MatrixStatus.CLOSED
    # Work left on the round's tasks can no longer count: cancel them, so nobody is reminded of them. Submissions
    # stay for the supervisor's review.
    tasks.cancel_tasks([t for t in scorers.current_tasks(plan.id, matrix) if t.status in TO_DO], actor,
                       "task.cancel_round_closed", {"matrix_id": matrix.id, "round": matrix.round})
    _bump(matrix, now)
    record(actor, "scoring.round_close", matrix, summary=plan.title[:200],
           after={"plan_id": plan.id, "round": matrix.round, "kendall_w": results["kendall_w"],
                  "ranking": [c["id"] for c in results["candidates"]], "scorers": len(results["scorers"])})
    return results


# --- confirming the driving cores ---------------------------------------------------------------------------------

MAX_REASON = 1000


def top_ranked(results: dict) -> set[int]:
    """Candidates within the top k of either method."""
    k = results.get("top_k", TOP_K)
    return {c["id"] for c in results.get("candidates", [])
            if c["rank_topsis"] <= k or c["rank_weighted_sum"] <= k}


def confirm_cores(actor: User, plan: Plan, chosen: list[Any], reasons: dict[int, Any],
                  now: datetime) -> list[Candidate]:
    """Confirm the plan's driving cores after the round: the top ranked as they are, any other with a written reason.
    Candidates not chosen are no longer confirmed."""
    require_changeable(actor, plan)
    matrix = queries.get_active_matrix(plan.id)
    if matrix is None or matrix.status != MatrixStatus.CLOSED or not matrix.results:
        raise ValidationFailed(_l("Close the scoring round before confirming the driving cores."))
    candidates = {c.id: c for c in queries.list_candidates(matrix.id)}
    ids = {int(i) for i in chosen if str(i).isdecimal()}
    if not ids:
        raise ValidationFailed(_l("Choose at least one driving core."))
    if not ids <= set(candidates):
        raise ValidationFailed(_l("This candidate does not belong to the plan."))
    top = top_ranked(matrix.results)
    cleaned = {}
    for candidate_id in ids:
        reason = " ".join(str(reasons.get(candidate_id) or "").split())
        if candidate_id not in top and not reason:
            raise ValidationFailed(_l("«%(name)s» is not among the top ranked: write why it is a driving core.",
                                      name=candidates[candidate_id].name), field=f"reason-{candidate_id}")
        if len(reason) > MAX_REASON:
            raise ValidationFailed(_l("The reason is too long (at most 1000 characters)."),
                                   field=f"reason-{candidate_id}")
        cleaned[candidate_id] = reason
    before = sorted(c.id for c in candidates.values() if c.confirmed_at is not None)
    for candidate in candidates.values():
        if candidate.id in cleaned:
            if candidate.confirmed_at is None or candidate.confirm_reason != cleaned[candidate.id]:
                candidate.confirmed_at, candidate.confirm_reason = candidate.confirmed_at or now, cleaned[candidate.id]
        elif candidate.confirmed_at is not None:
            candidate.confirmed_at, candidate.confirm_reason = None, ""
    db.session.flush()
    record(actor, "scoring.cores_confirm", matrix, summary=plan.title[:200], before={"confirmed": before},
           after={"plan_id": plan.id, "confirmed": sorted(cleaned), "reasons": {k: v for k, v in cleaned.items() if v}})
    return [candidates[i] for i in sorted(cleaned)]


def confirmed_cores(plan_id: int) -> list[Candidate]:
    matrix = queries.get_active_matrix(plan_id)
    return [c for c in queries.list_candidates(matrix.id) if c.confirmed_at is not None] if matrix else []
