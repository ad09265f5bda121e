"""The results page of a plan's scoring round, its XLSX/CSV export, who may read them, and the plain-data results
the plan document will read (planapp.scoring.report)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook

from planapp.accounts import invitations
from planapp.core.clock import now
from planapp.extensions import db
from planapp.scoring import queries, report, rounds, services
from planapp.scoring.models import CriterionKind, MatrixStatus
from planapp.tasks.models import task_guests
from tests.factories import make_agency, make_plan, make_user, signed_in
from tests.scoring_data import closed_round
from tests.sql_helpers import count_statements
from tests.test_scoring_rounds import build
from tests.test_xss import PAYLOADS, shows_escaped, unescaped_reflections


@pytest.fixture
def world(ctx):
    supervisor = make_user(role="supervisor")
    scorers = [make_user(role="officer", name=f"کارشناس {n}", agency=make_agency(name=f"دستگاه {n}"))
               for n in range(3)]
    return make_plan(supervisor, stage="analysis"), supervisor, scorers


@pytest.fixture
def closed(world):
    plan, supervisor, scorers = world
    matrix = closed_round(plan, supervisor, scorers, candidates=("گردشگری", "فرش", "زعفران"))
    first = matrix.results["candidates"][0]["id"]
    last = matrix.results["candidates"][-1]["id"]
    rounds.confirm_cores(supervisor, plan, [first, last], {last: "ظرفیت صادراتی"}, now())
    db.session.commit()
    return plan, supervisor, scorers, matrix


def results_url(plan) -> str:
    return f"/plans/{plan.id}/scoring/results"


def page_part(html: str) -> str:
    """The results page's own content (the layout has forms of its own: language, sign-out)."""
    return html[html.index('id="scoring-results-page"'):]


# --- the page ---------------------------------------------------------------------------------------------------


def test_the_results_page_shows_the_round(closed, client):
    plan, supervisor, scorers, matrix = closed
    db.session.expire_all()
    results = matrix.results
    page = signed_in(client, supervisor).get(results_url(plan))
    assert page.status_code == 200
    html = page.text
    # Both rankings side by side, the chance of the top k, the means, in Persian digits.
    for row in results["candidates"]:
        assert f'id="ranked-{row["id"]}"' in html
    best = results["candidates"][0]
    assert f'{best["topsis"]:.3f}'.translate(str.maketrans("0123456789.", "۰۱۲۳۴۵۶۷۸۹٫")) in html
    assert 'id="results-means-table"' in html and "مصرف آب" in html
    # The criteria with their weights and the method.
    assert "۰٫۷۵۰" in html and "۰٫۲۵۰" in html
    # Agreement with its reading, scorers with their agencies, the confirmed cores with their reasons.
    assert "W" in html and re.search("توافق (بسیار ضعیف|ضعیف|متوسط|قوی|بسیار قوی)", html)
    assert all(f"{s.name} ({s.agency.name})" in html for s in scorers)
    assert "ظرفیت صادراتی" in html and 'id="results-cores"' in html
    # The charts' data is the results' data.
    data = json.loads(re.search(r'<template id="scoring-results-data">(.*?)</template>', html, re.S).group(1)
                      .replace("&#34;", '"').replace("&quot;", '"'))
    assert data["names"] == [r["name"] for r in results["candidates"]]
    assert data["topsis"] == pytest.approx([r["topsis"] for r in results["candidates"]], abs=1e-4)
    assert data["weightedSum"] == pytest.approx([r["weighted_sum"] for r in results["candidates"]], abs=1e-4)
    assert data["pTop"] == pytest.approx([100 * r["p_top"] for r in results["candidates"]], abs=0.05)
    # Supervisors find the way back to the matrix and the exports.
    assert f"/plans/{plan.id}/scoring\"" in html and f"/plans/{plan.id}/scoring/results.xlsx" in html


