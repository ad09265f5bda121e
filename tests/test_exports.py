"""Exports (RELIABILITY.md X10, decision 7): pure tests, no database.

Every payload that a spreadsheet could evaluate is written to CSV and XLSX and read back with the csv module and
openpyxl: each one comes back starting with ``'`` and no cell of any workbook is a formula.
"""

from __future__ import annotations

import csv
import io
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import openpyxl.xml
import pytest

from planapp.core import exports
from planapp.core.exports import export_filename, iter_csv, neutralize, to_csv, to_xlsx

PAYLOADS = [
    '=HYPERLINK("http://evil","x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "\x00=1",
    "  =1+1",  # after leading spaces (importers may trim them)
    "\u200f=1+1",  # after a right-to-left mark (common at the start of Persian text)
    "\u200c@SUM(A1)",  # after a zero-width non-joiner
    "＝1+1",  # full-width equals sign
    "-",
    "=",
]
PERSIAN = "برنامهٔ هفتم توسعه"
COLUMNS = [("text", "متن"), ("number", "عدد")]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def all_cells(workbook: openpyxl.Workbook):
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


def assert_no_formula(data: bytes) -> None:
    """Neither openpyxl nor the raw sheet XML sees a formula anywhere."""
    assert all(cell.data_type != "f" for cell in all_cells(read_xlsx(data)))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


# neutralize() ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_neutralize_prefixes_every_formula_trigger(payload):
    assert neutralize(payload) == "'" + payload


@pytest.mark.parametrize("text", ["", PERSIAN, "plain text", "'already quoted", "a=b", "1-2", "  hello", "email@x"])
def test_neutralize_leaves_harmless_text_alone(text):
    assert neutralize(text) == text


@pytest.mark.parametrize(
    "value", [None, -2, -2.5, Decimal("-3.25"), 0, True, date(2026, 3, 21), datetime(2026, 3, 21, tzinfo=UTC)]
)
def test_neutralize_passes_non_strings_through_typed(value):
    assert neutralize(value) is value


