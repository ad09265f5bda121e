"""Indicator import files: refused whole when they are not a table of ours, checked row by row otherwise.

Pure: no application, no database."""

from __future__ import annotations

import io
import sys
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from planapp.indicators.validate import (
    COLUMNS,
    ROW,
    Catalog,
    FileProblem,
    Problem,
    normalise_code,
    parse_numbers,
    read_table,
    validate,
)

TOTAL = 100
CATALOG = Catalog(
    indicators={"POP": (1, False), "EMP": (2, True), "شاخص_فارسی": (3, False)},
    regions={"THR": 10, "KRJ": 11, "خرم‌آباد": 12},
    sectors={"TOTAL": TOTAL, "A": 101, "C": 103},
    total_sector_id=TOTAL,
    years=(1390, 1410),
)
GOOD = [
    ["indicator", "region", "sector", "year", "value", "source"],
    ["POP", "THR", "", "1402", "13267637", "census"],
    ["EMP", "KRJ", "A", "1402", "1250.5", ""],
    ["EMP", "KRJ", "C", "1402", "-3", ""],
]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", sep: str = ",") -> bytes:
    return "\n".join(sep.join(row) for row in rows).encode(encoding)


def write_xlsx(path, rows: list[list[object]], title: str = "data") -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def check(rows: list[list[str]]) -> list[tuple[int, str, str]]:
    result = validate(read_table(csv_bytes(rows), "csv", 100), CATALOG)
    return [(p.row, p.column, p.code) for p in result.problems]


def refused(source, kind: str, max_rows: int = 100, **limits) -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        read_table(source, kind, max_rows, **limits)
    return caught.value


# --- Good files ----------------------------------------------------------------------------------------------


def test_good_csv_is_read_as_text_and_validated(tmp_path):
    path = tmp_path / "values.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_bytes(GOOD))  # Excel's UTF-8 with a BOM
    frame = read_table(path, "csv", 100)
    assert list(frame.columns) == [ROW, *COLUMNS]
    assert frame["year"].tolist() == ["1402"] * 3  # text: nothing guessed
    result = validate(frame, CATALOG)
    assert result.ok and result.problems == [] and result.row_count == 3
    assert result.rows.to_dict("records") == [
        {ROW: 2, "indicator_id": 1, "region_id": 10, "sector_id": TOTAL, "year": 1402, "value": 13267637.0,
         "source": "census"},
        {ROW: 3, "indicator_id": 2, "region_id": 11, "sector_id": 101, "year": 1402, "value": 1250.5, "source": ""},
        {ROW: 4, "indicator_id": 2, "region_id": 11, "sector_id": 103, "year": 1402, "value": -3.0, "source": ""},
    ]


def test_good_xlsx_first_sheet_numbers_as_typed(tmp_path):
    path = tmp_path / "values.xlsx"
    rows = [GOOD[0], ["POP", "THR", None, 1402, 13267637, "census"], [None] * 6,  # a blank row keeps numbering
            ["EMP", "KRJ", "A", 1402.0, 1250.5, None]]
    write_xlsx(path, rows)
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("notes").append(["ignored", "sheet"])
    workbook.save(path)
    frame = read_table(path, "xlsx", 100)
    assert frame[ROW].tolist() == [2, 4]
    assert frame["year"].tolist() == ["1402", "1402"] and frame["value"].tolist() == ["13267637", "1250.5"]
    result = validate(frame, CATALOG)
    assert result.ok
    assert result.rows["value"].tolist() == [13267637.0, 1250.5]


def test_pandas_written_xlsx_and_bytes_and_file_objects(tmp_path):
    path = tmp_path / "values.xlsx"
    pd.DataFrame(GOOD[1:], columns=GOOD[0]).to_excel(path, index=False)
    data = path.read_bytes()
    for source in (path, str(path), data, io.BytesIO(data)):
        assert validate(read_table(source, "xlsx", 100), CATALOG).ok


