"""Aggregating the scores of many stakeholders into one decision matrix (mean or geometric mean per cell).

Convention: the aggregation of individual judgments in group decision making — arithmetic mean for scores on an
interval scale, geometric mean for ratio-scale scores (Aczél and Saaty, *Journal of Mathematical Psychology* 27,
1983). Scores are typically 1–9.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from planapp.analytics._inputs import AnalyticsError, Labels, cell

AGGREGATIONS = ("mean", "geometric")


def aggregate_scores(scores: Any, method: str = "mean") -> Any:
    """One score per cell from K scorers' matrices (alternatives × criteria), cell by cell.

        mean:       s̄ᵢⱼ = Σₖ sᵢⱼ⁽ᵏ⁾ / Kᵢⱼ
        geometric:  s̄ᵢⱼ = exp(Σₖ log sᵢⱼ⁽ᵏ⁾ / Kᵢⱼ)      (scores must then be positive)

    where Kᵢⱼ counts the scorers who scored the cell: a missing score (NaN) is left out of that cell's mean, so a
    scorer who skipped one cell still counts elsewhere. A cell that nobody scored is refused, as are infinite or
    non-numeric scores. ``scores`` is a sequence of matrices (DataFrames are matched by row and column labels and
    give a DataFrame in the first one's order) or a (K, alternatives, criteria) array.
    """
    if method not in AGGREGATIONS:
        raise AnalyticsError("bad_option", f"Unknown aggregation {method!r}; use 'mean' or 'geometric'.")
    stack, rows, cols = _stack(scores)
    if np.isinf(stack).any():
        raise AnalyticsError("nan", "A score is infinite; scores are finite numbers.")
    present = ~np.isnan(stack)
    counts = present.sum(axis=0)
    empty = np.argwhere(counts == 0)
    if empty.size:
        raise AnalyticsError("nan", f"Nobody scored {cell(rows, cols, *empty[0])}; each cell needs at least one "
                             "score.")
    if method == "geometric":
        bad = np.argwhere(present & (np.nan_to_num(stack, nan=1.0) <= 0))
        if bad.size:
            k, r, c = bad[0]
            raise AnalyticsError("not_positive", f"Scorer {k + 1} gave {stack[k, r, c]:g} at "
                                 f"{cell(rows, cols, r, c)}; a geometric mean needs positive scores.")
        result = np.exp(np.where(present, np.log(np.where(present, stack, 1.0)), 0.0).sum(axis=0) / counts)
    else:
        result = np.where(present, stack, 0.0).sum(axis=0) / counts
    if rows is not None:
        return pd.DataFrame(result, index=rows, columns=cols)
    return result


def _stack(scores: Any) -> tuple[np.ndarray, Labels, Labels]:
    if isinstance(scores, np.ndarray):
        if scores.ndim != 3:
            raise AnalyticsError("wrong_shape", "Give one score matrix per scorer (scorers × alternatives × "
                                 "criteria).")
        items: Sequence[Any] = list(scores)
    elif isinstance(scores, pd.DataFrame):
        raise AnalyticsError("wrong_shape", "Give a list of the scorers' matrices, one matrix per scorer.")
    else:
        items = list(scores)
    if not items:
        raise AnalyticsError("too_few", "There are no scores to aggregate.")
    rows: Labels = None
    cols: Labels = None
    if isinstance(items[0], pd.DataFrame):
        rows, cols = items[0].index, items[0].columns
        if rows.has_duplicates or cols.has_duplicates:
            raise AnalyticsError("labels", "The first scorer's matrix names the same row or column twice.")
    arrays = []
    for k, item in enumerate(items):
        if rows is not None:
            if (not isinstance(item, pd.DataFrame) or set(item.index) != set(rows) or set(item.columns) != set(cols)
                    or item.shape != (len(rows), len(cols))):
                raise AnalyticsError("labels", f"Scorer {k + 1}'s matrix is not for the same alternatives and "
                                     "criteria as scorer 1's.")
            item = item.reindex(index=rows, columns=cols)
        try:
            array = np.asarray(item.to_numpy() if isinstance(item, pd.DataFrame) else item, dtype=float)
        except (TypeError, ValueError):
            raise AnalyticsError("not_numeric", f"Scorer {k + 1}'s scores must be numbers.") from None
        if array.ndim != 2 or array.size == 0:
            raise AnalyticsError("wrong_shape", f"Scorer {k + 1}'s scores must be a non-empty table.")
        arrays.append(array)
    if len({array.shape for array in arrays}) > 1:
        raise AnalyticsError("wrong_shape", "The scorers' matrices do not all have the same size.")
    return np.stack(arrays), rows, cols
