"""The indicator grid of "submit indicators" tasks: what it shows, saving it (all or nothing), who may save."""

from __future__ import annotations

from datetime import UTC, date, datetime

import lxml.html
import pandas as pd
import pytest
import sqlalchemy as sa
from flask import url_for

from planapp.audit.models import AuditEvent
from planapp.core import clock
from planapp.extensions import db
from planapp.indicators import grid as grids
from planapp.indicators import task_views
from planapp.indicators.models import Indicator, IndicatorValue, IndicatorValueChange, Region, Sector
from planapp.indicators.seed import seed_catalog
from planapp.indicators.validate import parse_numbers
from planapp.tasks import services as tasks
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import task_guests
from tests.factories import make_agency, make_plan, make_user, signed_in

NOW = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)  # 1405/02/15 in Tehran: the grid shows 1400–1404
YEARS = [1400, 1401, 1402, 1403, 1404]
HX = {"HX-Request": "true"}


class World:
    def __init__(self):
        clock.freeze(NOW)  # the ctx fixture thaws it
        seed_catalog()
        self.agency = make_agency("مرکز آمار استان")
        self.other_agency = make_agency("اداره کل میراث فرهنگی")
        self.officer = make_user("officer", self.agency, name="نرگس آماری")
        self.colleague = make_user("officer", self.agency)
        self.stranger = make_user("officer", self.other_agency)
        self.supervisor = make_user("supervisor", name="ناظر برنامه")
        self.ind = {code: db.session.scalar(sa.select(Indicator).where(Indicator.code == code))
                    for code in ("POP", "UNEMP", "EMP", "TOURISTS", "GDP")}
        for code in ("POP", "UNEMP", "EMP"):
            self.ind[code].source_agency_id = self.agency.id
        self.ind["TOURISTS"].source_agency_id = self.other_agency.id
        self.province = db.session.scalar(sa.select(Region).where(Region.code == "EA"))
        self.tabriz = db.session.scalar(sa.select(Region).where(Region.code == "EA-TABRIZ"))
        self.sector = {code: db.session.scalar(sa.select(Sector).where(Sector.code == code))
                       for code in ("TOTAL", "A", "C")}
        self.plan = make_plan(self.supervisor)
        self.task = tasks.create_task(self.supervisor, self.plan, {
            "title": "ارسال شاخص‌های جمعیت و اشتغال", "kind": TaskKind.SUBMIT_INDICATORS,
            "agency_id": self.agency.id, "due_on": date(2099, 1, 3)}, NOW)
        db.session.commit()
        self.url = f"/tasks/{self.task.id}/indicators"

    def cell(self, code: str, year: int, sector: str = "TOTAL") -> str:
        return f"v-{self.ind[code].id}-{self.sector[sector].id}-{year}"

    def form(self, cells: dict[str, str], region: Region | None = None, **extra) -> dict[str, str]:
        return {"region": str((region or self.province).id), "end": "1404", **cells, **extra}


@pytest.fixture
def w(ctx) -> World:
    return World()


def values() -> list[tuple]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(sa.select(
        IndicatorValue.indicator_id, IndicatorValue.region_id, IndicatorValue.sector_id, IndicatorValue.year,
        IndicatorValue.value, IndicatorValue.source, IndicatorValue.task_id, IndicatorValue.submitted_by_id)
        .order_by(IndicatorValue.indicator_id, IndicatorValue.sector_id, IndicatorValue.year))]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def save(browser, w: World, cells: dict[str, str], **kwargs):
    return browser.post(w.url, data=w.form(cells, **kwargs), headers=HX)


