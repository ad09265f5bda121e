"""The scoring matrix's services: candidates and criteria, stale forms, direct weights, AHP judgements.
Refusals are checked in Persian, the language the application speaks by default."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from planapp.audit.models import AuditEvent
from planapp.core.clock import now
from planapp.core.errors import Conflict, ValidationFailed
from planapp.core.permissions import AccessDenied
from planapp.extensions import db
from planapp.scoring import judgements, queries, services
from planapp.scoring.models import CriterionKind, PairwiseJudgement, WeightMethod
from tests.factories import make_plan, make_user


@pytest.fixture
def world(ctx):
    supervisor = make_user(role="supervisor")
    return make_plan(supervisor, stage="analysis"), supervisor


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("scoring.%"))
                                   .order_by(AuditEvent.id)))


def criteria(plan, supervisor, *names: str):
    made = [services.add_criterion(supervisor, plan, name, "benefit", now()) for name in names]
    db.session.commit()
    return made


def test_candidates_are_added_renamed_and_removed_with_an_audit_trail(world):
    plan, supervisor = world
    first = services.add_candidate(supervisor, plan, "  گردشگری   سلامت ", now())
    second = services.add_candidate(supervisor, plan, "صنایع غذایی", now())
    db.session.commit()
    assert first.name == "گردشگری سلامت" and (first.position, second.position) == (1, 2)
    services.rename_candidate(supervisor, plan, first.id, "گردشگری درمانی", first.version, now())
    db.session.commit()
    services.remove_candidate(supervisor, plan, second.id, second.version, now())
    db.session.commit()
    matrix = queries.get_active_matrix(plan.id)
    assert [c.name for c in queries.list_candidates(matrix.id)] == ["گردشگری درمانی"]
    assert actions() == ["scoring.create", "scoring.candidate_add", "scoring.candidate_add",
                         "scoring.candidate_rename", "scoring.candidate_remove"]


@pytest.mark.parametrize(("name", "message"), [("   ", "ابتدا نامی بنویسید"), ("x" * 201, "بلند است"),
                                                ("صنایع  غذایی", "پیش‌تر در ماتریس")])
def test_bad_candidate_names_are_refused(world, name, message):
    plan, supervisor = world
    services.add_candidate(supervisor, plan, "صنایع غذایی", now())
    db.session.commit()
    with pytest.raises(ValidationFailed, match=message):
        services.add_candidate(supervisor, plan, name, now())


def test_a_stale_row_or_matrix_version_is_a_conflict(world):
    plan, supervisor = world
    candidate = services.add_candidate(supervisor, plan, "فرش", now())
    (criterion,) = criteria(plan, supervisor, "اشتغال")
    services.rename_candidate(supervisor, plan, candidate.id, "فرش دستباف", 1, now())
    db.session.commit()
    with pytest.raises(Conflict):
        services.rename_candidate(supervisor, plan, candidate.id, "فرش ماشینی", 1, now())
    db.session.rollback()
    with pytest.raises(Conflict):
        services.remove_candidate(supervisor, plan, candidate.id, "x", now())
    db.session.rollback()
    seen = queries.get_active_matrix(plan.id).version
    services.set_direct_weights(supervisor, plan, {criterion.id: "1"}, seen, now())
    db.session.commit()
    with pytest.raises(Conflict):  # the same form sent again: the matrix moved on
        services.set_direct_weights(supervisor, plan, {criterion.id: "2"}, seen, now())
    db.session.rollback()
    services.update_criterion(supervisor, plan, criterion.id, "اشتغال", "cost", criterion.version, now())
    db.session.commit()
    assert criterion.kind == CriterionKind.COST
    with pytest.raises(Conflict):
        services.update_criterion(supervisor, plan, criterion.id, "اشتغال زا", "cost", 1, now())


def test_direct_weights_accept_persian_digits_and_are_scaled_to_one(world):
    plan, supervisor = world
    a, b, c = criteria(plan, supervisor, "اشتغال", "صادرات", "آب")
    saved = services.set_direct_weights(supervisor, plan, {a.id: "۲", b.id: "۱٫۵", c.id: "0.5"},
                                        queries.get_active_matrix(plan.id).version, now())
    db.session.commit()
    assert saved.rescaled and saved.typed_sum == pytest.approx(4.0)
    assert [x.weight for x in (a, b, c)] == pytest.approx([0.5, 0.375, 0.125])
    assert queries.get_active_matrix(plan.id).weight_method == WeightMethod.DIRECT
    assert actions()[-1] == "scoring.weights_direct"


@pytest.mark.parametrize(("typed", "message"), [
    (("0", "0"), "دست‌کم یک وزن باید بیشتر از صفر باشد"),
    (("1", "-1"), "نمی‌تواند منفی باشد"),
    (("1", ""), "به همهٔ معیارها وزن بدهید"),
    (("1", "abc"), "وزن یک عدد است"),
])
def test_bad_weights_are_refused_and_nothing_is_stored(world, typed, message):
    plan, supervisor = world
    a, b = criteria(plan, supervisor, "اشتغال", "صادرات")
    with pytest.raises(ValidationFailed, match=message):
        services.set_direct_weights(supervisor, plan, {a.id: typed[0], b.id: typed[1]},
                                    queries.get_active_matrix(plan.id).version, now())
    db.session.rollback()
    assert [x.weight for x in queries.list_criteria(queries.get_active_matrix(plan.id).id)] == [None, None]


def test_a_consistent_pairwise_matrix_gives_its_weights_and_cr_zero(world):
    plan, supervisor = world
    a, b, c = criteria(plan, supervisor, "اشتغال", "صادرات", "آب")
    # a = 2b = 4c, b = 2c: weights 4/7, 2/7, 1/7
    choices = {(a.id, b.id): "2", (a.id, c.id): "4", (b.id, c.id): "2"}
    judged = services.save_judgements(supervisor, plan, choices, queries.get_active_matrix(plan.id).version, now())
    db.session.commit()
    assert judged.result.cr == pytest.approx(0, abs=1e-9) and not judged.warn
    assert [x.weight for x in (a, b, c)] == pytest.approx([4 / 7, 2 / 7, 1 / 7])
    matrix = queries.get_active_matrix(plan.id)
    assert (matrix.weight_method, matrix.consistency_ratio) == (WeightMethod.AHP, pytest.approx(0, abs=1e-9))
    assert judgements.stored_choices(matrix.id, [a, b, c]) == choices
    assert actions()[-1] == "scoring.weights_ahp"


def test_an_inconsistent_matrix_is_saved_with_its_cr_and_a_warning(world):
    plan, supervisor = world
    a, b, c = criteria(plan, supervisor, "اشتغال", "صادرات", "آب")
    choices = {(a.id, b.id): "9", (a.id, c.id): "1/9", (b.id, c.id): "9"}  # a ≫ b ≫ c ≫ a
    judged = services.save_judgements(supervisor, plan, choices, queries.get_active_matrix(plan.id).version, now())
    db.session.commit()
    assert judged.warn and judged.result.cr > 0.1
    assert queries.get_active_matrix(plan.id).consistency_ratio == pytest.approx(judged.result.cr)


def test_reversed_judgements_read_back_as_reciprocals_and_removal_recomputes(world):
    plan, supervisor = world
    a, b, c = criteria(plan, supervisor, "اشتغال", "صادرات", "آب")
    matrix = queries.get_active_matrix(plan.id)
    services.save_judgements(supervisor, plan, {(a.id, b.id): "1/3", (a.id, c.id): "1", (b.id, c.id): "3"},
                             matrix.version, now())
    db.session.commit()
    services.remove_criterion(supervisor, plan, c.id, c.version, now())
    db.session.commit()
    rest = queries.list_criteria(matrix.id)
    assert [x.weight for x in rest] == pytest.approx([0.25, 0.75])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PairwiseJudgement)) == 1
    db.session.execute(sa.update(PairwiseJudgement).values(criterion_a_id=b.id, criterion_b_id=a.id, value=3.0))
    assert judgements.stored_choices(matrix.id, rest) == {(a.id, b.id): "1/3"}


def test_adding_a_criterion_after_ahp_asks_for_the_new_comparisons(world):
    plan, supervisor = world
    a, b = criteria(plan, supervisor, "اشتغال", "صادرات")
    services.save_judgements(supervisor, plan, {(a.id, b.id): "3"}, queries.get_active_matrix(plan.id).version,
                             now())
    db.session.commit()
    (c,) = criteria(plan, supervisor, "آب")
    assert [x.weight for x in (a, b, c)] == [None, None, None]
    judged = judgements.judge([a, b, c], judgements.stored_choices(c.matrix_id, [a, b, c]))
    assert judged.result is None and judged.problem == "همهٔ جفت‌معیارها را مقایسه کنید."


def test_more_than_ten_criteria_cannot_be_compared_pairwise(world):
    plan, supervisor = world
    made = criteria(plan, supervisor, *[f"معیار {i}" for i in range(11)])
    judged = judgements.judge(made, {(x.id, y.id): "1" for x, y in judgements.pairs(made)})
    assert judged.result is None and "حداکثر ۱۰ معیار" in judged.problem


def test_only_supervisors_of_an_open_plan_may_change_the_matrix(world):
    plan, _supervisor = world
    with pytest.raises(AccessDenied):
        services.add_candidate(make_user(role="officer"), plan, "فرش", now())
    with pytest.raises(AccessDenied):
        services.add_criterion(make_user(role="participant"), plan, "اشتغال", "benefit", now())