def test_optional_columns_may_be_left_out_and_order_is_free():
    frame = read_table(csv_bytes([["value", "year", "region", "indicator"], ["5", "1400", "THR", "POP"]]), "csv", 10)
    assert frame.loc[0, "sector"] == "" and frame.loc[0, "source"] == ""
    assert validate(frame, CATALOG).rows["sector_id"].tolist() == [TOTAL]


def test_persian_headers_semicolons_and_windows_1256():
    header = [" شاخص ", "شهرستان", "بخش", "سال", "مقدار", "منبع"]
    persian = [header, ["POP", "THR", "", "۱۴۰۲", "۱۲٬۳۴۵٫۵", "مرکز آمار"]]
    windows = [header, ["POP", "THR", "", "1402", "12,345.5", "مرکز آمار"]]  # cp1256 has no Persian digits
    for data in (csv_bytes(windows, "cp1256", ";"), csv_bytes(persian, "utf-16", "\t"), csv_bytes(persian)):
        result = validate(read_table(data, "csv", 10), CATALOG)
        assert result.ok, result.problems
        assert result.rows.loc[0, "year"] == 1402 and result.rows.loc[0, "value"] == 12345.5
        assert result.rows.loc[0, "source"] == "مرکز آمار"
    frame = read_table(csv_bytes([["Indicator", "REGION ", "Year", "Value"], ["POP", "THR", "1400", "1"]]), "csv", 9)
    assert validate(frame, CATALOG).ok  # English names in any case


@pytest.mark.parametrize(("text", "number"), [
    ("۱۲۳۴", 1234.0), ("١٢٣٤", 1234.0), ("1,234,567", 1234567.0), ("۱٬۲۳۴٬۵۶۷", 1234567.0), ("1 234 567", 1234567.0),
    ("12\u00a0500", 12500.0), ("۳٫۵", 3.5), ("3.5", 3.5), ("-2", -2.0), ("\u22122.5", -2.5), ("−۱۰", -10.0),
    (".5", 0.5), ("1e3", 1000.0), ("\u200f42", 42.0), ("0", 0.0),
])
def test_numbers_in_persian_and_arabic_notation(text, number):
    assert parse_numbers(pd.Series([text])).tolist() == [number]


@pytest.mark.parametrize("text", ["1,5", "12,34", "abc", "1.2.3", "nan", "inf", "1_000", "0x10", "5%", "--1", ","])
def test_what_is_not_a_number(text):
    assert parse_numbers(pd.Series([text])).isna().all()


def test_codes_are_matched_whatever_the_keyboard():
    assert normalise_code(" pop ") == "POP"
    assert normalise_code("خرم\u200cآباد") == normalise_code("خرم  آباد")
    assert normalise_code("كد_علي") == normalise_code("کد_علی")
    rows = [GOOD[0], [" pop", "thr", "total", "۱۴۰۰", "1", ""], ["شاخص_فارسي", "خرم آباد", "", "1400", "2", ""]]
    result = validate(read_table(csv_bytes(rows), "csv", 10), CATALOG)
    assert result.ok
    assert result.rows["indicator_id"].tolist() == [1, 3] and result.rows["region_id"].tolist() == [10, 12]


