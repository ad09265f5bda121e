"""Location quotient, shift-share, Krugman specialization and Herfindahl, checked against a published table.

Source: R. Krumme (University of Washington, Geography 350), "Shift & Share Table with Excel Explanations",
http://faculty.washington.edu/krumme/350/ssexcel.html — a hypothetical region "Holukuluku" with four industries,
1985 → 1995. Read from the page: regional employment 1985 = 500, 100, 200, 200 and 1995 = 1000, 100, 250, 280;
national shares 1985 = 10, 20, 40, 30 %; national growth by industry = 10, 20, 30, 40 % (29 % in total);
location quotients 5, 0.5, 0.5, 0.667; expected employment at the national rate 645, 129, 258, 258 (national growth
effect 290); differential (regional shift) effect 450, −20, −10, 0 (net 420); composition (industry mix) effect
−95, −9, 2, 22 (net −80; the page prints the magnitudes and the net −80 as "80" in a column headed by its sign
convention); regional growth 630 = 290 + 420 − 80. National levels below are any levels with those shares and
growth rates (100, 200, 400, 300 → 110, 240, 520, 420).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planapp.analytics import AnalyticsError, herfindahl, location_quotient, shift_share, specialization

INDUSTRIES = ["I", "II", "III", "IV"]
REGION_1985 = pd.Series([500, 100, 200, 200], index=INDUSTRIES)
REGION_1995 = pd.Series([1000, 100, 250, 280], index=INDUSTRIES)
NATION_1985 = pd.Series([100, 200, 400, 300], index=INDUSTRIES)
NATION_1995 = pd.Series([110, 240, 520, 420], index=INDUSTRIES)
PROPERTY = settings(max_examples=100, deadline=None)


def test_published_location_quotients():
    lq = location_quotient(REGION_1985, NATION_1985)
    assert list(lq.index) == INDUSTRIES
    assert lq.to_numpy() == pytest.approx([5.0, 0.5, 0.5, 0.667], abs=5e-4)


def test_published_shift_share_table():
    table = shift_share(REGION_1985, REGION_1995, NATION_1985, NATION_1995)
    assert list(table.columns) == ["national_share", "industry_mix", "regional_shift", "total_change"]
    assert list(table.index) == INDUSTRIES
    assert table["national_share"].to_numpy() == pytest.approx([145, 29, 58, 58])
    assert table["industry_mix"].to_numpy() == pytest.approx([-95, -9, 2, 22])
    assert table["regional_shift"].to_numpy() == pytest.approx([450, -20, -10, 0], abs=1e-9)
    assert table["total_change"].to_numpy() == pytest.approx([500, 0, 50, 80])
    totals = table.sum()
    assert (totals["national_share"], totals["industry_mix"], totals["regional_shift"]) == pytest.approx(
        (290, -80, 420))
    assert totals["total_change"] == pytest.approx(630)


def test_series_are_matched_by_label_and_arrays_by_position():
    shuffled = NATION_1985.iloc[[2, 0, 3, 1]]
    assert location_quotient(REGION_1985, shuffled).equals(location_quotient(REGION_1985, NATION_1985))
    plain = location_quotient(REGION_1985.to_numpy(), NATION_1985.to_numpy())
    assert list(plain.index) == [0, 1, 2, 3]
    assert plain.to_numpy() == pytest.approx(location_quotient(REGION_1985, NATION_1985).to_numpy())
    table = shift_share(REGION_1985, REGION_1995.iloc[::-1], NATION_1985.iloc[::-1], NATION_1995)
    assert table.loc["I", "regional_shift"] == pytest.approx(450)


def test_a_sector_new_to_the_region_is_all_regional_shift():
    table = shift_share([0, 10], [5, 10], [10, 10], [20, 10])
    assert table.loc[0].tolist() == pytest.approx([0, 0, 5, 5])


def test_specialization_and_herfindahl():
    # shares 0.5, 0.1, 0.2, 0.2 against 0.1, 0.2, 0.4, 0.3: |0.4| + |−0.1| + |−0.2| + |−0.1| = 0.8
    assert specialization(REGION_1985, NATION_1985) == pytest.approx(0.8)
    assert specialization([1, 0], [0, 1]) == pytest.approx(2.0)
    assert herfindahl(REGION_1985) == pytest.approx(0.25 + 0.01 + 0.04 + 0.04)
    assert herfindahl([7, 7, 7, 7]) == pytest.approx(0.25)
    assert herfindahl(pd.Series([3.0], index=["only"])) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("call", "code", "message"),
    [
        (lambda: location_quotient([1, -1], [1, 1]), "negative", "negative value at position 2"),
        (lambda: location_quotient([1, np.nan], [1, 1]), "nan", "missing or non-finite"),
        (lambda: location_quotient([1, np.inf], [1, 1]), "nan", "missing or non-finite"),
        (lambda: location_quotient([0, 0], [1, 1]), "zero_total", "add up to zero"),
        (lambda: location_quotient([1, 1], [0, 0]), "zero_total", "add up to zero"),
        (lambda: location_quotient([1, 1], [1, 0]), "zero_sector", "zero in the nation"),
        (lambda: location_quotient([1, 1, 1], [1, 1]), "wrong_length", "3 regional values values but 2"),
        (lambda: location_quotient(["a"], [1]), "not_numeric", "must be numbers"),
        (lambda: location_quotient([[1, 2]], [[1, 2]]), "wrong_shape", "single list"),
        (lambda: location_quotient([], []), "too_few", "at least 1"),
        (lambda: location_quotient(pd.Series([1, 2], index=["a", "b"]), pd.Series([1, 2], index=["a", "c"])),
         "labels", "missing 'b'; unexpected 'c'"),
        (lambda: location_quotient(pd.Series([1, 2], index=["a", "a"]), [1, 2]), "labels", "same item twice"),
        (lambda: shift_share([1, 1], [1, 1], [0, 1], [1, 1]), "zero_sector", "nation's base year"),
        (lambda: shift_share([1, 1], [1, 1], [0, 0], [1, 1]), "zero_total", "add up to zero"),
        (lambda: shift_share([1, 1], [1, -1], [1, 1], [1, 1]), "negative", "regional end values"),
        (lambda: specialization([0, 0], [1, 1]), "zero_total", "add up to zero"),
        (lambda: herfindahl([0, 0]), "zero_total", "add up to zero"),
        (lambda: herfindahl([0.5, -0.5]), "negative", "negative"),
    ],
)
def test_invalid_input_raises_a_coded_plain_message(call, code, message):
    with pytest.raises(AnalyticsError, match=message) as caught:
        call()
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


amounts = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=12)
positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)


@PROPERTY
@given(st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 1e6), positive, st.floats(0, 1e6)),
                min_size=1, max_size=12))
def test_shift_share_parts_sum_to_the_change(rows):
    e0, et, n0, nt = (np.array(column) for column in zip(*rows, strict=True))
    table = shift_share(e0, et, n0, nt)
    terms = table[["national_share", "industry_mix", "regional_shift"]]
    scale = 1e-9 * max(1.0, float(terms.abs().to_numpy().max()))  # float cancellation is relative to the terms
    assert terms.sum(axis=1).to_numpy() == pytest.approx(et - e0, abs=scale)
    assert table["total_change"].to_numpy() == pytest.approx(et - e0)


@PROPERTY
@given(st.lists(positive, min_size=1, max_size=12))
def test_the_nation_against_itself_has_lq_one_and_no_specialization(values):
    assert location_quotient(values, values).to_numpy() == pytest.approx(np.ones(len(values)))
    assert specialization(values, values) == pytest.approx(0.0, abs=1e-12)


@PROPERTY
@given(amounts.filter(lambda values: sum(values) > 0))
def test_herfindahl_lies_between_one_over_n_and_one(values):
    h = herfindahl(values)
    assert 1 / len(values) - 1e-12 <= h <= 1 + 1e-12


@PROPERTY
@given(st.lists(st.tuples(positive, positive), min_size=1, max_size=12))
def test_specialization_lies_between_zero_and_two(rows):
    region, nation = zip(*rows, strict=True)
    assert 0 <= specialization(region, nation) <= 2 + 1e-12
