"""Planning analytics: pure pandas/numpy functions, no Flask or database import.

Each function's docstring gives its formula, its convention and its source; tests check them against published
worked examples.
"""

from planapp.analytics.factors import (
    IE_CELL_NAMES,
    IE_COLUMNS,
    IE_REGIONS,
    IE_ROWS,
    IECell,
    factor_evaluation,
    ie_matrix_cell,
)

__all__ = ["IE_CELL_NAMES", "IE_COLUMNS", "IE_REGIONS", "IE_ROWS", "IECell", "factor_evaluation", "ie_matrix_cell"]
