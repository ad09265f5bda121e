"""Planning analytics: pure pandas/numpy functions, no Flask or database import.

Each function's docstring gives its formula, its convention and its source; tests check them against published
worked examples.
"""

from planapp.analytics.factors import IECell, factor_evaluation, ie_matrix_cell

__all__ = ["IECell", "factor_evaluation", "ie_matrix_cell"]
