"""IFE/EFE totals and the internal-external matrix, checked against published worked examples.

Source: Fred R. David, *Strategic Management: Concepts and Cases*, 13th edition (Prentice Hall, 2011):
- chapter 3 "The External Assessment", the sample External Factor Evaluation (EFE) matrix for a local ten-theatre
  cinema complex: 15 factors, weights summing to 1.00, published total weighted score 2.58;
- chapter 4 "The Internal Assessment", Table 4-10 (p. 123), the sample Internal Factor Evaluation (IFE) matrix for a
  retail computer store: 17 factors, weights summing to 1.00, published total weighted score 2.50 (every row below
  checked against the printed table);
- chapter 6 "Strategy Analysis and Choice", the internal-external (IE) matrix: IFE on the x axis (3.0–4.0 strong,
  2.0–2.99 average, 1.0–1.99 weak), EFE on the y axis (3.0–4.0 high, 2.0–2.99 medium, 1.0–1.99 low), cells I–IX.
The expected totals are the published ones. The EFE rows are as recalled from Table 3-12; the book's text confirms the
total (2.58), the largest weight (0.12, rated 4) and the ratings it names (4 for the university and healthy-eating
factors, 1 for the new-neighbourhoods and rented-movies factors).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from planapp.analytics import IECell, factor_evaluation, ie_matrix_cell

# David, EFE matrix, local ten-theatre cinema complex: (weight, rating); opportunities 1–7, threats 8–15.
CINEMA_EFE = [
    (0.05, 3),
    (0.08, 4),
    (0.08, 3),
    (0.07, 2),
    (0.09, 1),
    (0.06, 3),
    (0.03, 2),
    (0.12, 4),
    (0.06, 2),
    (0.06, 3),
    (0.04, 3),
    (0.08, 2),
    (0.04, 3),
    (0.08, 2),
    (0.06, 1),
]
# David, IFE matrix, retail computer store: strengths 1–9, weaknesses 10–17.
COMPUTER_STORE_IFE = [
    (0.05, 3),
    (0.07, 4),
    (0.10, 3),
    (0.05, 3),
    (0.02, 3),
    (0.15, 3),
    (0.05, 4),
    (0.03, 3),
    (0.02, 3),
    (0.10, 2),
    (0.15, 2),
    (0.02, 1),
    (0.02, 1),
    (0.04, 1),
    (0.05, 2),
    (0.03, 1),
    (0.05, 1),
]


def split(rows):
    return [w for w, _ in rows], [r for _, r in rows]


def test_published_efe_total():
    weights, ratings = split(CINEMA_EFE)
    assert math.isclose(sum(weights), 1.0)
    assert factor_evaluation(weights, ratings) == pytest.approx(2.58)


def test_published_ife_total():
    weights, ratings = split(COMPUTER_STORE_IFE)
    assert factor_evaluation(np.array(weights), np.array(ratings)) == pytest.approx(2.50)


def test_series_are_matched_by_label_not_position():
    weights, ratings = split(COMPUTER_STORE_IFE)
    labels = [f"f{i}" for i in range(len(weights))]
    w = pd.Series(weights, index=labels)
    r = pd.Series(ratings, index=labels).iloc[::-1]  # same factors, other order
    assert factor_evaluation(w, r) == pytest.approx(2.50)


def test_the_two_published_totals_fall_in_cell_v():
    cell = ie_matrix_cell(2.50, 2.58)
    assert cell == IECell(row=2, col=2, name="V", region="hold and maintain", ife_band="average", efe_band="medium")


@pytest.mark.parametrize(
    ("ife", "efe", "name", "region"),
    [
        (4.0, 4.0, "I", "grow and build"),
        (3.0, 3.0, "I", "grow and build"),
        (2.99, 3.5, "II", "grow and build"),
        (1.5, 3.0, "III", "hold and maintain"),
        (3.2, 2.0, "IV", "grow and build"),
        (2.0, 2.99, "V", "hold and maintain"),
        (1.99, 2.5, "VI", "harvest or divest"),
        (3.0, 1.99, "VII", "hold and maintain"),
        (2.5, 1.0, "VIII", "harvest or divest"),
        (1.0, 1.0, "IX", "harvest or divest"),
    ],
)
def test_ie_cells_and_regions(ife, efe, name, region):
    cell = ie_matrix_cell(ife, efe)
    assert (cell.name, cell.region) == (name, region)
    assert ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"][3 * (cell.row - 1) + cell.col - 1] == name


@pytest.mark.parametrize(
    ("weights", "ratings", "message"),
    [
        ([0.5, 0.5], [3], "2 weights but 1 ratings"),
        ([], [], "no weights"),
        ([0.5, float("nan")], [3, 3], "weight of factor 2 is missing"),
        ([0.5, 0.5], [3, float("nan")], "rating of factor 2 is missing"),
        ([0.5, None], [3, 3], "missing"),
        ([1.2, -0.2], [3, 3], "weight of factor 2 is negative"),
        ([0.5, 0.4], [3, 3], "add up to 0.9, not 1"),
        ([0.5, 0.5, 0.1], [3, 3, 3], "add up to 1.1"),
        ([0.5, 0.5], [3, 5], "rating of factor 2 is 5"),
        ([0.5, 0.5], [0, 3], "rating of factor 1 is 0"),
        ([0.5, 0.5], [2.5, 3], "whole number 1 to 4"),
        ([0.5, 0.5], [3, float("inf")], "not a finite number"),
        (["a", "b"], [3, 3], "must be numbers"),
        ([[0.5, 0.5]], [[3, 3]], "single list"),
    ],
)
def test_invalid_input_raises_a_plain_message(weights, ratings, message):
    with pytest.raises(ValueError, match=message):
        factor_evaluation(weights, ratings)


def test_weights_within_tolerance_are_accepted():
    assert factor_evaluation([0.3, 0.3, 0.4 + 5e-7], [4, 4, 4]) == pytest.approx(4.0, abs=1e-5)


def test_series_for_other_factors_refused():
    with pytest.raises(ValueError, match="not for the same factors"):
        factor_evaluation(pd.Series([0.5, 0.5], index=["a", "b"]), pd.Series([3, 3], index=["a", "c"]))
    with pytest.raises(ValueError, match="once"):
        factor_evaluation(pd.Series([0.5, 0.5], index=["a", "a"]), pd.Series([3, 3], index=["a", "a"]))


@pytest.mark.parametrize(
    ("ife", "efe", "message"),
    [
        (0.9, 2.0, "IFE total is 0.9"),
        (2.0, 4.1, "EFE total is 4.1"),
        (float("nan"), 2.0, "IFE total is missing"),
        (2.0, None, "EFE total must be a number"),
        ("x", 2.0, "IFE total must be a number"),
    ],
)
def test_ie_matrix_invalid_totals(ife, efe, message):
    with pytest.raises(ValueError, match=message):
        ie_matrix_cell(ife, efe)
