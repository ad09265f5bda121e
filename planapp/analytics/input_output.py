"""Leontief input-output analysis: technical coefficients, the Leontief inverse, multipliers and linkages.

Convention: R. E. Miller and P. D. Blair, *Input-Output Analysis: Foundations and Extensions*, 2nd ed.
(Cambridge University Press, 2009), chapter 2 (the open model) and chapter 12 (linkages); the linkage indices are
Rasmussen's (1956) "power of dispersion" and "sensitivity of dispersion", also known as Hirschman's linkages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planapp.analytics._inputs import AnalyticsError, Labels, cell, label_of, matrix, vector

COLUMN_SUM_TOLERANCE = 1e-9
MAX_CONDITION = 1e12


@dataclass(frozen=True)
class InputOutput:
    A: pd.DataFrame  # technical coefficients a_ij = z_ij / x_j
    L: pd.DataFrame  # Leontief inverse (I − A)⁻¹
    output_multipliers: pd.Series  # column sums of L
    backward_linkage: pd.Series  # Rasmussen power of dispersion (column averages of L over the average of L)
    forward_linkage: pd.Series  # Rasmussen sensitivity of dispersion (row averages of L over the average of L)
    key_sectors: tuple  # sectors whose backward and forward linkages both exceed 1, in table order


def input_output(Z: Any, x: Any) -> InputOutput:  # noqa: N803 - Z is the textbook's name
    """Open Leontief model of an inter-industry transactions table.

    ``Z`` is the n × n table of intermediate sales: zᵢⱼ is what sector i sells to sector j (row = seller, column =
    buyer); ``x`` is each sector's total output. Then

        A = Z · diag(x)⁻¹          aᵢⱼ = zᵢⱼ / xⱼ, the input from i per unit of j's output
        L = (I − A)⁻¹              lᵢⱼ, the output of i needed per unit of final demand for j
        output multiplier    mⱼ = Σᵢ lᵢⱼ
        L̄ = Σᵢⱼ lᵢⱼ / n²           the average element of L
        backward linkage     BLⱼ = (Σᵢ lᵢⱼ / n) / L̄     (> 1: j pulls more than the average sector)
        forward linkage      FLᵢ = (Σⱼ lᵢⱼ / n) / L̄     (> 1: i is pushed more than the average sector)
        key sectors: BLⱼ > 1 and FLⱼ > 1.

    Z must be square, finite and non-negative; x positive; a sector's intermediate inputs cannot exceed its output
    (Σᵢ aᵢⱼ ≤ 1); and I − A must be invertible. A DataFrame ``Z`` and a Series ``x`` are matched by sector label.
    """
    z, rows, cols = matrix(Z, "transactions table", square=True)
    labels: Labels = rows
    if isinstance(x, pd.Series) and labels is not None:
        if set(x.index) != set(labels) or len(x.index) != len(labels) or x.index.has_duplicates:
            raise AnalyticsError("labels", "The total outputs are not for the sectors of the transactions table.")
        x = x.reindex(labels)
    elif isinstance(x, pd.Series) and labels is None:
        labels = x.index
    output, _ = vector(x, "total outputs")
    n = z.shape[0]
    if output.size != n:
        raise AnalyticsError("wrong_length", f"The table has {n} sectors but {output.size} total outputs are given.")
    negative = np.argwhere(z < 0)
    if negative.size:
        raise AnalyticsError("negative", f"The transactions table has a negative sale at "
                             f"{cell(rows, cols, *negative[0])}; sales cannot be below zero.")
    zero = np.flatnonzero(output <= 0)
    if zero.size:
        raise AnalyticsError("zero_sector", f"Sector {label_of(labels, zero[0])} has no total output; every sector "
                             "of the table needs a positive output.")
    a = z / output
    column_sums = a.sum(axis=0)
    over = np.flatnonzero(column_sums > 1 + COLUMN_SUM_TOLERANCE)
    if over.size:
        raise AnalyticsError("not_productive", f"Sector {label_of(labels, over[0])} buys more intermediate inputs "
                             "than its total output; check the table and the outputs.")
    leontief = _inverse(np.eye(n) - a)
    multipliers = leontief.sum(axis=0)
    average = leontief.mean()
    backward = multipliers / n / average
    forward = leontief.sum(axis=1) / n / average
    index = labels if labels is not None else pd.RangeIndex(n)
    key = tuple(index[(backward > 1) & (forward > 1)])
    return InputOutput(
        A=pd.DataFrame(a, index=index, columns=index),
        L=pd.DataFrame(leontief, index=index, columns=index),
        output_multipliers=pd.Series(multipliers, index=index, name="output_multiplier"),
        backward_linkage=pd.Series(backward, index=index, name="backward_linkage"),
        forward_linkage=pd.Series(forward, index=index, name="forward_linkage"),
        key_sectors=key,
    )


def _inverse(i_minus_a: np.ndarray) -> np.ndarray:
    """(I − A)⁻¹ by one LU solve; refused when I − A is singular or so near it (1-norm condition number, exact
    here because the inverse is at hand, above 1e12) that the inverse would be noise."""
    singular = AnalyticsError("singular", "The table's I − A matrix cannot be inverted (the sectors use up all "
                              "of each other's output), so the Leontief inverse does not exist.")
    try:
        inverse = np.linalg.inv(i_minus_a)  # LAPACK gesv against the identity, like solve(I − A, I)
    except np.linalg.LinAlgError:
        raise singular from None
    if not np.isfinite(inverse).all():
        raise singular
    condition = np.abs(i_minus_a).sum(axis=0).max() * np.abs(inverse).sum(axis=0).max()
    if condition > MAX_CONDITION:
        raise singular
    return inverse
