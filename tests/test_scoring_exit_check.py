"""Confirmed driving cores guard the move from analysis to goals (issue 7: "confirmed cores are the guard")."""

from __future__ import annotations

import pytest

from planapp.core.clock import now
from planapp.extensions import db
from planapp.plans.checklist import open_items
from planapp.plans.workflow import Stage
from planapp.scoring.models import Candidate, MatrixStatus, ScoringMatrix
from tests.factories import make_plan, make_user


@pytest.fixture
def plan(ctx):
    supervisor = make_user(role="supervisor")
    plan = make_plan(supervisor)
    db.session.commit()
    return plan


def matrix_with(plan, confirmed: list[bool], active: bool = True) -> None:
    matrix = ScoringMatrix(plan_id=plan.id, status=MatrixStatus.CLOSED, is_active=active,
                           created_by_id=plan.owner_id, created_at=now(), updated_at=now())
    db.session.add(matrix)
    db.session.flush()
    for n, done in enumerate(confirmed):
        db.session.add(Candidate(matrix_id=matrix.id, name=f"هسته {n}", position=n,
                                 confirmed_at=now() if done else None))
    db.session.commit()


def driving_cores_item(plan):
    return [item for item in open_items(plan, Stage.ANALYSIS) if item.key == "driving_cores"]


def test_without_a_matrix_the_analysis_stage_cannot_be_left(plan):
    [item] = driving_cores_item(plan)
    assert not item.done and "هسته‌های پیشران" in item.label


def test_ranked_but_unconfirmed_candidates_do_not_count(plan):
    matrix_with(plan, [False, False])
    assert driving_cores_item(plan)


def test_an_inactive_matrix_does_not_count(plan):
    matrix_with(plan, [True], active=False)
    assert driving_cores_item(plan)


def test_one_confirmed_core_opens_the_way_to_goals(plan):
    matrix_with(plan, [True, False, True])
    assert driving_cores_item(plan) == []
    assert all(item.key != "driving_cores" for item in open_items(plan, Stage.SITUATION_ASSESSMENT))
