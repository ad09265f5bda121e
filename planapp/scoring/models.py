"""A plan's scoring matrix: candidates (possible driving cores), criteria (benefit or cost) with weights, and the
supervisor's pairwise judgements when the weights come from AHP."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from planapp.core.db import str_enum
from planapp.extensions import db


class MatrixStatus(enum.StrEnum):
    DRAFT = "draft"  # the supervisor builds candidates, criteria and weights
    OPEN = "open"  # stakeholders score (a later slice: the scoring round)
    CLOSED = "closed"  # scores aggregated and ranked (a later slice)

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {MatrixStatus.DRAFT: _l("Draft"), MatrixStatus.OPEN: _l("Open for scoring"),
                 MatrixStatus.CLOSED: _l("Closed")}


class WeightMethod(enum.StrEnum):
    DIRECT = "direct"
    AHP = "ahp"


class CandidateOrigin(enum.StrEnum):
    TYPED = "typed"
    LOCATION_QUOTIENT = "location_quotient"
    KEY_SECTOR = "key_sector"  # from an input-output table (a later slice)

    @property
    def label(self) -> str:
        return str(ORIGIN_LABELS[self])


ORIGIN_LABELS = {CandidateOrigin.TYPED: _l("typed in"),
                 CandidateOrigin.LOCATION_QUOTIENT: _l("location quotient"),
                 CandidateOrigin.KEY_SECTOR: _l("key sector")}


class CriterionKind(enum.StrEnum):
    BENEFIT = "benefit"  # more is better
    COST = "cost"  # less is better

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {CriterionKind.BENEFIT: _l("Benefit (more is better)"),
               CriterionKind.COST: _l("Cost (less is better)")}


class ScoringMatrix(db.Model):
    """One active matrix per plan. `version` is bumped by every change to the weights or to the set of criteria
    (compare-and-set in services), so a stale weights or pairwise form is refused."""

    __tablename__ = "scoring_matrices"
    __table_args__ = (sa.Index("ix_scoring_matrices_plan", "plan_id", "is_active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    status: Mapped[MatrixStatus] = mapped_column(str_enum(MatrixStatus), default=MatrixStatus.DRAFT)
    weight_method: Mapped[WeightMethod] = mapped_column(str_enum(WeightMethod), default=WeightMethod.DIRECT)
    consistency_ratio: Mapped[float | None] = mapped_column(sa.Float)  # of the saved AHP judgements
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)
    results: Mapped[dict | None] = mapped_column(sa.JSON)  # the closed round's aggregate, ranks and agreement
    round: Mapped[int] = mapped_column(default=1, server_default="1")  # 2 once a Delphi round is opened


class Candidate(db.Model):
    __tablename__ = "scoring_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    matrix_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_matrices.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    origin: Mapped[CandidateOrigin] = mapped_column(str_enum(CandidateOrigin), default=CandidateOrigin.TYPED)
    sector_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sectors.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")  # e.g. "LQ 1.42 (employment, 1403)"
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    # A driving core confirmed by a supervisor after the round; a reason when it was not among the top ranked.
    confirmed_at: Mapped[datetime | None]
    confirm_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    __mapper_args__ = {"version_id_col": version}


class Criterion(db.Model):
    __tablename__ = "scoring_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    matrix_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_matrices.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[CriterionKind] = mapped_column(str_enum(CriterionKind), default=CriterionKind.BENEFIT)
    weight: Mapped[float | None] = mapped_column(sa.Float)  # normalised: the matrix's weights sum to 1
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class PairwiseJudgement(db.Model):
    """How many times criterion a is more important than criterion b, on Saaty's scale 1/9 … 9 (b over a is the
    reciprocal, not stored)."""

    __tablename__ = "scoring_judgements"
    __table_args__ = (sa.UniqueConstraint("matrix_id", "criterion_a_id", "criterion_b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    matrix_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_matrices.id"), index=True)
    criterion_a_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_criteria.id", ondelete="CASCADE"))
    criterion_b_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_criteria.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(sa.Float)


class Score(db.Model):
    """One stakeholder's score of one candidate on one criterion (1–9), saved cell by cell on a SCORE_MATRIX task.
    `acting_for_id` is the absent colleague a substitute scored for, if any. A Delphi round's revision is a row of
    its own (`round` 2): the first round's scores are kept as they were."""

    __tablename__ = "scoring_scores"
    __table_args__ = (sa.UniqueConstraint("candidate_id", "criterion_id", "user_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    matrix_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_matrices.id"), index=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_candidates.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_criteria.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    acting_for_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    value: Mapped[int]
    updated_at: Mapped[datetime]
    round: Mapped[int] = mapped_column(default=1, server_default="1")


class RoundTask(db.Model):
    """Which round of a matrix a scoring task belongs to. A SCORE_MATRIX task without a row (a stage template's, or
    one from before rounds were numbered) belongs to round 1."""

    __tablename__ = "scoring_round_tasks"

    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    matrix_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_matrices.id"), index=True)
    round: Mapped[int]