def test_before_the_round_closes_the_page_says_so(world, client):
    plan, supervisor, scorers = world
    browser = signed_in(client, supervisor)
    empty = browser.get(results_url(plan))
    assert empty.status_code == 200 and "هنوز ماتریس امتیازدهی ندارد" in empty.text
    services.add_candidate(supervisor, plan, "گردشگری", now())
    services.add_criterion(supervisor, plan, "اشتغال", "benefit", now())
    db.session.commit()
    draft = browser.get(results_url(plan))
    assert draft.status_code == 200 and 'id="results-not-ready"' in draft.text and "بسته نشده" in draft.text
    assert "گردشگری" in draft.text and "اشتغال" in draft.text  # the matrix, read-only
    assert 'id="results-ranking"' not in draft.text and "results.xlsx" not in draft.text
    assert browser.get(f"{results_url(plan)}.xlsx").status_code == 404
    assert browser.get(f"{results_url(plan)}.csv").status_code == 404


def test_an_open_round_is_not_yet_results(world, client):
    plan, supervisor, scorers = world
    services.add_candidate(supervisor, plan, "گردشگری", now())
    services.add_candidate(supervisor, plan, "فرش", now())
    made = [services.add_criterion(supervisor, plan, name, "benefit", now()) for name in ("اشتغال", "آب")]
    services.set_direct_weights(supervisor, plan, {c.id: "1" for c in made},
                                rounds.queries.get_active_matrix(plan.id).version, now())
    rounds.open_round(supervisor, plan, [scorers[0].agency_id], "7", now())
    db.session.commit()
    response = signed_in(client, supervisor).get(results_url(plan))
    assert response.status_code == 200 and 'id="results-not-ready"' in response.text
    assert "باز برای امتیازدهی" in response.text or "امتیازدهی" in response.text


def test_after_a_delphi_round_the_agreement_of_each_round_is_shown(closed, client):
    """Results of a second round carry its number and each round's W (planapp/scoring/delphi.py)."""
    plan, supervisor, _scorers, matrix = closed
    db.session.expire_all()
    matrix.results = {**matrix.results, "round": 2, "rounds": [{"round": 1, "kendall_w": 0.25},
                                                                {"round": 2, "kendall_w": 0.75}]}
    db.session.commit()
    assert report.plan_results(plan.id).agreement_by_round == ((1, 0.25), (2, 0.75))
    html = signed_in(client, supervisor).get(results_url(plan)).text
    assert "دور ۲" in html
    rounds_list = html[html.index('id="results-agreement-rounds"'):]
    assert "۰٫۲۵۰ — توافق ضعیف" in rounds_list and "۰٫۷۵۰ — توافق قوی" in rounds_list


# --- who may read it ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "stage", "status"), [
    ("supervisor", "analysis", 200),
    ("officer", "analysis", 200),
    ("council_member", "analysis", 200),
    ("admin", "analysis", 200),
    ("viewer", "monitoring", 200),  # a published plan
    ("viewer", "analysis", 404),  # not published: hidden, as the plan page hides it
    ("participant", "analysis", 403),  # participants contribute where invited; they do not read others' scores
])
def test_who_reads_the_results(world, client, role, stage, status):
    plan, supervisor, scorers = world
    closed_round(plan, supervisor, scorers)
    plan.stage = type(plan.stage)(stage)
    db.session.commit()
    browser = signed_in(client, supervisor if role == "supervisor" else make_user(role=role))
    response = browser.get(results_url(plan))
    assert response.status_code == status
    assert browser.get(f"{results_url(plan)}.xlsx").status_code == status
    plan_page = browser.get(f"/plans/{plan.id}")
    if status == 404:
        assert plan_page.status_code == 404  # refused the same way
    else:
        assert plan_page.status_code == 200
        assert (f"/plans/{plan.id}/scoring/results" in plan_page.text) is (status == 200)
    if status == 200:
        part = page_part(response.text)
        editor = role == "supervisor"
        assert ("hx-post" in part or "<form" in part or "csrf_token" in part) is False  # read-only for everyone
        assert (f'href="/plans/{plan.id}/scoring"' in response.text) is editor


