"""The indicator explorer's pages (planapp/indicators/explore_views.py): filters, htmx fragments, bad parameters,
CSV/XLSX exports (formula injection, X10), who may see it, and a constant number of SQL statements per page."""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from planapp.core.clock import now
from planapp.extensions import db
from planapp.indicators.models import Indicator, Region, RegionKind, Sector
from planapp.indicators.seed import seed_catalog
from planapp.indicators.values import store_values
from tests.factories import make_user, signed_in
from tests.sql_helpers import count_statements

HOSTILE_COUNTY = "=HYPERLINK(\"http://evil.example\",\"x\")"
HOSTILE_SOURCE = "@SUM(1+1)*cmd|' /C calc'!A0"
DATA = re.compile(r'<template id="explorer-data"[^>]*>(.*?)</template>', re.S)


def ids(model, *codes: str) -> list[int]:
    found = dict(db.session.execute(sa.select(model.code, model.id).where(model.code.in_(codes))).all())
    return [found[code] for code in codes]


@pytest.fixture
def world(ctx):
    """The seeded catalog and a few values: population of the nation, the province and two counties; employment
    in agriculture; a county named like a formula with a value whose source is a formula too."""
    seed_catalog()
    db.session.add(Region(code="EA-EVIL", name=HOSTILE_COUNTY, kind=RegionKind.COUNTY,
                          parent_id=ids(Region, "EA")[0]))
    db.session.flush()
    pop, emp, unemp = ids(Indicator, "POP", "EMP", "UNEMP")
    nation, province, tabriz, maragheh, evil = ids(Region, "IR", "EA", "EA-TABRIZ", "EA-MARAGHEH", "EA-EVIL")
    total, farming = ids(Sector, "TOTAL", "A")
    rows = [
        (pop, nation, total, 1403, 86_159_539, "مرکز آمار"), (pop, nation, total, 1404, 86_805_736, "مرکز آمار"),
        (pop, province, total, 1403, 4_057_935, "مرکز آمار"), (pop, province, total, 1404, 4_088_870, "مرکز آمار"),
        (pop, tabriz, total, 1403, 1_872_013, "استانداری"), (pop, tabriz, total, 1404, 1_888_861, "استانداری"),
        (pop, maragheh, total, 1404, 270_000, "مرکز آمار"), (pop, evil, total, 1404, 1_000, HOSTILE_SOURCE),
        (emp, province, farming, 1404, 260_000, "مرکز آمار"), (emp, nation, farming, 1404, 4_100_000, "مرکز آمار"),
        (emp, province, total, 1404, 1_350_000, "مرکز آمار"),
        (unemp, province, total, 1404, 7.6, "مرکز آمار"), (unemp, tabriz, total, 1404, 8.25, "مرکز آمار"),
    ]
    store_values(pd.DataFrame(rows, columns=["indicator_id", "region_id", "sector_id", "year", "value", "source"]),
                 None, now())
    db.session.commit()
    return {"pop": pop, "emp": emp, "unemp": unemp, "nation": nation, "province": province, "tabriz": tabriz,
            "maragheh": maragheh, "evil": evil, "total": total, "farming": farming}


@pytest.fixture
def supervisor(client, world):
    return signed_in(client, make_user(role="supervisor"))


def chart_data(html: str) -> dict:
    return json.loads(DATA.search(html).group(1))


def test_the_page_shows_the_table_and_the_chart_data(supervisor, world):
    w = world
    response = supervisor.get(f"/indicators/explore?indicator={w['pop']}&region={w['province']}"
                              f"&region={w['tabriz']}&region={w['maragheh']}&from=1403&to=1404")
    assert response.status_code == 200
    html = response.text
    assert 'id="explore-form"' in html and 'id="explore-results"' in html
    assert "کاوشگر شاخص‌ها" in html  # Persian UI
    table = html[html.index(f'id="explore-table-{w["pop"]}"'):]
    table = table[:table.index("</table>")]
    assert "۱٬۸۸۸٬۸۶۱" in table and "۴٬۰۸۸٬۸۷۰" in table and "۱٬۸۸۸,۸۶۱" not in table
    assert "—" in table  # Maragheh has no value in 1403
    assert 'title="منبع: استانداری"' in table
    assert "(نفر)" in html
    for kind in ("series", "compare", "national", "ranked"):
        assert f'id="chart-{kind}-{w["pop"]}"' in html
    data = chart_data(html)
    assert data["locale"] == "fa"
    block = data["indicators"][0]
    assert block["id"] == w["pop"] and block["yearLabels"] == ["۱۴۰۳", "۱۴۰۴"]
    assert [s["values"] for s in block["series"]] == [[4_057_935, 4_088_870], [1_872_013, 1_888_861], [None, 270_000]]
    assert block["national"]["nation"] == [86_159_539, 86_805_736] and block["national"]["twoAxes"]
    assert block["ranked"]["names"][:2] == ["تبریز", "مراغه"]
    assert block["compare"]["names"] == ["تبریز", "مراغه"] and block["compare"]["year"] == 1404


