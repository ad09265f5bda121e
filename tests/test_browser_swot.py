"""SWOT in a real browser: an officer and an invited participant put factors forward on their tasks; the supervisor
merges a duplicate, weighs and rates the factors, and reads IFE, EFE and the internal-external cell."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from playwright.sync_api import expect

from planapp.core.clock import now
from planapp.extensions import db
from planapp.swot.models import SwotFactor
from planapp.tasks import services as tasks
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import task_guests
from tests.browser_fixtures import hand_over, signed_in_page
from tests.factories import make_agency, make_plan, make_user


def swot_task(supervisor, plan, agency_id: int, title: str):
    return tasks.create_task(supervisor, plan, {"title": title, "kind": TaskKind.SWOT_INPUT, "agency_id": agency_id,
                                                "due_on": date(2099, 1, 3)}, now())


def add_factor(page, quadrant_label: str, text: str) -> None:
    form = page.locator("#swot-input")
    form.get_by_label("نوع عامل").select_option(label=quadrant_label)
    form.get_by_label("عامل", exact=True).fill(text)
    form.get_by_role("button", name="افزودن عامل").click()
    expect(page.locator("#swot-input li", has_text=re.compile(f"{re.escape(text)}$"))).to_be_visible()


def evaluate(page, name: str, entries: dict[str, tuple[str, str]]) -> None:
    """Fill weight and rating of each factor (by its text) in the IFE or EFE table and save."""
    section = page.locator(f"#swot-{name}-evaluation")
    for text, (weight, rating) in entries.items():
        row = section.locator("tbody tr", has_text=text)
        row.get_by_label("وزن").fill(weight)
        row.get_by_label("امتیاز").fill(rating)
    section.get_by_role("button", name="ذخیرهٔ وزن‌ها و امتیازها").click()


def test_factors_from_two_stakeholders_end_in_ife_efe_and_the_ie_cell(live_server, contexts, artifacts: Path,
                                                                       backend):
    supervisor = make_user(role="supervisor", email="sup@example.ir")
    officer = make_user(role="officer", email="officer@example.ir")
    guest = make_user(role="participant", agency=make_agency("انجمن صنایع"), email="guest@example.ir")
    plan = make_plan(supervisor)
    officer_task = swot_task(supervisor, plan, officer.agency_id, "عوامل درونی و بیرونی")
    guest_task = swot_task(supervisor, plan, guest.agency_id, "نظر بخش خصوصی")
    db.session.execute(task_guests.insert().values(task_id=guest_task.id, user_id=guest.id))
    db.session.commit()
    officer_task_id, guest_task_id, plan_id = officer_task.id, guest_task.id, plan.id
    hand_over()

    page, watch = signed_in_page(contexts, live_server, "officer@example.ir")
    page.goto(f"{live_server}/tasks/{officer_task_id}/")
    add_factor(page, "قوت", "نیروی کار جوان و ماهر")
    add_factor(page, "قوت", "نیروی کار جوان")  # the same strength again: the supervisor merges it
    add_factor(page, "ضعف", "کمبود آب در دشت‌ها")
    watch.assert_clean(page)

    page, watch = signed_in_page(contexts, live_server, "guest@example.ir")
    page.goto(f"{live_server}/tasks/{guest_task_id}/")
    add_factor(page, "فرصت", "مرز مشترک با دو کشور")
    add_factor(page, "تهدید", "تحریم‌های بین‌المللی")
    watch.assert_clean(page)

    page, watch = signed_in_page(contexts, live_server, "sup@example.ir")
    page.goto(f"{live_server}/plans/{plan_id}/swot")
    strengths = page.locator("#swot-strength")
    expect(strengths.locator("li")).to_have_count(2)
    with db.engine.connect() as connection:  # the ids the merge form offers
        ids = dict(connection.execute(SwotFactor.__table__.select().with_only_columns(
            SwotFactor.text, SwotFactor.id)).all())
    strengths.locator("select[name=duplicate_id]").select_option(value=str(ids["نیروی کار جوان"]))
    strengths.locator("select[name=keep_id]").select_option(value=str(ids["نیروی کار جوان و ماهر"]))
    strengths.get_by_role("button", name="ادغام").click()
    expect(page.locator(f"#swot-factor-{ids['نیروی کار جوان']}")).to_contain_text("ادغام‌شده در")
    internal = page.locator("#swot-internal-evaluation")
    expect(internal.locator("tbody tr")).to_have_count(2)  # the merged duplicate is not weighed twice

    # Persian digits and the Persian decimal separator, as people type them.
    evaluate(page, "internal", {"نیروی کار جوان و ماهر": ("۰٫۶", "۴"), "کمبود آب": ("0.4", "1")})
    expect(page.locator("#swot-internal-total")).to_have_text("نمرهٔ وزنی کل: ۲٫۸۰")
    evaluate(page, "external", {"مرز مشترک": ("۰٫۵", "۳"), "تحریم": ("۰٫۵", "۲")})
    expect(page.locator("#swot-external-total")).to_have_text("نمرهٔ وزنی کل: ۲٫۵۰")
    # IFE 2.80 (average) and EFE 2.50 (medium): cell V, hold and maintain.
    expect(page.locator("#swot-ie-matrix")).to_contain_text("خانهٔ V: نگهداری و حفظ")
    expect(page.locator("#swot-ie-matrix td[aria-current=true]")).to_have_text("V")

    # Weights that do not add up to 1 are kept as work in progress, but no total is claimed until they do.
    evaluate(page, "external", {"مرز مشترک": ("۰٫۹", "۳")})
    expect(page.locator("#swot-external-total")).to_have_text("جمع وزن‌ها باید ۱ شود.")
    expect(page.locator("#swot-ie-matrix td[aria-current=true]")).to_have_count(0)
    page.reload()
    expect(page.locator("#swot-external-evaluation tbody tr", has_text="مرز مشترک").get_by_label("وزن")).to_have_value(
        "۰٫۹")
    evaluate(page, "external", {"مرز مشترک": ("0.5", "3")})
    expect(page.locator("#swot-external-total")).to_have_text("نمرهٔ وزنی کل: ۲٫۵۰")
    page.screenshot(path=artifacts / f"swot-board-{backend}.png", full_page=True)
    watch.assert_clean(page)
