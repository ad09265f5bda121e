"""Internal and external factor evaluation (IFE/EFE) and the internal-external (IE) matrix.

Convention: Fred R. David, *Strategic Management: Concepts and Cases*, chapters on the external and the internal
assessment and on strategy formulation (the IFE, EFE and IE matrices).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planapp.analytics._inputs import AnalyticsError

WEIGHT_TOLERANCE = 1e-6
RATINGS = (1, 2, 3, 4)


def _as_array(values: Any, name: str, one: str) -> np.ndarray:
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise AnalyticsError("not_numeric", f"The {name} must be numbers.") from None
    if array.ndim != 1:
        raise AnalyticsError("wrong_shape", f"The {name} must be a single list of numbers, one per factor.")
    if array.size == 0:
        raise AnalyticsError("too_few", f"There are no {name}: at least one factor is needed.")
    missing = np.flatnonzero(~np.isfinite(array))
    if missing.size:
        raise AnalyticsError("nan", f"The {one} of factor {missing[0] + 1} is missing or not a finite number.")
    return array


def factor_evaluation(weights: Any, ratings: Any) -> float:
    """Total weighted score of an internal (IFE) or external (EFE) factor evaluation matrix.

    Formula:  score = Σᵢ wᵢ · rᵢ   with  wᵢ ≥ 0,  Σᵢ wᵢ = 1 (within 1e-6),  rᵢ ∈ {1, 2, 3, 4}.

    Convention (David): a weight is the factor's importance to success in the industry, from 0.0 (not important)
    to 1.0 (all-important); the weights of one matrix sum to 1.0. A rating says how the organisation stands on the
    factor — IFE: 1 major weakness, 2 minor weakness, 3 minor strength, 4 major strength; EFE: how well the current
    strategies respond, 1 poor, 2 average, 3 above average, 4 superior. The total lies between 1.0 and 4.0; 2.5 is
    the average.

    ``weights`` and ``ratings`` are sequences, numpy arrays or pandas Series of the same length; two Series are
    matched by their labels (index), which must be the same set. Any invalid input raises ``ValueError`` with a
    message that names the problem — never a silent NaN (an ``AnalyticsError``, whose ``code`` is stable).
    """
    if isinstance(weights, pd.Series) and isinstance(ratings, pd.Series):
        if weights.index.has_duplicates or ratings.index.has_duplicates:
            raise AnalyticsError("labels", "Each factor must appear once in the weights and once in the ratings.")
        if set(weights.index) != set(ratings.index):
            raise AnalyticsError("labels", "The weights and the ratings are not for the same factors.")
        ratings = ratings.reindex(weights.index)
    w = _as_array(weights, "weights", "weight")
    r = _as_array(ratings, "ratings", "rating")
    if w.size != r.size:
        raise AnalyticsError(
            "wrong_length", f"There are {w.size} weights but {r.size} ratings: each factor needs one of each."
        )
    negative = np.flatnonzero(w < 0)
    if negative.size:
        raise AnalyticsError(
            "negative", f"The weight of factor {negative[0] + 1} is negative; weights are between 0 and 1."
        )
    total = float(w.sum())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise AnalyticsError(
            "not_normalised", f"The weights add up to {total:.6g}, not 1: adjust them so that they sum to 1."
        )
    bad = np.flatnonzero((r != np.round(r)) | (r < 1) | (r > 4))
    if bad.size:
        raise AnalyticsError(
            "out_of_range", f"The rating of factor {bad[0] + 1} is {r[bad[0]]:g}; a rating is a whole number 1 to 4."
        )
    return float(np.dot(w, r))


# The IE matrix: columns by IFE total (strong on the left), rows by EFE total (high at the top).
IE_COLUMNS = ("strong", "average", "weak")  # IFE 3.0–4.0, 2.0–2.99, 1.0–1.99
IE_ROWS = ("high", "medium", "low")  # EFE 3.0–4.0, 2.0–2.99, 1.0–1.99
IE_CELL_NAMES = (("I", "II", "III"), ("IV", "V", "VI"), ("VII", "VIII", "IX"))
IE_REGIONS = {
    "I": "grow and build",
    "II": "grow and build",
    "IV": "grow and build",
    "III": "hold and maintain",
    "V": "hold and maintain",
    "VII": "hold and maintain",
    "VI": "harvest or divest",
    "VIII": "harvest or divest",
    "IX": "harvest or divest",
}


@dataclass(frozen=True)
class IECell:
    row: int  # 1 = EFE high, 2 = medium, 3 = low
    col: int  # 1 = IFE strong, 2 = average, 3 = weak
    name: str  # "I" … "IX", read left to right, top to bottom
    region: str  # "grow and build", "hold and maintain" or "harvest or divest"
    ife_band: str  # "strong", "average", "weak"
    efe_band: str  # "high", "medium", "low"


def _band(score: Any, name: str) -> int:
    try:
        value = float(score)
    except (TypeError, ValueError):
        raise AnalyticsError("not_numeric", f"The {name} total must be a number.") from None
    if not np.isfinite(value):
        raise AnalyticsError("nan", f"The {name} total is missing or not a finite number.")
    if value < 1.0 or value > 4.0:
        raise AnalyticsError(
            "out_of_range", f"The {name} total is {value:g}; a total weighted score lies between 1.0 and 4.0."
        )
    if value >= 3.0:
        return 1
    if value >= 2.0:
        return 2
    return 3


def ie_matrix_cell(ife: float, efe: float) -> IECell:
    """Cell of the 3×3 internal-external matrix for an IFE and an EFE total weighted score.

    Convention (David): the x axis is the IFE total — 3.0–4.0 strong (left column), 2.0–2.99 average,
    1.0–1.99 weak (right column); the y axis is the EFE total — 3.0–4.0 high (top row), 2.0–2.99 medium,
    1.0–1.99 low (bottom row). Cells are numbered I–IX left to right, top to bottom:

        row = 1 if EFE ≥ 3 else 2 if EFE ≥ 2 else 3;   col = 1 if IFE ≥ 3 else 2 if IFE ≥ 2 else 3
        name = ["I" … "IX"][3·(row − 1) + (col − 1)]

    Regions: I, II, IV "grow and build"; III, V, VII "hold and maintain"; VI, VIII, IX "harvest or divest".
    Totals outside 1.0–4.0 or not finite raise ``ValueError``.
    """
    col = _band(ife, "IFE")
    row = _band(efe, "EFE")
    name = IE_CELL_NAMES[row - 1][col - 1]
    return IECell(
        row=row, col=col, name=name, region=IE_REGIONS[name], ife_band=IE_COLUMNS[col - 1], efe_band=IE_ROWS[row - 1]
    )