def test_a_closed_plan_keeps_its_results_readable(world, client):
    plan, supervisor, scorers = world
    closed_round(plan, supervisor, scorers)
    plan.stage = type(plan.stage)("closed")
    db.session.commit()
    browser = signed_in(client, supervisor)
    response = browser.get(results_url(plan))
    assert response.status_code == 200 and 'id="results-ranking"' in response.text
    assert f'href="/plans/{plan.id}/scoring"' not in response.text  # the matrix can no longer change
    assert browser.get(f"/plans/{plan.id}/scoring").status_code == 403


def test_the_scoring_page_links_to_the_results(world, client):
    plan, supervisor, _scorers = world
    page = signed_in(client, supervisor).get(f"/plans/{plan.id}/scoring").text
    assert 'id="scoring-results-link"' in page and f"/plans/{plan.id}/scoring/results" in page


# --- the export -------------------------------------------------------------------------------------------------


def test_the_workbook_holds_the_results(closed, client):
    plan, supervisor, scorers, matrix = closed
    db.session.expire_all()
    results = matrix.results
    response = signed_in(client, supervisor).get(f"{results_url(plan)}.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["رتبه‌بندی", "میانگین امتیازها", "امتیازهای هر امتیازدهنده", "معیارها و وزن‌ها",
                               "توافق"]
    ranking = list(book["رتبه‌بندی"].values)
    assert ranking[0][:5] == ("گزینه", "مجموع وزنی", "رتبه (مجموع وزنی)", "ضریب نزدیکی تاپسیس", "رتبه (تاپسیس)")
    for row, expected in zip(ranking[1:], results["candidates"], strict=True):
        assert row[0] == expected["name"]
        assert row[1:6] == pytest.approx((expected["weighted_sum"], expected["rank_weighted_sum"], expected["topsis"],
                                          expected["rank_topsis"], expected["p_top"]))
    assert ranking[-1][6:] == ("بله", "ظرفیت صادراتی")  # the last one confirmed with a reason
    means = list(book["میانگین امتیازها"].values)
    assert means[0] == ("گزینه", "اشتغال", "مصرف آب")
    assert [list(r[1:]) for r in means[1:]] == [pytest.approx(c["mean"]) for c in results["candidates"]]
    raw = list(book["امتیازهای هر امتیازدهنده"].values)
    assert raw[0] == ("دور", "امتیازدهنده", "دستگاه", "گزینه", "معیار", "امتیاز")
    assert len(raw) - 1 == 3 * 3 * 2
    assert raw[1] == (1, "کارشناس 0", "دستگاه 0", "گردشگری", "اشتغال", 1)
    criteria = list(book["معیارها و وزن‌ها"].values)
    assert [(r[0], r[2]) for r in criteria[1:]] == [("اشتغال", pytest.approx(0.75)), ("مصرف آب", pytest.approx(0.25))]
    agreement = list(book["توافق"].values)
    assert agreement[1][1] == pytest.approx(results["kendall_w"])


def test_the_workbook_is_in_the_users_language(closed, client):
    plan, *_rest = closed
    reader = make_user(role="officer", language="en")
    response = signed_in(client, reader).get(f"{results_url(plan)}.xlsx")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames[0] == "Ranking" and next(book["Ranking"].values)[0] == "Candidate"


