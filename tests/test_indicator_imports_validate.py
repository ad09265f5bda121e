"""The checks an import adds to planapp.indicators.validate (pure: no application, no database): an officer's
catalog names the indicators of their agency, any other is `not_your_indicator`; checking in slices with progress
finds exactly what one pass finds, duplicates across slices included, and a progress callback may stop the work."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planapp.indicators.validate import read_table, validate
from tests.test_indicator_validate import CATALOG, csv_bytes

HEADER = ["indicator", "region", "sector", "year", "value", "source"]


def frame(rows):
    return read_table(csv_bytes([HEADER, *rows]), "csv", 1_000)


def test_an_indicator_outside_the_allowed_set_is_not_yours():
    rows = [["POP", "THR", "", "1402", "1", ""], ["EMP", "KRJ", "A", "1402", "2", ""],
            ["NOPE", "THR", "", "1402", "3", ""]]
    result = validate(frame(rows), replace(CATALOG, allowed_indicators=frozenset({1})))
    assert [(p.row, p.column, p.code, p.value) for p in result.problems] == [
        (3, "indicator", "not_your_indicator", "EMP"), (4, "indicator", "unknown_indicator", "NOPE")]
    assert result.problem_counts == {"not_your_indicator": 1, "unknown_indicator": 1}
    assert result.rows["indicator_id"].tolist() == [1]
    assert validate(frame(rows[:2]), CATALOG).ok  # None: every indicator


def test_checking_in_slices_finds_what_one_pass_finds_and_reports_progress():
    rows = [["POP", "THR", "", str(1390 + n % 20), str(n), ""] for n in range(45)]  # 20 keys, over many slices
    rows[30][4] = "x"
    whole = validate(frame(rows), CATALOG)
    seen = []
    sliced = validate(frame(rows), CATALOG, step=7, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 45) for n in (7, 14, 21, 28, 35, 42, 45)]
    assert sliced.problems == whole.problems and sliced.problem_counts == whole.problem_counts
    assert sliced.problem_counts == {"duplicate": 45, "not_a_number": 1}  # every row shares its key
    assert sliced.rows.equals(whole.rows) and sliced.bad_row_count == whole.bad_row_count


def test_a_progress_callback_may_stop_the_work():
    def stop(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        validate(frame([["POP", "THR", "", "1402", "1", ""]] * 3), CATALOG, step=1, progress=stop)
