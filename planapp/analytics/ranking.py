"""Ranking alternatives on several criteria: weighted sum, TOPSIS, and the stability of the ranking when the
weights are uncertain.

Conventions: the simple additive weighting with min–max normalisation and TOPSIS as in C.-L. Hwang and K. Yoon,
*Multiple Attribute Decision Making: Methods and Applications* (Springer, Lecture Notes in Economics and
Mathematical Systems 186, 1981). The decision matrix has one row per alternative and one column per criterion;
``benefit`` says, per criterion, whether more is better (True) or less is better (a cost, False).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planapp.analytics._inputs import AnalyticsError, Labels, cell, series, vector
from planapp.analytics._inputs import matrix as table_of

METHODS = ("topsis", "weighted_sum")
DEFAULT_CONCENTRATION = 50.0


def _decision(table: Any, weights: Any, benefit: Any, *, non_negative: bool = False):
    x, rows, cols = table_of(table, "decision matrix")
    n = x.shape[1]
    if isinstance(weights, pd.Series) and cols is not None:
        if set(weights.index) != set(cols) or len(weights) != n or weights.index.has_duplicates:
            raise AnalyticsError("labels", "The weights are not for the criteria of the decision matrix.")
        weights = weights.reindex(cols)
    w, _ = vector(weights, "weights")
    if w.size != n:
        raise AnalyticsError("wrong_length", f"There are {n} criteria but {w.size} weights: each criterion needs "
                             "one weight.")
    total = float(w.sum())
    if total <= 0:
        raise AnalyticsError("zero_total", "The weights add up to zero: at least one criterion must count.")
    b = _benefit(benefit, n, cols)
    if non_negative:
        negative = np.argwhere(x < 0)
        if negative.size:
            raise AnalyticsError("negative", "TOPSIS needs values of zero or more; the decision matrix has a "
                                 f"negative value at {cell(rows, cols, *negative[0])}.")
    return x, w / total, b, rows, cols


def _benefit(benefit: Any, n: int, cols: Labels) -> np.ndarray:
    if isinstance(benefit, bool | np.bool_):
        return np.full(n, bool(benefit))
    if isinstance(benefit, pd.Series) and cols is not None:
        if set(benefit.index) != set(cols) or len(benefit) != n or benefit.index.has_duplicates:
            raise AnalyticsError("labels", "The benefit/cost flags are not for the criteria of the decision matrix.")
        benefit = benefit.reindex(cols)
    flags = np.asarray(benefit.to_numpy() if isinstance(benefit, pd.Series) else benefit, dtype=object)
    if flags.ndim != 1 or flags.size != n:
        raise AnalyticsError("wrong_length", f"There are {n} criteria but {flags.size} benefit/cost flags.")
    if not all(isinstance(flag, bool | np.bool_) for flag in flags):
        raise AnalyticsError("not_numeric", "Each criterion must be marked benefit (True) or cost (False).")
    return flags.astype(bool)


def _min_max(x: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    low, high = x.min(axis=0), x.max(axis=0)
    spread = high - low
    flat = spread == 0
    scaled = np.where(benefit, x - low, high - x) / np.where(flat, 1.0, spread)
    scaled[:, flat] = 0.0
    return scaled


def weighted_sum(matrix: Any, weights: Any, benefit: Any) -> pd.Series:
    """Simple additive weighting with min–max normalisation.

        benefit criterion:  rᵢⱼ = (xᵢⱼ − minᵢ xᵢⱼ) / (maxᵢ xᵢⱼ − minᵢ xᵢⱼ)
        cost criterion:     rᵢⱼ = (maxᵢ xᵢⱼ − xᵢⱼ) / (maxᵢ xᵢⱼ − minᵢ xᵢⱼ)
        score               Sᵢ = Σⱼ wⱼ rᵢⱼ      with the weights divided by their total (Σ w = 1)

    A criterion on which all alternatives are equal cannot tell them apart: its rᵢⱼ is 0 for all. Scores lie in
    [0, 1]; higher is better. A DataFrame's rows label the result; a weights or benefit Series is matched to the
    columns by label. Values may be of any sign; weights must be non-negative with a positive total.
    """
    x, w, b, rows, _ = _decision(matrix, weights, benefit)
    return series(_min_max(x, b) @ w, rows, "weighted_sum")


def _topsis_parts(x: np.ndarray, b: np.ndarray):
    """The vector-normalised matrix and its per-criterion squared gaps to the ideal and the anti-ideal (unweighted).

    With non-negative weights the weighted ideal is wⱼ times the ideal of the normalised column, so
    d⁺ᵢ² = Σⱼ wⱼ² (rᵢⱼ − r⁺ⱼ)²: one matrix product evaluates it for many weight vectors at once."""
    norms = np.sqrt((x * x).sum(axis=0))
    r = x / np.where(norms == 0, 1.0, norms)
    ideal = np.where(b, r.max(axis=0), r.min(axis=0))
    anti = np.where(b, r.min(axis=0), r.max(axis=0))
    return (r - ideal) ** 2, (r - anti) ** 2


def _closeness(plus: np.ndarray, minus: np.ndarray) -> np.ndarray:
    """C = d⁻ / (d⁺ + d⁻) from the squared distances; works in place (the arguments are overwritten), since for
    rank stability they are two samples × alternatives arrays of tens of megabytes."""
    d_plus = np.sqrt(plus, out=plus)
    d_minus = np.sqrt(minus, out=minus)
    total = np.add(d_plus, d_minus, out=d_plus)
    same = total == 0  # every alternative is both ideal and anti-ideal: equally close to both
    closeness = np.divide(d_minus, total, out=d_minus, where=~same)
    closeness[same] = 0.5
    return closeness


def topsis(matrix: Any, weights: Any, benefit: Any) -> pd.Series:
    """TOPSIS closeness coefficient of each alternative (Hwang and Yoon, 1981).

        rᵢⱼ = xᵢⱼ / √(Σᵢ xᵢⱼ²)            vector normalisation
        vᵢⱼ = wⱼ rᵢⱼ                     with the weights divided by their total (Σ w = 1)
        v⁺ⱼ = maxᵢ vᵢⱼ (benefit) or minᵢ vᵢⱼ (cost);   v⁻ⱼ the opposite
        d⁺ᵢ = √Σⱼ (vᵢⱼ − v⁺ⱼ)²,  d⁻ᵢ = √Σⱼ (vᵢⱼ − v⁻ⱼ)²
        Cᵢ = d⁻ᵢ / (d⁺ᵢ + d⁻ᵢ)   ∈ [0, 1], higher is better

    Values must be non-negative (vector normalisation of mixed signs has no meaning). A column of zeros cannot tell
    the alternatives apart and is left at 0. When the alternatives do not differ on any weighted criterion, each is
    both ideal and anti-ideal: every Cᵢ is then 0.5.
    """
    x, w, b, rows, _ = _decision(matrix, weights, benefit, non_negative=True)
    plus, minus = _topsis_parts(x, b)
    w2 = w * w
    return series(_closeness(plus @ w2, minus @ w2), rows, "topsis")


def rank_stability(matrix: Any, weights: Any, benefit: Any, method: str = "topsis", top_k: int = 3,
                   samples: int = 10_000, seed: int = 0,
                   concentration: float = DEFAULT_CONCENTRATION) -> pd.Series:
    """Probability that each alternative ranks in the top ``top_k`` when the weights vary around the given ones.

    How the weights vary: each sample draws weights from a Dirichlet distribution with parameters κ·w, where w are
    the given weights normalised to sum 1 and κ = ``concentration`` (default 50). Why Dirichlet: every sampled
    weight vector is non-negative and sums to 1, like the weights a planner sets; its mean is exactly w; and one
    number sets the spread — the standard deviation of weight j is √(wⱼ(1 − wⱼ)/(κ + 1)), e.g. 0.2 ± 0.056 at
    κ = 50, a moderate relative spread of about a quarter (a larger κ varies the weights less, a smaller one more).
    A zero weight stays zero. (Sampled as normalised Gamma(κ·wⱼ) variates.)

    All samples are evaluated at once with numpy (the samples × criteria weight matrix times the criteria ×
    alternatives normalised matrix, or for TOPSIS its squared gaps to the ideal and the anti-ideal); ``seed`` makes
    the result deterministic. An alternative counts as in the top k when fewer than k alternatives score strictly
    higher (ties at the boundary count for all tied).
    ``method`` is "topsis" or "weighted_sum". Returns a Series of probabilities named ``p_top_k``.
    """
    if method not in METHODS:
        raise AnalyticsError("bad_option", f"Unknown ranking method {method!r}; use 'topsis' or 'weighted_sum'.")
    x, w, b, rows, _ = _decision(matrix, weights, benefit, non_negative=method == "topsis")
    m = x.shape[0]
    if not isinstance(top_k, int | np.integer) or not 1 <= top_k <= m:
        raise AnalyticsError("bad_option", f"The top k must be a whole number from 1 to the number of alternatives "
                             f"({m}); it is {top_k!r}.")
    if not isinstance(samples, int | np.integer) or samples < 1:
        raise AnalyticsError("bad_option", f"The number of samples must be a whole number of at least 1; it is "
                             f"{samples!r}.")
    if not np.isfinite(concentration) or concentration <= 0:
        raise AnalyticsError("bad_option", "The concentration must be a positive number.")
    rng = np.random.default_rng(seed)
    gammas = rng.gamma(concentration * w, size=(samples, w.size))
    totals = gammas.sum(axis=1, keepdims=True)
    drawn = gammas / np.where(totals > 0, totals, 1.0)
    drawn[totals[:, 0] == 0] = w  # every Gamma draw underflowed to 0 (only for tiny κ·w): keep the given weights
    # scores are laid out samples × alternatives, so that each sample's partition runs over contiguous memory
    if method == "weighted_sum":
        scores = drawn @ _min_max(x, b).T
    else:
        plus, minus = _topsis_parts(x, b)
        squared = drawn * drawn
        scores = _closeness(squared @ plus.T, squared @ minus.T)
    kth = np.partition(scores, m - top_k, axis=1)[:, m - top_k, None]
    return series(np.count_nonzero(scores >= kth, axis=0) / samples, rows, "p_top_k")
