"""The scoring matrix in a real browser: a supervisor adds criteria and candidates (one suggested by its location
quotient), compares the criteria pairwise and sees the consistency ratio change as they choose, then saves."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser_fixtures import assert_same_document, hand_over, no_reload_marker, signed_in_page
from tests.factories import make_plan, make_user
from tests.scoring_data import known_quotients

SHOTS = Path("/tmp/shots")


def add(page, section: str, label: str, name: str, button: str) -> None:
    box = page.locator(section)
    box.get_by_label(label).fill(name)
    box.get_by_role("button", name=button).click()
    expect(page.locator(f"{section} tbody input[value='{name}']")).to_be_visible()


def test_a_supervisor_builds_the_matrix_and_weighs_the_criteria_by_ahp(live_server, contexts, artifacts: Path,
                                                                         backend):
    supervisor = make_user(role="supervisor", email="sup@example.ir")
    plan_id = make_plan(supervisor, stage="analysis").id
    known_quotients()
    hand_over()

    page, watch = signed_in_page(contexts, live_server, "sup@example.ir")
    page.goto(f"{live_server}/plans/{plan_id}")
    page.get_by_role("link", name="ماتریس امتیازدهی").click()
    expect(page.get_by_role("heading", name="ماتریس امتیازدهی معیارها")).to_be_visible()
    no_reload_marker(page)

    add(page, "#scoring-criteria", "معیار تازه", "اشتغال‌زایی", "افزودن معیار")
    page.locator("#scoring-criteria form select[name=kind]").select_option("cost")
    add(page, "#scoring-criteria", "معیار تازه", "مصرف آب", "افزودن معیار")
    expect(page.locator("#scoring-criteria tbody tr", has_text="").nth(1).locator("select")).to_have_value("cost")
    add(page, "#scoring-criteria", "معیار تازه", "ارزش صادرات", "افزودن معیار")
    add(page, "#scoring-candidates", "گزینهٔ تازه", "گردشگری سلامت", "افزودن گزینه")
    add(page, "#scoring-candidates", "گزینهٔ تازه", "فرش دستباف", "افزودن گزینه")
    suggestion = page.locator("#suggestion-A")
    expect(suggestion).to_contain_text("۳٫۰۰")  # LQ_A = 0.30 / 0.10
    suggestion.get_by_role("button", name="افزودن").click()
    expect(page.locator("#suggestion-A")).to_contain_text("افزوده شد")
    expect(page.locator("#scoring-candidates tbody tr")).to_have_count(3)
    expect(page.locator("#scoring-candidates")).to_contain_text("ضریب مکانی")

    # a ≫ b ≫ c ≫ a: a circle of judgements, warned about as soon as they are chosen
    selects = page.locator("#ahp-form select")
    expect(selects).to_have_count(3)
    result = page.locator("#ahp-result")
    expect(result).to_contain_text("نرخ ناسازگاری (CR): ۰٫۰۰۰")
    for n, value in enumerate(("9", "1/9", "9")):
        selects.nth(n).select_option(value)
    expect(result.get_by_role("alert")).to_contain_text("مقایسه‌ها ناسازگارند")
    page.screenshot(path=SHOTS / f"scoring_inconsistent_{backend}.png", full_page=True)
    for n, value in enumerate(("2", "4", "2")):  # a = 2b = 4c: consistent, weights 4/7, 2/7, 1/7
        selects.nth(n).select_option(value)
    expect(result).to_contain_text("نرخ ناسازگاری (CR): ۰٫۰۰۰")
    expect(result.get_by_role("alert")).to_have_count(0)
    expect(result.locator("tbody tr").first).to_contain_text("۰٫۵۷۱")
    assert_same_document(page)

    page.get_by_role("button", name="ذخیرهٔ مقایسه‌ها و وزن‌ها").click()
    expect(page.locator("#flash")).to_contain_text("مقایسه‌ها و وزن‌های حاصل از آن‌ها ذخیره شد")
    expect(page.locator("#scoring-criteria tbody tr").first).to_contain_text("۰٫۵۷۱")
    expect(page.locator("#scoring-criteria")).to_contain_text("نرخ ناسازگاری ۰٫۰۰۰")
    assert_same_document(page)
    page.reload()
    expect(page.locator("#ahp-form select").first).to_have_value("2")
    page.screenshot(path=SHOTS / f"scoring_{backend}.png", full_page=True)
    page.screenshot(path=artifacts / f"scoring-{backend}.png", full_page=True)
    watch.assert_clean(page)
