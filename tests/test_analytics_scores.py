"""Aggregating stakeholders' score matrices cell by cell (mean or geometric mean), checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from planapp.analytics import AnalyticsError, aggregate_scores

CORES = ["tourism", "petrochemicals"]
CRITERIA = ["jobs", "water use"]


def frame(values) -> pd.DataFrame:
    return pd.DataFrame(values, index=CORES, columns=CRITERIA)


def test_mean_and_geometric_mean_by_hand():
    scorers = [frame([[9, 1], [3, 3]]), frame([[1, 1], [3, 9]])]
    mean = aggregate_scores(scorers)
    assert isinstance(mean, pd.DataFrame) and list(mean.index) == CORES and list(mean.columns) == CRITERIA
    assert mean.to_numpy() == pytest.approx(np.array([[5, 1], [3, 6]]))
    geometric = aggregate_scores(scorers, method="geometric")
    assert geometric.to_numpy() == pytest.approx(np.array([[3, 1], [3, np.sqrt(27)]]))


def test_labels_are_matched_and_missing_scores_left_out():
    first = frame([[9, np.nan], [3, 3]])
    second = frame([[1, 4], [3, 9]]).loc[CORES[::-1], CRITERIA[::-1]]
    result = aggregate_scores([first, second])
    assert result.loc["tourism", "water use"] == pytest.approx(4)  # only the second scorer scored it
    assert result.loc["petrochemicals", "water use"] == pytest.approx(6)
    array = aggregate_scores(np.array([[[1.0, 2.0]], [[3.0, np.nan]]]))
    assert isinstance(array, np.ndarray) and array.tolist() == [[2.0, 2.0]]


@pytest.mark.parametrize(
    ("scores", "method", "code", "message"),
    [
        ([], "mean", "too_few", "no scores"),
        ([[[1, np.nan]], [[2, np.nan]]], "mean", "nan", "Nobody scored row 1, column 2"),
        ([[[1, np.inf]]], "mean", "nan", "infinite"),
        ([[[1, 2]], [[0, 2]]], "geometric", "not_positive", "Scorer 2 gave 0 at row 1, column 1"),
        ([[[1, 2]], [[1, 2, 3]]], "mean", "wrong_shape", "same size"),
        ([[[1, 2]], [["x", 2]]], "mean", "not_numeric", "Scorer 2"),
        (np.ones((2, 2)), "mean", "wrong_shape", "one score matrix per scorer"),
        ([[[1, 2]]], "median", "bad_option", "Unknown aggregation"),
        ([frame([[1, 2], [3, 4]]), frame([[1, 2], [3, 4]]).rename(index={"tourism": "mining"})], "mean", "labels",
         "Scorer 2"),
    ],
)
def test_invalid_scores_raise_coded_messages(scores, method, code, message):
    with pytest.raises(AnalyticsError, match=message) as caught:
        aggregate_scores(scores, method=method)
    assert caught.value.code == code


@settings(max_examples=100, deadline=None)
@given(st.tuples(st.integers(1, 20), st.integers(1, 5), st.integers(1, 5)).flatmap(
    lambda shape: arrays(float, shape, elements=st.integers(1, 9))))
def test_aggregates_lie_between_the_lowest_and_highest_score(stack):
    for method in ("mean", "geometric"):
        result = aggregate_scores(stack, method=method)
        assert (result >= stack.min(axis=0) - 1e-9).all() and (result <= stack.max(axis=0) + 1e-9).all()
    assert (aggregate_scores(stack, method="geometric") <= aggregate_scores(stack) + 1e-9).all()
