"""Analytic hierarchy process (AHP): priorities from a pairwise comparison matrix, its consistency, and the
aggregation of several judges' matrices.

Convention: T. L. Saaty, "A scaling method for priorities in hierarchical structures", *Journal of Mathematical
Psychology* 15 (1977) 234–281, and *The Analytic Hierarchy Process* (McGraw-Hill, 1980): principal right
eigenvector, consistency index and ratio with Saaty's random index; aggregation of individual judgments by the
geometric mean (Aczél and Saaty, "Procedures for synthesizing ratio judgements", *Journal of Mathematical
Psychology* 27 (1983) 93–102), which keeps the aggregate reciprocal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planapp.analytics._inputs import AnalyticsError, Labels, cell, matrix

# Saaty's random index RI(n) for n = 1 … 10: the average CI of random reciprocal matrices on the 1/9…9 scale.
RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)
RECIPROCAL_TOLERANCE = 1e-3  # relative: a judge's 0.333 for 1/3 is accepted, 0.3 is not
CR_THRESHOLD = 0.10  # Saaty: revise the judgments when CR exceeds 0.10


@dataclass(frozen=True)
class AHPResult:
    weights: pd.Series  # the principal eigenvector, scaled to sum to 1
    lambda_max: float  # the principal eigenvalue, ≥ n
    ci: float  # consistency index (λmax − n)/(n − 1); 0 for n ≤ 2
    cr: float  # consistency ratio CI / RI(n); 0 for n ≤ 2

    @property
    def acceptable(self) -> bool:
        """Saaty's rule: the judgments are consistent enough when CR ≤ 0.10."""
        return self.cr <= CR_THRESHOLD


def ahp(pairwise: Any) -> AHPResult:
    """Priorities and consistency of a pairwise comparison matrix.

    aᵢⱼ says how many times more important i is than j (Saaty's 1–9 scale and reciprocals), with aᵢᵢ = 1 and
    aⱼᵢ = 1/aᵢⱼ (checked to a relative 1e-3). Then

        A w = λmax w               w the principal (Perron) eigenvector, scaled so that Σ wᵢ = 1
        CI = (λmax − n) / (n − 1)
        CR = CI / RI(n)            RI = 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49 for n = 1 … 10

    A consistent matrix (aᵢⱼ = wᵢ/wⱼ) has λmax = n and CR = 0. For n ≤ 2 every reciprocal matrix is consistent and
    CI = CR = 0. More than 10 items are refused (no random index; and people cannot compare so many at once).
    A DataFrame keeps its labels in ``weights``; its rows and columns must name the same items.
    """
    a, labels = _checked(pairwise, "pairwise comparison matrix")
    n = a.shape[0]
    if n > len(RANDOM_INDEX):
        raise AnalyticsError("too_many", f"At most {len(RANDOM_INDEX)} items can be compared pairwise at once; "
                             f"there are {n}. Group them into a hierarchy.")
    values, vectors = np.linalg.eig(a)
    principal = int(np.argmax(values.real))
    lambda_max = float(values[principal].real)
    w = np.abs(vectors[:, principal].real)
    w = w / w.sum()
    if n <= 2:
        ci = cr = 0.0
    else:
        ci = max((lambda_max - n) / (n - 1), 0.0)
        cr = ci / RANDOM_INDEX[n - 1]
    index = labels if labels is not None else pd.RangeIndex(n)
    return AHPResult(weights=pd.Series(w, index=index, name="weight"), lambda_max=lambda_max, ci=ci, cr=cr)


def _checked(pairwise: Any, name: str) -> tuple[np.ndarray, Labels]:
    a, rows, cols = matrix(pairwise, name, square=True)
    _check_reciprocal(a[None], rows, cols, lambda _: name)
    return a, rows


