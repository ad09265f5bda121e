from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planapp.accounts.models import User
from planapp.core.db import str_enum
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage, Transition, get_transition


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(REQUEST_STATUS_LABELS[self])


REQUEST_STATUS_LABELS = {
    RequestStatus.PENDING: _l("Waiting for a decision"),
    RequestStatus.APPROVED: _l("Approved"),
    RequestStatus.REJECTED: _l("Rejected"),
    RequestStatus.CANCELLED: _l("Withdrawn"),
}


class TransitionRequest(db.Model):
    """A request to move a plan along one transition, and the decision taken on it."""

    __tablename__ = "transition_requests"
    __table_args__ = (
        # At most one open request per plan, enforced by the database (two supervisors asking at once).
        sa.Index(
            "uq_transition_requests_one_pending",
            "plan_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id"), index=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    from_stage: Mapped[Stage] = mapped_column(str_enum(Stage))
    to_stage: Mapped[Stage] = mapped_column(str_enum(Stage))
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus), default=RequestStatus.PENDING)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the system asked
    requested_at: Mapped[datetime]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    plan: Mapped[Plan] = relationship(lazy="joined")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @property
    def transition(self) -> Transition:
        transition = get_transition(self.event)
        assert transition is not None, f"unknown event {self.event!r} stored"
        return transition

    @property
    def requires_four_eyes(self) -> bool:
        return self.transition.four_eyes

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING


class VoteChoice(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ABSTAIN = "abstain"

    @property
    def label(self) -> str:
        return str(VOTE_LABELS[self])


VOTE_LABELS = {
    VoteChoice.APPROVE: _l("In favour"),
    VoteChoice.REJECT: _l("Against"),
    VoteChoice.ABSTAIN: _l("Abstain"),
}


class CouncilVote(db.Model):
    """A council member's vote on a request that needs the provincial planning council."""

    __tablename__ = "council_votes"
    __table_args__ = (sa.UniqueConstraint("request_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("transition_requests.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    choice: Mapped[VoteChoice] = mapped_column(str_enum(VoteChoice))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    voted_at: Mapped[datetime]

    member: Mapped[User] = relationship(lazy="joined")


class CouncilResolution(db.Model):
    """The council's resolution (مصوبه): its number, its date and the signed document."""

    __tablename__ = "council_resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("transition_requests.id"), unique=True)
    number: Mapped[str] = mapped_column(sa.String(50))
    resolved_on: Mapped[date]
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    file_name: Mapped[str | None] = mapped_column(sa.String(255))  # the original name, for download only
    stored_name: Mapped[str | None] = mapped_column(sa.String(64))  # generated; the file lives outside static/
    file_size: Mapped[int | None]

    recorded_by: Mapped[User] = relationship(lazy="joined")
