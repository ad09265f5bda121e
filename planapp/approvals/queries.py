from __future__ import annotations

import sqlalchemy as sa

from planapp.approvals.models import RequestStatus, TransitionRequest
from planapp.extensions import db


def pending_request(plan_id: int) -> TransitionRequest | None:
    return db.session.scalar(
        sa.select(TransitionRequest).where(
            TransitionRequest.plan_id == plan_id, TransitionRequest.status == RequestStatus.PENDING
        )
    )


def get_request(plan_id: int, request_id: int) -> TransitionRequest | None:
    request = db.session.get(TransitionRequest, request_id)
    return request if request is not None and request.plan_id == plan_id else None


def recent_requests(plan_id: int, limit: int = 10) -> list[TransitionRequest]:
    return list(db.session.scalars(
        sa.select(TransitionRequest).where(TransitionRequest.plan_id == plan_id)
        .order_by(TransitionRequest.id.desc()).limit(limit)
    ))


def count_pending_for_review(exclude_requester_id: int) -> int:
    """Requests a supervisor could decide (the four-eyes rule leaves out their own)."""
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            TransitionRequest.status == RequestStatus.PENDING,
            sa.or_(TransitionRequest.requested_by_id.is_(None),
                   TransitionRequest.requested_by_id != exclude_requester_id),
        )
    )
