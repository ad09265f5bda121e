"""Kendall's coefficient of concordance W, with and without tied ranks.

Sources:
- Without ties: influentialpoints.com, "Kendall's coefficient of concordance" (Training pages,
  https://influentialpoints.com/Training/coefficient_of_concordance.htm), worked example I: four raters rank the
  strawberries of eight farms; rank sums 31, 12, 12, 15, 22, 5, 22, 25; S = 500; W = 500 / (504 · 16 / 12) = 0.744.
- With ties: a worked example on Cross Validated (https://stats.stackexchange.com/q/261206) using the formula of
  D. J. Sheskin, *Handbook of Parametric and Nonparametric Statistical Procedures* (Chapman & Hall/CRC), p. 900:
  two raters score five objects x = (12, 2, 1, 12, 2) and y = (1, 4, 7, 1, 0); ranks (4.5, 2.5, 1, 4.5, 2.5) and
  (2.5, 4, 5, 2.5, 1); rank sums 7, 6.5, 6, 7, 3.5 (Σ R² = 188.5); Σ (t³ − t) = 12 + 6 = 18;
  W = (12 · 188.5 − 3 · 2² · 5 · 6²) / (2² · 5 · (5² − 1) − 2 · 18) = 0.22973.
- The same tie correction, W = 12 S / (m²(n³ − n) − m Σ T) with T = Σ (t³ − t) per rater, is the one stated by
  the NAG Toolbox documentation of nag_nonpar_concordance_kendall (g08da) (with the 12 factored into T) and by
  UNISTAT's Kendall's concordance page; a second tie case is worked by hand below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from planapp.analytics import AnalyticsError, kendall_w

# rows = raters A–D, columns = farms 1–8, ranks as printed (1 = best)
STRAWBERRIES = np.array([
    [8, 4, 2, 3, 5, 1, 6, 7],
    [7, 3, 1, 4, 5, 2, 6, 8],
    [8, 2, 5, 6, 7, 1, 4, 3],
    [8, 3, 4, 2, 5, 1, 6, 7],
])
PROPERTY = settings(max_examples=100, deadline=None)


def test_published_strawberry_example():
    assert STRAWBERRIES.sum(axis=0).tolist() == [31, 12, 12, 15, 22, 5, 22, 25]
    assert kendall_w(STRAWBERRIES) == pytest.approx(500 / 672)
    assert round(kendall_w(STRAWBERRIES), 3) == 0.744


def test_scores_are_ranked_first_and_direction_does_not_matter():
    scores = pd.DataFrame(10 - STRAWBERRIES, index=list("ABCD"))  # high score = good, same order
    assert kendall_w(scores) == pytest.approx(500 / 672)
    assert kendall_w(STRAWBERRIES * 3.5 + 1) == pytest.approx(500 / 672)


def test_published_example_with_ties():
    scores = [[12, 2, 1, 12, 2], [1, 4, 7, 1, 0]]
    assert kendall_w(scores) == pytest.approx(102 / 444)
    assert round(kendall_w(scores), 5) == 0.22973


def test_ties_are_averaged_and_corrected():
    # 3 raters, 4 items. Rater 1 scores 9 9 5 1 → ranks 3.5 3.5 2 1 (one pair tied: t³ − t = 6);
    # rater 2 scores 8 6 6 2 → ranks 4 2.5 2.5 1 (6); rater 3 scores 7 6 3 3 → ranks 4 3 1.5 1.5 (6).
    # Rank sums 11.5, 9, 6, 3.5; mean 7.5; S = 16 + 2.25 + 2.25 + 16 = 36.5.
    # W = 12 · 36.5 / (9 · 60 − 3 · 18) = 438 / 486 = 0.9012 (uncorrected it would be 438 / 540 = 0.8111).
    scores = [[9, 9, 5, 1], [8, 6, 6, 2], [7, 6, 3, 3]]
    assert kendall_w(scores) == pytest.approx(438 / 486)


def test_a_rater_who_ties_everything_still_counts():
    # ranks 1 2 3 / 1 2 3 / 2 2 2: sums 4, 6, 8, S = 8; T = 24 for the third rater
    assert kendall_w([[1, 2, 3], [1, 2, 3], [0, 0, 0]]) == pytest.approx(12 * 8 / (9 * 24 - 3 * 24))


def test_complete_disagreement_is_zero():
    assert kendall_w([[1, 2, 3], [2, 3, 1], [3, 1, 2]]) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("scores", "code", "message"),
    [
        ([[1, 2, 3]], "too_few", "at least 2 scorers"),
        ([[1], [2]], "too_few", "at least 2 items"),
        ([[1, 2], [1, np.nan]], "nan", "row 2, column 2"),
        ([[5, 5], [3, 3]], "no_difference", "same score"),
        ([1, 2, 3], "wrong_shape", "table"),
        ([["a", "b"], ["c", "d"]], "not_numeric", "must be numbers"),
    ],
)
def test_invalid_scores_raise_coded_messages(scores, code, message):
    with pytest.raises(AnalyticsError, match=message) as caught:
        kendall_w(scores)
    assert caught.value.code == code


@PROPERTY
@given(st.integers(2, 8), arrays(float, st.integers(2, 10), elements=st.integers(1, 9)))
def test_identical_raters_agree_completely(m, row):
    if len(set(row)) == 1:
        return  # nothing to rank
    assert kendall_w(np.tile(row, (m, 1))) == pytest.approx(1.0)


@PROPERTY
@given(st.tuples(st.integers(2, 8), st.integers(2, 10)).flatmap(
    lambda shape: arrays(float, shape, elements=st.integers(1, 9))))
def test_w_lies_in_zero_one(scores):
    if (scores == scores[:, :1]).all():
        return  # every rater tied everything: refused, tested above
    assert 0.0 <= kendall_w(scores) <= 1.0
