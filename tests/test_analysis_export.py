"""The analysis page's export: the same figures as the analytics functions, a sheet per table with headers in the
reader's language and right-to-left for Persian, numbers as numbers, formula payloads neutralised, the page's
reasons where a table has no numbers, the page's access rules, and a fixed number of statements."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from planapp.analytics import herfindahl, input_output, location_quotient, shift_share, specialization
from planapp.extensions import db
from planapp.indicators.models import Region, Sector
from tests.analysis_data import NATION, PROVINCE, io_csv, io_table_row, regional_world
from tests.factories import make_plan, make_user, signed_in
from tests.sql_helpers import count_statements
from tests.test_exports import PAYLOADS as FORMULA_PAYLOADS
from tests.test_exports import assert_no_formula

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(ctx):
    regional_world()
    supervisor = make_user(role="supervisor")
    return make_plan(supervisor, stage="analysis"), supervisor


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.text
    assert response.mimetype == XLSX and "attachment" in response.headers["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.data))


def rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def store_io_table(plan, user, labels: list[str] | None = None) -> None:
    db.session.add(io_table_row(plan.id, user.id, labels))
    db.session.commit()


# --- the figures ---------------------------------------------------------------------------------------------------


def _expected_regional(base: int = 1400, end: int = 1403):
    codes = ["A", "C", "G"]
    series = {(region, year): pd.Series([data[year][c] for c in codes], index=codes, dtype=float)
              for region, data in (("p", PROVINCE), ("n", NATION)) for year in (base, end)}
    lq = location_quotient(series["p", end], series["n", end])
    parts = shift_share(series["p", base], series["p", end], series["n", base], series["n", end])
    return series, lq, parts


def test_the_workbook_holds_the_figures_the_analytics_functions_compute(world, client):
    plan, supervisor = world
    store_io_table(plan, supervisor)
    book = workbook(signed_in(client, supervisor).get(f"/plans/{plan.id}/analysis/export.xlsx"))
    assert book.sheetnames == ["ضریب‌های مکانی", "تحلیل تغییر سهم", "جدول داده-ستانده"]
    series, lq, parts = _expected_regional()

    lq_rows = rows(book.worksheets[0])
    assert lq_rows[0] == ["کد بخش ISIC", "بخش ISIC", "استان", "کشور", "ضریب مکانی"]
    table = lq_rows[1:4]
    assert [row[0] for row in table] == ["A", "C", "G"]  # highest quotient first, as on the page
    assert [row[1] for row in table] == ["کشاورزی", "صنعت (ساخت)", "عمده‌فروشی و خرده‌فروشی"]
    for code, _name, province, nation, quotient in table:
        assert (province, nation) == (series["p", 1403][code], series["n", 1403][code])
        assert quotient == pytest.approx(lq[code], abs=1e-12)
        assert all(isinstance(number, int | float) for number in (province, nation, quotient))
    assert lq_rows[4] == [None] * 5
    assert lq_rows[5][1] == "شاخص تخصص‌گرایی کروگمن"
    assert lq_rows[5][4] == pytest.approx(specialization(series["p", 1403], series["n", 1403]))
    assert lq_rows[6][1] == "تمرکز هرفیندال"
    assert lq_rows[6][2:4] == pytest.approx([herfindahl(series["p", 1403]), herfindahl(series["n", 1403])])
    assert len(lq_rows) == 7

    shift = rows(book.worksheets[1])
    assert shift[0] == ["کد بخش ISIC", "بخش ISIC", "۱۴۰۰", "۱۴۰۳", "سهم ملی", "ترکیب صنعتی", "تغییر منطقه‌ای",
                        "تغییر کل"]
    assert [row[0] for row in shift[1:]] == ["A", "C", "G"]
    for code, _name, base, end, *three_and_total in shift[1:]:
        assert (base, end) == (series["p", 1400][code], series["p", 1403][code])
        assert three_and_total == pytest.approx(parts.loc[code, ["national_share", "industry_mix",
                                                                  "regional_shift", "total_change"]].tolist())

    io_rows = rows(book.worksheets[2])
    assert io_rows[0] == ["بخش", "کد بخش ISIC", "ضریب فزایندهٔ ستانده", "پیوند پسین", "پیوند پیشین", "بخش کلیدی"]
    labels = ["A کشاورزی", "صنعت (ساخت)", "G"]
    flows = pd.DataFrame([[10, 60, 5], [40, 300, 60], [5, 80, 0]], index=labels, columns=labels, dtype=float)
    expected = input_output(flows, pd.Series([200, 900, 400], index=labels, dtype=float))
    assert [row[:2] for row in io_rows[1:]] == [["A کشاورزی", "A"], ["صنعت (ساخت)", "C"], ["G", "G"]]
    for label, _section, multiplier, backward, forward, key in io_rows[1:]:
        assert [multiplier, backward, forward] == pytest.approx([expected.output_multipliers[label],
                                                                 expected.backward_linkage[label],
                                                                 expected.forward_linkage[label]])
        assert key == ("بله" if backward > 1 and forward > 1 else "خیر")
    assert [row[5] for row in io_rows[1:]].count("بله") == 1  # manufacturing, as the page's key sectors say


def test_persian_sheets_run_right_to_left_and_english_ones_left_to_right_with_english_names(world, client):
    plan, _supervisor = world
    persian = workbook(signed_in(client, make_user(role="supervisor")).get(f"/plans/{plan.id}/analysis/export.xlsx"))
    assert all(sheet.sheet_view.rightToLeft for sheet in persian.worksheets)
    client.post("/logout")
    english_reader = signed_in(client, make_user(role="supervisor", language="en"))
    english = workbook(english_reader.get(f"/plans/{plan.id}/analysis/export.xlsx"))
    assert english.sheetnames == ["Location quotients", "Shift-share"]  # no IO table: no IO sheet
    assert not any(sheet.sheet_view.rightToLeft for sheet in english.worksheets)
    lq_rows = rows(english.worksheets[0])
    assert lq_rows[0] == ["ISIC section code", "ISIC section", "Province", "Nation", "Location quotient"]
    assert [row[1] for row in lq_rows[1:4]] == ["Agriculture", "Manufacturing", "Trade"]
    assert lq_rows[5][1] == "Krugman specialization index" and lq_rows[6][1] == "Herfindahl concentration"
    assert rows(english.worksheets[1])[0][2:8] == ["1400", "1403", "National share", "Industry mix",
                                                   "Regional shift", "Total change"]


def test_the_query_string_chooses_what_is_exported_like_the_page(world, client):
    plan, supervisor = world
    browser = signed_in(client, supervisor)
    page = browser.get(f"/plans/{plan.id}/analysis?indicator=EMP&base=1400&end=1403").text
    links = re.findall(r'href="(/plans/\d+/analysis/export\.(?:xlsx|csv)\?[^"]+)"', page)
    assert len(links) == 2 and all("indicator=EMP" in link and "base=1400" in link and "end=1403" in link
                                   for link in links)
    one_year = workbook(browser.get(f"/plans/{plan.id}/analysis/export.xlsx?indicator=EMP&base=۱۴۰۳&end=1403"))
    shift = rows(one_year.worksheets[1])
    assert len(shift) == 2 and "سال پایه باید پیش از سال پایانی" in shift[1][1]  # the page's reason
    assert len(rows(one_year.worksheets[0])) == 7  # the quotients of 1403 are still there
    fragment = browser.get(f"/plans/{plan.id}/analysis?end=1401&indicator=XYZ",
                           headers={"HX-Request": "true", "HX-Target": "analysis-results"}).text
    assert "indicator=EMP" in fragment[fragment.index('id="analysis-exports"'):]  # the default that is shown
    odd = rows(workbook(browser.get(f"/plans/{plan.id}/analysis/export.xlsx?end=1401&indicator=XYZ")).worksheets[0])
    assert any("«XYZ»" in (row[1] or "") for row in odd) and any("۱۴۰۱" in (row[1] or "") for row in odd)


def test_the_csv_holds_the_location_quotients(world, client):
    plan, supervisor = world
    response = signed_in(client, supervisor).get(f"/plans/{plan.id}/analysis/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert re.fullmatch(r'attachment; filename="analysis-plan-\d+-\d{4}-\d\d-\d\d\.csv"',
                        response.headers["Content-Disposition"])
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0] == ["کد بخش ISIC", "بخش ISIC", "استان", "کشور", "ضریب مکانی"]
    assert [row[0] for row in table[1:4]] == ["A", "C", "G"]
    assert [float(row[4]) for row in table[1:4]] == pytest.approx([3.0, 2.5, 0.2 / 0.7])


# --- missing data -------------------------------------------------------------------------------------------------


def test_an_indicator_without_common_years_exports_the_pages_reason(world, client):
    plan, supervisor = world
    browser = signed_in(client, supervisor)
    book = workbook(browser.get(f"/plans/{plan.id}/analysis/export.xlsx?indicator=VA"))
    for sheet in book.worksheets:
        [_header, [_code, reason, *rest]] = rows(sheet)
        assert "سال مشترکی" in reason and not any(rest)
    table = list(csv.reader(io.StringIO(browser.get(f"/plans/{plan.id}/analysis/export.csv?indicator=VA")
                                        .data.decode("utf-8-sig"))))
    assert len(table) == 2 and "سال مشترکی" in table[1][1]


def test_without_the_province_or_any_values_the_reason_is_exported_not_an_error(world, client):
    plan, supervisor = world
    db.session.execute(sa.update(Region).where(Region.code == "IR").values(is_active=False))
    db.session.commit()
    browser = signed_in(client, supervisor)
    book = workbook(browser.get(f"/plans/{plan.id}/analysis/export.xlsx"))
    assert [rows(sheet)[1:] for sheet in book.worksheets] == [
        [[None, "استان و کشور هر دو باید در فهرست مناطق باشند.", None, None, None]],
        [[None, "استان و کشور هر دو باید در فهرست مناطق باشند.", *[None] * 6]]]
    english = signed_in(client.application.test_client(), make_user(role="supervisor", language="en"))
    reason = rows(workbook(english.get(f"/plans/{plan.id}/analysis/export.xlsx")).worksheets[0])[1][1]
    assert reason == "The province and the nation must both be among the regions."


def test_a_stored_table_that_no_longer_computes_exports_its_reason(world, client):
    plan, supervisor = world
    store_io_table(plan, supervisor)
    db.session.execute(sa.text("UPDATE io_tables SET outputs = :o"), {"o": "[0, 0, 0]"})
    db.session.commit()
    io_rows = rows(workbook(signed_in(client, supervisor).get(f"/plans/{plan.id}/analysis/export.xlsx"))
                   .worksheets[2])
    assert len(io_rows) == 2 and io_rows[1][0] and not any(io_rows[1][1:])


# --- formula injection ----------------------------------------------------------------------------------------------


def test_formula_payloads_in_section_names_and_table_labels_are_neutralised(world, client):
    plan, supervisor = world
    payloads = [payload for payload in FORMULA_PAYLOADS if "\x00" not in payload][:3]
    for code, payload in zip(("A", "C", "G"), payloads, strict=True):
        db.session.execute(sa.update(Sector).where(Sector.code == code).values(name=payload))
    store_io_table(plan, supervisor, labels=payloads)
    db.session.commit()
    browser = signed_in(client, supervisor)
    response = browser.get(f"/plans/{plan.id}/analysis/export.xlsx")
    book = workbook(response)
    assert_no_formula(response.data)
    names = [row[1] for row in rows(book.worksheets[0])[1:4]] + [row[1] for row in rows(book.worksheets[1])[1:]]
    labels = [row[0] for row in rows(book.worksheets[2])[1:]]
    assert sorted(names) == sorted(["'" + payload for payload in payloads] * 2)
    assert labels == ["'" + payload for payload in payloads]
    assert all(isinstance(row[4], int | float) for row in rows(book.worksheets[0])[1:4])  # numbers stay numbers
    table = list(csv.reader(io.StringIO(browser.get(f"/plans/{plan.id}/analysis/export.csv")
                                        .data.decode("utf-8-sig"))))
    assert sorted(row[1] for row in table[1:4]) == sorted("'" + payload for payload in payloads)


# --- who may export -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["officer", "council_member", "admin"])
def test_readers_of_the_page_may_export_it(world, client, role):
    plan, _supervisor = world
    browser = signed_in(client, make_user(role=role))
    assert len(rows(workbook(browser.get(f"/plans/{plan.id}/analysis/export.xlsx")).worksheets[0])) == 7


def test_those_who_may_not_see_the_page_may_not_export_it(world, client):
    plan, _supervisor = world
    for fmt in ("xlsx", "csv"):
        assert client.get(f"/plans/{plan.id}/analysis/export.{fmt}").status_code == 302  # to the sign-in page
    participant = signed_in(client.application.test_client(), make_user(role="participant"))
    assert participant.get(f"/plans/{plan.id}/analysis/export.xlsx").status_code == 403
    viewer = signed_in(client.application.test_client(), make_user(role="viewer"))
    assert viewer.get(f"/plans/{plan.id}/analysis/export.xlsx").status_code == 404  # not published: hidden
    assert viewer.get("/plans/999999/analysis/export.csv").status_code == 404
    assert viewer.get(f"/plans/{plan.id}/analysis/export.pdf").status_code == 404


# --- statements ----------------------------------------------------------------------------------------------------


def test_the_export_runs_the_same_number_of_statements_however_large_the_table(world, client):
    plan, supervisor = world
    browser = signed_in(client, supervisor)
    browser.get(f"/plans/{plan.id}/analysis/export.xlsx")  # warm the session
    with count_statements(include_begin=False) as small:
        assert browser.get(f"/plans/{plan.id}/analysis/export.xlsx").status_code == 200
    n = 30
    rows_ = [["بخش", *(f"بخش {i}" for i in range(n)), "ستانده کل"]]
    rows_ += [[f"بخش {i}", *("1" for _ in range(n)), "100"] for i in range(n)]
    upload = browser.post(f"/plans/{plan.id}/analysis/io-table", data={"file": (io.BytesIO(io_csv(rows_)), "io.csv")},
                          content_type="multipart/form-data")
    assert upload.status_code == 302
    with count_statements(include_begin=False) as large:
        book = workbook(browser.get(f"/plans/{plan.id}/analysis/export.xlsx?base=1400&end=1403"))
    assert len(rows(book.worksheets[2])) == n + 1
    with count_statements(include_begin=False) as csv_export:
        browser.get(f"/plans/{plan.id}/analysis/export.csv")
    with count_statements(include_begin=False) as page:
        browser.get(f"/plans/{plan.id}/analysis")
    assert len(large) == len(small) <= 10, large
    assert set(small) <= set(page)  # it reads nothing the page does not (the page also counts the nav's badges)
    assert len(csv_export) == len(small) - 1 and not any("io_tables" in s for s in csv_export)  # no IO table


