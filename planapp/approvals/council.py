"""The provincial planning and development council's vote: quorum and majority, as plain rules."""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, has_app_context

from planapp.accounts.models import User
from planapp.approvals.models import CouncilResolution, CouncilVote, TransitionRequest, VoteChoice
from planapp.core.permissions import Role
from planapp.extensions import db

DEFAULT_QUORUM = 2 / 3  # of the council's members must take part (vote or abstain)


@dataclass(frozen=True)
class Tally:
    members: int
    approve: int
    reject: int
    abstain: int
    quorum: int

    @property
    def present(self) -> int:
        return self.approve + self.reject + self.abstain

    @property
    def has_quorum(self) -> bool:
        return self.members > 0 and self.present >= self.quorum

    @property
    def carries(self) -> bool:
        """Quorum met and more than half of those present in favour."""
        return self.has_quorum and self.approve * 2 > self.present


def quorum_for(members: int, fraction: float) -> int:
    return max(1, math.ceil(members * fraction - 1e-9)) if members else 0


def tally(request: TransitionRequest) -> Tally:
    fraction = current_app.config.get("COUNCIL_QUORUM", DEFAULT_QUORUM) if has_app_context() else DEFAULT_QUORUM
    members = db.session.scalar(
        sa.select(sa.func.count()).where(User.role == Role.COUNCIL_MEMBER, User.is_active.is_(True))
    )
    counts = dict(
        db.session.execute(
            sa.select(CouncilVote.choice, sa.func.count()).where(CouncilVote.request_id == request.id)
            .group_by(CouncilVote.choice)
        ).all()
    )
    return Tally(members, counts.get(VoteChoice.APPROVE, 0), counts.get(VoteChoice.REJECT, 0),
                 counts.get(VoteChoice.ABSTAIN, 0), quorum_for(members, fraction))


def votes(request: TransitionRequest) -> list[CouncilVote]:
    return list(db.session.scalars(
        sa.select(CouncilVote).where(CouncilVote.request_id == request.id)
        .order_by(CouncilVote.voted_at, CouncilVote.id)  # votes in one request can share a time
    ))


def resolution(request: TransitionRequest) -> CouncilResolution | None:
    return db.session.scalar(sa.select(CouncilResolution).where(CouncilResolution.request_id == request.id))