def test_names_that_look_like_formulas_are_neutralised(world, client):
    """X10: candidate, criterion, scorer and agency names starting with = + - @ are text, not formulas."""
    plan, supervisor, _scorers = world
    scorer = make_user(role="officer", name="@SUM(A1)", agency=make_agency(name="+cmd|' /C calc'!A0"))
    closed_round(plan, supervisor, [scorer], candidates=("=cmd|' /C calc'!A0", "فرش"), criteria=("-2+3", "آب"))
    browser = signed_in(client, supervisor)
    book = load_workbook(io.BytesIO(browser.get(f"{results_url(plan)}.xlsx").data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = {cell.value for cell in cells if isinstance(cell.value, str)}
    assert {"'=cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "'+cmd|' /C calc'!A0"} <= texts
    rows = list(csv.reader(io.StringIO(browser.get(f"{results_url(plan)}.csv").data.decode("utf-8-sig"))))
    assert "'=cmd|' /C calc'!A0" in [row[0] for row in rows]


def test_the_csv_is_the_ranking(closed, client):
    plan, supervisor, _scorers, matrix = closed
    db.session.expire_all()
    response = signed_in(client, supervisor).get(f"{results_url(plan)}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [c["name"] for c in matrix.results["candidates"]]
    assert [float(r[3]) for r in rows[1:]] == pytest.approx([c["topsis"] for c in matrix.results["candidates"]])


# --- names are text; the page's queries do not grow with the matrix ----------------------------------------------


def test_names_on_the_results_page_are_escaped(world, client):
    """X1: candidate, criterion, scorer, agency names and a core's reason are shown as text."""
    plan, supervisor, _scorers = world
    texts = [f"{payload} {n}" for n, payload in enumerate(PAYLOADS[:6])]
    scorer = make_user(role="officer", name=texts[4], agency=make_agency(name=texts[5]))
    silent = make_agency(name=PAYLOADS[2])
    guest = make_user(role="participant", name=PAYLOADS[6], agency=make_agency(name=PAYLOADS[8]))
    matrix = closed_round(plan, supervisor, [scorer], candidates=texts[:2], criteria=texts[2:4])
    db.session.expire_all()
    # The silent agency was asked too but scored nothing: listed by name; so is a guest, with their agency.
    matrix.results = {**matrix.results, "not_scored": [
        {"task_id": 0, "name": silent.name},
        {"task_id": 0, "name": guest.name, "user_id": guest.id, "agency": guest.agency.name, "guest": True}]}
    last = matrix.results["candidates"][-1]["id"]
    rounds.confirm_cores(supervisor, plan, [last], {last: PAYLOADS[1]}, now())
    db.session.commit()
    page = signed_in(client, supervisor).get(results_url(plan)).text
    shown = [*texts, PAYLOADS[1], PAYLOADS[2], PAYLOADS[6], PAYLOADS[8]]
    assert not unescaped_reflections(page, shown)
    assert all(shows_escaped(page, text) for text in shown)


def count_page_queries(client, plan) -> int:
    with count_statements(include_begin=False) as statements:
        assert client.get(results_url(plan)).status_code == 200
    return len(statements)


def test_the_page_runs_the_same_queries_for_a_bigger_round(ctx, client):
    supervisor = make_user(role="supervisor")
    small, big = make_plan(supervisor, stage="analysis"), make_plan(supervisor, stage="analysis")
    closed_round(small, supervisor, [make_user(role="officer")], candidates=("الف", "ب"))
    closed_round(big, supervisor, [make_user(role="officer") for _ in range(4)],
                 candidates=("الف", "ب", "پ", "ت", "ث", "ج"), criteria=("یک", "دو", "سه"), weights=("1", "2", "3"),
                 kinds=("benefit", "cost", "benefit"))
    browser = signed_in(client, supervisor)
    count_page_queries(browser, small)  # warm up (the session's user, translations)
    assert count_page_queries(browser, small) == count_page_queries(browser, big)


# --- who scored and who did not ----------------------------------------------------------------------------------


def invite(supervisor, task, name: str, email: str):
    """A new participant invited by e-mail to `task` (a guest of it, of the task's agency)."""
    return invitations.invite_participant(supervisor, {"email": email, "name": name, "task_id": task.id},
                                          now(), 7).user


@pytest.fixture
def mixed(ctx):
    """A round asked of four agencies and two participants, closed:
    agency A — its officer scored; agency B — its officer scored, its invited guest did not;
    agency C — no officer scored, its invited guest did; agency D — nobody;
    participant P (a personal task) did not score; participant Q did."""
    supervisor = make_user(role="supervisor")
    plan = make_plan(supervisor, stage="analysis")
    a, b, c, d = (make_agency(name=f"دستگاه {key}") for key in "ABCD")
    officer_a, officer_b = make_user(name="کارشناس الف", agency=a), make_user(name="کارشناس ب", agency=b)
    make_user(name="کارشناس پ", agency=c)  # asked with the agency, scored nothing
    silent_p, scorer_q = (make_user(role="participant", name=f"مشارکت‌کننده {key}") for key in "PQ")
    matrix = build(plan, supervisor)
    made = rounds.open_round(supervisor, plan, [a.id, b.id, c.id, d.id], "7", now(), [silent_p.id, scorer_q.id])
    task_of = {**{t.agency_id: t for t in made if t.agency_id}, **{t.assignee_id: t for t in made if t.assignee_id}}
    guest_b = invite(supervisor, task_of[b.id], "مهمان ب", "guest-b@example.ir")
    guest_c = invite(supervisor, task_of[c.id], "مهمان پ", "guest-c@example.ir")
    guest_c.is_active = True  # as if the invitation link was used; guest B never used theirs
    for user, task in ((officer_a, task_of[a.id]), (officer_b, task_of[b.id]), (guest_c, task_of[c.id]),
                       (scorer_q, task_of[scorer_q.id])):
        for candidate in queries.list_candidates(matrix.id):
            for criterion in queries.list_criteria(matrix.id):
                rounds.save_score(user, task, candidate.id, criterion.id, "5", now())
    results = rounds.close_round(supervisor, plan, now())
    db.session.commit()
    people = {"officer_a": officer_a, "officer_b": officer_b, "guest_b": guest_b, "guest_c": guest_c,
              "silent_p": silent_p, "scorer_q": scorer_q}
    return plan, supervisor, results, people, {"a": a, "b": b, "c": c, "d": d}


def test_invited_people_who_saved_no_score_are_named_with_their_agency(mixed):
    """Scores are kept per person: an agency's task counts as scored when anyone scored on it (A, B by their
    officers, C by its guest), but each person invited to score — a guest of a task, or with a task of their own —
    who saved nothing is named, even when colleagues scored on the same task (B's guest)."""
    plan, _supervisor, results, people, agencies = mixed
    assert sorted(s["name"] for s in results["scorers"]) == sorted(
        people[key].name for key in ("officer_a", "officer_b", "guest_c", "scorer_q"))
    assert [(t["name"], t.get("agency"), t["participant"], t.get("guest", False)) for t in results["not_scored"]] == [
        ("مهمان ب", agencies["b"].name, True, True),  # after their agency's task, which counts as scored
        (agencies["d"].name, None, False, False),  # an agency's task nobody scored on: listed by the agency
        ("مشارکت‌کننده P", people["silent_p"].agency.name, True, False),  # a personal task not scored
    ]
    found = report.plan_results(plan.id)
    assert found.not_scored == (
        report.NotScored("مهمان ب", agencies["b"].name, participant=True, guest=True),
        report.NotScored(agencies["d"].name),
        report.NotScored("مشارکت‌کننده P", people["silent_p"].agency.name, participant=True))
    assert {s.name: s.agency for s in found.scorers}["مهمان پ"] == agencies["c"].name


def test_a_guest_who_also_scored_elsewhere_in_the_round_is_not_listed(ctx):
    """Whether a person scored is read by person, not by task: an officer invited as a guest to another agency's
    task who scored on their own agency's task did score in the round; their guest task, scored by nobody, is
    listed by its agency."""
    supervisor = make_user(role="supervisor")
    plan = make_plan(supervisor, stage="analysis")
    officer, other = make_user(), make_agency()
    matrix = build(plan, supervisor)
    own, guest_task = rounds.open_round(supervisor, plan, [officer.agency_id, other.id], "7", now())
    db.session.execute(task_guests.insert().values(task_id=guest_task.id, user_id=officer.id))
    for candidate in queries.list_candidates(matrix.id):
        for criterion in queries.list_criteria(matrix.id):
            rounds.save_score(officer, own, candidate.id, criterion.id, "4", now())
    results = rounds.close_round(supervisor, plan, now())
    assert [t["name"] for t in results["not_scored"]] == [other.name]


def test_the_page_names_who_did_not_score_with_their_agency(mixed, client):
    plan, supervisor, _results, people, agencies = mixed
    page = signed_in(client, supervisor).get(results_url(plan))
    assert page.status_code == 200
    silent = page.text.split('id="results-not-scored"')[1].split("</ul>")[0]
    # Each name (with its agency) is isolated: in English a Persian name would pull the counts into its run.
    assert f"<bdi>مهمان ب ({agencies['b'].name})</bdi>" in silent and "دعوت‌شده به این وظیفه" in silent
    assert f"<li><bdi>{agencies['d'].name}</bdi></li>" in silent
    scored = page.text.split('id="results-scorers"')[1].split("</ul>")[0]
    assert f"<bdi>{people['officer_a'].name} ({people['officer_a'].agency.name})</bdi> · " in scored
    assert f"مشارکت‌کننده P ({people['silent_p'].agency.name})" in silent
    for key in ("officer_a", "officer_b", "guest_c", "scorer_q"):
        assert people[key].name not in silent
    assert "چه کسانی امتیاز ندادند" in page.text
    # The supervisor's scoring page lists them the same way.
    scoring = signed_in(client, supervisor).get(f"/plans/{plan.id}/scoring").text
    assert f"<bdi>مهمان ب ({agencies['b'].name})</bdi>" in scoring.split('id="scoring-not-scored"')[1].split("</ul>")[0]
    assert f"<li><bdi>{people['officer_a'].name}</bdi> · " in scoring.split('id="scoring-scorers"')[1]


def test_listing_who_did_not_score_adds_no_query_per_person(mixed, client):
    """The agencies of the scorers and of those who did not score are read in one query."""
    plan, supervisor, *_rest = mixed
    quiet = make_plan(supervisor, stage="analysis")
    closed_round(quiet, supervisor, [make_user(role="officer")])
    browser = signed_in(client, supervisor)
    count_page_queries(browser, quiet)  # warm up
    assert count_page_queries(browser, quiet) == count_page_queries(browser, plan)


# --- the results as plain data for the plan document -------------------------------------------------------------


def test_plan_results_reads_without_a_request(closed, app):
    plan, _supervisor, scorers, matrix = closed
    from flask import has_request_context

    assert not has_request_context()
    found = report.plan_results(plan.id)
    assert found.closed and found.status == MatrixStatus.CLOSED and found.matrix_id == matrix.id
    assert [r.id for r in found.ranking] == [c["id"] for c in matrix.results["candidates"]]
    assert found.ranking[0].topsis == pytest.approx(matrix.results["candidates"][0]["topsis"])
    assert [(c.name, c.kind, c.weight) for c in found.criteria] == [
        ("اشتغال", CriterionKind.BENEFIT, pytest.approx(0.75)), ("مصرف آب", CriterionKind.COST, pytest.approx(0.25))]
    assert found.kendall_w == matrix.results["kendall_w"] and found.agreement == report.agreement_level(found.kendall_w)
    assert [(s.name, s.agency, s.cells) for s in found.scorers] == [(u.name, u.agency.name, 6) for u in scorers]
    assert sorted((c.id, c.reason) for c in found.cores) == sorted([(found.ranking[0].id, ""),
                                                                   (found.ranking[-1].id, "ظرفیت صادراتی")])
    assert found.ranking[0].confirmed and found.ranking[0].top_ranked
    assert len(report.raw_scores(matrix.id)) == 18


def test_plan_results_before_a_matrix_and_before_the_close(world):
    plan, supervisor, _scorers = world
    assert report.plan_results(plan.id) is None
    services.add_candidate(supervisor, plan, "گردشگری", now())
    db.session.commit()
    found = report.plan_results(plan.id)
    assert not found.closed and found.ranking == () and [c.name for c in found.candidates] == ["گردشگری"]


@pytest.mark.parametrize(("w", "level"), [
    (None, None), (0.0, "very_weak"), (0.19, "very_weak"), (0.2, "weak"), (0.39, "weak"), (0.4, "moderate"),
    (0.6, "strong"), (0.79, "strong"), (0.8, "very_strong"), (1.0, "very_strong"),
])
def test_kendalls_w_is_read_after_schmidt(w, level):
    assert report.agreement_level(w) == level
