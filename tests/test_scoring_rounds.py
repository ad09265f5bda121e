"""The scoring round: a supervisor opens it (one scoring task per agency, the matrix frozen), and stakeholders score
each cell 1–9 on their task page, saved as they change it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa

from planapp.audit.models import AuditEvent
from planapp.core.clock import now
from planapp.core.errors import Conflict, ValidationFailed
from planapp.extensions import db
from planapp.plans.workflow import Stage
from planapp.scoring import queries, rounds, services
from planapp.scoring.models import MatrixStatus, Score
from planapp.tasks import services as task_services
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task, task_guests
from tests.factories import make_agency, make_plan, make_user, signed_in
from tests.test_xss import PAYLOADS, shows_escaped, unescaped_reflections


def post(client, url, data):
    return client.post(url, data=data, headers={"HX-Request": "true"})


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def build(plan, supervisor, candidates=("گردشگری", "فرش"), criteria=("اشتغال", "آب"), weights=("3", "1")):
    for name in candidates:
        services.add_candidate(supervisor, plan, name, now())
    made = [services.add_criterion(supervisor, plan, name, "benefit", now()) for name in criteria]
    matrix = queries.get_active_matrix(plan.id)
    if weights:
        services.set_direct_weights(supervisor, plan, {c.id: w for c, w in zip(made, weights, strict=True)},
                                    matrix.version, now())
    db.session.commit()
    return matrix


@pytest.fixture
def world(ctx):
    supervisor = make_user(role="supervisor")
    officer, other = make_user(role="officer"), make_user(role="officer")
    plan = make_plan(supervisor, stage="analysis")
    return plan, supervisor, officer, other


@pytest.fixture
def opened(world):
    plan, supervisor, officer, other = world
    matrix = build(plan, supervisor)
    [task] = rounds.open_round(supervisor, plan, [officer.agency_id], "۵", now())
    db.session.commit()
    return plan, supervisor, officer, other, matrix, task


def test_a_supervisor_opens_the_round_from_the_scoring_page(world, client):
    plan, supervisor, officer, other = world
    matrix = build(plan, supervisor)
    browser = signed_in(client, supervisor)
    page = browser.get(f"/plans/{plan.id}/scoring").text
    assert 'id="scoring-round"' in page and f'value="{officer.agency_id}"' in page
    response = post(browser, f"/plans/{plan.id}/scoring/round",
                    {"agency_ids": [str(officer.agency_id), str(other.agency_id)], "days": "۱۰"})
    assert response.status_code == 200
    db.session.expire_all()
    assert matrix.status == MatrixStatus.OPEN and matrix.version > 1
    made = db.session.scalars(sa.select(Task).where(Task.plan_id == plan.id, Task.kind == TaskKind.SCORE_MATRIX)).all()
    assert sorted(t.agency_id for t in made) == sorted([officer.agency_id, other.agency_id])
    assert all((t.due_on - made[0].created_at.date()).days in (9, 10, 11) for t in made)
    assert count(AuditEvent, AuditEvent.action == "scoring.round_open") == 1
    assert "/tasks/" in response.text  # the round's tasks are listed
    # The structure is frozen.
    refused = post(browser, f"/plans/{plan.id}/scoring/candidates", {"name": "صنایع غذایی"})
    assert "پیش‌نویس" in refused.text
    with pytest.raises(ValidationFailed):
        services.editable(matrix)


@pytest.mark.parametrize(("setup", "data", "message"), [
    ({"candidates": ("گردشگری",)}, {}, "دو گزینه"),
    ({"criteria": ("اشتغال",), "weights": ("1",)}, {}, "دو معیار"),
    ({"weights": None}, {}, "وزن"),
    ({}, {"agency_ids": None}, "دستگاه"),
    ({}, {"days": "0"}, "۹۰"),
    ({}, {"days": "abc"}, "۹۰"),
])
def test_a_round_that_cannot_open_is_refused_in_persian(world, client, setup, data, message):
    plan, supervisor, officer, _other = world
    matrix = build(plan, supervisor, **setup)
    data = {key: value for key, value in {"agency_ids": str(officer.agency_id), "days": "7", **data}.items()
            if value is not None}
    response = post(signed_in(client, supervisor), f"/plans/{plan.id}/scoring/round", data)
    assert response.status_code == 200 and message in response.text
    db.session.expire_all()
    assert matrix.status == MatrixStatus.DRAFT and count(Task, Task.kind == TaskKind.SCORE_MATRIX) == 0


def test_only_a_plans_supervisor_opens_a_round(world, client):
    plan, supervisor, officer, _other = world
    build(plan, supervisor)
    response = post(signed_in(client, officer), f"/plans/{plan.id}/scoring/round",
                    {"agency_ids": str(officer.agency_id), "days": "7"})
    assert response.status_code in (403, 404)
    assert count(Task, Task.kind == TaskKind.SCORE_MATRIX) == 0


def test_an_inactive_agency_is_refused_and_a_second_opening_too(world):
    plan, supervisor, officer, _other = world
    build(plan, supervisor)
    closed = make_agency()
    closed.is_active = False
    db.session.commit()
    with pytest.raises(ValidationFailed):
        rounds.open_round(supervisor, plan, [closed.id], "7", now())
    db.session.rollback()
    rounds.open_round(supervisor, plan, [officer.agency_id], "7", now())
    db.session.commit()
    with pytest.raises(ValidationFailed):
        rounds.open_round(supervisor, plan, [officer.agency_id], "7", now())


def cell(task, candidate, criterion, value):
    return (f"/tasks/{task.id}/scores", {"candidate_id": str(candidate.id), "criterion_id": str(criterion.id),
                                         f"score-{candidate.id}-{criterion.id}": value})


def test_an_officer_scores_cell_by_cell_and_resumes(opened, client):
    plan, _supervisor, officer, _other, matrix, task = opened
    candidates, criteria = queries.list_candidates(matrix.id), queries.list_criteria(matrix.id)
    browser = signed_in(client, officer)
    page = browser.get(f"/tasks/{task.id}/").text
    assert 'id="score-grid"' in page and 'hx-trigger="change"' in page and "۰ از ۴" in page
    response = post(browser, *cell(task, candidates[0], criteria[0], "۷"))
    assert response.status_code == 200
    assert f'id="score-cell-{candidates[0].id}-{criteria[0].id}"' in response.text
    assert 'id="score-progress" hx-swap-oob="true"' in response.text and "۱ از ۴" in response.text
    post(browser, *cell(task, candidates[1], criteria[1], "3"))
    post(browser, *cell(task, candidates[0], criteria[0], "8"))  # changed
    scores = {(s.candidate_id, s.criterion_id): s.value for s in db.session.scalars(sa.select(Score))}
    assert scores == {(candidates[0].id, criteria[0].id): 8, (candidates[1].id, criteria[1].id): 3}
    assert all(s.user_id == officer.id and s.task_id == task.id for s in db.session.scalars(sa.select(Score)))
    assert count(AuditEvent, AuditEvent.action == "scoring.score") == 3
    again = browser.get(f"/tasks/{task.id}/").text  # resumable: the values come back
    assert 'value="۸"' in again and 'value="۳"' in again and "۲ از ۴" in again
    post(browser, *cell(task, candidates[1], criteria[1], ""))  # blank clears the cell
    assert count(Score) == 1 and count(AuditEvent, AuditEvent.action == "scoring.score_clear") == 1


def test_a_scoring_task_before_any_matrix_says_the_round_is_not_open_yet(world, client):
    """The analysis stage's template makes a scoring task before the supervisor builds the matrix: its page says the
    round has not opened yet (the grid comes then), not that the task collects no scores."""
    plan, supervisor, officer, _other = world
    early = task_services.create_task(supervisor, plan, {"title": "امتیازدهی", "description": "شرح",
                                                         "kind": TaskKind.SCORE_MATRIX, "agency_id": officer.agency_id,
                                                         "due_on": date(2026, 12, 20)}, now())
    report = task_services.create_task(supervisor, plan, {"title": "گزارش", "description": "شرح", "kind": "other",
                                                          "agency_id": officer.agency_id,
                                                          "due_on": date(2026, 12, 20)}, now())
    db.session.commit()
    assert queries.get_active_matrix(plan.id) is None
    assert "هنوز آغاز نشده" in rounds.scoring_refusal(officer, early, None)
    assert "برای امتیازدهی نیست" in rounds.scoring_refusal(officer, report, None)
    page = signed_in(client, officer).get(f"/tasks/{early.id}/").text
    assert "دور امتیازدهی هنوز آغاز نشده است" in page and "این کار برای امتیازدهی نیست" not in page


@pytest.mark.parametrize("value", ["0", "10", "abc", "۱۰", "2.5", "-3"])
def test_a_bad_score_is_refused_in_persian_and_nothing_stored(opened, client, value):
    _plan, _supervisor, officer, _other, matrix, task = opened
    candidate, criterion = queries.list_candidates(matrix.id)[0], queries.list_criteria(matrix.id)[0]
    response = post(signed_in(client, officer), *cell(task, candidate, criterion, value))
    assert response.status_code == 200 and "عددی صحیح از ۱ تا ۹" in response.text
    assert 'aria-invalid="true"' in response.text
    assert count(Score) == 0


def test_another_agency_and_foreign_cells_are_404(opened, client, ctx):
    plan, supervisor, officer, other, matrix, task = opened
    candidate, criterion = queries.list_candidates(matrix.id)[0], queries.list_criteria(matrix.id)[0]
    assert post(signed_in(client, other), *cell(task, candidate, criterion, "5")).status_code == 404
    foreign_plan = make_plan(supervisor, stage="analysis")
    foreign = build(foreign_plan, supervisor, candidates=("الف", "ب"))
    alien = queries.list_candidates(foreign.id)[0]
    browser = signed_in(client, officer)
    assert post(browser, *cell(task, alien, criterion, "5")).status_code == 404
    assert count(Score) == 0


def test_a_participant_scores_only_as_a_guest_of_the_task(opened, client):
    _plan, _supervisor, _officer, _other, matrix, task = opened
    guest = make_user(role="participant")  # another agency, not (yet) a guest of the task
    candidate, criterion = queries.list_candidates(matrix.id)[0], queries.list_criteria(matrix.id)[0]
    browser = signed_in(client, guest)
    assert post(browser, *cell(task, candidate, criterion, "5")).status_code == 404
    assert count(Score) == 0
    db.session.execute(task_guests.insert().values(task_id=task.id, user_id=guest.id))
    db.session.commit()
    assert post(browser, *cell(task, candidate, criterion, "5")).status_code == 200
    assert [(s.user_id, s.value) for s in db.session.scalars(sa.select(Score))] == [(guest.id, 5)]


def test_scoring_is_refused_once_the_task_is_done_or_the_round_closed(opened, client):
    _plan, _supervisor, officer, _other, matrix, task = opened
    candidate, criterion = queries.list_candidates(matrix.id)[0], queries.list_criteria(matrix.id)[0]
    browser = signed_in(client, officer)
    matrix.status = MatrixStatus.CLOSED
    db.session.commit()
    response = post(browser, *cell(task, candidate, criterion, "5"))
    assert response.status_code == 200 and "بسته" in response.text and count(Score) == 0
    assert 'name="score-' not in browser.get(f"/tasks/{task.id}/").text  # read-only grid
    matrix.status = MatrixStatus.OPEN
    task.status = TaskStatus.SUBMITTED
    db.session.commit()
    response = post(browser, *cell(task, candidate, criterion, "5"))
    assert response.status_code == 200 and "دیگر برای امتیازدهی باز نیست" in response.text and count(Score) == 0


def test_names_in_the_grid_are_escaped(world, client):
    """X1: candidate and criterion names are text on the scorer's task page and in a saved cell."""
    plan, supervisor, officer, _other = world
    texts = [f"{payload} {n}" for n, payload in enumerate(PAYLOADS[:4])]
    matrix = build(plan, supervisor, candidates=texts[:2], criteria=texts[2:])
    [task] = rounds.open_round(supervisor, plan, [officer.agency_id], "7", now())
    db.session.commit()
    browser = signed_in(client, officer)
    page = browser.get(f"/tasks/{task.id}/").text
    candidate, criterion = queries.list_candidates(matrix.id)[0], queries.list_criteria(matrix.id)[0]
    saved = post(browser, *cell(task, candidate, criterion, "<b>5</b>")).text
    for body in (page, saved):
        assert not unescaped_reflections(body, texts + ["<b>5</b>"])
    assert all(shows_escaped(page, text) for text in texts)
    for c in queries.list_candidates(matrix.id):
        for k in queries.list_criteria(matrix.id):
            rounds.save_score(officer, task, c.id, k.id, str(2 + c.position + k.position), now())
    rounds.close_round(supervisor, plan, now())
    db.session.commit()


