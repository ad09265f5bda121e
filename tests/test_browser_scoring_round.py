"""A scoring round in a real browser: a supervisor opens it for three agencies, three officers score their grids
cell by cell (each saved on change, the progress counting up without a reload, a bad value refused in place), the
supervisor closes the round, reads the ranking, confirms the driving cores and opens the results page (tables and
two Chart.js charts, no CSP violation)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import expect

from planapp.core.clock import now
from planapp.core.i18n import format_number
from planapp.extensions import db
from planapp.scoring import queries, services
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import Task
from tests.browser_fixtures import assert_same_document, hand_over, no_reload_marker, signed_in_page
from tests.factories import make_agency, make_plan, make_user

# rows: the two candidates; columns: the two criteria (weights 3 : 1). Each officer prefers the first candidate.
SCORES = {"o1@example.ir": [["۷", "3"], ["5", "5"]], "o2@example.ir": [["9", "۵"], ["3", "7"]],
          "o3@example.ir": [["8", "6"], ["4", "4"]]}


def test_a_round_with_three_stakeholders_to_confirmed_cores(live_server, contexts, artifacts: Path, backend):
    supervisor = make_user(role="supervisor", email="sup@example.ir")
    officers = [make_user(role="officer", email=email, agency=make_agency(name=f"دستگاه {n}"))
                for n, email in enumerate(SCORES, start=1)]
    plan = make_plan(supervisor, stage="analysis")
    for name in ("گردشگری سلامت", "فرش دستباف"):
        services.add_candidate(supervisor, plan, name, now())
    criteria = [services.add_criterion(supervisor, plan, name, "benefit", now()) for name in ("اشتغال", "صادرات")]
    matrix = queries.get_active_matrix(plan.id)
    services.set_direct_weights(supervisor, plan, {criteria[0].id: "3", criteria[1].id: "1"}, matrix.version, now())
    db.session.commit()
    plan_id = plan.id
    candidates = [c.id for c in queries.list_candidates(matrix.id)]
    criteria_ids = [c.id for c in criteria]
    agency_ids = [officer.agency_id for officer in officers]
    hand_over()

    page, watch = signed_in_page(contexts, live_server, "sup@example.ir")
    page.goto(f"{live_server}/plans/{plan_id}/scoring")
    no_reload_marker(page)
    for n in range(1, 4):
        page.locator("#scoring-round").get_by_label(f"دستگاه {n}", exact=True).check()
    page.get_by_role("button", name="آغاز دور امتیازدهی").click()
    expect(page.locator("#flash")).to_contain_text("دور امتیازدهی آغاز شد")
    expect(page.locator("#scoring-round li")).to_have_count(3)
    assert_same_document(page)
    db.session.rollback()
    tasks = dict(db.session.execute(sa.select(Task.agency_id, Task.id).where(Task.kind == TaskKind.SCORE_MATRIX)).all())
    hand_over()

    for agency_id, (email, rows) in zip(agency_ids, SCORES.items(), strict=True):
        scorer, scorer_watch = signed_in_page(contexts, live_server, email)
        scorer.goto(f"{live_server}/tasks/{tasks[agency_id]}/")
        no_reload_marker(scorer)
        progress = scorer.locator("#score-progress")
        expect(progress).to_contain_text("۰ از ۴")
        first = scorer.locator(f"#score-{candidates[0]}-{criteria_ids[0]}")
        first.fill("12")
        first.press("Tab")
        expect(scorer.locator(f"#score-cell-{candidates[0]}-{criteria_ids[0]} [role=alert]")).to_contain_text(
            "امتیاز عددی صحیح از ۱ تا ۹ است")
        expect(scorer.locator(".htmx-settling, .htmx-added, .htmx-request")).to_have_count(0)
        done = 0
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                cell = scorer.locator(f"#score-{candidates[i]}-{criteria_ids[j]}")
                cell.fill(value)
                cell.press("Tab")
                done += 1
                expect(progress).to_contain_text(f"{'۰۱۲۳۴'[done]} از ۴")
        expect(scorer.locator("#score-grid [role=alert]")).to_have_count(0)
        assert_same_document(scorer)
        scorer.reload()
        expect(scorer.locator(f"#score-{candidates[1]}-{criteria_ids[1]}")).to_have_value(
            "۵" if email == "o1@example.ir" else ("۷" if email == "o2@example.ir" else "۴"))
        scorer_watch.assert_clean(scorer)

    page.reload()
    no_reload_marker(page)
    page.get_by_role("button", name="بستن دور و رتبه‌بندی").click()
    results = page.locator("#scoring-results")
    expect(results).to_be_visible()
    expect(results.locator("tbody tr").first).to_contain_text("گردشگری سلامت")
    expect(page.locator("#scoring-agreement")).to_contain_text("W کندال")
    expect(page.locator("#scoring-scorers li")).to_have_count(3)
    results.get_by_label("گردشگری سلامت").check()
    page.get_by_role("button", name="تأیید هسته‌های پیشران").click()
    expect(page.locator("#scoring-cores")).to_contain_text("گردشگری سلامت")
    assert_same_document(page)
    page.screenshot(path=artifacts / f"scoring-round-{backend}.png", full_page=True)

    # The results page (a boosted link): both charts drawn by Chart.js, the tables showing the stored results.
    page.locator("#scoring-results-link").click()
    charts = page.locator("#results-charts")
    expect(charts).to_have_attribute("data-charts", "ready")
    assert_same_document(page)
    drawn = page.evaluate("() => [...document.querySelectorAll('#results-charts canvas')].map(c => "
                          "Boolean(window.Chart.getChart(c)) && c.width > 0 && c.height > 0)")
    assert drawn == [True, True]
    db.session.rollback()
    stored = queries.get_active_matrix(plan_id).results["candidates"]
    rows = page.locator("#results-ranking-table tbody tr")
    expect(rows).to_have_count(2)
    for n, candidate in enumerate(stored):
        expect(rows.nth(n).locator("th")).to_contain_text(candidate["name"])
        expect(rows.nth(n).locator("td").nth(2)).to_have_text(format_number(candidate["topsis"], "fa", 3))
        expect(rows.nth(n).locator("td").nth(0)).to_have_text(format_number(candidate["weighted_sum"], "fa", 3))
    expect(page.locator("#results-cores")).to_contain_text("گردشگری سلامت")
    expect(page.locator("#results-agreement")).to_contain_text("توافق")
    page.screenshot(path=artifacts / f"scoring-results-{backend}.png", full_page=True)

    # Loaded directly, without htmx: both charts are drawn again.
    hand_over()
    page.reload()
    expect(charts).to_have_attribute("data-charts", "ready")
    assert page.evaluate("() => [...document.querySelectorAll('#results-charts canvas')].map(c => "
                         "Boolean(window.Chart.getChart(c)))") == [True, True]
    watch.assert_clean(page)