def test_english_users_get_english_digits_and_names(client, world):
    w = world
    signed_in(client, make_user(role="viewer", language="en"))
    html = client.get(f"/indicators/explore?indicator={w['unemp']}&region={w['tabriz']}&region={w['province']}"
                      "&from=1404&to=1404").text
    data = chart_data(html)
    assert data["locale"] == "en"
    block = data["indicators"][0]
    assert block["yearLabels"] == ["1404"] and block["unit"] == "%" and block["name"] == "Unemployment rate"
    assert [s["name"] for s in block["series"]] == ["East Azerbaijan Province", "Tabriz"]
    assert ">8.25<" in html and ">7.6<" in html and "Indicator explorer" in html


def test_by_sector_indicators_show_the_chosen_sector(supervisor, world):
    w = world
    html = supervisor.get(f"/indicators/explore?indicator={w['emp']}&indicator={w['pop']}&sector={w['farming']}"
                          "&from=1404&to=1404").text
    data = chart_data(html)
    emp, pop = data["indicators"]
    assert emp["national"]["province"] == [260_000] and emp["national"]["nation"] == [4_100_000]
    assert pop["national"]["province"] == [4_088_870]  # not by sector: its total, whatever sector is chosen
    assert "کشاورزی، جنگلداری و ماهیگیری" in html