# --- Bad rows ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("row", "expected"), [
    (["NOPE", "THR", "", "1400", "1", ""], [("indicator", "unknown_indicator")]),
    (["", "THR", "", "1400", "1", ""], [("indicator", "missing_value")]),
    (["POP", "XXX", "", "1400", "1", ""], [("region", "unknown_region")]),
    (["POP", "", "", "1400", "1", ""], [("region", "missing_value")]),
    (["EMP", "THR", "Z", "1400", "1", ""], [("sector", "unknown_sector")]),
    (["EMP", "THR", "", "1400", "1", ""], [("sector", "sector_required")]),
    (["EMP", "THR", "TOTAL", "1400", "1", ""], [("sector", "sector_required")]),
    (["POP", "THR", "A", "1400", "1", ""], [("sector", "sector_not_allowed")]),
    (["POP", "THR", "", "2023", "1", ""], [("year", "year_out_of_range")]),
    (["POP", "THR", "", "1389", "1", ""], [("year", "year_out_of_range")]),
    (["POP", "THR", "", "۱۴۰۰/۱", "1", ""], [("year", "not_a_year")]),
    (["POP", "THR", "", "", "1", ""], [("year", "missing_value")]),
    (["POP", "THR", "", "1400", "many", ""], [("value", "not_a_number")]),
    (["POP", "THR", "", "1400", "", ""], [("value", "missing_value")]),
    (["POP", "THR", "", "1400", "1", "x" * 201], [("source", "too_long")]),
    (["NOPE", "XXX", "A", "x", "y", ""], [("indicator", "unknown_indicator"), ("region", "unknown_region"),
                                          ("year", "not_a_year"), ("value", "not_a_number")]),
])
def test_each_kind_of_bad_row(row, expected):
    result = validate(read_table(csv_bytes([GOOD[0], GOOD[1], row]), "csv", 10), CATALOG)
    assert [(p.row, p.column, p.code) for p in result.problems] == [(3, column, code) for column, code in expected]
    assert result.rows[ROW].tolist() == [2] and result.bad_row_count == 1 and not result.ok


def test_problem_keeps_the_text_as_typed():
    result = validate(read_table(csv_bytes([GOOD[0], ["POP", "THR", "", "1400", " ۱۲ تا ۱۳ ", ""]]), "csv", 9),
                      CATALOG)
    assert result.problems == [Problem(2, "value", "not_a_number", "۱۲ تا ۱۳")]


def test_duplicates_report_both_rows_with_each_other():
    rows = [GOOD[0], ["POP", "THR", "", "1400", "1", ""], ["POP", "KRJ", "", "1400", "1", ""],
            ["pop", "thr", "TOTAL", "۱۴۰۰", "2", ""], ["EMP", "THR", "A", "1400", "1", ""],
            ["EMP", "THR", "C", "1400", "1", ""], ["POP", "THR", "", "1400", "3", ""]]
    result = validate(read_table(csv_bytes(rows), "csv", 10), CATALOG)
    assert [(p.row, p.code, p.value) for p in result.problems] == [
        (2, "duplicate", "4"), (4, "duplicate", "2"), (7, "duplicate", "2")]
    assert result.rows[ROW].tolist() == [3, 5, 6]


def test_problems_are_capped_but_all_counted():
    frame = pd.DataFrame({"indicator": ["NOPE"] * 50, "region": "THR", "sector": "", "year": "1400", "value": "x",
                          "source": ""})
    result = validate(frame, CATALOG, max_problems=30)
    assert len(result.problems) == 30 and result.problem_count == 100 and result.bad_row_count == 50
    assert result.problems[0] == Problem(2, "indicator", "unknown_indicator", "NOPE")  # no ROW column: index + 2
    assert result.rows.empty


