"""SWOT with IFE/EFE: factors put forward on SWOT input tasks, merged and evaluated by supervisors."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from planapp.audit.models import AuditEvent
from planapp.core.clock import now
from planapp.core.errors import Conflict, ValidationFailed
from planapp.extensions import db
from planapp.swot import services as swot
from planapp.swot.models import Quadrant, SwotFactor
from planapp.tasks import services as tasks
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import task_guests
from tests.factories import make_agency, make_plan, make_user, signed_in


@pytest.fixture
def world(ctx):
    supervisor, officer = make_user(role="supervisor"), make_user(role="officer")
    plan = make_plan(supervisor)
    task = tasks.create_task(supervisor, plan, {"title": "ورود SWOT", "kind": TaskKind.SWOT_INPUT,
                                                "agency_id": officer.agency_id, "due_on": date(2099, 1, 3)}, now())
    db.session.commit()
    return plan, task, supervisor, officer


def post(client, url, data):
    return client.post(url, data=data, headers={"HX-Request": "true"})


def test_officer_submits_a_factor_on_the_task_page(world, client):
    plan, task, _supervisor, officer = world
    browser = signed_in(client, officer)
    assert 'id="swot-input"' in browser.get(f"/tasks/{task.id}/").text
    response = post(browser, f"/tasks/{task.id}/swot", {"quadrant": "strength", "text": "نیروی <b>کار</b> جوان"})
    assert response.status_code == 200
    assert "نیروی &lt;b&gt;کار&lt;/b&gt; جوان" in response.text and "<b>کار</b>" not in response.text
    factor = db.session.scalar(sa.select(SwotFactor))
    assert (factor.plan_id, factor.task_id, factor.author_id, factor.quadrant) == (plan.id, task.id, officer.id,
                                                                                     Quadrant.STRENGTH)
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "swot.submit")) is not None


@pytest.mark.parametrize(("data", "message"), [
    ({"quadrant": "strength", "text": "   "}, "بنویسید"),
    ({"quadrant": "strength", "text": "x" * 1001}, "طولانی"),
    ({"quadrant": "nonsense", "text": "عامل"}, "قوت"),
])
def test_bad_factors_are_refused_in_persian(world, client, data, message):
    _plan, task, _supervisor, officer = world
    response = post(signed_in(client, officer), f"/tasks/{task.id}/swot", data)
    assert response.status_code == 200 and message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SwotFactor)) == 0


def test_refused_on_another_kind_of_task_and_when_not_addressed(world, client):
    plan, _task, supervisor, officer = world
    other_kind = tasks.create_task(supervisor, plan, {"title": "دیگر", "agency_id": officer.agency_id,
                                                      "due_on": date(2099, 1, 3)}, now())
    db.session.commit()
    with pytest.raises(ValidationFailed):
        swot.submit_factor(officer, other_kind, "strength", "عامل", now())
    stranger = make_user(role="officer", agency=make_agency())
    browser = signed_in(client, stranger)
    assert post(browser, f"/tasks/{_task.id}/swot", {"quadrant": "strength", "text": "عامل"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SwotFactor)) == 0


def test_participant_only_on_tasks_addressed_to_them(world, client):
    plan, task, supervisor, _officer = world
    guest = make_user(role="participant", agency=make_agency())
    other = tasks.create_task(supervisor, plan, {"title": "ورود دیگر", "kind": TaskKind.SWOT_INPUT,
                                                 "agency_id": make_agency().id, "due_on": date(2099, 1, 3)}, now())
    db.session.execute(task_guests.insert().values(task_id=task.id, user_id=guest.id))
    db.session.commit()
    browser = signed_in(client, guest)
    assert post(browser, f"/tasks/{task.id}/swot", {"quadrant": "threat", "text": "خشکسالی"}).status_code == 200
    assert post(browser, f"/tasks/{other.id}/swot", {"quadrant": "threat", "text": "خشکسالی"}).status_code == 404
    assert db.session.scalars(sa.select(SwotFactor.task_id)).all() == [task.id]


def factors(officer, task, *items):
    made = [swot.submit_factor(officer, task, quadrant, text, now()) for quadrant, text in items]
    db.session.commit()
    return made


def test_supervisor_merges_a_duplicate(world, client):
    plan, task, supervisor, officer = world
    keep, dup, threat = factors(officer, task, ("strength", "نیروی کار جوان"), ("strength", "جوانی نیروی کار"),
                                ("threat", "خشکسالی"))
    browser = signed_in(client, supervisor)
    assert post(browser, f"/plans/{plan.id}/swot/merge", {"keep_id": keep.id, "duplicate_id": threat.id,
                                                          f"version-{threat.id}": 1}).status_code == 200
    assert threat.merged_into_id is None  # another quadrant: refused
    response = post(browser, f"/plans/{plan.id}/swot/merge", {"keep_id": keep.id, "duplicate_id": dup.id,
                                                              f"version-{dup.id}": dup.version})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(SwotFactor, dup.id).merged_into_id == keep.id
    assert swot.evaluation_summary(plan.id).internal.factors == [db.session.get(SwotFactor, keep.id)]
    assert "ادغام" in browser.get(f"/plans/{plan.id}/swot").text


def evaluation(*rows):
    return {f"{name}-{fid}": value for fid, weight, rating, version in rows
            for name, value in (("weight", weight), ("rating", rating), ("version", version))}


def test_weights_and_ratings_give_the_totals_and_the_ie_cell_in_persian_digits(world, client):
    plan, task, supervisor, officer = world
    s, w, o, t = factors(officer, task, ("strength", "ق"), ("weakness", "ض"), ("opportunity", "ف"), ("threat", "ت"))
    browser = signed_in(client, supervisor)
    assert post(browser, f"/plans/{plan.id}/swot/internal",
                evaluation((s.id, "۰٫۶", "۴", 1), (w.id, "0.4", "1", 1))).status_code == 200
    response = post(browser, f"/plans/{plan.id}/swot/external", evaluation((o.id, "0.5", "3", 1),
                                                                            (t.id, "0.5", "2", 1)))
    summary = swot.evaluation_summary(plan.id)
    assert summary.internal.total == pytest.approx(2.8) and summary.external.total == pytest.approx(2.5)
    assert summary.cell.name == "V"
    page = browser.get(f"/plans/{plan.id}/swot").text
    assert "۲٫۸۰" in page and "۲٫۵۰" in page and "خانهٔ V: نگهداری و حفظ" in page
    assert response.status_code == 200


@pytest.mark.parametrize(("row", "message"), [
    (("0.5", "5", 1), "۱ تا ۴"),
    (("-0.1", "3", 1), "۰ و ۱"),
    (("0.5", "3", 7), "تغییر"),
])
def test_bad_weights_and_ratings_are_refused_in_persian(world, client, row, message):
    plan, task, supervisor, officer = world
    (s,) = factors(officer, task, ("strength", "ق"))
    response = post(signed_in(client, supervisor), f"/plans/{plan.id}/swot/internal", evaluation((s.id, *row)))
    assert message in response.text
    db.session.expire_all()
    assert db.session.get(SwotFactor, s.id).weight is None


def test_stale_version_is_a_conflict(world):
    plan, task, supervisor, officer = world
    (s,) = factors(officer, task, ("strength", "ق"))
    with pytest.raises(Conflict):
        swot.set_evaluation(supervisor, plan, "internal", {s.id: {"weight": "1", "rating": "3", "version": "2"}},
                            now())


def test_weights_not_summing_to_one_are_warned(world, client):
    plan, task, supervisor, officer = world
    s, w = factors(officer, task, ("strength", "ق"), ("weakness", "ض"))
    browser = signed_in(client, supervisor)
    post(browser, f"/plans/{plan.id}/swot/internal", evaluation((s.id, "0.5", "3", 1), (w.id, "0.3", "2", 1)))
    assert swot.evaluation_summary(plan.id).internal.total is None
    assert "جمع وزن‌ها باید ۱ شود" in browser.get(f"/plans/{plan.id}/swot").text


def test_only_supervisors_reach_the_swot_page(world, client):
    plan, _task, _supervisor, officer = world
    browser = signed_in(client, officer)
    assert browser.get(f"/plans/{plan.id}/swot").status_code == 403
    assert post(browser, f"/plans/{plan.id}/swot/merge", {"keep_id": 1, "duplicate_id": 2}).status_code == 403


def test_factor_text_is_escaped_and_inert_on_the_swot_page(world, client):
    plan, task, supervisor, officer = world
    payload = '<script>alert(1)</script><img src=x onerror=alert(2) hx-get="/x">'
    factors(officer, task, ("opportunity", payload))
    page = signed_in(client, supervisor).get(f"/plans/{plan.id}/swot").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<ul hx-disable>") == 4 and "<td hx-disable>" in page
