"""The indicator grid in a real browser: an officer opens a "submit indicators" task, types values (Persian digits
and separators among them), is told in place about a cell that is not a number (nothing stored), corrects it,
saves, sees the success line, then takes and submits the task. The supervisor reads the values, read only.
Screenshots of the grid in Persian, desktop and a 390-px phone, go to /tmp/shots/ (and test-artifacts/).

Served with CSRF protection ON; every browser context is watched for CSP violations and JavaScript errors.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from planapp.core.clock import now
from planapp.core.i18n import persian_digits
from planapp.extensions import db
from planapp.indicators import grid as grids
from planapp.indicators.models import Indicator, IndicatorValue, Region, Sector
from planapp.indicators.seed import seed_catalog
from planapp.tasks import services as tasks
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task
from tests.browser_fixtures import (
    assert_same_document,
    expect_language,
    expect_no_horizontal_overflow,
    hand_over,
    no_reload_marker,
    signed_in_page,
)
from tests.factories import make_agency, make_plan, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
AGENCY = "مرکز آمار و اطلاعات استان"
TASK_TITLE = "ارسال شاخص‌های جمعیت و اشتغال"
NOT_A_NUMBER_FA = "عدد نیست"
NOTHING_SAVED_FA = "هیچ مقداری ذخیره نشد"
SAVED_FA = "۳ مقدار ذخیره شد: ۳ تازه، ۰ تغییریافته، ۰ بدون تغییر."
STATUS_FA = {TaskStatus.IN_PROGRESS: "در حال انجام", TaskStatus.SUBMITTED: "ارسال‌شده برای بررسی"}


def the_story() -> SimpleNamespace:
    seed_catalog()
    agency = make_agency(AGENCY)
    officer = make_user("officer", agency, name="نرگس جعفری")
    supervisor = make_user("supervisor", name="سارا احمدی")
    codes = ("POP", "UNEMP", "LITERACY", "EMP", "VA")
    indicators = {i.code: i for i in db.session.scalars(sa.select(Indicator).where(Indicator.code.in_(codes)))}
    for indicator in indicators.values():
        indicator.source_agency_id = agency.id
    plan = make_plan(supervisor, title="برنامهٔ هفتم توسعهٔ استان")
    task = tasks.create_task(supervisor, plan, {"title": TASK_TITLE, "kind": TaskKind.SUBMIT_INDICATORS,
                                                "agency_id": agency.id, "due_on": date(2099, 1, 3)}, now())
    db.session.commit()
    year = grids.last_year(now())
    ids = {code: indicator.id for code, indicator in indicators.items()}
    sector = {code: db.session.scalar(sa.select(Sector.id).where(Sector.code == code)) for code in ("TOTAL", "C")}
    story = SimpleNamespace(officer=officer.email, supervisor=supervisor.email, task_id=task.id, year=year,
                            cell=lambda code, y=year, s="TOTAL": f"v-{ids[code]}-{sector[s]}-{y}", ids=ids,
                            province=db.session.scalar(sa.select(Region.id).where(Region.code == "EA")))
    hand_over()
    return story


def stored() -> list[tuple]:
    db.session.expire_all()
    rows = [tuple(row) for row in db.session.execute(sa.select(
        IndicatorValue.indicator_id, IndicatorValue.sector_id, IndicatorValue.year, IndicatorValue.value,
        IndicatorValue.task_id).order_by(IndicatorValue.id))]
    hand_over()
    return rows


def task_status(task_id: int) -> TaskStatus:
    db.session.expire_all()
    status = db.session.get(Task, task_id).status
    hand_over()
    return status


def shoot(page: Page, artifacts: Path, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"grid_{name}.png"
    page.locator("#indicator-grid").screenshot(path=path, caret="initial")
    shutil.copy(path, artifacts / path.name)
    return path


def test_an_officer_fills_the_grid_saves_and_submits_the_task(server: str, contexts, artifacts: Path, backend: str):
    story = the_story()
    page, watch = signed_in_page(contexts, server, story.officer, viewport={"width": 1280, "height": 900})
    expect_language(page, "fa", "rtl")
    page.goto(f"{server}/tasks/{story.task_id}/")
    grid = page.locator("#indicator-grid")
    expect(grid.locator("thead th.ind-grid-year").first).to_have_text(persian_digits(story.year - 4))
    no_reload_marker(page)

    # One cell is not a number: told next to it, in Persian; nothing is stored.
    page.locator(f"#{story.cell('POP')}").fill("۳٬۹۰۹٬۶۵۲")
    page.locator(f"#{story.cell('UNEMP')}").fill("۱۲ درصد")
    page.locator(f"#indicator-sectors-{story.ids['EMP']} summary").click()
    page.locator(f"#{story.cell('EMP', s='C')}").fill("98000")
    page.locator("#indicator-grid-save").click()
    expect(page.locator(f"#{story.cell('UNEMP')}-error")).to_contain_text(NOT_A_NUMBER_FA)
    expect(page.locator("#indicator-grid-error")).to_contain_text(NOTHING_SAVED_FA)
    expect(page.locator(f"#{story.cell('POP')}")).to_have_value("۳٬۹۰۹٬۶۵۲")  # what was typed is kept
    expect(page.locator(f"#indicator-sectors-{story.ids['EMP']}")).to_have_attribute("open", "")
    assert stored() == []
    shoot(page, artifacts, f"error_{backend}")

    # Corrected (Persian decimal separator), saved: the success line, the values stored with the task.
    page.locator(f"#{story.cell('UNEMP')}").fill("۱۲٫۵")
    page.locator("#indicator-grid-save").click()
    expect(page.locator("#indicator-grid-saved")).to_have_text(SAVED_FA)
    expect(page.locator(f"#{story.cell('POP')}")).to_have_value("۳٬۹۰۹٬۶۵۲")
    expect(page.locator(f"#{story.cell('UNEMP')}")).to_have_value("۱۲٫۵")
    expect(page.locator("#task-history")).to_contain_text("مقادیر شاخص‌ها را ذخیره کرد")  # refreshed in place
    assert sorted(stored()) == sorted([
        (story.ids["POP"], int(story.cell("POP").split("-")[2]), story.year, 3909652.0, story.task_id),
        (story.ids["UNEMP"], int(story.cell("UNEMP").split("-")[2]), story.year, 12.5, story.task_id),
        (story.ids["EMP"], int(story.cell("EMP", s="C").split("-")[2]), story.year, 98000.0, story.task_id)])
    shoot(page, artifacts, f"desktop_{backend}")

    # Take, then submit: the task goes to review.
    page.locator("#action-take").click()
    expect(page.locator("#task-panel")).to_have_attribute("data-status", TaskStatus.IN_PROGRESS.value)
    page.locator("#action-submit").click()
    expect(page.locator("#task-panel")).to_have_attribute("data-status", TaskStatus.SUBMITTED.value)
    expect(page.locator("#task-panel .task-status")).to_have_text(STATUS_FA[TaskStatus.SUBMITTED])
    assert_same_document(page)
    assert task_status(story.task_id) == TaskStatus.SUBMITTED

    # Saving again is refused in place now that the task waits for review.
    page.locator("#indicator-grid-save").click()
    expect(page.locator("#indicator-grid-error")).to_contain_text(STATUS_FA[TaskStatus.SUBMITTED])
    expect(page.locator("#indicator-grid-save")).to_have_count(0)
    watch.assert_clean(page)

    # The supervisor reads the values on a phone: read only, the years scroll inside the grid, not the page.
    phone, phone_watch = signed_in_page(contexts, server, story.supervisor, viewport={"width": 390, "height": 844})
    phone.goto(f"{server}/tasks/{story.task_id}/")
    expect(phone.locator(f"#{story.cell('POP')}")).to_have_text("۳٬۹۰۹٬۶۵۲")
    expect(phone.locator("#indicator-grid input[name^='v-']")).to_have_count(0)
    expect_no_horizontal_overflow(phone, "task page with the indicator grid, 390 px")
    scroller = phone.locator("#indicator-grid .ind-grid-scroll").first
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")  # the grid scrolls in its own box
    name = phone.locator("#indicator-grid tbody th.ind-grid-name").first
    before = name.bounding_box()
    scroller.evaluate("el => el.scrollBy({left: -400, behavior: 'instant'})")  # towards the later years (RTL)
    assert scroller.evaluate("el => el.scrollLeft") < 0  # it did scroll
    assert name.bounding_box()["x"] == pytest.approx(before["x"], abs=1)  # the name column stays in view
    expect(phone.locator(f"#indicator-sectors-{story.ids['EMP']} summary")).to_contain_text("۱ از ۱۰۵")
    shoot(phone, artifacts, f"mobile_{backend}")
    phone_watch.assert_clean(phone)


def test_an_officer_fills_the_grid_on_a_phone(server: str, contexts, artifacts: Path, backend: str):
    story = the_story()
    page, watch = signed_in_page(contexts, server, story.officer, viewport={"width": 390, "height": 844})
    page.goto(f"{server}/tasks/{story.task_id}/")
    expect_no_horizontal_overflow(page, "task page with the editable indicator grid, 390 px")
    cell = page.locator(f"#{story.cell('POP')}")
    cell.scroll_into_view_if_needed()
    cell.fill("۱۲۳۴۵")
    page.locator("#indicator-grid-save").click()
    expect(page.locator("#indicator-grid-saved")).to_contain_text("۱ مقدار ذخیره شد")
    expect(cell).to_have_value("۱۲٬۳۴۵")
    shoot(page, artifacts, f"mobile_officer_{backend}")
    watch.assert_clean(page)