def test_results_show_names_escaped(world, client):
    """X1: candidate, criterion, scorer and agency names in the closed round's results are text."""
    plan, supervisor, _officer, _other = world
    texts = [f"{payload} {n}" for n, payload in enumerate(PAYLOADS[:6])]
    officer = make_user(role="officer", name=texts[4], agency=make_agency(name=texts[5]))
    silent = make_agency(name=PAYLOADS[2])
    matrix = build(plan, supervisor, candidates=texts[:2], criteria=texts[2:4])
    task, _ = rounds.open_round(supervisor, plan, [officer.agency_id, silent.id], "7", now())
    for c in queries.list_candidates(matrix.id):
        for k in queries.list_criteria(matrix.id):
            rounds.save_score(officer, task, c.id, k.id, str(2 + c.position + k.position), now())
    rounds.close_round(supervisor, plan, now())
    db.session.commit()
    page = signed_in(client, supervisor).get(f"/plans/{plan.id}/scoring").text
    assert 'id="scoring-results"' in page
    assert not unescaped_reflections(page, [*texts, PAYLOADS[2]])
    assert all(shows_escaped(page, text) for text in [*texts, PAYLOADS[2]])


# --- closing the round --------------------------------------------------------------------------------------------

# Three scorers, two candidates, two benefit criteria weighted 0.75 / 0.25 (rows: candidates; columns: criteria).
SCORES = {"a": [[7, 3], [5, 5]], "b": [[9, 5], [3, 7]], "c": [[2, 2], [8, 8]]}
WEIGHTS = np.array([0.75, 0.25])


