"""The analysis page in a real browser: the location quotient chart holds the table's values, the years re-render
the results in place (bookmarkable), and an uploaded input-output table shows its key sectors and linkage chart;
no CSP violation, no JavaScript error."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.analysis_data import io_csv, regional_world
from tests.browser_fixtures import assert_same_document, hand_over, no_reload_marker, signed_in_page
from tests.factories import make_plan, make_user

CHART_VALUES = """canvas => Chart.getChart(canvas).data.datasets.map(d => d.data)"""
TABLE_VALUES = """table => [...table.querySelectorAll('td[data-value]')].map(td => Number(td.dataset.value))"""


def test_a_supervisor_reads_the_charts_and_uploads_an_input_output_table(live_server, contexts, artifacts: Path,
                                                                          tmp_path: Path, backend):
    supervisor = make_user(role="supervisor", email="sup@example.ir")
    plan_id = make_plan(supervisor, stage="analysis").id
    regional_world()
    hand_over()

    page, watch = signed_in_page(contexts, live_server, "sup@example.ir")
    page.goto(f"{live_server}/plans/{plan_id}")
    page.get_by_role("link", name="تحلیل", exact=True).click()
    results = page.locator("#analysis-results")
    expect(results).to_have_attribute("data-charts", "ready")
    no_reload_marker(page)
    [lq] = page.locator('canvas[data-chart="lq"]').evaluate(CHART_VALUES)
    table = page.locator("#analysis-lq-table").evaluate(TABLE_VALUES)
    assert [round(v, 4) for v in table] == lq == [3, 2.5, 0.2857]
    expect(page.locator("#analysis-lq-table tbody tr").first).to_contain_text("۳٫۰۰")
    shift = page.locator('canvas[data-chart="shift"]').evaluate(CHART_VALUES)
    assert [round(v, 3) for v in shift[2]] == [10, -3.333, -8]  # regional shift of A, C, G

    page.locator("#analysis-base").select_option("1403")  # one year: shift-share says it needs two
    expect(page.locator("#analysis-results")).to_contain_text("سال پایه باید پیش از سال پایانی")
    expect(page.locator('canvas[data-chart="shift"]')).to_have_count(0)
    assert "base=1403" in page.url
    assert_same_document(page)

    file = tmp_path / "io.csv"
    file.write_bytes(io_csv())
    page.locator("#analysis-io input[type=file]").set_input_files(file)
    page.locator("#analysis-io").get_by_role("button", name="بارگذاری").click()
    expect(page.locator("#flash")).to_contain_text("ذخیره شد")
    key = page.locator("#analysis-key-sectors")
    expect(key).to_contain_text("صنعت (ساخت)")
    expect(key).not_to_contain_text("A کشاورزی")
    expect(page.locator("#analysis-io")).to_have_attribute("data-charts", "ready")
    [points] = page.locator('canvas[data-chart="linkages"]').evaluate(CHART_VALUES)
    linkages = page.locator("#analysis-io-table").evaluate(TABLE_VALUES)
    assert [(round(p["x"], 4), round(p["y"], 4)) for p in points] == [
        (round(linkages[i + 1], 4), round(linkages[i + 2], 4)) for i in range(0, len(linkages), 3)]
    assert_same_document(page)
    page.screenshot(path=artifacts / f"analysis-{backend}.png", full_page=True)

    # Loaded directly, without htmx: the linkage chart is drawn again.
    page.reload()
    expect(page.locator("#analysis-io")).to_have_attribute("data-charts", "ready")
    assert page.locator('canvas[data-chart="linkages"]').evaluate(CHART_VALUES) == [points]
    watch.assert_clean(page)
