"""A round with a participant and a Delphi second round in a real browser: the supervisor opens the round for two
agencies and a participant (a personal task), closes it, opens the second round; the participant sees the group's
median next to their own first-round score and revises a cell; closing the second round shows both rounds'
agreement."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from planapp.accounts.models import User
from planapp.core.clock import now
from planapp.extensions import db
from planapp.scoring import queries, rounds, scorers, services
from planapp.tasks.models import Task
from tests.browser_fixtures import assert_same_document, hand_over, no_reload_marker, signed_in_page
from tests.factories import make_agency, make_plan, make_user

# rows: the two candidates; columns: the two criteria (weights 3 : 1). The participant disagrees with the officers.
SCORES = {"o1@example.ir": [[7, 3], [5, 5]], "o2@example.ir": [[9, 5], [3, 7]], "ngo@example.ir": [[2, 2], [8, 8]]}


def test_a_participant_revises_in_a_delphi_round(live_server, contexts, artifacts: Path, backend):
    supervisor = make_user(role="supervisor", email="sup@example.ir")
    for n, email in enumerate(list(SCORES)[:2], start=1):
        make_user(role="officer", email=email, agency=make_agency(name=f"دستگاه {n}"))
    make_user(role="participant", email="ngo@example.ir", name="انجمن صنفی فرش")
    plan = make_plan(supervisor, stage="analysis")
    for name in ("گردشگری سلامت", "فرش دستباف"):
        services.add_candidate(supervisor, plan, name, now())
    criteria = [services.add_criterion(supervisor, plan, name, "benefit", now()) for name in ("اشتغال", "صادرات")]
    matrix = queries.get_active_matrix(plan.id)
    services.set_direct_weights(supervisor, plan, {criteria[0].id: "3", criteria[1].id: "1"}, matrix.version, now())
    db.session.commit()
    plan_id, matrix_id = plan.id, matrix.id
    candidates, criteria_ids = [c.id for c in queries.list_candidates(matrix.id)], [c.id for c in criteria]
    hand_over()

    page, watch = signed_in_page(contexts, live_server, "sup@example.ir")
    page.goto(f"{live_server}/plans/{plan_id}/scoring")
    no_reload_marker(page)
    for n in (1, 2):
        page.locator("#scoring-round").get_by_label(f"دستگاه {n}", exact=True).check()
    people = page.locator("#round-people")
    people.select_option(label=people.locator("option", has_text="انجمن صنفی فرش").inner_text())
    page.get_by_role("button", name="آغاز دور امتیازدهی").click()
    expect(page.locator("#flash")).to_contain_text("دور امتیازدهی آغاز شد")
    expect(page.locator("#round-tasks-1 li")).to_have_count(3)
    expect(page.locator("#round-tasks-1")).to_contain_text("انجمن صنفی فرش")
    assert_same_document(page)

    db.session.rollback()  # the three score their first round (the grid itself: tests/test_browser_scoring_round.py)
    for email, rows in SCORES.items():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        task = next(t for t in scorers.current_tasks(plan_id, matrix) if t.is_for(user))
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                rounds.save_score(user, task, candidates[i], criteria_ids[j], str(value), now())
    hand_over()

    page.get_by_role("button", name="بستن دور و رتبه‌بندی").click()
    expect(page.locator("#scoring-results")).to_be_visible()
    expect(page.locator("#scoring-scorers")).to_contain_text("مشارکت‌کننده")
    page.locator("#second-round-days").fill("۵")
    page.get_by_role("button", name="آغاز دور دوم").click()
    expect(page.locator("#round-tasks-2 li")).to_have_count(3)
    assert_same_document(page)
    db.session.rollback()
    ngo = db.session.scalar(sa.select(User).where(User.email == "ngo@example.ir"))
    second = db.session.scalar(sa.select(Task.id).where(Task.assignee_id == ngo.id).order_by(Task.id.desc()))
    hand_over()

    scorer, scorer_watch = signed_in_page(contexts, live_server, "ngo@example.ir")
    scorer.goto(f"{live_server}/tasks/{second}/")
    no_reload_marker(scorer)
    expect(scorer.locator("#delphi-note")).to_be_visible()
    hint = scorer.locator(f"#score-{candidates[0]}-{criteria_ids[0]}-hint")
    expect(hint).to_contain_text("میانهٔ گروه ۷")  # of 7, 9 and 2
    expect(hint).to_contain_text("دور نخست شما: ۲")
    for (i, j), value in {(0, 0): "۹", (1, 0): "3"}.items():
        cell = scorer.locator(f"#score-{candidates[i]}-{criteria_ids[j]}")
        expect(cell).to_have_value("۲" if (i, j) == (0, 0) else "۸")
        cell.fill(value)
        cell.press("Tab")
        expect(scorer.locator(f"#score-{candidates[i]}-{criteria_ids[j]}-hint")).to_contain_text("بازنگری‌شده")
    assert_same_document(scorer)
    scorer_watch.assert_clean(scorer)

    page.reload()
    page.get_by_role("button", name="بستن دور و رتبه‌بندی").click()
    agreement = page.locator("#scoring-agreement-rounds li")
    expect(agreement).to_have_count(2)
    expect(agreement.nth(0)).to_contain_text("۰٫۱۱۱")  # 1/9: the participant ranked the other way
    expect(agreement.nth(1)).to_contain_text("۱")  # all three now rank the first candidate first
    expect(page.locator("#scoring-scorers")).to_contain_text("بازنگری‌شده در دور دوم")
    db.session.rollback()
    assert queries.get_active_matrix(plan_id).results["kendall_w"] == pytest.approx(1)
    assert len(scorers.scores_of(matrix_id, 1)) == 12 and len(scorers.scores_of(matrix_id, 2)) == 2
    hand_over()
    page.screenshot(path=artifacts / f"scoring-delphi-{backend}.png", full_page=True)
    watch.assert_clean(page)