def expected_numbers():
    """The formulas of the issue worked independently of planapp.analytics."""
    x = np.mean([np.array(v, dtype=float) for v in SCORES.values()], axis=0)  # every cell scored by all three
    lo, hi = x.min(axis=0), x.max(axis=0)
    weighted = ((x - lo) / (hi - lo)) @ WEIGHTS
    v = x / np.sqrt((x ** 2).sum(axis=0)) * WEIGHTS
    d_plus = np.sqrt(((v - v.max(axis=0)) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - v.min(axis=0)) ** 2).sum(axis=1))
    closeness = d_minus / (d_plus + d_minus)
    # Kendall's W over each scorer's weighted total per candidate: a 6 vs 5, b 8 vs 4, c 2 vs 8 (no ties).
    totals = np.array([np.array(s) @ WEIGHTS for s in SCORES.values()])
    ranks = totals.argsort(axis=1).argsort(axis=1) + 1
    m, n = ranks.shape
    s = ((ranks.sum(axis=0) - m * (n + 1) / 2) ** 2).sum()
    return x, weighted, closeness, 12 * s / (m * m * (n ** 3 - n))


@pytest.fixture
def three_scorers(world):
    plan, supervisor, officer, other = world
    third, silent = make_user(role="officer"), make_user(role="officer")
    matrix = build(plan, supervisor, weights=("3", "1"))
    made = rounds.open_round(supervisor, plan, [u.agency_id for u in (officer, other, third, silent)], "7", now())
    db.session.commit()
    by_agency = {t.agency_id: t for t in made}
    candidates, criteria = queries.list_candidates(matrix.id), queries.list_criteria(matrix.id)
    for key, user in zip(SCORES, (officer, other, third), strict=True):
        for i, candidate in enumerate(candidates):
            for j, criterion in enumerate(criteria):
                rounds.save_score(user, by_agency[user.agency_id], candidate.id, criterion.id,
                                  str(SCORES[key][i][j]), now())
    db.session.commit()
    return plan, supervisor, matrix, candidates, silent