def page(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def years_of(element) -> list[str]:
    return [th.text_content() for th in element.xpath(".//thead//th[contains(@class, 'ind-grid-year')]")]


# --- what the grid shows ---------------------------------------------------------------------------------------


def test_the_task_page_shows_the_agencys_indicators_for_the_last_five_years(w, client):
    html = page(signed_in(client, w.officer).get(f"/tasks/{w.task.id}/"))
    grid = html.get_element_by_id("indicator-grid")
    rows = {row.get("id") for row in grid.xpath(".//tr[starts-with(@id, 'indicator-row-')]")
            if row.get("id").count("-") == 2}
    assert rows == {f"indicator-row-{w.ind[c].id}" for c in ("POP", "UNEMP")}  # not the other agency's TOURISTS
    assert years_of(grid)[:5] == [
        "۱۴۰۰", "۱۴۰۱", "۱۴۰۲", "۱۴۰۳", "۱۴۰۴"]
    sectors = grid.get_element_by_id(f"indicator-sectors-{w.ind['EMP'].id}")  # by sector: folded, a row a section
    assert sectors.tag == "details" and sectors.get("open") is None
    assert len(sectors.xpath(".//tbody/tr")) == 21 and len(sectors.xpath(".//tbody//input")) == 21 * 5
    assert "TOURISTS" not in grid.text_content() and "GDP" not in grid.text_content()
    options = grid.xpath(".//select[@id='indicator-grid-region']//option")
    assert options[0].get("value") == str(w.province.id) and options[0].get("selected") is not None
    assert len(options) == 22  # the province and its 21 counties
    assert grid.get_element_by_id("indicator-grid-save") is not None
    assert "حذف نمی‌کند" in grid.get_element_by_id("indicator-grid-hint").text_content()


def test_an_agency_without_indicators_is_told_whom_to_ask(w, client):
    task = tasks.create_task(w.supervisor, w.plan, {"title": "شاخص‌ها", "kind": TaskKind.SUBMIT_INDICATORS,
                                                    "agency_id": w.colleague.agency_id, "due_on": date(2099, 1, 3)},
                             NOW)
    lonely = make_agency("اداره کل بی‌شاخص")
    task.agency_id = lonely.id
    db.session.commit()
    html = page(signed_in(client, make_user("officer", lonely)).get(f"/tasks/{task.id}/"))
    text = html.get_element_by_id("indicator-grid-empty").text_content()
    assert "اداره کل بی‌شاخص" in text and "مدیر سامانه" in text
    assert not html.xpath("//*[@id='indicator-grid-form']") and not html.xpath("//*[@id='indicator-template-csv']")


def test_stored_values_are_prefilled_in_persian_digits_and_read_back_unchanged(w, client):
    save(signed_in(client, w.officer), w, {w.cell("POP", 1404): "3909652", w.cell("UNEMP", 1403): "0.1234567"})
    html = page(client.get(w.url, headers=HX))
    assert html.get_element_by_id(w.cell("POP", 1404)).get("value") == "۳٬۹۰۹٬۶۵۲"
    assert html.get_element_by_id(w.cell("UNEMP", 1403)).get("value") == "۰٫۱۲۳۴۵۶۷"


@pytest.mark.parametrize("value", [0.0, 7.0, -2.5, 0.1, 1 / 3, 3909652.0, 12345678.901, 1e16, 2.5e-7, -1234.5])
@pytest.mark.parametrize("locale", ["fa", "en"])
def test_a_shown_value_reads_back_as_the_same_number(value, locale):
    shown = grids.format_cell(value, locale)
    assert parse_numbers(pd.Series([shown]))[0] == value, shown


def test_another_region_and_other_years_are_one_request_away(w, client):
    browser = signed_in(client, w.officer)
    save(browser, w, {w.cell("POP", 1404): "1800000"}, region=w.tabriz)
    html = page(browser.get(w.url, query_string={"region": w.tabriz.id}, headers=HX))
    assert html.get_element_by_id(w.cell("POP", 1404)).get("value") == "۱٬۸۰۰٬۰۰۰"
    assert html.xpath("//select[@id='indicator-grid-region']//option[@selected]")[0].get("value") == str(w.tabriz.id)
    assert page(browser.get(w.url, headers=HX)).get_element_by_id(w.cell("POP", 1404)).get("value") == ""
    earlier = page(browser.get(w.url, query_string={"region": w.tabriz.id, "end": "۱۴۰۰"}, headers=HX))
    assert years_of(earlier)[:5] == [
        "۱۳۹۶", "۱۳۹۷", "۱۳۹۸", "۱۳۹۹", "۱۴۰۰"]
    assert earlier.get_element_by_id("indicator-grid-later") is not None
    newest = page(browser.get(w.url, query_string={"end": "1499"}, headers=HX))  # no further than this year
    assert years_of(newest)[-1] == "۱۴۰۵"
    assert not newest.xpath("//*[@id='indicator-grid-later']")


def test_the_year_window(w):
    assert grids.window(None, NOW) == YEARS
    assert grids.window("nonsense", NOW) == YEARS
    assert grids.window("۱۳۹۰", NOW) == [1386, 1387, 1388, 1389, 1390]
    assert grids.window(1200, NOW) == [1300, 1301, 1302, 1303, 1304]
    assert grids.window(99999, NOW) == [1401, 1402, 1403, 1404, 1405]


# --- saving ---------------------------------------------------------------------------------------------------


def test_saving_stores_the_values_with_the_task_and_the_officer(w, client):
    response = save(signed_in(client, w.officer), w, {
        w.cell("POP", 1404): "۳٬۹۰۹٬۶۵۲", w.cell("UNEMP", 1404): "۱۲٫۵", w.cell("UNEMP", 1403): "−0.5",
        w.cell("UNEMP", 1402): " ", f"source-{w.ind['POP'].id}": "سالنامهٔ آماری ۱۴۰۴"})
    assert response.status_code == 200
    assert "task-changed" in response.headers["HX-Trigger"]
    saved = page(response).get_element_by_id("indicator-grid-saved").text_content()
    assert saved.startswith("۳ ") and "۳ تازه" in saved
    p, u, total = w.ind["POP"].id, w.ind["UNEMP"].id, w.sector["TOTAL"].id
    assert sorted(values()) == sorted([
        (p, w.province.id, total, 1404, 3909652.0, "سالنامهٔ آماری ۱۴۰۴", w.task.id, w.officer.id),
        (u, w.province.id, total, 1403, -0.5, "", w.task.id, w.officer.id),
        (u, w.province.id, total, 1404, 12.5, "", w.task.id, w.officer.id),
    ])
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "task.indicators"))
    assert event.object_id == w.task.id and event.after["inserted"] == 3
    history = page(client.get(f"/tasks/{w.task.id}/")).get_element_by_id("task-history").text_content()
    assert "مقادیر شاخص‌ها را ذخیره کرد" in history


