"""The indicator explorer in a real browser: a supervisor opens it from the menu, chooses an indicator and counties
(htmx swaps the results, no reload, the URL keeps the choices), and the Chart.js charts hold exactly the stored
values; the table shows Persian digits; searching the picker folds Arabic letters. No CSP violation and no
JavaScript error (RELIABILITY X3). Screenshots (desktop and a 390-px phone) go to /tmp/shots/explorer_*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from planapp.core.clock import now
from planapp.extensions import db
from planapp.indicators.models import Indicator, Region, Sector
from planapp.indicators.seed import seed_catalog
from planapp.indicators.values import store_values
from tests.browser_fixtures import (
    assert_same_document,
    expect_no_horizontal_overflow,
    hand_over,
    no_reload_marker,
    signed_in_page,
)
from tests.factories import make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
YEARS = list(range(1398, 1405))
TABRIZ = [1_790_000, 1_806_110, 1_822_365, 1_838_766, 1_855_315, 1_872_013, 1_888_861]
MARAGHEH = [265_000, 266_325, 267_657, 268_995, 270_340, 271_692, None]  # 1404 not reported
PROVINCE = [3_907_000, 3_936_696, 3_966_635, 3_996_819, 4_027_252, 4_057_935, 4_088_870]
NATION = [83_000_000, 83_622_500, 84_249_669, 84_881_541, 85_518_153, 86_159_539, 86_805_736]


def code_ids(model, *codes: str) -> list[int]:
    found = dict(db.session.execute(sa.select(model.code, model.id).where(model.code.in_(codes))).all())
    return [found[code] for code in codes]


@pytest.fixture
def explorer_world(ctx):
    seed_catalog()
    (pop,) = code_ids(Indicator, "POP")
    nation, province, tabriz, maragheh = code_ids(Region, "IR", "EA", "EA-TABRIZ", "EA-MARAGHEH")
    (total,) = code_ids(Sector, "TOTAL")
    rows = [(pop, region, total, year, value, "مرکز آمار ایران")
            for region, series in ((nation, NATION), (province, PROVINCE), (tabriz, TABRIZ), (maragheh, MARAGHEH))
            for year, value in zip(YEARS, series, strict=True) if value is not None]
    store_values(pd.DataFrame(rows, columns=["indicator_id", "region_id", "sector_id", "year", "value", "source"]),
                 None, now())
    db.session.commit()
    email = make_user(role="supervisor", name="مریم رضایی").email
    hand_over()
    return {"email": email, "pop": pop, "tabriz": tabriz, "maragheh": maragheh, "province": province,
            "nation": nation}


def changed_and_drawn(page: Page, action) -> None:
    """Do something that makes htmx fetch new results, and wait until the new results' charts are drawn (the old
    results are marked first, so their own "ready" cannot be mistaken for the new one)."""
    page.evaluate("document.getElementById('explore-results').dataset.stale = 'yes'")
    action()
    expect(page.locator("#explore-results[data-charts=ready]:not([data-stale])")).to_be_attached()


def chart(page: Page, kind: str, indicator_id: int) -> dict:
    return page.evaluate(
        """([kind, id]) => {
          const canvas = document.getElementById(`chart-${kind}-${id}`);
          const chart = Chart.getChart(canvas);
          return chart && {type: chart.config.type, labels: chart.data.labels,
                           datasets: chart.data.datasets.map((d) => ({label: d.label, data: d.data})),
                           font: Chart.defaults.font.family, legendRtl: chart.options.plugins.legend.rtl,
                           tick: chart.scales.y.getLabelForValue ? chart.scales.y.ticks.map((t) => t.label) : []};
        }""",
        [kind, indicator_id],
    )


def test_a_supervisor_explores_population_by_county(server, contexts, explorer_world):
    w = explorer_world
    pop = w["pop"]
    page, watch = signed_in_page(contexts, server, w["email"], viewport={"width": 1280, "height": 900})
    page.locator("#explorer-link").click()
    expect(page).to_have_url(f"{server}/indicators/explore")
    expect(page.locator("h1")).to_have_text("کاوشگر شاخص‌ها")
    expect(page.locator("#explore-results")).to_contain_text("یک یا چند شاخص را انتخاب کنید")
    no_reload_marker(page)

    changed_and_drawn(page, lambda: page.locator(f'#indicator-choices input[value="{pop}"]').check())
    for county in ("tabriz", "maragheh"):
        changed_and_drawn(page, lambda county=county: page.locator(
            f'.explore-regions input[name="region"][value="{w[county]}"]').check())
    assert_same_document(page)
    expect(page).to_have_url(re.compile(rf"indicator={pop}.*region=.*region=.*region=.*region="))

    # The charts are Chart.js instances holding the stored values.
    for kind in ("series", "compare", "national", "ranked"):
        canvas = page.locator(f"#chart-{kind}-{pop}")
        expect(canvas).to_be_visible()
        assert canvas.get_attribute("aria-label")
    series = chart(page, "series", pop)
    assert series["type"] == "line" and series["labels"] == ["۱۳۹۸", "۱۳۹۹", "۱۴۰۰", "۱۴۰۱", "۱۴۰۲", "۱۴۰۳", "۱۴۰۴"]
    assert series["datasets"] == [
        {"label": "ایران", "data": NATION}, {"label": "استان آذربایجان شرقی", "data": PROVINCE},
        {"label": "تبریز", "data": TABRIZ}, {"label": "مراغه", "data": MARAGHEH}]
    assert series["font"].startswith("Vazirmatn") and series["legendRtl"] is True
    # Tick labels in Persian digits (large ones in short form: «۱٫۵ میلیون»), never ASCII digits.
    assert series["tick"] and all(re.search("[۰-۹]", tick) and not re.search("[0-9]", tick)
                                  for tick in series["tick"]), series["tick"]
    compare = chart(page, "compare", pop)
    assert compare["labels"] == ["تبریز", "مراغه"] and compare["datasets"][0]["data"] == [1_888_861, None]
    national = chart(page, "national", pop)
    assert [d["data"] for d in national["datasets"]] == [PROVINCE, NATION]
    ranked = chart(page, "ranked", pop)
    assert ranked["labels"] == ["۱. تبریز"] and ranked["datasets"][0]["data"] == [1_888_861]

    # The table: the same values in Persian digits, gaps as —, the source as a title.
    table = page.locator(f"#explore-table-{pop}")
    tabriz_row = table.locator("tr", has=page.locator("th", has_text="تبریز"))
    expect(tabriz_row.locator("td").last).to_have_text("۱٬۸۸۸٬۸۶۱")
    expect(tabriz_row.locator("td").last).to_have_attribute("title", "منبع: مرکز آمار ایران")
    maragheh_row = table.locator("tr", has=page.locator("th", has_text="مراغه"))
    expect(maragheh_row.locator("td").last).to_have_text("—")

    # Searching the picker with Arabic letters: the folded search finds the Persian name; the choice stays.
    page.locator("#explore-q").fill("بيكاري")
    expect(page.locator("#indicator-choices")).to_contain_text("نرخ بیکاری")
    expect(page.locator("#indicator-choices")).not_to_contain_text("مصرف آب")
    expect(page.locator(f'#indicator-choices input[value="{pop}"]')).to_be_checked()
    page.locator("#explore-q").fill("")
    expect(page.locator("#indicator-choices")).to_contain_text("مصرف آب")

    # Charts of a replaced result are destroyed, not left behind.
    changed_and_drawn(page, lambda: page.locator("#explore-from").fill("۱۴۰۰") or page.locator("#explore-to").press(
        "Tab"))
    assert page.evaluate("Object.values(Chart.instances).length") == 4
    assert chart(page, "series", pop)["labels"] == ["۱۴۰۰", "۱۴۰۱", "۱۴۰۲", "۱۴۰۳", "۱۴۰۴"]
    assert_same_document(page)

    # A bookmark of the URL opens the same view.
    url = page.url
    page.goto(url)
    expect(page.locator("#explore-results[data-charts=ready]")).to_be_attached()
    assert chart(page, "compare", pop)["datasets"][0]["data"] == [1_888_861, None]

    SHOTS.mkdir(exist_ok=True)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(SHOTS / "explorer_desktop.png"), full_page=True)
    watch.assert_clean(page)


def test_the_explorer_on_a_phone(server, contexts, explorer_world):
    w = explorer_world
    page, watch = signed_in_page(contexts, server, w["email"], viewport={"width": 390, "height": 844},
                                 device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(f"{server}/indicators/explore?indicator={w['pop']}&counties=all&region={w['province']}"
              f"&region={w['nation']}")
    expect(page.locator("#explore-results[data-charts=ready]")).to_be_attached()
    expect_no_horizontal_overflow(page, "the explorer on a phone")
    for kind in ("series", "compare", "national", "ranked"):
        box = page.locator(f"#chart-{kind}-{w['pop']}").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 391, (kind, box)
    SHOTS.mkdir(exist_ok=True)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(SHOTS / "explorer_mobile.png"), full_page=True)
    watch.assert_clean(page)