def test_closing_ranks_with_both_methods_and_measures_agreement(three_scorers, client):
    plan, supervisor, matrix, candidates, silent = three_scorers
    response = post(signed_in(client, supervisor), f"/plans/{plan.id}/scoring/round/close", {})
    assert response.status_code == 200 and 'id="scoring-results"' in response.text
    db.session.expire_all()
    assert matrix.status == MatrixStatus.CLOSED
    results = matrix.results
    mean, weighted, closeness, w = expected_numbers()
    rows = {r["id"]: r for r in results["candidates"]}
    for i, candidate in enumerate(candidates):
        assert rows[candidate.id]["mean"] == pytest.approx(list(mean[i]))
        assert rows[candidate.id]["weighted_sum"] == pytest.approx(weighted[i])
        assert rows[candidate.id]["topsis"] == pytest.approx(closeness[i])
        assert 0 <= rows[candidate.id]["p_top"] <= 1
    assert results["kendall_w"] == pytest.approx(w) and w == pytest.approx(1 / 9)
    # The methods disagree here: the weighted sum puts the first candidate first (0.75 against 0.25), TOPSIS the
    # second (its lead on the lighter criterion is the larger after vector normalisation); the list follows TOPSIS.
    assert closeness[1] > closeness[0] and weighted[0] > weighted[1]
    assert (rows[candidates[0].id]["rank_weighted_sum"], rows[candidates[0].id]["rank_topsis"]) == (1, 2)
    assert [r["id"] for r in results["candidates"]] == [candidates[1].id, candidates[0].id]
    # Of two candidates "the top k" is the first place alone; the chances of it add up to one, and the TOPSIS
    # leader at the given weights keeps it in most draws of weights around them.
    assert results["top_k"] == 1
    assert sum(r["p_top"] for r in results["candidates"]) == pytest.approx(1)
    assert rows[candidates[1].id]["p_top"] > rows[candidates[0].id]["p_top"]
    assert len(results["scorers"]) == 3 and all(s["cells"] == 4 for s in results["scorers"])
    assert [t["name"] for t in results["not_scored"]] == [silent.agency.name]
    assert count(AuditEvent, AuditEvent.action == "scoring.round_close") == 1
    assert "ضریب" in response.text or "W" in response.text
    assert silent.agency.name in response.text