def test_by_sector_values_store_their_sector_and_counties_their_region(w, client):
    save(signed_in(client, w.officer), w, {w.cell("EMP", 1404, "A"): "120000", w.cell("EMP", 1404, "C"): "۹۸۰۰۰"},
         region=w.tabriz)
    assert [(row[1], row[2], row[4]) for row in values()] == [
        (w.tabriz.id, w.sector["A"].id, 120000.0), (w.tabriz.id, w.sector["C"].id, 98000.0)]


def test_one_bad_cell_stores_nothing_and_is_named_next_to_the_cell(w, client):
    browser = signed_in(client, w.officer)
    save(browser, w, {w.cell("POP", 1403): "100"})
    before = (count(IndicatorValue), count(IndicatorValueChange), count(AuditEvent))
    bad = w.cell("UNEMP", 1402)
    response = save(browser, w, {w.cell("POP", 1403): "200", w.cell("POP", 1404): "۱۲۳", bad: "۱۲ درصد",
                                 w.cell("EMP", 1404, "C"): "1,5"})
    assert response.status_code == 200 and "HX-Trigger" not in response.headers
    html = page(response)
    assert html.get_element_by_id(f"{bad}-error").text_content().startswith("عدد نیست")
    assert html.get_element_by_id(bad).get("aria-invalid") == "true"
    assert html.get_element_by_id(bad).get("value") == "۱۲ درصد"  # what was typed stays, to be corrected
    assert html.get_element_by_id(w.cell("POP", 1404)).get("value") == "۱۲۳"
    assert html.get_element_by_id(f"{w.cell('EMP', 1404, 'C')}-error") is not None
    assert html.get_element_by_id(f"indicator-sectors-{w.ind['EMP'].id}").get("open") is not None
    assert "هیچ مقداری ذخیره نشد" in html.get_element_by_id("indicator-grid-error").text_content()
    assert (count(IndicatorValue), count(IndicatorValueChange), count(AuditEvent)) == before
    assert values()[0][4] == 100.0


def test_a_too_long_source_is_refused_next_to_it(w, client):
    response = save(signed_in(client, w.officer), w, {w.cell("POP", 1404): "1",
                                                        f"source-{w.ind['POP'].id}": "م" * 201})
    assert page(response).get_element_by_id(f"source-{w.ind['POP'].id}-error") is not None
    assert count(IndicatorValue) == 0