def _check_reciprocal(stack: np.ndarray, rows: Labels, cols: Labels, name_of: Callable[[int], str]) -> None:
    """Checks a (k, n, n) stack of matrices at once; the message names the first bad matrix and cell."""
    if not (stack > 0).all():
        k, r, c = np.argwhere(stack <= 0)[0]
        raise AnalyticsError("not_positive", f"The {name_of(k)} has a zero or negative judgment at "
                             f"{cell(rows, cols, r, c)}; judgments are positive (1/9 … 9).")
    n = stack.shape[1]
    diagonal = stack[:, np.arange(n), np.arange(n)]
    bad = np.argwhere(np.abs(diagonal - 1) > RECIPROCAL_TOLERANCE)
    if bad.size:
        k, i = bad[0]
        raise AnalyticsError("not_reciprocal", f"The {name_of(k)} compares an item with itself at "
                             f"{cell(rows, cols, i, i)} with a value other than 1.")
    off = np.abs(stack * np.swapaxes(stack, 1, 2) - 1) > RECIPROCAL_TOLERANCE
    if off.any():
        k, r, c = np.argwhere(off)[0]
        raise AnalyticsError("not_reciprocal", f"The {name_of(k)} is not reciprocal at {cell(rows, cols, r, c)}: "
                             f"{stack[k, r, c]:g} there should go with {1 / stack[k, r, c]:.4g} at "
                             f"{cell(rows, cols, c, r)}.")


def _stack(items: Sequence[Any]) -> np.ndarray:
    """The judges' matrices as one (K, n, n) float array, checked all at once (no per-judge Python loop for arrays)."""
    if isinstance(items, np.ndarray):
        stack = items
    else:
        shapes = {np.shape(item) for item in items}
        if len(shapes) > 1:
            raise AnalyticsError("wrong_shape", "The judges' matrices do not all have the same size.")
        stack = items
    try:
        stack = np.asarray(stack, dtype=float)
    except (TypeError, ValueError):
        raise AnalyticsError("not_numeric", "The judges' matrices must be numbers.") from None
    if stack.ndim != 3 or stack.shape[1] != stack.shape[2]:
        raise AnalyticsError("not_square", "Each judge's matrix must be square (as many rows as columns).")
    if stack.shape[1] == 0:
        raise AnalyticsError("too_few", "The judges' matrices are empty.")
    if not np.isfinite(stack).all():
        k, r, c = np.argwhere(~np.isfinite(stack))[0]
        raise AnalyticsError("nan", f"The matrix of judge {k + 1} has a missing or non-finite value at row {r + 1}, "
                             f"column {c + 1}.")
    return stack


def aggregate_pairwise(matrices: Any) -> Any:
    """Aggregate several judges' pairwise comparison matrices into one, element by element, by geometric mean.

    Formula:  āᵢⱼ = (Πₖ aᵢⱼ⁽ᵏ⁾)^(1/K) = exp(mean_k log aᵢⱼ⁽ᵏ⁾)  over the K judges.

    The geometric mean (not the arithmetic one) keeps the result reciprocal, āⱼᵢ = 1/āᵢⱼ, and treats a judgment
    and its reciprocal symmetrically (Aczél and Saaty, 1983). ``matrices`` is a sequence of square matrices
    (DataFrames are matched by label and give a DataFrame in the first one's order; arrays give an array) or a
    (K, n, n) array. Each matrix must be positive and reciprocal.
    """
    if isinstance(matrices, pd.DataFrame) or (isinstance(matrices, np.ndarray) and matrices.ndim != 3):
        raise AnalyticsError("wrong_shape", "Give a list of the judges' matrices, one matrix per judge.")
    items: Sequence[Any] = matrices if isinstance(matrices, np.ndarray) else list(matrices)
    if len(items) == 0:
        raise AnalyticsError("too_few", "There are no judges' matrices to aggregate.")
    labels: Labels = None
    if isinstance(items[0], pd.DataFrame):
        _, labels, _ = matrix(items[0], "matrix of judge 1", square=True)
        reordered = []
        for k, item in enumerate(items):
            if not isinstance(item, pd.DataFrame) or set(item.index) != set(labels) or len(item) != len(labels):
                raise AnalyticsError("labels", f"The matrix of judge {k + 1} does not compare the same items as "
                                     "judge 1's.")
            reordered.append(item.reindex(index=labels, columns=labels).to_numpy())
        items = reordered
    stack = _stack(items)
    _check_reciprocal(stack, labels, labels, lambda k: f"matrix of judge {k + 1}")
    mean = np.exp(np.log(stack).mean(axis=0))
    if labels is not None:
        return pd.DataFrame(mean, index=labels, columns=labels)
    return mean