def test_closing_cancels_the_work_left_on_the_round_and_keeps_submissions_for_review(three_scorers, client):
    plan, supervisor, matrix, _candidates, silent = three_scorers
    tasks = {t.agency_id: t for t in rounds.round_tasks(plan.id)}
    submitted = next(t for agency, t in tasks.items() if agency != silent.agency_id)
    submitted.status = TaskStatus.SUBMITTED
    db.session.commit()
    rounds.close_round(supervisor, plan, now())
    db.session.commit()
    db.session.expire_all()
    statuses = {agency: t.status for agency, t in tasks.items()}
    # The silent agency never scored, two scored without submitting: their tasks can change nothing now, so nobody
    # is reminded of them; the submission waits for the supervisor.
    assert statuses.pop(submitted.agency_id) == TaskStatus.SUBMITTED
    assert set(statuses.values()) == {TaskStatus.CANCELLED} and len(statuses) == 3
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "task.cancel_round_closed")).all()
    assert sorted(e.object_id for e in events) == sorted(t.id for a, t in tasks.items() if a != submitted.agency_id)
    assert all(e.after == {"status": "cancelled", "matrix_id": matrix.id, "round": 1} for e in events)
    # Their scores still count, and the task's history says why it was cancelled.
    assert len(matrix.results["scorers"]) == 3
    officer_task = tasks[silent.agency_id]
    page = signed_in(client, silent).get(f"/tasks/{officer_task.id}/").text
    assert "دور امتیازدهی بسته شد" in page