def test_saving_the_same_values_again_changes_nothing(w, client):
    browser = signed_in(client, w.officer)
    cells = {w.cell("POP", 1404): "3909652", w.cell("UNEMP", 1404): "12.25"}
    save(browser, w, {**cells, f"source-{w.ind['POP'].id}": "سرشماری"})
    stored = values()
    # What the grid shows (Persian digits and separators) is posted back as it is.
    shown = page(browser.get(w.url, headers=HX))
    again = {name: shown.get_element_by_id(name).get("value") for name in cells}
    again[f"source-{w.ind['POP'].id}"] = shown.get_element_by_id(f"source-{w.ind['POP'].id}").get("value")
    assert again[w.cell("UNEMP", 1404)] == "۱۲٫۲۵" and again[f"source-{w.ind['POP'].id}"] == "سرشماری"
    response = save(browser, w, again)
    assert "۲ بدون تغییر" in page(response).get_element_by_id("indicator-grid-saved").text_content()
    assert values() == stored and count(IndicatorValueChange) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "task.indicators")) == 1


def test_a_changed_value_keeps_the_old_one_in_history_and_an_emptied_cell_deletes_nothing(w, client):
    browser = signed_in(client, w.officer)
    save(browser, w, {w.cell("POP", 1404): "100", w.cell("POP", 1403): "90"})
    response = save(browser, w, {w.cell("POP", 1404): "110", w.cell("POP", 1403): ""})
    assert "۱ تغییر" in page(response).get_element_by_id("indicator-grid-saved").text_content()
    assert [(row[3], row[4]) for row in values()] == [(1403, 90.0), (1404, 110.0)]
    change = db.session.scalar(sa.select(IndicatorValueChange))
    assert (change.old_value, change.new_value, change.changed_by_id) == (100.0, 110.0, w.officer.id)


def test_a_row_source_left_alone_keeps_each_stored_values_own_source(w, client):
    browser = signed_in(client, w.officer)
    pop = f"source-{w.ind['POP'].id}"
    save(browser, w, {w.cell("POP", 1403): "90", w.cell("POP", 1402): "80", pop: "سرشماری"})
    save(browser, w, {w.cell("POP", 1404): "100", pop: "برآورد"})  # two say سرشماری: the field shows it
    response = save(browser, w, {w.cell("POP", 1402): "80", w.cell("POP", 1403): "90", w.cell("POP", 1404): "100",
                                 pop: "سرشماری"})
    assert count(IndicatorValueChange) == 0, page(response).text_content()
    assert [(row[3], row[5]) for row in values()] == [(1402, "سرشماری"), (1403, "سرشماری"), (1404, "برآورد")]
    save(browser, w, {w.cell("POP", 1404): "100", pop: "سالنامه"})  # a new source is the row's source
    assert [row[5] for row in values()] == ["سرشماری", "سرشماری", "سالنامه"]


def test_a_stale_grid_is_refused_whole(w, client):
    response = save(signed_in(client, w.officer), w, {w.cell("POP", 1404): "1", w.cell("TOURISTS", 1404): "5"})
    assert response.status_code == 200 and "فهرست شاخص‌ها" in page(response).get_element_by_id(
        "indicator-grid-error").text_content()
    assert count(IndicatorValue) == 0


# --- who may save, and when -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [TaskStatus.SUBMITTED, TaskStatus.ACCEPTED, TaskStatus.CANCELLED])
def test_saving_is_refused_when_the_task_is_no_longer_with_the_agency(w, client, status):
    w.task.status = status
    db.session.commit()
    browser = signed_in(client, w.officer)
    response = save(browser, w, {w.cell("POP", 1404): "1"})
    assert response.status_code == 200 and count(IndicatorValue) == 0
    assert status.label in page(response).get_element_by_id("indicator-grid-error").text_content()
    html = page(browser.get(f"/tasks/{w.task.id}/"))
    assert html.get_element_by_id("indicator-grid-read-only") is not None
    assert not html.xpath("//*[@id='indicator-grid-save']") and not html.xpath("//input[starts-with(@name, 'v-')]")


@pytest.mark.parametrize("status", [TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED])
def test_saving_is_allowed_while_the_task_waits_for_the_agency(w, client, status):
    w.task.status = status
    db.session.commit()
    assert save(signed_in(client, w.colleague), w, {w.cell("POP", 1404): "1"}).status_code == 200
    assert values()[0][7] == w.colleague.id


