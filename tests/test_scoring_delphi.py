"""Who scores and the Delphi round: a round opened for agencies and people (participants get a personal task), a
scorer added to the open round, and a second round where each scorer revises next to the group's first-round
median; both rounds' scores and agreement are kept."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from flask import current_app

from planapp.accounts import invitations
from planapp.audit.models import AuditEvent
from planapp.core.clock import now
from planapp.core.errors import ValidationFailed
from planapp.extensions import db
from planapp.scoring import delphi, queries, rounds, scorers
from planapp.scoring.models import MatrixStatus, RoundTask, Score
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import Task
from tests.concurrency import run_at_once
from tests.factories import make_agency, make_plan, make_user, signed_in
from tests.test_scoring_rounds import SCORES, build, cell, count, post
from tests.test_xss import PAYLOADS, shows_escaped, unescaped_reflections


@pytest.fixture
def world(ctx):
    supervisor = make_user(role="supervisor")
    officer, participant, bystander = (make_user(role="officer"), make_user(role="participant"),
                                       make_user(role="participant"))
    plan = make_plan(supervisor, stage="analysis")
    return plan, supervisor, officer, participant, bystander


def fresh():
    """A client of its own per user (signing in again on one client keeps the first session)."""
    return current_app.test_client()


def personal_tasks(plan) -> list[Task]:
    return list(db.session.scalars(sa.select(Task).where(Task.plan_id == plan.id, Task.assignee_id.is_not(None),
                                                         Task.kind == TaskKind.SCORE_MATRIX).order_by(Task.id)))


# --- people in the round ------------------------------------------------------------------------------------------


def test_a_round_for_an_agency_and_a_participant_gives_the_participant_a_personal_task(world, client):
    plan, supervisor, officer, participant, bystander = world
    matrix = build(plan, supervisor)
    browser = signed_in(fresh(), supervisor)
    page = browser.get(f"/plans/{plan.id}/scoring").text
    assert 'name="user_ids"' in page and f'value="{participant.id}"' in page
    response = post(browser, f"/plans/{plan.id}/scoring/round",
                    {"agency_ids": str(officer.agency_id), "user_ids": str(participant.id), "days": "۷"})
    assert response.status_code == 200 and "۲" in response.text
    [mine] = personal_tasks(plan)
    assert mine.assignee_id == participant.id and mine.agency_id is None
    assert participant.name in response.text and 'id="add-scorer"' in response.text
    assert count(RoundTask, RoundTask.round == 1) == 2
    candidate, criterion = queries.list_candidates(matrix.id)[0], queries.list_criteria(matrix.id)[0]
    # The participant scores on their own task only; another participant (and the officer) cannot reach it.
    assert post(signed_in(fresh(), bystander), *cell(mine, candidate, criterion, "5")).status_code in (403, 404)
    assert post(signed_in(fresh(), officer), *cell(mine, candidate, criterion, "5")).status_code in (403, 404)
    [agency_task] = [t for t in scorers.current_tasks(plan.id, matrix) if t.agency_id]
    mine_browser = signed_in(fresh(), participant)
    assert post(mine_browser, *cell(agency_task, candidate, criterion, "5")).status_code in (403, 404)
    assert count(Score) == 0
    assert 'id="score-grid"' in mine_browser.get(f"/tasks/{mine.id}/").text
    assert post(mine_browser, *cell(mine, candidate, criterion, "۶")).status_code == 200
    assert [(s.user_id, s.task_id, s.value, s.round) for s in db.session.scalars(sa.select(Score))] == [
        (participant.id, mine.id, 6, 1)]


@pytest.mark.parametrize("who", ["supervisor", "inactive", "unknown", "viewer"])
def test_only_active_officers_and_participants_can_be_chosen(world, who):
    plan, supervisor, officer, participant, _bystander = world
    matrix = build(plan, supervisor)
    person = {"supervisor": supervisor, "inactive": make_user(role="participant"),
              "viewer": make_user(role="viewer"), "unknown": None}[who]
    if who == "inactive":
        person.is_active = False
        db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        rounds.open_round(supervisor, plan, [officer.agency_id], "7", now(),
                          [str(person.id) if person else "999999", str(participant.id)])
    assert "فقط" in str(refused.value.message)
    db.session.rollback()
    assert matrix.status == MatrixStatus.DRAFT and count(Task, Task.kind == TaskKind.SCORE_MATRIX) == 0


def test_a_round_needs_an_agency_or_a_person(world):
    plan, supervisor, _officer, participant, _bystander = world
    build(plan, supervisor)
    with pytest.raises(ValidationFailed) as refused:
        rounds.open_round(supervisor, plan, [], "7", now(), [])
    assert "دستگاه" in str(refused.value.message) and "نفر" in str(refused.value.message)
    db.session.rollback()
    assert len(rounds.open_round(supervisor, plan, [], "7", now(), [participant.id])) == 1


@pytest.fixture
def opened(world):
    plan, supervisor, officer, participant, bystander = world
    matrix = build(plan, supervisor)
    made = rounds.open_round(supervisor, plan, [officer.agency_id], "۵", now())
    db.session.commit()
    return plan, supervisor, officer, participant, bystander, matrix, made[0]


def test_a_scorer_is_added_to_the_open_round_due_with_the_others(opened, client):
    plan, supervisor, _officer, participant, _bystander, matrix, task = opened
    browser = signed_in(fresh(), supervisor)
    response = post(browser, f"/plans/{plan.id}/scoring/round/scorers", {"user_id": str(participant.id)})
    assert response.status_code == 200 and participant.name in response.text
    [added] = personal_tasks(plan)
    assert added.due_on == task.due_on and added.assignee_id == participant.id
    assert scorers.task_round(added) == 1 and count(AuditEvent, AuditEvent.action == "scoring.scorer_add") == 1
    again = post(browser, f"/plans/{plan.id}/scoring/round/scorers", {"user_id": str(participant.id)})
    assert "در این دور" in again.text and len(personal_tasks(plan)) == 1
    agency = make_agency()
    db.session.commit()
    post(browser, f"/plans/{plan.id}/scoring/round/scorers", {"agency_id": str(agency.id)})
    assert [t.agency_id for t in scorers.current_tasks(plan.id, matrix) if t.agency_id] == [task.agency_id, agency.id]


@pytest.mark.parametrize(("data", "message"), [("nobody", "یک دستگاه یا یک نفر"), ("both", "یک دستگاه یا یک نفر"),
                                               ("not_a_number", "یک دستگاه یا یک نفر"),
                                               ("agency_again", "در این دور")])
def test_adding_a_scorer_is_refused_in_persian_and_nothing_stored(opened, client, data, message):
    plan, supervisor, officer, participant, _bystander, _matrix, _task = opened
    data = {"nobody": {}, "not_a_number": {"user_id": "abc"},
            "both": {"user_id": str(participant.id), "agency_id": str(make_agency().id)},
            "agency_again": {"agency_id": str(officer.agency_id)}}[data]
    db.session.commit()
    response = post(signed_in(fresh(), supervisor), f"/plans/{plan.id}/scoring/round/scorers", data)
    assert response.status_code == 200 and message in response.text and "flash-error" in response.text
    assert count(Task, Task.kind == TaskKind.SCORE_MATRIX) == 1 and count(RoundTask) == 1


def test_scorers_are_added_only_to_an_open_round_and_by_its_supervisors(world, client):
    plan, supervisor, officer, participant, _bystander = world
    build(plan, supervisor)
    response = post(signed_in(fresh(), supervisor), f"/plans/{plan.id}/scoring/round/scorers",
                    {"user_id": str(participant.id)})
    assert "باز" in response.text and count(Task) == 0
    rounds.open_round(supervisor, plan, [officer.agency_id], "7", now())
    db.session.commit()
    assert post(signed_in(fresh(), officer), f"/plans/{plan.id}/scoring/round/scorers",
                {"user_id": str(participant.id)}).status_code == 403
    assert personal_tasks(plan) == []


def test_results_list_participants_among_who_scored_and_who_did_not(world, client):
    plan, supervisor, officer, participant, bystander = world
    matrix = build(plan, supervisor)
    made = rounds.open_round(supervisor, plan, [officer.agency_id], "7", now(), [participant.id, bystander.id])
    by_person = {t.assignee_id: t for t in made if t.assignee_id}
    for c in queries.list_candidates(matrix.id):
        for k in queries.list_criteria(matrix.id):
            rounds.save_score(participant, by_person[participant.id], c.id, k.id, "5", now())
    results = rounds.close_round(supervisor, plan, now())
    db.session.commit()
    assert [(s["name"], s["participant"]) for s in results["scorers"]] == [(participant.name, True)]
    assert sorted((t["name"], t["participant"]) for t in results["not_scored"]) == sorted(
        [(officer.agency.name, False), (bystander.name, True)])
    page = signed_in(fresh(), supervisor).get(f"/plans/{plan.id}/scoring").text
    assert bystander.name in page.split('id="scoring-not-scored"')[1]


def test_participant_names_and_agencies_are_escaped_in_the_round(world, client):
    """X1: a participant's name and agency (typed by whoever invited them) are text in the form, the task list and
    the results; their scores are whole numbers or refused."""
    plan, supervisor, officer, _participant, _bystander = world
    texts = [f"{payload} {n}" for n, payload in enumerate(PAYLOADS[:4])]
    outsider = make_user(role="participant", name=texts[0], agency=make_agency(name=texts[1]))
    silent = make_user(role="participant", name=texts[2])
    matrix = build(plan, supervisor)
    browser = signed_in(fresh(), supervisor)
    form = browser.get(f"/plans/{plan.id}/scoring").text
    made = rounds.open_round(supervisor, plan, [officer.agency_id], "7", now(), [outsider.id, silent.id])
    db.session.commit()
    task = next(t for t in made if t.assignee_id == outsider.id)
    candidate, criterion = queries.list_candidates(matrix.id)[0], queries.list_criteria(matrix.id)[0]
    refused = post(signed_in(fresh(), outsider), *cell(task, candidate, criterion, texts[3])).text
    assert count(Score) == 0
    for c in queries.list_candidates(matrix.id):
        for k in queries.list_criteria(matrix.id):
            rounds.save_score(outsider, task, c.id, k.id, "4", now())
    db.session.commit()
    listed = signed_in(fresh(), supervisor).get(f"/plans/{plan.id}/scoring").text
    rounds.close_round(supervisor, plan, now())
    db.session.commit()
    results = browser.get(f"/plans/{plan.id}/scoring").text
    for body in (form, listed, results, refused):
        assert not unescaped_reflections(body, texts)
    assert all(shows_escaped(form, text) for text in texts[:3])
    assert shows_escaped(listed, texts[0]) and shows_escaped(results, texts[0]) and shows_escaped(results, texts[2])


# --- closing while a late score arrives ---------------------------------------------------------------------------


def test_a_late_score_while_the_round_closes_is_counted_or_refused_never_lost(opened, app):
    plan, supervisor, officer, participant, _bystander, matrix, task = opened
    extra = scorers.add_scorer(supervisor, plan, None, participant.id, now())
    candidates, criteria = queries.list_candidates(matrix.id), queries.list_criteria(matrix.id)
    cells = [(c.id, k.id) for c in candidates for k in criteria]
    for candidate_id, criterion_id in cells:
        rounds.save_score(officer, task, candidate_id, criterion_id, "6", now())
    for candidate_id, criterion_id in cells[:-1]:
        rounds.save_score(participant, extra, candidate_id, criterion_id, "3", now())
    db.session.commit()
    plan_id, extra_id, officer_id, participant_id = plan.id, extra.id, officer.id, participant.id
    supervisor_id, last = supervisor.id, cells[-1]

    def close():
        from planapp.accounts.models import User
        from planapp.plans.models import Plan
        return ("closed", rounds.close_round(db.session.get(User, supervisor_id), db.session.get(Plan, plan_id),
                                             now())["scorers"])

    def late():
        from planapp.accounts.models import User
        rounds.save_score(db.session.get(User, participant_id), db.session.get(Task, extra_id), *last, "8", now())
        return ("scored", None)

    outcomes, errors = run_at_once(app, [close, late], refusals=ValidationFailed,
                                   as_outcome=lambda error: ("refused", str(error.message)))
    assert not errors
    closed = next(o for o in outcomes if o[0] == "closed")
    cells_counted = {s["user_id"]: s["cells"] for s in closed[1]}
    stored = count(Score, Score.user_id == participant_id)
    assert cells_counted[participant_id] == stored and cells_counted[officer_id] == 4
    if stored == 4:  # the score landed first and is in the results
        assert ("scored", None) in outcomes
    else:  # it came after the close and was refused in Persian
        assert stored == 3 and any(o[0] == "refused" and "بسته" in o[1] for o in outcomes)
    db.session.expire_all()
    assert queries.get_active_matrix(plan_id).status == MatrixStatus.CLOSED


# --- the Delphi round ---------------------------------------------------------------------------------------------


@pytest.fixture
def first_round(world):
    """Three scorers (two officers of different agencies and a participant) score SCORES; round 1 closed."""
    plan, supervisor, officer, participant, _bystander = world
    other = make_user(role="officer")
    matrix = build(plan, supervisor, weights=("3", "1"))
    made = rounds.open_round(supervisor, plan, [officer.agency_id, other.agency_id], "7", now(), [participant.id])
    task_of = {**{t.agency_id: t for t in made if t.agency_id}, **{t.assignee_id: t for t in made if t.assignee_id}}
    candidates, criteria = queries.list_candidates(matrix.id), queries.list_criteria(matrix.id)
    people = {"a": (officer, task_of[officer.agency_id]), "b": (other, task_of[other.agency_id]),
              "c": (participant, task_of[participant.id])}
    for key, (user, task) in people.items():
        for i, candidate in enumerate(candidates):
            for j, criterion in enumerate(criteria):
                rounds.save_score(user, task, candidate.id, criterion.id, str(SCORES[key][i][j]), now())
    rounds.close_round(supervisor, plan, now())
    db.session.commit()
    return plan, supervisor, matrix, candidates, criteria, people


def test_the_delphi_round_shows_the_median_and_keeps_round_one(first_round, client):
    plan, supervisor, matrix, candidates, criteria, people = first_round
    assert matrix.results["round"] == 1 and matrix.results["kendall_w"] == pytest.approx(1 / 9)
    browser = signed_in(fresh(), supervisor)
    assert 'id="second-round"' in browser.get(f"/plans/{plan.id}/scoring").text
    response = post(browser, f"/plans/{plan.id}/scoring/round/second", {"days": "۵"})
    assert response.status_code == 200 and 'id="round-tasks-2"' in response.text
    db.session.expire_all()
    assert matrix.round == 2 and matrix.status == MatrixStatus.OPEN
    second = personal_tasks(plan)[1:]  # the participant's first-round task comes first
    assert sorted(t.assignee_id for t in second) == sorted(u.id for u, _t in people.values())
    assert all(scorers.task_round(t) == 2 for t in second)
    participant, first_task = people["c"]
    mine = next(t for t in second if t.assignee_id == participant.id)
    me = signed_in(fresh(), participant)
    # The first round's task is closed for scoring now; the second shows the median and their own value.
    old = post(me, *cell(first_task, candidates[0], criteria[0], "9"))
    assert "دور ۱" in old.text and count(Score, Score.round == 2) == 0
    page = me.get(f"/tasks/{mine.id}/").text
    assert 'id="delphi-note"' in page
    hint = page.split(f'id="score-{candidates[0].id}-{criteria[0].id}-hint"')[1].split("</span>")[0]
    assert "۷" in hint and "۲" in hint  # median of 7, 9, 2 is 7; their own round-1 score was 2
    assert 'value="۲"' in page  # their round-1 value is filled in
    revised = post(me, *cell(mine, candidates[0], criteria[0], "۹"))
    assert revised.status_code == 200 and "۹" in revised.text
    rounds.save_score(participant, mine, candidates[1].id, criteria[0].id, "3", now())
    db.session.commit()
    first = {(s.user_id, s.candidate_id, s.criterion_id): s.value for s in scorers.scores_of(matrix.id, 1)}
    assert first[(participant.id, candidates[0].id, criteria[0].id)] == 2  # round 1 is kept as it was
    assert count(Score, Score.round == 2) == 2
    response = post(browser, f"/plans/{plan.id}/scoring/round/close", {})
    assert response.status_code == 200 and 'id="scoring-agreement-rounds"' in response.text
    db.session.expire_all()
    results = matrix.results
    # The participant now ranks like the others (9·0.75 + 2·0.25 > 3·0.75 + 8·0.25): agreement goes from 1/9 to 1.
    assert [r["round"] for r in results["rounds"]] == [1, 2]
    assert results["rounds"][0]["kendall_w"] == pytest.approx(1 / 9) and results["kendall_w"] == pytest.approx(1)
    assert results["round_1"]["kendall_w"] == pytest.approx(1 / 9) and results["round"] == 2
    rows = {r["id"]: r for r in results["candidates"]}
    expected = np.mean([[7, 3], [9, 5], [9, 2]], axis=0), np.mean([[5, 5], [3, 7], [3, 8]], axis=0)
    assert rows[candidates[0].id]["mean"] == pytest.approx(list(expected[0]))
    assert rows[candidates[1].id]["mean"] == pytest.approx(list(expected[1]))
    revised_by = {s["user_id"]: s["revised"] for s in results["scorers"]}
    assert revised_by == {u.id: (2 if key == "c" else 0) for key, (u, _t) in people.items()}
    # Those who did not revise are listed: they kept their first-round scores.
    assert sorted(t["name"] for t in results["not_scored"]) == sorted(u.name for k, (u, _t) in people.items()
                                                                      if k != "c")
    assert count(AuditEvent, AuditEvent.action == "scoring.round2_open") == 1


def test_no_third_round_and_none_after_confirmed_cores(first_round, client):
    plan, supervisor, matrix, candidates, _criteria, _people = first_round
    rounds.confirm_cores(supervisor, plan, [candidates[0].id], {candidates[0].id: "ظرفیت"}, now())
    db.session.commit()
    response = post(signed_in(fresh(), supervisor), f"/plans/{plan.id}/scoring/round/second", {"days": "5"})
    assert "تأیید" in response.text and "flash-error" in response.text
    db.session.expire_all()
    assert matrix.round == 1 and matrix.status == MatrixStatus.CLOSED and len(personal_tasks(plan)) == 1
    for candidate in candidates:
        candidate.confirmed_at = None
    db.session.commit()
    delphi.open_second_round(supervisor, plan, "5", now())
    db.session.commit()
    with pytest.raises(ValidationFailed):
        delphi.open_second_round(supervisor, plan, "5", now())


@pytest.mark.parametrize("days", ["0", "abc", "91"])
def test_a_second_round_with_bad_days_is_refused_and_nothing_stored(first_round, client, days):
    plan, supervisor, matrix, *_rest = first_round
    response = post(signed_in(fresh(), supervisor), f"/plans/{plan.id}/scoring/round/second", {"days": days})
    assert "۹۰" in response.text
    db.session.expire_all()
    assert matrix.round == 1 and count(RoundTask, RoundTask.round == 2) == 0


def test_a_second_round_follows_a_closed_first_round_only(opened, client):
    plan, supervisor, officer, *_rest = opened
    response = post(signed_in(fresh(), supervisor), f"/plans/{plan.id}/scoring/round/second", {"days": "5"})
    assert "flash-error" in response.text and count(RoundTask, RoundTask.round == 2) == 0
    assert post(signed_in(fresh(), officer), f"/plans/{plan.id}/scoring/round/second",
                {"days": "5"}).status_code == 403


def test_a_participant_invited_by_email_to_a_round_task_scores_and_is_listed(opened, client):
    """The invitation flow of accounts (a guest of one task) brings a new participant into the round."""
    plan, supervisor, _officer, _participant, _bystander, matrix, task = opened
    page = signed_in(fresh(), supervisor).get(f"/plans/{plan.id}/scoring").text
    assert f"/invitations/?task={task.id}" in page
    invited = invitations.invite_participant(supervisor, {"email": "ngo@example.ir", "name": "انجمن فرش",
                                                          "agency_id": task.agency_id, "task_id": task.id}, now(), 7)
    invited.user.is_active = True  # as if the link was used
    for c in queries.list_candidates(matrix.id):
        for k in queries.list_criteria(matrix.id):
            rounds.save_score(invited.user, task, c.id, k.id, "6", now())
    results = rounds.close_round(supervisor, plan, now())
    assert [(s["name"], s["participant"]) for s in results["scorers"]] == [("انجمن فرش", True)]


def test_round_two_lists_who_did_not_revise_not_the_guests_left_out_of_it(world, client):
    """Round 1: the officer scored on their agency's task, the participant on their own, and a guest invited to the
    agency's task did not (listed, with the agency). Round 2 asks the round-1 scorers only; its list is who saved no
    revision (named with their agency, their first-round scores counting), not the guest, who was not asked again."""
    plan, supervisor, officer, participant, _bystander = world
    matrix = build(plan, supervisor)
    made = rounds.open_round(supervisor, plan, [officer.agency_id], "7", now(), [participant.id])
    agency_task, own = made
    guest = invitations.invite_participant(supervisor, {"email": "guest@example.ir", "name": "مهمان دستگاه",
                                                        "task_id": agency_task.id}, now(), 7).user
    cells = [(c.id, k.id) for c in queries.list_candidates(matrix.id) for k in queries.list_criteria(matrix.id)]
    for user, task in ((officer, agency_task), (participant, own)):
        for candidate_id, criterion_id in cells:
            rounds.save_score(user, task, candidate_id, criterion_id, "5", now())
    first = rounds.close_round(supervisor, plan, now())
    assert [(t["name"], t["agency"], t["guest"]) for t in first["not_scored"]] == [
        ("مهمان دستگاه", officer.agency.name, True)]
    second = delphi.open_second_round(supervisor, plan, "5", now())
    assert sorted(t.assignee_id for t in second) == sorted([officer.id, participant.id])
    mine = next(t for t in second if t.assignee_id == participant.id)
    rounds.save_score(participant, mine, *cells[0], "9", now())
    results = rounds.close_round(supervisor, plan, now())
    db.session.commit()
    assert [(t["name"], t["agency"], t["guest"]) for t in results["not_scored"]] == [
        (officer.name, officer.agency.name, False)]
    assert {s["user_id"]: s["revised"] for s in results["scorers"]} == {officer.id: 0, participant.id: 1}
    page = signed_in(fresh(), supervisor).get(f"/plans/{plan.id}/scoring/results").text
    assert "چه کسانی در دور ۲ بازنگری نکردند" in page and "چه کسانی امتیاز ندادند" not in page
    silent = page.split('id="results-not-scored"')[1].split("</ul>")[0]
    assert f"{officer.name} ({officer.agency.name})" in silent
    assert guest.name not in silent and participant.name not in silent