def test_one_scorer_gives_results_without_agreement(world, client):
    plan, supervisor, officer, _other = world
    matrix = build(plan, supervisor)
    [task] = rounds.open_round(supervisor, plan, [officer.agency_id], "7", now())
    for candidate in queries.list_candidates(matrix.id):
        for n, criterion in enumerate(queries.list_criteria(matrix.id)):
            rounds.save_score(officer, task, candidate.id, criterion.id, str(3 + n + candidate.position), now())
    db.session.commit()
    response = post(signed_in(client, supervisor), f"/plans/{plan.id}/scoring/round/close", {})
    assert response.status_code == 200 and "دست‌کم دو امتیازدهنده" in response.text
    db.session.expire_all()
    assert matrix.status == MatrixStatus.CLOSED and matrix.results["kendall_w"] is None


def test_a_round_with_an_unscored_cell_or_no_scores_stays_open(opened, client):
    plan, supervisor, officer, _other, matrix, task = opened
    browser = signed_in(client, supervisor)
    response = post(browser, f"/plans/{plan.id}/scoring/round/close", {})
    assert response.status_code == 200 and "هنوز کسی امتیاز نداده" in response.text
    candidate, criterion = queries.list_candidates(matrix.id)[0], queries.list_criteria(matrix.id)[0]
    rounds.save_score(officer, task, candidate.id, criterion.id, "5", now())
    db.session.commit()
    response = post(browser, f"/plans/{plan.id}/scoring/round/close", {})
    assert response.status_code == 200 and "flash-error" in response.text
    db.session.expire_all()
    assert matrix.status == MatrixStatus.OPEN and matrix.results is None
    assert count(AuditEvent, AuditEvent.action == "scoring.round_close") == 0


def test_closing_a_draft_is_refused(world, client):
    plan, supervisor, _officer, _other = world
    build(plan, supervisor)
    response = post(signed_in(client, supervisor), f"/plans/{plan.id}/scoring/round/close", {})
    assert response.status_code == 200 and "فقط دور امتیازدهی باز" in response.text


def test_an_officer_may_not_close_the_round(opened, client):
    plan, _supervisor, officer, _other, matrix, _task = opened
    assert post(signed_in(client, officer), f"/plans/{plan.id}/scoring/round/close", {}).status_code == 403
    db.session.expire_all()
    assert matrix.status == MatrixStatus.OPEN


# --- confirming the driving cores ---------------------------------------------------------------------------------


