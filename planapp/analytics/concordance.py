"""Agreement among scorers: Kendall's coefficient of concordance W, with the correction for tied ranks.

Convention: M. G. Kendall and B. Babington Smith, "The problem of m rankings", *Annals of Mathematical Statistics*
10 (1939) 275–287; the tie correction as in S. Siegel and N. J. Castellan, *Nonparametric Statistics for the
Behavioral Sciences*, 2nd ed. (McGraw-Hill, 1988), section 9.4.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planapp.analytics._inputs import AnalyticsError, matrix


def kendall_w(scores: Any) -> float:
    """Kendall's W of m raters (rows) over n objects (columns), from their scores.

    Each rater's scores are turned into ranks 1…n (ties get the average of the ranks they span; the direction does
    not matter as long as it is the same for every rater). With Rⱼ the sum of object j's ranks:

        S  = Σⱼ (Rⱼ − m(n + 1)/2)²
        Tᵢ = Σ (t³ − t)  over the groups of t tied scores of rater i
        W  = 12 S / (m² (n³ − n) − m Σᵢ Tᵢ)

    W = 1 when all raters rank the objects alike, 0 when their rank sums are all equal; it lies in [0, 1]. Needs at
    least 2 raters and 2 objects; refused when every rater gives every object the same score (no ranking at all).
    """
    values, _, _ = matrix(scores, "scores")
    m, n = values.shape
    if m < 2:
        raise AnalyticsError("too_few", f"Agreement needs at least 2 scorers; there is {m}.")
    if n < 2:
        raise AnalyticsError("too_few", f"Agreement needs at least 2 items to rank; there is {n}.")
    ranks = pd.DataFrame(values).rank(axis=1, method="average").to_numpy()
    rank_sums = ranks.sum(axis=0)
    s = float(((rank_sums - m * (n + 1) / 2) ** 2).sum())
    ties = _tie_sum(values)
    denominator = m * m * (n**3 - n) - m * ties
    if denominator <= 0:
        raise AnalyticsError("no_difference", "Every scorer gave all the items the same score, so there is no "
                             "ranking to agree on.")
    return float(min(max(12 * s / denominator, 0.0), 1.0))


def _tie_sum(values: np.ndarray) -> float:
    """Σ over raters and tie groups of t³ − t, vectorised: sort each row and measure its runs of equal values."""
    ordered = np.sort(values, axis=1)
    m, n = ordered.shape
    starts = np.ones((m, n), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    flat_starts = np.flatnonzero(np.concatenate([starts, np.ones((m, 1), dtype=bool)], axis=1).ravel())
    lengths = np.diff(flat_starts)
    # the sentinel column closes each row's last run and is itself a run of length 1 (t³ − t = 0)
    return float((lengths.astype(float) ** 3 - lengths).sum())
