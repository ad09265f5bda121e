"""Issue 6's story in a real browser: an officer fills the indicator grid of a "submit indicators" task and submits
it; a supervisor finds the values in the indicator explorer's chart and table.

Served with CSRF protection on; both browser contexts are watched for CSP violations and JavaScript errors.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from planapp.core.clock import now
from planapp.core.i18n import persian_digits
from planapp.extensions import db
from planapp.indicators import grid as grids
from planapp.indicators.models import Indicator, Region, Sector
from planapp.indicators.seed import seed_catalog
from planapp.tasks import services as tasks
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from tests.browser_fixtures import hand_over, signed_in_page
from tests.factories import make_agency, make_plan, make_user

pytestmark = pytest.mark.browser

# The values the chart draws, once the results' charts are ready (null until then).
CHART_VALUES = ("id => { const c = Chart.getChart(document.getElementById(id));"
                " return c && document.querySelector('#explore-results[data-charts=ready]')"
                " && c.data.datasets.flatMap(d => d.data).filter(v => v !== null); }")


def test_values_typed_in_a_task_grid_show_in_the_supervisors_explorer_chart(server: str, contexts, artifacts: Path,
                                                                             backend: str):
    seed_catalog()
    agency = make_agency("مرکز آمار و اطلاعات استان")
    officer = make_user("officer", agency, name="نرگس جعفری")
    supervisor = make_user("supervisor", name="سارا احمدی")
    population = db.session.scalar(sa.select(Indicator).where(Indicator.code == "POP"))
    population.source_agency_id = agency.id
    plan = make_plan(supervisor)
    task = tasks.create_task(supervisor, plan, {"title": "جمعیت استان", "kind": TaskKind.SUBMIT_INDICATORS,
                                                "agency_id": agency.id, "due_on": date(2099, 1, 3)}, now())
    db.session.commit()
    year = grids.last_year(now())
    province = db.session.scalar(sa.select(Region.id).where(Region.code == "EA"))
    total = db.session.scalar(sa.select(Sector.id).where(Sector.code == "TOTAL"))
    pop_id, task_id, officer_email, supervisor_email = population.id, task.id, officer.email, supervisor.email
    hand_over()

    # The officer types two years of the province's population (Persian digits and separators) and submits.
    page, watch = signed_in_page(contexts, server, officer_email)
    page.goto(f"{server}/tasks/{task_id}/")
    page.locator(f"#v-{pop_id}-{total}-{year - 1}").fill("۴٬۰۵۰٬۰۰۰")
    page.locator(f"#v-{pop_id}-{total}-{year}").fill("4,090,000")
    page.locator("#indicator-grid-save").click()
    expect(page.locator("#indicator-grid-saved")).to_contain_text("۲ مقدار ذخیره شد")
    page.locator("#action-take").click()
    expect(page.locator("#task-panel")).to_have_attribute("data-status", TaskStatus.IN_PROGRESS.value)
    page.locator("#action-submit").click()
    expect(page.locator("#task-panel")).to_have_attribute("data-status", TaskStatus.SUBMITTED.value)
    watch.assert_clean(page)

    # The supervisor goes to the explorer from the navigation, finds the indicator by a search typed with Arabic
    # letters, and chooses the province.
    page, watch = signed_in_page(contexts, server, supervisor_email)
    page.locator("#explorer-link").click()
    expect(page.locator("#explore-form")).to_be_visible()
    page.locator("#explore-q").fill("جمعيت")  # Arabic ي: folded to the Persian ی
    choice = page.locator(f"#indicator-choices input[name=indicator][value='{pop_id}']")
    expect(choice).to_be_visible()
    choice.check()
    page.locator(f"#explore-form input[name=region][value='{province}']").check()
    page.locator("#explore-from").fill(str(year - 1))
    page.locator("#explore-to").fill(str(year))
    page.locator("#explore-to").blur()  # its change fetches the results too
    page.evaluate("document.getElementById('explore-results').dataset.stale = 'yes'")
    page.locator("#explore-form button[type=submit]").click()
    ready = page.locator(f"#explore-results[data-charts=ready]:not([data-stale]) #explore-table-{pop_id}")
    expect(ready).to_be_attached()
    expect(page).to_have_url(re.compile(rf"/indicators/explore\?.*indicator={pop_id}"))  # bookmarkable

    # The change of the year box and the submit each fetch the results: wait for the chart the last one drew.
    values = page.wait_for_function(CHART_VALUES, arg=f"chart-series-{pop_id}").json_value()
    assert values == [4050000, 4090000], values
    table = page.locator(f"#explore-table-{pop_id}")
    expect(table).to_contain_text(persian_digits("4٬090٬000"))
    expect(table).to_contain_text("۴٬۰۵۰٬۰۰۰")
    page.screenshot(path=artifacts / f"explorer-from-grid-{backend}.png", full_page=True)
    watch.assert_clean(page)