@pytest.fixture
def closed_round(world):
    """Four candidates scored by one officer (the fourth last by both methods, outside the top 3), round closed."""
    plan, supervisor, officer, _other = world
    matrix = build(plan, supervisor, candidates=("گردشگری", "فرش", "زعفران", "معدن"))
    [task] = rounds.open_round(supervisor, plan, [officer.agency_id], "7", now())
    for n, candidate in enumerate(queries.list_candidates(matrix.id)):
        for criterion in queries.list_criteria(matrix.id):
            rounds.save_score(officer, task, candidate.id, criterion.id, str(9 - 2 * n), now())
    rounds.close_round(supervisor, plan, now())
    db.session.commit()
    return plan, supervisor, officer, matrix, queries.list_candidates(matrix.id)


def test_past_analysis_the_matrix_and_cores_are_read_only_until_the_plan_is_sent_back(closed_round, client):
    plan, supervisor, _officer, matrix, candidates = closed_round
    rounds.confirm_cores(supervisor, plan, [candidates[0].id], {}, now())
    plan.stage = Stage.GOALS  # the goals stage builds on these cores
    db.session.commit()
    browser = signed_in(client, supervisor)
    response = post(browser, f"/plans/{plan.id}/scoring/cores", {"core": [str(candidates[1].id)]})
    assert response.status_code == 409 and "مرحله تحلیل" in response.text
    page = browser.get(f"/plans/{plan.id}/scoring").text  # read, without the forms that would be refused
    assert 'id="scoring-read-only"' in page and "/scoring/cores" not in page and "/scoring/candidates" not in page
    with pytest.raises(Conflict):
        services.add_candidate(supervisor, plan, "زعفران", now())
    db.session.rollback()
    db.session.expire_all()
    assert [c.id for c in rounds.confirmed_cores(plan.id)] == [candidates[0].id]
    assert count(AuditEvent, AuditEvent.action == "scoring.cores_confirm") == 1
    plan.stage = Stage.ANALYSIS  # sent back: the supervisor may choose again
    db.session.commit()
    assert post(browser, f"/plans/{plan.id}/scoring/cores", {"core": [str(candidates[1].id)]}).status_code == 200
    db.session.expire_all()
    assert [c.id for c in rounds.confirmed_cores(plan.id)] == [candidates[1].id]


def test_the_supervisor_confirms_top_cores_and_another_with_a_reason(closed_round, client):
    plan, supervisor, _officer, matrix, candidates = closed_round
    assert rounds.top_ranked(matrix.results) == {c.id for c in candidates[:3]}
    browser = signed_in(client, supervisor)
    url = f"/plans/{plan.id}/scoring/cores"
    refused = post(browser, url, {"core": [str(candidates[0].id), str(candidates[3].id)]})
    assert refused.status_code == 200 and "دلیل" in refused.text
    db.session.expire_all()
    assert rounds.confirmed_cores(plan.id) == []
    response = post(browser, url, {"core": [str(candidates[0].id), str(candidates[3].id)],
                                   f"reason-{candidates[3].id}": "  ظرفیت   صادراتی  "})
    assert response.status_code == 200 and 'id="scoring-cores"' in response.text
    db.session.expire_all()
    cores = rounds.confirmed_cores(plan.id)
    assert [(c.id, c.confirm_reason) for c in cores] == [(candidates[0].id, ""), (candidates[3].id, "ظرفیت صادراتی")]
    assert count(AuditEvent, AuditEvent.action == "scoring.cores_confirm") == 1
    post(browser, url, {"core": [str(candidates[1].id)]})  # a new choice replaces the old
    db.session.expire_all()
    assert [c.id for c in rounds.confirmed_cores(plan.id)] == [candidates[1].id]


@pytest.mark.parametrize("data", [{}, {"core": "abc"}, {"core": "999999"}])
def test_bad_core_choices_are_refused_in_persian(closed_round, client, data):
    plan, supervisor, *_rest = closed_round
    response = post(signed_in(client, supervisor), f"/plans/{plan.id}/scoring/cores", data)
    assert response.status_code == 200 and "flash-error" in response.text
    db.session.expire_all()
    assert rounds.confirmed_cores(plan.id) == []


