"""Indicator imports run whole or not at all (issue 6): good CSV and XLSX files are stored, each kind of bad row
is reported by row, column and code and stores nothing, a file failing halfway through stores nothing, a cancel
during staging leaves the values as they were, the same file twice changes nothing, and a changed value keeps its
previous one in the history. Real files, written by pandas and openpyxl; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from planapp.core.errors import ValidationFailed
from planapp.extensions import db
from planapp.indicators import imports
from planapp.indicators.models import ImportStatus, IndicatorImport, IndicatorValue
from tests.indicator_import_helpers import (
    GOOD,
    csv_bytes,
    history,
    import_world,
    problems,
    queue,
    reloaded,
    run,
    staged,
    values,
    xlsx_bytes,
)
from tests.refusals import refused
from tests.task_helpers import new_task

w = import_world
EXPECTED = {("POP", "EA-TABRIZ", "TOTAL", 1403): (1_800_000.0, "سرشماری"),
            ("POP", "EA-MARAND", "TOTAL", 1403): (250_000.0, ""),
            ("EMP", "EA-TABRIZ", "C", 1403): (41_250.5, "مرکز آمار")}


@pytest.mark.parametrize(("name", "data"), [("values.csv", csv_bytes(GOOD)),
                                            ("values.xlsx", xlsx_bytes([[*r[:3], int(r[3]), float(r[4]), r[5]]
                                                                        for r in GOOD]))])
def test_a_good_file_is_stored_whole(w, name, data):
    upload = run(w.officer, data, name)
    assert (upload.status, upload.inserted, upload.updated, upload.unchanged) == (ImportStatus.DONE, 3, 0, 0)
    assert (upload.total_rows, upload.processed_rows, upload.error_count) == (3, 3, 0)
    assert values() == EXPECTED
    stamped = db.session.execute(sa.select(IndicatorValue.import_id, IndicatorValue.submitted_by_id)).all()
    assert set(stamped) == {(upload.id, w.officer.id)}
    assert staged() == 0


def test_persian_digits_thousands_separators_and_persian_headers_are_read(w):
    rows = [["POP", "EA-TABRIZ", "", "۱۴۰۳", "۱٬۸۰۰٬۰۰۰", "سرشماری"],
            ["POP", "EA-MARAND", "", "١٤٠٣", "250,000", ""],
            ["emp", " ea-tabriz ", "c", "1403", "۴۱۲۵۰٫۵", "مرکز آمار"]]
    upload = run(w.officer, csv_bytes(rows, ["شاخص", "شهرستان", "بخش", "سال", "مقدار", "منبع"]))
    assert upload.status == ImportStatus.DONE, upload.report
    assert values() == EXPECTED


def test_each_kind_of_bad_row_is_reported_and_nothing_is_stored(w):
    rows = [["POP", "EA-TABRIZ", "", "1403", "100", ""],  # row 2: good, but not stored
            ["NOPE", "EA-TABRIZ", "", "1403", "1", ""],  # 3
            ["POP", "EA-NOWHERE", "", "1403", "1", ""],  # 4
            ["EMP", "EA-TABRIZ", "ZZ", "1403", "1", ""],  # 5
            ["EMP", "EA-TABRIZ", "", "1403", "1", ""],  # 6: by sector, no sector
            ["POP", "EA-AHAR", "C", "1403", "1", ""],  # 7: not by sector
            ["POP", "EA-AHAR", "", "سال", "1", ""],  # 8
            ["POP", "EA-AHAR", "", "1600", "1", ""],  # 9
            ["POP", "EA-AHAR", "", "1404", "دو", ""],  # 10
            ["POP", "EA-AHAR", "", "1405", "", ""],  # 11
            ["POP", "EA-TABRIZ", "", "1403", "5", "x" * 201],  # 12, and a duplicate of row 2
            ["ROAD_DENSITY", "EA-AHAR", "", "1403", "1", ""]]  # 13: another agency's indicator
    upload = run(w.officer, csv_bytes(rows))
    assert upload.status == ImportStatus.FAILED
    assert problems(upload) == [
        (2, "", "duplicate"), (3, "indicator", "unknown_indicator"), (4, "region", "unknown_region"),
        (5, "sector", "unknown_sector"), (6, "sector", "sector_required"), (7, "sector", "sector_not_allowed"),
        (8, "year", "not_a_year"), (9, "year", "year_out_of_range"), (10, "value", "not_a_number"),
        (11, "value", "missing_value"), (12, "", "duplicate"), (12, "source", "too_long"),
        (13, "indicator", "not_your_indicator")]
    assert upload.report["problems"][0]["value"] == "12" and upload.report["problems"][6]["value"] == "سال"
    assert upload.report["counts"]["duplicate"] == 2 and upload.error_count == 13
    assert values() == {} and staged() == 0


def test_supervisors_import_any_agency_s_indicators(w):
    rows = [["ROAD_DENSITY", "EA-AHAR", "", "1403", "12.5", ""], ["POP", "EA-AHAR", "", "1403", "9", ""]]
    assert run(w.sup, csv_bytes(rows)).status == ImportStatus.DONE
    assert run(w.other, csv_bytes(rows[:1])).status == ImportStatus.DONE  # the roads officer's own indicator
    refused_upload = run(w.other, csv_bytes(rows[1:]))
    assert problems(refused_upload) == [(2, "indicator", "not_your_indicator")]


@pytest.mark.parametrize(("data", "code"), [
    (csv_bytes([["POP", "EA-TABRIZ", "1403", "1"]], ["indicator", "county", "سال", "amount"]), "wrong_columns"),
    (b"indicator,region,year,value\n", "empty"),
    (b'indicator,region,year,value\n"POP,EA-TABRIZ,1403,1\n', "malformed"),
])
def test_a_file_that_is_not_our_table_fails_whole_and_says_why(w, data, code):
    upload = run(w.officer, data)
    assert upload.status == ImportStatus.FAILED and upload.report["file"]["code"] == code
    assert values() == {} and staged() == 0


def test_a_file_failing_halfway_through_validation_stores_nothing(w):
    rows = [["POP", region, "", str(year), str(year), ""] for year in range(1300, 1500)
            for region in ("EA-TABRIZ", "EA-AHAR", "EA-MARAND")]
    rows[450][4] = "نامعلوم"  # row 452 of 601, in the fourth slice of 100
    seen: list[tuple[str, int]] = []
    upload = run(w.officer, csv_bytes(rows), step=100, observe=lambda s, done, total: seen.append((s.value, done)))
    assert seen[:5] == [("validating", 0), ("validating", 100), ("validating", 200), ("validating", 300),
                        ("validating", 400)]
    assert upload.status == ImportStatus.FAILED and problems(upload) == [(452, "value", "not_a_number")]
    assert values() == {} and staged() == 0


def test_an_error_halfway_through_stores_nothing_and_reports_it_generically(w, monkeypatch):
    run(w.officer, csv_bytes(GOOD))
    before = values()
    changed = [[*row[:4], str(float(row[4]) + 1), row[5]] for row in GOOD]

    real = imports.apply_staged

    def broken(*args, **kwargs):
        real(*args, **kwargs)  # the values are written…
        raise RuntimeError("disk on fire")  # …and the transaction fails before its commit

    monkeypatch.setattr(imports, "apply_staged", broken)
    upload = run(w.officer, csv_bytes(changed))
    assert upload.status == ImportStatus.FAILED and upload.report == {"error": "internal"}
    assert values() == before and history() == [] and staged() == 0


def test_a_cancel_during_staging_leaves_the_values_unchanged(w, ctx):
    run(w.officer, csv_bytes(GOOD))
    before = values()
    rows = [["POP", "EA-TABRIZ", "", str(year), "7", ""] for year in range(1300, 1500)]
    import_id = queue(w.officer, csv_bytes(rows))

    def cancel_when_staging(status, done, total):
        if status == ImportStatus.STAGING and done >= 50:
            with ctx.app_context():  # the web request asking, in a session of its own
                assert imports.request_cancel(import_id) == ImportStatus.STAGING

    assert imports.run_import(import_id, step=50, observe=cancel_when_staging) == ImportStatus.CANCELLED
    upload = reloaded(import_id)
    assert upload.status == ImportStatus.CANCELLED and upload.cancel_requested and upload.processed_rows == 50
    assert values() == before and staged() == 0


def test_a_queued_import_is_cancelled_at_once(w):
    import_id = queue(w.officer, csv_bytes(GOOD))
    assert imports.request_cancel(import_id) == ImportStatus.CANCELLED
    assert imports.run_import(import_id) is None  # nothing left to claim
    assert values() == {}


def test_the_same_file_twice_changes_nothing_and_a_changed_value_keeps_its_history(w):
    first = run(w.officer, csv_bytes(GOOD))
    again = run(w.officer, csv_bytes(GOOD))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert values() == EXPECTED and history() == []
    changed = [GOOD[0][:4] + ["1812000", "سرشماری"], *GOOD[1:]]
    third = run(w.officer, csv_bytes(changed))
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 2)
    assert values()[("POP", "EA-TABRIZ", "TOTAL", 1403)] == (1_812_000.0, "سرشماری")
    assert history() == [(1_800_000.0, 1_812_000.0)]
    assert first.id != third.id


def test_a_task_import_needs_someone_allowed_to_work_on_the_task(w):
    task = new_task(w, w.stats, due=date(2026, 12, 9))  # new_task reads w.sup and w.plan
    import_id = queue(w.officer, csv_bytes(GOOD), task_id=task.id)
    assert imports.run_import(import_id) == ImportStatus.DONE
    assert db.session.get(IndicatorImport, import_id).task_id == task.id
    assert set(db.session.scalars(sa.select(IndicatorValue.task_id))) == {task.id}
    error = refused(ValidationFailed, imports.create_import, w.other, "v.csv", csv_bytes(GOOD), None,
                    max_bytes=1_000_000, task_id=task.id)
    assert "وظیفه" in str(error.message)


def test_a_cancel_once_the_values_are_being_applied_changes_nothing(w):
    import_id = queue(w.officer, csv_bytes(GOOD))
    db.session.execute(sa.update(IndicatorImport).where(IndicatorImport.id == import_id)
                       .values(status=ImportStatus.IMPORTING))
    db.session.commit()
    assert imports.request_cancel(import_id) == ImportStatus.IMPORTING
    assert not reloaded(import_id).cancel_requested


def test_the_report_keeps_the_beginning_of_a_huge_cell(w):
    upload = run(w.officer, csv_bytes([["POP", "EA-TABRIZ", "", "1403", "9" * 5 + "x" * 100_000, ""]]))
    [problem] = upload.report["problems"]
    assert problem["code"] == "not_a_number" and problem["value"] == "99999" + "x" * 295 + "…"