# X10: every payload neutralised in CSV and XLSX, read back ----------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_csv_neutralises_each_payload(payload):
    rows = read_csv(to_csv(COLUMNS, [{"text": payload, "number": 1}]))
    cell = rows[1][0]
    assert cell.startswith("'")
    # NUL is dropped (neither XML nor spreadsheets carry it); everything else comes back verbatim after the quote
    assert cell == "'" + payload.replace("\x00", "")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xlsx_neutralises_each_payload_and_stores_no_formula(payload):
    data = to_xlsx(COLUMNS, [{"text": payload, "number": 1}], "x10", rtl=True)
    cell = read_xlsx(data).active["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'" + payload.replace("\x00", "")
    assert_no_formula(data)


def test_all_payloads_in_one_export_are_100_percent_neutralised():
    columns = [(f"c{i}", label) for i, label in enumerate(PAYLOADS)]  # hostile headers too
    rows = [{f"c{i}": payload for i, payload in enumerate(PAYLOADS)} for _ in range(3)]

    csv_cells = [cell for row in read_csv(to_csv(columns, rows)) for cell in row]
    assert len(csv_cells) == 4 * len(PAYLOADS)
    assert all(cell.startswith("'") for cell in csv_cells)

    data = to_xlsx(columns, rows, "x10", rtl=False)
    xlsx_cells = list(all_cells(read_xlsx(data)))
    assert len(xlsx_cells) == 4 * len(PAYLOADS)
    assert all(cell.value.startswith("'") and cell.data_type == "s" for cell in xlsx_cells)
    assert_no_formula(data)


def test_control_character_before_equals_cannot_smuggle_a_formula():
    """Characters XML drops are removed *before* the check, so "\\x01=1" cannot end up as a bare "=1"."""
    assert read_csv(to_csv(COLUMNS, [{"text": "\x01=1", "number": 1}]))[1][0] == "'=1"
    assert read_xlsx(to_xlsx(COLUMNS, [{"text": "\x01=1", "number": 1}], "s", rtl=False)).active["A2"].value == "'=1"


def test_xlsx_stores_text_as_strings_even_without_the_quote(monkeypatch):
    """Second layer: were neutralize() ever bypassed, openpyxl would still not store "=…" as a formula."""
    monkeypatch.setattr(exports, "neutralize", lambda value: value)
    data = to_xlsx(COLUMNS, [{"text": "=1+1", "number": 1}], "s", rtl=False)
    cell = read_xlsx(data).active["A2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    assert_no_formula(data)


# CSV format ----------------------------------------------------------------------------------------------------


def test_csv_has_bom_crlf_header_and_quotes_embedded_separators():
    data = to_csv(COLUMNS, [{"text": 'a, "b"\r\nc', "number": 2}])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").startswith("متن,عدد\r\n")
    assert data.endswith(b"\r\n")
    assert read_csv(data) == [["متن", "عدد"], ['a, "b"\r\nc', "2"]]


def test_csv_round_trips_persian_and_keeps_numbers_and_dates_plain():
    columns = [("title", "عنوان"), ("n", "n"), ("f", "f"), ("d", "d"), ("when", "when"), ("none", "none")]
    row = {
        "title": PERSIAN + " می\u200cشود",
        "n": -2,
        "f": -2.5,
        "d": date(2026, 3, 21),
        "when": datetime(2026, 3, 20, 21, 0, tzinfo=UTC),  # 00:30 on 21 March in Tehran
        "none": None,
    }
    assert read_csv(to_csv(columns, [row]))[1] == [
        PERSIAN + " می\u200cشود",
        "-2",  # a negative number stays a number: no quote
        "-2.5",
        "2026-03-21",
        "2026-03-21 00:30:00",
        "",
    ]


def test_csv_generator_yields_in_chunks_and_reads_rows_lazily():
    consumed = 0

    def rows() -> Iterator[dict]:
        nonlocal consumed
        for i in range(5_000):
            consumed += 1
            yield {"text": f"row {i} {PERSIAN}", "number": i}

    chunks = iter_csv(COLUMNS, rows(), chunk_size=8 * 1024)
    first = next(chunks)
    assert first.startswith(b"\xef\xbb\xbf")
    assert consumed < 5_000  # the first chunk left before the rows were all read
    rest = list(chunks)
    assert len(rest) > 10
    assert all(len(chunk) < 8 * 1024 * 3 for chunk in [first, *rest])  # a UTF-8 char is ≤ 3 bytes per str char
    assert b"".join([first, *rest]) == to_csv(
        COLUMNS, ({"text": f"row {i} {PERSIAN}", "number": i} for i in range(5_000))
    )


# XLSX format ---------------------------------------------------------------------------------------------------


def test_xlsx_keeps_types_and_persian_text():
    columns = [("title", "عنوان"), ("n", "n"), ("f", "f"), ("dec", "dec"), ("d", "d"), ("when", "when"), ("none", "-")]
    row = {
        "title": PERSIAN,
        "n": -2,
        "f": -2.5,
        "dec": Decimal("-3.25"),
        "d": date(2026, 3, 21),
        "when": datetime(2026, 3, 20, 21, 0, tzinfo=UTC),
        "none": None,
    }
    sheet = read_xlsx(to_xlsx(columns, [row], "وظایف", rtl=True)).active
    title, n, f, dec, d, when, none = sheet[2]
    assert (title.value, title.data_type) == (PERSIAN, "s")
    assert (n.value, n.data_type) == (-2, "n") and isinstance(n.value, int)
    assert (f.value, f.data_type) == (-2.5, "n")
    assert (dec.value, dec.data_type) == (-3.25, "n")
    assert d.is_date and d.value == datetime(2026, 3, 21) and "h" not in d.number_format
    assert when.is_date and when.value == datetime(2026, 3, 21, 0, 30)  # Tehran wall time
    assert none.value is None
    assert sheet["G1"].value == "'-"  # a header that is just "-" is neutralised like any text


@pytest.mark.parametrize("rtl", [True, False])
def test_xlsx_direction_bold_frozen_header_and_title(rtl):
    sheet = read_xlsx(to_xlsx(COLUMNS, [], "وظایف", rtl=rtl)).active
    assert bool(sheet.sheet_view.rightToLeft) is rtl
    assert sheet.title == "وظایف"
    assert [cell.value for cell in sheet[1]] == ["متن", "عدد"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"


def test_xlsx_sheet_title_is_made_valid():
    sheet = read_xlsx(to_xlsx(COLUMNS, [], "Tasks: [inbox] / review? *" + "x" * 40, rtl=False)).active
    assert len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\")
    assert read_xlsx(to_xlsx(COLUMNS, [], "[]", rtl=False)).active.title == "Sheet"


# rows and values --------------------------------------------------------------------------------------------------


def test_rows_may_be_objects_or_mappings_with_dotted_keys():
    columns = [("title", "t"), ("agency.name", "a")]
    rows = [
        SimpleNamespace(title="از شیء", agency=SimpleNamespace(name="=evil")),
        {"title": "از دیکشنری", "agency": {"name": PERSIAN}},
        SimpleNamespace(title="بدون دستگاه", agency=None),
    ]
    assert read_csv(to_csv(columns, rows))[1:] == [["از شیء", "'=evil"], ["از دیکشنری", PERSIAN], ["بدون دستگاه", ""]]


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        to_csv([("d", "d")], [{"d": datetime(2026, 3, 21, 8, 0)}])


def test_nan_is_an_empty_cell():
    assert read_csv(to_csv([("x", "x")], [{"x": float("nan")}]))[1] == [""]
    assert read_xlsx(to_xlsx([("x", "x")], [{"x": float("nan")}], "s", rtl=False)).active["A2"].value is None


# 100,000 rows with bounded memory -----------------------------------------------------------------------------------


def big_rows(count: int) -> Iterator[dict]:
    for i in range(count):
        yield {
            "id": i,
            "title": f"{PERSIAN} {i}",
            "agency": '=HYPERLINK("http://evil","x")' if i % 1000 == 0 else "استانداری",
            "score": -i / 7,
            "due": date(2026, 1, 1),
        }


BIG_COLUMNS = [("id", "شناسه"), ("title", "عنوان"), ("agency", "دستگاه"), ("score", "امتیاز"), ("due", "سررسید")]


# 20,000 rows: enough to show memory does not follow the row count (tracemalloc makes each row slow).
BIG = 20_000


def test_big_xlsx_export_has_bounded_memory():
    tracemalloc.start()
    try:
        data = to_xlsx(BIG_COLUMNS, big_rows(BIG), "big", rtl=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
    rows = list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == BIG
    assert rows[-1][:2] == (BIG - 1, f"{PERSIAN} {BIG - 1}")
    assert all(row[2].startswith("'=") for row in rows[::1000])


def test_big_csv_stream_has_bounded_memory():
    tracemalloc.start()
    try:
        size = chunks = 0
        for chunk in iter_csv(BIG_COLUMNS, big_rows(BIG)):
            size += len(chunk)
            chunks += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert chunks > 10 and size > 1024 * 1024
    assert peak < 20 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"  # a few chunks, never the whole file


# file names and defusedxml ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "extension", "when", "expected"),
    [
        ("tasks", "csv", date(2026, 11, 25), "tasks-1405-09-04.csv"),
        ("review-list", ".XLSX", date(2026, 3, 21), "review-list-1405-01-01.xlsx"),
        ("tasks", "csv", datetime(2026, 3, 20, 21, 0, tzinfo=UTC), "tasks-1405-01-01.csv"),  # Tehran's day
        ("../../etc/passwd", "csv", date(2026, 3, 21), "etc-passwd-1405-01-01.csv"),
        ("وظایف", "csv", date(2026, 3, 21), "export-1405-01-01.csv"),
        ('a"b\r\nc', "x/s", date(2026, 3, 21), "a-b-c-1405-01-01.xs"),
    ],
)
def test_export_filename_is_ascii_with_jalali_date(base, extension, when, expected):
    name = export_filename(base, extension, when)
    assert name == expected
    assert name.isascii()


def test_openpyxl_reads_xml_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True
