"""Planning analytics: pure pandas/numpy functions, no Flask or database import.

Each function's docstring gives its formula, its convention and its source; tests check them against published
worked examples. Invalid input raises ``AnalyticsError`` (a ``ValueError``) with a planner's message and a stable
``code`` for translation — never a silent NaN.
"""

from planapp.analytics._inputs import AnalyticsError
from planapp.analytics.ahp import RANDOM_INDEX, AHPResult, aggregate_pairwise, ahp
from planapp.analytics.concordance import kendall_w
from planapp.analytics.factors import (
    IE_CELL_NAMES,
    IE_COLUMNS,
    IE_REGIONS,
    IE_ROWS,
    IECell,
    factor_evaluation,
    ie_matrix_cell,
)
from planapp.analytics.input_output import InputOutput, input_output
from planapp.analytics.ranking import rank_stability, topsis, weighted_sum
from planapp.analytics.regional import herfindahl, location_quotient, shift_share, specialization
from planapp.analytics.scores import aggregate_scores

__all__ = [
    "IE_CELL_NAMES",
    "IE_COLUMNS",
    "IE_REGIONS",
    "IE_ROWS",
    "RANDOM_INDEX",
    "AHPResult",
    "AnalyticsError",
    "IECell",
    "InputOutput",
    "aggregate_pairwise",
    "aggregate_scores",
    "ahp",
    "factor_evaluation",
    "herfindahl",
    "ie_matrix_cell",
    "input_output",
    "kendall_w",
    "location_quotient",
    "rank_stability",
    "shift_share",
    "specialization",
    "topsis",
    "weighted_sum",
]