def test_the_reviewing_supervisor_reads_the_grid_but_cannot_save(w, client):
    save(signed_in(client, w.officer), w, {w.cell("POP", 1404): "3909652"})
    client.post("/logout")
    browser = signed_in(client, w.supervisor)
    html = page(browser.get(f"/tasks/{w.task.id}/"))
    grid = html.get_element_by_id("indicator-grid")
    assert grid.get_element_by_id(w.cell("POP", 1404)).text_content() == "۳٬۹۰۹٬۶۵۲"
    assert not grid.xpath(".//input[starts-with(@name, 'v-')]") and not grid.xpath(".//*[@id='indicator-grid-save']")
    assert not grid.xpath(".//*[@id='indicator-grid-read-only']")  # a reviewer is not told they cannot: they read
    assert browser.post(w.url, data=w.form({w.cell("POP", 1404): "1"}), headers=HX).status_code == 403
    assert values()[0][4] == 3909652.0


@pytest.mark.parametrize("who", ["stranger", "participant", "guest_of_another_task"])
def test_people_the_task_is_not_for_get_404_on_the_grid_and_the_templates(w, client, who):
    person = {"stranger": lambda: w.stranger, "participant": lambda: make_user("participant"),
              "guest_of_another_task": lambda: _guest_of_another_task(w)}[who]()
    browser = signed_in(client, person)
    assert browser.post(w.url, data=w.form({w.cell("POP", 1404): "1"}), headers=HX).status_code == 404
    for url in (w.url, f"{w.url}/template.csv", f"{w.url}/template.xlsx"):
        assert browser.get(url).status_code == 404, url
    assert count(IndicatorValue) == 0


def _guest_of_another_task(w: World):
    other = tasks.create_task(w.supervisor, w.plan, {"title": "دیگر", "kind": TaskKind.SUBMIT_INDICATORS,
                                                     "agency_id": w.other_agency.id, "due_on": date(2099, 1, 3)}, NOW)
    guest = make_user("participant", make_agency())
    db.session.execute(task_guests.insert().values(task_id=other.id, user_id=guest.id))
    db.session.commit()
    return guest


def test_viewers_are_refused_by_role(w, client):
    browser = signed_in(client, make_user("viewer", w.agency))
    assert browser.post(w.url, data=w.form({w.cell("POP", 1404): "1"}), headers=HX).status_code == 403
    assert browser.get(f"{w.url}/template.csv").status_code == 403
    assert count(IndicatorValue) == 0


def test_a_task_of_another_kind_has_no_grid(w, client):
    other = tasks.create_task(w.supervisor, w.plan, {"title": "گزارش", "agency_id": w.agency.id,
                                                     "due_on": date(2099, 1, 3)}, NOW)
    db.session.commit()
    browser = signed_in(client, w.officer)
    assert 'id="indicator-grid"' not in browser.get(f"/tasks/{other.id}/").text
    for url in (f"/tasks/{other.id}/indicators", f"/tasks/{other.id}/indicators/template.csv"):
        assert browser.get(url).status_code == 404
    assert browser.post(f"/tasks/{other.id}/indicators", data=w.form({})).status_code == 404


def test_a_guest_invited_to_the_task_may_save(w, client):
    guest = make_user("participant", make_agency())
    db.session.execute(task_guests.insert().values(task_id=w.task.id, user_id=guest.id))
    db.session.commit()
    assert save(signed_in(client, guest), w, {w.cell("POP", 1404): "1"}).status_code == 200
    assert values()[0][7] == guest.id


def test_the_upload_link_shows_exactly_when_the_import_pages_exist(w, client, ctx):
    html = page(signed_in(client, w.officer).get(f"/tasks/{w.task.id}/"))
    endpoint = task_views.import_endpoint()
    links = html.xpath("//a/@href")
    if endpoint is None:
        assert not html.xpath("//*[@id='indicator-import-link']")
    else:
        with ctx.test_request_context():
            upload = url_for(endpoint, task_id=w.task.id)
        assert upload in links
    assert f"{w.url}/template.csv" in links and f"{w.url}/template.xlsx" in links


# --- X1: what users wrote is escaped in the grid --------------------------------------------------------------