def test_htmx_gets_only_the_results_or_only_the_picker(supervisor, world):
    w = world
    url = f"/indicators/explore?indicator={w['pop']}"
    results = supervisor.get(url, headers={"HX-Request": "true", "HX-Target": "explore-results"})
    assert results.status_code == 200
    assert results.text.lstrip().startswith('<div id="explore-results"') and "<html" not in results.text
    assert 'id="explorer-data"' in results.text and 'id="explore-form"' not in results.text
    boosted = supervisor.get(url, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text  # navigation gets the whole page
    # The picker, searched with Arabic letters and a missing ZWNJ: the shared fold finds the Persian names.
    picker = supervisor.get(f"/indicators/explore?q=بيكاري&indicator={w['pop']}",
                            headers={"HX-Request": "true", "HX-Target": "indicator-choices"})
    assert picker.text.lstrip().startswith('<div id="indicator-choices"')
    assert "نرخ بیکاری" in picker.text and "نرخ بیکاری جوانان" in picker.text
    assert "جمعیت" in picker.text  # chosen: stays in the list, checked
    assert "مصرف آب" not in picker.text
    assert 'id="explorer-data"' not in picker.text


@pytest.mark.parametrize(("query", "message"), [
    ("indicator=987654", "شاخص فعالی با شمارهٔ ۹۸۷۶۵۴ وجود ندارد"),
    ("indicator=abc", "«abc» شمارهٔ شاخص نیست"),
    ("indicator={pop}&from=1404&to=1398", "سال آغاز پس از سال پایان آمده بود"),
    ("indicator={pop}&from=سال", "«سال» سال نیست"),
    ("indicator={pop}&to=99999999999999", "«۹۹۹۹۹۹۹۹۹۹۹۹۹۹» سال نیست"),  # the user's digits
    ("indicator={pop}&from=1200", "سال ۱۲۰۰ بیرون از سال‌هایی است"),
    ("indicator={pop}&region=x", "«x» شمارهٔ منطقه نیست"),
    ("indicator={pop}&region=987654", "منطقهٔ فعالی با شمارهٔ ۹۸۷۶۵۴ وجود ندارد"),
    ("indicator={pop}&sector=987654", "بخش فعالی با شمارهٔ ۹۸۷۶۵۴ وجود ندارد"),
    ("indicator={pop}&from=1400&to=1402&year=1404", "سال مقایسه (۱۴۰۴) در بازهٔ سال‌های انتخاب‌شده نیست"),
    ("indicator={pop}&from=1300&to=1404", "حداکثر ۳۰ سال"),
    ("indicator=1&indicator=2&indicator=3&indicator=4&indicator=5&indicator=6&indicator=7", "حداکثر ۶ شاخص"),
])
def test_bad_parameters_get_a_clear_message_and_the_form(supervisor, world, query, message):
    for headers in ({}, {"HX-Request": "true", "HX-Target": "explore-results"}):
        response = supervisor.get("/indicators/explore?" + query.format(pop=world["pop"]), headers=headers)
        assert response.status_code == 200
        assert message in response.text
        assert 'role="alert"' in response.text
        if not headers:
            assert 'id="explore-form"' in response.text


def test_reversed_years_are_turned_around_not_refused(supervisor, world):
    html = supervisor.get(f"/indicators/explore?indicator={world['pop']}&from=1404&to=1403").text
    assert chart_data(html)["indicators"][0]["years"] == [1403, 1404]


def test_nothing_chosen_asks_for_an_indicator(supervisor):
    html = supervisor.get("/indicators/explore").text
    assert "برای دیدن مقادیر و نمودارها، یک یا چند شاخص را انتخاب کنید." in html
    assert chart_data(html)["indicators"] == []


# ------------------------------------------------------------------------------------------------ exports


def test_csv_export_has_the_same_selection_in_persian_and_neutralises_formulas(supervisor, world):
    w = world
    response = supervisor.get(f"/indicators/explore.csv?indicator={w['pop']}&counties=all&region={w['province']}"
                              "&from=1403&to=1404")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert re.fullmatch(r'attachment; filename="indicators-\d{4}-\d{2}-\d{2}\.csv"',
                        response.headers["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["کد شاخص", "شاخص", "کد منطقه", "منطقه", "کد بخش", "بخش", "سال (شمسی)", "مقدار", "واحد",
                       "منبع"]
    body = rows[1:]
    assert ["POP", "جمعیت", "EA-TABRIZ", "تبریز", "TOTAL", "همهٔ بخش‌ها (کل)", "1404", "1888861.0", "نفر",
            "استانداری"] in body
    assert {row[2] for row in body} == {"EA", "EA-TABRIZ", "EA-MARAGHEH", "EA-EVIL"}  # the nation was not chosen
    evil = next(row for row in body if row[2] == "EA-EVIL")
    assert evil[3] == "'" + HOSTILE_COUNTY and evil[9] == "'" + HOSTILE_SOURCE


def test_xlsx_export_is_typed_right_to_left_and_holds_no_formula(supervisor, world):
    w = world
    response = supervisor.get(f"/indicators/explore.xlsx?indicator={w['pop']}&region={w['evil']}"
                              f"&region={w['tabriz']}&from=1404&to=1404")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.sheet_view.rightToLeft
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("کد شاخص", "شاخص", "کد منطقه", "منطقه")
    assert rows[1][2:4] == ("EA-TABRIZ", "تبریز") and rows[1][6] == 1404 and rows[1][7] == 1_888_861
    evil = rows[2]
    assert evil[3] == "'" + HOSTILE_COUNTY and evil[9] == "'" + HOSTILE_SOURCE
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_exports_with_bad_parameters_still_answer(supervisor, world):
    for url in ("/indicators/explore.csv?indicator=abc&from=x", "/indicators/explore.xlsx?indicator=987654",
                "/indicators/explore.csv"):
        response = supervisor.get(url)
        assert response.status_code == 200
    assert supervisor.get("/indicators/explore.csv").data.decode("utf-8-sig").count("\r\n") == 1  # headers only


# ------------------------------------------------------------------------------------------------ who


@pytest.mark.parametrize(("role", "allowed"), [
    ("admin", True), ("supervisor", True), ("officer", True), ("viewer", True), ("council_member", True),
    ("participant", False),
])
def test_who_may_explore(client, world, role, allowed):
    signed_in(client, make_user(role=role))
    for url in (f"/indicators/explore?indicator={world['pop']}", f"/indicators/explore.csv?indicator={world['pop']}",
                "/indicators/explore.xlsx"):
        assert client.get(url).status_code == (200 if allowed else 403)
    link = 'href="/indicators/explore"'
    assert (link in client.get("/").text) is allowed


def test_strangers_are_sent_to_sign_in(client, world):
    for url in ("/indicators/explore", "/indicators/explore.csv", "/indicators/explore.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# ------------------------------------------------------------------------------------------------ query cost


def test_the_number_of_statements_does_not_grow_with_the_selection(supervisor, world):
    w = world
    small = f"/indicators/explore?indicator={w['pop']}&region={w['tabriz']}&from=1404&to=1404"
    every_indicator = "&".join(f"indicator={i}" for i in db.session.scalars(sa.select(Indicator.id).limit(6)))
    large = f"/indicators/explore?{every_indicator}&counties=all&region={w['nation']}&from=1380&to=1404"
    db.session.commit()
    counts = {}
    for name, url in (("small", small), ("large", large), ("small csv", small.replace("explore?", "explore.csv?")),
                      ("large csv", large.replace("explore?", "explore.csv?"))):
        supervisor.get(url)  # warm: the session and the user's row
        with count_statements(include_begin=False) as statements:
            assert supervisor.get(url).status_code == 200
        counts[name] = len(statements)
    assert counts["small"] == counts["large"] and counts["small csv"] == counts["large csv"], counts
    assert counts["large"] <= 12, counts


def test_values_are_read_through_an_index(ctx, world, backend):
    """The value query is an index search, never a scan of the table: PostgreSQL takes ix_indicator_values_explore
    (indicator_id, year, region_id); SQLite prefers the unique key (indicator, region, sector, year), which the
    query constrains on all four columns."""
    from planapp.indicators import explore_queries

    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM indicator_values" in statement:
            seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        explore_queries.read_values([world["pop"]], [world["tabriz"], world["province"]], [world["total"]], 1398,
                                    1404)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert len(seen) == 1
    statement, parameters = seen[0]
    connection = db.session.connection()
    if backend == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a handful of rows: make the planner choose
        plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    else:
        plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    text = " ".join(str(row) for row in plan)
    if backend == "postgresql":
        assert "ix_indicator_values_explore" in text and "Seq Scan" not in text, plan
    else:
        assert "SEARCH indicator_values USING INDEX" in text and "SCAN indicator_values" not in text, plan
    db.session.rollback()
