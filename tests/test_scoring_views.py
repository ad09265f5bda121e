"""The scoring matrix page: who may open and change it, in-place changes, suggestions, weights, the live CR."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from planapp.core.clock import now
from planapp.extensions import db
from planapp.scoring import queries, services
from planapp.scoring.models import Candidate, CandidateOrigin, Criterion
from tests.factories import make_plan, make_user, signed_in
from tests.scoring_data import known_quotients
from tests.test_xss import PAYLOADS, shows_escaped, unescaped_reflections


@pytest.fixture
def world(ctx):
    supervisor = make_user(role="supervisor")
    return make_plan(supervisor, stage="analysis"), supervisor


def post(client, url, data):
    return client.post(url, data=data, headers={"HX-Request": "true"})


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_supervisor_builds_the_matrix_in_place(world, client):
    plan, supervisor = world
    browser = signed_in(client, supervisor)
    page = browser.get(f"/plans/{plan.id}/scoring")
    assert page.status_code == 200 and 'id="scoring-matrix"' in page.text
    assert count(Candidate) == 0  # opening the page stores nothing
    response = post(browser, f"/plans/{plan.id}/scoring/candidates", {"name": "گردشگری سلامت"})
    assert response.status_code == 200 and response.text.startswith('<div id="scoring-matrix"')
    assert "گردشگری سلامت" in response.text and "«گردشگری سلامت» افزوده شد" in response.text
    post(browser, f"/plans/{plan.id}/scoring/criteria", {"name": "اشتغال‌زایی", "kind": "benefit"})
    criterion = db.session.scalar(sa.select(Criterion))
    candidate = db.session.scalar(sa.select(Candidate))
    response = post(browser, f"/plans/{plan.id}/scoring/criteria/{criterion.id}",
                    {f"name-{criterion.id}": "مصرف آب", f"kind-{criterion.id}": "cost", "version": "1"})
    db.session.refresh(criterion)
    assert (criterion.name, criterion.kind.value) == ("مصرف آب", "cost")
    post(browser, f"/plans/{plan.id}/scoring/candidates/{candidate.id}", {f"name-{candidate.id}": "گردشگری",
                                                                          "version": "1"})
    db.session.refresh(candidate)
    assert candidate.name == "گردشگری"
    post(browser, f"/plans/{plan.id}/scoring/candidates/{candidate.id}/remove", {"version": str(candidate.version)})
    assert count(Candidate) == 0


def test_the_plan_page_links_to_the_matrix_from_the_analysis_stage(ctx, client):
    supervisor = make_user(role="supervisor")
    before, during = make_plan(supervisor), make_plan(supervisor, stage="analysis")
    browser = signed_in(client, supervisor)
    assert f"/plans/{before.id}/scoring" not in browser.get(f"/plans/{before.id}").text
    assert f"/plans/{during.id}/scoring" in browser.get(f"/plans/{during.id}").text


@pytest.mark.parametrize("role", ["officer", "participant", "viewer", "council_member", "admin"])
def test_others_may_neither_open_nor_change_the_matrix(world, client, role):
    plan, _supervisor = world
    browser = signed_in(client, make_user(role=role))
    assert browser.get(f"/plans/{plan.id}/scoring").status_code == 403
    assert post(browser, f"/plans/{plan.id}/scoring/candidates", {"name": "فرش"}).status_code == 403
    assert browser.get(f"/plans/{plan.id}/scoring/ahp").status_code == 403
    assert count(Candidate) == 0


def test_a_closed_plan_is_refused_and_an_unknown_plan_is_404(world, client):
    plan, supervisor = world
    closed = make_plan(supervisor, stage="closed")
    browser = signed_in(client, supervisor)
    assert browser.get(f"/plans/{closed.id}/scoring").status_code == 403
    assert post(browser, f"/plans/{closed.id}/scoring/candidates", {"name": "فرش"}).status_code == 403
    assert browser.get("/plans/999999/scoring").status_code == 404


def test_another_plans_rows_are_404(world, client):
    plan, supervisor = world
    other = make_plan(supervisor, stage="analysis")
    candidate = services.add_candidate(supervisor, other, "فرش", now())
    criterion = services.add_criterion(supervisor, other, "اشتغال", "benefit", now())
    services.add_candidate(supervisor, plan, "صنایع غذایی", now())
    db.session.commit()
    browser = signed_in(client, supervisor)
    for url in (f"candidates/{candidate.id}", f"candidates/{candidate.id}/remove", f"criteria/{criterion.id}",
                f"criteria/{criterion.id}/remove"):
        assert post(browser, f"/plans/{plan.id}/scoring/{url}", {"version": "1"}).status_code == 404, url
    assert count(Candidate) == 2 and count(Criterion) == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "  "}, "ابتدا نامی بنویسید"),
    ({"name": "ن" * 201}, "بلند است"),
])
def test_bad_names_are_refused_in_persian(world, client, data, message):
    plan, supervisor = world
    response = post(signed_in(client, supervisor), f"/plans/{plan.id}/scoring/criteria", data)
    assert response.status_code == 200 and message in response.text
    assert count(Criterion) == 0


def test_a_stale_form_is_a_409_in_persian(world, client):
    plan, supervisor = world
    criterion = services.add_criterion(supervisor, plan, "اشتغال", "benefit", now())
    db.session.commit()
    browser = signed_in(client, supervisor)
    response = post(browser, f"/plans/{plan.id}/scoring/weights", {f"weight-{criterion.id}": "1",
                                                                     "matrix_version": "1"})
    assert response.status_code == 409 and "کس دیگری" in response.text
    assert criterion.weight is None


def test_direct_weights_with_persian_digits_are_scaled_with_a_note(world, client):
    plan, supervisor = world
    a = services.add_criterion(supervisor, plan, "اشتغال", "benefit", now())
    b = services.add_criterion(supervisor, plan, "صادرات", "benefit", now())
    db.session.commit()
    version = queries.get_active_matrix(plan.id).version
    browser = signed_in(client, supervisor)
    response = post(browser, f"/plans/{plan.id}/scoring/weights",
                    {f"weight-{a.id}": "۳", f"weight-{b.id}": "۱", "matrix_version": str(version)})
    assert "جمع ۴ را" in response.text or "۴" in response.text
    assert "مقیاس" in response.text
    db.session.refresh(a)
    assert a.weight == pytest.approx(0.75)
    response = post(browser, f"/plans/{plan.id}/scoring/weights",
                    {f"weight-{a.id}": "0", f"weight-{b.id}": "0", "matrix_version": str(version + 1)})
    assert "دست‌کم یک وزن باید بیشتر از صفر باشد" in response.text
    db.session.refresh(a)
    assert a.weight == pytest.approx(0.75)


def test_the_pairwise_form_shows_the_cr_live_and_saves(world, client):
    plan, supervisor = world
    a, b, c = (services.add_criterion(supervisor, plan, name, "benefit", now()) for name in ("الف", "ب", "ج"))
    db.session.commit()
    browser = signed_in(client, supervisor)
    page = browser.get(f"/plans/{plan.id}/scoring").text
    assert 'hx-trigger="change"' in page and f'name="pair-{a.id}-{b.id}"' in page and "به یک اندازه مهم" in page
    bad = {f"pair-{a.id}-{b.id}": "9", f"pair-{a.id}-{c.id}": "1/9", f"pair-{b.id}-{c.id}": "9"}
    preview = browser.get(f"/plans/{plan.id}/scoring/ahp", query_string=bad, headers={"HX-Request": "true"})
    assert preview.text.startswith('<div id="ahp-result"') and "مقایسه‌ها ناسازگارند" in preview.text
    assert count(Criterion) == 3 and all(x.weight is None for x in (a, b, c))  # a preview stores nothing
    good = {f"pair-{a.id}-{b.id}": "2", f"pair-{a.id}-{c.id}": "4", f"pair-{b.id}-{c.id}": "2"}
    preview = browser.get(f"/plans/{plan.id}/scoring/ahp", query_string=good)
    assert "مقایسه‌ها ناسازگارند" not in preview.text and re.search(r"CR\)?: ?۰", preview.text)
    version = queries.get_active_matrix(plan.id).version
    response = post(browser, f"/plans/{plan.id}/scoring/ahp", {**good, "matrix_version": str(version)})
    assert response.status_code == 200
    db.session.refresh(a)
    assert a.weight == pytest.approx(4 / 7)
    response = post(browser, f"/plans/{plan.id}/scoring/ahp", {f"pair-{a.id}-{b.id}": "10",
                                                               "matrix_version": str(version + 1)})
    assert "همهٔ جفت" in response.text


def test_a_suggested_sector_is_added_with_one_click(world, client):
    plan, supervisor = world
    sectors = known_quotients()
    browser = signed_in(client, supervisor)
    page = browser.get(f"/plans/{plan.id}/scoring").text
    assert 'id="suggestion-A"' in page and 'id="suggestion-C"' in page and 'id="suggestion-G"' not in page
    post(browser, f"/plans/{plan.id}/scoring/candidates", {"sector_id": str(sectors["C"])})
    candidate = db.session.scalar(sa.select(Candidate))
    assert (candidate.name, candidate.origin, candidate.sector_id) == ("صنعت (ساخت)", CandidateOrigin.LOCATION_QUOTIENT,
                                                                      sectors["C"])
    assert candidate.note.startswith("ضریب مکانی ۲٫۵۰")
    response = post(browser, f"/plans/{plan.id}/scoring/candidates", {"sector_id": str(sectors["G"])})
    assert "در میان پیشنهادها نیست" in response.text and count(Candidate) == 1
    response = post(browser, f"/plans/{plan.id}/scoring/candidates", {"sector_id": str(sectors["C"])})
    assert "پیش‌تر" in response.text and count(Candidate) == 1


def test_candidate_and_criterion_names_are_shown_escaped(world, client):
    """X1: names typed by a supervisor (and sector names from the catalog) are text in every part of the page."""
    plan, supervisor = world
    known_quotients({"A": PAYLOADS[1]})
    browser = signed_in(client, supervisor)
    for n, payload in enumerate(PAYLOADS[:6]):
        post(browser, f"/plans/{plan.id}/scoring/candidates", {"name": f"{payload} {n}"})
        post(browser, f"/plans/{plan.id}/scoring/criteria", {"name": f"{payload} {n}", "kind": "benefit"})
    ids = [c.id for c in queries.list_criteria(queries.get_active_matrix(plan.id).id)]
    pairs = {f"pair-{a}-{b}": "3" for i, a in enumerate(ids) for b in ids[i + 1:]}
    texts = [f"{payload} {n}" for n, payload in enumerate(PAYLOADS[:6])] + [PAYLOADS[1]]
    bodies = {"page": browser.get(f"/plans/{plan.id}/scoring").text,
              "preview": browser.get(f"/plans/{plan.id}/scoring/ahp", query_string=pairs).text,
              "refusal": post(browser, f"/plans/{plan.id}/scoring/criteria", {"name": texts[0]}).text}
    for label, body in bodies.items():
        assert not unescaped_reflections(body, texts), label
    assert all(shows_escaped(bodies["page"], text) for text in texts)
    assert shows_escaped(bodies["preview"], texts[2])