def test_names_units_sources_and_typed_cells_are_escaped_in_the_grid(w, client, ctx):
    from tests.test_xss import PAYLOADS, assert_all_escaped, shows_escaped, switch_language

    hostile = []
    for n, payload in enumerate(PAYLOADS):
        hostile.append(Indicator(code=f"X{n}", name=payload, name_en=payload, category="social", unit=payload,
                                 unit_en=payload, by_sector=n == 0, source_agency_id=w.agency.id))
    w.agency.name = w.agency.name_en = PAYLOADS[1]
    w.tabriz.name = w.tabriz.name_en = PAYLOADS[2]
    w.sector["A"].name = w.sector["A"].name_en = PAYLOADS[3]
    db.session.add_all(hostile)
    db.session.commit()
    officer, supervisor = signed_in(client, w.officer), signed_in(ctx.test_client(), w.supervisor)
    total = w.sector["TOTAL"].id
    responses = {"saved": save(officer, w, {f"v-{hostile[1].id}-{total}-1404": "1", **{
        f"source-{indicator.id}": payload for indicator, payload in zip(hostile, PAYLOADS, strict=True)}},
        region=w.tabriz)}
    responses["refused"] = save(officer, w, {f"v-{hostile[2].id}-{total}-1404": PAYLOADS[1][:40]}, region=w.tabriz)
    for language in ("fa", "en"):
        switch_language(officer, language)
        switch_language(supervisor, language)
        for who, browser in (("officer", officer), ("supervisor", supervisor)):
            responses[f"{who} page {language}"] = browser.get(f"/tasks/{w.task.id}/")
            responses[f"{who} grid {language}"] = browser.get(w.url, query_string={"region": w.tabriz.id},
                                                              headers=HX)
    assert_all_escaped(responses, PAYLOADS)
    grid = responses["supervisor grid fa"].text
    for payload in PAYLOADS[2:]:
        assert shows_escaped(grid, payload), payload  # names, units and sources are read, not dropped
    assert shows_escaped(responses["refused"].text, PAYLOADS[1][:40])  # the typed text, given back escaped


def test_the_demo_gives_the_publishing_agencies_their_indicators(ctx):
    from planapp.demo import INDICATOR_SOURCES, seed_demo
    from planapp.tasks.models import Task

    seed_demo()
    seed_demo()  # again: nothing moves
    gdp = db.session.scalar(sa.select(Indicator).where(Indicator.code == "GDP"))
    assert gdp.source_agency.name_en == "Statistics and Information Office"
    assigned = db.session.scalar(sa.select(sa.func.count()).where(Indicator.source_agency_id.is_not(None)))
    assert assigned == sum(len(codes) for codes in INDICATOR_SOURCES.values())
    task = db.session.scalar(sa.select(Task).where(Task.kind == TaskKind.SUBMIT_INDICATORS,
                                                   Task.agency_id == gdp.source_agency_id).limit(1))
    grid = grids.load_grid(task, None, None, NOW, "fa")
    assert {block.indicator.code for block in grid.blocks} == set(INDICATOR_SOURCES["stats"])
    assert len(grid.regions) == 22


def test_saving_and_showing_a_grid_take_the_same_few_queries_however_many_indicators(w, client):
    from sqlalchemy import event

    browser = signed_in(client, w.officer)

    def statements(call) -> int:
        seen = []
        listener = lambda *args, **kwargs: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert call().status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    def every_cell(year: int) -> dict[str, str]:
        grid = grids.load_grid(w.task, None, None, NOW, "fa")
        return {cell.name: str(year) for _block, cell in grid.cells()}

    few = (statements(lambda: save(browser, w, every_cell(1))), statements(lambda: browser.get(w.url, headers=HX)))
    for indicator in db.session.scalars(sa.select(Indicator)):  # all 53, two of them by sector
        indicator.source_agency_id = w.agency.id
    db.session.commit()
    cells = every_cell(2)
    many = (statements(lambda: save(browser, w, cells)), statements(lambda: browser.get(w.url, headers=HX)))
    assert len(cells) > 400 and count(IndicatorValue) == len(cells)
    # No query per indicator, region or cell (the second save also updates three values and keeps their history).
    assert many[0] <= few[0] + 2 and many[1] <= few[1], (few, many)