def test_cores_are_confirmed_only_after_the_round(opened, client):
    plan, supervisor, _officer, _other, matrix, _task = opened
    candidate = queries.list_candidates(matrix.id)[0]
    response = post(signed_in(client, supervisor), f"/plans/{plan.id}/scoring/cores", {"core": str(candidate.id)})
    assert response.status_code == 200 and "پیش از" in response.text
    assert rounds.confirmed_cores(plan.id) == []


def test_a_reason_is_shown_escaped(closed_round, client):
    plan, supervisor, _officer, _matrix, candidates = closed_round
    rounds.confirm_cores(supervisor, plan, [candidates[3].id], {candidates[3].id: PAYLOADS[1]}, now())
    db.session.commit()
    page = signed_in(client, supervisor).get(f"/plans/{plan.id}/scoring").text
    assert not unescaped_reflections(page, [PAYLOADS[1]]) and shows_escaped(page, PAYLOADS[1])


def test_an_agencys_waiting_scoring_task_is_reused_and_shows_the_draft_state(world, client):
    """The analysis stage's template already gives agencies a scoring task: the round uses it, not a second one."""
    plan, supervisor, officer, other = world
    matrix = build(plan, supervisor)
    waiting = task_services.create_task(supervisor, plan, {"title": "امتیازدهی ماتریس معیارها",
                                                           "kind": TaskKind.SCORE_MATRIX,
                                                           "agency_id": officer.agency_id,
                                                           "due_on": date(2099, 1, 3)}, now())
    db.session.commit()
    page = signed_in(client, officer).get(f"/tasks/{waiting.id}/").text
    assert "هنوز آغاز نشده" in page and 'name="score-' not in page
    made = rounds.open_round(supervisor, plan, [officer.agency_id, other.agency_id], "7", now())
    db.session.commit()
    assert waiting.id in [t.id for t in made] and len(made) == 2
    assert count(Task, Task.kind == TaskKind.SCORE_MATRIX) == 2
    assert matrix.status == MatrixStatus.OPEN
    assert 'name="score-' in client.get(f"/tasks/{waiting.id}/").text


def test_a_waiting_scoring_task_of_an_agency_left_out_is_cancelled_and_never_counted(world, client):
    """The stage template gives several agencies a scoring task; the supervisor chooses who scores. The others'
    tasks are cancelled when the round opens (no reminders for nothing), cannot score, and are not listed among
    those who did not score."""
    plan, supervisor, officer, other = world
    matrix = build(plan, supervisor)
    waiting = {user.id: task_services.create_task(supervisor, plan, {
        "title": "امتیازدهی ماتریس معیارها", "kind": TaskKind.SCORE_MATRIX, "agency_id": user.agency_id,
        "due_on": date(2099, 1, 3)}, now()) for user in (officer, other)}
    db.session.commit()
    [chosen] = rounds.open_round(supervisor, plan, [officer.agency_id], "7", now())
    db.session.commit()
    left_out = waiting[other.id]
    db.session.expire_all()
    assert chosen.id == waiting[officer.id].id and left_out.status == TaskStatus.CANCELLED
    assert [e.object_id for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "task.cancel_not_chosen"))] == [left_out.id]
    candidate, criterion = queries.list_candidates(matrix.id)[0], queries.list_criteria(matrix.id)[0]
    response = post(signed_in(client, other), *cell(left_out, candidate, criterion, "5"))
    assert response.status_code == 200 and count(Score) == 0
    assert "دور امتیازدهی بدون این دستگاه" in client.get(f"/tasks/{left_out.id}/").text
    for c in queries.list_candidates(matrix.id):
        for k in queries.list_criteria(matrix.id):
            rounds.save_score(officer, chosen, c.id, k.id, "6", now())
    results = rounds.close_round(supervisor, plan, now())
    db.session.commit()
    assert results["not_scored"] == [] and [s["user_id"] for s in results["scorers"]] == [officer.id]