def test_two_hundred_thousand_rows():
    n = 200_000
    years = 21  # 1390–1410
    catalog = Catalog(CATALOG.indicators, {f"R{i}": i for i in range(n // years + 1)}, CATALOG.sectors, TOTAL,
                      (1390, 1410))
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({
        "indicator": "POP", "region": "R" + (np.arange(n) // years).astype(str), "sector": "",
        "year": (1390 + np.arange(n) % years).astype(str), "value": rng.integers(0, 10**9, n).astype(str),
        "source": "",
    })
    frame.loc[[10, 20_000, 150_000], "value"] = ["abc", "", "۱٬۲۳۴"]
    frame.loc[199_999, "indicator"] = "NOPE"
    frame.loc[100_001, ["region", "year"]] = frame.loc[5, ["region", "year"]].tolist()
    frame.insert(0, ROW, np.arange(2, n + 2))
    result = validate(frame, catalog)
    assert result.row_count == n and result.problem_count == 5 and result.bad_row_count == 5
    assert [(p.row, p.code, p.value) for p in result.problems] == [
        (7, "duplicate", "100003"), (12, "not_a_number", "abc"), (20_002, "missing_value", ""),
        (100_003, "duplicate", "7"), (200_001, "unknown_indicator", "NOPE")]
    assert len(result.rows) == n - 5 and result.rows["value"].dtype == np.float64
    assert 1234.0 in result.rows.loc[result.rows[ROW] == 150_002, "value"].tolist()


def test_a_file_full_of_problems_keeps_the_first_thousand():
    n = 200_000
    frame = pd.DataFrame({"indicator": "POP", "region": "THR", "sector": "", "year": "1400",
                          "value": np.arange(n).astype(str), "source": ""})
    result = validate(frame, CATALOG)
    assert result.problem_count == n and len(result.problems) == 1_000 and result.rows.empty
    assert result.problems[:2] == [Problem(2, "", "duplicate", "3"), Problem(3, "", "duplicate", "2")]


def test_two_hundred_thousand_clean_rows_from_csv():
    n = 200_000
    frame = pd.DataFrame({"indicator": "EMP", "region": "THR", "sector": np.where(np.arange(n) % 2, "A", "C"),
                          "year": "1400", "value": np.arange(n).astype(str), "source": ""})
    frame["region"] = "R" + (np.arange(n) // 2).astype(str)
    catalog = Catalog(CATALOG.indicators, {f"R{i}": i for i in range(n // 2)}, CATALOG.sectors, TOTAL, (1390, 1410))
    data = frame.to_csv(index=False).encode()
    result = validate(read_table(data, "csv", n), catalog)
    assert result.ok and len(result.rows) == n and result.rows["value"].sum() == n * (n - 1) / 2


# --- Refused files -------------------------------------------------------------------------------------------


def test_wrong_columns(tmp_path):
    problem = refused(csv_bytes([["indicator", "county", "year", "amount"], ["POP", "THR", "1400", "1"]]), "csv")
    assert problem.code == "wrong_columns"
    assert problem.details["missing"] == ["value"] and problem.details["unknown"] == ["amount"]
    problem = refused(csv_bytes([["indicator", "region", "شهرستان", "year", "value"], ["P", "T", "T", "1", "1"]]),
                      "csv")
    assert problem.code == "wrong_columns" and problem.details["duplicate"] == ["شهرستان"]
    path = tmp_path / "summary-first.xlsx"
    write_xlsx(path, [["Provincial summary"], ["see next sheet"]], title="summary")  # the wrong sheet first
    problem = refused(path, "xlsx")
    assert problem.code == "wrong_columns" and problem.details["found"] == ["Provincial summary"]


def test_empty_files(tmp_path):
    for data in (b"", b"\xef\xbb\xbf", b"\n\n  \n"):
        assert refused(data, "csv").code == "empty"
    assert refused(csv_bytes([GOOD[0]]), "csv").code == "empty"
    path = tmp_path / "empty.xlsx"
    write_xlsx(path, [])
    assert refused(path, "xlsx").code == "empty"


def test_too_many_rows_and_too_large(tmp_path):
    data = csv_bytes([GOOD[0]] + [["POP", "THR", "", "1400", "1", ""]] * 11)
    assert refused(data, "csv", max_rows=10).details == {"limit": 10}
    assert len(read_table(data + b"\n,,,,,\n\n", "csv", 11)) == 11  # trailing blank rows are not rows
    path = tmp_path / "big.xlsx"
    write_xlsx(path, [GOOD[0]] + [["POP", "THR", None, 1400, 1, None]] * 11)
    assert refused(path, "xlsx", max_rows=10).code == "too_many_rows"
    problem = refused(data, "csv", max_bytes=100)
    assert problem.code == "too_large" and problem.details["limit"] == 100
    csv_path = tmp_path / "big.csv"
    csv_path.write_bytes(data)
    assert refused(csv_path, "csv", max_bytes=100).code == "too_large"


def test_malformed_csv():
    problem = refused(b"indicator,region,year,value\nPOP,THR,1400,1\nPOP,THR,1400,1,9,9\n", "csv")
    assert problem.code == "malformed" and problem.details["line"] == 3


def test_html_renamed_csv():
    for data in (b"<!DOCTYPE html><html><body><table><tr><td>POP</td></tr></table></body></html>",
                 b"\xef\xbb\xbf  <html>\n<script>alert(1)</script>", b"\n<table><tr><td>1</td></tr></table>"):
        problem = refused(data, "csv")
        assert (problem.code, problem.details["looks_like"]) == ("not_csv", "html")


def test_binary_renamed_csv_and_bad_encoding(tmp_path):
    path = tmp_path / "values.xlsx"
    write_xlsx(path, GOOD)
    problem = refused(path, "csv")
    assert (problem.code, problem.details["looks_like"]) == ("not_csv", "zip")
    assert refused(b"MZ\x90\x00\x03\x00\x00\x00", "csv").details["looks_like"] == "exe"
    assert refused(b"indicator,region\x01,year,value\n", "csv").code == "encoding"


def test_exe_renamed_xlsx():
    problem = refused(b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run in DOS mode", "xlsx")
    assert (problem.code, problem.details["looks_like"]) == ("not_xlsx", "exe")
    assert refused(csv_bytes(GOOD), "xlsx").code == "not_xlsx"
    assert refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "xlsx").details["looks_like"] == "xls"


def test_a_zip_that_is_not_a_workbook_or_is_damaged():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    assert refused(buffer.getvalue(), "xlsx").code == "not_xlsx"
    assert refused(buffer.getvalue()[:30], "xlsx").code == "broken"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return buffer.getvalue()


def test_xlsx_zip_bomb_is_refused_from_the_directory_without_inflating(monkeypatch):
    chunk = b"<c>0</c>" * (1 << 17)  # 1 MiB
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("xl/workbook.xml", b"<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(300):  # 300 MiB of XML in about 300 KB
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 2_000_000

    def no_inflating(*args, **kwargs):
        raise AssertionError("a part was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_inflating)
    problem = refused(data, "xlsx")
    assert problem.code == "zip_bomb" and problem.details["declared"] == 300 * (1 << 20) + len(b"<workbook/>")


def test_xlsx_inflating_far_past_its_size_is_a_bomb_even_under_the_total_limit():
    data = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b" " * (40 * 1024 * 1024)})
    assert refused(data, "xlsx").code == "zip_bomb"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">
<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""


def test_billion_laughs_inside_an_xlsx(tmp_path):
    path = tmp_path / "good.xlsx"
    write_xlsx(path, GOOD)
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    members["xl/worksheets/sheet1.xml"] = BILLION_LAUGHS
    problem = refused(_zip(members), "xlsx")
    assert problem.code == "unsafe_xml" and problem.details["part"] == "xl/worksheets/sheet1.xml"


def test_defusedxml_refusal_maps_to_unsafe_xml(tmp_path, monkeypatch):
    """Should a DTD slip past the byte scan, the parser openpyxl uses (defusedxml) still refuses it."""
    path = tmp_path / "good.xlsx"
    write_xlsx(path, GOOD)
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    members["xl/worksheets/sheet1.xml"] = BILLION_LAUGHS
    module = sys.modules["planapp.indicators.validate"]
    monkeypatch.setattr(module, "_scan_xml", lambda zf, info: None)
    assert refused(_zip(members), "xlsx").code == "unsafe_xml"
